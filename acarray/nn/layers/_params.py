"""Creating a layer's parameters on its backend, dtype and device."""

from __future__ import annotations

import math
import numbers
import operator

from .. import init
from ..module import Buffer, Parameter, resolve_factory


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


def check_int(layer: str, name: str, value, low: int = 1) -> int:
    """``value`` as an int of at least ``low``, or an error naming ``layer`` and the argument."""
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} ({type(value).__name__})")
    value = operator.index(value)
    if value < low:
        need = "positive" if low == 1 else ("non-negative" if low == 0 else f"at least {low}")
        raise ValueError(f"{layer}: {name} must be {need}, got {value}")
    return value


def check_ints(layer: str, name: str, value, n: int, low: int = 1) -> tuple:
    """``value`` (an int, or a tuple or list of ``n`` of them) as a tuple of ``n`` ints of at least ``low``."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        return tuple(check_int(layer, name, v, low) for v in value)
    return (check_int(layer, name, value, low),) * n


def check_number(layer: str, name: str, value, low: float | None = None, high: float | None = None,
                 high_open: bool = False) -> float:
    """``value`` as a real number in ``[low, high]`` (``[low, high)`` with ``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, got {value!r} ({type(value).__name__})")
    above = low is None or value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (above and below) or value != value:
        if high is None:
            need = f"at least {low}" if low else "non-negative"
        else:
            need = f"in [{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{layer}: {name} must be {need}, got {value}")
    return value
