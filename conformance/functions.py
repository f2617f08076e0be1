"""The table of the standard's functions: the main namespace and the linalg and fft extensions."""

from __future__ import annotations

import math

import array_api_strict as strict
import numpy as np
from hypothesis import strategies as st

from .case import Case
from .draw import ANY, FLOATING, INT_OR_BOOL, INTEGRAL, NUMERIC, REAL, Call, kind_of, xps
from .targets import as_numpy, dtype_name

SMOOTH = (-2.0, 2.0)
AWAY_FROM_ZERO = (-2.0, 2.0, 0.5)
POSITIVE = (0.2, 3.0)
UNIT = (-0.9, 0.9)
BETWEEN_INTEGERS = (0.1, 0.4)  # piecewise-constant functions are constant here

# -- element-wise -------------------------------------------------------------------------

# name: (dtype kinds, gradient domain; None when the function is not differentiable)
UNARY = {
    "abs": (NUMERIC, AWAY_FROM_ZERO),
    "acos": (FLOATING, UNIT),
    "acosh": (FLOATING, (1.2, 3.0)),
    "asin": (FLOATING, UNIT),
    "asinh": (FLOATING, UNIT),  # complex branch points at +-i
    "atan": (FLOATING, UNIT),
    "atanh": (FLOATING, UNIT),
    "bitwise_invert": (INT_OR_BOOL, None),
    "ceil": (REAL, BETWEEN_INTEGERS),
    "conj": (NUMERIC, SMOOTH),
    "cos": (FLOATING, SMOOTH),
    "cosh": (FLOATING, SMOOTH),
    "exp": (FLOATING, SMOOTH),
    "expm1": (FLOATING, SMOOTH),
    "floor": (REAL, BETWEEN_INTEGERS),
    "imag": ("complex floating", SMOOTH),
    "isfinite": (NUMERIC, None),
    "isinf": (NUMERIC, None),
    "isnan": (NUMERIC, None),
    "log": (FLOATING, POSITIVE),
    "log10": (FLOATING, POSITIVE),
    "log1p": (FLOATING, (-0.5, 3.0)),
    "log2": (FLOATING, POSITIVE),
    "logical_not": ("bool", None),
    "negative": (NUMERIC, SMOOTH),
    "positive": (NUMERIC, SMOOTH),
    "real": (NUMERIC, SMOOTH),
    "reciprocal": (FLOATING, AWAY_FROM_ZERO),
    "round": (NUMERIC, BETWEEN_INTEGERS),
    "sign": (NUMERIC, AWAY_FROM_ZERO),
    "signbit": ("real floating", None),
    "sin": (FLOATING, SMOOTH),
    "sinh": (FLOATING, SMOOTH),
    "sqrt": (FLOATING, POSITIVE),
    "square": (NUMERIC, SMOOTH),
    "tan": (FLOATING, (-1.2, 1.2)),
    "tanh": (FLOATING, SMOOTH),
    "trunc": (REAL, BETWEEN_INTEGERS),
}

BINARY = {
    "add": (NUMERIC, SMOOTH),
    "atan2": ("real floating", AWAY_FROM_ZERO),
    "bitwise_and": (INT_OR_BOOL, None),
    "bitwise_left_shift": (INTEGRAL, None),
    "bitwise_or": (INT_OR_BOOL, None),
    "bitwise_right_shift": (INTEGRAL, None),
    "bitwise_xor": (INT_OR_BOOL, None),
    "copysign": ("real floating", AWAY_FROM_ZERO),
    "divide": (FLOATING, AWAY_FROM_ZERO),
    "equal": (ANY, None),
    "floor_divide": (REAL, [(0.1, 0.9), (1.1, 2.0)]),
    "greater": (REAL, None),
    "greater_equal": (REAL, None),
    "hypot": ("real floating", AWAY_FROM_ZERO),
    "less": (REAL, None),
    "less_equal": (REAL, None),
    "logaddexp": ("real floating", SMOOTH),
    "logical_and": ("bool", None),
    "logical_or": ("bool", None),
    "logical_xor": ("bool", None),
    "maximum": (REAL, AWAY_FROM_ZERO),
    "minimum": (REAL, AWAY_FROM_ZERO),
    "multiply": (NUMERIC, SMOOTH),
    "nextafter": ("real floating", SMOOTH),
    "not_equal": (ANY, None),
    "pow": (NUMERIC, (0.5, 2.0)),
    "remainder": (REAL, [(0.1, 0.9), (1.1, 2.0)]),
    "subtract": (NUMERIC, SMOOTH),
}


# Second derivatives are checked for these (a representative set of every family).
SECOND_ORDER = {
    "exp", "log", "sin", "tanh", "sqrt", "abs", "reciprocal", "atan", "multiply", "divide", "pow", "atan2",
    "hypot", "logaddexp", "maximum", "where", "clip", "sum", "prod", "mean", "var", "std", "max",
    "cumulative_sum", "cumulative_prod", "matmul", "tensordot", "vecdot", "take", "concat", "stack",
    "sort", "reshape", "permute_dims", "broadcast_to", "linalg.inv", "linalg.det", "linalg.solve",
    "linalg.cholesky", "linalg.eigh", "linalg.vector_norm", "linalg.matrix_norm", "linalg.slogdet",
    "linalg.svdvals", "linalg.qr", "fft.fft", "fft.rfft", "fft.irfft", "__getitem__", "__setitem__",
}


def _unary(kinds, domain):
    def draw(e):
        return Call((e.array(e.dtype(kinds), e.shape(), domain),))

    return draw


def _binary(kinds, domain, bounded=False, divides=False):
    def draw(e):
        x1, x2 = e.arrays_like(kinds, 2, domain, bounded=bounded)
        if divides:  # x1 too: with a Python scalar on the left it is the divisor
            x1, x2 = nonzero_divisor(x1), nonzero_divisor(x2)
        if e.grad or e.integer(0, 4):
            return Call((x1, x2))
        scalar = e.pick(*SCALARS_OF_KIND[kind_of(x1.dtype)]) if e.integer(0, 4) else e.pick(True, 1, 0.5, 1j)
        if bounded and isinstance(scalar, int):
            scalar = abs(scalar)  # pow: negative integer powers of integers are undefined
        return Call((x1, scalar) if e.flag() else (scalar, x1))

    return draw


def nonzero_divisor(x):
    """Integer zeros replaced by 1: integer division by zero is left undefined by the standard."""
    if isinstance(x, type(strict.asarray(0))) and strict.isdtype(x.dtype, "integral"):
        return strict.where(x == 0, strict.ones_like(x), x)
    return x


# Python scalars an array of each kind combines with (others are drawn now and then, as invalid input)
SCALARS_OF_KIND = {
    "bool": (True, False),
    "signed integer": (1, -2, 3),
    "unsigned integer": (1, 2),
    "real floating": (0.5, 1.5, -2, float("nan"), float("inf")),
    "complex floating": (1j, 0.5, -2),
}


def _shift_draw(kinds, domain):
    """Shifts need non-negative shift counts below the bit width (the standard leaves others undefined)."""

    def draw(e):
        x1, x2 = e.arrays_like(kinds, 2, (0, 7), bounded=True)
        return Call((x1, x2))

    return draw


# -- reductions and statistics -------------------------------------------------------------


def _reduction(kinds, domain=SMOOTH, extra=None, unique=False, min_side=0, bounded=False):
    def draw(e):
        grad_sized = e.grad and min_side
        shape = e.shape(min_dims=1 if grad_sized else 0, min_side=2 if grad_sized else min_side)
        x = e.array(e.dtype(kinds), shape, domain, unique=unique and e.grad, bounded=bounded)
        if unique:
            x = spread(e, x)
        kwargs = {"axis": e.axes(len(shape)), "keepdims": e.flag()}
        if grad_sized and kwargs["axis"] == ():
            kwargs["axis"] = None  # reducing over no axis leaves no degrees of freedom
        if extra:
            kwargs.update(extra(e, x))
        return Call((x,), kwargs)

    return draw


def _correction(e, x):
    return {"correction": e.pick(0, 1, 0.0, 1.0)}


def _arg_reduction(e):
    shape = e.shape()
    x = e.array(e.dtype(REAL), shape)
    return Call((x,), {"axis": e.axis(len(shape), none=True), "keepdims": e.flag()})


def _cumulative(kinds, domain=SMOOTH):
    def draw(e):
        shape = e.shape(min_dims=1)  # the standard has no cumulative functions of 0-d arrays
        x = e.array(e.dtype(kinds), shape, domain)
        axis = e.axis(len(shape), none=len(shape) <= 1)
        return Call((x,), {"axis": axis, "include_initial": e.flag()})

    return draw


# -- manipulation ----------------------------------------------------------------------------


def _x(e, kinds=ANY, domain=SMOOTH, **shape_kw):
    return e.array(e.dtype(kinds), e.shape(**shape_kw), domain)


def _draw_broadcast_to(e):
    target = e.shape(max_dims=3)
    k = e.integer(0, len(target))
    own = tuple(1 if e.flag() else n for n in target[len(target) - k:])
    x = e.array(e.dtype(), own, SMOOTH)
    if not e.grad and e.integer(0, 5) == 0:
        target = tuple(n + 1 for n in target) or (2,)  # usually not broadcastable
    return Call((x, target))


def _draw_same_but_axis(e, new_axis: bool):
    """Arrays for concat/stack: equal shapes except along ``axis`` (concat only)."""
    shape = e.shape(min_dims=0 if new_axis else 1)
    n = e.integer(1, 3)
    dtype = e.dtype()
    ndim = len(shape) + new_axis
    axis = e.axis(ndim) if ndim else 0
    arrays = []
    for _ in range(n):
        s = list(shape)
        if not new_axis:
            s[axis] = e.integer(1 if e.grad else 0, 3)
        arrays.append(e.array(dtype if e.grad or e.integer(0, 3) else e.dtype(), tuple(s), SMOOTH))
    if not new_axis and not e.grad and e.integer(0, 5) == 0:
        return Call((arrays,), {"axis": None})
    return Call((arrays,), {"axis": axis})


def _draw_expand_dims(e):
    x = _x(e)
    if e.flag():
        return Call((x,), {"axis": e.integer(-x.ndim - 1, x.ndim)})
    k = e.integer(1, 2)
    n = x.ndim + k
    axes = e.draw(xps.valid_tuple_axes(n, min_size=k, max_size=k))
    return Call((x,), {"axis": axes})


def _draw_flip(e):
    x = _x(e)
    return Call((x,), {"axis": e.axes(x.ndim)})


def _draw_moveaxis(e):
    x = _x(e, min_dims=1)
    if e.flag():
        return Call((x, e.axis(x.ndim), e.axis(x.ndim)))
    src = e.draw(xps.valid_tuple_axes(x.ndim))
    dst = e.draw(xps.valid_tuple_axes(x.ndim, min_size=len(src), max_size=len(src)))
    return Call((x, src, dst))


def _draw_permute_dims(e):
    x = _x(e)
    return Call((x, tuple(e.draw(st.permutations(range(x.ndim))))))


def _draw_repeat(e):
    x = _x(e)
    axis = e.axis(x.ndim, none=True) if x.ndim else None
    n = x.size if axis is None else x.shape[axis]
    if e.flag():
        return Call((x, e.integer(0, 3)), {"axis": axis})
    reps = e.array(strict.int64, (n,), (0, 3), bounded=True)
    return Call((x, reps), {"axis": axis})


def _draw_reshape(e):
    x = _x(e)
    dims = []
    rest = x.size
    for _ in range(e.integer(0, 3)):
        d = e.pick(*[k for k in (1, 2, 3, 4) if rest % k == 0] or [1])
        dims.append(d)
        rest //= d
    dims.append(rest)
    if e.flag() and rest:
        dims[e.integer(0, len(dims) - 1)] = -1 if dims.count(-1) == 0 else 1
    if not e.grad and e.integer(0, 6) == 0:
        dims = [x.size + 1]
    return Call((x, tuple(dims)))


def _draw_roll(e):
    x = _x(e)
    if x.ndim and e.flag():
        axes = e.draw(xps.valid_tuple_axes(x.ndim, min_size=1))
        return Call((x, tuple(e.integer(-4, 4) for _ in axes)), {"axis": axes})
    return Call((x, e.integer(-5, 5)), {"axis": e.axis(x.ndim, none=True) if x.ndim else None})


def _draw_squeeze(e):
    shape = list(e.shape(min_dims=1))
    k = e.integer(0, len(shape) - 1)
    shape[k] = 1
    x = e.array(e.dtype(), tuple(shape), SMOOTH)
    axis = k - len(shape) if e.flag() else k
    if not e.grad and e.integer(0, 5) == 0:
        axis = e.axis(len(shape))  # maybe an axis of size > 1: an error
    return Call((x,), {"axis": axis})


def _draw_tile(e):
    x = _x(e)
    return Call((x, tuple(e.integer(0 if not e.grad else 1, 3) for _ in range(e.integer(0, 3)))))


def _draw_unstack(e):
    x = _x(e, min_dims=1)
    return Call((x,), {"axis": e.axis(x.ndim)})


def _draw_diff(e):
    x = _x(e, NUMERIC, min_dims=1)
    axis = e.axis(x.ndim)
    kwargs = {"axis": axis, "n": e.integer(0, 2)}
    for key in ("prepend", "append"):
        if e.integer(0, 3) == 0:
            s = list(x.shape)
            s[axis] = e.integer(1, 2)
            kwargs[key] = e.array(x.dtype, tuple(s), SMOOTH)
    return Call((x,), kwargs)


def _draw_meshgrid(e):
    dtype = e.dtype(NUMERIC)
    arrays = [e.array(dtype, e.shape(min_dims=1, max_dims=1), SMOOTH) for _ in range(e.integer(0 if not e.grad else 1, 3))]
    return Call(tuple(arrays), {"indexing": e.pick("xy", "ij")})


def _draw_tri(e):
    x = _x(e, NUMERIC, min_dims=2)
    return Call((x,), {"k": e.integer(-3, 3)})


def _draw_take(e):
    x = _x(e, min_dims=1)
    axis = e.axis(x.ndim) if x.ndim > 1 or e.flag() else None
    n = x.shape[axis if axis is not None else 0]
    if n == 0:
        idx = e.array(strict.int64, (0,))
    else:
        idx = e.array(e.pick(strict.int64, strict.int32), e.shape(min_dims=1, max_dims=1), (-n, n - 1), bounded=True)
    return Call((x, idx), {} if axis is None else {"axis": axis})


def _draw_take_along_axis(e):
    x = _x(e, min_dims=1)
    axis = e.axis(x.ndim)
    n = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = e.integer(0 if n == 0 else 1, 3) if n else 0
    idx = e.array(strict.int64, tuple(shape), (-n, n - 1) if n else (0, 0), bounded=True)
    return Call((x, idx), {"axis": axis})


# -- searching, sorting, sets ----------------------------------------------------------------


def spread(e, x):
    """In grad mode, ``x`` plus a random permutation of 0, 1, 2...: no two elements within
    finite-difference reach of each other (ties make max, min and sort non-differentiable)."""
    if not e.grad or x.size < 2:
        return x
    order = strict.asarray(e.draw(st.permutations(range(x.size))), dtype=x.dtype)
    return x / 1e4 + strict.reshape(order, x.shape)


def _draw_sort(e):
    x = spread(e, e.array(e.dtype(REAL), e.shape(min_dims=1), SMOOTH))
    return Call((x,), {"axis": e.axis(x.ndim), "descending": e.flag(), "stable": True})


def _draw_where(e):
    cshape, s1, s2 = e.shapes(3)
    cond = e.array(strict.bool, cshape)
    dtype = e.dtype(ANY)
    x1 = e.array(dtype, s1, SMOOTH)
    x2 = e.array(dtype if e.grad or e.integer(0, 3) else e.dtype(ANY), s2, SMOOTH)
    if not e.grad and e.integer(0, 4) == 0:
        return Call((cond, x1, e.pick(0, 1.5, True)))
    return Call((cond, x1, x2))


def _draw_clip(e):
    """x and bounds; the lower bound below the upper one (the standard leaves min > max undefined),
    and in grad mode x, min and max in separate ranges so that no element sits on a kink."""
    x = e.array(e.dtype(REAL), e.shape(), SMOOTH)
    if e.grad:  # keep x out of the bands the bounds are drawn from
        band = (strict.abs(x) >= 0.55) & (strict.abs(x) <= 0.95)
        x = strict.where(band, x * 0.5, x)
    bounds = []
    for domain, scalar in (((-0.9, -0.6), -1), ((0.6, 0.9), 1)):
        k = e.integer(0, 2)
        if k == 0:
            bounds.append(None)
        elif k == 1 or e.grad:
            shape = x.shape if e.grad else e.shape(max_dims=x.ndim)
            bounds.append(e.array(x.dtype, shape, domain, bounded=True))
        else:
            unsigned = strict.isdtype(x.dtype, "unsigned integer")
            bounds.append(max(scalar, 0) if unsigned else scalar * (0.5 if strict.isdtype(x.dtype, "real floating") else 1))
    return Call((x,), {"min": bounds[0], "max": bounds[1]})


def _draw_searchsorted(e):
    dtype = e.dtype(REAL, strict_kinds=True)
    x1 = strict.sort(e.array(dtype, e.shape(min_dims=1, max_dims=1), bounded=True, domain=(-10, 10)))
    x2 = e.array(dtype, e.shape(), bounded=True, domain=(-10, 10))
    return Call((x1, x2), {"side": e.pick("left", "right")})


def _draw_isin(e):
    x1 = _x(e, REAL)
    x2 = e.array(x1.dtype, e.shape(), SMOOTH)
    return Call((x1, x2), {"invert": e.flag()})


def _isin_reference(ns, x1, x2, invert=False):
    """array-api-strict 2.6.1 ignores ``invert``; the reference applies it itself."""
    found = ns.isin(x1, x2)
    return ns.logical_not(found) if invert else found


def _sorted_unique(ns, result):
    """Unique values sorted, NaNs last, so that the order a backend returns does not matter."""
    fields = result if isinstance(result, tuple) else (result,)
    values = as_numpy(fields[0])
    order = np.argsort(values, kind="stable")
    canon = [values[order]]
    for extra in fields[1:]:
        arr = as_numpy(extra)
        canon.append(arr[order] if arr.shape == values.shape else np.sort(arr.reshape(-1)))
    return tuple(canon)


def _unique_all_canon(ns, result):
    """unique_all: sorted values with their counts, the input rebuilt from the inverse, and the
    number of first-occurrence indices."""
    values, indices, inverse, counts = (as_numpy(r) for r in result)
    order = np.argsort(values, kind="stable")
    return values[order], counts[order], values[inverse.reshape(-1)], np.asarray(indices.shape)


def _unique_inverse_canon(ns, result):
    values, inverse = (as_numpy(r) for r in result)
    return np.sort(values), values[inverse.reshape(-1)] if values.size else inverse


# -- creation and data types ------------------------------------------------------------------


def _draw_arange(e):
    dtype = e.pick(None, *e.of_kinds(REAL))
    if dtype is not None and e.draw(st.integers(0, 1)):
        start, stop = e.integer(-5, 5), e.pick(None, e.integer(-5, 10))
    else:
        start, stop = e.pick(-2.5, 0, 1, 3.0), e.pick(None, 4, 5.5, -1.0)
    if dtype is not None and strict.isdtype(dtype, "unsigned integer"):
        start, stop = abs(int(start)), None if stop is None else abs(int(stop))
    step = e.pick(1, 2, 0.5, -1) if stop is not None else 1
    if dtype is not None and strict.isdtype(dtype, "integral"):
        start, stop, step = int(start), None if stop is None else int(stop), int(step) or 1
    kwargs = {"step": step}
    if dtype is not None:
        kwargs["dtype"] = dtype
    return Call((start, stop), kwargs)


def _draw_asarray(e):
    kind = e.integer(0, 3)
    if kind == 0:
        obj = e.pick(True, 3, -1.5, 2j)
    elif kind == 1:
        obj = e.pick([1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], [True, False], [], [[1, 2], [3, 4]])
    else:
        obj = _x(e)
    kwargs = {}
    if e.flag():
        kwargs["dtype"] = e.dtype(ANY, strict_kinds=True)
        if kind >= 2 and (strict.isdtype(obj.dtype, "complex floating")
                          or strict.isdtype(obj.dtype, "real floating") and strict.isdtype(kwargs["dtype"], "integral")):
            kwargs["dtype"] = obj.dtype  # complex to real, float out of an integer's range: left undefined
    if kind >= 2 and e.flag():
        kwargs["copy"] = True
    return Call((obj,), kwargs)


def _draw_shape_and_dtype(e):
    return Call((e.shape(),), {"dtype": e.dtype(ANY, strict_kinds=True)})


def _draw_full(e):
    dtype = e.dtype(ANY, strict_kinds=True)
    value = True if dtype == strict.bool else 3 if strict.isdtype(dtype, "integral") else e.pick(1.5, -2.0, float("inf"))
    if strict.isdtype(dtype, "complex floating"):
        value = 1 - 2j
    return Call((e.shape(), value), {"dtype": dtype})


def _draw_like(with_value=False):
    def draw(e):
        x = _x(e)
        args = (x,)
        if with_value:
            args += (True if x.dtype == strict.bool else 2 if strict.isdtype(x.dtype, "integral") else e.pick(2, 0.5) if strict.isdtype(x.dtype, "real floating") else 1j,)
        return Call(args, {"dtype": e.dtype(ANY, strict_kinds=True)} if e.flag() and not with_value else {})

    return draw


def _draw_eye(e):
    kwargs = {"k": e.integer(-3, 3)}
    if e.flag():
        kwargs["dtype"] = e.dtype(ANY, strict_kinds=True)
    return Call((e.integer(0, 4), e.pick(None, 0, 2, 5)), kwargs)


def _draw_linspace(e):
    dtype = e.pick(None, *e.of_kinds(FLOATING))
    kwargs = {"endpoint": e.flag()}
    if dtype is not None:
        kwargs["dtype"] = dtype
    return Call((e.pick(-1.0, 0.0, 2.5), e.pick(1.0, 10.0, -3.0), e.integer(0, 6)), kwargs)


def _draw_astype(e):
    x = _x(e)
    if e.grad:  # to float64 or complex128 (float32 would drown finite differences in rounding)
        target = strict.complex128 if x.dtype == strict.complex128 else e.pick(strict.float64, strict.complex128)
        return Call((x, target), {"copy": e.flag()})
    target = e.dtype(ANY, strict_kinds=True)
    if strict.isdtype(target, "integral") and strict.isdtype(x.dtype, "real floating"):
        x = e.array(x.dtype, x.shape, (0.0, 100.0), bounded=True)  # out-of-range casts are undefined
    return Call((x, target), {"copy": e.flag()})


def _draw_from_dtype_or_array(e):
    dtype = e.dtype(ANY, strict_kinds=True)
    first = e.array(dtype, e.shape(max_dims=1)) if e.flag() else dtype
    return first


def _draw_can_cast(e):
    return Call((_draw_from_dtype_or_array(e), e.dtype(ANY, strict_kinds=True)))


def _info_canon(ns, info):
    return (info.bits, float(info.max), float(info.min), dtype_name(ns, info.dtype)) + (
        (float(info.eps), float(info.smallest_normal)) if hasattr(info, "eps") else ()
    )


def _draw_finfo(e):
    dtype = e.dtype(FLOATING, strict_kinds=True)
    return Call((e.array(dtype, (2,)) if e.flag() else dtype,))


def _draw_iinfo(e):
    dtype = e.dtype(INTEGRAL, strict_kinds=True)
    return Call((e.array(dtype, (2,)) if e.flag() else dtype,))


def _draw_isdtype(e):
    kind = e.pick("bool", "signed integer", "unsigned integer", "integral", "real floating",
                  "complex floating", "numeric", ("integral", "bool"), e.dtype(ANY, strict_kinds=True))
    return Call((e.dtype(ANY, strict_kinds=True), kind))


def _draw_result_type(e):
    kinds = e.pick("bool", "integral", FLOATING) if e.integer(0, 3) else ANY  # mostly promotable
    items = [e.dtype(kinds, strict_kinds=True) for _ in range(e.integer(1, 3))]
    items = [e.array(d, (2,)) if e.flag() else d for d in items]
    if e.integer(0, 3) == 0:
        items.append(e.pick(1, 2.5, True))
    return Call(tuple(items))


def _draw_from_dlpack(e):
    return Call((_x(e),))


def _empty_canon(ns, result):
    return ()  # only the dtype and shape of an uninitialised array mean anything


# -- linear algebra ------------------------------------------------------------------------------


def _draw_matmul(e):
    n, k, m = (e.integer(1 if e.grad else 0, 3) for _ in range(3))
    batch1, batch2 = e.shapes(2, max_dims=2)
    kind = e.integer(0, 3)
    s1 = (k,) if kind == 1 else batch1 + (n, k)
    s2 = (k,) if kind == 2 else batch2 + (k, m)
    if not e.grad and e.integer(0, 6) == 0:
        s2 = (k + 1,)  # mismatched inner dimension
    dtype = e.dtype(NUMERIC)
    return Call((e.array(dtype, s1, SMOOTH, bounded=True), e.array(dtype, s2, SMOOTH, bounded=True)))


def _draw_tensordot(e):
    shared = e.shape(max_dims=2)
    a = e.shape(max_dims=2) + shared
    b = shared + e.shape(max_dims=2)
    dtype = e.dtype(NUMERIC)
    x1, x2 = e.array(dtype, a, SMOOTH, bounded=True), e.array(dtype, b, SMOOTH, bounded=True)
    if e.flag():
        return Call((x1, x2), {"axes": len(shared)})
    n1 = len(a) - len(shared)
    return Call((x1, x2), {"axes": (list(range(n1, len(a))), list(range(len(shared))))})


def _draw_vecdot(e):
    s1, s2 = e.shapes(2, min_dims=1, min_side=1)
    n = e.integer(1, 3)
    s1, s2 = s1[:-1] + (n,), s2[:-1] + (n,)
    dtype = e.dtype(NUMERIC)
    x1, x2 = e.array(dtype, s1, SMOOTH, bounded=True), e.array(dtype, s2, SMOOTH, bounded=True)
    return Call((x1, x2), {"axis": -1})


def _square(e, kinds=FLOATING, batch=True, n_min=1):
    n = e.integer(n_min, 3)
    shape = (e.shape(max_dims=1, min_side=1, max_side=2) if batch else ()) + (n, n)
    return e.array(e.dtype(kinds, strict_kinds=True), shape, (-1.0, 1.0), bounded=True)


def _well_conditioned(x):
    n = x.shape[-1]
    return x + strict.astype(strict.eye(n, dtype=strict.float64) * (n + 1.0), x.dtype)


def _spd(x):
    return strict.matmul(x, strict.conj(strict.matrix_transpose(x))) + strict.astype(strict.eye(x.shape[-1], dtype=strict.float64), x.dtype)


def _sym_ns(ns, a):
    return (a + ns.conj(ns.matrix_transpose(a))) / 2


def _draw_square(make=_well_conditioned, kinds=FLOATING):
    def draw(e):
        return Call((make(_square(e, kinds)),))

    return draw


def _draw_general(e, kinds=FLOATING, domain=(-1.0, 1.0)):
    m, n = e.integer(1, 3), e.integer(1, 3)
    shape = e.shape(max_dims=1, min_side=1, max_side=2) + (m, n)
    return e.array(e.dtype(kinds, strict_kinds=True), shape, domain, bounded=True)


def _draw_solve(e):
    a = _well_conditioned(_square(e))
    n = a.shape[-1]
    if e.flag() and a.ndim == 2:
        b = e.array(a.dtype, (n,), (-1.0, 1.0), bounded=True)
    else:
        b = e.array(a.dtype, a.shape[:-2] + (n, e.integer(1, 3)), (-1.0, 1.0), bounded=True)
    return Call((a, b))


def _draw_cholesky(e):
    return Call((_spd(_square(e)),), {"upper": e.flag()})


def _draw_cross(e):
    s1, s2 = e.shapes(2, max_dims=2)
    dtype = e.dtype(NUMERIC, strict_kinds=True)
    return Call((e.array(dtype, s1 + (3,), SMOOTH, bounded=True), e.array(dtype, s2 + (3,), SMOOTH, bounded=True)))


def _draw_diagonal(e):
    x = _draw_general(e, NUMERIC)
    return Call((x,), {"offset": e.integer(-2, 2)})


def _draw_matrix_norm(e):
    x = spread(e, _draw_general(e, domain=AWAY_FROM_ZERO))  # tied row sums or singular values: kinks
    return Call((x,), {"keepdims": e.flag(), "ord": e.pick("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)})


def _draw_matrix_power(e):
    return Call((_well_conditioned(_square(e)), e.integer(-2, 3)))


def _draw_rank(e):
    return Call((_draw_general(e),))


def _draw_outer(e):
    dtype = e.dtype(NUMERIC, strict_kinds=True)
    return Call((e.array(dtype, e.shape(1, 1), SMOOTH, bounded=True), e.array(dtype, e.shape(1, 1), SMOOTH, bounded=True)))


def _draw_pinv(e):
    x = _draw_general(e)
    m, n = x.shape[-2:]
    # full rank: add a scaled identity block so the pseudo-inverse is smooth
    return Call((x + strict.astype(strict.eye(m, n, dtype=strict.float64) * 3.0, x.dtype),))


def _draw_qr(e):
    x = _draw_general(e, domain=AWAY_FROM_ZERO)  # LAPACK's Householder sign jumps at exact zeros
    m, n = x.shape[-2:]
    if e.grad and m < n:
        x = strict.matrix_transpose(x)
    return Call((x + strict.astype(strict.eye(*x.shape[-2:], dtype=strict.float64) * 3.0, x.dtype),), {"mode": "reduced"})


def _draw_svd(e):
    x = _draw_general(e)
    x = x + strict.astype(_distinct_diagonal(*x.shape[-2:]), x.dtype)
    return Call((x,), {"full_matrices": False if e.grad else e.flag()})


def _distinct_diagonal(m, n):
    """An m x n matrix with 3, 5, 7... on its diagonal, so that singular values stay distinct."""
    k = min(m, n)
    values = strict.concat([strict.arange(3.0, 3.0 + 2.0 * k, 2.0, dtype=strict.float64)[:k], strict.zeros(n - k, dtype=strict.float64)])
    return strict.eye(m, n, dtype=strict.float64) * values


def _draw_eigh(e):
    x = _square(e)
    n = x.shape[-1]
    return Call((_sym_strict(x) + strict.astype(strict.eye(n, dtype=strict.float64) * strict.arange(0.0, 3.0 * n, 3.0, dtype=strict.float64)[:n], x.dtype),))


def _sym_strict(x):
    return (x + strict.conj(strict.matrix_transpose(x))) / 2


def _draw_eig(e):
    x = _square(e)
    n = x.shape[-1]
    # distinct eigenvalues: a dominant diagonal with well separated entries
    return Call((x + strict.astype(strict.eye(n, dtype=strict.float64) * strict.arange(0.0, 3.0 * n, 3.0, dtype=strict.float64)[:n], x.dtype),))


def _draw_trace(e):
    x = _draw_general(e, NUMERIC)
    return Call((x,), {"offset": e.integer(-2, 2)})


def _draw_vector_norm(e):
    shape = e.shape(min_dims=0)
    x = e.array(e.dtype(FLOATING), shape, AWAY_FROM_ZERO, unique=e.grad)
    return Call((x,), {"axis": e.axes(len(shape)), "keepdims": e.flag(),
                       "ord": e.pick(2, 1, math.inf, -math.inf, 3, 0.5) if e.grad else e.pick(2, 1, 0, math.inf, -math.inf, 3, -1, 0.5)})


def _eigh_canon(ns, result):
    lam, v = as_numpy(result[0]), as_numpy(result[1])
    return lam, (v * lam[..., None, :]) @ np.conj(np.swapaxes(v, -1, -2))


def _eig_canon(ns, result):
    lam, v = as_numpy(result[0]), as_numpy(result[1])
    rebuilt = (v * lam[..., None, :]) @ np.linalg.inv(v)
    return np.sort_complex(lam.reshape(-1, lam.shape[-1])).reshape(lam.shape), rebuilt


def _eigvals_canon(ns, result):
    lam = as_numpy(result)
    return np.sort_complex(lam.reshape(-1, lam.shape[-1])).reshape(lam.shape)


def _svd_canon(ns, result):
    u, s, vh = (as_numpy(r) for r in result)
    k = s.shape[-1]
    return s, (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]


def _qr_canon(ns, result):
    q, r = (as_numpy(x) for x in result)
    return q @ r, np.abs(np.diagonal(r, axis1=-2, axis2=-1))


def _project_eigh(ns, result):
    lam, v = result
    return ns.concat([ns.reshape(lam, (-1,)) * 1.0, ns.reshape(ns.real(v * ns.conj(v)), (-1,))])


def _power_sums(ns, lam):
    """sum(lam ** p) for p = 1, 2, 3: what eigenvalues determine whatever order LAPACK returns them
    in (the order can change under a finite-difference step)."""
    return ns.concat([ns.reshape(ns.sum(lam ** p, axis=-1), (-1,)) for p in (1, 2, 3)])


def _project_eig(ns, result):
    """Order- and phase-free: power sums of the eigenvalues, and sum_k lam_k |v_jk|^2 per row j."""
    lam, v = result
    weighted = ns.sum(lam[..., None, :] * (v * ns.conj(v)), axis=-1)
    return ns.concat([_power_sums(ns, lam), ns.reshape(weighted, (-1,))])


def _project_svd(ns, result):
    u, s, vh = result
    return ns.concat([ns.reshape(s, (-1,)), ns.reshape(ns.real(u * ns.conj(u)), (-1,)), ns.reshape(ns.real(vh * ns.conj(vh)), (-1,))])


def _project_concat(ns, result):
    return ns.concat([ns.reshape(r, (-1,)) for r in result])


# -- fft -------------------------------------------------------------------------------------------


def _draw_fft_1d(input_kinds, half=False):
    def draw(e):
        x = e.array(e.dtype(input_kinds, strict_kinds=True), e.shape(min_dims=1, min_side=1), SMOOTH, bounded=True)
        axis = e.axis(x.ndim)
        kwargs = {"axis": axis, "norm": e.pick("backward", "ortho", "forward")}
        if e.flag():
            kwargs["n"] = e.integer(2 if half else 1, 5)
        elif half and x.shape[axis] < 2:
            kwargs["n"] = 2
        return Call((x,), kwargs)

    return draw


def _draw_fft_nd(input_kinds, half=False):
    def draw(e):
        x = e.array(e.dtype(input_kinds, strict_kinds=True), e.shape(min_dims=1, min_side=1), SMOOTH, bounded=True)
        axes = e.draw(xps.valid_tuple_axes(x.ndim, min_size=1))
        kwargs = {"axes": axes, "norm": e.pick("backward", "ortho", "forward")}
        if e.flag():
            kwargs["s"] = tuple(e.integer(2 if half else 1, 4) for _ in axes)
        elif half and x.shape[axes[-1]] < 2:
            kwargs["s"] = tuple(x.shape[a] for a in axes[:-1]) + (2,)
        return Call((x,), kwargs)

    return draw


def _draw_freq(e):
    kwargs = {"d": e.pick(1.0, 0.5)}
    if e.flag():
        kwargs["dtype"] = e.dtype("real floating", strict_kinds=True)
    return Call((e.integer(1, 6),), kwargs)


def _draw_shift(e):
    x = _x(e, FLOATING, min_dims=1)
    return Call((x,), {"axes": e.pick(None, e.axis(x.ndim), e.draw(xps.valid_tuple_axes(x.ndim)))})


def _families():
    table = []
    for name, (kinds, domain) in UNARY.items():
        table.append(Case(name, _unary(kinds, domain), grad=domain is not None))
    for name, (kinds, domain) in BINARY.items():
        # pow keeps to its domain for values too: integer powers must be non-negative
        draw = _shift_draw(kinds, domain) if "shift" in name else _binary(
            kinds, domain, bounded=name == "pow", divides=name in ("floor_divide", "remainder"))
        table.append(Case(name, draw, grad=domain is not None, complex_grad=name not in ("pow",)))
    return table


TABLE = _families() + [
    # element-wise with options
    Case("clip", _draw_clip, grad=True),
    Case("where", _draw_where, grad=True),
    # reductions and statistics
    Case("sum", _reduction(NUMERIC), grad=True, mixes=True),
    Case("prod", _reduction(NUMERIC), grad=True, mixes=True),
    Case("mean", _reduction(FLOATING), grad=True, mixes=True),
    Case("max", _reduction(REAL, unique=True), grad=True),  # unique: spread apart in grad mode
    Case("min", _reduction(REAL, unique=True), grad=True),
    # var and std of huge values overflow in some libraries and not in others: moderate values only
    Case("var", _reduction("real floating", (-1e3, 1e3), _correction, True, 2, True), grad=True, mixes=True),
    Case("std", _reduction("real floating", (-1e3, 1e3), _correction, True, 2, True), grad=True, mixes=True),
    Case("cumulative_sum", _cumulative(NUMERIC), grad=True, mixes=True),
    Case("cumulative_prod", _cumulative(NUMERIC), grad=True, mixes=True),
    Case("all", _reduction(ANY)),
    Case("any", _reduction(ANY)),
    Case("count_nonzero", _reduction(ANY)),
    Case("argmax", _arg_reduction),
    Case("argmin", _arg_reduction),
    # manipulation
    Case("broadcast_arrays", lambda e: Call(tuple(e.array(e.dtype(), s, SMOOTH) for s in e.shapes(e.integer(1, 3)))), grad=True,
         project=_project_concat),
    Case("broadcast_shapes", lambda e: Call(tuple(e.shapes(e.integer(1, 3))) if e.flag() else (e.shape(), e.shape()))),
    Case("broadcast_to", _draw_broadcast_to, grad=True),
    Case("concat", lambda e: _draw_same_but_axis(e, False), grad=True),
    Case("stack", lambda e: _draw_same_but_axis(e, True), grad=True),
    Case("expand_dims", _draw_expand_dims, grad=True),
    Case("flip", _draw_flip, grad=True),
    Case("moveaxis", _draw_moveaxis, grad=True),
    Case("permute_dims", _draw_permute_dims, grad=True),
    Case("repeat", _draw_repeat, grad=True),
    Case("reshape", _draw_reshape, grad=True),
    Case("roll", _draw_roll, grad=True),
    Case("squeeze", _draw_squeeze, grad=True),
    Case("tile", _draw_tile, grad=True),
    Case("unstack", _draw_unstack, grad=True, project=_project_concat),
    Case("diff", _draw_diff, grad=True),
    Case("meshgrid", _draw_meshgrid, grad=True, project=_project_concat),
    Case("matrix_transpose", lambda e: Call((_x(e, min_dims=2),)), grad=True),
    Case("tril", _draw_tri, grad=True),
    Case("triu", _draw_tri, grad=True),
    Case("take", _draw_take, grad=True),
    Case("take_along_axis", _draw_take_along_axis, grad=True),
    # searching, sorting, sets
    Case("argsort", lambda e: Call((_x(e, REAL, min_dims=1),), {"axis": -1, "descending": e.flag(), "stable": True})),
    Case("sort", _draw_sort, grad=True),
    Case("nonzero", lambda e: Call((_x(e, ANY, min_dims=0 if e.integer(0, 5) == 0 else 1),))),
    Case("searchsorted", _draw_searchsorted),
    Case("isin", _draw_isin, reference=_isin_reference),
    Case("unique_values", lambda e: Call((_x(e, REAL),)), canon=_sorted_unique),
    Case("unique_counts", lambda e: Call((_x(e, REAL),)), canon=_sorted_unique),
    Case("unique_inverse", lambda e: Call((_x(e, REAL),)), canon=_unique_inverse_canon),
    Case("unique_all", lambda e: Call((_x(e, REAL),)), canon=_unique_all_canon),
    # creation
    Case("arange", _draw_arange, defaults=True),
    Case("asarray", _draw_asarray, defaults=True),
    Case("empty", _draw_shape_and_dtype, canon=_empty_canon, defaults=True),
    Case("empty_like", _draw_like(), canon=_empty_canon),
    Case("eye", _draw_eye, defaults=True),
    Case("from_dlpack", _draw_from_dlpack),
    Case("full", _draw_full, defaults=True),
    Case("full_like", _draw_like(with_value=True)),
    Case("linspace", _draw_linspace, mixes=True, defaults=True),
    Case("ones", _draw_shape_and_dtype, defaults=True),
    Case("ones_like", _draw_like()),
    Case("zeros", _draw_shape_and_dtype, defaults=True),
    Case("zeros_like", _draw_like()),
    # data types
    Case("astype", _draw_astype, grad=True),
    Case("can_cast", _draw_can_cast),
    Case("finfo", _draw_finfo, canon=_info_canon),
    Case("iinfo", _draw_iinfo, canon=_info_canon),
    Case("isdtype", _draw_isdtype),
    Case("result_type", _draw_result_type),
    # linear algebra
    Case("matmul", _draw_matmul, grad=True, mixes=True),
    Case("tensordot", _draw_tensordot, grad=True, mixes=True),
    Case("vecdot", _draw_vecdot, grad=True, mixes=True),
    Case("linalg.cholesky", _draw_cholesky, grad=True, mixes=True,
         fn=lambda ns, x, **kw: ns.linalg.cholesky(_sym_ns(ns, x), **kw)),
    Case("linalg.cross", _draw_cross, grad=True, mixes=True),
    Case("linalg.det", _draw_square(), grad=True, mixes=True),
    Case("linalg.diagonal", _draw_diagonal, grad=True),
    Case("linalg.eig", _draw_eig, grad=True, mixes=True, tol=100, canon=_eig_canon, project=_project_eig),
    Case("linalg.eigh", _draw_eigh, grad=True, mixes=True, tol=100, canon=_eigh_canon, project=_project_eigh,
         fn=lambda ns, x: ns.linalg.eigh(_sym_ns(ns, x))),
    Case("linalg.eigvals", _draw_eig, grad=True, mixes=True, tol=100, canon=_eigvals_canon, project=_power_sums),
    Case("linalg.eigvalsh", _draw_eigh, grad=True, mixes=True, tol=100,
         fn=lambda ns, x: ns.linalg.eigvalsh(_sym_ns(ns, x))),
    Case("linalg.inv", _draw_square(), grad=True, mixes=True, tol=10),
    Case("linalg.matmul", _draw_matmul, grad=True, mixes=True),
    Case("linalg.matrix_norm", _draw_matrix_norm, grad=True, mixes=True, tol=10),
    Case("linalg.matrix_power", _draw_matrix_power, grad=True, mixes=True, tol=10),
    Case("linalg.matrix_rank", lambda e: Call((_draw_general(e),))),
    Case("linalg.matrix_transpose", lambda e: Call((_x(e, min_dims=2),)), grad=True),
    Case("linalg.outer", _draw_outer, grad=True, mixes=True),
    Case("linalg.pinv", _draw_pinv, grad=True, mixes=True, tol=10),
    Case("linalg.qr", _draw_qr, grad=True, mixes=True, tol=10, canon=_qr_canon, project=_project_concat),
    Case("linalg.slogdet", _draw_square(), grad=True, mixes=True, tol=10, project=lambda ns, r: r.logabsdet),
    Case("linalg.solve", _draw_solve, grad=True, mixes=True, tol=10),
    Case("linalg.svd", _draw_svd, grad=True, mixes=True, tol=100, canon=_svd_canon, project=_project_svd),
    Case("linalg.svdvals", _draw_svd, grad=True, mixes=True, tol=100,
         fn=lambda ns, x, full_matrices=False: ns.linalg.svdvals(x)),
    Case("linalg.tensordot", _draw_tensordot, grad=True, mixes=True),
    Case("linalg.trace", _draw_trace, grad=True, mixes=True),
    Case("linalg.vecdot", _draw_vecdot, grad=True, mixes=True),
    Case("linalg.vector_norm", _draw_vector_norm, grad=True, mixes=True, tol=10),
    # fft
    Case("fft.fft", _draw_fft_1d("complex floating"), grad=True, mixes=True, tol=10),
    Case("fft.ifft", _draw_fft_1d("complex floating"), grad=True, mixes=True, tol=10),
    Case("fft.fftn", _draw_fft_nd("complex floating"), grad=True, mixes=True, tol=10),
    Case("fft.ifftn", _draw_fft_nd("complex floating"), grad=True, mixes=True, tol=10),
    Case("fft.rfft", _draw_fft_1d("real floating"), grad=True, mixes=True, tol=10),
    Case("fft.irfft", _draw_fft_1d("complex floating", half=True), grad=True, mixes=True, tol=10),
    Case("fft.rfftn", _draw_fft_nd("real floating"), grad=True, mixes=True, tol=10),
    Case("fft.irfftn", _draw_fft_nd("complex floating", half=True), grad=True, mixes=True, tol=10),
    Case("fft.hfft", _draw_fft_1d("complex floating", half=True), grad=True, mixes=True, tol=10),
    Case("fft.ihfft", _draw_fft_1d("real floating"), grad=True, mixes=True, tol=10),
    Case("fft.fftfreq", _draw_freq, defaults=True),
    Case("fft.rfftfreq", _draw_freq, defaults=True),
    Case("fft.fftshift", _draw_shift, grad=True),
    Case("fft.ifftshift", _draw_shift, grad=True),
]

for _case in TABLE:
    _case.order2 = _case.order2 or _case.name in SECOND_ORDER
