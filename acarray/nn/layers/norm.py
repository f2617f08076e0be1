"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import functional as F
from ..functional import ShapeError
from ..module import Module
from ..parameter import check_int, check_number
from ._params import Factory

if TYPE_CHECKING:
    from ..._tensor import Tensor


class _BatchNorm(Module):
    ndims: tuple[int, ...] = (2, 3)
    layout = "(N, C) or (N, C, L)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, dtype=None, device=None, backend=None):
        name = type(self).__name__
        num_features = check_int(name, "num_features", num_features)
        eps = check_number(name, "eps", eps, 0.0)
        if momentum is None:
            raise ValueError(f"{name}: momentum=None (a cumulative moving average) is not supported; "
                             "give a momentum in [0, 1]")
        momentum = check_number(name, "momentum", momentum, 0.0, 1.0)
        f = Factory(dtype, device, backend)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = f.ones((num_features,)) if affine else None
        self.bias = f.zeros((num_features,)) if affine else None
        self.running_mean = f.buffer((num_features,), 0.0) if track_running_stats else None
        self.running_var = f.buffer((num_features,), 1.0) if track_running_stats else None

    def _ignored_state_keys(self):
        """PyTorch's ``num_batches_tracked`` (only its cumulative ``momentum=None`` mode uses it) is accepted by
        ``load_state_dict`` and not kept."""
        return ("num_batches_tracked",) if self.running_mean is not None else ()

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.ndims or x.shape[1] != self.num_features:
            raise ShapeError(f"expected input of shape {self.layout} with C={self.num_features}, got shape {tuple(x.shape)}")
        batch_stats = self.training or self.running_mean is None
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=batch_stats, momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs, per channel."""


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs, per channel."""

    ndims = (4,)
    layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalisation over the trailing ``normalized_shape`` axes of each sample (one fused op)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 *, dtype=None, device=None, backend=None):
        shape = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        self.normalized_shape = tuple(check_int("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = check_number("LayerNorm", "eps", eps, 0.0)
        f = Factory(dtype, device, backend)
        self.weight = self.bias = None
        if elementwise_affine:
            self.weight = f.ones(self.normalized_shape)
            self.bias = f.zeros(self.normalized_shape) if bias else None

    def forward(self, x) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"
