"""What a training step's graph keeps after backward(), with the loss still referenced (NumPy backend).

Fused ops of acarray.nn may keep large buffers from the forward pass for their
backward pass (convolution's im2col matrix, max pooling's choice of element,
cross-entropy's log-probabilities and targets).  The first backward pass frees
them: the graph then holds no array beyond the inputs, and a second backward
pass through a retained graph rebuilds them from the inputs.  Gradients are
checked against PyTorch in float64.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
import torch

import acarray
import acarray.nn.functional as F
from acarray._autograd import edge_target

TF = torch.nn.functional
xp = acarray.namespace("numpy")


def _ops(t):
    """Every op in the graph of ``t``."""
    seen, stack = {}, [t.ctx]
    while stack:
        op = stack.pop()
        if op is None or id(op) in seen or isinstance(op, acarray.Tensor):
            continue
        seen[id(op)] = op
        stack.extend(edge_target(e)[0] for e in op.next if e is not None)
    return list(seen.values())


def _arrays(value):
    """The arrays in ``value``: an array, a tensor's, or those in a tuple, list or dict."""
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, acarray.Tensor):
        yield from _arrays(value.data)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)


def _kept(op):
    """``(attribute, array)`` for each array the op keeps as an attribute of its own."""
    return [(name, a) for name, v in getattr(op, "__dict__", {}).items() for a in _arrays(v)]


def _leaf(value):
    return xp.asarray(value).requires_grad_()


def _conv_step(x, w, b, labels, lib):
    """conv2d, relu, max_pool2d, flatten, cross_entropy: acarray's functions or PyTorch's."""
    if lib is F:
        h = F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2)
        return F.cross_entropy(xp.reshape(h, (h.shape[0], -1)), labels, label_smoothing=0.1)
    h = TF.max_pool2d(TF.relu(TF.conv2d(x, w, b, padding=1)), 2)
    return TF.cross_entropy(h.reshape(h.shape[0], -1), labels, label_smoothing=0.1)


def _conv_values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((4, 3, 8, 8)), rng.standard_normal((2, 3, 3, 3)) * 0.3, rng.standard_normal(2)]


LABELS = np.array([0, 5, 31, 7])


def _torch_grads(step, values, *rest):
    leaves = [torch.tensor(v, requires_grad=True) for v in values]
    step(*leaves, *(torch.tensor(r) for r in rest), TF).backward()
    return [t.grad.numpy() for t in leaves]


def _assert_grads(leaves, expected, what):
    for i, (t, want) in enumerate(zip(leaves, expected)):
        np.testing.assert_allclose(np.asarray(t.grad.data), want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{what}: gradient of input {i}")


def test_conv_pool_cross_entropy_free_their_buffers_after_backward():
    values = _conv_values()
    leaves = [_leaf(v) for v in values]
    loss = _conv_step(*leaves, xp.asarray(LABELS), F)
    ops = _ops(loss)
    kept = {op.name: _kept(op) for op in ops}
    for name in ("Conv", "MaxPool", "SoftmaxCrossEntropy"):
        assert kept.get(name), f"{name} is expected to keep a buffer between forward and backward, kept {kept}"
    im2col = max(a.size for _, a in kept["Conv"])
    assert im2col > values[0].size, "the im2col matrix is larger than the input"

    loss.backward()
    _assert_grads(leaves, _torch_grads(_conv_step, values, LABELS), "backward")
    for op in ops:
        assert not _kept(op), f"{op.name} still keeps {[(n, a.shape) for n, a in _kept(op)]} after backward"
        assert op.rec is None, f"{op.name} still holds its inputs after backward"


@pytest.mark.parametrize("step", ["conv", "bce"])
def test_second_backward_through_retained_graph_rebuilds_buffers(step):
    if step == "conv":
        values, rest, run = _conv_values(1), [LABELS], _conv_step
    else:
        values, rest, run = _bce_values(), [BCE_WEIGHT], _bce_step
    expected = _torch_grads(run, values, *rest)
    leaves = [_leaf(v) for v in values]
    loss = run(*leaves, *(xp.asarray(r) for r in rest), F)
    ops = _ops(loss)
    loss.backward(retain_graph=True)
    _assert_grads(leaves, expected, "first backward")
    for op in ops:
        assert not _kept(op), f"{op.name} still keeps {[(n, a.shape) for n, a in _kept(op)]} after backward"
        assert op.rec is not None, f"{op.name} freed its inputs although the graph is retained"
    for t in leaves:
        t.grad = None
    loss.backward()
    _assert_grads(leaves, expected, "second backward")


def _bce_values(seed=2):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((16, 5)) * 4
    z[0, :3] = [0.0, 40.0, -40.0]
    return [z, rng.uniform(0.0, 1.0, (16, 5)).round(1)]


BCE_WEIGHT = np.linspace(0.5, 2.0, 5)  # a constant: PyTorch does not differentiate in it


def _bce_step(z, t, w, lib):
    """binary_cross_entropy_with_logits weighted per class, then its mean and a sigmoid's mean."""
    if lib is F:
        return F.binary_cross_entropy_with_logits(z, t, weight=w) + xp.mean(F.sigmoid(z))
    return TF.binary_cross_entropy_with_logits(z, t, weight=w) + torch.sigmoid(z).mean()


def test_bce_with_logits_keeps_nothing_after_backward():
    values = _bce_values()
    leaves = [_leaf(v) for v in values]
    loss = _bce_step(*leaves, xp.asarray(BCE_WEIGHT), F)
    ops = _ops(loss)
    assert "BinaryCrossEntropyWithLogits" in {op.name for op in ops}
    loss.backward()
    _assert_grads(leaves, _torch_grads(_bce_step, values, BCE_WEIGHT), "backward")
    for op in ops:
        assert not _kept(op), f"{op.name} still keeps {[(n, a.shape) for n, a in _kept(op)]} after backward"
        assert op.rec is None, f"{op.name} still holds its inputs after backward"


def test_memory_held_after_backward_is_about_the_gradients():
    """Measured: what a conv step allocates and keeps, with the loss referenced, is about its
    gradients, far less than the im2col matrix of the forward pass."""
    rng = np.random.default_rng(3)
    x = _leaf(rng.standard_normal((8, 16, 24, 24)))
    w = _leaf(rng.standard_normal((4, 16, 3, 3)) * 0.1)
    labels = xp.asarray(rng.integers(0, 4 * 12 * 12, 8))
    im2col = 8 * 24 * 24 * 16 * 9 * 8  # bytes: positions times (kernel offsets * channels), float64
    gc.collect()
    tracemalloc.start()
    try:
        h = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
        loss = F.cross_entropy(xp.reshape(h, (8, -1)), labels)
        del h
        forward = tracemalloc.get_traced_memory()[0]
        loss.backward()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert forward > im2col, "the forward pass keeps its im2col matrix for backward"
    grads = x.grad.data.nbytes + w.grad.data.nbytes
    assert after < grads + im2col // 4, f"{after} bytes kept after backward, the gradients take {grads}"
    assert loss.ctx is not None  # the loss, and its graph, are still referenced
