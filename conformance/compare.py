"""Comparing acarray's result with array-api-strict's: structure, dtype, shape and values."""

from __future__ import annotations

import array_api_strict as strict
import numpy as np

from acarray import Tensor

from .targets import STRICT_ARRAY, STRICT_DTYPE, as_numpy, dtype_name

# Relative tolerance per dtype.  The absolute tolerance is the same number; for results that mix
# many inputs (reductions, linear algebra, transforms: ``mixes=True``) it is scaled by the largest
# finite magnitude of the reference, which absorbs cancellation.
RTOL = {"float32": 3e-5, "complex64": 3e-5, "float64": 1e-10, "complex128": 1e-10}


class Mismatch(AssertionError):
    """acarray's result differs from array-api-strict's."""


def _name(ns_dtype, ns) -> str:
    return dtype_name(ns, ns_dtype) or repr(ns_dtype)


def assert_same(mine, ref, ns, *, tol: float = 1.0, mixes: bool = False, defaults=None, where: str = "result") -> None:
    """Raise :class:`Mismatch` unless ``mine`` (acarray, namespace ``ns``) matches ``ref`` (strict).

    ``defaults`` maps strict's default dtype names to the backend's, for results whose dtype is
    the library's default (creation without ``dtype=``)."""
    if isinstance(ref, STRICT_ARRAY):
        if not isinstance(mine, Tensor):
            raise Mismatch(f"{where}: expected an array, got {type(mine).__name__}")
        _same_array(mine, ref, ns, tol, mixes, defaults or {}, where)
    elif isinstance(ref, (tuple, list)):
        if not isinstance(mine, (tuple, list)) or len(mine) != len(ref):
            raise Mismatch(f"{where}: expected a sequence of {len(ref)}, got {_describe(mine)}")
        if hasattr(ref, "_fields") and getattr(mine, "_fields", None) != ref._fields:
            raise Mismatch(f"{where}: expected fields {ref._fields}, got {getattr(mine, '_fields', None)}")
        for i, (a, b) in enumerate(zip(mine, ref)):
            assert_same(a, b, ns, tol=tol, mixes=mixes, defaults=defaults, where=f"{where}[{i}]")
    elif isinstance(ref, STRICT_DTYPE):
        if _name(mine, ns) != _name(ref, strict):
            raise Mismatch(f"{where}: dtype {_name(mine, ns)}, expected {_name(ref, strict)}")
    elif isinstance(ref, np.ndarray):  # canonical forms computed by a case
        _same_values(np.asarray(mine), ref, tol, mixes, where)
    elif isinstance(ref, (bool, int, float, complex, str, type(None))):
        both_nan = isinstance(ref, (float, complex)) and np.isnan(ref) and np.isnan(mine)
        if not (mine == ref or both_nan):
            raise Mismatch(f"{where}: {mine!r}, expected {ref!r}")
    else:
        raise TypeError(f"{where}: no comparison for {type(ref).__name__}")


def _describe(v) -> str:
    return f"{type(v).__name__} of {len(v)}" if isinstance(v, (tuple, list)) else type(v).__name__


def _same_array(mine: Tensor, ref, ns, tol, mixes, defaults, where):
    got, want = _name(mine.dtype, ns), _name(ref.dtype, strict)
    if got != want and defaults.get(want) == got:
        want = got  # the backend's default dtype where strict uses its own
    if got != want:
        raise Mismatch(f"{where}: dtype {got}, expected {want}")
    values = as_numpy(mine)
    shape = tuple(mine.shape)
    if not all(isinstance(n, int) for n in shape):  # Dask: unknown until computed (boolean masks)
        shape = values.shape
    if shape != tuple(ref.shape):
        raise Mismatch(f"{where}: shape {shape}, expected {tuple(ref.shape)}")
    _same_values(values, as_numpy(ref), tol, mixes, where, rtol=RTOL.get(want, 0.0))


def _same_values(a: np.ndarray, b: np.ndarray, tol, mixes, where, rtol=None):
    if a.shape != b.shape:
        raise Mismatch(f"{where}: shape {a.shape}, expected {b.shape}")
    if rtol is None:
        rtol = RTOL.get(str(b.dtype), 0.0)
    rtol *= tol
    if np.iscomplexobj(a) or np.iscomplexobj(b):
        # Complex special values differ between libraries (inf+nanj or nan+nanj): only
        # where a result is finite is compared, and non-finite must meet non-finite.
        fa, fb = np.isfinite(a), np.isfinite(b)
        if not np.array_equal(fa, fb):
            bad = np.flatnonzero((fa != fb).reshape(-1))[:4]
            raise Mismatch(f"{where}: finite at different positions {bad.tolist()}: got "
                           f"{a.reshape(-1)[bad].tolist()}, expected {b.reshape(-1)[bad].tolist()}")
        a, b = np.where(fa, a, 0), np.where(fb, b, 0)
        _same_values(np.real(a), np.real(b), 1.0, mixes, f"{where} (real part)", rtol)
        _same_values(np.imag(a), np.imag(b), 1.0, mixes, f"{where} (imaginary part)", rtol)
        return
    if not rtol:
        if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
            raise Mismatch(f"{where}: values differ\n  got      {_clip(a)}\n  expected {_clip(b)}")
        return
    scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=1.0)) if mixes else 1.0
    with np.errstate(all="ignore"):
        close = np.isclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)
    if not np.all(close):
        bad = np.flatnonzero(~close.reshape(-1))[:4]
        got = a.reshape(-1)[bad]
        want = b.reshape(-1)[bad]
        raise Mismatch(f"{where}: values differ (rtol {rtol:g}) at flat positions {bad.tolist()}: "
                       f"got {got.tolist()}, expected {want.tolist()}")


def _clip(a) -> str:
    text = " ".join(np.array2string(np.asarray(a), threshold=20).split())
    return text if len(text) < 300 else text[:297] + "..."
