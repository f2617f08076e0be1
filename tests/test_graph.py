"""The autograd engine: accumulation, graph lifetime, grad modes and the functional API."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
from conftest import make, to_numpy

import acarray
from acarray import autograd
from acarray.testing import check_grads


def leaf(xp, values):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=np.float64)), requires_grad=True)


def test_tensor_used_several_times_accumulates(xp):
    x = leaf(xp, [1.0, 2.0])
    y = x * x + x * 3 + xp.sin(x)
    xp.sum(y).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * to_numpy(x) + 3 + np.cos(to_numpy(x)))


def test_gradients_accumulate_across_backward_calls(xp):
    x = leaf(xp, [1.0, 2.0])
    xp.sum(x * 2).backward()
    xp.sum(x * 3).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 5.0])
    assert x.grad.dtype == x.dtype and type(x.grad) is type(x.data)


def test_broadcasting_is_undone(xp):
    a = leaf(xp, [[1.0], [2.0]])  # (2, 1)
    b = leaf(xp, [1.0, 2.0, 3.0])  # (3,)
    s = leaf(xp, 2.0)  # 0-d
    xp.sum(a * b * s).backward()
    assert a.grad.shape == (2, 1) and b.grad.shape == (3,) and s.grad.shape == ()
    np.testing.assert_allclose(to_numpy(a.grad), [[12.0], [12.0]])
    np.testing.assert_allclose(to_numpy(b.grad), [6.0, 6.0, 6.0])
    np.testing.assert_allclose(to_numpy(s.grad), 18.0)


def test_retain_graph_allows_a_second_backward(xp):
    x = leaf(xp, [1.0, 2.0])
    y = xp.sum(xp.exp(x))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * np.exp([1.0, 2.0]))


def test_backward_twice_raises_a_clear_error(xp):
    x = leaf(xp, [1.0, 2.0])
    y = xp.sum(xp.exp(x))
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_of_non_scalar_needs_a_gradient(xp):
    x = leaf(xp, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="one element"):
        (x * 2).backward()
    (x * 2).backward(grad=xp.asarray([1.0, 10.0], dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 20.0])


def test_backward_gradient_of_wrong_shape_raises(xp):
    x = leaf(xp, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(grad=xp.ones((3,), dtype=xp.float64))


def test_backward_on_a_tensor_without_grad_raises(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        xp.sum(x).backward()


def test_long_chain_has_no_recursion_limit():
    import acarray as xp

    x = xp.asarray(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert float(x.grad) == 1.0
    for _ in range(100_000):
        y = y * 1.0
    del y  # freeing an unused long graph must not overflow the stack either
    gc.collect()


def test_a_node_waits_for_every_path_through_a_multi_output_node(xp):
    # The product's backward reaches e before (slogdet, 1), which was made after e and also
    # leads to e: e must wait for the gradient through slogdet.
    x = leaf(xp, [[2.0, 1.0], [1.0, 3.0]])
    e = x * 2
    _, logabs = xp.linalg.slogdet(e)
    xp.sum(e * logabs).backward()
    v = to_numpy(x)
    expected = 2 * np.log(abs(np.linalg.det(2 * v))) + np.sum(2 * v) * np.linalg.inv(v).T
    np.testing.assert_allclose(to_numpy(x.grad), expected)


def test_rule_path_and_general_path_meet(xp):
    # Ops with a scalar beside one tensor take the engine's one-rule path; tensor-tensor ops
    # the general one.  Here both lead to the same nodes, to second order.
    x = leaf(xp, [0.3, -0.7, 1.1])

    def f(x):
        a = x * 2.0
        b = xp.tanh(a) - 0.5
        c = a * b + xp.exp(b) / 3.0
        return 1.0 - c * xp.sin(a)

    check_grads(f, x, order=2)


def test_saved_arrays_are_released_after_backward(xp):
    x = leaf(xp, [1.0, 2.0, 3.0])
    mid = xp.exp(x)  # exp saves its output
    ref_tensor = weakref.ref(mid)
    ref_data = weakref.ref(mid.data)
    y = xp.sum(mid * mid)
    del mid
    gc.collect()
    assert ref_tensor() is not None  # kept alive by the graph until backward
    y.backward()
    op = y.grad_fn
    assert op.rec is None and op.args is None  # the record, saved values included, is gone
    gc.collect()
    assert ref_tensor() is None
    assert ref_data() is None
    assert y.grad_fn is op  # the output keeps its (freed) node


def test_graph_is_released_when_its_output_dies(xp):
    x = leaf(xp, [1.0, 2.0])
    y = xp.sin(x) * 2
    op = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert op() is None


def test_no_grad_context_and_decorator(xp):
    x = leaf(xp, [1.0])
    with acarray.no_grad():
        assert not acarray.is_grad_enabled()
        y = x * 2
        with acarray.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @acarray.no_grad()
    def f(t):
        return t * 2

    @acarray.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with acarray.no_grad():
        assert g(x).requires_grad
    assert acarray.is_grad_enabled()


def test_backward_leaves_grad_mode_as_it_was_and_create_graph_records_under_no_grad(xp):
    x = leaf(xp, [2.0])
    xp.sum(x ** 3).backward()
    assert acarray.is_grad_enabled()
    with acarray.no_grad():
        y = xp.sum(x ** 3)  # x requires grad, but nothing is recorded here
        assert not y.requires_grad
        assert not acarray.is_grad_enabled()
    y = xp.sum(x ** 3)
    with acarray.no_grad():
        (g,) = autograd.grad(y, [x], create_graph=True)
        assert not acarray.is_grad_enabled()
    assert g.requires_grad  # 3 x**2, recorded
    (h,) = autograd.grad(xp.sum(g), [x])
    np.testing.assert_allclose(to_numpy(h), [12.0])


def test_no_grad_is_thread_local():
    import acarray as xp

    x = xp.asarray([1.0], requires_grad=True)
    seen = {}
    inside = threading.Event()
    done = threading.Event()

    def other():
        inside.wait()
        seen["other"] = (x * 2).requires_grad
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with acarray.no_grad():
        inside.set()
        done.wait()
        seen["main"] = (x * 2).requires_grad
    t.join()
    assert seen == {"other": True, "main": False}


def test_retain_grad_on_intermediate(xp):
    x = leaf(xp, [1.0, 2.0])
    mid = x * 3
    mid.retain_grad()
    other = x * 2
    xp.sum(mid * mid + other).backward()
    np.testing.assert_allclose(to_numpy(mid.grad), 2 * to_numpy(mid))
    assert other.grad is None


def test_detach_stops_the_gradient(xp):
    x = leaf(xp, [1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    xp.sum(x * d).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0])


def test_is_leaf_grad_fn_and_src(xp):
    x = leaf(xp, [1.0])
    c = xp.asarray([2.0], dtype=xp.float64)
    y = x * c
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn is y.ctx and y.grad_fn.name == "Multiply"
    assert y.src == (x, c)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_requires_grad_on_integer_or_bool_raises(xp, dtype):
    t = xp.zeros((2,), dtype=getattr(xp, dtype))
    with pytest.raises(TypeError, match="floating-point and complex"):
        t.requires_grad_(True)
    with pytest.raises(TypeError):
        xp.asarray([1, 2], dtype=getattr(xp, dtype), requires_grad=True)


def test_integer_and_bool_results_never_require_grad(xp):
    x = leaf(xp, [1.5, -2.0])
    for r in (x > 0, xp.astype(x, xp.int64), xp.argmax(x), xp.nonzero(x)[0], xp.floor_divide(x, 1.0) == 1):
        assert not r.requires_grad


def test_autograd_grad_leaves_dot_grad_alone(xp):
    x = leaf(xp, [1.0, 2.0])
    w = leaf(xp, [3.0, 4.0])
    y = xp.sum(x * w)
    gx, gw = autograd.grad(y, [x, w])
    np.testing.assert_allclose(to_numpy(gx), [3.0, 4.0])
    np.testing.assert_allclose(to_numpy(gw), [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_autograd_grad_unused_input(xp):
    x, u = leaf(xp, [1.0]), leaf(xp, [2.0])
    y = xp.sum(x * 2)
    with pytest.raises(RuntimeError, match="allow_unused"):
        autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = autograd.grad(y, [x, u], allow_unused=True)
    assert gu is None and float(gx[0]) == 2.0


def test_autograd_grad_of_intermediate(xp):
    x = leaf(xp, [1.0, 2.0])
    mid = x * x
    (g,) = autograd.grad(xp.sum(mid * 3), [mid])
    np.testing.assert_allclose(to_numpy(g), [3.0, 3.0])


def test_autograd_backward_several_outputs(xp):
    x = leaf(xp, [1.0, 2.0])
    y1, y2 = xp.sum(x * x), x * 3
    autograd.backward([y1, y2], [None, xp.asarray([1.0, -1.0], dtype=xp.float64)])
    np.testing.assert_allclose(to_numpy(x.grad), [2.0 + 3.0, 4.0 - 3.0])


def test_higher_order_with_create_graph(xp):
    x = leaf(xp, [0.5, 1.5])
    y = xp.sum(x**3)
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    (h,) = autograd.grad(xp.sum(g), x, create_graph=True)
    (t,) = autograd.grad(xp.sum(h), x)
    np.testing.assert_allclose(to_numpy(g), 3 * to_numpy(x) ** 2)
    np.testing.assert_allclose(to_numpy(h), 6 * to_numpy(x))
    np.testing.assert_allclose(to_numpy(t), [6.0, 6.0])


def test_backward_create_graph_gives_tensor_grads(xp):
    x = leaf(xp, [0.5, 1.5])
    xp.sum(xp.sin(x)).backward(create_graph=True)
    assert isinstance(x.grad, acarray.Tensor) and x.grad.requires_grad
    (h,) = autograd.grad(xp.sum(x.grad), x)
    np.testing.assert_allclose(to_numpy(h), -np.sin(to_numpy(x)))


def test_function_transforms_nest(xp):
    f = lambda t: xp.sum(xp.sin(t) * t)  # noqa: E731
    x = xp.asarray([0.3, 1.1], dtype=xp.float64)
    xn = to_numpy(x)
    d1 = acarray.grad(f)(x)
    d2 = acarray.grad(lambda t: xp.sum(acarray.grad(f)(t)))(x)
    np.testing.assert_allclose(to_numpy(d1), np.cos(xn) * xn + np.sin(xn))
    np.testing.assert_allclose(to_numpy(d2), -np.sin(xn) * xn + 2 * np.cos(xn))
    value, g = acarray.value_and_grad(f)(x)
    np.testing.assert_allclose(float(value), np.sum(np.sin(xn) * xn))
    np.testing.assert_allclose(to_numpy(g), to_numpy(d1))


def test_grad_argnums(xp):
    f = lambda a, b: xp.sum(a * b * b)  # noqa: E731
    a, b = xp.asarray([1.0, 2.0], dtype=xp.float64), xp.asarray([3.0, 4.0], dtype=xp.float64)
    ga, gb = acarray.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(to_numpy(ga), [9.0, 16.0])
    np.testing.assert_allclose(to_numpy(gb), [6.0, 16.0])
    np.testing.assert_allclose(to_numpy(acarray.grad(f, argnums=1)(a, b)), [6.0, 16.0])


def test_vjp(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    y, vjp_fn = acarray.vjp(lambda t: t * t, x)
    (g,) = vjp_fn(xp.asarray([1.0, 10.0], dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(y), [1.0, 4.0])
    np.testing.assert_allclose(to_numpy(g), [2.0, 40.0])


def test_hessian_vector_product(xp, rng):
    a = make(xp, rng, (3, 3))
    x = make(xp, rng, (3,)).requires_grad_(True)
    v = make(xp, rng, (3,))

    def f(x):
        return xp.sum(xp.exp(a @ x)) + xp.sum(x**4)

    (g,) = autograd.grad(f(x), x, create_graph=True)
    (hv,) = autograd.grad(xp.sum(g * v), x)
    an, xn, vn = to_numpy(a), to_numpy(x), to_numpy(v)
    hessian = an.T @ np.diag(np.exp(an @ xn)) @ an + np.diag(12 * xn**2)
    np.testing.assert_allclose(to_numpy(hv), hessian @ vn)


def test_check_grads_catches_a_wrong_gradient(xp, rng):
    from acarray import Op
    from acarray._autograd import apply

    class WrongSquare(Op):
        def forward(self, xp, x):
            return x * x

        def backward(self, xp, g, inputs, out):
            return (g * 3.0,)

    with pytest.raises(AssertionError, match="finite differences"):
        check_grads(lambda x: apply(WrongSquare, x), make(xp, rng, (3,)))


def test_custom_op_gets_second_derivatives(xp, rng):
    from acarray import Op
    from acarray._autograd import apply

    class Cube(Op):
        saves_inputs = True

        def forward(self, xp, x):
            return x * x * x

        def backward(self, xp, g, inputs, out):
            return (3 * g * inputs[0] * inputs[0],)

    check_grads(lambda x: apply(Cube, x), make(xp, rng, (3,)), order=2)


def test_vjp_nested_inside_grad(xp):
    x = xp.asarray([0.5, 2.0], dtype=xp.float64)
    ones = xp.ones((2,), dtype=xp.float64)

    def first_derivative_sum(t):
        _, vjp_fn = acarray.vjp(lambda u: u**3, t)
        return xp.sum(vjp_fn(ones)[0])  # sum of 3 t^2

    np.testing.assert_allclose(to_numpy(acarray.grad(first_derivative_sum)(x)), 6 * to_numpy(x))
    value, g = acarray.value_and_grad(lambda t: xp.sum(acarray.grad(lambda u: xp.sum(xp.exp(u) * u))(t)))(x)
    xn = to_numpy(x)
    np.testing.assert_allclose(float(value), np.sum(np.exp(xn) * (xn + 1)))
    np.testing.assert_allclose(to_numpy(g), np.exp(xn) * (xn + 2))


def test_gradient_of_a_0d_tensor_is_an_array(xp):
    x = leaf(xp, 2.0)
    mid = x * x
    mid.retain_grad()
    (mid * 3).backward()
    (x * x).backward()
    for g in (x.grad, mid.grad):
        assert type(g) is type(x.data) and g.shape == ()
    assert float(x.grad) == 16.0 and float(mid.grad) == 3.0
    x.grad[...] = 0.0  # a real array, writeable in place


def test_requires_grad_switch(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


def test_no_grad_in_another_thread_leaves_recording_here_on():
    from acarray import _grad_mode

    x = acarray.asarray([1.0, 2.0], requires_grad=True)
    entered, release = threading.Event(), threading.Event()

    def hold_no_grad():
        with acarray.no_grad():
            entered.set()
            release.wait()

    other = threading.Thread(target=hold_no_grad)
    other.start()
    entered.wait()
    try:
        assert _grad_mode.disabled_threads == 1
        assert (x * 2.0).requires_grad
        with acarray.no_grad():
            assert not (x * 2.0).requires_grad
        assert (x * 2.0).requires_grad
    finally:
        release.set()
        other.join()
    assert _grad_mode.disabled_threads == 0


def test_python_scalars_beside_tensors_keep_their_values_on_the_fast_path(xp):
    x = xp.asarray(xp.asarray(np.array([1.0, -2.0], dtype=np.float32)), requires_grad=True)
    for _ in range(2):  # the second round takes the fast path
        np.testing.assert_array_equal(to_numpy(xp.copysign(x, -0.0)), [-1.0, -2.0])
        np.testing.assert_array_equal(to_numpy(xp.copysign(x, 0.0)), [1.0, 2.0])
        assert np.all(np.isnan(to_numpy(x * float("nan"))))
        z = x * (1 + 2j)
        np.testing.assert_allclose(to_numpy(z), [1 + 2j, -2 - 4j])
        y = 3.0 / x
        assert y.dtype == x.dtype
        np.testing.assert_allclose(to_numpy(y), [3.0, -1.5])
        x.grad = None
        xp.sum(xp.real(z) * 2.5 + y).backward()
        np.testing.assert_allclose(to_numpy(x.grad), [2.5 - 3.0, 2.5 - 0.75])


def test_recorded_grad_with_inputs_visits_only_the_graph_leading_to_them(xp):
    # A recorded grad(outputs, inputs) does not run the rules of ops that lead only elsewhere: a
    # branch whose backward would fail (a freed graph) is never reached.
    x = xp.asarray(xp.asarray(np.array([1.0, 2.0])), requires_grad=True)
    w = xp.asarray(xp.asarray(np.array([3.0, 4.0])), requires_grad=True)
    side = xp.exp(w)
    xp.sum(side).backward()  # frees side's graph
    out = xp.sum(x * x) + xp.sum(side)
    (g,) = acarray.autograd.grad(out, x, create_graph=True)
    np.testing.assert_allclose(to_numpy(g), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="second time"):
        acarray.autograd.grad(out, w)
