"""In-place semantics: recorded updates, leaf protection, setitem gradients and version checks."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from conftest import make, to_numpy

import acarray
from acarray.testing import check_grads

INPLACE = ["iadd", "isub", "imul", "itruediv", "ipow"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_on_non_leaf_records(xp, rng, name):
    iop = getattr(operator, name)
    op = getattr(operator, name[1:])

    def f(x, y):
        t = x * 1.5  # a non-leaf
        t = iop(t, y)
        return t * x

    def reference(x, y):
        return op(x * 1.5, y) * x

    x, y = make(xp, rng, (2, 3), low=0.5, high=1.5), make(xp, rng, (3,), low=0.5, high=1.5)
    np.testing.assert_allclose(to_numpy(f(x, y)), to_numpy(reference(x, y)))
    check_grads(f, x, y, order=2)


def test_inplace_keeps_the_tensor_object_and_takes_the_new_history(xp, rng):
    x = make(xp, rng, (3,)).requires_grad_(True)
    t = x * 2
    same = t
    t += 1.0
    assert t is same and t.grad_fn.name == "Add"
    t *= x
    xp.sum(t).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 4 * to_numpy(x) + 1)


def test_inplace_matmul(xp, rng):
    a, b = make(xp, rng, (2, 3)), make(xp, rng, (3, 3))

    def f(a, b):
        t = a + 0.0
        t @= b
        return t

    check_grads(f, a, b)


def test_inplace_with_a_grad_operand_on_a_constant(xp, rng):
    y = make(xp, rng, (3,)).requires_grad_(True)
    t = xp.ones((3,), dtype=xp.float64)
    t *= y
    assert t.requires_grad
    xp.sum(t * t).backward()
    np.testing.assert_allclose(to_numpy(y.grad), 2 * to_numpy(y))


def test_inplace_on_leaf_requiring_grad_raises(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*no_grad"):
        x += 1.0
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 5.0
    np.testing.assert_array_equal(to_numpy(x), [1.0, 2.0])


def test_inplace_on_leaf_works_under_no_grad(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
    with acarray.no_grad():
        x -= 0.5
        x[1] = 7.0
    np.testing.assert_array_equal(to_numpy(x), [0.5, 7.0])
    assert x.requires_grad and x.is_leaf
    xp.sum(x * x).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [1.0, 14.0])


def test_setitem_negative_steps_without_grad(xp):
    x = xp.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=xp.float64)
    x[:, ::-2] = xp.asarray([10.0, 30.0], dtype=xp.float64)
    x[1, 1::-1] = 7.0
    np.testing.assert_array_equal(to_numpy(x), [[30.0, 2.0, 10.0], [7.0, 7.0, 10.0]])


def test_untracked_inplace_writes_into_the_backend_array():
    arr = np.array([1.0, 2.0])
    t = acarray.asarray(arr)
    t += 1.0
    t[0] = 10.0
    assert t.data is arr
    np.testing.assert_array_equal(arr, [10.0, 3.0])


# (id, input shape, key of (xp), value shape or None for a Python scalar)
SETITEM = [
    ("int", (3, 4), lambda xp: (1, ...), (4,)),
    ("slice-broadcast", (3, 4), lambda xp: (slice(0, 2), slice(None, None, 2)), (2,)),
    ("negative-step", (3, 4), lambda xp: (slice(None, None, -1), 0), (3,)),
    ("scalar-value", (3, 4), lambda xp: (slice(1, None), 2), None),
    ("ellipsis", (2, 3, 2), lambda xp: (..., 1), (2, 3)),
    ("bool-mask", (3, 4), lambda xp: xp.asarray(xp.asarray(np.arange(12).reshape(3, 4) % 3 == 0)), None),
]


@pytest.mark.parametrize("row", SETITEM, ids=[r[0] for r in SETITEM])
def test_setitem_gradients_reach_history_and_value(xp, rng, row):
    _, shape, key_fn, vshape = row
    key = key_fn(xp)
    x = make(xp, rng, shape)

    if vshape is None:
        def f(x):
            t = x * x
            t[key] = 0.5
            return t * x

        check_grads(f, x, order=2)
        return

    def g(x, v):
        t = x * x
        t[key] = v * 2
        return t * x

    check_grads(g, x, make(xp, rng, vshape), order=2)


def test_setitem_with_repeated_integer_indices(xp, rng):
    if xp.backend.name == "array_api_strict":
        pytest.skip("array-api-strict refuses integer-array __setitem__ (not in the standard)")
    x, v = make(xp, rng, (4,)), make(xp, rng, (2,))
    idx = xp.asarray(xp.asarray(np.array([2, 0])))

    def f(x, v):
        t = x + 0.0
        t[idx] = v
        return t * x

    check_grads(f, x, v)


def test_setitem_then_getitem_of_the_written_part(xp, rng):
    x, v = make(xp, rng, (3,)), make(xp, rng, ())

    def f(x, v):
        t = x * 3
        t[1] = v
        return t[1] * t

    check_grads(f, x, v, order=2)


def test_modifying_a_saved_array_in_place_makes_backward_raise(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    w = xp.asarray([3.0, 4.0], dtype=xp.float64, requires_grad=True)
    y = xp.sum(xp.exp(w) * x)  # multiply saves x
    x += 1.0
    with pytest.raises(RuntimeError, match="Multiply.*in-place"):
        y.backward()


def test_modifying_a_saved_output_in_place_under_no_grad_raises(xp):
    w = xp.asarray([0.5, 1.0], dtype=xp.float64, requires_grad=True)
    e = xp.exp(w)  # exp saves its output
    y = xp.sum(e)
    with acarray.no_grad():
        e[0] = 100.0
    with pytest.raises(RuntimeError, match="Exp"):
        y.backward()


@pytest.mark.parametrize("scalar_first", [False, True])
def test_modifying_a_tensor_saved_beside_a_scalar_raises(xp, scalar_first):
    for _ in range(2):  # the second round records on the element-wise fast path
        x = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
        h = x * 1.0
        y = xp.sum(2.0 * h if scalar_first else h * 2.0)  # multiply saves h
        with acarray.no_grad():
            h += 1.0
        with pytest.raises(RuntimeError, match="Multiply.*in-place"):
            y.backward()


def test_setitem_on_saved_input_is_detected(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    w = xp.asarray([3.0, 4.0], dtype=xp.float64, requires_grad=True)
    y = xp.sum(w * x)
    x[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_version_counter_counts_inplace_updates(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    v0 = x._version[0]
    x += 1.0
    x[0] = 3.0
    x *= 2.0
    assert x._version[0] == v0 + 3


def test_inplace_cannot_change_the_shape(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
    t = x * 1.0
    with pytest.raises(ValueError, match="shape"):
        t += xp.ones((3, 2), dtype=xp.float64)


@pytest.mark.parametrize("view", [lambda xp, x: xp.reshape(x, (3,)), lambda xp, x: x[0:2]], ids=["reshape", "slice"])
def test_writing_the_source_of_a_saved_view_is_detected(xp, view):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)  # no grad: views of it are not recorded
    y = view(xp, x)
    w = xp.ones(y.shape, dtype=xp.float64)
    w.requires_grad_(True)
    z = xp.sum(w * y)  # multiply saves y
    x += 10.0
    with pytest.raises(RuntimeError, match="Multiply"):
        z.backward()


def test_writing_through_a_detached_tensor_is_detected(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64, requires_grad=True)
    y = xp.exp(x)  # saves its output
    d = y.detach()  # same data, same version counter
    d += 1.0
    with pytest.raises(RuntimeError, match="Exp"):
        xp.sum(y).backward()
