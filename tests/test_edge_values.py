"""Element-wise, special and reduction functions at edge values, against PyTorch in float64.

The functions come from the namespace itself: every function that ``acarray._ops.elementwise``,
``acarray._ops.special`` and ``acarray._ops.reductions`` put in it.  Each differentiable one
must have an entry in ``TORCH`` (how PyTorch computes it, called as acarray's is) and in
``CASES`` (inputs built from a grid of 0, -0, subnormal, tiny and huge values, +-inf, NaN,
+-1, 1/2 and the function's branch points, as a vector for unary functions and as every pair
of the grid for binary ones, Python-scalar operands included), so a new function fails here
until it is covered.  For each case the value and the gradient of a random cotangent are
compared with ``torch.autograd``: close wherever PyTorch's is finite, equal where it is
infinite (NaN in PyTorch is not compared).  Cases marked second also compare a second
derivative, the gradient of ``sum(grad * v)`` taken with ``create_graph=True``, wherever
PyTorch's is finite.  Everything runs on every backend of the ``xp`` fixture.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import torch
from conftest import to_numpy
from torch_side import Side, cotangent

import acarray
from acarray._functions import SHARED
from acarray._ops import elementwise, reductions, special

inf, nan = math.inf, math.nan
T = torch
TS = torch.special

EDGE = np.array([0.0, -0.0, 5e-324, 1e-300, -1e-300, 1e300, -1e300, inf, -inf, nan,
                 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 0.25, -3.5, 1e-8])
PAIR = np.array([0.0, -0.0, 1e-300, 1e300, -1e300, inf, -inf, nan, 1.0, -1.0, 0.5, -2.0, 2.0, 3.0])
SCALARS = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.0, inf, nan)
NONNEGATIVE = PAIR[~np.signbit(PAIR)]

# Grid values left out for a function, where PyTorch's value is not a reference there.
EXCLUDE = {
    "sign": [nan],  # PyTorch's sign(nan) is 0
    "special.sinc": [1e-8],  # both formulas cancel: (cos(pi x) - sinc(x)) / x loses every digit
    "special.gammaln": [5e-324, -inf],  # SciPy's gammaln is inf at 5e-324 (PyTorch: 744.4), -inf at -inf
    "special.polygamma": [-1e300, -1.0, -2.0],  # poles: PyTorch's trigamma there is finite
}
# (function, Python scalar) -> grid values left out beside that scalar
EXCLUDE_BESIDE = {
    # NumPy computes x ** 0.5 as sqrt(x): NaN at -inf, where PyTorch gives inf; the sign of the
    # infinite gradient at -0 follows each library's own kernel
    ("pow", 0.5): [-inf, -0.0],
}


def _without(grid, values):
    if not values:
        return grid
    drop = np.zeros(grid.shape, dtype=bool)
    for v in values:  # -0.0 is not 0.0 here, and NaN is NaN
        drop |= np.isnan(grid) if v != v else (grid == v) & (np.signbit(grid) == np.signbit(v))
    return grid[~drop]


def _names(module, exclude=()):
    return sorted(n for n, f in SHARED.items() if getattr(f, "__module__", None) == module.__name__ and n not in exclude)


# Functions whose output never carries a gradient (comparisons, bit and logical functions...).
NONDIFFERENTIABLE = {
    "bitwise_and", "bitwise_left_shift", "bitwise_invert", "bitwise_or", "bitwise_right_shift", "bitwise_xor",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "isfinite", "isinf", "isnan",
    "signbit", "logical_and", "logical_not", "logical_or", "logical_xor", "count_nonzero",
    "all", "any", "argmax", "argmin",
}
ELEMENTWISE = _names(elementwise, NONDIFFERENTIABLE)
REDUCTIONS = _names(reductions, NONDIFFERENTIABLE)
SPECIAL = sorted(f"special.{n}" for n in special.FUNCTIONS)
OTHERS = ["linalg.vector_norm"]  # reductions that live elsewhere
FUNCTIONS = ELEMENTWISE + REDUCTIONS + SPECIAL + OTHERS


def _standard_floor_divide(a, b):
    """PyTorch's floor_divide, with the standard's special cases where one operand is infinite:
    floor(a / b), as IEEE 754 rounds it (PyTorch pairs // with %, giving NaN and -1 there)."""
    q = torch.floor_divide(a, b)
    a_, b_ = (x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=q.dtype) for x in (a, b))
    one_infinite = torch.isinf(a_) ^ torch.isinf(b_)
    return torch.where(one_infinite, torch.floor(a_ / b_), q)


def _const_grad(fn):
    """``fn`` with a gradient of zero for every argument (PyTorch has no derivative for it)."""

    class Zero(torch.autograd.Function):
        @staticmethod
        def forward(*args):
            return fn(*(a.detach() if isinstance(a, torch.Tensor) else a for a in args))

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.shapes = [a.shape if isinstance(a, torch.Tensor) else None for a in inputs]

        @staticmethod
        def backward(ctx, g):
            return tuple(None if s is None else torch.zeros(s, dtype=g.dtype) for s in ctx.shapes)

    return Zero.apply


def _t(v, like):
    return v if isinstance(v, torch.Tensor) else torch.tensor(v, dtype=like.dtype if isinstance(like, torch.Tensor) else T.float64)


def _binary(fn):
    """PyTorch's ``fn`` taking Python scalars on either side, as acarray's functions do."""
    def call(a, b):
        if not isinstance(a, torch.Tensor):
            a = _t(a, b)
        if not isinstance(b, torch.Tensor):
            b = _t(b, a)
        return fn(a, b)
    return call


def _kl_div(x, y):
    """SciPy's kl_div on its domain x, y >= 0: x log(x / y) - x + y, and y where x == 0."""
    pos = x > 0
    xs = torch.where(pos, x, 1.0)
    return torch.where(pos, xs * (torch.log(xs) - torch.log(y)) - xs + y, torch.where(x == 0, y, nan))


class _Betainc(torch.autograd.Function):
    """betainc(a, b, x), differentiable in x: x**(a-1) (1-x)**(b-1) / B(a, b)."""

    @staticmethod
    def forward(a, b, x):
        return torch.from_numpy(np.asarray(scipy.special.betainc(a.numpy(), b.numpy(), x.detach().numpy())))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, g):
        a, b, x = ctx.saved_tensors
        log_beta = torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)
        return None, None, g * torch.exp(TS.xlogy(a - 1, x) + TS.xlog1py(b - 1, -x) - log_beta)


def _cumulative(fn, initial):
    def call(x, axis=None, include_initial=False):
        dim = 0 if axis is None else axis
        y = fn(x, dim=dim)
        if include_initial:
            shape = list(x.shape)
            shape[dim] = 1
            y = torch.cat([torch.full(shape, initial, dtype=x.dtype), y], dim=dim)
        return y
    return call


def _reduce(fn):
    def call(x, axis=None, keepdims=False, **kw):
        if axis == ():  # over no axis: each element on its own (PyTorch's dim=() means every axis)
            return fn(x[..., None], dim=-1, keepdim=False, **kw)
        if axis is None:
            axis = tuple(range(x.ndim))
        return fn(x, dim=axis, keepdim=keepdims, **kw)
    return call


def _prod(x, axis=None, keepdims=False):
    if axis == ():
        return torch.prod(x[..., None], dim=-1)
    if axis is None:
        y = torch.prod(x.reshape(-1))
        return y.reshape((1,) * x.ndim) if keepdims else y
    return torch.prod(x, dim=axis, keepdim=keepdims)


TORCH = {
    **{n: getattr(T, n) for n in "acos acosh asin asinh atan atanh cos cosh exp expm1 log log1p log2 log10 sin sinh "
       "sqrt square tan tanh reciprocal abs conj real imag ceil floor round trunc sign positive".split()},
    "negative": T.neg,
    **{n: _binary(getattr(T, n)) for n in "add atan2 hypot logaddexp maximum minimum copysign remainder pow "
       "nextafter".split()},
    "subtract": _binary(T.sub),
    "multiply": _binary(T.mul),
    "divide": _binary(T.div),
    "floor_divide": _binary(_const_grad(lambda a, b: _standard_floor_divide(a, b))),
    "clip": lambda x, min=None, max=None: T.clamp(x, min, max),
    "where": lambda c, a, b: T.where(c, _t(a, b), _t(b, a)),
    "astype": lambda x, dtype: x.to(dtype),
    "sum": _reduce(T.sum),
    "mean": _reduce(T.mean),
    "prod": _prod,
    "max": _reduce(T.amax),
    "min": _reduce(T.amin),
    "var": _reduce(lambda x, correction=0.0, **kw: T.var(x, correction=correction, **kw)),
    "std": _reduce(lambda x, correction=0.0, **kw: T.std(x, correction=correction, **kw)),
    "cumulative_sum": _cumulative(T.cumsum, 0.0),
    "cumulative_prod": _cumulative(T.cumprod, 1.0),
    "linalg.vector_norm": lambda x, axis=None, keepdims=False, ord=2: T.linalg.vector_norm(x, ord, axis, keepdims),
    **{f"special.{n}": getattr(TS, n) for n in "erf erfc erfinv expit logit gammaln digamma psi ndtr ndtri log_ndtr "
       "entr i0 i0e i1 i1e sinc".split()},
    "special.xlogy": _binary(TS.xlogy),
    "special.xlog1py": _binary(TS.xlog1py),
    "special.kl_div": _binary(_kl_div),
    "special.gammainc": _binary(TS.gammainc),
    "special.gammaincc": _binary(TS.gammaincc),
    "special.polygamma": TS.polygamma,
    "special.betainc": lambda a, b, x: _Betainc.apply(_t(a, x), _t(b, x), x),
}


def _fn(xp, name):
    obj = xp
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class Case:
    def __init__(self, label, build, second=True, tol=1e-9):
        self.label, self.build, self.second, self.tol = label, build, second, tol


def _unary(name, second=True, tol=1e-9, grid=EDGE):
    values = np.concatenate([_without(grid, EXCLUDE.get(name)), np.array(BRANCH.get(name, ()), dtype=np.float64)])
    return [Case("grid", lambda s, f: f(s.t(values)), second, tol),
            Case("0-d", lambda s, f: f(s.t(values[12])), second, tol)]


def _binary_cases(name, second=True, tol=1e-9, grid=PAIR):
    a, b = (v.ravel() for v in np.meshgrid(grid, grid, indexing="ij"))
    cases = [Case("pairs", lambda s, f: f(s.t(a), s.t(b)), second and name != "pow", tol),
             Case("broadcast", lambda s, f: f(s.t(grid[:, None]), s.t(grid[None, 3:9])), second, tol)]
    if name == "pow":  # its rule in a is set to 0 at b == 0, so its derivative in b is not compared there
        cases.append(Case("pairs, b != 0", lambda s, f: f(s.t(a[b != 0]), s.t(b[b != 0])), second, tol))
    if name == "nextafter":  # at a == b PyTorch's gradient in a is 0, acarray's 1 (see test_nextafter_at_a_tie)
        keep = a != b
        cases = [Case("pairs, a != b", lambda s, f: f(s.t(a[keep]), s.t(b[keep])), second, tol)]
        for v in SCALARS:
            x = grid[grid != v]  # -0.0 == 0.0 is a tie too
            cases.append(Case(f"x, {v}", lambda s, f, v=v, x=x: f(s.t(x), v), second, tol))
            cases.append(Case(f"{v}, x", lambda s, f, v=v, x=x: f(v, s.t(x)), second, tol))
        return cases
    for v in SCALARS:
        if not np.signbit(grid).any() and not (v >= 0 and math.copysign(1, v) > 0):
            continue
        x = _without(grid, EXCLUDE_BESIDE.get((name, v)))
        cases.append(Case(f"x, {v}", lambda s, f, v=v, x=x: f(s.t(x), v), second, tol))
        cases.append(Case(f"{v}, x", lambda s, f, v=v, x=x: f(v, s.t(x)), second, tol))
    return cases


def _first_fixed(values, tol=1e-9, second=True, grid=EDGE):
    """Functions of a parameter (not differentiated) and x."""
    cases = []
    for v in values:
        cases.append(Case(f"{v}, x", lambda s, f, v=v: f(v, s.t(grid)), second, tol))  # noqa: B023
        cases.append(Case(f"array {v}, x", lambda s, f, v=v: f(s.t(np.full(grid.shape, v), grad=False), s.t(grid)),
                          second, tol))
    return cases


ROWS = np.array([
    [2.0, 0.0, 3.0, -1.0],  # one zero
    [0.0, 0.0, 3.0, 1.0],  # two zeros
    [-0.0, 0.0, 0.0, -0.0],  # all zero
    [1.0, 3.0, 3.0, -2.0],  # tied maxima
    [-inf, -inf, 1.0, 2.0],  # tied minima at -inf
    [inf, inf, 1.0, 2.0],
    [5e-324, 1e-300, 1e300, -1e300],
    [0.5, 0.5, 0.5, 0.5],  # constant
    [nan, 1.0, 0.0, 2.0],
])
FINITE_ROWS = ROWS[[0, 1, 2, 3, 6, 7]]


def _along(fn_cases):
    return lambda: fn_cases


def _reduction_cases(rows=ROWS, second=True, **kw):
    return [
        Case("rows", lambda s, f: f(s.t(rows), axis=1, **kw), second),
        Case("columns keepdims", lambda s, f: f(s.t(rows), axis=0, keepdims=True, **kw), second),
        Case("all", lambda s, f: f(s.t(rows[:4]), **kw), second),
        Case("one element", lambda s, f: f(s.t(rows[:, :1]), axis=1, **kw), second),
        Case("0-d", lambda s, f: f(s.t(0.0), **kw), second),
        Case("empty axes", lambda s, f: f(s.t(rows[:3]), axis=(), **kw), second),
    ]


PRODUCT_ROWS = ROWS[[0, 1, 2, 3, 4, 5, 7, 8]]  # without the row whose partial products overflow


def _cumulative_cases():
    cases = []
    for initial in (False, True):
        cases += [
            Case(f"rows {initial}", lambda s, f, i=initial: f(s.t(PRODUCT_ROWS), axis=1, include_initial=i)),
            Case(f"columns {initial}", lambda s, f, i=initial: f(s.t(PRODUCT_ROWS), axis=0, include_initial=i)),
            Case(f"1-d {initial}", lambda s, f, i=initial: f(s.t([0.0, 2.0, 0.0, 3.0]), include_initial=i)),
        ]
    return cases


def _clip_cases():
    x = EDGE
    return [
        Case("scalar bounds", lambda s, f: f(s.t(x), min=-1.0, max=2.0)),
        Case("min only", lambda s, f: f(s.t(x), min=0.0)),
        Case("max only", lambda s, f: f(s.t(x), max=-0.0)),
        Case("tensor bounds at ties", lambda s, f: f(s.t(x), min=s.t(np.full(x.shape, -1.0)), max=s.t(np.full(x.shape, 1.0)))),
        Case("tensor bound equal", lambda s, f: f(s.t(PAIR), min=s.t(PAIR[::-1]), max=s.t(PAIR[::-1] + 1))),
    ]


def _where_cases():
    c = (np.arange(PAIR.size) % 2).astype(bool)
    return [
        Case("tensors", lambda s, f: f(s.c(c), s.t(PAIR), s.t(PAIR[::-1]))),
        Case("scalar", lambda s, f: f(s.c(c), s.t(PAIR), 0.0)),
        Case("broadcast", lambda s, f: f(s.c(c[:, None]), s.t(PAIR[None, :3]), s.t(PAIR[:, None]))),
    ]


def _astype_cases():
    return [Case("float32", lambda s, f: f(s.t(EDGE), s.dtype("float32")), tol=1e-6),
            Case("float64", lambda s, f: f(s.t(EDGE), s.dtype("float64")))]


def _imag_cases():
    z = EDGE[:, None] + 1j * EDGE[None, ::3]
    return [Case("complex grid", lambda s, f: f(s.t(z, dtype="complex128")))]


def _norm_cases():
    rows = FINITE_ROWS
    cases = []
    for order in (2, 1, inf, -inf, 3):
        cases.append(Case(f"rows ord {order}", lambda s, f, o=order: f(s.t(rows), axis=1, ord=o)))
        cases.append(Case(f"zero vector ord {order}", lambda s, f, o=order: f(s.t([0.0, -0.0, 0.0]), ord=o)))
    return cases


BRANCH = {  # extra grid values at each function's branch points and near them
    "acos": [1 - 1e-16, -1 + 1e-16], "asin": [1 - 1e-16], "atanh": [1 - 1e-16], "acosh": [1 + 1e-15],
    "log1p": [-1 + 1e-16], "round": [1.5, 2.5, -2.5], "special.logit": [1 - 1e-16],
    "special.erfinv": [1 - 1e-16], "special.ndtri": [1 - 1e-16], "special.gammaln": [-1e-300, 1e-300],
}

CASES = {
    **{n: (lambda n=n: _unary(n)) for n in TORCH if n in ELEMENTWISE and n in elementwise.KINDS
       and n not in elementwise.BINARY_RULES},
    **{n: (lambda n=n: _unary(n)) for n in TORCH if n.startswith("special.") and n[8:] in special.UNARY_RULES},
    **{n: (lambda n=n: _binary_cases(n)) for n in elementwise.BINARY_RULES},
    # PyTorch's second derivative of copysign differentiates result / x: not 0 for tiny x.
    "copysign": lambda: _binary_cases("copysign", second=False),
    "imag": _imag_cases,
    "clip": _clip_cases,
    "where": _where_cases,
    "astype": _astype_cases,
    "special.xlogy": lambda: _binary_cases("special.xlogy"),
    "special.xlog1py": lambda: _binary_cases("special.xlog1py"),
    # its domain; without 1e-300, where SciPy's x / y overflows beside 1e300
    "special.kl_div": lambda: _binary_cases("special.kl_div", grid=NONNEGATIVE[NONNEGATIVE != 1e-300]),
    "special.gammainc": lambda: _first_fixed([0.5, 1.0, 2.0, 3.5]),
    "special.gammaincc": lambda: _first_fixed([0.5, 1.0, 2.0, 3.5]),
    "special.polygamma": lambda: [Case(f"order {n}", lambda s, f, n=n: f(n, s.t(_without(EDGE, EXCLUDE["special.polygamma"]))))
                                  for n in (0, 1, 2)],
    "special.betainc": lambda: [
        Case(f"a {a} b {b}", lambda s, f, a=a, b=b: f(s.t(np.full(9, a), grad=False), s.t(np.full(9, b), grad=False),
                                                      s.t([0.0, -0.0, 1e-300, 0.25, 0.5, 1 - 1e-16, 1.0, nan, 2.0])))
        for a, b in ((1.0, 1.0), (0.5, 2.0), (2.0, 0.5), (3.0, 3.0))],
    **{n: (lambda: _reduction_cases()) for n in ("sum", "mean", "max", "min")},
    "prod": lambda: _reduction_cases(rows=PRODUCT_ROWS),
    "var": lambda: _reduction_cases() + _reduction_cases(correction=1.0),
    "std": lambda: _reduction_cases() + _reduction_cases(correction=1.0),
    "cumulative_sum": _cumulative_cases,
    "cumulative_prod": _cumulative_cases,
    "linalg.vector_norm": _norm_cases,
}


def _np(t):
    t = t.detach()
    if t._is_zerotensor():
        t = torch.zeros(t.shape, dtype=t.dtype)
    return t.numpy()


def _agree(what, ours, theirs, tol, skip=None, atol=None):
    """Close where PyTorch's ``theirs`` is finite, equal where it is infinite; entries in ``skip``
    are not compared."""
    if theirs is None or ours is None:
        other = ours if theirs is None else theirs
        if other is not None:
            a = to_numpy(other) if theirs is None else _np(other)
            assert np.all(a[np.isfinite(a)] == 0), f"{what}: one side has no gradient, the other {a}"
        return
    a = to_numpy(ours)
    b = _np(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape}, PyTorch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype}, PyTorch's {b.dtype}"
    if skip is not None:
        a, b = a[~skip], b[~skip]
    finite = np.isfinite(b)
    np.testing.assert_allclose(a[finite], b[finite], rtol=tol, atol=tol * 1e-3 if atol is None else atol, err_msg=what)
    infinite = np.isinf(b)
    np.testing.assert_array_equal(a[infinite], b[infinite], err_msg=f"{what} (infinities)")


def _nan_inputs(name, out, inputs, bad=None):
    """For an element-wise function, each input's entries that reach a NaN of PyTorch's output
    (no derivative there: PyTorch's gradients at NaN are artefacts of its formulas, sign(nan)
    being 0), or an element where ``bad`` (of the output's shape) is true; None for the others."""
    if name not in ELEMENTWISE and not name.startswith("special."):
        return [None] * len(inputs)
    nan_out = np.isnan(_np(out))
    if bad is not None:
        nan_out = nan_out | bad
    skips = []
    for x in inputs:
        shape = tuple(x.shape)
        lead = nan_out.ndim - len(shape)
        m = np.any(nan_out, axis=tuple(range(lead))) if lead else nan_out
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and m.shape[i] != 1)
        skips.append(np.any(m, axis=axes, keepdims=True).reshape(shape) if axes else m.reshape(shape))
    return skips


def _run(xp, name, case):
    ours_side, torch_side = Side(xp), Side()
    out = case.build(ours_side, _fn(xp, name))
    tout = case.build(torch_side, TORCH[name])
    what = f"{name} [{case.label}]"
    _agree(f"{what}: value", out, tout, case.tol)
    if not ours_side.inputs or not tout.requires_grad:
        assert not out.requires_grad or not ours_side.inputs, f"{what}: gradient on one side only"
        return
    cot = cotangent(tuple(tout.shape), 0, _np(tout).dtype)
    grads = acarray.autograd.grad(out, ours_side.inputs, xp.asarray(xp.asarray(cot)), create_graph=case.second,
                                  allow_unused=True)
    tgrads = torch.autograd.grad(tout, torch_side.inputs, torch.tensor(cot), create_graph=case.second,
                                 allow_unused=True)
    skips = _nan_inputs(name, tout, torch_side.inputs)
    for i, (g, tg) in enumerate(zip(grads, tgrads)):
        _agree(f"{what}: gradient of input {i}", g, tg, case.tol, skips[i])
    if not case.second:
        return
    # Second derivatives are compared where the first are finite in PyTorch: beside an infinite or
    # NaN gradient its second derivative is an artefact of the order of its operations.
    shape = tuple(tout.shape)
    bad = np.zeros(shape, dtype=bool)
    for tg in tgrads if skips[0] is not None else ():  # element-wise functions
        if tg is not None:
            bad = bad | np.broadcast_to(~np.isfinite(_np(tg)), shape)
    skips = _nan_inputs(name, tout, torch_side.inputs, bad)
    if skips[0] is None:  # a reduction: where its own first derivative is finite
        skips = [None if tg is None else ~np.isfinite(_np(tg)) for tg in tgrads]
    vs = [cotangent(tuple(t.shape), 1 + i) for i, t in enumerate(torch_side.inputs)]
    pairs = [(i, g, tg) for i, (g, tg) in enumerate(zip(grads, tgrads))
             if g is not None and tg is not None and tg.requires_grad]
    if not pairs:
        return
    tsum = sum((tg * torch.tensor(vs[i])).sum() for i, _, tg in pairs)
    s = None
    for i, g, _ in pairs:
        if not g.requires_grad:
            continue  # its second derivative is zero: compared below through allow_unused
        term = acarray.sum(g * xp.asarray(xp.asarray(vs[i])))
        s = term if s is None else s + term
    thess = torch.autograd.grad(tsum, torch_side.inputs, allow_unused=True)
    if s is None:
        hess = [None] * len(thess)
    else:
        hess = acarray.autograd.grad(s, ours_side.inputs, allow_unused=True)
    for i, (h, th) in enumerate(zip(hess, thess)):
        _agree(f"{what}: second derivative in input {i}", h, th, max(case.tol, 1e-7), skips[i], atol=1e-7)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_vector_norm_below_order_one_at_zero():
    xp = acarray.namespace("numpy")
    # second order beside 5e-324 and 1e300 overflows in both libraries (to NaN here, to a finite
    # artefact of the order of operations in PyTorch): first order only for that row
    moderate = FINITE_ROWS[[0, 1, 2, 3, 5]]
    for case in [Case("rows ord 0.5", lambda s, f: f(s.t(FINITE_ROWS), axis=1, ord=0.5), second=False),
                 Case("moderate rows ord 0.5", lambda s, f: f(s.t(moderate), axis=1, ord=0.5)),
                 Case("zero vector ord 0.5", lambda s, f: f(s.t([0.0, -0.0, 0.0]), ord=0.5))]:
        _run(xp, "linalg.vector_norm", case)


def test_every_function_has_a_reference_and_cases():
    missing = [n for n in FUNCTIONS if n not in TORCH or n not in CASES]
    assert not missing, f"differentiable functions without edge cases here: {missing}"
    stale = sorted(set(TORCH) ^ set(CASES) | (set(TORCH) - set(FUNCTIONS)))
    assert not stale, f"entries for functions that acarray does not have: {stale}"


@pytest.mark.parametrize("name", sorted(NONDIFFERENTIABLE))
def test_nondifferentiable_functions_give_constants(name):
    xp = acarray.namespace("numpy")
    fn = getattr(xp, name)
    if name.startswith("logical"):
        args = [xp.asarray(np.array([True, False]))] * (1 if name == "logical_not" else 2)
    elif name.startswith("bitwise"):
        args = [xp.asarray(np.array([1, 2]))] * (1 if name == "bitwise_invert" else 2)
    else:
        x = xp.asarray(np.array([0.0, 1.0])).requires_grad_()
        args = [x] * (1 if name in ("isfinite", "isinf", "isnan", "signbit", "count_nonzero", "all", "any", "argmax", "argmin") else 2)
    y = fn(*args)
    assert not y.requires_grad
    assert y.dtype in (xp.bool, xp.int64)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_edge_values_match_torch(name, xp):
    if name not in CASES:
        pytest.fail(f"{name} has no edge cases in tests/test_edge_values.py")
    for case in CASES[name]():
        _run(xp, name, case)


def test_nextafter_at_a_tie_has_the_derivative_of_its_neighbourhood(xp):
    # nextafter(a, b) is a within one ulp for every b: finite differences in a give 1, also at a == b
    a = xp.asarray(xp.asarray(np.array([0.0, 1.0, -2.5]))).requires_grad_()
    b = xp.asarray(xp.asarray(np.array([0.0, 1.0, -2.5]))).requires_grad_()
    acarray.sum(xp.nextafter(a, b)).backward()
    h = 1e-6
    base = np.array([0.0, 1.0, -2.5])
    fd = (np.nextafter(base + h, base) - np.nextafter(base - h, base)) / (2 * h)
    np.testing.assert_allclose(to_numpy(a.grad), fd, rtol=1e-6)
    np.testing.assert_array_equal(to_numpy(b.grad), [0.0, 0.0, 0.0])
