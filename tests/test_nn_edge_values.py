"""Every differentiable function of acarray.nn.functional at edge inputs, against PyTorch in float64.

The functions come from the module itself (its public functions); each must have
an entry in ``TORCH`` (how PyTorch computes it, with acarray's signature) and in
``CASES`` (inputs at the edges: 0 and -0, tiny and huge, +-inf, NaN, masked
``-inf`` logits, saturated probabilities, ignored and empty rows), so a new
function fails here until it is covered.  For each case the value and the
gradient of a random cotangent are compared with ``torch.autograd``: close
wherever PyTorch's is finite, equal where it is infinite (NaN in PyTorch is not
compared).  Smooth cases also compare a second derivative: the gradient of
``sum(grad * v)`` taken with ``create_graph=True``.  Everything runs on every
backend of the ``xp`` fixture.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
import torch_side
from conftest import to_numpy
from torch_side import cotangent

import acarray
import acarray.nn.functional as F

TF = torch.nn.functional
inf, nan = math.inf, math.nan

FUNCTIONS = sorted(
    name for name, f in vars(F).items()
    if inspect.isfunction(f) and f.__module__ == F.__name__ and not name.startswith("_")
)

# PyTorch's version of each function, called as acarray's is.
def _weighted(loss, weight, reduction):
    loss = loss if weight is None else loss * weight
    return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()


def _bce_with_logits(z, t, pos_weight):
    """PyTorch's loss per element; one linear in ``pos_weight`` (slope ``t * softplus(-z)``) where
    that requires grad, which PyTorch does not differentiate in."""
    if pos_weight is None or not pos_weight.requires_grad:
        return TF.binary_cross_entropy_with_logits(z, t, reduction="none", pos_weight=pos_weight)
    fixed = pos_weight.detach()
    loss = TF.binary_cross_entropy_with_logits(z, t, reduction="none", pos_weight=fixed)
    return loss + (pos_weight - fixed) * t * TF.softplus(-z)


TORCH = {
    "relu": TF.relu,
    "leaky_relu": lambda x, negative_slope=0.01: TF.leaky_relu(x, negative_slope),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "silu": TF.silu,
    "gelu": lambda x, approximate="none": TF.gelu(x, approximate=approximate),
    "softmax": lambda x, axis=-1: TF.softmax(x, dim=axis),
    "log_softmax": lambda x, axis=-1: TF.log_softmax(x, dim=axis),
    "linear": TF.linear,
    "conv1d": TF.conv1d,
    "conv2d": TF.conv2d,
    "conv_transpose2d": TF.conv_transpose2d,
    "max_pool2d": lambda x, kernel_size, stride=None, padding=0: TF.max_pool2d(x, kernel_size, stride, padding),
    "avg_pool2d": lambda x, kernel_size, stride=None, padding=0: TF.avg_pool2d(x, kernel_size, stride, padding),
    "layer_norm": lambda x, shape, weight=None, bias=None, eps=1e-5: TF.layer_norm(
        x, (shape,) if isinstance(shape, int) else shape, weight, bias, eps),
    "batch_norm": lambda x, rm, rv, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5: TF.batch_norm(
        x, rm, rv, weight, bias, training, momentum, eps),
    "dropout": lambda x, p=0.5, training=True: TF.dropout(x, p, training),
    "embedding": TF.embedding,
    "scaled_dot_product_attention": lambda q, k, v, attn_mask=None, is_causal=False: TF.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, is_causal=is_causal),
    "mse_loss": TF.mse_loss,
    "l1_loss": TF.l1_loss,
    "cross_entropy": TF.cross_entropy,
    "nll_loss": TF.nll_loss,
    # PyTorch does not differentiate in ``weight``: it is applied here as PyTorch applies it, to each element's loss.
    "binary_cross_entropy": lambda p, t, reduction="mean", *, weight=None: _weighted(
        TF.binary_cross_entropy(p, t, reduction="none"), weight, reduction),
    "binary_cross_entropy_with_logits": lambda z, t, reduction="mean", *, weight=None, pos_weight=None: _weighted(
        _bce_with_logits(z, t, pos_weight), weight, reduction),
}

LOSSES = {"mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"}

EDGE = np.array([0.0, -0.0, 5e-324, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 30.0, -30.0,
                 800.0, -800.0, 1e300, -1e300, inf, -inf, nan])
FINITE = EDGE[np.isfinite(EDGE)]
REDUCTIONS = ("mean", "sum", "none")


class Side(torch_side.Side):
    def c(self, values, dtype=np.int64):
        """A constant tensor (class indices by default, masks)."""
        return super().c(values, dtype)


class Case:
    def __init__(self, label, build, second=True, tol=1e-7):
        self.label, self.build, self.second, self.tol = label, build, second, tol


def _r(seed=0):
    return np.random.default_rng(seed)


def _elementwise(*kwargs_list, second=True, tol=1e-7):
    return [Case(f"edges {kw}", lambda s, f, kw=kw: f(s.t(EDGE), **kw), second, tol) for kw in kwargs_list]


ROWS = np.array([
    [0.0, -inf, 1.0, 2.0],  # one masked logit
    [-inf, -inf, -inf, -inf],  # all masked: NaN, as in PyTorch
    [1e300, 0.0, -1e300, 5.0],  # huge
    [0.0, 0.0, 0.0, 0.0],
    [-0.0, 5e-324, -1e-300, 1e-300],
    [800.0, -800.0, 0.0, 30.0],  # saturated
    [nan, 0.0, 1.0, 2.0],
    [inf, 0.0, 1.0, 2.0],
    [-inf, -inf, 3.0, -inf],  # one class left
])


def _along_cases():
    return [
        Case("rows", lambda s, f: f(s.t(ROWS))),
        Case("columns", lambda s, f: f(s.t(ROWS[:, :3]), axis=0)),
        Case("0-d", lambda s, f: f(s.t(3.0), axis=0)),
        Case("empty rows", lambda s, f: f(s.t(np.zeros((0, 3))), axis=1)),
    ]


def _conv_input(shape, seed):
    x = _r(seed).standard_normal(shape)
    flat = x.reshape(-1)
    flat[:8] = [0.0, -0.0, 5e-324, 1e-300, 1e150, -1e150, 1e-8, 30.0]
    return x


def _conv_cases():
    x2 = _conv_input((2, 2, 5, 4), 1)
    w2 = _r(2).standard_normal((4, 1, 3, 2))
    x_inf = x2.copy()
    x_inf[0, 0, 2, 1], x_inf[1, 1, 0, 0] = inf, nan
    return {
        "conv2d": [
            Case("edges", lambda s, f: f(s.t(x2), s.t(w2), s.t([0.0, 1e300, -1e-300, 1.0]), stride=(2, 1),
                                         padding=1, groups=2)),
            Case("inf and nan inputs", lambda s, f: f(s.t(x_inf), s.t(w2), None, padding=(0, 1), dilation=(2, 1),
                                                      groups=2)),
            Case("zero weight", lambda s, f: f(s.t(x2), s.t(np.zeros((3, 2, 2, 2))), stride=2)),
        ],
        "conv1d": [
            Case("edges", lambda s, f: f(s.t(_conv_input((2, 3, 7), 3)), s.t(_r(4).standard_normal((2, 3, 3))),
                                         s.t([1e-300, -0.0]), stride=2, padding=1, dilation=2)),
        ],
        "conv_transpose2d": [
            Case("edges", lambda s, f: f(s.t(_conv_input((1, 2, 3, 3), 5)), s.t(_r(6).standard_normal((2, 3, 2, 2))),
                                         s.t([0.0, 1.0, -1e300]), stride=2, padding=1, output_padding=1)),
            Case("inf input", lambda s, f: f(s.t(x_inf[:, :, :3, :3]), s.t(_r(6).standard_normal((2, 2, 2, 2))),
                                             None, groups=2)),
        ],
    }


def _pool_cases():
    ramp = _r(7).permutation(50).reshape(1, 2, 5, 5).astype(np.float64)
    ramp[0, 0, 1, 1], ramp[0, 1, 3, 2], ramp[0, 1, 0, 0] = -inf, nan, 1e300
    return {
        "max_pool2d": [
            Case("edges", lambda s, f: f(s.t(ramp), 2, stride=1, padding=1)),
            Case("all ties", lambda s, f: f(s.t(np.zeros((1, 1, 4, 4))), 3, stride=1, padding=1)),
            Case("masked window", lambda s, f: f(s.t(np.full((1, 1, 2, 4), -inf)), 2)),
        ],
        "avg_pool2d": [
            Case("edges", lambda s, f: f(s.t(ramp), 3, stride=2, padding=1)),
            Case("tiny", lambda s, f: f(s.t(np.full((1, 1, 4, 4), 5e-324)), 2)),
        ],
    }


def _norm_cases():
    x = np.array([[[1.0, 1.0, 1.0, 1.0], [1e-300, -1e-300, 0.0, 5e-324], [1e150, -1e150, 0.0, 1.0]],
                  [[0.0, -0.0, 0.0, 0.0], [inf, 0.0, 1.0, 2.0], [nan, 1.0, 2.0, 3.0]]])
    bx = np.array([[[0.0, 0.0], [1e-300, 2.0]], [[0.0, 0.0], [-1e-300, 1.0]], [[0.0, 0.0], [1e150, 3.0]]])
    w, b = np.array([1.0, -2.0, 0.0, 1e-300]), np.array([0.0, 1e300, -1.0, 0.5])

    def bn(s, f, training):
        rm, rv = s.t(np.zeros(2), grad=False), s.t(np.ones(2), grad=False)
        return f(s.t(bx), rm, rv, s.t([1.0, 0.0]), s.t([0.0, 1e-300]), training=training)

    return {
        "layer_norm": [
            Case("rows", lambda s, f: f(s.t(x), (4,), s.t(w), s.t(b))),
            Case("constant block", lambda s, f: f(s.t(x[:1]), (3, 4))),
            Case("eps 0", lambda s, f: f(s.t(x[:, 1:2]), 4, eps=0.0), second=False),
        ],
        "batch_norm": [
            Case("training", lambda s, f: bn(s, f, True)),
            Case("running statistics", lambda s, f: bn(s, f, False)),
        ],
    }


def _attention_cases():
    q, k, v = (_r(i).standard_normal((2, 3, 4)) for i in (11, 12, 13))
    mask = np.array([[True, False, True], [False, False, True], [True, True, True]])
    additive = np.where(mask, 0.0, -inf)
    return [
        Case("boolean mask", lambda s, f: f(s.t(q), s.t(k), s.t(v), attn_mask=s.c(mask, bool))),
        Case("additive -inf mask", lambda s, f: f(s.t(q), s.t(k), s.t(v), attn_mask=s.t(additive, grad=False))),
        Case("causal", lambda s, f: f(s.t(q), s.t(k), s.t(v), is_causal=True)),
        Case("huge scores", lambda s, f: f(s.t(q * 1e150), s.t(k * 1e150), s.t(v), is_causal=True), second=False),
    ]


def _pair_loss_cases():
    a = np.array([0.0, -0.0, 5e-324, 1e-300, 1e300, -1e300, 1.0, inf, inf, nan, 1e-8, 2.0])
    b = np.array([0.0, 0.0, 0.0, -1e-300, -1e300, 1e300, 1.0, inf, 1.0, 0.0, 0.0, 2.0 + 1e-15])
    cases = [Case(f"pairs {r}", lambda s, f, r=r: f(s.t(a), s.t(b), reduction=r)) for r in REDUCTIONS]
    cases.append(Case("empty", lambda s, f: f(s.t(np.zeros((0, 3))), s.t(np.zeros((0, 3))))))
    cases.append(Case("0-d", lambda s, f: f(s.t(1e-300), s.t(0.0), reduction="sum")))
    return cases


LOGITS = ROWS[[0, 2, 3, 4, 5, 8]]
LABELS = np.array([1 - 1, 1, 3, 0, 0, 2])  # row 0: target beside the masked logit; the last row: the one class left


def _ce_cases():
    cases = []
    masked_target = np.array([[0.0, -inf, 1.0]])
    probs = np.array([[0.2, 0.0, 0.3, 0.5], [0.0, 0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0],
                      [0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]])
    for r in REDUCTIONS:
        cases += [
            Case(f"masked and huge {r}", lambda s, f, r=r: f(s.t(LOGITS), s.c(LABELS), reduction=r)),
            Case(f"smoothing {r}", lambda s, f, r=r: f(s.t(LOGITS[[0, 2, 3, 4]]), s.c(LABELS[[0, 2, 3, 4]]),
                                                       reduction=r, label_smoothing=0.1)),
            Case(f"smoothing with -inf {r}", lambda s, f, r=r: f(s.t(LOGITS), s.c(LABELS), reduction=r,
                                                                 label_smoothing=0.2)),
            Case(f"ignored rows {r}", lambda s, f, r=r: f(s.t(ROWS), s.c([0, -100, 1, 2, -100, 3, -100, -100, 2]),
                                                          reduction=r)),
            Case(f"ignored rows smoothing {r}", lambda s, f, r=r: f(
                s.t(ROWS[[0, 1, 3, 8]]), s.c([0, -100, 1, 2]), reduction=r, label_smoothing=0.3)),
            Case(f"ignored class {r}", lambda s, f, r=r: f(s.t(LOGITS), s.c(LABELS), ignore_index=0, reduction=r)),
            Case(f"target on -inf {r}", lambda s, f, r=r: f(s.t(masked_target), s.c([1]), reduction=r)),
            Case(f"probabilities {r}", lambda s, f, r=r: f(s.t(LOGITS), s.t(probs), reduction=r)),
            Case(f"probabilities smoothing {r}", lambda s, f, r=r: f(s.t(LOGITS), s.t(probs), reduction=r,
                                                                     label_smoothing=0.1)),
            Case(f"spatial {r}", lambda s, f, r=r: f(s.t(np.moveaxis(LOGITS.reshape(2, 3, 4), -1, 1)),
                                                     s.c(LABELS.reshape(2, 3)), reduction=r)),
            Case(f"spatial probabilities {r}", lambda s, f, r=r: f(
                s.t(np.moveaxis(LOGITS.reshape(2, 3, 4), -1, 1)), s.t(np.moveaxis(probs.reshape(2, 3, 4), -1, 1)),
                reduction=r)),
            Case(f"unbatched {r}", lambda s, f, r=r: f(s.t(LOGITS[0]), s.c(LABELS[0]), reduction=r)),
        ]
    cases += [
        Case("all ignored", lambda s, f: f(s.t(LOGITS[:2]), s.c([-100, -100]))),
        Case("empty batch", lambda s, f: f(s.t(np.zeros((0, 4))), s.c(np.zeros(0)), reduction="sum")),
        Case("smoothing 1", lambda s, f: f(s.t(LOGITS[[0, 2, 3]]), s.c(LABELS[[0, 2, 3]]), label_smoothing=1.0)),
        Case("unbatched probabilities", lambda s, f: f(s.t(LOGITS[0]), s.t(probs[0]))),
    ]
    return cases


def _nll_cases():
    logp = np.array([[-inf, 0.0, -inf], [-1e300, -5e-324, -0.0], [nan, -1.0, -2.0], [-0.5, -1.0, -inf]])
    cases = [Case(f"-inf elsewhere {r}", lambda s, f, r=r: f(s.t(logp), s.c([1, 2, 1, 0]), reduction=r))
             for r in REDUCTIONS]
    cases += [Case(f"ignored {r}", lambda s, f, r=r: f(s.t(logp), s.c([1, -100, -100, 0]), reduction=r))
              for r in REDUCTIONS]
    cases += [
        Case("ignored class", lambda s, f: f(s.t(logp), s.c([1, 2, 1, 0]), ignore_index=1)),
        Case("unbatched", lambda s, f: f(s.t(logp[3]), s.c(1), reduction="none")),
        Case("all ignored", lambda s, f: f(s.t(logp[:2]), s.c([-100, -100]))),
    ]
    return cases


P = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 5e-324, 1e-300, 1e-13, 1e-12, 0.5, 1 - 1e-16, 0.3, 0.9, 0.5])
T = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 0.0, 1.0, 0.5, 1.0, 0.3, 0.1, 0.0])
INTERIOR = slice(12, 15)


def _bce_cases():
    w = np.linspace(-1.0, 2.0, P.size)
    cases = []
    for r in REDUCTIONS:
        cases += [
            Case(f"saturated {r}", lambda s, f, r=r: f(s.t(P), s.t(T), reduction=r), second=False),
            Case(f"interior {r}", lambda s, f, r=r: f(s.t(P[INTERIOR]), s.t(T[INTERIOR]), reduction=r), tol=1e-6),
        ]
    cases += [
        Case("weight", lambda s, f: f(s.t(P), s.t(T), weight=s.t(w)), second=False),
        Case("empty", lambda s, f: f(s.t(np.zeros(0)), s.t(np.zeros(0)), reduction="sum")),
    ]
    return cases


Z = np.array([0.0, 0.0, 0.0, -0.0, 5e-324, 1e-300, 30.0, -30.0, 800.0, -800.0, 1e300, -1e300, 1e300, -1e300,
              inf, -inf, inf, -inf, inf, nan])
ZT = np.array([0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 1.0, 0.0, 0.0, 1.0, 0.5, 1.0])

ZF, ZFT = Z[np.isfinite(Z)], ZT[np.isfinite(Z)]


def _bcewl_cases():
    cases = [Case(f"edges {r}", lambda s, f, r=r: f(s.t(Z), s.t(ZT), reduction=r)) for r in REDUCTIONS]
    cases += [
        Case("zero-initialised head", lambda s, f: f(s.t([0.0, 0.0]), s.t([0.0, 1.0]))),
        Case("weight and pos_weight", lambda s, f: f(s.t(Z.reshape(4, 5)), s.t(ZT.reshape(4, 5)),
                                                     weight=s.t(np.linspace(0.5, 2.0, 5)),
                                                     pos_weight=s.t([1.0, 3.0, 0.5, 0.0, 2.0], grad=False))),
        Case("pos_weight gradient", lambda s, f: f(s.t(ZF.reshape(2, 7)), s.t(ZFT.reshape(2, 7)), reduction="sum",
                                                   pos_weight=s.t([1.0, 3.0, 0.0, 0.5, 2.0, 1.0, 0.25]))),
        Case("empty", lambda s, f: f(s.t(np.zeros((0, 2))), s.t(np.zeros((0, 2))))),
    ]
    return cases


def _dropout_cases():
    return [
        Case("eval", lambda s, f: f(s.t(EDGE), 0.5, training=False)),
        Case("p 0", lambda s, f: f(s.t(EDGE), 0.0)),
        Case("p 1 finite", lambda s, f: f(s.t(FINITE), 1.0)),
    ]


def _embedding_cases():
    weight = np.array([[0.0, -0.0], [1e300, -1e300], [inf, nan], [5e-324, 1.0]])
    return [Case("repeated rows", lambda s, f: f(s.c([[0, 1], [1, 3], [2, 1]]), s.t(weight)))]


CASES = {
    "relu": lambda: _elementwise({}),
    "leaky_relu": lambda: _elementwise({}, {"negative_slope": 0.2}),
    "sigmoid": lambda: _elementwise({}),
    "tanh": lambda: _elementwise({}),
    "silu": lambda: _elementwise({}),
    "gelu": lambda: _elementwise({}, tol=2e-7) + _elementwise({"approximate": "tanh"}),
    "softmax": _along_cases,
    "log_softmax": _along_cases,
    "linear": lambda: [
        Case("edges", lambda s, f: f(s.t(EDGE[:16].reshape(4, 4)), s.t(_r(9).standard_normal((3, 4))),
                                     s.t([0.0, 1e300, -1e-300]))),
        Case("inf and nan", lambda s, f: f(s.t(EDGE[12:].reshape(2, 4)), s.t(_r(9).standard_normal((3, 4))))),
        Case("empty batch", lambda s, f: f(s.t(np.zeros((0, 4))), s.t(np.ones((2, 4))), s.t(np.ones(2)))),
    ],
    **_conv_cases(),
    **_pool_cases(),
    **_norm_cases(),
    "dropout": _dropout_cases,
    "embedding": _embedding_cases,
    "scaled_dot_product_attention": _attention_cases,
    "mse_loss": _pair_loss_cases,
    "l1_loss": _pair_loss_cases,
    "cross_entropy": _ce_cases,
    "nll_loss": _nll_cases,
    "binary_cross_entropy": _bce_cases,
    "binary_cross_entropy_with_logits": _bcewl_cases,
}
CASES = {name: (cases if callable(cases) else (lambda c=cases: c)) for name, cases in CASES.items()}


def _agree(what, ours, theirs, tol):
    """Close where PyTorch's ``theirs`` is finite, equal where it is infinite."""
    a = to_numpy(ours) if ours is not None else None
    b = theirs.detach().numpy(force=True) if theirs is not None else None  # force: PyTorch's zero tensors
    if a is None or b is None:
        other = b if a is None else a
        if other is not None:
            assert np.all(other[np.isfinite(other)] == 0), f"{what}: one side has no gradient, the other {other}"
        return
    assert a.shape == b.shape, f"{what}: shape {a.shape}, PyTorch's {b.shape}"
    finite = np.isfinite(b)
    np.testing.assert_allclose(a[finite], b[finite], rtol=tol, atol=tol * 1e-3, err_msg=what)
    infinite = np.isinf(b)
    np.testing.assert_array_equal(a[infinite], b[infinite], err_msg=f"{what} (infinities)")


def _ours_grad(outputs, inputs, seeds, create_graph):
    return acarray.autograd.grad(outputs, inputs, seeds, create_graph=create_graph, allow_unused=True)


def _torch_grad(outputs, inputs, seeds, create_graph):
    return torch.autograd.grad(outputs, inputs, seeds, create_graph=create_graph, allow_unused=True)


def _run(xp, name, case):
    ours_side, torch_side = Side(xp), Side()
    out = case.build(ours_side, getattr(F, name))
    tout = case.build(torch_side, TORCH[name])
    what = f"{name} [{case.label}]"
    _agree(f"{what}: value", out, tout, case.tol)
    if not ours_side.inputs:
        return
    cot = cotangent(tuple(tout.shape), 0)
    second = case.second and tout.numel() > 0
    grads = _ours_grad(out, ours_side.inputs, xp.asarray(xp.asarray(cot)), second)
    tgrads = _torch_grad(tout, torch_side.inputs, torch.tensor(cot), second)
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        _agree(f"{what}: gradient of input {i}", g, tg, case.tol)
    if not second:
        return
    vs = [cotangent(tuple(t.shape), 1 + i) for i, t in enumerate(torch_side.inputs)]
    tterms = [(tg * torch.tensor(v)).sum() for tg, v in zip(tgrads, vs) if tg is not None and tg.requires_grad]
    terms = [acarray.sum(g * xp.asarray(xp.asarray(v))) for g, v in zip(grads, vs) if g is not None and g.requires_grad]
    hess = _ours_grad(sum(terms[1:], terms[0]), ours_side.inputs, None, False) if terms else None
    thess = _torch_grad(sum(tterms[1:], tterms[0]), torch_side.inputs, None, False) if tterms else None
    # A gradient without a graph (it depends on no input) has a zero second derivative.
    if hess is None and thess is None:
        return
    if hess is None:
        hess = [np.zeros(tuple(t.shape)) for t in ours_side.inputs]
    if thess is None:
        thess = [torch.zeros(tuple(t.shape), dtype=torch.float64) for t in torch_side.inputs]
    for i, (h, th) in enumerate(zip(hess, thess)):
        _agree(f"{what}: second derivative in input {i}", h, th, max(case.tol, 1e-6))


def test_every_public_function_has_a_reference_and_cases():
    missing = [n for n in FUNCTIONS if n not in TORCH or n not in CASES]
    assert not missing, f"public functions of acarray.nn.functional without edge cases here: {missing}"
    stale = sorted(set(TORCH) ^ set(CASES) | (set(TORCH) - set(FUNCTIONS)))
    assert not stale, f"entries for functions that acarray.nn.functional does not have: {stale}"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_edge_values_match_torch(name, xp):
    if name not in CASES:
        pytest.fail(f"{name} has no edge cases in tests/test_nn_edge_values.py")
    for case in CASES[name]():
        _run(xp, name, case)
