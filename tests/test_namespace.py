"""Namespace completeness against array-api-strict, backend selection and per-backend modules."""

from __future__ import annotations

import subprocess
import sys
import types

import array_api_strict
import pytest
from conftest import to_numpy

import acarray

# Names array-api-strict exports that belong to it, not to the standard.
STRICT_ONLY = {
    "ArrayAPIStrictFlags",
    "Device",
    "get_array_api_strict_flags",
    "reset_array_api_strict_flags",
    "set_array_api_strict_flags",
    "__version__",
}
DTYPES = "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 complex128".split()
CONSTANTS = {"e", "inf", "nan", "pi", "newaxis"}


def _standard_names(module):
    return sorted(set(module.__all__) - STRICT_ONLY)


@pytest.mark.parametrize("part", ["", "linalg", "fft"])
def test_every_standard_name_exists(xp, part):
    strict = getattr(array_api_strict, part) if part else array_api_strict
    ours = getattr(xp, part) if part else xp
    names = _standard_names(strict)
    assert len(names) > (10 if part else 150)
    missing = [n for n in names if not hasattr(ours, n)]
    assert not missing, f"missing from acarray.{xp.backend.name}{'.' + part if part else ''}: {missing}"
    for n in names:
        obj = getattr(ours, n)
        if n in CONSTANTS:
            continue
        if n == "__array_api_version__":
            assert obj == "2025.12"
            continue
        if not part and n in ("linalg", "fft"):
            assert isinstance(obj, types.ModuleType)
            continue
        if n in DTYPES:
            assert obj == getattr(xp.backend.xp, n)
        else:
            assert callable(obj), n


def test_constants(xp):
    import math

    assert xp.e == math.e and xp.pi == math.pi and xp.inf == math.inf
    assert xp.nan != xp.nan and xp.newaxis is None


def test_per_backend_namespaces_are_modules():
    import acarray.array_api_strict as s
    import acarray.numpy as n
    import acarray.torch as t

    for ns, name in ((n, "numpy"), (t, "torch"), (s, "array_api_strict")):
        assert ns.__name__ == f"acarray.{name}"
        assert ns is acarray.namespace(name)
    assert len({n, t, s}) == 3  # hashable (SciPy keeps namespaces in sets)
    assert t.float32 is __import__("torch").float32
    x = t.asarray([1.0, 2.0], dtype=t.float64, requires_grad=True)
    t.sum(t.exp(x)).backward()
    assert type(x.grad).__module__.startswith("torch")


def test_namespace_accepts_name_module_or_array():
    import numpy as np

    assert acarray.namespace("numpy") is acarray.numpy
    assert acarray.namespace(np.ones(2)) is acarray.numpy
    assert acarray.namespace(array_api_strict) is acarray.array_api_strict
    with pytest.raises(ValueError, match="unknown acarray backend"):
        acarray.namespace("nosuch")


def test_default_namespace_is_numpy():
    assert acarray.asarray([1.0]).__array_namespace__() is acarray.numpy
    assert acarray.float64 is acarray.numpy.float64
    assert acarray.linalg.inv is acarray.numpy.linalg.inv


def _run(code, **env):
    import os

    full_env = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120)


def test_backend_environment_variable_selects_the_default():
    code = (
        "import acarray, torch; x = acarray.asarray([1.0, 2.0]);"
        "assert isinstance(x.data, torch.Tensor), type(x.data);"
        "assert acarray.float32 is torch.float32; print('ok')"
    )
    r = _run(code, ACARRAY_BACKEND="torch")
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_unknown_backend_in_environment_is_a_clear_error():
    r = _run("import acarray", ACARRAY_BACKEND="nosuch")
    assert r.returncode != 0 and "ACARRAY_BACKEND" in r.stderr


def test_array_namespace_is_usable_by_generic_code(xp):
    def generic(a):
        ns = a.__array_namespace__()
        return ns.sum(ns.linalg.vector_norm(a, axis=-1) * ns.mean(a))

    a = xp.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=xp.float64, requires_grad=True)
    generic(a).backward()
    assert a.grad is not None and a.grad.shape == (2, 2)


def test_unique_all_on_every_backend(xp):
    import numpy as np

    values = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 3.0]])
    x = xp.asarray(xp.asarray(values), requires_grad=True)
    r = xp.unique_all(x)
    expected = np.unique(values, return_index=True, return_inverse=True, return_counts=True)
    for got, want in zip(r, expected):  # values, first indices, inverse indices, counts
        np.testing.assert_array_equal(to_numpy(got), np.reshape(want, to_numpy(got).shape))
    assert r.inverse_indices.shape == x.shape and not r.values.requires_grad


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "uint64", "float16", "float32", "float64",
                                   "complex64"])
def test_numpy_backend_native_functions_agree_with_array_api_compat(dtype):
    """The NumPy backend reaches matmul, matrix_transpose and the reductions without compat's
    and NumPy's Python layers; values, dtypes and shapes must not change."""
    import array_api_compat.numpy as cnp
    import numpy as np

    from acarray._backend import backend_named

    fast = backend_named("numpy").xp
    assert fast.sum is not cnp.sum and fast.matmul is not cnp.matmul
    x = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    empty = np.zeros((0, 3), dtype=dtype)
    cases = [(name, (a,), kw) for name in ("sum", "prod", "max", "min")
             for a in (x, x[0, 0, 0], empty)
             for kw in ({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1, "keepdims": True})
             if a.ndim >= 3 or not kw]
    cases.append(("matrix_transpose", (x,), {}))
    if dtype != "bool":
        cases.append(("matmul", (x, np.ones((4, 2), dtype=dtype)), {}))
    for name, args, kw in cases:
        try:
            expected = getattr(cnp, name)(*args, **kw)
        except ValueError as e:  # max and min of an empty array
            with pytest.raises(ValueError, match="zero-size"):
                getattr(fast, name)(*args, **kw)
            assert "zero-size" in str(e)
            continue
        got = getattr(fast, name)(*args, **kw)
        assert np.asarray(got).dtype == np.asarray(expected).dtype, (name, kw)
        assert np.asarray(got).shape == np.asarray(expected).shape, (name, kw)
        np.testing.assert_array_equal(got, expected)
