"""The element-wise fast path gives what the general path gives, bit for bit.

Every element-wise function keeps, per call signature (backends, dtypes, the class of a
Python scalar), what its first call found, and later calls with that signature skip the
dtype rules and :func:`~acarray._autograd.apply`.  Here each function is called with each
signature once with its cache emptied (the general path) and again (the fast path), and the
two results must agree exactly: values (signs of zeros and NaN included), dtypes, whether
they require grad, and the gradients and their dtypes after backward() with seeds of the
output's dtype, of another dtype and as a Python list.  A Python scalar of another value
than the first call's must also give what the general path gives for it.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_numpy

from acarray._ops import elementwise

NAMES = sorted(elementwise.FUNCTIONS)
UNARY = {n for n in NAMES if elementwise.FUNCTIONS[n].__code__.co_argcount == 1}

VALUES = {
    "float": np.array([0.0, -0.0, 0.5, 1.5, -2.0, 3.0]),
    "int": np.array([0, 1, 2, -3, 4, 5]),
    "bool": np.array([True, False, True, True, False, False]),
}
KIND = {"float32": "float", "float64": "float", "int64": "int", "int32": "int", "bool": "bool"}

# A tensor: (dtype, 0-d); a Python scalar: its class and two values.
UNARY_SIGNATURES = [("float64", False), ("float32", False), ("float64", True), ("int64", False), ("bool", False)]
BINARY_SIGNATURES = [
    (("float64", False), ("float64", False)),
    (("float32", False), ("float32", False)),
    (("float32", False), ("float64", False)),
    (("int64", False), ("float32", False)),
    (("int32", False), ("int64", False)),
    (("bool", False), ("bool", False)),
    (("bool", False), ("float64", False)),
    (("float64", True), ("float64", False)),
    (("float32", False), ("float64", True)),
    (("float32", False), (float, (2.0, -0.0))),
    (("float32", False), (float, (0.3, 1.7))),
    ((float, (0.3, 1.7)), ("float32", False)),
    ((float, (0.0, 3.5)), ("float32", False)),
    (("float64", False), (int, (2, 0))),
    ((int, (3, -1)), ("float32", False)),
    (("int64", False), (float, (0.5, 2.0))),
    (("int64", False), (int, (2, 3))),
    (("float32", False), (bool, (True, False))),
    (("bool", False), (bool, (False, True))),
    (("float64", False), (complex, (1j, 0j))),
]


def _cache(fn):
    """The function's per-signature cache (a dict in its closure)."""
    names = fn.__code__.co_freevars
    assert "fast" in names, f"{fn.__name__} keeps no fast-path cache"
    return fn.__closure__[names.index("fast")].cell_contents


def _operand(xp, spec, which):
    """A fresh argument for ``spec``: a tensor (requiring grad where floating) or a Python scalar."""
    if isinstance(spec[0], type):
        return spec[1][which]
    dtype, zero_d = spec
    values = VALUES[KIND[dtype]].astype(dtype)
    t = xp.asarray(xp.asarray(values[2] if zero_d else values))
    if KIND[dtype] == "float":
        t.requires_grad_()
    return t


def _bits(t):
    a = np.asarray(to_numpy(t))
    return a.dtype, a.shape, a.tobytes() if a.dtype.kind != "f" else np.concatenate(
        [np.signbit(a).ravel(), np.isnan(a).ravel(), np.nan_to_num(a).ravel()])


def _same(what, a, b):
    da, sa, va = _bits(a)
    db, sb, vb = _bits(b)
    assert (da, sa) == (db, sb), f"{what}: {da}{sa} on the fast path, {db}{sb} on the general one"
    assert np.array_equal(va, vb), f"{what}: {to_numpy(a)} on the fast path, {to_numpy(b)} on the general one"


def _seeds(xp, y):
    """Seeds for backward(): of y's dtype, of another floating dtype, a Python list."""
    shape = tuple(y.shape)
    ones = np.linspace(0.5, 2.0, int(np.prod(shape))).reshape(shape)
    other = xp.float32 if y.dtype == xp.float64 else xp.float64
    return {
        "own dtype": lambda: xp.asarray(xp.asarray(ones), dtype=y.dtype),
        "other dtype": lambda: xp.asarray(xp.asarray(ones), dtype=other),
        "list": lambda: ones.tolist(),
    }


def _call(xp, fn, specs, which, seed):
    """fn on fresh arguments; its output and the gradients backward(seed) leaves (None where none)."""
    args = [_operand(xp, s, which) for s in specs]
    try:
        y = fn(*args)
    except (TypeError, ValueError, RuntimeError) as e:  # refused, or an integer division by zero (torch)
        return e, None
    grads = None
    if y.requires_grad and seed is not None:
        s = _seeds(xp, y)[seed]()
        y.backward(s)
        grads = [a.grad if hasattr(a, "grad") else None for a in args]
    return y, grads


def _compare(name, xp, fn, specs, seed):
    cache = _cache(fn)
    for which in (0, 1):
        cache.clear()
        general, g_grads = _call(xp, fn, specs, which, seed)  # no entry: the general path
        key_count = len(cache)
        fast, f_grads = _call(xp, fn, specs, which, seed)
        what = f"{name}{tuple(s[0].__name__ if isinstance(s[0], type) else s for s in specs)} [{which}, {seed}]"
        if isinstance(general, Exception):
            assert isinstance(fast, type(general)), f"{what}: the general path raised {general!r}, the fast path gave {fast!r}"
            continue
        assert not isinstance(fast, Exception), f"{what}: the fast path raised {fast!r}"
        _same(f"{what}: value", fast, general)
        assert fast.requires_grad == general.requires_grad, f"{what}: requires_grad differs"
        if g_grads is not None or f_grads is not None:
            assert (g_grads is None) == (f_grads is None), f"{what}: backward ran on one path only"
            for i, (a, b) in enumerate(zip(f_grads, g_grads)):
                assert (a is None) == (b is None), f"{what}: gradient of argument {i} on one path only"
                if a is not None:
                    _same(f"{what}: gradient of argument {i}", a, b)
        if which == 1 and key_count:  # a second value of a Python scalar: the cached signature again
            again, a_grads = _call(xp, fn, specs, 0, seed)
            cache.clear()
            ref, r_grads = _call(xp, fn, specs, 0, seed)
            if not isinstance(ref, Exception):
                _same(f"{what}: value after another scalar", again, ref)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", NAMES)
def test_fast_path_matches_general_path(name, xp):
    fn = getattr(xp, name)
    signatures = [(s,) for s in UNARY_SIGNATURES] if name in UNARY else BINARY_SIGNATURES
    for specs in signatures:
        for seed in ("own dtype", "other dtype", "list"):
            _compare(name, xp, fn, specs, seed)


def test_every_function_is_covered():
    """Each element-wise function has a cache and is called here with one or two arguments."""
    for name in NAMES:
        fn = elementwise.FUNCTIONS[name]
        _cache(fn)
        assert fn.__code__.co_argcount in (1, 2), name
