"""Shape manipulation: each op's gradient is the inverse rearrangement of the output gradient."""

from __future__ import annotations

from .._autograd import Op, apply
from .._tensor import Tensor
from .common import along, backend_in
from .dtype_rules import require, require_all_promotable
from .indexing import take


class Rearrange(Op):
    """An op that moves elements around without arithmetic; ``undo(op, xp, g, **params)`` maps g back."""

    is_view = True

    def forward(self, xp, x, **params):
        self.shape = tuple(x.shape)
        self.params = params
        return getattr(xp, self.fname)(x, **params)

    def backward(self, xp, g, inputs, out):
        return (self.undo(self, xp, g, **self.params),)


def _rearrangement(fname, undo):
    name = "".join(p.capitalize() for p in fname.split("_"))
    return type(name, (Rearrange,), {"fname": fname, "undo": staticmethod(undo)})


def _reshape_back(op, xp, g, **_):
    return xp.reshape(g, op.shape)


def _inverse_permutation(axes):
    return tuple(sorted(range(len(axes)), key=lambda i: axes[i]))


def _negated(shift):
    return tuple(-s for s in shift) if isinstance(shift, tuple) else -shift


Reshape = _rearrangement("reshape", _reshape_back)
ExpandDims = _rearrangement("expand_dims", _reshape_back)
Squeeze = _rearrangement("squeeze", _reshape_back)
BroadcastTo = _rearrangement("broadcast_to", lambda op, xp, g, **_: g)  # the engine sums
PermuteDims = _rearrangement("permute_dims", lambda op, xp, g, axes: xp.permute_dims(g, _inverse_permutation(axes)))
MatrixTranspose = _rearrangement("matrix_transpose", lambda op, xp, g: xp.matrix_transpose(g))


class Moveaxis(Rearrange):
    """``moveaxis`` (its axes are positional-only arguments, unlike the other rearrangements)."""

    def forward(self, xp, x, *, source, destination):
        self.params = {"source": source, "destination": destination}
        return xp.moveaxis(x, source, destination)

    @staticmethod
    def undo(op, xp, g, source, destination):
        return xp.moveaxis(g, destination, source)


Flip = _rearrangement("flip", lambda op, xp, g, axis=None: xp.flip(g, axis=axis))
Roll = _rearrangement("roll", lambda op, xp, g, shift, axis=None: xp.roll(g, _negated(shift), axis=axis))
Tril = _rearrangement("tril", lambda op, xp, g, k=0: xp.tril(g, k=k))
Triu = _rearrangement("triu", lambda op, xp, g, k=0: xp.triu(g, k=k))


def reshape(x, /, shape, *, copy=None):
    """``x`` with a new shape (one dimension may be -1)."""
    return apply(Reshape, x, shape=tuple(shape), copy=copy)


def expand_dims(x, /, axis):
    """Insert size-1 axes at ``axis`` (an int or a tuple of ints, required: the 2025.12 standard gives
    it no default); the gradient is reshaped back."""
    return apply(ExpandDims, x, axis=axis)


def squeeze(x, /, axis):
    """Remove size-1 axes ``axis``."""
    return apply(Squeeze, x, axis=axis)


def broadcast_to(x, /, shape):
    """``x`` broadcast to ``shape``; the gradient sums over the broadcast axes."""
    return apply(BroadcastTo, x, shape=tuple(shape))


def permute_dims(x, /, axes):
    """Axes of ``x`` reordered as ``axes``."""
    return apply(PermuteDims, x, axes=tuple(axes))


def matrix_transpose(x, /):
    """Transpose of the last two axes."""
    return apply(MatrixTranspose, x)


def moveaxis(x, source, destination, /):
    """Move axes ``source`` to positions ``destination``."""
    return apply(Moveaxis, x, source=source, destination=destination)


def flip(x, /, *, axis=None):
    """Reverse the order of elements along ``axis`` (all axes by default)."""
    return apply(Flip, x, axis=axis)


def roll(x, /, shift, *, axis=None):
    """Roll elements by ``shift`` along ``axis`` (flattened when ``axis`` is None)."""
    return apply(Roll, x, shift=shift, axis=axis)


def tril(x, /, *, k=0):
    """Lower triangle of the last two axes (below diagonal ``k``)."""
    return apply(Tril, x, k=k)


def triu(x, /, *, k=0):
    """Upper triangle of the last two axes (above diagonal ``k``)."""
    return apply(Triu, x, k=k)


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to (a ValueError names the clash)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        dims = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(dims) > 1:
            raise ValueError(f"shapes {', '.join(map(str, shapes))} cannot be broadcast together")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcast_arrays(*arrays):
    """The arrays broadcast to one shape (a tuple, as the standard asks)."""
    shape = broadcast_shapes(*(tuple(a.shape) for a in arrays))
    return tuple(broadcast_to(_tensor(a, arrays), shape) for a in arrays)


def _tensor(a, among):
    return a if isinstance(a, Tensor) else Tensor._wrap(a, backend_in(among))


class Concat(Op):
    def forward(self, xp, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return xp.concat(arrays, axis=axis)

    def backward(self, xp, g, inputs, out):
        ax = self.axis % g.ndim
        grads, start = [], 0
        for n, need in zip(self.sizes, self.needs):
            if need:
                grads.append(g[along(ax, slice(start, start + n))])
            else:
                grads.append(None)
            start += n
        return grads


def concat(arrays, /, *, axis=0):
    """Join ``arrays`` along an existing ``axis`` (flattened first when ``axis`` is None)."""
    require_all_promotable("concat", arrays)
    if axis is None:
        return apply(Concat, *(reshape(_tensor(a, arrays), (-1,)) for a in arrays), axis=0)
    return apply(Concat, *arrays, axis=axis)


class Stack(Op):
    def forward(self, xp, *arrays, axis=0):
        self.axis = axis
        return xp.stack(arrays, axis=axis)

    def backward(self, xp, g, inputs, out):
        ax = self.axis % g.ndim
        return [g[along(ax, i)] if need else None for i, need in enumerate(self.needs)]


def stack(arrays, /, *, axis=0):
    """Join ``arrays`` along a new ``axis``."""
    require_all_promotable("stack", arrays)
    return apply(Stack, *arrays, axis=axis)


def unstack(x, /, *, axis=0):
    """Split ``x`` along ``axis`` into a tuple of arrays."""
    ax = axis % x.ndim if x.ndim else axis
    if x.ndim == 0:
        raise ValueError("unstack needs an array with at least one dimension")
    return tuple(x[along(ax, i)] for i in range(x.shape[ax]))


class Tile(Op):
    def forward(self, xp, x, *, repetitions):
        self.shape = tuple(x.shape)
        return xp.tile(x, repetitions)

    def backward(self, xp, g, inputs, out):
        shape = self.shape
        gshape = tuple(g.shape)
        pad = len(gshape) - len(shape)
        xshape = (1,) * pad + shape
        reps = tuple(gs // n if n else 0 for gs, n in zip(gshape, xshape))
        split = tuple(d for r, n in zip(reps, xshape) for d in (r, n))
        g = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * len(xshape), 2)))
        return (xp.reshape(g, shape),)


def tile(x, repetitions, /):
    """``x`` repeated ``repetitions`` times along each axis."""
    return apply(Tile, x, repetitions=tuple(repetitions))


class Repeat(Op):
    def forward(self, xp, x, *, repeats, axis):
        self.shape = tuple(x.shape)
        self.axis, self.repeats = axis, repeats
        return xp.repeat(x, repeats, axis=axis)

    def backward(self, xp, g, inputs, out):
        ax, n = self.axis, self.shape[self.axis]
        split = tuple(g.shape[:ax]) + (n, self.repeats) + tuple(g.shape[ax + 1:])
        return (xp.sum(xp.reshape(g, split), axis=ax + 1),)


def repeat(x, repeats, /, *, axis=None):
    """Each element of ``x`` repeated ``repeats`` times (an int or an integer array) along ``axis``."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = axis % x.ndim
    if isinstance(repeats, int):
        return apply(Repeat, x, repeats=repeats, axis=axis)
    b = backend_in([x, repeats])
    xp = b.xp
    raw = repeats.data if isinstance(repeats, Tensor) else repeats
    n = x.shape[axis]
    positions = xp.repeat(xp.arange(n, device=getattr(raw, "device", None)), raw)
    return take(x, positions, axis=axis)


def meshgrid(*arrays, indexing="xy"):
    """Coordinate grids from 1-D arrays (``indexing`` 'xy' or 'ij'), as a tuple (the standard's)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing must be 'xy' or 'ij'")
    arrays = [_tensor(a, arrays) for a in arrays]
    n = len(arrays)
    sizes = [a.shape[0] for a in arrays]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, a in enumerate(arrays):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = a.shape[0]
        out.append(broadcast_to(reshape(a, tuple(shape)), tuple(sizes)))
    return tuple(out)


def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    """The ``n``-th forward difference along ``axis``."""
    require("diff", "ifc", x, prepend, append)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative integer, got {n!r}")
    if x.ndim == 0:
        raise ValueError("diff needs an array with at least one dimension, got a 0-d array")
    if n == 0:
        return x  # nothing is differenced, so nothing is prepended or appended either
    ax = axis % x.ndim
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = concat(parts, axis=ax)
    for _ in range(n):
        if x.shape[ax] == 0:
            break  # differences of nothing are nothing
        x = x[along(ax, slice(1, None))] - x[along(ax, slice(None, -1))]
    return x


__all__ = [
    "broadcast_arrays", "broadcast_shapes", "broadcast_to", "concat", "diff", "expand_dims", "flip",
    "matrix_transpose", "meshgrid", "moveaxis", "permute_dims", "repeat", "reshape", "roll", "squeeze",
    "stack", "tile", "tril", "triu", "unstack",
]
