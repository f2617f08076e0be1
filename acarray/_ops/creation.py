"""Functions bound to one backend: array creation, data-type queries and device moves."""

from __future__ import annotations

from types import SimpleNamespace

import array_api_compat as compat

from .._autograd import Op, apply
from .._backend import backend_of
from .._tensor import Tensor
from .common import unwrap, wrap
from .dtype_rules import require_all_promotable
from .elementwise import astype
from .manipulation import broadcast_to, stack

CREATION = ("arange", "empty", "eye", "full", "linspace", "ones", "zeros")
CREATION_LIKE = ("empty_like", "full_like", "ones_like", "zeros_like")
DTYPE_FUNCTIONS = ("can_cast", "finfo", "iinfo", "isdtype", "result_type")


class ToDevice(Op):
    changes_backend = True

    def forward(self, xp, x, *, device, stream=None):
        self.source = compat.device(x)
        kwargs = {} if stream is None else {"stream": stream}
        return compat.to_device(x, device, **kwargs)

    def backward(self, xp, g, inputs, out):
        if isinstance(g, Tensor):
            return (g.to_device(self.source),)
        return (compat.to_device(g, self.source),)


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


def _with_array_fill(fill, shape_of, like=False):
    """``full``/``full_like`` that also take a 0-d Tensor as ``fill_value`` (SciPy passes
    ``xp.asarray(value)``, which torch and array-api-strict refuse); the result is then
    differentiable in the fill value."""

    def fn(first, /, fill_value, *, dtype=None, device=None, **kwargs):
        if not isinstance(fill_value, Tensor):
            return fill(first, fill_value, dtype=dtype, device=device, **kwargs)
        if fill_value.ndim != 0:
            raise ValueError(f"fill_value must be a scalar or a 0-d array, got shape {fill_value.shape}")
        if dtype is None:
            dtype = first.dtype if like else fill_value.dtype
        return astype(broadcast_to(fill_value, shape_of(first)), dtype, copy=True, device=device)

    return fn


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

    functions = {"asarray": asarray, "from_dlpack": from_dlpack}

    def creation(name):
        fn = getattr(xp, name)
        return lambda *args, **kwargs: Tensor._wrap(fn(*args, **kwargs), b)

    def creation_like(name):
        def like(x, /, *args, **kwargs):
            xb = x._b if isinstance(x, Tensor) else b
            return Tensor._wrap(getattr(xb.xp, name)(unwrap(x), *args, **kwargs), xb)

        return like

    def dtype_query(name):
        fn = getattr(xp, name)
        return lambda *args, **kwargs: fn(*unwrap(args), **kwargs)

    def can_cast(from_, to, /):
        """Whether the standard's promotion rules cast ``from_`` (a dtype or array) to ``to``:
        never between booleans, integers and floating-point (NumPy says yes to some)."""
        src = from_.dtype if isinstance(from_, Tensor) or _is_array_of(b, from_) else from_
        k1, k2 = b.kind(src), b.kind(to)
        if k1 != k2 and not (k1 == "f" and k2 == "c"):
            return False
        try:
            return xp.result_type(src, to) == to  # PyTorch's can_cast says yes to int32 -> int8
        except TypeError:
            return False

    def info_query(name):
        fn = getattr(xp, name)

        def query(type, /):
            """``{name}`` with ``dtype`` the backend's dtype object (PyTorch gives its name)."""
            info = fn(unwrap(type))
            if isinstance(info.dtype, str):
                fields = ("bits", "max", "min") + (("eps", "smallest_normal") if name == "finfo" else ())
                info = SimpleNamespace(**{f: getattr(info, f) for f in fields}, dtype=getattr(xp, info.dtype))
            return info

        query.__name__ = query.__qualname__ = name
        return query

    def result_type(*arrays_and_dtypes):
        """The dtype the standard's promotion rules give (a TypeError where they define none)."""
        values = [a if isinstance(a, (Tensor, bool, int, float, complex)) or _is_array_of(b, a)
                  else xp.empty(0, dtype=a) for a in arrays_and_dtypes]
        require_all_promotable("result_type", values)
        return xp.result_type(*unwrap(arrays_and_dtypes))

    for names, make in ((CREATION, creation), (CREATION_LIKE, creation_like), (DTYPE_FUNCTIONS, dtype_query)):
        for name in names:
            f = make(name)
            f.__name__ = f.__qualname__ = name
            f.__doc__ = getattr(getattr(xp, name), "__doc__", None)
            functions[name] = f
    functions["result_type"] = result_type
    functions["can_cast"] = can_cast
    functions["full"] = _with_array_fill(functions["full"], lambda shape: tuple(shape) if isinstance(shape, (tuple, list)) else (shape,))
    functions["full_like"] = _with_array_fill(functions["full_like"], lambda x: x.shape, like=True)
    functions.update(finfo=info_query("finfo"), iinfo=info_query("iinfo"))

    def fft_creation(name):
        f = lambda *args, **kwargs: wrap(getattr(xp.fft, name)(*args, **kwargs), b)  # noqa: E731
        f.__name__ = f.__qualname__ = name
        return f

    functions["fft_creation"] = {name: fft_creation(name) for name in ("fftfreq", "rfftfreq")}
    return functions
