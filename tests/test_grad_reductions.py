"""Gradients of reductions and cumulative functions against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make, to_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acarray.testing import check_grads

# (function name, keyword arguments); each row runs on a (2, 3, 4) input.
REDUCTIONS = [
    ("sum", {}),
    ("sum", {"axis": 1}),
    ("sum", {"axis": (0, 2), "keepdims": True}),
    ("sum", {"axis": -1}),
    ("prod", {}),
    ("prod", {"axis": -2}),
    ("prod", {"axis": (0, -1), "keepdims": True}),
    ("mean", {"axis": (1, 2)}),
    ("mean", {"axis": -3, "keepdims": True}),
    ("max", {"axis": 1}),
    ("max", {}),
    ("min", {"axis": (0, 2), "keepdims": True}),
    ("var", {"axis": 2}),
    ("var", {"axis": (0, 1), "correction": 1, "keepdims": True}),
    ("std", {}),
    ("std", {"axis": -1, "correction": 1.0}),
    ("cumulative_sum", {"axis": 1}),
    ("cumulative_sum", {"axis": -1, "include_initial": True}),
    ("cumulative_prod", {"axis": 0}),
    ("cumulative_prod", {"axis": -1, "include_initial": True}),
]
SECOND_ORDER = {"prod", "var", "std", "cumulative_prod"}


def _id(row):
    name, kw = row
    return name + "".join(f"-{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("row", REDUCTIONS, ids=_id)
def test_reduction(xp, rng, row):
    name, kw = row
    x = make(xp, rng, (2, 3, 4), low=0.5, high=1.5) if name in ("prod", "cumulative_prod") else make(xp, rng, (2, 3, 4))
    check_grads(lambda x: getattr(xp, name)(x, **kw), x, order=2 if name in SECOND_ORDER else 1)


@pytest.mark.parametrize("name", ["prod", "cumulative_prod"])
@pytest.mark.parametrize("zeros", [[1], [0, 2]], ids=["one-zero", "two-zeros"])
def test_products_with_zeros(xp, rng, name, zeros):
    values = rng.uniform(0.5, 1.5, size=(3, 4))
    values[1, zeros] = 0.0
    x = xp.asarray(xp.asarray(values))
    check_grads(lambda x: getattr(xp, name)(x, axis=1), x, order=2)
    check_grads(lambda x: xp.prod(x), x)


def test_prod_gradient_at_a_single_zero_is_product_of_others(xp):
    x = xp.asarray([2.0, 0.0, 3.0], dtype=xp.float64, requires_grad=True)
    xp.prod(x).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [0.0, 6.0, 0.0])


def test_cumulative_1d_without_axis(xp, rng):
    x = make(xp, rng, (4,), low=0.5, high=1.5)
    check_grads(xp.cumulative_sum, x)
    check_grads(xp.cumulative_prod, x)
    check_grads(lambda x: xp.cumulative_prod(x, include_initial=True), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_share_the_gradient_evenly(xp, name):
    x = xp.asarray([[3.0, 1.0, 3.0], [1.0, 1.0, 2.0]], dtype=xp.float64, requires_grad=True)
    getattr(xp, name)(x, axis=1).backward(grad=xp.asarray([1.0, 1.0], dtype=xp.float64))
    expected = [[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]] if name == "max" else [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]
    np.testing.assert_allclose(to_numpy(x.grad), expected)


def test_whole_array_max_with_ties(xp):
    x = xp.asarray([2.0, 2.0, 2.0, 1.0], dtype=xp.float64, requires_grad=True)
    xp.max(x).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_sum_with_dtype(xp, rng):
    x = make(xp, rng, (2, 3), dtype="float32").requires_grad_(True)
    y = xp.sum(x, dtype=xp.float64)
    assert y.dtype == xp.float64
    y.backward()
    assert x.grad.dtype == xp.float32
    np.testing.assert_array_equal(to_numpy(x.grad), np.ones((2, 3)))


def test_reductions_of_0d_input(xp):
    x = xp.asarray(1.5, dtype=xp.float64)
    for name in ("sum", "prod", "mean", "max", "min"):
        check_grads(getattr(xp, name), x)


def test_nondifferentiable_reductions_carry_no_grad(xp, rng):
    x = make(xp, rng, (2, 3)).requires_grad_(True)
    for r in (xp.argmax(x, axis=1), xp.argmin(x), xp.count_nonzero(x), xp.all(x), xp.any(x > 0)):
        assert not r.requires_grad


@st.composite
def axes_and_shape(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    ndim = len(shape)
    axes = draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim, max_size=ndim))
    return shape, tuple(axes) if axes or draw(st.booleans()) else None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=axes_and_shape(), keepdims=st.booleans(),
       name=st.sampled_from(["sum", "prod", "mean", "max", "min", "var", "std"]), seed=st.integers(0, 100))
def test_reductions_over_random_axes(xp, case, keepdims, name, seed):
    shape, axis = case
    rng = np.random.default_rng(seed)
    x = make(xp, rng, shape, low=0.5, high=1.5)
    fn = getattr(xp, name)
    expected = getattr(np, name)(to_numpy(x), axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(to_numpy(fn(x, axis=axis, keepdims=keepdims)), expected)
    if name in ("var", "std") and np.size(to_numpy(x)) == np.size(expected):
        return  # a variance over single elements is 0 everywhere; std is not differentiable there
    check_grads(lambda x: fn(x, axis=axis, keepdims=keepdims), x)
