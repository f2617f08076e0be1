"""Linear layers and shape adapters: ``Linear``, ``Identity``, ``Flatten``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import functional as F
from ..module import Module
from ..parameter import check_int
from ._params import Factory

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    The feature counts are non-negative ints (zero allowed, as in PyTorch).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=None, device=None, backend=None):
        in_features = check_int("Linear", "in_features", in_features, 0)
        out_features = check_int("Linear", "out_features", out_features, 0)
        f = Factory(dtype, device, backend)
        self.in_features, self.out_features = in_features, out_features
        self.weight = f.fan_in_uniform((out_features, in_features), in_features)
        self.bias = f.fan_in_uniform((out_features,), in_features) if bias else None

    def forward(self, x) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merge axes ``start_axis`` .. ``end_axis`` into one (``start_dim``, ``end_dim``: PyTorch's names for them)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1, *, start_dim=None, end_dim=None):
        start_axis = start_axis if start_dim is None else start_dim
        end_axis = end_axis if end_dim is None else end_dim
        self.start_axis = check_int("Flatten", "start_axis", start_axis, -(1 << 62))
        self.end_axis = check_int("Flatten", "end_axis", end_axis, -(1 << 62))

    def forward(self, x: Tensor) -> Tensor:
        s, e = self.start_axis % x.ndim, self.end_axis % x.ndim
        shape = (*x.shape[:s], math.prod(x.shape[s : e + 1]), *x.shape[e + 1 :])
        return x.__array_namespace__().reshape(x, shape)

    def extra_repr(self):
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
