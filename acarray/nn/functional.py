"""Neural-network functions on Tensors of any backend: activations, linear and convolution
layers, pooling, normalisation, dropout, attention and losses.

Where the composition of array-API functions would be slow or unstable the
function records one fused op (``acarray.nn._ops``); everything else is written
with the tensor's own namespace (``x.__array_namespace__()``) and so gets its
gradient, and higher derivatives, from the core.  Shape errors raise
:class:`ShapeError` naming the function and the shapes involved.
"""

from __future__ import annotations

import math

from .._autograd import apply
from .._grad_mode import no_grad
from .._tensor import Tensor
from ._ops import conv as _conv
from ._ops import dense as _dense
from ._ops.util import count_valid_labels
from .init import random_uniform


class ShapeError(ValueError):
    """An input of the wrong shape for a layer or function; the message names both shapes."""


def _ns(x):
    if not isinstance(x, Tensor):
        raise TypeError(f"expected an acarray Tensor, got {type(x).__name__}; wrap it with acarray.asarray")
    return x.__array_namespace__()


def _tuple(value, n: int, what: str) -> tuple:
    t = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(t) != n or not all(isinstance(v, int) for v in t):
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {value!r}")
    return t


# -- activations ----------------------------------------------------------------------


def relu(x):
    """``max(x, 0)``."""
    return apply(_dense.Relu, x)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _ns(x).where(x > 0, x, x * negative_slope)


def sigmoid(x):
    """``1 / (1 + exp(-x))``, computed without overflow."""
    return apply(_dense.Sigmoid, x)


def tanh(x):
    return _ns(x).tanh(x)


def silu(x):
    """``x * sigmoid(x)``."""
    return x * sigmoid(x)


def gelu(x, approximate: str = "none"):
    """``x * Phi(x)``; ``approximate="tanh"`` uses PyTorch's tanh approximation instead.

    ``Phi`` comes from an approximation of erf (the standard has none) with an
    absolute error below 1.5e-7, well under float32 resolution.
    """
    if approximate == "tanh":
        ns = _ns(x)
        return 0.5 * x * (1 + ns.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(_dense.Gelu, x)


def softmax(x, axis: int = -1):
    return apply(_dense.Softmax, x, axis=axis)


def log_softmax(x, axis: int = -1):
    """``x - logsumexp(x)`` along ``axis``, stable for large inputs."""
    return apply(_dense.LogSoftmax, x, axis=axis)


# -- linear and convolution -----------------------------------------------------------


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` as one op (``x`` of shape ``(..., in)``, ``weight`` of ``(out, in)``)."""
    shape, wshape = x.shape, weight.shape
    if not shape or shape[-1] != wshape[1]:
        raise ShapeError(
            f"linear: input of shape {shape} needs {wshape[1]} features in its last axis (weight shape {wshape})"
        )
    return apply(_dense.Linear, x, weight, bias)


def _geometry(name, nd, kernel, stride, padding, dilation, groups=1):
    return _conv.Geometry(
        kernel=_tuple(kernel, nd, f"{name}: kernel_size"),
        stride=_tuple(stride, nd, f"{name}: stride"),
        padding=_tuple(padding, nd, f"{name}: padding"),
        dilation=_tuple(dilation, nd, f"{name}: dilation"),
        groups=groups,
    )


def _check_conv_input(name, x, nd, channels, geom):
    if x.ndim != nd + 2:
        layout = {1: "(N, C, L)", 2: "(N, C, H, W)"}.get(nd, f"(N, C, {nd} spatial axes)")
        raise ShapeError(f"{name}: expected input of shape {layout}, got shape {tuple(x.shape)}")
    if x.shape[1] != channels:
        raise ShapeError(f"{name}: expected {channels} input channels, got input of shape {tuple(x.shape)}")
    out = geom.out_size(tuple(x.shape[2:]))
    if min(out) < 1:
        raise ShapeError(f"{name}: input of shape {tuple(x.shape)} is smaller than the kernel {geom.kernel} (after padding)")


def _conv_nd(name, nd, x, weight, bias, stride, padding, dilation, groups):
    geom = _geometry(name, nd, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    if weight.ndim != nd + 2 or weight.shape[0] % groups:
        raise ShapeError(f"{name}: weight of shape {tuple(weight.shape)} is not (out, in/groups, kernel...) for groups={groups}")
    _check_conv_input(name, x, nd, weight.shape[1] * groups, geom)
    return apply(_conv.Conv, x, weight, bias, geom=geom)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation of ``x`` ``(N, C, L)`` with ``weight`` ``(O, C/groups, k)``."""
    return _conv_nd("conv1d", 1, x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of ``x`` ``(N, C, H, W)`` with ``weight`` ``(O, C/groups, kh, kw)``."""
    return _conv_nd("conv2d", 2, x, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution of ``x`` ``(N, C_in, H, W)`` with ``weight`` ``(C_in, C_out/groups, kh, kw)``."""
    name = "conv_transpose2d"
    geom = _geometry(name, 2, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    if x.ndim != 4 or x.shape[1] != weight.shape[0]:
        raise ShapeError(f"{name}: expected input of shape (N, {weight.shape[0]}, H, W), got shape {tuple(x.shape)}")
    extra = _tuple(output_padding, 2, f"{name}: output_padding")
    size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, s, p, d, k, e in zip(x.shape[2:], geom.stride, geom.padding, geom.dilation, geom.kernel, extra)
    )
    if geom.out_size(size) != tuple(x.shape[2:]) or min(size) < 1:
        raise ShapeError(f"{name}: output_padding {extra} must be smaller than the stride or dilation")
    return apply(_conv.ConvTranspose, x, weight, bias, geom=geom, size=size)


def _pool(op, name, x, kernel_size, stride, padding):
    geom = _geometry(name, 2, kernel_size, kernel_size if stride is None else stride, padding, 1)
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected input of shape (N, C, H, W), got shape {tuple(x.shape)}")
    if any(2 * p > k for p, k in zip(geom.padding, geom.kernel)):
        raise ValueError(f"{name}: padding {geom.padding} must be at most half the kernel size {geom.kernel}")
    _check_conv_input(name, x, 2, x.shape[1], geom)
    return apply(op, x, geom=geom)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over ``kernel_size`` windows (``stride`` defaults to the kernel size)."""
    return _pool(_conv.MaxPool, "max_pool2d", x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over ``kernel_size`` windows, zero padding counted (``stride`` defaults to the kernel size)."""
    return _pool(_conv.AvgPool, "avg_pool2d", x, kernel_size, stride, padding)


# -- normalisation, dropout, embedding, attention -------------------------------------


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the trailing axes ``normalized_shape``, then scale and shift (one fused op)."""
    normalized_shape = _tuple(normalized_shape, 1, "layer_norm: normalized_shape") if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != normalized_shape or x.ndim < k:
        raise ShapeError(f"layer_norm: input of shape {tuple(x.shape)} does not end with {normalized_shape}")
    return apply(_dense.LayerNorm, x, weight, bias, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) by batch statistics (training) or the running ones.

    In training the running statistics (Tensors, when given) are updated in
    place with ``momentum``; the running variance uses the unbiased estimate.
    """
    ns = _ns(x)
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // x.shape[1]
        if count < 2:
            raise ShapeError(f"batch_norm: needs more than one value per channel in training, got input of shape {tuple(x.shape)}")
        mean = ns.mean(x, axis=axes)
        var = ns.var(x, axis=axes)
        if running_mean is not None:
            with no_grad():
                running_mean.data = running_mean.data * (1 - momentum) + mean.data * momentum
                running_var.data = running_var.data * (1 - momentum) + var.data * (momentum * count / (count - 1))
                running_mean._version[0] += 1
                running_var._version[0] += 1
    else:
        mean, var = running_mean, running_var
    y = (x - ns.reshape(mean, shape)) / ns.sqrt(ns.reshape(var, shape) + eps)
    if weight is not None:
        y = y * ns.reshape(weight, shape)
    if bias is not None:
        y = y + ns.reshape(bias, shape)
    return y


def dropout(x, p: float = 0.5, training: bool = True):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    ns = _ns(x)
    if p == 1:
        return x * 0.0
    keep = ns.asarray(random_uniform(tuple(x.shape)) >= p, dtype=x.dtype, device=x.device)
    return x * keep * (1 / (1 - p))


def embedding(indices, weight):
    """Rows of ``weight`` ``(num, dim)`` picked by integer ``indices`` of any shape: ``(*indices.shape, dim)``."""
    ns = _ns(weight)
    idx = indices if isinstance(indices, Tensor) else ns.asarray(indices)
    if not ns.isdtype(idx.dtype, "integral"):
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    rows = ns.take(weight, ns.reshape(idx, (-1,)), axis=0)
    return ns.reshape(rows, (*idx.shape, weight.shape[1]))


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal: bool = False):
    """``softmax(q @ k^T / sqrt(d) + mask) @ v`` over the last two axes.

    As in PyTorch, a boolean ``attn_mask`` is True where attention is allowed and
    a floating one is added to the scores; ``is_causal`` hides later keys.
    """
    ns = _ns(q)
    scores = ns.matmul(q, ns.matrix_transpose(k)) * (1 / math.sqrt(q.shape[-1]))
    lq, lk = q.shape[-2], k.shape[-2]
    if is_causal:
        causal = ns.tril(ns.ones((lq, lk), dtype=ns.bool, device=q.device))
        attn_mask = causal if attn_mask is None else ns.logical_and(causal, attn_mask)
    if attn_mask is not None:
        if attn_mask.dtype == ns.bool:
            scores = ns.where(attn_mask, scores, -math.inf)
        else:
            scores = scores + attn_mask
    return ns.matmul(softmax(scores, axis=-1), v)


# -- losses -----------------------------------------------------------------------------


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction: str):
    _check_reduction(reduction)
    ns = _ns(loss)
    if reduction == "mean":
        return ns.mean(loss)
    return ns.sum(loss) if reduction == "sum" else loss


def _check_same_shape(name, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"{name}: input has shape {tuple(input.shape)} but target has shape {tuple(target.shape)}")


def mse_loss(input, target, reduction: str = "mean"):
    _check_same_shape("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction: str = "mean"):
    _check_same_shape("l1_loss", input, target)
    return _reduce(_ns(input).abs(input - target), reduction)


def _rows(x):
    """``(N, C, *d)`` logits as ``(N * prod(d), C)`` rows (``(N, C)`` unchanged)."""
    if x.ndim == 2:
        return x
    ns = _ns(x)
    return ns.reshape(ns.moveaxis(x, 1, -1), (-1, x.shape[1]))


def cross_entropy(input, target, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
    """Softmax cross-entropy of logits ``(N, C, *d)`` against class indices ``(N, *d)`` or probabilities.

    With indices, targets equal to ``ignore_index`` contribute nothing and the
    mean is over the others; ``label_smoothing`` mixes the target with the
    uniform distribution.  Class indices go through one fused, log-softmax
    based op.
    """
    ns = _ns(input)
    target = target if isinstance(target, Tensor) else ns.asarray(target)
    shape = input.shape
    if len(shape) < 2:
        raise ShapeError(f"cross_entropy: expected logits of shape (N, C, ...), got shape {shape}")
    if not target._b.is_differentiable(target.data.dtype):  # class indices
        tshape = target.shape
        if tshape != (shape[0], *shape[2:]):
            raise ShapeError(f"cross_entropy: logits of shape {shape} need class indices of shape "
                             f"{(shape[0], *shape[2:])}, got {tshape}")
        _check_reduction(reduction)
        labels = target if len(tshape) == 1 else ns.reshape(target, (-1,))
        loss = apply(_dense.SoftmaxCrossEntropy, _rows(input), labels, ignore_index=ignore_index,
                     smoothing=label_smoothing, reduction=reduction)
        return ns.reshape(loss, tshape) if reduction == "none" else loss
    _check_same_shape("cross_entropy", input, target)
    q = target if not label_smoothing else target * (1 - label_smoothing) + label_smoothing / shape[1]
    loss = -ns.sum(q * log_softmax(input, axis=1), axis=1)
    return _reduce(loss, reduction)


def nll_loss(input, target, ignore_index: int = -100, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities ``(N, C, *d)`` at class indices ``(N, *d)``."""
    ns = _ns(input)
    if input.ndim < 2 or tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        raise ShapeError(f"nll_loss: log-probabilities of shape {tuple(input.shape)} and targets of shape "
                         f"{tuple(target.shape)} do not match")
    labels = ns.reshape(target, (-1,))
    count = count_valid_labels(labels._b.xp, labels.data, input.shape[1], ignore_index, "nll_loss")
    column = ns.reshape(labels, (-1, 1))
    pick = ns.astype((column == ns.arange(input.shape[1], device=input.device)) & (column != ignore_index), input.dtype)
    loss = -ns.sum(_rows(input) * pick, axis=1)
    if reduction == "mean":
        return ns.sum(loss) / max(count, 1)
    return ns.reshape(loss, tuple(target.shape)) if reduction == "none" else _reduce(loss, reduction)


def binary_cross_entropy(input, target, reduction: str = "mean"):
    """``-(y log p + (1 - y) log(1 - p))`` for probabilities ``p``; logs are clamped at -100 as in PyTorch."""
    _check_same_shape("binary_cross_entropy", input, target)
    ns = _ns(input)
    log_p = ns.clip(ns.log(input), -100.0, None)
    log_q = ns.clip(ns.log(1 - input), -100.0, None)
    return _reduce(-(target * log_p + (1 - target) * log_q), reduction)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean"):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits."""
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    ns = _ns(input)
    return _reduce(relu(input) - input * target + ns.log1p(ns.exp(-ns.abs(input))), reduction)
