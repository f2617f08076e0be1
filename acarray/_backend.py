"""Backends: the array-API namespaces acarray computes with, resolved once per array type.

A :class:`Backend` bundles a compliant namespace (``xp``) with a short name and the
few capabilities the standard leaves out (scatter-add, writing into immutable
arrays, its special-function library), and the element-wise kernels, corrected
where the backend breaks the standard's special cases.  Everything that differs
between backends is decided here, so the ops talk only to ``xp`` and these
capabilities.  Everything per-dtype is memoised here too, so the hot path of an
op never calls ``array_api_compat.array_namespace`` or ``isdtype``.
"""

from __future__ import annotations

import importlib
import math
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

    __slots__ = ("xp", "name", "writeable", "lazy", "negative_steps", "numpy_readable", "repr_label", "array_type",
                 "as_array", "scalars_as_arrays", "_views_write_through", "_ns", "_kind", "_differentiable",
                 "_array_types", "_kernels", "_special")

    def __init__(self, xp, name: str):
        self.xp = _with_native_functions(xp, name)
        self.name = name
        # JAX arrays are immutable; everything else supports __setitem__.
        self.writeable = name != "jax"
        # Dask and JAX build graphs: asking for a value (bool(xp.any(...))) would compute them.
        self.lazy = name in ("dask", "jax")
        # PyTorch's basic indexing takes no negative slice steps (getitem and setitem flip instead).
        self.negative_steps = name != "torch"
        # Basic indexing gives views that in-place operators write through (see add_at).
        self._views_write_through = name in ("numpy", "torch", "cupy")
        # NumPy reads these arrays (for printing) without computing a graph or copying from a GPU.
        self.numpy_readable = name in ("numpy", "array_api_strict", "torch", "jax")
        # What a tensor's repr says of its backend: nothing for NumPy's, the default.
        self.repr_label = "" if name == "numpy" else f"backend={name}"
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
        self._kernels: dict = {}
        self._special: dict = {}

    def __repr__(self):
        return f"<acarray backend {self.name!r}>"

    @property
    def ns(self):
        """acarray's namespace for this backend (``acarray.<name>``), made by the builder that the
        namespace layer gives :func:`set_namespace_builder`."""
        if self._ns is None:
            if _namespace_builder is None:
                raise RuntimeError("acarray's namespaces are built by acarray._namespace; import acarray first")
            self._ns = _namespace_builder(self)
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

    # -- element-wise kernels ----------------------------------------------------

    def kernel(self, fname: str):
        """The backend's element-wise function ``fname`` (raw arrays in and out): its own, or, where
        it breaks one of the standard's special cases, a corrected one (see ``_CORRECTIONS``)."""
        k = self._kernels.get(fname)
        if k is None:
            k = getattr(self.xp, fname)
            correct = _CORRECTIONS.get(fname, {}).get(self.name)
            if correct is not None:
                k = correct(self, k)
            self._kernels[fname] = k
        return k

    def inplace_kernel(self, fname: str, raw):
        """``raw`` (an in-place operator, ``operator.ifloordiv``...) where :meth:`kernel` gives the
        backend's own ``fname``; else the corrected kernel's result written into the array."""
        k = self.kernel(fname)
        if k is getattr(self.xp, fname):
            return raw

        def update(a, v):
            out = k(a, v)
            return out if tuple(out.shape) != tuple(a.shape) else self.put(a, ..., out)

        return update

    def _any(self, mask) -> bool:
        """Whether ``mask`` has a true element; always True on lazy backends (no computation)."""
        return True if self.lazy else bool(self.xp.any(mask))

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

    def add_at(self, arr, key, value):
        """``arr[key] += value`` on an array of its own, for a basic index ``key`` (slices, integers,
        the ellipsis); returns the result (a new array on immutable backends).  Repeated positions,
        which only integer-array indices select, are :meth:`scatter_add_1d`'s."""
        if self._views_write_through:
            view = arr[key]
            view += value
            return arr
        if self.writeable:
            arr[key] = arr[key] + value
            return arr
        return arr.at[key].add(value)

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

    # -- special functions (SciPy's) ------------------------------------------------

    def numpy_function(self, fn):
        """``fn``, a function of NumPy arrays (SciPy's), as a function of this backend's arrays:
        ``fn`` itself on NumPy, mapped lazily over the blocks on Dask, and through NumPy and back
        elsewhere (CPU arrays only)."""
        if self.name == "numpy":
            return fn
        np = importlib.import_module("numpy")
        xp = self.xp
        if self.name == "dask":
            def blockwise(*args):
                probe = (np.ones((), dtype=a.dtype) if hasattr(a, "dtype") else a for a in args)
                with np.errstate(all="ignore"):
                    dtype = np.asarray(fn(*probe)).dtype
                return xp.map_blocks(fn, *args, dtype=dtype)

            return blockwise

        def through_numpy(*args):
            device = next(a.device for a in args if hasattr(a, "device"))
            out = fn(*(np.from_dlpack(a) if hasattr(a, "__dlpack__") else a for a in args))
            return xp.asarray(np.asarray(out), device=device)

        return through_numpy

    def special_function(self, name: str, several: bool = False):
        """The raw special function ``name`` (SciPy's name) from this backend's library (see
        ``_SPECIAL_LIBRARIES``), raw arrays in and out.  A function of ``several`` arguments also
        takes Python scalars, made arrays of the first array argument's dtype (torch.special and
        cupyx take none), except an order that the library wants as a Python int."""
        k = self._special.get((name, several))
        if k is None:
            if self.name not in _SPECIAL_LIBRARIES:
                raise TypeError(f"acarray.special has no special-function library for the {self.name} backend")
            module, others, int_orders = _SPECIAL_LIBRARIES[self.name]
            library = others.get(name, module)
            k = getattr(importlib.import_module(library), name)
            if library.startswith(("scipy", "numpy")):
                k = self.numpy_function(k)
            if several:
                k = _scalars_as_arrays(self, k, name in int_orders)
            self._special[name, several] = k
        return k

    # -- SciPy's signal and ndimage functions (acarray.scipy) -------------------------

    def scipy_function(self, module: str, name: str):
        """The raw function ``name`` of SciPy's ``module`` (``"signal"``, ``"ndimage"``) from this
        backend's SciPy-like library (see ``_SCIPY_LIBRARIES``), raw arrays in and out, keyword
        arguments passed on: SciPy's on NumPy, through NumPy and back on array-api-strict (CPU
        arrays only), ``cupyx.scipy``'s on CuPy, ``jax.scipy``'s on JAX.  A backend without one (see
        ``_NO_SCIPY_LIBRARY``) raises a TypeError naming the backend, why, and the backends that
        compute the function."""
        key = (self.name, module, name)
        k = _SCIPY_FUNCTIONS.get(key)
        if k is not None:
            return k
        where = f"acarray.scipy.{module}.{name}"
        library = _SCIPY_LIBRARIES.get(self.name)
        reason = _NO_SCIPY_LIBRARY.get((self.name, module)) or _NO_SCIPY_LIBRARY.get((self.name, None))
        if library is None or reason is not None:
            works = ", ".join(b for b in _SCIPY_LIBRARIES if (b, module) not in _NO_SCIPY_LIBRARY)
            raise TypeError(f"{where} does not compute on the {self.name} backend: "
                            f"{reason or 'it has no SciPy-like library'}; it works on {works} tensors (move a tensor "
                            "with acarray.numpy.asarray(t), which keeps the gradient flowing back to t)")
        try:
            lib = importlib.import_module(f"{library}.{module}")
        except ImportError as e:
            raise ImportError(f"{where} on the {self.name} backend needs {library} installed: {e}") from e
        k = getattr(lib, name, None)
        if k is None:
            raise TypeError(f"{where} does not compute on the {self.name} backend: {library}.{module} has no {name} "
                            "(a newer version may have it)")
        if self.name != "numpy" and library == "scipy":
            k = _scipy_through_numpy(self, k)
        correct = _SCIPY_CORRECTIONS.get(key)
        if correct is not None:
            k = correct(k)
        _SCIPY_FUNCTIONS[key] = k
        return k


# -- corrections of backend functions that break the standard's special cases --------
#
# Each is made once per backend from the backend's own function, which it calls first; it fixes
# the affected elements only where an argument has a value that the backend gets wrong, found by
# one cheap test, so that other calls cost that test (remainder's costs one copysign, and round's
# applies to complex arguments only).  Functions that no backend gets wrong run the backend's own
# function itself.  The standard's special cases in question:
#   floor_divide(+-inf, finite nonzero) is +-inf and floor_divide(finite nonzero, +-inf) is +-0,
#     floor(x1 / x2) (NumPy and PyTorch follow Python's //: NaN and -1);
#   pow(-0, 0.5) is +0, pow(-inf, 0.5) +inf, pow(-0, -0.5) +inf and pow(-inf, -0.5) +0 (NumPy
#     computes x ** 0.5 as sqrt(x), PyTorch also x ** -0.5 as 1 / sqrt(x));
#   remainder's result has the sign of x2, zeros included (PyTorch: the sign of x1 at zero);
#   expm1 of complex infinities and NaNs follows exp(z) - 1 (NumPy, PyTorch: NaN + NaN j);
#   log1p(+-inf + NaN j) and log1p(NaN +- inf j) are inf + NaN j, as log(1 + z) (PyTorch: NaN + NaN j);
#   acos(+-0 + 0j) is pi/2 - 0j (PyTorch: pi/2 + 0j);
#   round of a complex number rounds each part on its own (array-api-compat's PyTorch round
#     multiplies the imaginary part by 1j: NaN for infinite parts, zero signs lost).


def _is_scalar(v) -> bool:
    return isinstance(v, (int, float))


def _has_inf(b, v) -> bool:
    """Whether real ``v`` (an array or a Python scalar) holds an infinity."""
    if _is_scalar(v):
        return math.isinf(v)
    return b.kind(v.dtype) == "f" and b._any(b.xp.isinf(v))


def _floor_divide(b, raw):
    xp = b.xp

    def floor_divide(x1, x2, /):
        out = raw(x1, x2)
        if b.kind(out.dtype) != "f" or not (_has_inf(b, x1) or _has_inf(b, x2)):
            return out
        if _is_scalar(x1) or _is_scalar(x2):
            if math.isinf(x1 if _is_scalar(x1) else x2):  # every element is a case of an infinity
                return xp.floor(x1 / x2)
            infinite = xp.isinf(x2 if _is_scalar(x1) else x1)
        else:
            infinite = xp.isinf(x1) | xp.isinf(x2)
        return xp.where(infinite, xp.floor(x1 / x2), out)

    return floor_divide


def _pow(zero_d):
    """The correction of ``pow`` for a backend that computes x ** 0.5 as sqrt(x) and x ** -0.5 as
    1 / sqrt(x) for a Python scalar exponent (and, if ``zero_d``, a 0-d array): wrong at -0 and
    -inf, where the standard's value is that of abs(x)."""

    def half(b, v) -> bool:
        if _is_scalar(v):
            return v == 0.5 or v == -0.5
        return zero_d and v.ndim == 0 and b.kind(v.dtype) == "f" and bool((v == 0.5) | (v == -0.5))

    def make(b, raw):
        xp = b.xp

        def pow(x1, x2, /):
            out = raw(x1, x2)
            if b.kind(out.dtype) != "f" or not half(b, x2):
                return out
            if _is_scalar(x1):
                return raw(abs(x1), x2) if x1 == 0 or x1 == -math.inf else out
            wrong = (x1 == 0) | (x1 == -math.inf)
            return xp.where(wrong, raw(xp.abs(x1), x2), out) if b._any(wrong) else out

        return pow

    return make


def _remainder(b, raw):
    xp = b.xp

    def remainder(x1, x2, /):
        out = raw(x1, x2)
        return xp.copysign(out, x2) if b.kind(out.dtype) == "f" else out

    return remainder


def _complex_fix(wrong, formula):
    """A correction of a function of one complex argument at the elements where ``wrong(xp, z)``
    is true, where the standard's value is ``formula(xp, z)``."""

    def make(b, raw):
        xp = b.xp

        def corrected(x, /):
            out = raw(x)
            if b.kind(x.dtype) != "c":
                return out
            at = wrong(xp, x)
            return xp.where(at, formula(xp, x), out) if b._any(at) else out

        corrected.__name__ = raw.__name__
        return corrected

    return make


# exp(z) - 1, with -1 - 0j added: adding -0 keeps the sign of every imaginary part (PyTorch's
# z - 1 adds +0 to it, turning -0 into +0).
_expm1 = _complex_fix(lambda xp, z: ~xp.isfinite(z), lambda xp, z: xp.exp(z) + complex(-1.0, -0.0))
# One part infinite and the other NaN: log(1 + z) is inf + NaN j there.
_log1p = _complex_fix(lambda xp, z: xp.isinf(z) & xp.isnan(z), lambda xp, z: xp.log(1 + z))


def _torch_acos(b, raw):
    torch = importlib.import_module("torch")

    def acos(x, /):
        out = raw(x)
        if not x.dtype.is_complex:
            return out
        zero = x == 0
        if not bool(zero.any()):
            return out
        return torch.where(zero, torch.complex(out.real, -x.imag), out)  # pi/2 - 0j at +0j, pi/2 + 0j at -0j

    return acos


def _torch_round(b, raw):
    torch = importlib.import_module("torch")

    def round(x, /):
        if not x.dtype.is_complex:
            return raw(x)
        return torch.complex(torch.round(x.real), torch.round(x.imag))

    return round


_NUMPY_KERNELS = ("numpy", "array_api_strict", "dask")  # NumPy's functions compute them
_CORRECTIONS = {
    "floor_divide": {name: _floor_divide for name in _NUMPY_KERNELS + ("torch",)},
    "pow": {**{name: _pow(zero_d=True) for name in _NUMPY_KERNELS}, "torch": _pow(zero_d=False)},
    "remainder": {"torch": _remainder},
    "expm1": {name: _expm1 for name in _NUMPY_KERNELS + ("torch",)},
    "log1p": {"torch": _log1p},
    "acos": {"torch": _torch_acos},
    "round": {"torch": _torch_round},
}
CORRECTED = frozenset(_CORRECTIONS)  # functions that some backend corrects


# Each backend's special functions: (module, {function: module where the first lacks it}, functions
# whose first argument, an order, the module takes as a Python int).  SciPy and NumPy functions
# run through Backend.numpy_function.
_SPECIAL_LIBRARIES = {
    "numpy": ("scipy.special", {"sinc": "numpy"}, ()),
    "cupy": ("cupyx.scipy.special", {"sinc": "cupy"}, ()),
    "torch": ("torch.special", {"betainc": "scipy.special", "kl_div": "scipy.special"}, ("polygamma",)),
    "jax": ("jax.scipy.special", {"sinc": "jax.numpy"}, ("polygamma",)),
    "dask": ("scipy.special", {"sinc": "numpy"}, ()),
    "array_api_strict": ("scipy.special", {"sinc": "numpy"}, ()),
}


# Each backend's library of SciPy's signal and ndimage functions (Backend.scipy_function); the
# backends that have none, or lack one of its modules, are in _NO_SCIPY_LIBRARY with the reason
# (keyed by (backend, module), module None for all of them).
_SCIPY_LIBRARIES = {
    "numpy": "scipy",
    "array_api_strict": "scipy",  # through NumPy and back
    "cupy": "cupyx.scipy",
    "jax": "jax.scipy",
}
_NO_SCIPY_LIBRARY = {
    ("torch", None): "PyTorch has no SciPy-like signal or ndimage library",
    ("dask", None): "SciPy computes a whole array at a time, and mapped over Dask's blocks a convolution or "
                    "filter would be wrong where it reaches across their edges",
    ("jax", "ndimage"): "jax.scipy.ndimage has no filters",
}
_SCIPY_FUNCTIONS: dict = {}  # (backend name, module, function name) -> the function


def _covering(fn):
    """``fn``, JAX's ``convolve`` or ``correlate``, also for inputs neither of which is at least as
    large as the other along every axis, which JAX refuses and SciPy takes in modes 'full' and
    'same': ``in1`` zero-padded at its end to cover ``in2`` gives the 'full' result followed by
    zeros, cut back to SciPy's shape (and centred, for 'same')."""
    jnp = importlib.import_module("jax.numpy")

    def covering(in1, in2, mode="full", method="auto", **kwargs):
        s1, s2 = tuple(in1.shape), tuple(in2.shape)
        if mode == "valid" or len(s1) != len(s2) or all(map(operator.ge, s1, s2)) or all(map(operator.le, s1, s2)):
            return fn(in1, in2, mode=mode, method=method, **kwargs)
        full = fn(jnp.pad(in1, [(0, max(n2 - n1, 0)) for n1, n2 in zip(s1, s2)]), in2, mode="full", method=method,
                  **kwargs)
        if mode == "full":
            return full[tuple(slice(0, n1 + n2 - 1) for n1, n2 in zip(s1, s2))]
        return full[tuple(slice((n2 - 1) // 2, (n2 - 1) // 2 + n1) for n1, n2 in zip(s1, s2))]

    return covering


# Corrections of library functions, made once from the library's own: (backend, module, name) -> maker.
_SCIPY_CORRECTIONS = {
    ("jax", "signal", "convolve"): _covering,
    ("jax", "signal", "correlate"): _covering,
}


def _scipy_through_numpy(b, fn):
    """``fn``, a SciPy function of NumPy arrays, on backend ``b``'s arrays (converted through
    NumPy and back, onto the device of the first array argument); keyword arguments pass on."""
    np = importlib.import_module("numpy")
    xp = b.xp

    def to_numpy(a):
        return np.from_dlpack(a) if hasattr(a, "__dlpack__") else a

    def through_numpy(*args, **kwargs):
        device = next(a.device for a in args if hasattr(a, "device"))
        out = fn(*(to_numpy(a) for a in args), **{k: to_numpy(v) for k, v in kwargs.items()})
        return xp.asarray(np.asarray(out), device=device)

    through_numpy.__name__ = getattr(fn, "__name__", "through_numpy")
    return through_numpy


def _scalars_as_arrays(b, fn, int_order):
    """``fn`` with its Python scalar arguments as arrays of the first array argument's dtype
    (the first argument left as it is where ``int_order``)."""
    xp = b.xp
    scalars = (int, float)

    def kernel(*args):
        like = next((a for a in args if not isinstance(a, scalars)), None)
        if like is None:  # NumPy scalars only (np.float64 is a float)
            return fn(*args)
        args = [
            xp.asarray(a, dtype=like.dtype, device=compat.device(like))
            if isinstance(a, scalars) and not (i == 0 and int_order) else a
            for i, a in enumerate(args)
        ]
        return fn(*args)

    return kernel


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


# -- the namespace layer ---------------------------------------------------------------
#
# This module is the lowest layer: it imports none of acarray's.  The namespace layer above it
# (acarray._namespace, which assembles every op) hands over how it builds a backend's namespace.

_namespace_builder = None


def set_namespace_builder(build) -> None:
    """Make ``build(backend)`` what :attr:`Backend.ns` calls to build acarray's namespace of a
    backend (the namespace layer calls this when it is imported)."""
    global _namespace_builder
    _namespace_builder = build


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
