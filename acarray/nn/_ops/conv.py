"""Convolution and pooling through strided windows: one slice of the padded input per kernel offset.

A window of the input is ``x[..., o*d : o*d + s*(n-1) + 1 : s, ...]`` for kernel
offset ``o``, dilation ``d``, stride ``s`` and ``n`` output positions.  Convolution
stacks the windows of the channel-last input into one matrix ``(positions,
offsets * channels)`` and multiplies it by the weight (im2col); its adjoint adds
each offset's slice of a matrix product back into the padded input (col2im).
Only slicing, ``stack``, ``reshape``, ``permute_dims`` and ``matmul`` are used,
so the ops run on every backend, and the same kernels serve the backward pass
when it is recorded (``create_graph=True``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..._autograd import Op
from ..._backend import backend_of
from ..._ops.common import unwrap
from .util import add_at, device_of, one_hot, pad


@dataclass(frozen=True)
class Geometry:
    """Kernel size, stride, padding and dilation per spatial axis, and the number of groups."""

    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int = 1

    def out_size(self, size: tuple) -> tuple:
        return tuple(
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(size, self.kernel, self.stride, self.padding, self.dilation)
        )

    def windows(self, out_size: tuple) -> list:
        """One tuple of slices (one per spatial axis) for each kernel offset."""
        return [
            tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offs, self.dilation, self.stride, out_size))
            for offs in itertools.product(*(range(k) for k in self.kernel))
        ]


def _cl(nd):
    """Axes that move the channel axis of an ``(N, C, *spatial)`` array to the end."""
    return (0, *range(2, 2 + nd), 1)


def _cf(nd):
    """Axes that move the channel axis of an ``(N, *spatial, C)`` array back to position 1."""
    return (0, nd + 1, *range(1, nd + 1))


def _im2col(xp, x, geom):
    """Windows of ``x`` ``(N, C, *S)`` as a matrix ``(G, N * prod(out), K * C / G)`` (offset-major)."""
    nd = x.ndim - 2
    n, c = x.shape[:2]
    out = geom.out_size(tuple(x.shape[2:]))
    xl = pad(xp, xp.permute_dims(x, _cl(nd)), range(1, nd + 1), geom.padding)
    windows = geom.windows(out)
    cols = xp.stack([xl[(slice(None), *w, ...)] for w in windows], axis=-2)  # (N, *out, K, C)
    g, k, m = geom.groups, len(windows), n * math.prod(out)
    if g == 1:
        return xp.reshape(cols, (1, m, k * c)), out
    cols = xp.permute_dims(xp.reshape(cols, (m, k, g, c // g)), (2, 0, 1, 3))
    return xp.reshape(cols, (g, m, k * (c // g))), out


def _col2im(xp, rows, wt, geom, shape):
    """Adjoint of :func:`_im2col` applied to ``rows @ wt``, one kernel offset at a time.

    ``rows`` ``(G, M, O/G)`` times the offset's block of ``wt`` ``(G, O/G, K * C/G)``
    is added into the padded input; this never builds the whole ``(M, K * C)``
    matrix and every product lands contiguous.
    """
    nd = len(shape) - 2
    n, c = shape[:2]
    out = geom.out_size(tuple(shape[2:]))
    g = geom.groups
    cg = c // g
    padded = (n, *(s + 2 * p for s, p in zip(shape[2:], geom.padding)), c)
    acc = xp.zeros(padded, dtype=rows.dtype, device=device_of(rows))
    for i, w in enumerate(geom.windows(out)):
        part = xp.matmul(rows, wt[..., i * cg : (i + 1) * cg])  # (G, M, C/G)
        if g != 1:
            part = xp.permute_dims(part, (1, 0, 2))
        acc = add_at(xp, acc, (slice(None), *w, ...), xp.reshape(part, (n, *out, c)))
    crop = tuple(slice(p, p + s) for p, s in zip(geom.padding, shape[2:]))
    return xp.permute_dims(acc[(slice(None), *crop, ...)], _cf(nd))


def _weight_matrix(xp, w, geom):
    """Weight ``(O, C/G, *k)`` as ``(G, K * C/G, O/G)``, rows in the order of :func:`_im2col`."""
    o, cg = w.shape[:2]
    nd = w.ndim - 2
    g = geom.groups
    wm = xp.reshape(xp.permute_dims(w, (0, *range(2, 2 + nd), 1)), (g, o // g, -1))
    return xp.matrix_transpose(wm)


def _from_rows(xp, y, n, out):
    """Rows ``(G, N * prod(out), O/G)`` as ``(N, O, *out)``."""
    g, m, og = y.shape
    if g != 1:
        y = xp.permute_dims(y, (1, 0, 2))
    return xp.permute_dims(xp.reshape(y, (n, *out, g * og)), _cf(len(out)))


def _to_rows(xp, y, groups):
    """``(N, O, *out)`` as rows ``(G, N * prod(out), O/G)``."""
    nd = y.ndim - 2
    o = y.shape[1]
    rows = xp.reshape(xp.permute_dims(y, _cl(nd)), (-1, groups, o // groups))
    return xp.permute_dims(rows, (1, 0, 2))


def _bias_shape(nd):
    return (-1,) + (1,) * nd


def conv(xp, x, w, geom):
    """Cross-correlation of ``x`` ``(N, C, *S)`` with ``w`` ``(O, C/G, *k)``; also returns the im2col matrix."""
    cols, out = _im2col(xp, x, geom)
    return _from_rows(xp, xp.matmul(cols, _weight_matrix(xp, w, geom)), x.shape[0], out), cols


def conv_input_grad(xp, g, w, geom, shape):
    """The adjoint of ``conv`` in ``x`` (a transposed convolution) for an input of ``shape``."""
    rows = _to_rows(xp, g, geom.groups)
    return _col2im(xp, rows, xp.matrix_transpose(_weight_matrix(xp, w, geom)), geom, shape)


def conv_weight_grad(xp, cols, g, geom, wshape):
    """The adjoint of ``conv`` in ``w``, from the im2col matrix of the input."""
    gw = xp.matmul(xp.matrix_transpose(cols), _to_rows(xp, g, geom.groups))  # (G, K * C/G, O/G)
    nd = len(wshape) - 2
    gw = xp.reshape(xp.matrix_transpose(gw), (wshape[0], *wshape[2:], wshape[1]))
    return xp.permute_dims(gw, (0, nd + 1, *range(1, nd + 1)))


class Conv(Op):
    """``conv(x, w) + b`` (``b`` of shape ``(O,)`` or None).

    The im2col matrix of the forward pass is kept for the weight gradient until
    the first backward pass, which frees it; a second one, through a retained
    graph, rebuilds it from the input.
    """

    saves_inputs = True

    def forward(self, xp, x, w, b, *, geom):
        self.geom = geom
        y, cols = conv(xp, x, w, geom)
        self.cols = xp, cols
        return y if b is None else y + xp.reshape(b, _bias_shape(x.ndim - 2))

    def backward(self, xp, g, inputs, out):
        x, w, b = inputs
        geom = self.geom
        nx, nw, nb = self.needs
        saved, self.cols = self.cols, None
        gx = conv_input_grad(xp, g, w, geom, tuple(x.shape)) if nx else None
        gw = None
        if nw:
            # The matrix of the forward pass serves a pass in the namespace that built it; a
            # recorded pass (acarray's namespace) rebuilds it from x, so that it differentiates again.
            cols = saved[1] if saved is not None and saved[0] is xp else _im2col(xp, x, geom)[0]
            del saved
            gw = conv_weight_grad(xp, cols, g, geom, tuple(w.shape))
            del cols
        gb = xp.sum(g, axis=(0, *range(2, g.ndim))) if nb else None
        return gx, gw, gb


class ConvTranspose(Op):
    """The transposed convolution: ``conv_input_grad(z, w)`` for an output of spatial ``size``, plus ``b``.

    ``w`` has the shape ``(C_in, C_out/G, *k)`` of the convolution it is the adjoint of.
    """

    saves_inputs = True

    def forward(self, xp, z, w, b, *, geom, size):
        self.geom = geom
        shape = (z.shape[0], w.shape[1] * geom.groups, *size)
        y = conv_input_grad(xp, z, w, geom, shape)
        return y if b is None else y + xp.reshape(b, _bias_shape(len(size)))

    def backward(self, xp, g, inputs, out):
        z, w, b = inputs
        geom = self.geom
        nz, nw, nb = self.needs
        gz, cols = conv(xp, g, w, geom) if nz or nw else (None, None)
        gw = conv_weight_grad(xp, cols, z, geom, tuple(w.shape)) if nw else None
        gb = xp.sum(g, axis=(0, *range(2, g.ndim))) if nb else None
        return gz if nz else None, gw, gb


def _pool_windows(xp, x, geom, fill):
    """Windows of ``x`` ``(N, C, *S)`` stacked on a last axis: ``(N, C, *out, K)``."""
    nd = x.ndim - 2
    out = geom.out_size(tuple(x.shape[2:]))
    xp_ = pad(xp, x, range(2, 2 + nd), geom.padding, fill)
    return xp.stack([xp_[(slice(None), slice(None), *w)] for w in geom.windows(out)], axis=-1)


def _pool_scatter(xp, parts, geom, shape):
    """Adjoint of :func:`_pool_windows`: add ``parts`` ``(N, C, *out, K)`` back into ``shape``."""
    out = tuple(parts.shape[2:-1])
    padded = (*shape[:2], *(s + 2 * p for s, p in zip(shape[2:], geom.padding)))
    acc = xp.zeros(padded, dtype=parts.dtype, device=device_of(parts))
    for i, w in enumerate(geom.windows(out)):
        acc = add_at(xp, acc, (slice(None), slice(None), *w), parts[..., i])
    return acc[(slice(None), slice(None), *(slice(p, p + s) for p, s in zip(geom.padding, shape[2:])))]


class MaxPool(Op):
    """Maximum over each window; the gradient goes to the first maximal element (as in PyTorch).

    The index of each window's maximum is kept until the first backward pass,
    which frees it; a second one, through a retained graph, finds it again in
    the input.
    """

    saves_inputs = True

    def forward(self, xp, x, *, geom):
        self.geom, self.shape = geom, tuple(x.shape)
        windows = _pool_windows(xp, x, geom, -math.inf)
        self.choice = xp.argmax(windows, axis=-1)
        return xp.max(windows, axis=-1)

    def backward(self, xp, g, inputs, out):
        k = math.prod(self.geom.kernel)
        choice, self.choice = self.choice, None
        if choice is None:  # indices carry no gradient: found in the raw values
            x = unwrap(inputs[0])
            rxp = backend_of(x).xp
            choice = rxp.argmax(_pool_windows(rxp, x, self.geom, -math.inf), axis=-1)
        choice = one_hot(xp, xp.asarray(choice), k, g.dtype)  # a Tensor in a recorded pass
        return (_pool_scatter(xp, xp.expand_dims(g, axis=-1) * choice, self.geom, self.shape),)


class AvgPool(Op):
    """Mean over each window, padding included in the count (PyTorch's default)."""

    def forward(self, xp, x, *, geom):
        self.geom, self.shape = geom, tuple(x.shape)
        return xp.mean(_pool_windows(xp, x, geom, 0.0), axis=-1)

    def backward(self, xp, g, inputs, out):
        k = math.prod(self.geom.kernel)
        parts = xp.broadcast_to(xp.expand_dims(g / k, axis=-1), (*g.shape, k))
        return (_pool_scatter(xp, parts, self.geom, self.shape),)
