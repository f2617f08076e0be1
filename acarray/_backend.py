"""Backends: the array-API namespaces acarray computes with, resolved once per array type.

A :class:`Backend` bundles a compliant namespace (``xp``) with a short name and the
few capabilities the standard leaves out (scatter-add, writing into immutable
arrays).  Everything per-dtype is memoised here too, so the hot path of an op
never calls ``array_api_compat.array_namespace`` or ``isdtype``.
"""

from __future__ import annotations

import importlib
import operator
import os
import types

import array_api_compat as compat

BACKEND_NAMES = ("numpy", "cupy", "torch", "jax", "dask", "array_api_strict")

# Module that provides each backend's compliant namespace.
_NAMESPACE_MODULES = {
    "numpy": "array_api_compat.numpy",
    "cupy": "array_api_compat.cupy",
    "torch": "array_api_compat.torch",
    "jax": "jax.numpy",
    "dask": "array_api_compat.dask.array",
    "array_api_strict": "array_api_strict",
}

_NAME_TESTS = (
    ("numpy", compat.is_numpy_namespace),
    ("cupy", compat.is_cupy_namespace),
    ("torch", compat.is_torch_namespace),
    ("jax", compat.is_jax_namespace),
    ("dask", compat.is_dask_namespace),
    ("array_api_strict", compat.is_array_api_strict_namespace),
)


class Backend:
    """One array library as acarray sees it.

    ``xp`` is the library's array-API namespace; ``ns`` is acarray's differentiable
    namespace for it (built on first use).  Dtype questions are answered from
    per-dtype caches keyed by the dtype objects of real arrays.
    """

    __slots__ = ("xp", "name", "writeable", "array_type", "as_array", "scalars_as_arrays", "_ns", "_kind",
                 "_differentiable", "_array_types")

    def __init__(self, xp, name: str):
        self.xp = _with_native_functions(xp, name)
        self.name = name
        # JAX arrays are immutable; everything else supports __setitem__.
        self.writeable = name != "jax"
        # NumPy ufuncs turn 0-d results into scalars; Tensor._wrap turns them back with NumPy's own
        # asarray (array-api-compat's adds a device check and copy-mode handling around it).
        self.array_type = xp.asarray(0).__class__ if name == "numpy" else None
        self.as_array = importlib.import_module("numpy").asarray if name == "numpy" else None
        # NumPy's ufuncs take a slower path for a Python scalar operand (weak promotion, NEP 50)
        # than for a 0-d array of the result's dtype, which gives the same values.
        self.scalars_as_arrays = name == "numpy"
        self._ns = None
        self._kind: dict = {}
        self._differentiable: dict = {}
        self._array_types: set = set()

    def __repr__(self):
        return f"<acarray backend {self.name!r}>"

    @property
    def ns(self):
        """acarray's namespace for this backend (``acarray.<name>``)."""
        if self._ns is None:
            from ._namespace import namespace_for

            self._ns = namespace_for(self)
        return self._ns

    def kind(self, dtype) -> str:
        """'c' complex, 'f' real floating, 'i' integer, 'b' bool (memoised per dtype)."""
        k = self._kind.get(dtype)
        if k is None:
            isdtype = self.xp.isdtype
            if isdtype(dtype, "complex floating"):
                k = "c"
            elif isdtype(dtype, "real floating"):
                k = "f"
            elif isdtype(dtype, "bool"):
                k = "b"
            else:
                k = "i"
            self._kind[dtype] = k
        return k

    def is_differentiable(self, dtype) -> bool:
        """Whether tensors of ``dtype`` can carry gradients (floating or complex)."""
        d = self._differentiable.get(dtype)
        if d is None:
            d = self._differentiable[dtype] = self.kind(dtype) in "fc"
        return d

    # -- capabilities the standard leaves out -------------------------------------

    def owns(self, a) -> bool:
        """Whether ``a`` is an array of its own: writable and no view of another array (writes into
        it reach nothing else).  Immutable arrays (JAX, Dask) always are; unknown kinds are not."""
        name = self.name
        if name == "numpy":
            return a.base is None and a.flags.writeable
        if name == "torch":
            return a._base is None
        if name == "cupy":
            return a.base is None
        if name == "array_api_strict":
            a = a._array
            return a.base is None and a.flags.writeable
        return name in ("jax", "dask")

    def copy(self, a):
        """A copy of ``a`` that is an array of its own (see :meth:`owns`)."""
        return self.xp.asarray(a, copy=True)

    def put(self, arr, key, value):
        """``arr[key] = value``, returning the result (a new array on immutable backends)."""
        if self.writeable:
            arr[key] = value
            return arr
        return arr.at[key].set(value)

    def scatter_add_1d(self, size: int, index, values):
        """A length-``size`` array with ``values[k]`` added at ``index[k]``; repeats add up."""
        xp = self.xp
        out = xp.zeros(size, dtype=values.dtype, device=compat.device(values))
        name = self.name
        if name == "numpy":
            import numpy

            numpy.add.at(out, index, values)
            return out
        if name == "torch":
            return out.index_add_(0, index, values)
        if name == "cupy":
            import cupy

            if self.kind(values.dtype) == "c":  # cupy.add.at takes no complex values: add each part
                real = self.scatter_add_1d(size, index, values.real)
                return real + 1j * self.scatter_add_1d(size, index, values.imag)
            cupy.add.at(out, index, values)
            return out
        if name == "jax":
            return out.at[index].add(values)
        # Portable fallback: a one-hot matrix product (memory len(index) * size).
        onehot = xp.astype(
            xp.reshape(index, (-1, 1)) == xp.arange(size, device=compat.device(values)),
            values.dtype,
        )
        return xp.matmul(xp.reshape(values, (1, -1)), onehot)[0, ...]


def _with_native_functions(xp, name):
    """``xp``; for NumPy, a copy of the namespace that reaches NumPy's C entry points directly
    where array-api-compat and NumPy add only Python layers around them: ``matmul`` and
    ``matrix_transpose`` (compat's pass-through wrappers), the reductions ``sum``, ``prod``,
    ``max`` and ``min`` (NumPy's own, which re-dispatch to their ufunc's ``reduce``), and
    ``astype``, ``ones_like`` and ``arange`` where no device other than the CPU is named (compat's
    check of the device, then NumPy's).  Results are the same; a fused layer and every backward
    pass call these several times per step."""
    if name != "numpy":
        return xp
    np = importlib.import_module("numpy")
    fast = types.ModuleType(xp.__name__, xp.__doc__)
    fast.__dict__.update(vars(xp))
    fast.matmul = np.matmul
    for fname, ufunc in (("sum", np.add), ("prod", np.multiply), ("max", np.maximum), ("min", np.minimum)):
        if getattr(xp, fname) is getattr(np, fname):  # not a compat wrapper that adjusts NumPy's result
            setattr(fast, fname, _reduction(ufunc.reduce))
    if hasattr(np.ndarray, "mT"):  # NumPy 2
        fast.matrix_transpose = operator.attrgetter("mT")
        fast.astype, fast.ones_like, fast.arange = _numpy_creation(np, xp)
    return fast


def _reduction(reduce):
    def reduction(x, /, *, axis=None, dtype=None, keepdims=False):
        return reduce(x, axis, dtype, None, keepdims)

    return reduction


def _numpy_creation(np, compliant):
    """NumPy 2's own ``astype``, ``ones_like`` and ``arange`` for calls on the CPU; anything else
    (another device, which raises) goes to the ``compliant`` namespace's."""
    cpu = (None, "cpu")
    empty_like, np_arange = np.empty_like, np.arange

    def astype(x, dtype, /, *, copy=True, device=None):
        if device in cpu:
            return x.astype(dtype, copy=copy)
        return compliant.astype(x, dtype, copy=copy, device=device)

    def ones_like(x, /, *, dtype=None, device=None):
        if device in cpu:
            out = empty_like(x, dtype=dtype)
            out.fill(1)
            return out
        return compliant.ones_like(x, dtype=dtype, device=device)

    def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
        if device in cpu:
            return np_arange(start, stop, step, dtype=dtype)
        return compliant.arange(start, stop, step, dtype=dtype, device=device)

    return astype, ones_like, arange


_BY_NAME: dict[str, Backend] = {}
_BY_TYPE: dict[type, Backend] = {}


def _name_of(xp) -> str:
    for name, test in _NAME_TESTS:
        if test(xp):
            return name
    return getattr(xp, "__name__", type(xp).__name__)


def backend_named(name: str) -> Backend:
    """The backend called ``name`` (one of :data:`BACKEND_NAMES`), importing it on first use."""
    b = _BY_NAME.get(name)
    if b is None:
        if name not in _NAMESPACE_MODULES:
            raise ValueError(f"unknown acarray backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
        try:
            xp = importlib.import_module(_NAMESPACE_MODULES[name])
        except ImportError as e:
            raise ImportError(f"acarray backend {name!r} needs {name} installed: {e}") from e
        b = _new_backend(xp, name)
    return b


_BY_NAMESPACE: dict[int, Backend] = {}


def _new_backend(xp, name: str) -> Backend:
    """A backend for namespace ``xp``, found from now on by its name and by both namespace objects."""
    b = _BY_NAME[name] = Backend(xp, name)
    _BY_NAMESPACE[id(xp)] = _BY_NAMESPACE[id(b.xp)] = b
    return b


def backend_for_namespace(xp) -> Backend:
    """The backend of a namespace object (a compat namespace, array_api_strict, jax.numpy...)."""
    b = _BY_NAMESPACE.get(id(xp))
    if b is None:
        name = _name_of(xp)
        b = _BY_NAME.get(name)
        if b is None:
            b = _new_backend(xp, name)
        _BY_NAMESPACE[id(xp)] = b
    return b


def backend_of(array) -> Backend:
    """The backend of a raw array, resolved once per array type."""
    b = _BY_TYPE.get(type(array))
    if b is None:
        own = getattr(array, "_b", None)
        if isinstance(own, Backend):  # an acarray Tensor: its own backend, never cached by its type
            return own
        try:
            xp = compat.array_namespace(array)
        except TypeError as e:
            raise TypeError(f"acarray cannot compute with {type(array).__module__}.{type(array).__name__}: {e}") from None
        b = backend_for_namespace(xp)
        _BY_TYPE[type(array)] = b
        b._array_types.add(type(array))
    return b


def default_backend_name() -> str:
    """The backend that ``import acarray`` uses: ``$ACARRAY_BACKEND`` or numpy."""
    name = os.environ.get("ACARRAY_BACKEND", "numpy").strip().lower() or "numpy"
    if name not in BACKEND_NAMES:
        raise ValueError(f"ACARRAY_BACKEND={name!r} is not one of {', '.join(BACKEND_NAMES)}")
    return name
