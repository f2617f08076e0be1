"""Reductions and cumulative functions (statistical functions of the standard)."""

from __future__ import annotations

import math

from .._autograd import Op, apply
from .._backend import backend_of
from .._tensor import Tensor
from .common import along, cj, passthrough
from .dtype_rules import require


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, int or tuple, possibly negative) as a sorted tuple of axes in range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < (ndim or 1):
            raise IndexError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def expand_to(xp, g, axes, keepdims, shape):
    """Broadcast the gradient of a reduction over ``axes`` back to the input's ``shape``."""
    if not keepdims and axes:
        g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.broadcast_to(g, shape)


class Reduction(Op):
    """A reduction over ``axis``; keeps the input's shape and the reduced axes."""

    def forward(self, xp, x, *, axis=None, keepdims=False, **kw):
        self.shape = tuple(x.shape)
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims = keepdims
        return getattr(xp, self.fname)(x, axis=axis, keepdims=keepdims, **kw)

    def expand(self, xp, g):
        return expand_to(xp, g, self.axes, self.keepdims, self.shape)

    @property
    def count(self) -> int:
        return math.prod(self.shape[a] for a in self.axes)


class Sum(Reduction):
    fname = "sum"

    def backward(self, xp, g, inputs, out):
        return (self.expand(xp, g),)


class Mean(Reduction):
    fname = "mean"

    def backward(self, xp, g, inputs, out):
        return (self.expand(xp, g) / self.count,)


class Max(Reduction):
    """Max/min: the gradient is shared evenly between tied extrema (like ``torch.amax``)."""

    fname = "max"
    saves_inputs = saves_output = True

    def backward(self, xp, g, inputs, out):
        x = inputs[0]
        hit = xp.astype(x == self.expand(xp, out), g.dtype)
        ties = xp.sum(hit, axis=self.axes, keepdims=True)
        return (self.expand(xp, g) * hit / ties,)


class Min(Max):
    fname = "min"


class Var(Reduction):
    fname = "var"
    saves_inputs = True

    def forward(self, xp, x, *, axis=None, correction=0.0, keepdims=False):
        self.correction = correction
        # A fractional correction (which PyTorch's std and var refuse) rescales the result of 0.
        fractional = correction != int(correction)
        out = super().forward(xp, x, axis=axis, keepdims=keepdims, correction=0.0 if fractional else correction)
        if self.count - correction <= 0:  # no degrees of freedom: NaN, as the standard says (PyTorch gives 0)
            out = xp.full_like(out, math.nan)
        elif fractional:
            factor = self.count / (self.count - correction)
            out = out * (math.sqrt(factor) if self.fname == "std" else factor)
        return out

    def centered(self, xp, x):
        return (x - xp.mean(x, axis=self.axes, keepdims=True)) / (self.count - self.correction)

    def backward(self, xp, g, inputs, out):
        return (2 * self.expand(xp, g) * self.centered(xp, inputs[0]),)


class Std(Var):
    """Standard deviation; where it is 0 (one element, or all equal) its gradient is taken to be 0,
    as in PyTorch (the centered values are 0 there, and 0 / 0 would give NaN)."""

    fname = "std"
    saves_output = True

    def backward(self, xp, g, inputs, out):
        scale = xp.where(out == 0, xp.zeros_like(out), g / out)  # of the reduced shape
        return (self.expand(xp, scale) * self.centered(xp, inputs[0]),)


def _move_to_end(xp, x, axes):
    """``x`` with ``axes`` moved last and merged into one; returns it and the undo function."""
    ndim = x.ndim
    rest = [i for i in range(ndim) if i not in axes]
    perm = tuple(rest) + tuple(axes)
    moved = xp.permute_dims(x, perm)
    mshape = tuple(moved.shape)
    flat = xp.reshape(moved, mshape[: len(rest)] + (math.prod(mshape[len(rest):]),))
    inverse = tuple(perm.index(i) for i in range(ndim))

    def undo(y):
        return xp.permute_dims(xp.reshape(y, mshape), inverse)

    return flat, undo


def _exclusive_cumprod(xp, x):
    """Product of the elements strictly before each one along the last axis."""
    return xp.cumulative_prod(x, axis=-1, include_initial=True)[..., :-1]


class Prod(Reduction):
    """Product; its gradient uses products of the other elements, so zeros are exact."""

    fname = "prod"
    saves_inputs = True

    def backward(self, xp, g, inputs, out):
        x = inputs[0]
        if not self.axes:
            return (g,)
        flat, undo = _move_to_end(xp, x, self.axes)
        before = _exclusive_cumprod(xp, flat)
        after = xp.flip(_exclusive_cumprod(xp, xp.flip(flat, axis=-1)), axis=-1)
        return (self.expand(xp, g) * cj(xp, undo(before * after)),)


def _reduce(cls, name, kinds, x, axis, keepdims, **kw):
    require(name, kinds, x)
    return apply(cls, x, axis=axis, keepdims=keepdims, **kw)


def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    """Sum over ``axis`` (``dtype`` to accumulate in another dtype); the gradient is the output's,
    broadcast back."""
    return _reduce(Sum, "sum", "ifc", x, axis, keepdims, **({} if dtype is None else {"dtype": dtype}))


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; its gradient is exact even where elements are zero (products of
    the other elements)."""
    return _reduce(Prod, "prod", "ifc", x, axis, keepdims, **({} if dtype is None else {"dtype": dtype}))


def mean(x, /, *, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (floating-point input; integers are refused, as the
    standard says)."""
    return _reduce(Mean, "mean", "fc", x, axis, keepdims)


def max(x, /, *, axis=None, keepdims=False):
    """Maximum over ``axis``; tied maxima share the gradient evenly (as ``torch.amax``)."""
    return _reduce(Max, "max", "if", x, axis, keepdims)


def min(x, /, *, axis=None, keepdims=False):
    """Minimum over ``axis``; tied minima share the gradient evenly (as ``torch.amin``)."""
    return _reduce(Min, "min", "if", x, axis, keepdims)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Variance over ``axis`` with ``correction`` degrees of freedom removed (any real
    correction; NaN where none are left, as the standard says)."""
    return _reduce(Var, "var", "f", x, axis, keepdims, correction=correction)


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Standard deviation over ``axis`` with ``correction``; where it is 0 its gradient is 0,
    as in PyTorch."""
    return _reduce(Std, "std", "f", x, axis, keepdims, correction=correction)


def _cumulative_axis(x, axis):
    if axis is None:
        if x.ndim != 1:
            raise ValueError("axis must be given for cumulative functions of arrays with more than one dimension")
        return 0
    return axis % x.ndim if x.ndim else axis


class Cumulative(Op):
    def forward(self, xp, x, *, axis=None, dtype=None, include_initial=False):
        self.axis = _cumulative_axis(x, axis)
        self.include_initial = include_initial
        return getattr(xp, self.fname)(x, axis=axis, dtype=dtype, include_initial=include_initial)

    def trimmed(self, xp, a):
        """Drop the initial element along the axis (the one ``include_initial`` adds)."""
        if not self.include_initial:
            return a
        return a[along(self.axis, slice(1, None))]

    def reverse_cumsum(self, xp, a):
        return xp.flip(xp.cumulative_sum(xp.flip(a, axis=self.axis), axis=self.axis), axis=self.axis)


class CumulativeSum(Cumulative):
    fname = "cumulative_sum"

    def backward(self, xp, g, inputs, out):
        return (self.reverse_cumsum(xp, self.trimmed(xp, g)),)


class CumulativeProd(Cumulative):
    """Cumulative product.  Its gradient divides by x when no element is zero or nearly so
    (relative to the largest; dividing by tiny elements ruins second derivatives); otherwise
    it runs the exact recurrence along the axis (the check forces computation on lazy backends;
    NaN and infinite elements take the recurrence too)."""

    fname = "cumulative_prod"
    saves_inputs = saves_output = True

    def backward(self, xp, g, inputs, out):
        x = inputs[0]
        g = self.trimmed(xp, g)
        y = self.trimmed(xp, out)
        size = xp.abs(x)
        if 0 in tuple(x.shape) or bool(xp.all(size > 1e-8 * xp.max(size))):  # no elements: max has none
            return (self.reverse_cumsum(xp, g * cj(xp, y)) / cj(xp, x),)
        # s_k = g_k + x_{k+1} s_{k+1}; grad_k = s_k * prod(x_j, j < k)
        ax = self.axis
        n = x.shape[ax]

        def at(a, k):
            return a[along(ax, slice(k, k + 1))]

        s = [None] * n
        s[n - 1] = at(g, n - 1)
        for k in range(n - 2, -1, -1):
            s[k] = at(g, k) + cj(xp, at(x, k + 1)) * s[k + 1]
        before = xp.cumulative_prod(x, axis=ax, include_initial=True)
        before = before[along(ax, slice(0, n))]
        return (xp.concat(s, axis=ax) * cj(xp, before),)


def _require_axes(x, name):
    if x.ndim == 0:
        raise ValueError(f"{name} needs an array with at least one dimension, got a 0-d array")


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Cumulative sum along ``axis``."""
    require("cumulative_sum", "ifc", x)
    _require_axes(x, "cumulative_sum")
    return apply(CumulativeSum, x, axis=axis, dtype=dtype, include_initial=include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Cumulative product along ``axis``; exact gradient at zeros."""
    require("cumulative_prod", "ifc", x)
    _require_axes(x, "cumulative_prod")
    return apply(CumulativeProd, x, axis=axis, dtype=dtype, include_initial=include_initial)


_all = passthrough("all")
_any = passthrough("any")
_argmax = passthrough("argmax", kinds="if")
_argmin = passthrough("argmin", kinds="if")
_count_nonzero = passthrough("count_nonzero")


def all(x, /, *, axis=None, keepdims=False):
    """Whether every element over ``axis`` is true (a boolean result: no gradient)."""
    return _all(x, axis=axis, keepdims=keepdims)


def any(x, /, *, axis=None, keepdims=False):
    """Whether some element over ``axis`` is true (a boolean result: no gradient)."""
    return _any(x, axis=axis, keepdims=keepdims)


def argmax(x, /, *, axis=None, keepdims=False):
    """Index of the first maximum over ``axis`` (flattened where None); indices carry no gradient."""
    return _argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, /, *, axis=None, keepdims=False):
    """Index of the first minimum over ``axis`` (flattened where None); indices carry no gradient."""
    return _argmin(x, axis=axis, keepdims=keepdims)


def count_nonzero(x, /, *, axis=None, keepdims=False):
    """Number of non-zero elements over ``axis``; ``axis=()`` counts each element on its own
    (PyTorch would count over all axes)."""
    if axis == ():
        b = x._b if isinstance(x, Tensor) else backend_of(x)
        data = x.data if isinstance(x, Tensor) else x
        integral = b.xp.__array_namespace_info__().default_dtypes()["integral"]
        return Tensor._wrap(b.xp.astype(data != b.xp.zeros_like(data), integral), b)
    return _count_nonzero(x, axis=axis, keepdims=keepdims)


__all__ = [
    "all", "any", "argmax", "argmin", "count_nonzero", "cumulative_prod", "cumulative_sum",
    "max", "mean", "min", "prod", "std", "sum", "var",
]
