"""What ``backward(grad)`` accepts and what ``.grad`` is.

Seeds of another dtype are cast to the tensor's dtype (as PyTorch casts them), seeds that cannot
be cast or belong elsewhere are refused by name; ``.grad`` always has the leaf's dtype, shape and
backend, and is an array of its own, so that in-place edits of one gradient touch no other.
Each case runs twice: the element-wise fast path keeps one entry per call signature, and its
first and later calls must agree.  PyTorch is the reference where it has the same case.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from conftest import to_numpy

import acarray
from acarray import nn
from acarray._backend import backend_of

torch = pytest.importorskip("torch")


def _leaf(xp, values, dtype="float64"):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=dtype))).requires_grad_()


def _twice(fn):
    """``fn()`` run twice (the first and the cached call of a signature); both results, as NumPy."""
    return [to_numpy(fn()) for _ in range(2)]


def _same_type(g, x):
    """``g`` is an array of ``x``'s backend, dtype and shape."""
    assert backend_of(g) is x._b, f"gradient of backend {backend_of(g).name}, tensor of {x._b.name}"
    assert g.dtype == x.data.dtype and tuple(g.shape) == tuple(x.shape)


# -- seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed_dtype", ["int64", "bool", "float32", "int8"])
@pytest.mark.parametrize("x_dtype", ["float64", "float32"])
def test_seed_of_another_real_dtype_is_cast_like_torch(xp, seed_dtype, x_dtype):
    values = np.array([0.5, -1.5, 2.0])
    seed = np.array([1, 0, 3]).astype(seed_dtype)

    def run():
        x = _leaf(xp, values, x_dtype)
        (x * x).backward(xp.asarray(xp.asarray(seed)))
        _same_type(x.grad, x)
        return x.grad

    tx = torch.tensor(values, dtype=getattr(torch, x_dtype), requires_grad=True)
    (tx * tx).backward(torch.tensor(seed).to(tx.dtype))
    for got in _twice(run):
        np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("seed", [2, 2.5, True, [1.0, 2.0, 3.0], [1, 2, 3], (1, 0, 1)])
def test_python_scalars_and_lists_are_seeds(xp, seed):
    def run():
        x = _leaf(xp, [0.5, -1.5, 2.0])
        y = x * 3.0
        if isinstance(seed, (list, tuple)):
            y.backward(seed)
        else:
            acarray.sum(y).backward(seed)
        _same_type(x.grad, x)
        return x.grad

    want = 3.0 * (np.asarray(seed, dtype=float) if isinstance(seed, (list, tuple)) else float(seed))
    for got in _twice(run):
        np.testing.assert_array_equal(got, np.broadcast_to(want, (3,)))


def test_a_complex_seed_for_a_real_tensor_is_refused(xp):
    for _ in range(2):
        x = _leaf(xp, [1.0, 2.0])
        y = x * x
        with pytest.raises(TypeError, match=r"complex gradient .*complex128.* real tensor .*float64"):
            y.backward(xp.asarray(xp.asarray(np.array([1 + 1j, 1j]))))
        with pytest.raises(TypeError, match="complex gradient"):
            acarray.sum(y).backward(1j)
        assert x.grad is None


def test_a_seed_of_another_backend_is_refused_naming_both(xp):
    other = "array_api_strict" if xp.backend.name != "array_api_strict" else "numpy"
    foreign = acarray.namespace(other).asarray([1.0, 1.0])
    for seed in (foreign, foreign.data):
        x = _leaf(xp, [1.0, 2.0])
        with pytest.raises(TypeError, match=rf"backend {other} but the tensor's backend is {xp.backend.name}"):
            (x * x).backward(seed)
        assert x.grad is None


def test_a_seed_of_another_shape_is_refused(xp):
    x = _leaf(xp, [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*shape \(3,\)"):
        (x * x).backward(xp.asarray([1.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        (x * x).backward()


def test_second_order_through_a_seed_of_another_dtype(xp):
    # d/dx <x*x, s> with a float32 seed that requires grad: the seed's own gradient is x, cast back
    x = _leaf(xp, [1.0, -2.0])
    s = xp.asarray(xp.asarray(np.array([3.0, 4.0], dtype=np.float32))).requires_grad_()
    (g,) = acarray.autograd.grad(x * x, x, s, create_graph=True)
    np.testing.assert_array_equal(to_numpy(g), [6.0, -16.0])
    acarray.sum(g).backward()
    assert s.grad.dtype == s.data.dtype
    np.testing.assert_array_equal(to_numpy(s.grad), [2.0, -4.0])


# -- .grad is an array of its own ------------------------------------------------------


def _edit_in_place(xp, g):
    """``g *= 2`` and ``g[0] = 0`` as users write them, through the backend's own array."""
    g *= 2
    g[0] = 0


def test_grads_of_a_sum_are_writeable_and_independent(xp):
    # sum's gradient is a broadcast of the seed: it must not reach .grad as a read-only view
    for _ in range(2):
        a = _leaf(xp, [1.0, 2.0, 3.0])
        b = _leaf(xp, [4.0, 5.0, 6.0])
        acarray.sum(a + b).backward()
        _edit_in_place(xp, a.grad)
        np.testing.assert_array_equal(to_numpy(a.grad), [0.0, 2.0, 2.0])
        np.testing.assert_array_equal(to_numpy(b.grad), [1.0, 1.0, 1.0])


def test_grad_never_aliases_the_seed(xp):
    for _ in range(2):
        x = _leaf(xp, [1.0, 2.0])
        seed = xp.asarray(xp.asarray(np.array([1.0, 1.0])))
        (x + 0.0).backward(seed)
        _edit_in_place(xp, x.grad)
        np.testing.assert_array_equal(to_numpy(seed), [1.0, 1.0])
        x.grad = None
        x.backward(seed)  # a leaf as its own root
        _edit_in_place(xp, x.grad)
        np.testing.assert_array_equal(to_numpy(seed), [1.0, 1.0])


def test_retained_grads_and_leaf_grads_do_not_alias(xp):
    x = _leaf(xp, [1.0, 2.0])
    mid = x + 0.0
    mid.retain_grad()
    out = mid + 0.0
    out.retain_grad()
    out.backward(xp.asarray([1.0, 1.0]))
    _edit_in_place(xp, x.grad)
    np.testing.assert_array_equal(to_numpy(mid.grad), [1.0, 1.0])
    np.testing.assert_array_equal(to_numpy(out.grad), [1.0, 1.0])


def test_accumulation_leaves_an_earlier_gradient_alone(xp):
    x = _leaf(xp, [1.0, 2.0])
    acarray.sum(x * 2.0).backward()
    first = x.grad
    acarray.sum(x * 3.0).backward()
    np.testing.assert_array_equal(to_numpy(first), [2.0, 2.0])
    np.testing.assert_array_equal(to_numpy(x.grad), [5.0, 5.0])
    _same_type(x.grad, x)


def test_gradient_edits_before_step_reach_the_optimizer(xp):
    # PyTorch's habit: scale or mask gradients in place between backward() and step()
    w = nn.Parameter(xp.asarray([1.0, 2.0, 3.0]))
    opt = acarray.optim.SGD([w], lr=1.0)
    acarray.sum(w).backward()  # its gradient is a broadcast of the seed
    w.grad *= 0.5
    w.grad[2] = 0.0
    opt.step()
    np.testing.assert_allclose(to_numpy(w.detach()), [0.5, 1.5, 3.0])


def test_a_0d_gradient_is_an_array_after_accumulation(xp):
    x = _leaf(xp, 2.0)
    (x * x).backward()
    (x * x).backward()
    _same_type(x.grad, x)
    assert float(x.grad) == 8.0


def test_threads_backward_into_one_leaf_lose_no_update(xp):
    x = _leaf(xp, np.ones(4))
    n, per = 4, 50
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        def work():
            for _ in range(per):
                acarray.sum(x * 1.0).backward()

        threads = [threading.Thread(target=work) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    np.testing.assert_array_equal(to_numpy(x.grad), np.full(4, n * per))


# -- crossing backends ------------------------------------------------------------------


def test_asarray_of_another_backend_carries_the_gradient_back(xp):
    src = acarray.namespace("numpy") if xp.backend.name != "numpy" else acarray.namespace("array_api_strict")
    x = src.asarray([1.0, 2.0, 3.0]).requires_grad_()
    y = xp.asarray(x)
    assert y.requires_grad and y._b is xp.backend
    loss = xp.sum(y * y * y)
    (g,) = acarray.autograd.grad(loss, x, create_graph=True)
    assert g._b is x._b
    np.testing.assert_allclose(to_numpy(g), [3.0, 12.0, 27.0])
    src.sum(g).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [6.0, 12.0, 18.0])
    _same_type(x.grad, x)
    with pytest.raises(ValueError, match="copy=False"):
        xp.asarray(x, copy=False)


def test_mixed_backend_error_recommends_a_differentiable_move(xp):
    other = acarray.namespace("array_api_strict" if xp.backend.name != "array_api_strict" else "numpy")
    with pytest.raises(TypeError, match=r"asarray\(t\).*keep the gradient"):
        _leaf(xp, [1.0]) + other.asarray([1.0])


def test_namespace_of_a_tensor_is_its_own(xp):
    t = xp.asarray([1.0])
    assert acarray.namespace(t) is xp
    assert acarray.namespace(xp) is xp
    assert t.__array_namespace__() is xp


# -- anomaly mode ---------------------------------------------------------------------


def test_detect_anomaly_names_the_op_and_its_call_site(xp):
    x = _leaf(xp, [1.0, 2.0, 4.0])
    with acarray.autograd.detect_anomaly():
        assert acarray.autograd.is_anomaly_enabled()
        y = xp.sqrt(x - 1.0)  # the line the error must show
        with pytest.raises(RuntimeError, match=r"(?s)Sqrt.*infinity.*argument 0") as info:
            xp.sum(y).backward()
    assert "test_grad_storage.py" in str(info.value) and "y = xp.sqrt(x - 1.0)" in str(info.value)
    assert not acarray.autograd.is_anomaly_enabled()
    x.grad = None
    xp.sum(xp.sqrt(x - 1.0)).backward()  # outside: the infinity is stored, as in PyTorch
    assert np.isinf(to_numpy(x.grad)[0])


def test_detect_anomaly_finds_a_0_over_0_of_the_forward_pass(xp):
    x = _leaf(xp, [3.0, 3.0, 3.0])

    @acarray.autograd.detect_anomaly()
    def step(v):
        z = (v - xp.mean(v)) / xp.std(v)  # std is 0: 0/0
        xp.sum(z).backward()

    with pytest.raises(RuntimeError, match=r"(?s)Divide.*NaN.*argument 1.*\(v - xp.mean\(v\)\) / xp.std\(v\)"):
        step(x)


def test_detect_anomaly_keeps_quiet_for_finite_gradients_and_is_per_thread(xp):
    x = _leaf(xp, [1.0, 2.0])
    seen = []
    with acarray.autograd.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(acarray.autograd.is_anomaly_enabled()))
        thread.start()
        thread.join()
        xp.sum(xp.exp(x) * x).backward()
        with acarray.autograd.detect_anomaly(check_nan=False):
            xp.sum(xp.sqrt(x - 1.0)).backward()  # switched off in this region
    assert seen == [False]
    assert np.isinf(to_numpy(x.grad)[0])
