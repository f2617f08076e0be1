"""SciPy's Gaussian filter, differentiable: :func:`gaussian_filter`, with SciPy's signature.

The value is the backend's library's (:meth:`~acarray._backend.Backend.scipy_function`): SciPy's
``scipy.ndimage.gaussian_filter`` on NumPy (and through NumPy on array-api-strict),
``cupyx.scipy.ndimage``'s on CuPy; JAX, PyTorch and Dask are refused with a TypeError.

The filter is a sequence of 1-d passes, one per filtered axis: the input extended past its
edges by ``mode`` (``radius`` samples on each side), then correlated with the Gaussian's weights
(``'valid'``).  Its adjoint, applied pass by pass in reverse order, convolves the gradient with the
weights (``'full'``, with :func:`acarray.scipy.signal.convolve`) and folds the extension back onto
the samples it copied: the index map of the extension (``numpy.pad`` of an ``arange``) says which,
and a gather and a sum add them up (``'reflect'``, ``'mirror'``, ``'nearest'``, ``'wrap'``), where
for ``'constant'`` the extension is ``cval``, which gets no gradient, and is cut off.  Written with
acarray's namespace, the backward pass is recorded under ``create_graph=True``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .._function import Function
from .._tensor import Tensor
from .signal import _normalized_axes, as_tensors, check_choice, convolve

__all__ = ["gaussian_filter"]

# ndimage's extension modes -> numpy.pad's mode giving the same index map ('reflect' repeats the
# edge sample, 'mirror' does not); the constant modes pad with cval.  For filters the grid-
# modes are synonyms.
_PAD_MODES: dict[str, Any] = {"reflect": "symmetric", "grid-mirror": "symmetric", "mirror": "reflect", "nearest": "edge",
              "wrap": "wrap", "grid-wrap": "wrap"}
_CONSTANT_MODES = ("constant", "grid-constant")
_MODES = (*_PAD_MODES, *_CONSTANT_MODES)


def _per_axis(argument: str, value, n: int) -> list:
    """``value`` (one value, or a sequence of ``n``) as a list of ``n`` values, as SciPy's
    ``_normalize_sequence``; tensors are refused (no gradient flows to these arguments)."""
    if isinstance(value, Tensor):
        raise TypeError(f"gaussian_filter: {argument} must be a number or a sequence of numbers, not a Tensor: "
                        f"no gradient flows to {argument}")
    if isinstance(value, str) or not np.iterable(value):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"gaussian_filter: {argument} has {len(values)} value(s), but {n} axis/axes are filtered; give "
                         f"one value, or one per filtered axis")
    return values


def _number(argument: str, v: Any, integral=False, per_axis=True):
    if isinstance(v, (Tensor, bool)) or not isinstance(v, numbers.Integral if integral else numbers.Real):
        kind = ("an int" if integral else "a real number") + (" (or one per filtered axis)" if per_axis else "")
        raise TypeError(f"gaussian_filter: {argument} must be {kind}, got {v!r}")
    value: Any = v  # an Integral or a Real, checked above
    return int(value) if integral else float(value)


def _gaussian_weights(sigma: float, order: int, radius: int) -> np.ndarray:
    """The correlation weights of SciPy's ``gaussian_filter1d``: the sampled Gaussian of standard
    deviation ``sigma`` on ``[-radius, radius]``, normalised, times the polynomial that makes it
    its ``order``-th derivative, reversed."""
    x = np.arange(-radius, radius + 1)
    sigma2 = sigma * sigma
    phi = np.exp(-0.5 / sigma2 * x ** 2)
    phi = phi / phi.sum()
    if order:
        exponents = np.arange(order + 1)
        q = np.zeros(order + 1)
        q[0] = 1
        derivative = np.diag(exponents[1:], 1) + np.diag(np.ones(order) / -sigma2, -1)  # q -> q' + q p'
        for _ in range(order):
            q = derivative.dot(q)
        phi = (x[:, None] ** exponents).dot(q) * phi
    return phi[::-1].copy()


def _fold_index(n: int, radius: int, mode: str) -> np.ndarray:
    """For each of ``n`` samples, the positions of the extended axis (``n + 2 * radius`` long) that
    hold a copy of it, one row each, padded with ``n + 2 * radius`` (a zero appended to the axis)."""
    index = np.pad(np.arange(n), radius, mode=_PAD_MODES[mode])
    counts = np.bincount(index, minlength=n)
    order = np.argsort(index, kind="stable")
    held = index[order]
    rank = np.arange(index.size) - np.searchsorted(held, np.arange(n))[held]
    table = np.full((n, int(counts.max())), index.size, dtype=np.int64)
    table[held, rank] = order
    return table


def _adjoint_pass(g, axis: int, weights: np.ndarray, mode: str, radius: int):
    """The adjoint of one 1-d pass (extension by ``mode``, then correlation with ``weights``) on
    gradient ``g``, with acarray's functions (recorded under ``create_graph=True``)."""
    ns = g.__array_namespace__()
    n = g.shape[axis]
    shape = [1] * g.ndim
    shape[axis] = weights.size
    w = ns.reshape(ns.asarray(weights, dtype=ns.finfo(g.dtype).dtype, device=g.device), tuple(shape))
    extended = convolve(g, w, "full")
    if radius == 0:
        return extended
    before = (slice(None),) * axis
    if mode in _CONSTANT_MODES:
        return extended[(*before, slice(radius, radius + n))]
    table = _fold_index(n, radius, mode)
    zero_shape = list(extended.shape)
    zero_shape[axis] = 1
    extended = ns.concat([extended, ns.zeros(tuple(zero_shape), dtype=extended.dtype, device=g.device)], axis=axis)
    gathered = ns.take(extended, ns.asarray(table.reshape(-1), device=g.device), axis=axis)
    gathered = ns.reshape(gathered, (*g.shape[:axis], n, table.shape[1], *g.shape[axis + 1:]))
    return ns.sum(gathered, axis=axis + 1)


class GaussianFilter(Function):
    """``gaussian_filter`` as one node: forward is the backend's library, backward the adjoint of
    each 1-d pass, last pass first."""

    @staticmethod
    def forward(ctx, input, call, passes):
        ctx.passes, ctx.dtype = passes, input.dtype
        args, kwargs = call
        return input._b.scipy_function("ndimage", "gaussian_filter")(input.data, *args, **kwargs)

    @staticmethod
    def backward(ctx, g):
        for axis, weights, mode, radius in reversed(ctx.passes):
            g = _adjoint_pass(g, axis, weights, mode, radius)
        if g.dtype != ctx.dtype:
            g = g.__array_namespace__().astype(g, ctx.dtype)
        return g, None, None


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *, radius=None,
                    axes=None):
    """Multidimensional Gaussian filter: SciPy's ``scipy.ndimage.gaussian_filter``, differentiable
    in ``input``.

    ``sigma`` (the standard deviations), ``order`` (0 for the Gaussian, k for its k-th
    derivative), ``mode`` (``'reflect'``, ``'constant'``, ``'nearest'``, ``'mirror'``, ``'wrap'``
    and the synonyms ``'grid-mirror'``, ``'grid-constant'``, ``'grid-wrap'``) and ``radius`` are one
    value, or one per filtered axis; ``axes`` (None for all) are the axes filtered; ``cval`` fills
    past the edges in the constant modes; ``truncate`` sets the radius,
    ``int(truncate * sigma + 0.5)``, where ``radius`` is None.  As in SciPy, axes whose sigma is
    not above 1e-15 are left alone, and the result has the input's dtype (integers are rounded
    as SciPy rounds them, with no gradient).  ``output`` must be None: cast the input instead.
    ``sigma``, ``cval`` and the others are numbers, which get no gradient.

    Computed by SciPy on NumPy (and array-api-strict) and ``cupyx.scipy.ndimage`` on CuPy; other
    backends raise a TypeError.  The gradient is the filter's adjoint, pass by pass: a
    :func:`acarray.scipy.signal.convolve` with the weights, then the extension folded back onto
    the samples it copied (cut off for the constant modes), so it is differentiable again.
    """
    fname = "gaussian_filter"
    (x,) = as_tensors(fname, input=input)
    if output is not None:
        raise NotImplementedError(f"{fname}: output= is not supported (the result is a new tensor of the input's "
                                  "dtype); for another dtype cast the input first (xp.astype(input, xp.float64))")
    axis_list = _normalized_axes(fname, axes, x.ndim)
    n = len(axis_list)
    sigmas = [_number("sigma", s) for s in _per_axis("sigma", sigma, n)]
    orders = [_number("order", o, integral=True) for o in _per_axis("order", order, n)]
    modes = _per_axis("mode", mode, n)
    radii = [None if radius is None else _number("radius", r, integral=True) for r in _per_axis("radius", radius, n)]
    for m in modes:
        check_choice(fname, "mode", m, _MODES)
    truncate = _number("truncate", truncate, per_axis=False)
    if isinstance(cval, Tensor) or not isinstance(cval, numbers.Number) or isinstance(cval, bool):
        raise TypeError(f"{fname}: cval must be a number, got {cval!r} (no gradient flows to cval)")
    if isinstance(cval, numbers.Complex) and not isinstance(cval, numbers.Real) and x._b.kind(x.data.dtype) != "c":
        raise TypeError(f"{fname}: a complex cval ({cval!r}) needs a complex input, got {x.dtype}")
    passes = []
    for axis, s, o, m, r in zip(axis_list, sigmas, orders, modes, radii):
        if not math.isfinite(s):
            raise ValueError(f"{fname}: sigma must be finite, got {s}")
        if o < 0:
            raise ValueError(f"{fname}: order must be non-negative, got {o}")
        if not s > 1e-15:  # SciPy leaves the axis alone
            continue
        if r is None:
            if not math.isfinite(truncate):
                raise ValueError(f"{fname}: truncate must be finite, got {truncate}")
            r = int(truncate * s + 0.5)
            if r < 0:
                raise ValueError(f"{fname}: the radius int(truncate * sigma + 0.5) is {r} for sigma={s} and "
                                 f"truncate={truncate}; it must be non-negative (a non-negative truncate)")
        elif r < 0:
            raise ValueError(f"{fname}: radius must be non-negative, got {r}")
        passes.append((axis, _gaussian_weights(s, o, r), m, r))
    kwargs = {}
    if radius is not None:
        kwargs["radius"] = radii
    if axes is not None:
        kwargs["axes"] = axis_list
    # One mode is passed as it is (CuPy before 13 takes no sequence of modes).
    call = ((sigmas, orders, None, mode if isinstance(mode, str) else modes, cval, truncate), kwargs)
    return GaussianFilter.apply(x, call, tuple(passes))
