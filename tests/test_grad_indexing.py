"""Gradients of indexing, take, take_along_axis and sort against finite differences."""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest
from conftest import make, to_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

from acarray.testing import check_grads


def ints(xp, values):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=np.int64)))


def bools(xp, values):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=bool)))


# (id, function of (xp, x) on a (3, 4) input)
BASIC = [
    ("int", lambda xp, x: x[1, ...]),
    ("int-int", lambda xp, x: x[1, -1]),
    ("slice", lambda xp, x: x[1:, ::2]),
    ("negative-step", lambda xp, x: x[::-1, 3:0:-2]),
    ("newaxis", lambda xp, x: x[None, 1:, None, :]),
    ("ellipsis", lambda xp, x: x[..., 2]),
    ("ellipsis-newaxis", lambda xp, x: x[..., None, 1:3]),
    ("int-array-repeats", lambda xp, x: x[ints(xp, [0, 2, 0, 0]), 1]),
    ("int-arrays-2d", lambda xp, x: x[ints(xp, [[0, 2, 2]]), ints(xp, [1, 1, 3])]),
    ("int-array-flat", lambda xp, x: xp.reshape(x, (-1,))[ints(xp, [11, 0, 11])]),
    ("bool-mask-full", lambda xp, x: x[x > 0]),
    ("bool-mask-constant", lambda xp, x: x[bools(xp, [[True, False, True, True]] * 3)]),
    ("bool-mask-1d", lambda xp, x: x[0, ...][bools(xp, [False, True, True, False])]),
    ("take", lambda xp, x: xp.take(x, ints(xp, [3, 0, 3]), axis=1)),
    ("take-negative-axis", lambda xp, x: xp.take(x, ints(xp, [2, 2]), axis=-2)),
    ("take-1d", lambda xp, x: xp.take(xp.reshape(x, (-1,)), ints(xp, [5, 5, 11]))),
    ("take_along_axis", lambda xp, x: xp.take_along_axis(x, ints(xp, [[0, 0], [3, 1], [2, 2]]), axis=1)),
    ("take_along_axis-0", lambda xp, x: xp.take_along_axis(x, ints(xp, [[0, 2, 1, 1]]), axis=0)),
    ("sort", lambda xp, x: xp.sort(x)),
    ("sort-descending-axis0", lambda xp, x: xp.sort(x, axis=0, descending=True)),
]
# Keys outside the standard that NumPy, PyTorch and CuPy accept (array-api-strict refuses them).
BEYOND_STANDARD = [
    ("empty-tuple", lambda xp, x: x[()]),
    ("int-array-ellipsis", lambda xp, x: x[ints(xp, [0, 2, 0, 0]), ...]),
    ("int-array-and-slice", lambda xp, x: x[1:, ints(xp, [3, 3, 0])]),
    ("bool-mask-rows", lambda xp, x: x[bools(xp, [True, False, True]), ...]),
    ("negative-step-and-array", lambda xp, x: x[ints(xp, [2, 0]), ::-1]),
]


@pytest.mark.parametrize("row", BASIC, ids=[r[0] for r in BASIC])
def test_indexing(xp, rng, row):
    _, fn = row
    check_grads(lambda x: fn(xp, x), make(xp, rng, (3, 4)), order=2)


@pytest.mark.parametrize("row", BEYOND_STANDARD, ids=[r[0] for r in BEYOND_STANDARD])
def test_indexing_beyond_the_standard(xp, rng, row):
    if xp.backend.name == "array_api_strict":
        pytest.skip("array-api-strict refuses keys outside the standard")
    check_grads(lambda x: row[1](xp, x), make(xp, rng, (3, 4)))


def test_repeated_integer_indices_add_up(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64, requires_grad=True)
    xp.sum(x[ints(xp, [0, 0, 2, 0])]).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [3.0, 0.0, 1.0])


def test_take_repeated_indices_add_up(xp):
    x = xp.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=xp.float64, requires_grad=True)
    xp.sum(xp.take(x, ints(xp, [1, 1, 1]), axis=1)).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [[0.0, 3.0], [0.0, 3.0]])


def test_sort_sends_gradient_back_stably(xp):
    x = xp.asarray([3.0, 1.0, 3.0, 2.0], dtype=xp.float64, requires_grad=True)
    s = xp.sort(x)
    np.testing.assert_array_equal(to_numpy(s), [1.0, 2.0, 3.0, 3.0])
    s.backward(grad=xp.asarray([10.0, 20.0, 30.0, 40.0], dtype=xp.float64))
    np.testing.assert_array_equal(to_numpy(x.grad), [30.0, 10.0, 40.0, 20.0])


def test_indices_of_tensors_are_accepted(xp, rng):
    x = make(xp, rng, (3, 4))
    i = ints(xp, [2, 0])
    np.testing.assert_array_equal(to_numpy(x[i, 1]), to_numpy(x)[[2, 0], 1])
    np.testing.assert_array_equal(to_numpy(x[xp.asarray(1), 2]), to_numpy(x)[1, 2])


def test_getitem_matches_numpy(xp, rng):
    x = make(xp, rng, (3, 4))
    xn = to_numpy(x)
    np.testing.assert_array_equal(to_numpy(x[::-1, None, 1]), xn[::-1, None, 1])
    np.testing.assert_array_equal(to_numpy(x[2:0:-1, -1::-3]), xn[2:0:-1, -1::-3])
    np.testing.assert_array_equal(to_numpy(x[1:2:-1, ...]), xn[1:2:-1, ...])
    np.testing.assert_array_equal(to_numpy(x[x > 0]), xn[xn > 0])


def test_argsort_and_searching_carry_no_grad(xp, rng):
    x = make(xp, rng, (5,)).requires_grad_(True)
    for r in (xp.argsort(x), xp.nonzero(x > 0)[0], xp.searchsorted(xp.sort(x), x), xp.unique_values(x)):
        assert not r.requires_grad


_xps = make_strategies_namespace(array_api_strict)


@st.composite
def shape_and_key(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple))
    return shape, draw(_xps.indices(shape, allow_newaxis=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=shape_and_key(), seed=st.integers(0, 100))
def test_random_basic_keys(xp, case, seed):
    shape, key = case
    rng = np.random.default_rng(seed)
    x = make(xp, rng, shape)
    np.testing.assert_array_equal(to_numpy(x[key]), to_numpy(x)[key])
    check_grads(lambda x: x[key] * 1.0, x)

    # The standard has no new axes in assignments.
    set_key = tuple(k for k in key if k is not None) if isinstance(key, tuple) else key
    if set_key is None:
        return

    def assign(x, v):
        t = x * 2.0
        t[set_key] = v
        return t

    ref = to_numpy(x) * 2.0
    v = make(xp, rng, ref[set_key].shape)
    ref[set_key] = to_numpy(v)
    np.testing.assert_array_equal(to_numpy(assign(x, v)), ref)
    check_grads(assign, x, v)
