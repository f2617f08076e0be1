"""``acarray.checkpoint``: the gradients of a checkpointed computation are those of the same
computation without it (to the last bit on NumPy in float64: the recomputation runs the same ops
in the same order), for every way of reaching them, and misuse is refused with the reason."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import acarray
from acarray import autograd, nn
from tests.conftest import to_numpy

# Without, without and with checkpoint: the comparison is between the last two.  The first run
# records each op's call signature for the fast path, which can round differently (by an ulp) from
# the first call of a signature; a checkpoint's recomputation is never that first call.
WARM_PLAIN_CHECKPOINTED = (False, False, True)


def _mlp(xp, rng, width=6, depth=4):
    """Linear-tanh layers in float64 on ``xp``'s backend, with seeded weights."""
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width, dtype="float64", backend=xp)
        lin.load_state_dict({"weight": rng.standard_normal((width, width)) / np.sqrt(width),
                             "bias": rng.standard_normal(width)})
        layers.append(nn.Sequential(lin, nn.Tanh()))
    return layers


def _same(a, b, exact):
    a, b = to_numpy(a), to_numpy(b)
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _grads(layers, x):
    return [x.grad] + [p.grad for layer in layers for p in layer.parameters()]


def _run(layers, x0, xp, segment):
    """Loss and gradients of the MLP, each block of layers run through ``segment(block, h)``."""
    for layer in layers:
        layer.zero_grad()
    x = xp.asarray(xp.asarray(x0), dtype=xp.float64)
    x.requires_grad_()
    h = x * 1.5  # the first segment starts at a result, not a leaf
    for layer in layers:
        h = segment(layer, h)
    loss = xp.sum(h * h)
    loss.backward()
    return loss, _grads(layers, x)


def test_checkpointed_mlp_gives_the_gradients_of_the_plain_one(xp, rng):
    layers = _mlp(xp, rng)
    x0 = rng.standard_normal((5, 6))
    _run(layers, x0, xp, lambda layer, h: layer(h))  # see WARM_PLAIN_CHECKPOINTED
    plain = _run(layers, x0, xp, lambda layer, h: layer(h))
    every = _run(layers, x0, xp, lambda layer, h: acarray.checkpoint(layer, h))
    exact = xp is acarray.numpy
    _same(plain[0], every[0], exact)
    for a, b in zip(plain[1], every[1]):
        assert b is not None
        _same(a, b, exact)


def test_the_outputs_history_is_one_node_and_the_segment_is_freed(rng):
    layer = _mlp(acarray.numpy, rng, depth=1)[0]
    x = acarray.asarray(rng.standard_normal((3, 6)), requires_grad=True)
    inner = []

    def fn(t):
        h = layer(t)
        inner.append(weakref.ref(h.ctx))
        return acarray.exp(h)

    y = acarray.checkpoint(fn, x * 2.0)
    assert y.grad_fn.name == "Checkpoint"
    assert inner[0]() is None  # the segment's ops, and what they saved, are gone
    assert {id(t) for t in y.grad_fn.src} >= {id(p) for p in layer.parameters()}
    acarray.sum(y).backward()
    assert x.grad is not None and len(inner) == 2  # recomputed once, in backward


def test_nested_segments_and_a_segment_called_twice(rng):
    layers = _mlp(acarray.numpy, rng, depth=4)
    x0 = rng.standard_normal((4, 6))

    def pair(a, b):
        return lambda h: b(a(h))

    def nested(h):
        inner = acarray.checkpoint(pair(layers[0], layers[1]), h)
        return acarray.checkpoint(layers[2], inner)

    def plain_step(h):
        return layers[2](layers[1](layers[0](h)))

    results = []
    for use in WARM_PLAIN_CHECKPOINTED:
        outer = (lambda h: acarray.checkpoint(nested, h)) if use else plain_step
        for layer in layers:
            layer.zero_grad()
        x = acarray.asarray(x0, requires_grad=True)
        # The same segment twice: on x, and on what the first call gave (shared weights); and x
        # read by a second segment as well.
        y = outer(outer(x))
        z = acarray.checkpoint(layers[3], x) if use else layers[3](x)
        acarray.sum(y * y + z).backward()
        results.append(_grads(layers, x))
    for a, b in zip(*results[-2:]):
        _same(a, b, exact=True)


def test_tuple_outputs_closed_over_tensors_and_constants(rng):
    w0, c0, x0 = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal((2, 3))
    results = []
    for use in WARM_PLAIN_CHECKPOINTED:
        w = acarray.asarray(w0, requires_grad=True)
        x = acarray.asarray(x0, requires_grad=True)
        scale = acarray.exp(w[0])  # a result, closed over: part of the boundary, not an argument
        mask = acarray.asarray(c0 > 0)  # a constant argument

        def fn(t, m, power=2):
            h = acarray.matmul(t, w) * scale
            return {"a": (h ** power, "label"), "b": [acarray.where(m, h, 0.0), acarray.sin(h)], "n": 3}

        out = acarray.checkpoint(fn, x, mask, power=3) if use else fn(x, mask, power=3)
        assert out["a"][1] == "label" and out["n"] == 3
        # One output unused: the others' gradients still flow.
        loss = acarray.sum(out["a"][0]) + acarray.sum(out["b"][0] * 2.0)
        loss.backward()
        results.append((x.grad, w.grad))
    for a, b in zip(*results[-2:]):
        _same(a, b, exact=True)


def test_autograd_grad_with_respect_to_parameters_and_retained_graphs(rng):
    layers = _mlp(acarray.numpy, rng, depth=3)
    params = [p for layer in layers for p in layer.parameters()]
    x0 = rng.standard_normal((4, 6))
    results = []
    for use in WARM_PLAIN_CHECKPOINTED:
        h = acarray.asarray(x0, requires_grad=True)
        for layer in layers:
            h = acarray.checkpoint(layer, h) if use else layer(h)
        loss = acarray.sum(h ** 2)
        results.append(autograd.grad(loss, params, retain_graph=True))
        results.append(autograd.grad(loss, params))  # again, through the retained graph
        assert all(p.grad is None for p in params)
    for a, b in zip(results[2] + results[3], results[4] + results[5]):
        _same(a, b, exact=True)


def test_second_derivatives_through_a_checkpoint(rng):
    layers = _mlp(acarray.numpy, rng, depth=3)
    params = [p for layer in layers for p in layer.parameters()]
    x0 = rng.standard_normal((4, 6))
    results = []
    for use in WARM_PLAIN_CHECKPOINTED:
        x = acarray.asarray(x0, requires_grad=True)
        h = x * 0.5
        for layer in layers:
            h = acarray.checkpoint(layer, h) if use else layer(h)
        loss = acarray.sum(acarray.sin(h))
        (gx,) = autograd.grad(loss, x, create_graph=True)
        penalty = acarray.sum(gx * gx)  # a gradient penalty: its gradient needs second derivatives
        results.append(autograd.grad(penalty, [x, *params]))
    # The second pass sums the same terms in another order (they reach the boundary through the
    # recomputed ops and through the first pass's): equal to rounding, not to the bit.
    for a, b in zip(*results[-2:]):
        assert b is not None
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12, atol=1e-15)


def test_dropout_inside_draws_the_same_mask_on_recomputation(rng):
    lin = _mlp(acarray.numpy, rng, depth=1)[0]
    drop = nn.Dropout(0.5)
    x0 = rng.standard_normal((8, 6))
    results = []
    for use in WARM_PLAIN_CHECKPOINTED:
        nn.init.manual_seed(7)
        lin.zero_grad()
        x = acarray.asarray(x0, requires_grad=True)
        fn = lambda t: drop(lin(t))  # noqa: E731
        y = acarray.checkpoint(fn, x) if use else fn(x)
        acarray.sum(y * y).backward()
        after = nn.init.generator().uniform(size=3)  # the generator moves on as without checkpoint
        results.append((x.grad, lin[0].weight.grad, after))
    for a, b in zip(*results[-2:]):
        _same(a, b, exact=True)
    # Without replaying the generator, the recomputed mask differs: the test above can fail.
    nn.init.manual_seed(7)
    x = acarray.asarray(x0, requires_grad=True)
    y = acarray.checkpoint(lambda t: drop(lin(t)), x, preserve_rng_state=False)
    acarray.sum(y * y).backward()
    assert not np.array_equal(to_numpy(x.grad), to_numpy(results[0][0]))


def test_hooks_on_a_checkpoint_see_each_gradient_once(rng):
    lin = _mlp(acarray.numpy, rng, depth=1)[0]
    calls = []
    weight = lin[0].weight
    handle = weight.register_hook(lambda g: calls.append("w") or g * 2.0)
    x = acarray.asarray(rng.standard_normal((2, 6)), requires_grad=True)
    y = acarray.checkpoint(lin, x)
    y.register_hook(lambda g: calls.append("y") or g * 3.0)
    acarray.sum(y).backward()
    assert calls == ["y", "w"]
    hooked = to_numpy(weight.grad)
    handle.remove()
    lin.zero_grad()
    acarray.sum(lin(x)).backward()
    np.testing.assert_allclose(hooked, 6.0 * to_numpy(weight.grad), rtol=1e-13)  # each hook applied once


def test_without_gradients_checkpoint_is_a_call(rng):
    lin = _mlp(acarray.numpy, rng, depth=1)[0]
    x = acarray.asarray(rng.standard_normal((2, 6)))
    with acarray.no_grad():
        y = acarray.checkpoint(lin, x)
    assert y.grad_fn is None and not y.requires_grad
    assert acarray.checkpoint(lambda t: t, x) is x


def test_checkpoint_misuse_is_refused_with_the_reason(rng):
    lin = _mlp(acarray.numpy, rng, depth=1)[0]
    x0 = rng.standard_normal((2, 6))
    with pytest.raises(TypeError, match="checkpoint: fn must be callable"):
        acarray.checkpoint(3, x0)

    def scales_its_argument(t):
        t *= 2.0
        return lin(t)

    with pytest.raises(RuntimeError, match="checkpoint: fn modified its tensor argument 0 .* in place"):
        acarray.checkpoint(scales_its_argument, acarray.asarray(x0, requires_grad=True) * 1.0)

    # An argument changed in place between the forward pass and backward.
    x = acarray.asarray(x0, requires_grad=True)
    h = x * 1.0
    y = acarray.checkpoint(lin, h)
    with acarray.no_grad():
        h *= 0.0
    with pytest.raises(RuntimeError, match="needed to compute the gradient of Checkpoint was modified by an in-place"):
        acarray.sum(y).backward()

    # A parameter updated before backward (an optimizer step between forward and backward).
    y = acarray.checkpoint(lin, x)
    with acarray.no_grad():
        lin[0].weight -= 0.1
    with pytest.raises(RuntimeError, match="gradient of Checkpoint was modified by an in-place"):
        acarray.sum(y).backward()

    # A function that computes something else when it runs again.
    runs = []

    def grows(t):
        runs.append(1)
        return lin(t)[:, : 6 - len(runs)]

    y = acarray.checkpoint(grows, x)
    with pytest.raises(RuntimeError, match=r"checkpoint: recomputing .*grows during backward gave another result: "
                                           r"value 0 of its result has shape \(2, 4\)"):
        acarray.sum(y).backward()

    # One that reads another tensor when it runs again.
    others = [acarray.asarray(x0, requires_grad=True), acarray.asarray(x0, requires_grad=True)]

    def reads_another(t):
        return lin(t * others[len(runs) % 2])

    runs.clear()
    y = acarray.checkpoint(lambda t: runs.append(1) or reads_another(t), x)
    with pytest.raises(RuntimeError, match="read other tensors that require grad than the first run did"):
        acarray.sum(y).backward()
    with pytest.raises(TypeError, match="use_reentrant must be a bool or None"):
        acarray.checkpoint(lin, x, use_reentrant="yes")


def test_a_recomputation_error_leaves_the_tensors_as_they_were(rng):
    lin = _mlp(acarray.numpy, rng, depth=1)[0]
    x = acarray.asarray(rng.standard_normal((2, 6)), requires_grad=True)
    h = x * 2.0
    history = h.grad_fn
    fail = []

    def fn(t):
        if fail:
            raise ValueError("boom")
        return lin(t)

    y = acarray.checkpoint(fn, h)
    fail.append(1)
    with pytest.raises(ValueError, match="boom"):
        acarray.sum(y).backward()
    assert h.grad_fn is history and h.requires_grad
    gc.collect()
    (g,) = autograd.grad(acarray.sum(h), x)  # h's own history is intact
    np.testing.assert_array_equal(to_numpy(g), np.full((2, 6), 2.0))
