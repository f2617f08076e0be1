"""Parameters and buffers, and what the layers and the optimizers share about them: copying values
into them, clearing their gradients, and checking the numbers that configure them.

It imports nothing else of ``acarray.nn``.  ``acarray.optim`` takes what it needs of ``nn`` from
here alone: optim depends on nn, a downward dependency within the API layer (nn never imports
optim), and on none of nn's layers or of ``Module``.
"""

from __future__ import annotations

import numbers
import operator
import typing

import acarray

from .._backend import backend_of
from .._host import to_numpy
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and belongs to a module."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)


class Buffer(Tensor):
    """A tensor a module keeps and saves but does not train (running statistics)."""

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data.data if isinstance(data, Tensor) else data)


def array_like(value, like):
    """``value`` (a Tensor or array of any backend) as a fresh raw array with the backend, dtype and device of ``like``."""
    ns = like.__array_namespace__()
    if not isinstance(value, Tensor) and hasattr(value, "detach"):  # a PyTorch tensor that may require grad
        value = value.detach()
    if isinstance(value, Tensor):
        value = value.detach() if value.__array_namespace__() is ns else ns.asarray(to_numpy(value))
    elif acarray.namespace(value) is not ns:
        value = ns.asarray(to_numpy(value))
    return ns.asarray(value, dtype=like.dtype, device=like.device, copy=True).data


def is_array(value) -> bool:
    """Whether ``value`` is a Tensor or an array of one of the backends."""
    if isinstance(value, Tensor):
        return True
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return False
    try:
        backend_of(value)
    except TypeError:
        return False
    return True


def dtype_kind(value) -> str:
    """'f', 'c', 'i' or 'b' for an array of any backend; '?' for dtypes outside the standard's."""
    try:
        b = value._b if isinstance(value, Tensor) else backend_of(value)
        return b.kind(value.dtype)
    except Exception:
        return "?"


def clear_grad(p, set_to_none: bool = True) -> None:
    """Drop the gradient of ``p`` (``set_to_none``) or set it to zeros, in place where the backend allows."""
    g = p.grad
    if g is None:
        return
    if set_to_none:
        p.grad = None
        return
    if isinstance(g, Tensor):  # after backward(create_graph=True): a plain zero array, detached from that graph
        p.grad = p._b.xp.zeros_like(g.data)
        return
    try:
        g[...] = 0
    except Exception:  # read-only or immutable arrays
        p.grad = p._b.xp.zeros_like(g)


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
    value = typing.cast(float, value)  # a numbers.Real, which typeshed does not compare with floats
    above = low is None or value >= low
    below = high is None or (value < high if high_open else value <= high)
    if not (above and below) or value != value:
        if high is None:
            need = f"at least {low}" if low else "non-negative"
        else:
            need = f"in [{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{layer}: {name} must be {need}, got {value}")
    return value
