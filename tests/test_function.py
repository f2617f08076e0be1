"""User-defined differentiable functions: acarray.autograd.Function (PyTorch's shape) and
acarray.custom_vjp (JAX's), against torch.autograd.Function and finite differences: first and
second derivatives, the checks on what backward returns, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_numpy

import acarray
from acarray.autograd import Function, grad, once_differentiable

torch = pytest.importorskip("torch")


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


X = np.array([0.5, -1.5, 2.0])


def test_first_and_second_derivatives_match_torch(xp):
    x = xp.asarray(xp.asarray(X), requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    y = xp.sum(xp.sin(Cube.apply(x)))
    ty = torch.sin(TorchCube.apply(tx)).sum()
    (g,) = grad(y, x, create_graph=True)
    (tg,) = torch.autograd.grad(ty, tx, create_graph=True)
    np.testing.assert_allclose(to_numpy(g), tg.detach().numpy(), rtol=1e-12)
    (h,) = grad(xp.sum(g * g), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(to_numpy(h), th.numpy(), rtol=1e-12)


def test_transforms_see_through_a_function(xp):
    x = xp.asarray(xp.asarray(X))
    h = acarray.hessian(lambda u: xp.sum(Cube.apply(u)))(x)
    np.testing.assert_allclose(to_numpy(h), np.diag(6 * X), rtol=1e-12)


class MulAdd(Function):
    """Two outputs, a Python argument, an output saved for backward, needs_input_grad read."""

    @staticmethod
    def forward(ctx, a, b, k):
        prod = a * b
        ctx.save_for_backward(a, b, prod)
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return prod, a + k * b

    @staticmethod
    def backward(ctx, gp, gs):
        a, b, prod = ctx.saved_tensors
        ga = gp * b + gs if ctx.needs_input_grad[0] else None
        gb = gp * a + ctx.k * gs if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_several_outputs_and_needs_input_grad(xp):
    a = xp.asarray(xp.asarray(X), requires_grad=True)
    b = xp.asarray(xp.asarray(X[::-1].copy()))
    p, s = MulAdd.apply(a, b, 3.0)
    xp.sum(p * p + s).backward()
    np.testing.assert_allclose(to_numpy(a.grad), 2 * X * X[::-1] ** 2 + 1)
    assert b.grad is None
    p, s = MulAdd.apply(a, b, 3.0)
    assert p.grad_fn is s.grad_fn  # one node for both outputs
    a.grad = None
    xp.sum(s).backward()  # p got no gradient: backward receives zeros for it
    np.testing.assert_allclose(to_numpy(a.grad), np.ones(3))


def test_ctx_records_needs_input_grad(xp):
    a = xp.asarray(xp.asarray(X), requires_grad=True)
    b = xp.asarray(xp.asarray(X))

    class Probe(Function):
        @staticmethod
        def forward(ctx, u, v, k):
            Probe.needs = ctx.needs_input_grad
            return u * v

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    Probe.apply(a, b, 2)
    assert Probe.needs == (True, False, False)
    with acarray.no_grad():
        Probe.apply(a, b, 2)
    assert Probe.needs == (False, False, False)


def test_no_graph_when_nothing_requires_grad(xp):
    y = Cube.apply(xp.asarray(xp.asarray(X)))
    assert not y.requires_grad and y.grad_fn is None


def test_mark_non_differentiable(xp):
    class SortValues(Function):
        @staticmethod
        def forward(ctx, x):
            idx = acarray.namespace(x).argsort(x)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return acarray.namespace(x).take(x, idx), idx

        @staticmethod
        def backward(ctx, g, _):
            (idx,) = ctx.saved_tensors
            ns = acarray.namespace(g)
            inverse = ns.argsort(idx)
            return ns.take(g, inverse)

    x = xp.asarray(xp.asarray(X), requires_grad=True)
    values, idx = SortValues.apply(x)
    assert not idx.requires_grad
    xp.sum(values * xp.asarray(xp.asarray(np.array([1.0, 2.0, 3.0])))).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 1.0, 3.0])


def test_a_numpy_backward_works_once_and_is_refused_for_second_derivatives():
    xp = acarray.numpy

    class Sin(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x.data)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return np.cos(np.asarray(x)) * np.asarray(g)

    x = xp.asarray(X, requires_grad=True)
    xp.sum(Sin.apply(x)).backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.cos(X))
    with pytest.raises(RuntimeError, match="Sin.backward converts a tensor to NumPy under create_graph"):
        grad(xp.sum(Sin.apply(x)), x, create_graph=True)

    class RawResult(Sin):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return np.cos(x.detach().data) * g.detach().data

    with pytest.raises(RuntimeError, match="RawResult.backward returned a numpy.ndarray under create_graph"):
        grad(xp.sum(RawResult.apply(x)), x, create_graph=True)

    class Marked(Sin):
        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return np.cos(np.asarray(x)) * np.asarray(g)

    with pytest.raises(RuntimeError, match="Marked.backward is marked once_differentiable"):
        acarray.hessian(lambda u: xp.sum(Marked.apply(u)))(xp.asarray(X))
    # a recorded first-order pass is fine (a closure over a weight records it): only the second one refuses
    w = xp.asarray(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    g = acarray.grad(lambda u: xp.sum(Marked.apply(u) * w))(xp.asarray(X))
    np.testing.assert_allclose(to_numpy(g), np.cos(X) * [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="Marked.backward is marked once_differentiable"):
        xp.sum(g).backward()
    x.grad = None
    xp.sum(Marked.apply(x)).backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.cos(X))


def _bad(backward):
    return type("Bad", (Function,), {"forward": staticmethod(lambda ctx, x, y: x * y),
                                     "backward": staticmethod(backward)})


@pytest.mark.parametrize("backward, error, match", [
    (lambda ctx, g: g, RuntimeError, "Bad.backward returned 1 gradient.*2 argument"),
    (lambda ctx, g: (g[:1], g), RuntimeError, r"shape \(1,\) for argument 0, which has shape \(3,\)"),
    (lambda ctx, g: (acarray.namespace(g).astype(g, acarray.namespace(g).float32), g), TypeError,
     "dtype .*float32 for argument 0, a .*float64"),
    (lambda ctx, g: (1.0, g), TypeError, "Python float as the gradient of argument 0"),
    (lambda ctx, g: ("no", g), TypeError, "not an array"),
])
def test_what_backward_returns_is_checked(xp, backward, error, match):
    x = xp.asarray(xp.asarray(X), requires_grad=True)
    y = xp.asarray(xp.asarray(X), requires_grad=True)
    with pytest.raises(error, match=match):
        xp.sum(_bad(backward).apply(x, y)).backward()


def test_a_gradient_that_broadcasts_is_summed_as_in_pytorch(xp):
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(x, s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            x, s = ctx.saved_tensors
            return g * s, g * x  # the second has x's shape (3,), s has shape (1,)

    x = xp.asarray(xp.asarray(X), requires_grad=True)
    s = xp.asarray(xp.asarray(np.array([2.0])), requires_grad=True)
    xp.sum(Scale.apply(x, s)).backward()
    np.testing.assert_allclose(to_numpy(s.grad), [X.sum()])


def test_saved_tensor_modified_in_place_is_an_error(xp):
    x = xp.asarray(xp.asarray(X), requires_grad=True)
    u = x * 1.0
    y = Cube.apply(u)
    u += 1.0
    with pytest.raises(RuntimeError, match="Cube: a tensor saved for backward was modified in place"):
        xp.sum(y).backward()


def test_forward_returning_its_input_does_not_rewire_it(xp):
    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = xp.asarray(xp.asarray(X), requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and x.grad_fn is None
    xp.sum(y).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * np.ones(3))


def test_a_function_without_backward_is_refused(xp):
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x

    with pytest.raises(TypeError, match="NoBackward defines no backward"):
        NoBackward.apply(xp.asarray(xp.asarray(X)))


def test_custom_vjp_like_jax(xp):
    @acarray.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def fwd(lo, hi, x):
        return x, None

    def bwd(lo, hi, _, g):
        return (acarray.namespace(g).clip(g, lo, hi),)

    clip_gradient = acarray.custom_vjp(clip_gradient.fun, nondiff_argnums=(0, 1))
    clip_gradient.defvjp(fwd, bwd)
    x = xp.asarray(xp.asarray(X))
    g = acarray.grad(lambda u: xp.sum(clip_gradient(-1.0, 1.0, u) * 5.0))(x)
    np.testing.assert_allclose(to_numpy(g), np.ones(3))


def test_custom_vjp_second_derivatives_through_residuals(xp):
    @acarray.custom_vjp
    def f(x):
        return xp.sin(x)

    def fwd(x):
        return xp.sin(x), xp.cos(x)

    def bwd(cos_x, g):
        return (cos_x * g,)

    f.defvjp(fwd, bwd)
    x = xp.asarray(xp.asarray(X))
    np.testing.assert_allclose(to_numpy(acarray.grad(lambda u: xp.sum(f(u)))(x)), np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(acarray.hessian(lambda u: xp.sum(f(u)))(x)), np.diag(-np.sin(X)), rtol=1e-12)


def test_custom_vjp_refusals(xp):
    @acarray.custom_vjp
    def f(x):
        return x

    with pytest.raises(TypeError, match="has no rules"):
        f(xp.asarray(xp.asarray(X)))
    f.defvjp(lambda x: x, lambda r, g: (g,))
    with pytest.raises(TypeError, match="fwd must return a pair"):
        f(xp.asarray(xp.asarray(X), requires_grad=True))
    f.defvjp(lambda x: (x, None), lambda r, g: g)
    with pytest.raises(TypeError, match="bwd must return a tuple"):
        xp.sum(f(xp.asarray(xp.asarray(X), requires_grad=True))).backward()


def test_save_for_backward_takes_only_tensors(xp):
    class SavesANumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 2.0)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="SavesANumber: save_for_backward takes tensors .*got float at position 1"):
        SavesANumber.apply(xp.asarray(xp.asarray(X), requires_grad=True))
