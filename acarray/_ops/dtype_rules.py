"""The standard's dtype rules that backends do not enforce: which kinds of dtypes a function
accepts, and which pairs of operands promote.

NumPy and PyTorch happily compute ``sin`` of an integer array or add an ``int8`` array to a
``float32`` one; the standard leaves both undefined and array-api-strict refuses them.  acarray
refuses them too, with a TypeError that says what to do, so that code written against acarray
runs on every compliant backend.
"""

from __future__ import annotations

from .._backend import backend_of
from .._tensor import Tensor

# Kind codes: those of Backend.kind for arrays, upper case for Python scalars.
KIND_WORDS = {"b": "boolean", "i": "integer", "f": "real floating-point", "c": "complex floating-point"}
_SCALAR_KINDS = {bool: "B", int: "I", float: "F", complex: "C"}
# Which array kinds a Python scalar of each kind combines with.
_SCALAR_PARTNERS = {"B": "b", "I": "ifc", "F": "fc", "C": "fc"}


def _kind(value) -> str | None:
    """Kind code of an array, Tensor or Python scalar (None for anything else)."""
    if isinstance(value, Tensor):
        return value._b.kind(value.data.dtype)
    k = _SCALAR_KINDS.get(type(value))
    if k is not None:
        return k
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return backend_of(value).kind(value.dtype)
    return None


def describe(kinds: str) -> str:
    return " or ".join(KIND_WORDS[k] for k in kinds)


def _advice(kinds: str, k: str) -> str:
    """What to do with an array of kind ``k`` for a function of ``kinds``: a cast, where one helps."""
    if k in "bi" and "f" in kinds and "i" not in kinds:
        return "; cast it to a floating-point dtype with astype first"
    if k == "b" and "i" in kinds:
        return "; cast it to a numeric dtype with astype first"
    return ""


def require(name: str, kinds: str, *values) -> None:
    """Raise TypeError unless every array among ``values`` has a dtype of one of ``kinds``."""
    for v in values:
        k = _kind(v)
        if k is not None and k.islower() and k not in kinds:
            raise TypeError(f"{name} needs {describe(kinds)} input, got an array of dtype {v.dtype}"
                            + _advice(kinds, k))
        if k == "C" and "c" not in kinds:
            raise TypeError(f"{name} is not defined for complex values, got the Python complex {v}")


def require_promotable(name: str, x1, x2) -> None:
    """Raise TypeError unless the standard defines the type promotion of ``x1`` and ``x2``."""
    k1, k2 = _kind(x1), _kind(x2)
    if k1 is None or k2 is None:
        return
    if k1.isupper() or k2.isupper():
        if k1.isupper() and k2.isupper():
            return
        scalar, array, arr = (k1, k2, x2) if k1.isupper() else (k2, k1, x1)
        if array not in _SCALAR_PARTNERS[scalar]:
            py = {"B": "bool", "I": "int", "F": "float", "C": "complex"}[scalar]
            raise TypeError(f"{name}: a Python {py} cannot be combined with an array of dtype {arr.dtype} "
                            "(the array API standard does not define it); use a value of the array's kind")
        if scalar == "I" and array == "i":
            value = x1 if k1 == "I" else x2
            lo, hi = _int_bounds(arr)
            if not lo <= value <= hi:
                raise OverflowError(f"{name}: the Python int {value} does not fit the dtype {arr.dtype} "
                                    f"(range {lo} to {hi})")
        return
    if k1 == k2:
        if k1 == "i" and x1.dtype != x2.dtype and _mixes_uint64(x1, x2):
            raise TypeError(f"{name}: {x1.dtype} and {x2.dtype} have no common integer dtype; cast one first")
        return
    if k1 in "fc" and k2 in "fc":
        return
    raise TypeError(f"{name}: arrays of dtypes {x1.dtype} and {x2.dtype} do not promote in the array API "
                    "standard (it never mixes booleans, integers and floating-point); cast one with astype first")


_BOUNDS: dict = {}


def _int_bounds(x) -> tuple:
    """(min, max) of an integer array's dtype, memoised per backend and dtype (keyed by the
    backend's name first, so dtypes of two libraries are never compared: array-api-strict
    warns when they are)."""
    b = x._b if isinstance(x, Tensor) else backend_of(x)
    key = (b.name, x.dtype)
    bounds = _BOUNDS.get(key)
    if bounds is None:
        info = b.xp.iinfo(x.dtype)
        bounds = _BOUNDS[key] = (int(info.min), int(info.max))
    return bounds


def _mixes_uint64(x1, x2) -> bool:
    b = x1._b if isinstance(x1, Tensor) else backend_of(x1)
    u64 = getattr(b.xp, "uint64", None)
    if u64 is None or (x1.dtype != u64 and x2.dtype != u64):
        return False
    other = x2 if x1.dtype == u64 else x1
    return b.xp.isdtype(other.dtype, "signed integer")


def require_all_promotable(name: str, values) -> None:
    """Pairwise :func:`require_promotable` over arrays, dtypes' arrays and scalars."""
    values = list(values)
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            require_promotable(name, values[i], values[j])


def require_inplace(fn, x, other) -> None:
    """Checks for ``x <op>= other``: ``fn``'s dtype kinds, promotion, and a result of ``x``'s dtype."""
    name = fn.__name__
    require(name, getattr(fn, "kinds", "bifc"), x, other)
    require_promotable(name, x, other)
    k = _kind(other)
    if k == "C" and x._b.kind(x.data.dtype) != "c":
        raise TypeError(f"in-place {name} of a complex scalar would change the dtype of a {x.dtype} tensor")
    if k is not None and k.islower() and other.dtype != x.dtype and x._b.xp.result_type(x.dtype, other.dtype) != x.dtype:
        raise TypeError(f"in-place {name} would change the dtype of the tensor from {x.dtype} to "
                        f"{x._b.xp.result_type(x.dtype, other.dtype)}; use the out-of-place operator")
