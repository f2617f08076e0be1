"""acarray.nn.functional: losses against PyTorch, fused ops against finite differences (first and second order)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make, to_numpy
from nn_reference import assert_close

import acarray
import acarray.nn.functional as F
from acarray.testing import check_grads

TF = torch.nn.functional


def _pair(xp, value):
    """The same values as an acarray tensor on ``xp`` and as a torch tensor (both requiring grad if floating)."""
    floating = np.issubdtype(value.dtype, np.floating)
    t = torch.tensor(value, requires_grad=bool(floating))
    a = xp.asarray(xp.asarray(value))
    return (a.requires_grad_() if floating else a), t


def _compare_loss(xp, ours, theirs, *values):
    pairs = [_pair(xp, v) for v in values]
    out = ours(*(a for a, _ in pairs))
    tout = theirs(*(t for _, t in pairs))
    assert_close(out, tout, "loss")
    cot = np.random.default_rng(0).standard_normal(tuple(out.shape))
    out.backward(xp.asarray(xp.asarray(cot)))
    tout.backward(torch.tensor(cot))
    for i, (a, t) in enumerate(pairs):
        if t.requires_grad:
            assert_close(a.grad, t.grad, f"gradient of argument {i}")


LOGITS = np.random.default_rng(5).standard_normal((6, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3])
PROBS = np.random.default_rng(6).dirichlet(np.ones(4), size=6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", [
    "indices", "ignore_index", "ignore_index_in_range", "ignore_index_smoothing", "label_smoothing",
    "probabilities", "probabilities_smoothing", "spatial",
])
def test_cross_entropy_matches_torch(case, reduction):
    options = {"reduction": reduction}
    logits, target = LOGITS, LABELS
    if case == "ignore_index":
        target = np.array([0, -100, 1, -100, 2, 3])
    elif case == "ignore_index_in_range":  # a class index that is skipped
        options["ignore_index"] = 1
    elif case == "ignore_index_smoothing":
        target, options["label_smoothing"] = np.array([0, -100, 1, -100, 2, 3]), 0.2
    elif case == "label_smoothing":
        options["label_smoothing"] = 0.2
    elif case == "probabilities":
        target = PROBS
    elif case == "probabilities_smoothing":
        target, options["label_smoothing"] = PROBS, 0.1
    elif case == "spatial":
        logits = np.random.default_rng(7).standard_normal((2, 4, 3, 2))
        target = np.random.default_rng(8).integers(0, 4, size=(2, 3, 2))
    _compare_loss(acarray.numpy, lambda a, b: F.cross_entropy(a, b, **options),
                  lambda a, b: TF.cross_entropy(a, b, **options), logits, target)


@pytest.mark.parametrize("xp", ["array_api_strict", "torch"], indirect=True)
def test_cross_entropy_on_other_backends(xp):
    _compare_loss(xp, lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                  lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1), LOGITS, LABELS)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = acarray.asarray(np.array([[1000.0, 0.0, -1000.0]]), requires_grad=True)
    loss = F.cross_entropy(logits, acarray.asarray(np.array([2])))
    loss.backward()
    assert float(loss) == pytest.approx(2000.0)
    np.testing.assert_allclose(to_numpy(logits.grad), [[1.0, 0.0, -1.0]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss"])
def test_losses_match_torch(name, reduction):
    rng = np.random.default_rng(1)
    if name == "binary_cross_entropy":
        args = rng.uniform(0.05, 0.95, (5, 3)), rng.uniform(0, 1, (5, 3))
    elif name == "nll_loss":
        args = np.log(PROBS), np.array([0, 1, -100, 3, 2, 1])
    else:
        args = rng.standard_normal((5, 3)) * 2, rng.standard_normal((5, 3))
    _compare_loss(acarray.numpy, lambda a, b: getattr(F, name)(a, b, reduction=reduction),
                  lambda a, b: getattr(TF, name)(a, b, reduction=reduction), *args)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_skips_an_ignored_class_index(reduction):
    _compare_loss(acarray.numpy, lambda a, b: F.nll_loss(a, b, ignore_index=1, reduction=reduction),
                  lambda a, b: TF.nll_loss(a, b, ignore_index=1, reduction=reduction), np.log(PROBS), LABELS)


def test_loss_errors_name_the_shapes_and_values():
    x = acarray.zeros((4, 3))
    with pytest.raises(F.ShapeError, match=r"mse_loss: input has shape \(4, 3\) but target has shape \(4,\)"):
        F.mse_loss(x, acarray.zeros((4,)))
    with pytest.raises(F.ShapeError, match=r"need class indices of shape \(4,\), got \(4, 1\)"):
        F.cross_entropy(x, acarray.zeros((4, 1), dtype=acarray.int64))
    for labels in ([0, 1, 3, 0], [0, -1, 2, 0], [0, -100, 3, 0]):
        with pytest.raises(ValueError, match=r"class indices must be in \[0, 3\) or equal ignore_index=-100"):
            F.cross_entropy(x, acarray.asarray(np.array(labels)))
        with pytest.raises(ValueError, match=r"class indices must be in \[0, 3\) or equal ignore_index=-100"):
            F.cross_entropy(x, acarray.asarray(np.array(labels)), label_smoothing=0.1)
        with pytest.raises(ValueError, match=r"nll_loss: class indices must be in \[0, 3\)"):
            F.nll_loss(x, acarray.asarray(np.array(labels)))
    with pytest.raises(ValueError, match=r"class indices must be in \[0, 3\) or equal ignore_index=1"):
        F.cross_entropy(x, acarray.asarray(np.array([0, 1, 3, 0])), ignore_index=1)
    with pytest.raises(ValueError, match="reduction must be"):
        F.mse_loss(x, x, reduction="average")
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(x, acarray.asarray(np.array([0, 1, 2, 0])), reduction="average")


def test_sigmoid_and_log_softmax_do_not_overflow():
    x = acarray.asarray(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    np.testing.assert_allclose(to_numpy(F.sigmoid(x)), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(to_numpy(F.log_softmax(x)), [-2000.0, -1000.0, 0.0])
    acarray.sum(F.sigmoid(x)).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.0, 0.25, 0.0])


# Fused ops: gradients and second derivatives against central finite differences.
FUSED = {
    "linear": ([(3, 4), (2, 4), (2,)], lambda x, w, b: F.linear(x, w, b)),
    "relu": ([(3, 4)], F.relu),
    "sigmoid": ([(3, 4)], F.sigmoid),
    "gelu": ([(3, 4)], F.gelu),
    "softmax": ([(3, 4)], lambda x: F.softmax(x, axis=0)),
    "log_softmax": ([(3, 4)], F.log_softmax),
    "layer_norm": ([(2, 3, 4), (3, 4), (3, 4)], lambda x, w, b: F.layer_norm(x, (3, 4), w, b)),
    "cross_entropy": ([(4, 3)], lambda x: F.cross_entropy(x, acarray.asarray(np.array([0, 2, 1, 2])), label_smoothing=0.1)),
    "cross_entropy_ignored_rows": ([(4, 3)], lambda x: F.cross_entropy(x, acarray.asarray(np.array([0, -100, 1, 2])),
                                                                       reduction="none")),
    "conv2d": ([(1, 2, 4, 3), (2, 1, 2, 2), (2,)], lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2)),
    "conv1d": ([(1, 2, 5), (3, 2, 2)], lambda x, w: F.conv1d(x, w, dilation=2)),
    "conv_transpose2d": ([(1, 2, 2, 3), (2, 2, 2, 2)], lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)),
    "avg_pool2d": ([(1, 2, 4, 4)], lambda x: F.avg_pool2d(x, 3, stride=1, padding=1)),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused_op_gradients_match_finite_differences(name, rng):
    shapes, fn = FUSED[name]
    inputs = [make(acarray.numpy, rng, s) for s in shapes]
    if name == "relu":  # keep away from the kink
        inputs = [x + 0.1 * acarray.sign(x) for x in inputs]
    check_grads(fn, *inputs, order=2, rtol=1e-4, atol=1e-6)


def test_max_pool_gradient_matches_finite_differences(rng):
    x = acarray.asarray(rng.permutation(32).reshape(1, 2, 4, 4).astype(np.float64))  # no ties
    check_grads(lambda t: F.max_pool2d(t, 2, stride=1, padding=1) ** 2, x, order=2)


def test_fused_ops_on_array_api_strict(rng):
    xp = acarray.namespace("array_api_strict")
    x, w = make(xp, rng, (1, 2, 4, 3)), make(xp, rng, (4, 2, 2, 2))
    check_grads(lambda a, b: F.conv2d(a, b, padding=(1, 0)), x, w, order=1)
    check_grads(lambda a: F.max_pool2d(a, 2), x, order=1)
    check_grads(lambda a: F.layer_norm(a, (3,)), x, order=1)
