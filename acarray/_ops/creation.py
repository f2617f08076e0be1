"""Functions bound to one backend: array creation, data-type queries and device moves."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import array_api_compat as compat

from .._autograd import Op, apply
from .._backend import backend_of
from .._tensor import Tensor
from .common import moved, unwrap
from .dtype_rules import require_all_promotable
from .elementwise import astype
from .manipulation import broadcast_to, stack


class ToDevice(Op):
    changes_backend = True

    def forward(self, xp, x, *, device, stream=None):
        self.source = compat.device(x)
        kwargs = {} if stream is None else {"stream": stream}
        return compat.to_device(x, device, **kwargs)

    def backward(self, xp, g, inputs, out):
        return (moved(g, self.source),)


class ToBackend(Op):
    """The values of ``x`` as an array of backend ``target`` (``acarray.<backend>.asarray`` of a
    tensor of another backend); its gradient goes back the same way, converted by the source
    backend's ``asarray``."""

    changes_backend = True

    def forward(self, xp, x, *, target, kwargs):
        return target.xp.asarray(x, **kwargs)

    def backward(self, xp, g, inputs, out):
        return (xp.asarray(g),)  # graph mode: acarray's asarray, itself this move


def to_device(x, device, /, *, stream=None):
    """``x`` on ``device``; moving CuPy data to "cpu" gives a NumPy-backed tensor."""
    if device == x.device and stream is None:
        return x
    return apply(ToDevice, x, device=device, stream=stream)


_BITS = {"bool": 1, **{f"{k}{n}": n for k in ("int", "uint", "float") for n in (8, 16, 32, 64)},
         "complex64": 32, "complex128": 64}  # complex: the bits of each part


def dtype_name(b, dtype) -> str:
    """The standard's name of backend ``b``'s dtype object (a TypeError for one it lacks)."""
    for name in _BITS:
        if getattr(b.xp, name, None) == dtype:
            return name
    raise TypeError(f"{dtype!r} is not a dtype of the array API standard on backend {b.name}")


def can_cast_names(src: str, to: str) -> bool:
    """Whether the standard's promotion table casts dtype ``src`` to ``to`` (by their names):
    within one kind to as many bits or more, an unsigned integer to a wider signed one, a real
    floating dtype to a complex one with parts as wide."""
    kinds = {"bool": "b", "uint": "u", "int": "i", "float": "f", "complex": "c"}
    k1, k2 = (kinds[n.rstrip("0123456789")] for n in (src, to))
    n1, n2 = _BITS[src], _BITS[to]
    if k1 == k2 or (k1, k2) == ("f", "c"):
        return n1 <= n2
    return (k1, k2) == ("u", "i") and n1 < n2


def _contains_tensor(obj) -> bool:
    if isinstance(obj, Tensor):
        return True
    return isinstance(obj, (list, tuple)) and any(_contains_tensor(o) for o in obj)


def _is_array_of(b, obj) -> bool:
    """Whether ``obj`` is an array of backend ``b`` itself (not a list, scalar or foreign array)."""
    if type(obj) in b._array_types:
        return True
    if isinstance(obj, (list, tuple, int, float, complex, bool)):
        return False
    try:
        return backend_of(obj) is b
    except TypeError:
        return False


def bound_functions(b) -> dict:
    """The creation and data-type functions of acarray's namespace for backend ``b``."""
    xp = b.xp

    def asarray(obj, /, *, dtype=None, device=None, copy=None, requires_grad=False):
        """``obj`` as a Tensor of this backend (zero-copy for an array of the backend).

        Tensors keep their graph: a dtype change or ``copy=True`` is a differentiable
        op, and so is the move of a tensor of another backend (its gradient is converted
        back); nested lists holding Tensors are stacked differentiably.
        """
        if isinstance(obj, Tensor) and obj._b is b:
            t = obj
            if device is not None and device != t.device:
                t = to_device(t, device)
            if (dtype is not None and dtype != t.dtype) or copy:
                t = astype(t, t.dtype if dtype is None else dtype, copy=True)
            elif copy is False and t is not obj:
                raise ValueError("asarray(copy=False) cannot avoid a copy for this device move")
        elif isinstance(obj, (list, tuple)) and obj and _contains_tensor(obj):
            t = stack([asarray(o, dtype=dtype, device=device) for o in obj], axis=0)
        else:
            kwargs = {k: v for k, v in (("dtype", dtype), ("device", device), ("copy", copy)) if v is not None}
            if isinstance(obj, Tensor):  # another backend: a differentiable move of the values
                if copy is False:
                    raise ValueError(
                        f"asarray(copy=False) cannot avoid a copy: the tensor is on backend {obj._b.name}, "
                        f"not {b.name}"
                    )
                t = apply(ToBackend, obj, target=b, kwargs=kwargs)
            elif (not kwargs or kwargs == {"copy": False}) and _is_array_of(b, obj):
                t = Tensor._wrap(obj, b)  # the backend's own array: wrapped as it is
            else:
                t = Tensor._wrap(xp.asarray(obj, **kwargs), b)
        if requires_grad:
            if not t.is_leaf:
                raise RuntimeError("requires_grad=True is only for leaves; this tensor already has a history")
            t.requires_grad_(True)
        return t

    def from_dlpack(x, /, *, device=None, copy=None):
        """An array of this backend sharing the memory of a DLPack-capable object."""
        kwargs = {k: v for k, v in (("device", device), ("copy", copy)) if v is not None}
        return Tensor._wrap(xp.from_dlpack(x, **kwargs), b)

    def _made(array):
        return Tensor._wrap(array, b)

    def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
        """Evenly spaced values in [start, stop) (a leaf that needs no gradient, as every
        created array)."""
        return _made(xp.arange(start, stop, step, dtype=dtype, device=device))

    def empty(shape, *, dtype=None, device=None):
        """An uninitialised array of ``shape``."""
        return _made(xp.empty(shape, dtype=dtype, device=device))

    def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
        """A two-dimensional array with ones on diagonal ``k`` and zeros elsewhere."""
        return _made(xp.eye(n_rows, n_cols, k=k, dtype=dtype, device=device))

    def full(shape, fill_value, *, dtype=None, device=None):
        """An array of ``shape`` filled with ``fill_value``.  A 0-d Tensor fill value (SciPy
        passes ``xp.asarray(value)``) is broadcast, and the result is differentiable in it."""
        if isinstance(fill_value, Tensor):
            shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
            return _filled(fill_value, shape, fill_value.dtype if dtype is None else dtype, device)
        return _made(xp.full(shape, fill_value, dtype=dtype, device=device))

    def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
        """``num`` evenly spaced values from ``start`` to ``stop``."""
        return _made(xp.linspace(start, stop, num, dtype=dtype, device=device, endpoint=endpoint))

    def ones(shape, *, dtype=None, device=None):
        """An array of ``shape`` filled with ones."""
        return _made(xp.ones(shape, dtype=dtype, device=device))

    def zeros(shape, *, dtype=None, device=None):
        """An array of ``shape`` filled with zeros."""
        return _made(xp.zeros(shape, dtype=dtype, device=device))

    def _like(name, x, **kwargs):
        xb = x._b if isinstance(x, Tensor) else b
        return Tensor._wrap(getattr(xb.xp, name)(unwrap(x), **kwargs), xb)

    def empty_like(x, /, *, dtype=None, device=None):
        """An uninitialised array of ``x``'s shape (and dtype and device, unless given); it
        takes no gradient from ``x``."""
        return _like("empty_like", x, dtype=dtype, device=device)

    def full_like(x, /, fill_value, *, dtype=None, device=None):
        """An array of ``x``'s shape filled with ``fill_value`` (differentiable in a 0-d
        Tensor fill value, not in ``x``)."""
        if isinstance(fill_value, Tensor):
            return _filled(fill_value, x.shape, x.dtype if dtype is None else dtype, device)
        return _like("full_like", x, fill_value=fill_value, dtype=dtype, device=device)

    def ones_like(x, /, *, dtype=None, device=None):
        """An array of ones of ``x``'s shape; it takes no gradient from ``x``."""
        return _like("ones_like", x, dtype=dtype, device=device)

    def zeros_like(x, /, *, dtype=None, device=None):
        """An array of zeros of ``x``'s shape; it takes no gradient from ``x``."""
        return _like("zeros_like", x, dtype=dtype, device=device)

    def isdtype(dtype, kind):
        """Whether ``dtype`` is of ``kind``: a dtype, a kind name ("real floating", "integral",
        ...) or a tuple of them."""
        return xp.isdtype(dtype, kind)

    def can_cast(from_, to, /):
        """Whether the standard's promotion rules cast ``from_`` (a dtype or array) to ``to``,
        answered from the standard's table on every backend: never between booleans,
        integers and floating-point (NumPy says yes to some), and for the unsigned integers
        PyTorch cannot promote."""
        src = from_.dtype if isinstance(from_, Tensor) or _is_array_of(b, from_) else from_
        return can_cast_names(dtype_name(b, src), dtype_name(b, to))

    def result_type(*arrays_and_dtypes):
        """The dtype the standard's promotion rules give (a TypeError where they define none)."""
        values = [a if isinstance(a, (Tensor, bool, int, float, complex)) or _is_array_of(b, a)
                  else xp.empty(0, dtype=a) for a in arrays_and_dtypes]
        require_all_promotable("result_type", values)
        return xp.result_type(*unwrap(arrays_and_dtypes))

    def _info(fn, type, fields):
        info = fn(unwrap(type))
        if isinstance(info.dtype, str):  # PyTorch gives the dtype's name
            info = SimpleNamespace(**{f: getattr(info, f) for f in fields}, dtype=getattr(xp, info.dtype))
        return info

    def finfo(type, /):
        """Machine limits of a floating-point dtype (or of an array's): ``bits``, ``eps``,
        ``max``, ``min``, ``smallest_normal`` and ``dtype``, the backend's dtype object."""
        return _info(xp.finfo, type, ("bits", "eps", "max", "min", "smallest_normal"))

    def iinfo(type, /):
        """Machine limits of an integer dtype (or of an array's): ``bits``, ``max``, ``min`` and
        ``dtype``, the backend's dtype object."""
        return _info(xp.iinfo, type, ("bits", "max", "min"))

    def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
        """The sample frequencies of a discrete Fourier transform of length ``n``."""
        return _made(xp.fft.fftfreq(n, d=d, dtype=dtype, device=device))

    def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
        """The sample frequencies of ``rfft`` of a signal of length ``n``."""
        return _made(xp.fft.rfftfreq(n, d=d, dtype=dtype, device=device))

    functions: dict[str, Any] = {f.__name__: f for f in (
        asarray, from_dlpack, arange, empty, eye, full, linspace, ones, zeros, empty_like, full_like,
        ones_like, zeros_like, isdtype, can_cast, result_type, finfo, iinfo,
    )}
    functions["fft_creation"] = {"fftfreq": fftfreq, "rfftfreq": rfftfreq}
    return functions


def _filled(fill_value, shape, dtype, device):
    """``fill_value``, a 0-d Tensor, broadcast to ``shape`` as a new array: differentiable in it."""
    if fill_value.ndim != 0:
        raise ValueError(f"fill_value must be a scalar or a 0-d array, got shape {fill_value.shape}")
    return astype(broadcast_to(fill_value, shape), dtype, copy=True, device=device)
