"""Helpers shared by the op families: unwrapping, wrapping and non-differentiable pass-through."""

from __future__ import annotations

import array_api_compat as compat

from .._autograd import apply, resolve
from .._backend import backend_of
from .._tensor import Tensor, _scalar_types


def device_of(a):
    """The device of an array or a Tensor (Dask's arrays have no ``device`` attribute)."""
    return a.device if isinstance(a, Tensor) else compat.device(a)


def moved(a, device):
    """Array or Tensor ``a`` on ``device`` (a Tensor's move is differentiable)."""
    return a.to_device(device) if isinstance(a, Tensor) else compat.to_device(a, device)


def apply_or_value(cls, xp, *args, **params):
    """``cls`` applied to ``args`` by a rule, written once for both backward modes: where an
    argument is a Tensor (the backward pass is recorded), ``apply``, which records the op as one;
    else ``cls.forward`` on the raw values in namespace ``xp``, its raw result returned and nothing
    recorded.  A function beside ``apply``, not a branch in it: apply is on the path of every op."""
    for a in args:
        if isinstance(a, Tensor):
            return apply(cls, *args, **params)
    return cls().forward(xp, *args, **params)


def unwrap(value):
    """Raw backend values for Tensors inside ``value`` (tuples and lists are walked)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (tuple, list)):
        return type(value)(unwrap(v) for v in value)
    return value


def wrap(value, b):
    """Tensors (not requiring grad) for the backend arrays inside ``value``."""
    if isinstance(value, (tuple, list)):
        items = [wrap(v, b) for v in value]
        if hasattr(value, "_fields"):  # a named tuple such as SVDResult
            return type(value)(*items)
        return type(value)(items)
    if value is None or isinstance(value, (_scalar_types, bool, str)):
        return value
    return Tensor._wrap(value, b)


def backend_in(args):
    """The backend of the first Tensor or array among ``args`` (lists searched too)."""
    flat = []
    for a in args:
        if isinstance(a, (list, tuple)):
            flat.extend(a)
        else:
            flat.append(a)
    b, _, _ = resolve([a for a in flat if a is not None and not isinstance(a, (bool, str))])
    return b


def passthrough(name: str, module: str | None = None, kinds: str | None = None):
    """A namespace function that runs the backend's ``name`` and returns constants.

    For functions whose outputs are not differentiable (comparisons, argmax,
    integer or boolean results, sorting indices...): nothing is recorded.
    ``kinds`` restricts the dtype of the first argument (see ``dtype_rules``).
    """

    def fn(*args, **kwargs):
        if kinds is not None:
            from .dtype_rules import require

            require(name, kinds, args[0])
        b = backend_in(list(args) + [v for v in kwargs.values() if isinstance(v, Tensor)])
        ns = b.xp if module is None else getattr(b.xp, module)
        return wrap(getattr(ns, name)(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()}), b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` of the array API standard (its result carries no gradient)."
    return fn


def along(axis: int, index) -> tuple:
    """The key applying ``index`` to axis ``axis`` (non-negative) and keeping all other axes
    (the trailing ellipsis is required by the standard when a key covers fewer axes)."""
    return (slice(None),) * axis + (index, Ellipsis)


def is_complex(a) -> bool:
    """Whether array or Tensor ``a`` has a complex dtype (Python complex scalars too)."""
    if isinstance(a, _scalar_types):
        return isinstance(a, complex)
    b = a._b if isinstance(a, Tensor) else backend_of(a)
    return b.kind(a.dtype) == "c"


def cj(xp, a):
    """Complex conjugate of ``a``, skipped for real values (PyTorch's gradient convention)."""
    if isinstance(a, complex):
        return a.conjugate()
    return xp.conj(a) if is_complex(a) else a


def public(name: str, fn, doc: str):
    """Name a generated namespace function and give it a docstring."""
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn

