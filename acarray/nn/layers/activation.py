"""Activation layers, generated from one table: each wraps a function of ``acarray.nn.functional``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import functional as F
from ..module import Module

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..._tensor import Tensor


class _Activation(Module):
    """The base of the activation layers: ``forward`` is ``function(x, **options)``.

    ``defaults`` are the options, in positional order; ``dim`` is taken for ``axis``; the options
    in ``accepted`` (PyTorch's ``inplace``) are taken and ignored, as the result is always a new tensor.
    """

    function: Callable[..., Tensor]
    defaults: dict[str, Any] = {}
    accepted: tuple[str, ...] = ()

    def __init__(self, *args: Any, **options: Any) -> None:
        name, defaults = type(self).__name__, self.defaults
        if len(args) > len(defaults):
            raise TypeError(f"{name} takes at most {len(defaults)} positional options ({', '.join(defaults) or 'none'}), "
                            f"got {len(args)}")
        if "dim" in options and "axis" in defaults:  # PyTorch's name for the axis
            options["axis"] = options.pop("dim")
        for k in self.accepted:
            options.pop(k, None)
        for k, v in zip(defaults, args):
            if k in options:
                raise TypeError(f"{name} got option {k!r} twice")
            options[k] = v
        unknown = set(options) - set(defaults)
        if unknown:
            raise TypeError(f"{name} got unexpected options {sorted(unknown)}; it takes {sorted(defaults) or 'none'}")
        self.options = {**defaults, **options}

    def forward(self, x) -> Tensor:
        return type(self).function(x, **self.options)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())


def _activation(name: str, fn, accepted: tuple[str, ...] = (), **defaults) -> type[_Activation]:
    """A layer class ``name`` calling ``fn(x, **options)``, with options ``defaults`` (in positional order)."""
    doc = f"Applies ``acarray.nn.functional.{fn.__name__}`` element-wise" + (" (options: " + ", ".join(defaults) + ")." if defaults else ".")
    return type(name, (_Activation,), {"function": staticmethod(fn), "defaults": defaults, "accepted": accepted,
                                       "__doc__": doc})


ReLU = _activation("ReLU", F.relu, ("inplace",))
LeakyReLU = _activation("LeakyReLU", F.leaky_relu, ("inplace",), negative_slope=0.01)
GELU = _activation("GELU", F.gelu, approximate="none")
SiLU = _activation("SiLU", F.silu, ("inplace",))
Sigmoid = _activation("Sigmoid", F.sigmoid)
Tanh = _activation("Tanh", F.tanh)
Softmax = _activation("Softmax", F.softmax, axis=-1)
LogSoftmax = _activation("LogSoftmax", F.log_softmax, axis=-1)
