"""Creating a layer's parameters on its backend, dtype and device."""

from __future__ import annotations

import math

from .. import init
from ..module import resolve_factory
from ..parameter import Buffer, Parameter


class Factory:
    """What a layer makes its tensors with: namespace, dtype, device (see ``resolve_factory``)."""

    def __init__(self, dtype=None, device=None, backend=None):
        self.ns, self.dtype, self.device = resolve_factory(dtype, device, backend)

    def zeros(self, shape) -> Parameter:
        return Parameter(self.ns.zeros(shape, dtype=self.dtype, device=self.device))

    def ones(self, shape) -> Parameter:
        return Parameter(self.ns.ones(shape, dtype=self.dtype, device=self.device))

    def uniform(self, shape, bound: float) -> Parameter:
        return init.uniform_(self.zeros(shape), -bound, bound)

    def fan_in_uniform(self, shape, fan_in: int) -> Parameter:
        """PyTorch's default for weights and biases of linear, convolution and recurrent layers."""
        return self.uniform(shape, 1 / math.sqrt(fan_in) if fan_in else 0.0)

    def buffer(self, shape, value: float) -> Buffer:
        return Buffer(self.ns.full(shape, value, dtype=self.dtype, device=self.device))
