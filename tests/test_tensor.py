"""The Tensor as an array-API array object: attributes, operators, conversions, interop."""

from __future__ import annotations

import copy
import operator
import pickle

import numpy as np
import pytest
from conftest import make, to_numpy

import acarray
from acarray import Tensor
from acarray.testing import check_grads


def test_attributes(xp, rng):
    x = make(xp, rng, (2, 3))
    assert x.dtype == xp.float64
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6
    assert x.device == xp.asarray(x.data).device
    np.testing.assert_array_equal(to_numpy(x.T), to_numpy(x).T)
    y = make(xp, rng, (4, 2, 3))
    assert y.mT.shape == (4, 3, 2)
    with pytest.raises(ValueError, match="2-D"):
        y.T  # noqa: B018


ARITHMETIC = ["add", "sub", "mul", "truediv", "pow", "floordiv", "mod"]


@pytest.mark.parametrize("name", ARITHMETIC)
def test_arithmetic_operators_forward_reflected_inplace(xp, rng, name):
    op = getattr(operator, name)
    iop = getattr(operator, f"i{name}")
    a = make(xp, rng, (2, 3), low=0.5, high=1.5)
    b = make(xp, rng, (3,), low=0.5, high=1.5)
    an, bn = to_numpy(a), to_numpy(b)
    np.testing.assert_allclose(to_numpy(op(a, b)), op(an, bn))
    np.testing.assert_allclose(to_numpy(op(a, 2.0)), op(an, 2.0))
    np.testing.assert_allclose(to_numpy(op(2.0, a)), op(2.0, an))  # reflected
    c = xp.asarray(a, copy=True)
    c = iop(c, b)
    np.testing.assert_allclose(to_numpy(c), op(an, bn))
    np.testing.assert_allclose(to_numpy(a), an)  # the copy was modified, not a


def test_arithmetic_operators_differentiate(xp, rng):
    a = make(xp, rng, (2, 3), low=0.5, high=1.5)
    b = make(xp, rng, (3,), low=0.5, high=1.5)
    check_grads(lambda a, b: a + b - a * b / (b ** a) + (2.0 - a) * (3.0 / b) + 2.0 ** a - a % 0.3, a, b)


def test_matmul_operators(xp, rng):
    a, b = make(xp, rng, (2, 3)), make(xp, rng, (3, 3))
    np.testing.assert_allclose(to_numpy(a @ b), to_numpy(a) @ to_numpy(b))
    c = make(xp, rng, (4, 2))
    np.testing.assert_allclose(to_numpy(a.__rmatmul__(c)), to_numpy(c) @ to_numpy(a))
    c = xp.asarray(a, copy=True)
    c @= b
    np.testing.assert_allclose(to_numpy(c), to_numpy(a) @ to_numpy(b))
    check_grads(lambda a, b: a @ b, a, b)


@pytest.mark.parametrize("name", ["and", "or", "xor", "lshift", "rshift"])
def test_bitwise_operators(xp, name):
    a = xp.asarray([1, 6, 12], dtype=xp.int64)
    b = xp.asarray([3, 1, 2], dtype=xp.int64)
    op, iop = getattr(operator, f"{name}_" if name in ("and", "or") else name), getattr(operator, f"i{name}")
    expected = op(np.array([1, 6, 12]), np.array([3, 1, 2]))
    np.testing.assert_array_equal(to_numpy(op(a, b)), expected)
    np.testing.assert_array_equal(to_numpy(op(a, 1)), op(np.array([1, 6, 12]), 1))
    c = xp.asarray(a, copy=True)
    c = iop(c, b)
    np.testing.assert_array_equal(to_numpy(c), expected)
    np.testing.assert_array_equal(to_numpy(~a), ~np.array([1, 6, 12]))
    t = xp.asarray([True, False])
    np.testing.assert_array_equal(to_numpy(~t), [False, True])
    np.testing.assert_array_equal(to_numpy(t & xp.asarray([True, True])), [True, False])


def test_unary_operators(xp, rng):
    a = make(xp, rng, (3,))
    np.testing.assert_allclose(to_numpy(-a), -to_numpy(a))
    np.testing.assert_allclose(to_numpy(+a), to_numpy(a))
    np.testing.assert_allclose(to_numpy(abs(a)), np.abs(to_numpy(a)))


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_give_non_grad_bool(xp, rng, name):
    a = make(xp, rng, (3,)).requires_grad_(True)
    b = make(xp, rng, (3,))
    op = getattr(operator, name)
    r = op(a, b)
    assert r.dtype == xp.bool and not r.requires_grad and r.grad_fn is None
    np.testing.assert_array_equal(to_numpy(r), op(to_numpy(a), to_numpy(b)))
    np.testing.assert_array_equal(to_numpy(op(a, 0.0)), op(to_numpy(a), 0.0))


def test_python_conversions(xp):
    f = xp.asarray(2.5, dtype=xp.float64)
    assert float(f) == 2.5 and bool(f) is True and int(f) == 2
    assert complex(f) == 2.5 + 0j
    i = xp.asarray(3, dtype=xp.int64)
    assert operator.index(i) == 3 and [10, 20, 30, 40][i] == 40
    assert bool(xp.asarray(False)) is False
    z = xp.asarray(1 + 2j, dtype=xp.complex128)
    assert complex(z) == 1 + 2j
    assert xp.asarray([4.0], dtype=xp.float64).item() == 4.0


def test_python_conversions_of_tensor_requiring_grad(xp):
    x = xp.asarray(1.5, dtype=xp.float64, requires_grad=True)
    assert float(x) == 1.5 and bool(x)


def test_len_and_iter(xp, rng):
    x = make(xp, rng, (3, 2)).requires_grad_(True)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].shape == (2,)
    np.testing.assert_array_equal(to_numpy(rows[2]), to_numpy(x)[2])
    xp.sum(rows[0] * 2 + rows[2]).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(TypeError):
        len(xp.asarray(1.0))
    with pytest.raises(TypeError):
        iter(xp.asarray(1.0))


def test_dlpack(xp, rng):
    x = make(xp, rng, (3,))
    # NumPy imports host memory only; a GPU tensor goes to its own library.
    importer = xp.backend.xp if xp.backend.name == "cupy" else np
    out = importer.from_dlpack(x)
    np.testing.assert_array_equal(to_numpy(out), to_numpy(x))
    assert x.__dlpack_device__() == x.data.__dlpack_device__()
    back = xp.from_dlpack(x)
    np.testing.assert_array_equal(to_numpy(back), to_numpy(x))
    x.requires_grad_(True)
    with pytest.raises(RuntimeError, match="detach"):
        importer.from_dlpack(x)
    np.testing.assert_array_equal(to_numpy(importer.from_dlpack(x.detach())), to_numpy(x))


def test_to_device(xp, rng):
    x = make(xp, rng, (3,)).requires_grad_(True)
    y = x.to_device(x.device)
    assert y.device == x.device
    np.testing.assert_array_equal(to_numpy(y), to_numpy(x))
    xp.sum(y * 2).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("version", [None, "2023.12", "2024.12", "2025.12"])
def test_array_namespace_versions(xp, rng, version):
    x = make(xp, rng, (2,))
    assert x.__array_namespace__(api_version=version) is xp


@pytest.mark.parametrize("version", ["2021.12", "2022.12", "2026.12", "latest"])
def test_array_namespace_rejects_unknown_versions(xp, rng, version):
    with pytest.raises(ValueError, match="unsupported array API version"):
        make(xp, rng, (2,)).__array_namespace__(api_version=version)


@pytest.mark.filterwarnings("ignore:.mkldnn.:UserWarning")  # raised inside torch when listing devices
def test_array_namespace_info(xp):
    info = xp.__array_namespace_info__()
    caps = info.capabilities()
    assert {"boolean indexing", "data-dependent shapes"} <= set(caps)
    defaults = info.default_dtypes()
    assert {"real floating", "complex floating", "integral", "indexing"} <= set(defaults)
    assert "float64" in info.dtypes()
    assert info.default_device() in info.devices() or info.default_device() is None
    assert xp.__array_api_version__ == "2025.12"


def test_repr_shows_values_and_grad_fn(xp):
    x = xp.asarray([1.5, -2.0], dtype=xp.float64, requires_grad=True)
    assert "1.5" in repr(x) and "requires_grad=True" in repr(x)
    y = x * 2
    r = repr(y)
    assert "3." in r and "grad_fn=<MultiplyBackward>" in r
    if xp.backend.name != "numpy":
        assert xp.backend.name in r


def test_asarray_wraps_numpy_without_copy():
    arr = np.arange(3.0)
    t = acarray.asarray(arr)
    assert t.data is arr
    assert acarray.numpy.asarray(arr).data is arr


def test_asarray_of_backend_array_is_zero_copy(xp):
    raw = xp.backend.xp.asarray([1.0, 2.0])
    assert xp.asarray(raw).data is raw
    assert xp.asarray(raw, copy=False).data is raw
    copied = xp.asarray(raw, copy=True)
    assert copied.data is not raw
    np.testing.assert_array_equal(to_numpy(copied), [1.0, 2.0])


def test_mixing_backends_raises_naming_both():
    a = acarray.numpy.asarray([1.0, 2.0])
    b = acarray.torch.asarray([1.0, 2.0], dtype=acarray.torch.float64)
    with pytest.raises(TypeError, match="numpy.*torch"):
        a + b
    with pytest.raises(TypeError, match="torch.*numpy"):
        acarray.torch.matmul(b, a)
    import torch

    with pytest.raises(TypeError, match="numpy.*torch"):
        a * torch.ones(2, dtype=torch.float64)


def test_raw_arrays_and_scalars_are_constants(xp):
    w = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
    raw = xp.backend.xp.asarray([3.0, 4.0], dtype=xp.backend.xp.float64)
    y = xp.sum(w * raw + 2.0)
    y.backward()
    np.testing.assert_array_equal(to_numpy(w.grad), [3.0, 4.0])
    with acarray.no_grad():
        w2 = w - 0.5 * w.grad  # a raw array from .grad acts as a constant
    assert isinstance(w2, acarray.Tensor) and not w2.requires_grad


def test_numpy_array_on_the_left_gives_a_tensor():
    t = acarray.asarray([1.0, 2.0], requires_grad=True)
    arr = np.array([3.0, 4.0])
    for r in (arr + t, arr * t, arr - t, arr / t, arr @ t, arr > t):
        assert isinstance(r, acarray.Tensor), type(r)
    y = arr * t
    acarray.sum(y).backward()
    np.testing.assert_array_equal(t.grad, arr)


def test_array_conversion_refuses_when_requires_grad():
    t = acarray.asarray([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(t)
    np.testing.assert_array_equal(np.asarray(t.detach()), [1.0, 2.0])
    assert np.asarray(acarray.asarray([1.0])).dtype == np.float64


def test_asarray_of_nested_tensors_stacks_differentiably(xp, rng):
    a, b = make(xp, rng, (2,)), make(xp, rng, (2,))
    check_grads(lambda a, b: xp.asarray([a, b]), a, b)


def test_creation_functions_return_tensors(xp):
    for t in (xp.zeros((2,)), xp.ones((2, 2), dtype=xp.float32), xp.arange(3), xp.linspace(0, 1, 5),
              xp.eye(2), xp.full((2,), 3.0), xp.empty((1,)), xp.zeros_like(xp.ones(3))):
        assert isinstance(t, acarray.Tensor) and not t.requires_grad
    assert xp.ones((2,), dtype=xp.float32).dtype == xp.float32


def test_dtypes_are_the_backends_own(xp):
    raw = xp.backend.xp
    for name in ("float32", "float64", "int64", "bool", "complex128"):
        assert getattr(xp, name) == getattr(raw, name)
    assert xp.asarray([1.0], dtype=xp.float32).dtype == raw.float32


def test_asarray_of_a_tensor_keeps_the_graph(xp, rng):
    x = make(xp, rng, (3,))
    check_grads(lambda x: xp.asarray(x, copy=True) * 2, x)
    check_grads(lambda x: xp.asarray(x, dtype=xp.complex128) * (1 - 1j), x)
    t = x.detach().requires_grad_(True)
    assert xp.asarray(t) is t
    with pytest.raises(RuntimeError, match="leaves"):
        xp.asarray(t * 2, requires_grad=True)


@pytest.mark.filterwarnings("error")
def test_integer_scalar_operands_on_two_backends_do_not_warn():
    for name in ("numpy", "array_api_strict", "numpy"):
        ns = acarray.namespace(name)
        a = ns.asarray([1, 2], dtype=ns.int64)
        np.testing.assert_array_equal(to_numpy(a + 1), [2, 3])


def test_deepcopy_and_pickle_give_independent_leaves(xp, rng):
    x = make(xp, rng, (3,)).requires_grad_(True)
    xp.sum(x * x).backward()
    for y in (copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        assert type(y) is Tensor and y.is_leaf and y.requires_grad
        assert y.__array_namespace__() is xp and y.dtype == x.dtype
        np.testing.assert_array_equal(to_numpy(y), to_numpy(x))
        np.testing.assert_array_equal(to_numpy(y.grad), to_numpy(x.grad))
        with acarray.no_grad():
            y *= 2  # the copy has its own data
        np.testing.assert_array_equal(to_numpy(y), 2 * to_numpy(x))
    frozen = copy.deepcopy(x.detach())
    assert not frozen.requires_grad and frozen.grad is None
    for copier in (copy.deepcopy, pickle.dumps):
        with pytest.raises(RuntimeError, match="only leaf tensors.*computed by Multiply.*detach"):
            copier(x * 2)
    y = x * 2
    shallow = copy.copy(y)  # shares data and history
    assert shallow.data is y.data and shallow.grad_fn is y.grad_fn


def test_format_of_a_0d_tensor_is_its_scalars(xp):
    loss = xp.asarray(0.123456, requires_grad=True) * 2
    assert f"{loss:.3f}" == "0.247" and f"{xp.asarray(7):>3d}" == "  7"
    assert f"{xp.asarray([1.0, 2.0])}" == str(xp.asarray([1.0, 2.0]))
    with pytest.raises(TypeError):
        f"{xp.asarray([1.0, 2.0]):.2f}"
