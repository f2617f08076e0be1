"""Hooks: ``Tensor.register_hook`` and ``Module.register_forward_hook``/``register_forward_pre_hook``,
each checked against the same hooks on PyTorch (float64)."""

from __future__ import annotations

import copy
import gc
import pickle

import numpy as np
import pytest
import torch

import acarray
from acarray import _autograd, autograd, nn
from tests.conftest import to_numpy

VALUES = [0.5, -1.25, 2.0]


def _pair(xp, values=VALUES):
    """The same leaf on acarray (namespace ``xp``) and on PyTorch, float64, requiring grad."""
    a = xp.asarray(xp.asarray(np.array(values)), dtype=xp.float64)
    a.requires_grad_()
    return a, torch.tensor(values, dtype=torch.float64, requires_grad=True)


def _close(a, t):
    np.testing.assert_allclose(to_numpy(a), t.detach().numpy(), rtol=1e-12, atol=1e-12)


# -- Tensor.register_hook -----------------------------------------------------------------


def test_a_leaf_hook_sees_its_complete_gradient_once_and_replaces_it(xp):
    (x, tx), seen = _pair(xp), {"a": [], "t": []}
    for v, ns, key in ((x, xp, "a"), (tx, torch, "t")):
        v.register_hook(lambda g, key=key: seen[key].append(g) or g * 10.0)
        (ns.sum(v * v) + ns.sum(ns.sin(v))).backward()  # two paths reach the leaf
    assert len(seen["a"]) == len(seen["t"]) == 1
    _close(seen["a"][0], seen["t"][0])
    _close(x.grad, tx.grad)
    np.testing.assert_allclose(to_numpy(x.grad), 10 * to_numpy(seen["a"][0]))


def test_a_result_hook_changes_what_flows_on(xp):
    (x, tx) = _pair(xp)
    grads = []
    for v, ns in ((x, xp), (tx, torch)):
        h = v * 2.0
        h.register_hook(lambda g: g * 3.0 + 1.0)
        h.retain_grad()  # stored after the hooks, as PyTorch's retains_grad hook runs last
        ns.sum(ns.sin(h) * h).backward()
        grads.append(h.grad)
    _close(x.grad, tx.grad)
    _close(grads[0], grads[1])
    # And without the hook the gradients differ: the hook did something.
    y = acarray.namespace(x).asarray(x.detach())
    y.requires_grad_()
    xp.sum(xp.sin(y * 2.0) * (y * 2.0)).backward()
    assert not np.allclose(to_numpy(y.grad), to_numpy(x.grad))


def test_hooks_run_in_registration_order_and_remove_unregisters(xp):
    (x, tx) = _pair(xp)
    for v, ns in ((x, xp), (tx, torch)):
        h = v * 1.0
        h.register_hook(lambda g: g + 1.0)
        h.register_hook(lambda g: g * 2.0)  # (g + 1) * 2, not g * 2 + 1
        gone = h.register_hook(lambda g: g * 100.0)
        gone.remove()
        gone.remove()  # a second remove does nothing
        ns.sum(h * h).backward()
    _close(x.grad, tx.grad)
    leaf, _ = _pair(xp)
    with leaf.register_hook(lambda g: g * 0.0):
        pass  # the handle removes the hook on leaving
    xp.sum(leaf).backward()
    np.testing.assert_array_equal(to_numpy(leaf.grad), np.ones(3))


def test_a_hook_gets_a_tensor_without_graph_and_may_return_a_raw_array(xp):
    x, _ = _pair(xp)
    got = []

    def hook(g):
        got.append(g)
        return g.data * 2.0  # the backend's own array

    x.register_hook(hook)
    xp.sum(x * 3.0).backward()
    (g,) = got
    assert isinstance(g, acarray.Tensor) and not g.requires_grad
    assert type(g.data) is type(x.data)
    assert type(x.grad) is type(x.data)
    np.testing.assert_array_equal(to_numpy(x.grad), np.full(3, 6.0))


def test_hooks_in_autograd_grad_match_pytorch(xp):
    (x, tx) = _pair(xp)
    out = []
    for v, ns, grad in ((x, xp, autograd.grad), (tx, torch, torch.autograd.grad)):
        v.register_hook(lambda g: g * 10.0)
        h = v * 2.0
        h.register_hook(lambda g: g * 100.0)
        y = ns.sum(h * h) + ns.sum(v * 3.0)
        out.append(grad(y, h, retain_graph=True))  # the result's gradient, as its hook left it
        out.append(grad(y, v))  # the leaf's, as its hook left it, from what the result's hook let through
    for a, t in zip(out[0] + out[1], out[2] + out[3]):
        _close(a, t)
    assert x.grad is None  # grad() touches no .grad
    # (PyTorch's grad(y, [v, h]) returns h's gradient before h's hook, as it runs h's node for v; here
    # a result's gradient is always handed out as its hooks leave it, as PyTorch's grad(y, h) does.)


def test_a_hook_on_a_leaf_that_is_the_root(xp):
    x, tx = _pair(xp)
    for v in (x, tx):
        v.register_hook(lambda g: g * 5.0)
    x.backward(xp.ones(3, dtype=xp.float64))
    tx.backward(torch.ones(3, dtype=torch.float64))
    _close(x.grad, tx.grad)


def test_under_create_graph_a_hook_sees_the_graph_and_second_derivatives_follow(xp):
    (x, tx) = _pair(xp)
    seen, results = {"a": [], "t": []}, []
    for v, ns, grad, key in ((x, xp, autograd.grad, "a"), (tx, torch, torch.autograd.grad, "t")):
        h = v ** 3
        h.register_hook(lambda g, v=v: g * v)  # a gradient that depends on v
        inner = v * v
        inner.register_hook(lambda g, key=key: seen[key].append(("inner", g.requires_grad)) or g * 2.0)
        y = ns.sum(ns.sin(h)) + ns.sum(ns.exp(inner))
        y.register_hook(lambda g, key=key: seen[key].append(("y", g.requires_grad)))
        (g,) = grad(y, v, create_graph=True)
        seen[key].append("second")
        (g2,) = grad(ns.sum(g * g), v)
        results.append((g, g2))
    # The root's hook gets the seed, without graph, inner's a gradient computed from exp(inner); the
    # second pass goes through the forward ops again and calls their hooks again, as PyTorch does.
    assert seen["a"] == seen["t"]
    assert seen["a"][:3] == [("y", False), ("inner", True), "second"]
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])


def test_a_hook_registered_before_an_inplace_change_sees_the_old_value(xp):
    (x, tx) = _pair(xp)
    seen = {"a": [], "t": []}
    for v, ns, key in ((x, xp, "a"), (tx, torch, "t")):
        h = v * 2.0
        h.register_hook(lambda g, key=key: seen[key].append(("old", g)))
        h *= 3.0  # h takes a new history; the old hook stays with the old value
        h.register_hook(lambda g, key=key: seen[key].append(("new", g)))
        ns.sum(h * h).backward()
    assert [k for k, _ in seen["a"]] == [k for k, _ in seen["t"]] == ["new", "old"]
    for (_, a), (_, t) in zip(seen["a"], seen["t"]):
        _close(a, t)
    _close(x.grad, tx.grad)


def test_a_hook_on_an_output_that_got_no_gradient_sees_none(xp):
    a0 = np.array([[2.0, 1.0], [1.0, 3.0]])
    results = []
    for ns in (xp, torch):
        A = ns.asarray(a0) if ns is torch else xp.asarray(xp.asarray(a0), dtype=xp.float64)
        A = torch.tensor(a0, requires_grad=True) if ns is torch else A.requires_grad_()
        w, V = ns.linalg.eigh(A)
        seen = []
        V.register_hook(lambda g, seen=seen: seen.append(g))
        w.register_hook(lambda g: g * 2.0)
        ns.sum(w).backward()
        results.append((seen, A.grad))
    assert results[0][0] == results[1][0] == [None]
    _close(results[0][1], results[1][1])
    A = xp.asarray(xp.asarray(a0), dtype=xp.float64).requires_grad_()
    w, V = xp.linalg.eigh(A)
    V.register_hook(lambda g: xp.ones_like(V.detach()))
    with pytest.raises(RuntimeError, match="register_hook: the hook .* was called with None"):
        xp.sum(w).backward()


def test_hook_misuse_is_refused_with_the_reason(xp):
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook on a tensor that doesn't require grad"):
        xp.asarray([1.0, 2.0]).register_hook(lambda g: g)
    x, _ = _pair(xp)
    with pytest.raises(TypeError, match="register_hook: the hook must be callable"):
        x.register_hook(3)
    cases = [
        (lambda g: xp.ones(4, dtype=xp.float64), RuntimeError, r"returned a gradient of shape \(4,\).*tensor has shape \(3,\)"),
        (lambda g: xp.astype(g, xp.float32), RuntimeError, "of dtype [a-z_.]*float32, but the tensor has dtype [a-z_.]*float64"),
        (lambda g: 1.0, TypeError, "returned float; a hook returns None"),
    ]
    for hook, error, message in cases:
        for leaf in (True, False):
            x, _ = _pair(xp)
            t = x if leaf else x * 2.0
            t.register_hook(hook)
            with pytest.raises(error, match=message):
                xp.sum(t * t).backward()
    x, _ = _pair(xp)
    other = acarray.numpy if xp is not acarray.numpy else acarray.array_api_strict
    x.register_hook(lambda g: other.ones(3, dtype=other.float64))
    with pytest.raises(TypeError, match="returned an array of backend .* but the tensor's backend is"):
        xp.sum(x).backward()


def test_leaf_hooks_leave_no_entry_behind():
    """Backward looks for leaf hooks only while some leaf has one: removing the last hook, or
    dropping the leaf, empties the table."""
    assert not _autograd._LEAF_HOOKS
    x = acarray.asarray([1.0, 2.0], requires_grad=True)
    a, b = x.register_hook(lambda g: g), x.register_hook(lambda g: g)
    assert len(_autograd._LEAF_HOOKS) == 1
    a.remove()
    assert len(_autograd._LEAF_HOOKS) == 1
    b.remove()
    assert not _autograd._LEAF_HOOKS
    y = acarray.asarray([1.0, 2.0], requires_grad=True)
    y.register_hook(lambda g: g)
    del y
    gc.collect()
    assert not _autograd._LEAF_HOOKS


# -- Module forward hooks -------------------------------------------------------------------


def _linear_pair(rng):
    """The same Linear(3, 2) on acarray (float64) and on PyTorch."""
    w, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    lin = nn.Linear(3, 2, dtype="float64")
    lin.load_state_dict({"weight": w, "bias": b})
    tlin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tlin.weight.copy_(torch.tensor(w))
        tlin.bias.copy_(torch.tensor(b))
    return lin, tlin


def test_forward_hooks_replace_args_and_output_as_in_pytorch(rng):
    lin, tlin = _linear_pair(rng)
    x0 = rng.standard_normal((4, 3))
    calls = {"a": [], "t": []}
    results = []
    for m, ns, key in ((lin, acarray, "a"), (tlin, torch, "t")):
        m.register_forward_pre_hook(lambda mod, args, key=key: calls[key].append("pre") or args[0] * 2.0)  # a bare value
        m.register_forward_pre_hook(lambda mod, args, key=key: calls[key].append(("pre2", type(args).__name__, len(args))))
        m.register_forward_hook(lambda mod, args, out, key=key: calls[key].append("post") or ns.tanh(out) + args[0][:, :2])
        m.register_forward_hook(lambda mod, args, out, key=key: calls[key].append("first"), prepend=True)
        x = ns.asarray(x0) if ns is acarray else torch.tensor(x0)
        out = m(x)
        ns.sum(out * out).backward()
        results.append((out, m.weight.grad, m.bias.grad))
    assert calls["a"] == calls["t"] == ["pre", ("pre2", "tuple", 1), "first", "post"]
    for a, t in zip(*results):
        _close(a, t)


def test_forward_hooks_with_kwargs_and_removal(rng):
    lin, tlin = _linear_pair(rng)
    x0 = rng.standard_normal((2, 3))
    outs = []
    for m, ns in ((lin, acarray), (tlin, torch)):
        x = ns.asarray(x0) if ns is acarray else torch.tensor(x0)
        h1 = m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1.0,), kwargs), with_kwargs=True)
        h2 = m.register_forward_hook(lambda mod, args, kwargs, out: out * 3.0, with_kwargs=True)
        outs.append(m(x))
        h1.remove()
        h2.remove()
        outs.append(m(x))
    _close(outs[0], outs[2])
    _close(outs[1], outs[3])
    assert not np.allclose(to_numpy(outs[0]), to_numpy(outs[1]))
    lin.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple \(args, kwargs\)"):
        lin(acarray.asarray(x0))
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        lin.register_forward_hook(None)


def _double_output(module, args, output):  # module-level: picklable
    return output * 2.0


def test_forward_hooks_travel_with_deepcopy_and_pickle_but_not_state_dict(rng):
    lin, tlin = _linear_pair(rng)
    x = acarray.asarray(rng.standard_normal((2, 3)))
    plain = to_numpy(lin(x))
    handle = lin.register_forward_hook(_double_output)
    tlin.register_forward_hook(_double_output)
    assert set(lin.state_dict()) == set(tlin.state_dict()) == {"weight", "bias"}
    for other, tother in ((copy.deepcopy(lin), copy.deepcopy(tlin)), (pickle.loads(pickle.dumps(lin)), pickle.loads(pickle.dumps(tlin)))):
        np.testing.assert_allclose(to_numpy(other(x)), 2 * plain)
        assert len(tother._forward_hooks) == 1  # PyTorch's copies keep their hooks too
    copied = copy.deepcopy(lin)
    handle.remove()  # the original's handle does not reach the copy's hooks
    np.testing.assert_allclose(to_numpy(lin(x)), plain)
    np.testing.assert_allclose(to_numpy(copied(x)), 2 * plain)
    fresh = nn.Linear(3, 2, dtype="float64")
    fresh.load_state_dict(copied.state_dict())
    np.testing.assert_allclose(to_numpy(fresh(x)), plain)  # state_dict carries no hooks
