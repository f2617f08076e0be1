"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (batch-first, multi-layer, PyTorch's parameter layout).

Each layer projects the whole input sequence with one linear op, then runs one
cell step per time step.  Gates are stacked in PyTorch's order (LSTM: input,
forget, cell, output; GRU: reset, update, new), so weights load from PyTorch
state dicts unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import functional as F
from ..functional import ShapeError
from ..module import Module
from ..parameter import check_int
from ._params import Factory

if TYPE_CHECKING:
    from ..._tensor import Tensor

_State = TypeVar("_State")  # what a layer keeps between steps: h, or for LSTM (h, c)


def _rnn_tanh(ns, xw, h, c, w_hh, b_hh):
    return ns.tanh(xw + F.linear(h, w_hh, b_hh)), None


def _lstm(ns, xw, h, c, w_hh, b_hh):
    gates = xw + F.linear(h, w_hh, b_hh)
    n = h.shape[-1]
    i, f, g, o = (gates[:, k * n : (k + 1) * n] for k in range(4))
    c = F.sigmoid(f) * c + F.sigmoid(i) * ns.tanh(g)
    return F.sigmoid(o) * ns.tanh(c), c


def _gru(ns, xw, h, c, w_hh, b_hh):
    hw = F.linear(h, w_hh, b_hh)
    n = h.shape[-1]
    r = F.sigmoid(xw[:, :n] + hw[:, :n])
    z = F.sigmoid(xw[:, n : 2 * n] + hw[:, n : 2 * n])
    new = ns.tanh(xw[:, 2 * n :] + r * hw[:, 2 * n :])
    return (1 - z) * new + z * h, None


class _Recurrent(Module, Generic[_State]):
    gates = 1
    cell = staticmethod(_rnn_tanh)
    has_cell_state = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = True, *, dtype=None, device=None, backend=None):
        if not batch_first:
            raise ValueError(f"{type(self).__name__} supports batch_first=True only: inputs are (N, T, features)")
        name = type(self).__name__
        input_size = check_int(name, "input_size", input_size)
        hidden_size = check_int(name, "hidden_size", hidden_size)
        num_layers = check_int(name, "num_layers", num_layers)
        f = Factory(dtype, device, backend)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        for k in range(num_layers):
            fan = hidden_size
            size = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", f.fan_in_uniform((self.gates * hidden_size, size), fan))
            setattr(self, f"weight_hh_l{k}", f.fan_in_uniform((self.gates * hidden_size, hidden_size), fan))
            setattr(self, f"bias_ih_l{k}", f.fan_in_uniform((self.gates * hidden_size,), fan) if bias else None)
            setattr(self, f"bias_hh_l{k}", f.fan_in_uniform((self.gates * hidden_size,), fan) if bias else None)

    def _layer(self, k):
        return tuple(getattr(self, f"{w}_l{k}") for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def forward(self, x: Tensor, state: _State | None = None) -> tuple[Tensor, _State]:
        """``x`` ``(N, T, input_size)`` -> output ``(N, T, hidden)`` and the last state ``(layers, N, hidden)``.

        The state is ``h`` (for LSTM the pair ``(h, c)``), zeros when not given.
        """
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ShapeError(f"expected input of shape (N, T, {self.input_size}), got shape {tuple(x.shape)}")
        ns = x.__array_namespace__()
        n, steps = x.shape[:2]
        zeros = ns.zeros((self.num_layers, n, self.hidden_size), dtype=x.dtype, device=x.device)
        given: Any = state
        if given is None:
            given = (zeros, zeros) if self.has_cell_state else zeros
        h0, c0 = given if self.has_cell_state else (given, zeros)
        if tuple(h0.shape) != tuple(zeros.shape):
            raise ShapeError(f"expected a state of shape {tuple(zeros.shape)}, got shape {tuple(h0.shape)}")
        last_h, last_c = [], []
        for k in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._layer(k)
            xw = F.linear(x, w_ih, b_ih)
            h, c = h0[k, ...], c0[k, ...]
            outputs = []
            for t in range(steps):
                h, c = self.cell(ns, xw[:, t, :], h, c, w_hh, b_hh)
                outputs.append(h)
            x = ns.stack(outputs, axis=1)
            last_h.append(h)
            last_c.append(c)
        h_n = ns.stack(last_h, axis=0)
        last: Any = (h_n, ns.stack(last_c, axis=0)) if self.has_cell_state else h_n
        return x, last

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(_Recurrent["Tensor"]):
    """Elman RNN with tanh: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""


class LSTM(_Recurrent["tuple[Tensor, Tensor]"]):
    """Long short-term memory; the state is ``(h, c)``."""

    gates = 4
    cell = staticmethod(_lstm)
    has_cell_state = True


class GRU(_Recurrent["Tensor"]):
    """Gated recurrent unit (PyTorch's formulation, reset gate applied after the hidden projection)."""

    gates = 3
    cell = staticmethod(_gru)
