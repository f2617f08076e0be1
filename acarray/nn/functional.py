"""Neural-network functions on Tensors of any backend: activations, linear and convolution
layers, pooling, normalisation, dropout, attention and losses.

Where the composition of array-API functions would be slow or unstable the
function records one fused op (``acarray.nn._ops``); everything else is written
with the tensor's own namespace (``x.__array_namespace__()``) and so gets its
gradient, and higher derivatives, from the core.  Shape errors raise
:class:`ShapeError` naming the function and the shapes involved.
"""

import math as _math

from .._autograd import apply as _apply
from .._grad_mode import no_grad as _no_grad
from .._tensor import Tensor as _Tensor
from ._ops import conv as _conv
from ._ops import dense as _dense
from ._ops.util import count_valid_labels as _count_valid_labels
from .init import random_uniform as _random_uniform


class ShapeError(ValueError):
    """An input of the wrong shape for a layer or function; the message names both shapes."""

    layer: object  # the Module whose call raised it (set there; a function's error has none)


def _ns(x):
    if not isinstance(x, _Tensor):
        raise TypeError(f"expected an acarray Tensor, got {type(x).__name__}; wrap it with acarray.asarray")
    return x.__array_namespace__()


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _tuple(value, n: int, what: str, low: int | None = None) -> tuple:
    """``value`` (an int, or ``n`` of them) as a tuple of ``n`` ints, each at least ``low``."""
    t = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(t) != n or not all(_is_int(v) for v in t):
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {value!r}")
    if low is not None and min(t, default=low) < low:
        raise ValueError(f"{what} must be {'positive' if low == 1 else 'non-negative'}, got {value!r}")
    return t


def _axis(name: str, axis, ndim: int) -> int:
    """``axis`` checked as an axis of an ``ndim``-dimensional input (a 0-d one has axes 0 and -1)."""
    if not _is_int(axis):
        raise ValueError(f"{name}: axis must be an int, got {axis!r}")
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"{name}: axis {axis} is out of range for an input with {ndim} dimensions")
    return axis


# -- activations ----------------------------------------------------------------------


def relu(x) -> _Tensor:
    """``max(x, 0)`` element-wise; its gradient is 0 at x == 0, as in PyTorch."""
    return _apply(_dense.Relu, x)


def leaky_relu(x, negative_slope: float = 0.01) -> _Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return _ns(x).where(x > 0, x, x * negative_slope)


def sigmoid(x) -> _Tensor:
    """``1 / (1 + exp(-x))``, computed without overflow."""
    return _apply(_dense.Sigmoid, x)


def tanh(x) -> _Tensor:
    """The hyperbolic tangent, the namespace's ``tanh`` (for PyTorch's ``F.tanh``)."""
    return _ns(x).tanh(x)


def silu(x) -> _Tensor:
    """``x * sigmoid(x)`` element-wise (the swish), differentiable through both factors."""
    return x * sigmoid(x)


def gelu(x, approximate: str = "none") -> _Tensor:
    """``x * Phi(x)``; ``approximate="tanh"`` uses PyTorch's tanh approximation instead.

    ``Phi`` comes from an approximation of erf (the standard has none) with an
    absolute error below 1.5e-7, well under float32 resolution.
    """
    if approximate == "tanh":
        ns = _ns(x)
        return 0.5 * x * (1 + ns.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return _apply(_dense.Gelu, x)


def _along(op, name, x, axis):
    ns = _ns(x)
    axis = _axis(name, axis, x.ndim)
    if x.ndim == 0:
        return ns.reshape(_apply(op, ns.reshape(x, (1,)), axis=0), ())
    return _apply(op, x, axis=axis)


def softmax(x, axis: int = -1) -> _Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, stable for large inputs; ``-inf`` entries get 0
    (a row of ``-inf`` only is NaN, as in PyTorch)."""
    return _along(_dense.Softmax, "softmax", x, axis)


def log_softmax(x, axis: int = -1) -> _Tensor:
    """``x - logsumexp(x)`` along ``axis``, stable for large inputs; ``-inf`` entries stay ``-inf``
    (a row of ``-inf`` only is NaN, as in PyTorch)."""
    return _along(_dense.LogSoftmax, "log_softmax", x, axis)


# -- linear and convolution -----------------------------------------------------------


def linear(x, weight, bias=None) -> _Tensor:
    """``x @ weight.T + bias`` as one op (``x`` of shape ``(..., in)``, ``weight`` of ``(out, in)``)."""
    shape, wshape = x.shape, weight.shape
    if not shape or shape[-1] != wshape[1]:
        raise ShapeError(
            f"linear: input of shape {shape} needs {wshape[1]} features in its last axis (weight shape {wshape})"
        )
    return _apply(_dense.Linear, x, weight, bias)


def _geometry(name, nd, kernel, stride, padding, dilation, groups=1):
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    return _conv.Geometry(
        kernel=_tuple(kernel, nd, f"{name}: kernel_size", 1),
        stride=_tuple(stride, nd, f"{name}: stride", 1),
        padding=_tuple(padding, nd, f"{name}: padding", 0),
        dilation=_tuple(dilation, nd, f"{name}: dilation", 1),
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
    if weight.ndim != nd + 2 or min(weight.shape) < 1:
        raise ShapeError(f"{name}: weight of shape {tuple(weight.shape)} is not (out, in/groups, kernel...)")
    geom = _geometry(name, nd, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    if weight.shape[0] % groups:
        raise ShapeError(f"{name}: weight of shape {tuple(weight.shape)} is not (out, in/groups, kernel...) for groups={groups}")
    _check_conv_input(name, x, nd, weight.shape[1] * groups, geom)
    return _apply(_conv.Conv, x, weight, bias, geom=geom)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> _Tensor:
    """1-D cross-correlation of ``x`` ``(N, C, L)`` with ``weight`` ``(O, C/groups, k)``."""
    return _conv_nd("conv1d", 1, x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> _Tensor:
    """2-D cross-correlation of ``x`` ``(N, C, H, W)`` with ``weight`` ``(O, C/groups, kh, kw)``."""
    return _conv_nd("conv2d", 2, x, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> _Tensor:
    """Transposed 2-D convolution of ``x`` ``(N, C_in, H, W)`` with ``weight`` ``(C_in, C_out/groups, kh, kw)``."""
    name = "conv_transpose2d"
    if weight.ndim != 4 or min(weight.shape) < 1:
        raise ShapeError(f"{name}: weight of shape {tuple(weight.shape)} is not (in, out/groups, kh, kw)")
    geom = _geometry(name, 2, tuple(weight.shape[2:]), stride, padding, dilation, groups)
    if x.ndim != 4 or x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise ShapeError(f"{name}: expected input of shape (N, {weight.shape[0]}, H, W) and a weight whose first "
                         f"axis divides by groups={groups}, got input of shape {tuple(x.shape)}, weight of shape "
                         f"{tuple(weight.shape)}")
    extra = _tuple(output_padding, 2, f"{name}: output_padding", 0)
    size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, s, p, d, k, e in zip(x.shape[2:], geom.stride, geom.padding, geom.dilation, geom.kernel, extra)
    )
    if geom.out_size(size) != tuple(x.shape[2:]) or min(size) < 1:
        raise ShapeError(f"{name}: output_padding {extra} must be smaller than the stride or dilation")
    return _apply(_conv.ConvTranspose, x, weight, bias, geom=geom, size=size)


def _pool(op, name, x, kernel_size, stride, padding):
    geom = _geometry(name, 2, kernel_size, kernel_size if stride is None else stride, padding, 1)
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected input of shape (N, C, H, W), got shape {tuple(x.shape)}")
    if any(2 * p > k for p, k in zip(geom.padding, geom.kernel)):
        raise ValueError(f"{name}: padding {geom.padding} must be at most half the kernel size {geom.kernel}")
    _check_conv_input(name, x, 2, x.shape[1], geom)
    return _apply(op, x, geom=geom)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> _Tensor:
    """Maximum over ``kernel_size`` windows (``stride`` defaults to the kernel size)."""
    return _pool(_conv.MaxPool, "max_pool2d", x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> _Tensor:
    """Mean over ``kernel_size`` windows, zero padding counted (``stride`` defaults to the kernel size)."""
    return _pool(_conv.AvgPool, "avg_pool2d", x, kernel_size, stride, padding)


# -- normalisation, dropout, embedding, attention -------------------------------------


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> _Tensor:
    """Normalise over the trailing axes ``normalized_shape``, then scale and shift (one fused op)."""
    if _is_int(normalized_shape):
        normalized_shape = (normalized_shape,)
    elif not isinstance(normalized_shape, (tuple, list)) or not all(_is_int(n) for n in normalized_shape):
        raise ValueError(f"layer_norm: normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}")
    normalized_shape = tuple(normalized_shape)
    if not eps >= 0:
        raise ValueError(f"layer_norm: eps must be non-negative, got {eps!r}")
    k = len(normalized_shape)
    if tuple(x.shape[x.ndim - k:]) != normalized_shape or x.ndim < k:
        raise ShapeError(f"layer_norm: input of shape {tuple(x.shape)} does not end with {normalized_shape}")
    return _apply(_dense.LayerNorm, x, weight, bias, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5) -> _Tensor:
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
            with _no_grad():
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


def dropout(x, p: float = 0.5, training: bool = True) -> _Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    ns = _ns(x)
    if p == 1:
        return x * 0.0
    keep = ns.asarray(_random_uniform(tuple(x.shape)) >= p, dtype=x.dtype, device=x.device)
    return x * keep * (1 / (1 - p))


def embedding(indices, weight) -> _Tensor:
    """Rows of ``weight`` ``(num, dim)`` picked by integer ``indices`` of any shape: ``(*indices.shape, dim)``."""
    ns = _ns(weight)
    idx = indices if isinstance(indices, _Tensor) else ns.asarray(indices)
    if not ns.isdtype(idx.dtype, "integral"):
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    rows = ns.take(weight, ns.reshape(idx, (-1,)), axis=0)
    return ns.reshape(rows, (*idx.shape, weight.shape[1]))


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal: bool = False) -> _Tensor:
    """``softmax(q @ k^T / sqrt(d) + mask) @ v`` over the last two axes.

    As in PyTorch, a boolean ``attn_mask`` is True where attention is allowed and
    a floating one is added to the scores; ``is_causal`` hides later keys.
    """
    ns = _ns(q)
    scores = ns.matmul(q, ns.matrix_transpose(k)) * (1 / _math.sqrt(q.shape[-1]))
    lq, lk = q.shape[-2], k.shape[-2]
    if is_causal:
        causal = ns.tril(ns.ones((lq, lk), dtype=ns.bool, device=q.device))
        attn_mask = causal if attn_mask is None else ns.logical_and(causal, attn_mask)
    if attn_mask is not None:
        if attn_mask.dtype == ns.bool:
            scores = ns.where(attn_mask, scores, -_math.inf)
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


def _as_target(ns, target):
    return target if isinstance(target, _Tensor) else ns.asarray(target)


def _check_floating(name, what, x):
    if not x._b.is_differentiable(x.data.dtype) or x._b.kind(x.data.dtype) != "f":
        raise ValueError(f"{name}: {what} must be a real floating-point tensor, got dtype {x.dtype}")


def _check_class_options(name, ignore_index, reduction):
    _check_reduction(reduction)
    if not _is_int(ignore_index):
        raise ValueError(f"{name}: ignore_index must be an int, got {ignore_index!r}")


def _class_indices(name, ns, input, target):
    """Integer class indices of shape ``(N, *d)`` for log-probabilities or logits ``(N, C, *d)``."""
    if not ns.isdtype(target.dtype, "integral"):
        raise ValueError(f"{name}: class indices must be integers, got dtype {target.dtype}")
    shape = tuple(input.shape)
    want = (shape[0], *shape[2:])
    if tuple(target.shape) != want:
        raise ShapeError(f"{name}: logits of shape {shape} need class indices of shape {want}, got {tuple(target.shape)}")


def mse_loss(input, target, reduction: str = "mean") -> _Tensor:
    """Mean (or sum) of ``(input - target) ** 2``; a mean over no elements is NaN, as in PyTorch."""
    _check_reduction(reduction)
    _check_same_shape("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction: str = "mean") -> _Tensor:
    """Mean (or sum) of ``|input - target|``; its gradient is 0 where they are equal or their
    difference is NaN, as in PyTorch."""
    _check_reduction(reduction)
    _check_same_shape("l1_loss", input, target)
    ns = _ns(input)
    d = input - target
    # NaN where the difference is NaN, with PyTorch's gradient there: 0
    undefined = ns.isnan(d)
    return _reduce(ns.where(undefined, _math.nan, ns.abs(ns.where(undefined, 0.0, d))), reduction)


def _rows(x):
    """``(N, C, *d)`` logits as ``(N * prod(d), C)`` rows (``(N, C)`` unchanged)."""
    if x.ndim == 2:
        return x
    ns = _ns(x)
    return ns.reshape(ns.moveaxis(x, 1, -1), (-1, x.shape[1]))


def cross_entropy(input, target, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> _Tensor:
    """Softmax cross-entropy of logits ``(N, C, *d)`` against class indices ``(N, *d)`` or probabilities.

    With indices, targets equal to ``ignore_index`` contribute nothing and the
    mean is over the others (0 when there are none); ``label_smoothing`` in
    ``[0, 1]`` mixes the target with the uniform distribution.  Either target goes
    through one fused, log-softmax based op.  Logits of ``-inf`` (masked
    classes) cost nothing where the target puts no weight on them, and make the
    loss ``inf`` where it does; a row of ``-inf`` only is NaN unless ignored.
    The gradient in probabilities is ``-log_softmax(input)``, as in PyTorch.
    Unbatched logits ``(C,)`` take a 0-d index or ``(C,)`` probabilities.
    """
    name = "cross_entropy"
    ns = _ns(input)
    target = _as_target(ns, target)
    _check_class_options(name, ignore_index, reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) or not 0 <= label_smoothing <= 1:
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    _check_floating(name, "logits", input)
    shape = tuple(input.shape)
    if len(shape) == 1:  # unbatched: one row of logits
        loss = cross_entropy(ns.reshape(input, (1, shape[0])), ns.reshape(target, (1, *target.shape)),
                             ignore_index, reduction, label_smoothing)
        return ns.reshape(loss, ()) if reduction == "none" else loss
    if len(shape) < 2:
        raise ShapeError(f"{name}: expected logits of shape (N, C, ...) or (C,), got shape {shape}")
    if not target._b.is_differentiable(target.data.dtype):  # class indices
        _class_indices(name, ns, input, target)
        tshape = tuple(target.shape)
        labels = target if len(tshape) == 1 else ns.reshape(target, (-1,))
        loss = _apply(_dense.SoftmaxCrossEntropy, _rows(input), labels, ignore_index=ignore_index,
                     smoothing=float(label_smoothing), reduction=reduction)
        return ns.reshape(loss, tshape) if reduction == "none" else loss
    if target._b.kind(target.data.dtype) != "f" or tuple(target.shape) != shape:
        raise ShapeError(f"{name}: logits of shape {shape} need class indices (integers) of shape "
                         f"{(shape[0], *shape[2:])} or class probabilities (real floats) of shape {shape}, "
                         f"got {target.dtype} of shape {tuple(target.shape)}")
    q = target if not label_smoothing else target * (1 - label_smoothing) + label_smoothing / shape[1]
    loss = _apply(_dense.SoftCrossEntropy, _rows(input), _rows(q))
    if reduction == "none" and len(shape) != 2:
        return ns.reshape(loss, (shape[0], *shape[2:]))
    return _reduce(loss, reduction)


def nll_loss(input, target, ignore_index: int = -100, reduction: str = "mean") -> _Tensor:
    """Negative log-likelihood of log-probabilities ``(N, C, *d)`` (or ``(C,)``) at class indices
    ``(N, *d)`` (or 0-d); ``-inf`` log-probabilities of other classes cost nothing."""
    name = "nll_loss"
    ns = _ns(input)
    target = _as_target(ns, target)
    _check_class_options(name, ignore_index, reduction)
    _check_floating(name, "log-probabilities", input)
    if input.ndim == 1:  # unbatched
        loss = nll_loss(ns.reshape(input, (1, input.shape[0])), ns.reshape(target, (1, *target.shape)),
                        ignore_index, reduction)
        return ns.reshape(loss, ()) if reduction == "none" else loss
    if input.ndim < 2:
        raise ShapeError(f"{name}: expected log-probabilities of shape (N, C, ...) or (C,), got shape {tuple(input.shape)}")
    _class_indices(name, ns, input, target)
    labels = ns.reshape(target, (-1,))
    count = _count_valid_labels(labels._b.xp, labels.data, input.shape[1], ignore_index, name)
    column = ns.reshape(labels, (-1, 1))
    pick = (column == ns.arange(input.shape[1], device=input.device)) & (column != ignore_index)
    loss = -ns.sum(ns.where(pick, _rows(input), 0.0), axis=1)
    if reduction == "mean":
        return ns.sum(loss) / max(count, 1)
    return ns.reshape(loss, tuple(target.shape)) if reduction == "none" else _reduce(loss, reduction)


def _check_broadcasts(name, what, w, x):
    """Refuse a ``w`` (``what``: "weight", "pos_weight") that does not broadcast against input ``x``."""
    try:
        _ns(x).broadcast_shapes(tuple(w.shape), tuple(x.shape))
    except ValueError:
        raise ShapeError(f"{name}: {what} of shape {tuple(w.shape)} does not broadcast to the input's "
                         f"shape {tuple(x.shape)}") from None


def _weighted(name, loss, weight):
    if weight is None:
        return loss
    _check_broadcasts(name, "weight", weight, loss)
    return loss * weight


def binary_cross_entropy(input, target, reduction: str = "mean", *, weight=None) -> _Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` for probabilities ``p`` in [0, 1] (a ValueError for others,
    NaN included), times ``weight`` (broadcast) where given.

    As in PyTorch the logs are clamped at -100 and the gradient in ``p`` is
    ``(p - y) / max(p (1 - p), 1e-12)``: 0 where ``p == y`` is 0 or 1, finite everywhere.
    """
    name = "binary_cross_entropy"
    _check_reduction(reduction)
    ns = _ns(input)
    target = _as_target(ns, target)
    _check_same_shape(name, input, target)
    _check_floating(name, "input", input)
    p = input.data
    xp = input._b.xp
    if p.size and not bool(xp.all(xp.logical_and(p >= 0, p <= 1))):
        raise ValueError(f"{name}: input must hold probabilities in [0, 1], got values outside (or NaN)")
    return _reduce(_weighted(name, _apply(_dense.BinaryCrossEntropy, input, target), weight), reduction)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean", *, weight=None, pos_weight=None) -> _Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits: its gradient is
    ``sigmoid(input) - target``, also at 0, and a logit of ``+-inf`` on the side of its target
    costs 0.  ``pos_weight`` (broadcast against the input, e.g. one per class) weighs the positive
    term, ``weight`` (broadcast) the whole loss.
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(reduction)
    ns = _ns(input)
    target = _as_target(ns, target)
    _check_same_shape(name, input, target)
    _check_floating(name, "input", input)
    if pos_weight is not None:
        _check_broadcasts(name, "pos_weight", pos_weight, input)
    loss = _apply(_dense.BinaryCrossEntropyWithLogits, input, target, pos_weight)
    return _reduce(_weighted(name, loss, weight), reduction)


__all__ = sorted(n for n, v in list(globals().items()) if not n.startswith("_") and getattr(v, "__module__", None) == __name__)
