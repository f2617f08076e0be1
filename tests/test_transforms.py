"""The function transforms (grad, value_and_grad, vjp, jvp, jacrev, jacfwd, jacobian, hessian,
hvp) against torch.func in float64: the same function written once against a namespace runs on
acarray's and on PyTorch's (through array-api-compat), to second order where transforms nest,
with pytree arguments, argnums and has_aux."""

from __future__ import annotations

import array_api_compat.torch as tns
import numpy as np
import pytest

import acarray

torch = pytest.importorskip("torch")
tf = torch.func

from conftest import to_numpy  # noqa: E402


def close(a, b, rtol=1e-10, atol=1e-12):
    """Trees of acarray tensors (a) and torch tensors (b) hold the same structure and values."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, acarray.Tensor), type(a)
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=rtol, atol=atol)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b)
        for k in b:
            close(a[k], b[k], rtol, atol)
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), (type(a), type(b))
        for u, v in zip(a, b):
            close(u, v, rtol, atol)
    else:
        assert a == b


def vals(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def both(xp, value):
    """``value`` (a NumPy array or a tree of them) as acarray tensors of ``xp`` and torch tensors."""
    if isinstance(value, dict):
        pairs = {k: both(xp, v) for k, v in value.items()}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if isinstance(value, (tuple, list)):
        pairs = [both(xp, v) for v in value]
        return type(value)(p[0] for p in pairs), type(value)(p[1] for p in pairs)
    return xp.asarray(xp.asarray(np.asarray(value))), torch.tensor(np.asarray(value))


# Functions written once against a namespace ``ns``.
def vector_fn(ns):
    def f(x, y):
        return ns.sin(x) * y[0] + ns.exp(x) * ns.sum(y**2) / 2
    return f


def scalar_fn(ns):
    def f(x, y):
        return ns.sum(ns.exp(x) * ns.tanh(y)) + ns.sum(x**3) * ns.sum(y)
    return f


def mlp_loss(ns):
    def f(params, x):
        h = ns.tanh(x @ params["w1"] + params["b1"])
        return ns.mean((h @ params["w2"]) ** 2)
    return f


X, Y = vals(0, 3), vals(1, 3)
PARAMS = {"w1": vals(2, 4, 5), "b1": vals(3, 5), "w2": vals(4, 5, 2)}
BATCH = vals(5, 6, 4)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd", "jacobian"])
@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_jacobians(xp, name, argnums):
    (x, y), (tx, ty) = both(xp, (X, Y))
    ours = getattr(acarray, name)(vector_fn(xp), argnums=argnums)(x, y)
    theirs = getattr(tf, "jacrev" if name == "jacobian" else name)(vector_fn(tns), argnums=argnums)(tx, ty)
    close(ours, theirs)


def test_jacobian_of_a_pytree(xp):
    (p, b), (tp, tb) = both(xp, (PARAMS, BATCH))

    def f(ns):
        def g(params, x):
            h = ns.tanh(x @ params["w1"] + params["b1"])
            return {"out": h @ params["w2"], "norm": ns.sum(h**2)}
        return g

    close(acarray.jacrev(f(xp))(p, b), tf.jacrev(f(tns))(tp, tb))
    close(acarray.jacfwd(f(xp))(p, b), tf.jacfwd(f(tns))(tp, tb))


def test_jvp(xp):
    (x, y, u, v), (tx, ty, tu, tv) = both(xp, (X, Y, vals(6, 3), vals(7, 3)))
    out, tangent = acarray.jvp(vector_fn(xp), (x, y), (u, v))
    tout, ttangent = tf.jvp(vector_fn(tns), (tx, ty), (tu, tv))
    close(out, tout)
    close(tangent, ttangent)


def test_jvp_of_a_pytree_with_aux(xp):
    (p, b), (tp, tb) = both(xp, (PARAMS, BATCH))
    (dp,), (tdp,) = both(xp, ({k: vals(9 + i, *v.shape) for i, (k, v) in enumerate(PARAMS.items())},))

    def f(ns):
        def g(params):
            loss = mlp_loss(ns)(params, b if ns is xp else tb)
            return loss, {"loss": loss}
        return g

    out, tangent, aux = acarray.jvp(f(xp), (p,), (dp,), has_aux=True)
    tout, ttangent, taux = tf.jvp(f(tns), (tp,), (tdp,), has_aux=True)
    close((out, tangent), (tout, ttangent))
    close(aux, taux)


def test_vjp_with_pytrees_and_aux(xp):
    (p, b, ct), (tp, tb, tct) = both(xp, (PARAMS, BATCH, vals(8, 6, 2)))

    def f(ns):
        def g(params, x):
            out = ns.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]
            return out, ns.mean(out)
        return g

    out, fn, aux = acarray.vjp(f(xp), p, b, has_aux=True)
    tout, tfn, taux = tf.vjp(f(tns), tp, tb, has_aux=True)
    close(out, tout)
    close(aux, taux)
    close(fn(ct), tfn(tct))
    close(fn(ct), tfn(tct))  # callable again


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_grad_and_value_and_grad_with_aux(xp, argnums):
    (p, b), (tp, tb) = both(xp, (PARAMS, BATCH))

    def f(ns):
        def g(params, x):
            loss = mlp_loss(ns)(params, x)
            return loss, {"twice": 2 * loss}
        return g

    close(acarray.grad(f(xp), argnums, has_aux=True)(p, b), tf.grad(f(tns), argnums, has_aux=True)(tp, tb))
    close(acarray.value_and_grad(f(xp), argnums, has_aux=True)(p, b),
          tf.grad_and_value(f(tns), argnums, has_aux=True)(tp, tb)[::-1])


def test_a_state_dict_of_backend_arrays(xp):
    state = {"w": xp.asarray(PARAMS["w2"]).data, "b": xp.asarray(vals(3, 2)).data}  # raw arrays, as state_dict()
    x = xp.asarray(vals(4, 3, 5))
    g = acarray.grad(lambda s: xp.sum((x @ s["w"] + s["b"]) ** 2))(state)
    tw, tb = torch.tensor(PARAMS["w2"], requires_grad=True), torch.tensor(vals(3, 2), requires_grad=True)
    torch.sum((torch.tensor(vals(4, 3, 5)) @ tw + tb) ** 2).backward()
    close(g, {"w": tw.grad, "b": tb.grad})


def test_hessian_and_hvp(xp):
    (x, y, v, w), (tx, ty, tv, tw) = both(xp, (X, Y, vals(6, 3), vals(7, 3)))
    close(acarray.hessian(scalar_fn(xp))(x, y), tf.hessian(scalar_fn(tns))(tx, ty))
    close(acarray.hessian(scalar_fn(xp), argnums=(0, 1))(x, y), tf.hessian(scalar_fn(tns), argnums=(0, 1))(tx, ty))
    value, hv = acarray.hvp(scalar_fn(xp), (x, y), (v, w))
    tvalue, thv = torch.autograd.functional.hvp(scalar_fn(tns), (tx, ty), (tv, tw))
    close(value, tvalue)
    close(hv, thv)


def test_hvp_of_a_pytree(xp):
    (p, b), (tp, tb) = both(xp, (PARAMS, BATCH))
    (dp,), (tdp,) = both(xp, ({k: vals(20 + i, *v.shape) for i, (k, v) in enumerate(PARAMS.items())},))
    _, hv = acarray.hvp(lambda q: mlp_loss(xp)(q, b), (p,), (dp,))
    _, thv = tf.jvp(tf.grad(lambda q: mlp_loss(tns)(q, tb)), (tp,), (tdp,))  # forward-over-reverse
    close(hv, (thv,))


NESTINGS = {
    "jacfwd(jacrev)": lambda m, f: m.jacfwd(m.jacrev(f)),
    "jacrev(jacfwd)": lambda m, f: m.jacrev(m.jacfwd(f)),
    "jacrev(jacrev)": lambda m, f: m.jacrev(m.jacrev(f)),
    "jacfwd(jacfwd)": lambda m, f: m.jacfwd(m.jacfwd(f)),
    "grad(grad(sum))": lambda m, f: m.grad(lambda x: _sum(m.grad(lambda u: _sum(f(u)))(x) ** 2)),
    "jacrev(grad)": lambda m, f: m.jacrev(m.grad(lambda u: _sum(f(u)))),
    "jacfwd(grad)": lambda m, f: m.jacfwd(m.grad(lambda u: _sum(f(u)))),
}


def _sum(t):
    return t.sum() if isinstance(t, torch.Tensor) else acarray.namespace(t).sum(t)


@pytest.mark.parametrize("nesting", sorted(NESTINGS))
def test_nested_transforms(xp, nesting):
    (x,), (tx,) = both(xp, (X,))

    def f(ns):
        return lambda u: ns.sin(u) * ns.sum(u**2) + ns.exp(u[0]) * u

    close(NESTINGS[nesting](acarray, f(xp))(x), NESTINGS[nesting](tf, f(tns))(tx), rtol=1e-9)


def test_jvp_of_grad_and_grad_of_jvp(xp):
    (x, v), (tx, tv) = both(xp, (X, vals(3, 3)))

    def g(ns):
        return lambda u: ns.sum(ns.sin(u) * u**2)

    close(acarray.jvp(acarray.grad(g(xp)), (x,), (v,)), tf.jvp(tf.grad(g(tns)), (tx,), (tv,)))

    def along(m, ns):
        return lambda u: _sum(m.jvp(g(ns), (u,), (v if m is acarray else tv,))[1] ** 2)

    close(acarray.grad(along(acarray, xp))(x), tf.grad(along(tf, tns))(tx))


def test_third_order(xp):
    (x,), (tx,) = both(xp, (X,))
    f3 = acarray.jacrev(acarray.hessian(lambda u: xp.sum(xp.exp(u) * u[1])))
    t3 = tf.jacrev(tf.hessian(lambda u: (torch.exp(u) * u[1]).sum()))
    close(f3(x), t3(tx))


def test_no_perturbation_confusion(xp):
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x; mixing the two variables would give 4x.
    x = xp.asarray(3.0)
    assert float(acarray.grad(lambda t: t * acarray.grad(lambda s: t * s)(t))(x)) == 6.0
    # and through an argument that already requires grad
    w = xp.asarray(3.0, requires_grad=True)
    inner = acarray.grad(lambda s: w * s * s)(w)  # 2 w s at s = w: 2 w**2, d/dw = 4w
    inner.backward()
    assert float(w.grad) == 12.0


def test_gradients_reach_closed_over_weights(xp):
    # A gradient penalty: the inner gradient is differentiated by backward() into the weights.
    (x, wv), (tx, twv) = both(xp, (X, vals(11, 3)))
    w = wv.requires_grad_()
    tw = twv.requires_grad_()
    penalty = xp.sum(acarray.grad(lambda u: xp.sum(xp.sin(w * u) * u))(x) ** 2)
    penalty.backward()
    tp = (tf.grad(lambda u: (torch.sin(tw * u) * u).sum())(tx) ** 2).sum()
    tp.backward()
    close(w.grad if isinstance(w.grad, acarray.Tensor) else xp.asarray(w.grad), tw.grad)


def test_results_do_not_keep_a_graph_at_top_level(xp):
    x = xp.asarray(X)
    value, g = acarray.value_and_grad(lambda u: xp.sum(u**2))(x)
    assert not value.requires_grad and not g.requires_grad
    assert not acarray.jacrev(xp.sin)(x).requires_grad
    assert not acarray.jvp(xp.sin, (x,), (x,))[1].requires_grad


def test_transforms_work_under_no_grad(xp):
    x = xp.asarray(X)
    with acarray.no_grad():
        g = acarray.grad(lambda u: xp.sum(u**3))(x)
    np.testing.assert_allclose(to_numpy(g), 3 * X**2)


def test_unused_arguments_get_zeros(xp):
    x, y = xp.asarray(X), xp.asarray(Y)
    gx, gy = acarray.grad(lambda a, b: xp.sum(a**2), argnums=(0, 1))(x, y)
    assert float(xp.sum(xp.abs(gy))) == 0.0 and gy.shape == y.shape
    j = acarray.jacrev(lambda a, b: a * 2.0, argnums=1)(x, y)
    assert j.shape == (3, 3) and float(xp.sum(xp.abs(j))) == 0.0
    assert acarray.jacfwd(lambda a: xp.ones_like(a))(x).shape == (3, 3)


@pytest.mark.parametrize("call, match", [
    (lambda xp: acarray.grad(xp.sin)(xp.asarray(X)), "one element"),
    (lambda xp: acarray.grad(lambda u: u**2)(3), "integer 3"),
    (lambda xp: acarray.grad(lambda u: u)(xp.asarray([1, 2])), "dtype .*int"),
    (lambda xp: acarray.grad(lambda u: xp.sum(u), argnums=2)(xp.asarray(X)), "out of range"),
    (lambda xp: acarray.grad(lambda u: xp.sum(u), argnums=(0, 0))(xp.asarray(X)), "twice"),
    (lambda xp: acarray.grad(lambda u: xp.sum(u), has_aux=True)(xp.asarray(X)), "pair"),
    (lambda xp: acarray.jvp(xp.sin, (xp.asarray(X),), (xp.asarray(Y[:2]),)), "shape"),
    (lambda xp: acarray.jvp(xp.sin, xp.asarray(X), xp.asarray(X)), "tuples"),
    (lambda xp: acarray.jacrev(lambda u: [u, 1.0])(xp.asarray(X)), "must return tensors"),
    (lambda xp: acarray.grad(lambda u: xp.sum(u))("a"), "not an array"),
    (lambda xp: acarray.grad(lambda u: xp.sum(u) * (1 + 1j))(xp.asarray(X)), "complex"),
])
def test_refusals_name_the_problem(xp, call, match):
    with pytest.raises((TypeError, ValueError, NotImplementedError), match=match):
        call(xp)


def test_jacobians_refuse_complex(xp):
    z = xp.asarray(X) + 1j * xp.asarray(Y)
    with pytest.raises(NotImplementedError, match="complex"):
        acarray.jacrev(xp.sin)(z)


@pytest.mark.parametrize("backend", ["torch", "array_api_strict", "dask"])
def test_every_namespace_carries_them(backend):
    pytest.importorskip(backend)
    ns = acarray.namespace(backend)
    x = ns.asarray(np.asarray(X))
    h = ns.hessian(lambda u: ns.sum(u**3))(x)
    np.testing.assert_allclose(to_numpy(h), np.diag(6 * X))
    _, hv = ns.hvp(lambda u: ns.sum(u**3), (x,), (x,))
    np.testing.assert_allclose(to_numpy(hv[0]), 6 * X * X)


def test_dask_stays_lazy():
    pytest.importorskip("dask")
    ns = acarray.namespace("dask")
    x = ns.asarray(np.asarray(X))
    j = ns.jacrev(lambda u: ns.sin(u) * u[0])(x)
    import dask.array as da

    assert isinstance(j.data, da.Array)  # a graph, computed on demand
    np.testing.assert_allclose(to_numpy(j), to_numpy(acarray.jacrev(lambda u: acarray.sin(u) * u[0])(
        acarray.asarray(X))))


# -- what a hostile reading found: each once gave a wrong answer or a misleading error ---------


def _scale_in_place_then_square(a):
    a *= 2.0  # f(a) = (2a)**2, f'(a) = 8a
    return a**2


def test_in_place_writes_inside_f_differentiate_the_function_as_written(xp):
    # with an argument that requires grad (the alias path) and one that does not (a fresh leaf)
    for x in (xp.asarray(3.0, requires_grad=True), xp.asarray(3.0)):
        assert float(acarray.grad(_scale_in_place_then_square)(x * 1.0)) == 24.0
        assert float(acarray.jvp(_scale_in_place_then_square, (x * 1.0,), (xp.asarray(1.0),))[1]) == 24.0
        assert float(acarray.jacfwd(_scale_in_place_then_square)(x * 1.0)) == 24.0
    assert float(acarray.grad(lambda b: acarray.grad(_scale_in_place_then_square)(b * 1.0))(xp.asarray(3.0))) == 8.0


def test_hvp_under_no_grad(xp):
    with acarray.no_grad():
        _, (hv,) = acarray.hvp(lambda a: xp.sum(a**3), (xp.asarray(X),), (xp.ones(3, dtype=xp.float64),))
    np.testing.assert_allclose(to_numpy(hv), 6 * X)


def test_constant_functions_have_zero_derivatives(xp):
    x = xp.asarray(X)
    g = acarray.grad(lambda a: xp.asarray(1.0, dtype=xp.float64))(x)
    tg = tf.grad(lambda a: torch.tensor(1.0, dtype=torch.float64))(torch.tensor(X))
    close(g, tg)
    value, g = acarray.value_and_grad(lambda a: xp.sum(xp.ones(3, dtype=xp.float64)))(x)
    assert float(value) == 3.0 and float(xp.sum(xp.abs(g))) == 0.0
    _, (hv,) = acarray.hvp(lambda a: xp.asarray(1.0, dtype=xp.float64), (x,), (x,))
    assert float(xp.sum(xp.abs(hv))) == 0.0


def test_no_graph_kept_when_an_inner_transform_runs_over_its_own_variable(xp):
    x, v0 = xp.asarray(np.array([1.0, 2.0])), xp.asarray(np.array([0.5, -1.0]))
    g = acarray.grad(lambda v: xp.sum(acarray.grad(lambda a: xp.sum(a**2 * v))(x) ** 2))(v0)
    np.testing.assert_allclose(to_numpy(g), 8 * np.array([0.5, -1.0]) * np.array([1.0, 2.0]) ** 2)
    assert not g.requires_grad

    def f(a):
        return xp.stack([a[0] * a[1], a[0] ** 2])

    g = acarray.grad(lambda v: xp.sum(acarray.jvp(f, (x,), (v,))[1] ** 2))(v0)
    np.testing.assert_allclose(to_numpy(g), [4.0, 0.0])
    assert not g.requires_grad


@pytest.mark.parametrize("backend", ["torch", "array_api_strict"])
def test_python_numbers_become_tensors_of_the_transforms_namespace(backend):
    ns = acarray.namespace(backend)
    w = ns.asarray(np.array([1.0, 2.0]))
    g = ns.grad(lambda a: ns.sum(a * w))(2.0)
    assert acarray.namespace(g) is ns and float(g) == 3.0
    assert ns.grad.__doc__ == acarray.grad.__doc__


def test_pytree_structures_survive(xp):
    from collections import defaultdict

    d = defaultdict(list, a=xp.asarray(X))
    g = acarray.grad(lambda p: xp.sum(p["a"]))(d)
    assert g.default_factory is list

    class Pair(tuple):
        pass

    with pytest.raises(TypeError, match=r"argument 0 is a Pair"):
        acarray.grad(lambda p: xp.sum(p[0]))(Pair((xp.asarray(X), xp.asarray(X))))
