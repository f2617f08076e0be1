"""Differential fuzz: random compositions of ops in acarray against torch.autograd (float64).

A seeded generator builds small programs (1-3 inputs that require grad, a few
ops from the table below, constants, index arrays and masks drawn from the same
seed).  Each program runs in acarray, on one backend, and in PyTorch; the values
of every step, the gradients of ``sum(out * cotangent)`` and a Hessian-vector
product (the gradient of ``<grad, v>``, taken with ``create_graph=True``) must
agree to ``rtol=1e-9``.  The generator keeps every op away from the points where
it is not smooth (ties of max/min/maximum, kinks of abs and clip, domain edges of
log, sqrt, asin...), so the reference derivatives are the true ones.

``ACARRAY_FUZZ_PROGRAMS`` sets the number of programs on the NumPy backend (the
other backends get a sixth of it); a failure prints the program and its seed,
and ``check_program(seed, backend)`` replays it.
"""

from __future__ import annotations

import math
import os
import traceback

import numpy as np
import pytest

import acarray
from acarray.testing import to_numpy

torch = pytest.importorskip("torch")

PROGRAMS = int(os.environ.get("ACARRAY_FUZZ_PROGRAMS", "500"))
SEED = int(os.environ.get("ACARRAY_FUZZ_SEED", "20251200"))
RTOL = 1e-9
MAX_SIZE = 48  # elements in any intermediate value
MAX_NDIM = 4
MAX_ABS = 1e3  # magnitude of any intermediate value
MARGIN = 1e-3  # distance kept from kinks, ties and domain edges

INPUT_SHAPES = [(3, 4), (1, 4), (4,), (3, 1), (), (2, 3, 4), (2, 1, 4), (3, 3), (2, 3, 3), (5,), (4, 3), (2, 2), (3,)]


# -- the op table: name -> (acarray implementation, PyTorch implementation) -----------------
#
# acarray implementations get the namespace first; NumPy arrays among the parameters (masks,
# index arrays, keys holding them) arrive as arrays of that namespace.  PyTorch implementations
# get the raw NumPy parameters.


def _th_dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return axis if isinstance(axis, tuple) else (axis,)


def _th_positions(shape, select):
    """Flat positions that ``select`` (a NumPy indexing function) picks from an array of ``shape``."""
    return torch.from_numpy(np.array(select(np.arange(math.prod(shape)).reshape(shape)), copy=True))


def _th_gather(x, select):
    """``select`` applied to tensor ``x`` as a gather of flat positions computed with NumPy."""
    return torch.reshape(x, (-1,))[_th_positions(tuple(x.shape), select)]


def _th_reduce_last(x, axis, keepdims, fn):
    """``fn(y, dim=-1)`` over ``axis`` of ``x``, moved to the end and flattened."""
    dims = sorted(d % x.ndim for d in _th_dims(x, axis)) if x.ndim else []
    rest = [d for d in range(x.ndim) if d not in dims]
    y = torch.permute(x, rest + dims) if x.ndim else x
    y = torch.reshape(y, tuple(x.shape[d] for d in rest) + (-1,))
    out = fn(y, dim=-1)
    if keepdims:
        out = torch.reshape(out, tuple(1 if d in dims else n for d, n in enumerate(x.shape)))
    return out


def _th_include_initial(y, x, axis, include_initial, fill):
    if not include_initial:
        return y
    shape = list(x.shape)
    shape[axis] = 1
    return torch.cat([torch.full(shape, fill, dtype=x.dtype), y], dim=axis)


def _th_expand_dims(x, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    nd = x.ndim + len(axes)
    for a in sorted(a % nd for a in axes):
        x = torch.unsqueeze(x, a)
    return x


def _th_tensordot(a, b, axes):
    return torch.tensordot(a, b, dims=axes if isinstance(axes, int) else (list(axes[0]), list(axes[1])))


def _th_setitem(a, b, key):
    """``a`` with ``a[key] = b``, through flat positions (no element is selected twice)."""
    pos = _th_positions(tuple(a.shape), lambda n: n[key])
    flat = torch.reshape(a, (-1,)).clone()
    flat[torch.reshape(pos, (-1,))] = torch.reshape(torch.broadcast_to(b, tuple(pos.shape)), (-1,))
    return torch.reshape(flat, tuple(a.shape))


def _ac_setitem(xp, a, b, key):
    y = a * 1.0
    y[key] = b
    return y


def _ac_inplace(a, b, method):
    y = a + 0.0
    out = getattr(y, method)(b)
    assert out is y
    return y


def _complex_detour(ns, x, c, f, part, dtype):
    """A real result from complex arithmetic: ``part(f(x * c))`` with ``x`` cast to complex."""
    z = (ns.astype(x, dtype) if ns is not torch else x.to(dtype)) * c
    z = {"exp": lambda: ns.exp(z), "sin": lambda: ns.sin(z), "square": lambda: z * z,
         "reciprocal": lambda: 1.0 / z, "log": lambda: ns.log(z), "sqrt": lambda: ns.sqrt(z),
         "conj_mul": lambda: ns.conj(z) * z * z, "tanh": lambda: ns.tanh(z)}[f]()
    return {"real": ns.real, "imag": ns.imag, "abs": ns.abs}[part](z)


def _unary(name, th=None):
    return (lambda xp, x: getattr(xp, name)(x), th or getattr(torch, name))


OPS = {
    # element-wise, one argument
    **{n: _unary(n) for n in [
        "sin", "cos", "tan", "tanh", "sinh", "cosh", "exp", "expm1", "log", "log1p", "log2", "log10",
        "sqrt", "square", "abs", "sign", "floor", "ceil", "round", "trunc", "reciprocal", "atan", "asinh",
        "asin", "acos", "acosh", "atanh",
    ]},
    "negative": _unary("negative", torch.neg),
    "positive": (lambda xp, x: +x, lambda x: +x),
    # with a Python scalar
    "add_s": (lambda xp, x, c: x + c, lambda x, c: x + c),
    "rsub_s": (lambda xp, x, c: c - x, lambda x, c: c - x),
    "mul_s": (lambda xp, x, c: c * x, lambda x, c: c * x),
    "div_s": (lambda xp, x, c: x / c, lambda x, c: x / c),
    "rdiv_s": (lambda xp, x, c: c / x, lambda x, c: c / x),
    "pow_s": (lambda xp, x, c: x**c, lambda x, c: x**c),
    "rpow_s": (lambda xp, x, c: c**x, lambda x, c: c**x),
    "pow_fs": (lambda xp, x, c: xp.pow(x, c), lambda x, c: torch.pow(x, c)),
    # element-wise, two arguments (broadcasting)
    "+": (lambda xp, a, b: a + b, lambda a, b: a + b),
    "-": (lambda xp, a, b: a - b, lambda a, b: a - b),
    "*": (lambda xp, a, b: a * b, lambda a, b: a * b),
    "/": (lambda xp, a, b: a / b, lambda a, b: a / b),
    "**": (lambda xp, a, b: a**b, lambda a, b: a**b),
    **{n: (lambda xp, a, b, n=n: getattr(xp, n)(a, b), getattr(torch, t)) for n, t in [
        ("add", "add"), ("subtract", "sub"), ("multiply", "mul"), ("divide", "div"), ("pow", "pow"),
        ("maximum", "maximum"), ("minimum", "minimum"), ("atan2", "atan2"), ("hypot", "hypot"),
        ("logaddexp", "logaddexp"), ("copysign", "copysign"),
    ]},
    "where": (lambda xp, a, b, mask: xp.where(mask, a, b),
              lambda a, b, mask: torch.where(torch.from_numpy(mask), a, b)),
    "where_pos": (lambda xp, a, b: xp.where(a > 0.0, a, b), lambda a, b: torch.where(a > 0.0, a, b)),
    "clip": (lambda xp, x, lo, hi: xp.clip(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi)),
    "clip_t": (lambda xp, x, lo: xp.clip(x, lo), lambda x, lo: torch.clamp(x, min=lo)),
    # reductions
    "sum": (lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: torch.sum(x, dim=_th_dims(x, axis), keepdim=keepdims)),
    "mean": (lambda xp, x, axis, keepdims: xp.mean(x, axis=axis, keepdims=keepdims),
             lambda x, axis, keepdims: torch.mean(x, dim=_th_dims(x, axis), keepdim=keepdims)),
    "prod": (lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims),
             lambda x, axis, keepdims: _th_reduce_last(x, axis, keepdims, torch.prod)),
    "max": (lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: torch.amax(x, dim=_th_dims(x, axis), keepdim=keepdims)),
    "min": (lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims),
            lambda x, axis, keepdims: torch.amin(x, dim=_th_dims(x, axis), keepdim=keepdims)),
    "std": (lambda xp, x, axis, keepdims, correction: xp.std(x, axis=axis, keepdims=keepdims, correction=correction),
            lambda x, axis, keepdims, correction: torch.std(x, dim=_th_dims(x, axis), keepdim=keepdims,
                                                            correction=correction)),
    "var": (lambda xp, x, axis, keepdims, correction: xp.var(x, axis=axis, keepdims=keepdims, correction=correction),
            lambda x, axis, keepdims, correction: torch.var(x, dim=_th_dims(x, axis), keepdim=keepdims,
                                                            correction=correction)),
    "vector_norm": (lambda xp, x, axis, keepdims, ord: xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord),
                    lambda x, axis, keepdims, ord: torch.linalg.vector_norm(x, ord=ord, dim=_th_dims(x, axis),
                                                                            keepdim=keepdims)),
    "matrix_norm": (lambda xp, x, ord, keepdims: xp.linalg.matrix_norm(x, ord=ord, keepdims=keepdims),
                    lambda x, ord, keepdims: torch.linalg.matrix_norm(x, ord=ord, keepdim=keepdims)),
    "cumulative_sum": (
        lambda xp, x, axis, include_initial: xp.cumulative_sum(x, axis=axis, include_initial=include_initial),
        lambda x, axis, include_initial: _th_include_initial(torch.cumsum(x, dim=axis), x, axis, include_initial, 0.0)),
    "cumulative_prod": (
        lambda xp, x, axis, include_initial: xp.cumulative_prod(x, axis=axis, include_initial=include_initial),
        lambda x, axis, include_initial: _th_include_initial(torch.cumprod(x, dim=axis), x, axis, include_initial, 1.0)),
    # manipulation
    "reshape": (lambda xp, x, shape: xp.reshape(x, shape), lambda x, shape: torch.reshape(x, shape)),
    "permute_dims": (lambda xp, x, axes: xp.permute_dims(x, axes), lambda x, axes: torch.permute(x, axes)),
    "expand_dims": (lambda xp, x, axis: xp.expand_dims(x, axis=axis), _th_expand_dims),
    "squeeze": (lambda xp, x, axis: xp.squeeze(x, axis=axis), lambda x, axis: torch.squeeze(x, dim=axis)),
    "flip": (lambda xp, x, axis: xp.flip(x, axis=axis), lambda x, axis: torch.flip(x, dims=_th_dims(x, axis))),
    "roll": (lambda xp, x, shift, axis: xp.roll(x, shift, axis=axis),
             lambda x, shift, axis: torch.roll(x, shift, dims=() if axis is None else axis)),
    "moveaxis": (lambda xp, x, source, destination: xp.moveaxis(x, source, destination),
                 lambda x, source, destination: torch.movedim(x, source, destination)),
    "matrix_transpose": (lambda xp, x: xp.matrix_transpose(x), lambda x: torch.transpose(x, -2, -1)),
    "mT": (lambda xp, x: x.mT, lambda x: x.mT),
    "broadcast_to": (lambda xp, x, shape: xp.broadcast_to(x, shape), lambda x, shape: torch.broadcast_to(x, shape)),
    "tile": (lambda xp, x, reps: xp.tile(x, reps), lambda x, reps: torch.tile(x, reps)),
    "repeat": (lambda xp, x, repeats, axis: xp.repeat(x, repeats, axis=axis),
               lambda x, repeats, axis: torch.repeat_interleave(x, repeats, dim=axis)),
    "concat": (lambda xp, a, b, axis: xp.concat([a, b], axis=axis),
               lambda a, b, axis: torch.cat([torch.reshape(a, (-1,)), torch.reshape(b, (-1,))]) if axis is None
               else torch.cat([a, b], dim=axis)),
    "stack": (lambda xp, a, b, axis: xp.stack([a, b], axis=axis), lambda a, b, axis: torch.stack([a, b], dim=axis)),
    "unstack": (lambda xp, x, axis, i: xp.unstack(x, axis=axis)[i], lambda x, axis, i: torch.unbind(x, dim=axis)[i]),
    "tril": (lambda xp, x, k: xp.tril(x, k=k), lambda x, k: torch.tril(x, k)),
    "triu": (lambda xp, x, k: xp.triu(x, k=k), lambda x, k: torch.triu(x, k)),
    "diff": (lambda xp, x, axis, n: xp.diff(x, axis=axis, n=n), lambda x, axis, n: torch.diff(x, n=n, dim=axis)),
    "diff_pa": (lambda xp, x, p, a, axis, n: xp.diff(x, axis=axis, n=n, prepend=p, append=a),
                lambda x, p, a, axis, n: torch.diff(x, n=n, dim=axis, prepend=p, append=a)),
    "repeat_array": (lambda xp, x, repeats, axis: xp.repeat(x, repeats, axis=axis),
                     lambda x, repeats, axis: torch.repeat_interleave(
                         torch.reshape(x, (-1,)) if axis is None else x, torch.from_numpy(repeats),
                         dim=0 if axis is None else axis)),
    "T": (lambda xp, x: x.T, lambda x: x.T),
    "broadcast_arrays": (lambda xp, a, b, i: xp.broadcast_arrays(a, b)[i], lambda a, b, i: torch.broadcast_tensors(a, b)[i]),
    "meshgrid": (lambda xp, a, b, indexing, i: xp.meshgrid(a, b, indexing=indexing)[i],
                 lambda a, b, indexing, i: torch.meshgrid(a, b, indexing=indexing)[i]),
    "asarray": (lambda xp, x, copy: xp.asarray(x, copy=copy), lambda x, copy: x.clone() if copy else x),
    "astype": (lambda xp, x, copy: xp.astype(x, xp.float64, copy=copy), lambda x, copy: x.clone() if copy else x),
    "complex": (lambda xp, x, c, f, part: _complex_detour(xp, x, c, f, part, xp.complex128),
                lambda x, c, f, part: _complex_detour(torch, x, c, f, part, torch.complex128)),
    # indexing
    "getitem": (lambda xp, x, key: x[key], lambda x, key: _th_gather(x, lambda n: n[key])),
    "setitem": (_ac_setitem, _th_setitem),
    "take": (lambda xp, x, idx, axis: xp.take(x, idx, axis=axis),
             lambda x, idx, axis: _th_gather(x, lambda n: np.take(n, idx, axis=axis))),
    "take_along_axis": (lambda xp, x, idx, axis: xp.take_along_axis(x, idx, axis=axis),
                        lambda x, idx, axis: _th_gather(x, lambda n: np.take_along_axis(n, idx, axis=axis))),
    # linear algebra
    "matmul": (lambda xp, a, b: xp.matmul(a, b), torch.matmul),
    "@": (lambda xp, a, b: a @ b, lambda a, b: a @ b),
    "tensordot": (lambda xp, a, b, axes: xp.tensordot(a, b, axes=axes), _th_tensordot),
    "vecdot": (lambda xp, a, b, axis: xp.vecdot(a, b, axis=axis), lambda a, b, axis: torch.sum(a * b, dim=axis)),
    "outer": (lambda xp, a, b: xp.linalg.outer(a, b), torch.outer),
    "diagonal": (lambda xp, x, offset: xp.linalg.diagonal(x, offset=offset),
                 lambda x, offset: torch.diagonal(x, offset, dim1=-2, dim2=-1)),
    "trace": (lambda xp, x, offset: xp.linalg.trace(x, offset=offset),
              lambda x, offset: torch.sum(torch.diagonal(x, offset, dim1=-2, dim2=-1), dim=-1)),
    "det": (lambda xp, x: xp.linalg.det(x), torch.linalg.det),
    "inv": (lambda xp, x: xp.linalg.inv(x), torch.linalg.inv),
    "slogdet": (lambda xp, x: xp.linalg.slogdet(x).logabsdet, lambda x: torch.linalg.slogdet(x).logabsdet),
    "solve": (lambda xp, a, b: xp.linalg.solve(a, b), torch.linalg.solve),
    "pinv": (lambda xp, x: xp.linalg.pinv(x), torch.linalg.pinv),
    "matrix_power": (lambda xp, x, n: xp.linalg.matrix_power(x, n), torch.linalg.matrix_power),
    "cross": (lambda xp, a, b: xp.linalg.cross(a, b), lambda a, b: torch.linalg.cross(a, b, dim=-1)),
    "cholesky": (lambda xp, x: xp.linalg.cholesky(x), torch.linalg.cholesky),
    "eigvalsh": (lambda xp, x: xp.linalg.eigvalsh(x), torch.linalg.eigvalsh),
    "eigh_vectors_squared": (lambda xp, x: xp.linalg.eigh(x).eigenvectors ** 2,
                             lambda x: torch.linalg.eigh(x).eigenvectors ** 2),
    "svdvals": (lambda xp, x: xp.linalg.svdvals(x), torch.linalg.svdvals),
    "qr_r": (lambda xp, x: xp.linalg.qr(x).R, lambda x: torch.linalg.qr(x).R),
    "qr_q": (lambda xp, x: xp.linalg.qr(x).Q, lambda x: torch.linalg.qr(x).Q),
    # in place, on a copy
    "+=": (lambda xp, a, b: _ac_inplace(a, b, "__iadd__"), lambda a, b: a.clone().__iadd__(b)),
    "-=": (lambda xp, a, b: _ac_inplace(a, b, "__isub__"), lambda a, b: a.clone().__isub__(b)),
    "*=": (lambda xp, a, b: _ac_inplace(a, b, "__imul__"), lambda a, b: a.clone().__imul__(b)),
    "/=": (lambda xp, a, b: _ac_inplace(a, b, "__itruediv__"), lambda a, b: a.clone().__itruediv__(b)),
}


# -- programs ------------------------------------------------------------------------------


class Step:
    def __init__(self, out, op, args, params):
        self.out, self.op, self.args, self.params = out, op, tuple(args), dict(params)

    def __str__(self):
        if self.op in ("input", "const"):
            return f"v{self.out} = {self.op}(shape={tuple(self.params['data'].shape)})"
        args = [f"v{a}" for a in self.args]
        if self.op == "getitem":
            return f"v{self.out} = {args[0]}[{_fmt_key(self.params['key'])}]"
        if self.op == "setitem":
            return f"v{self.out} = copy of {args[0]} with [{_fmt_key(self.params['key'])}] = {args[1]}"
        if self.op in ("+=", "-=", "*=", "/="):
            return f"v{self.out} = copy of {args[0]}; v{self.out} {self.op} {args[1]}"
        if self.op in ("+", "-", "*", "/", "**", "@"):
            return f"v{self.out} = {args[0]} {self.op} {args[1]}"
        params = [f"{k}={_fmt(v)}" for k, v in self.params.items()]
        return f"v{self.out} = {self.op}({', '.join(args + params)})"


def _fmt(v):
    if isinstance(v, np.ndarray):
        return "array(" + np.array2string(v, separator=",").replace("\n", "") + ")"
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)


def _fmt_key(key):
    def one(k):
        if k is Ellipsis:
            return "..."
        if isinstance(k, slice):
            s = "" if k.start is None else str(k.start)
            s += ":" + ("" if k.stop is None else str(k.stop))
            return s + ("" if k.step is None else f":{k.step}")
        return _fmt(k)

    if isinstance(key, tuple):
        return ", ".join(one(k) for k in key) + ("," if len(key) == 1 else "")
    return one(key)


class Program:
    def __init__(self, seed, backend):
        self.seed, self.backend = seed, backend
        self.steps = []
        self.inputs = []  # value ids of the inputs
        self.outputs = []  # value ids summed into the loss, with their cotangents
        self.cotangents = []
        self.directions = []  # one per input, for the Hessian-vector product

    def __str__(self):
        lines = [f"program seed={self.seed} backend={self.backend!r} "
                 f"(replay: check_program({self.seed}, {self.backend!r}) in tests/test_fuzz.py)"]
        lines += ["  " + str(s) for s in self.steps]
        lines.append("  loss = " + " + ".join(f"sum(v{o} * cotangent{o})" for o in self.outputs))
        return "\n".join(lines)


class _Reject(Exception):
    """The op drawn does not fit the values at hand (the generator draws another)."""


class Generator:
    """Builds a random program, evaluating it with PyTorch as it goes to keep every value in range."""

    def __init__(self, seed, backend):
        self.rng = np.random.default_rng(seed)
        self.prog = Program(seed, backend)
        self.standard_only = backend == "array_api_strict"  # keys that the standard defines
        self.values = []  # PyTorch values (no grad), by value id
        self.used = set()
        self.empty_ok = False  # whether the current draw may take or make arrays without elements

    # values

    def _add(self, op, args, params, value):
        vid = len(self.values)
        self.values.append(value)
        self.prog.steps.append(Step(vid, op, args, params))
        self.used.update(args)
        return vid

    def data(self, shape, low=-1.5, high=1.5):
        return self.rng.uniform(low, high, size=shape)

    def new_input(self, shape):
        d = self.data(shape)
        vid = self._add("input", (), {"data": d}, torch.from_numpy(d))
        self.prog.inputs.append(vid)
        return vid

    def const(self, shape):
        d = self.data(shape)
        return self._add("const", (), {"data": d}, torch.from_numpy(d))

    def emit(self, op, args, **params):
        try:
            with torch.no_grad():
                out = OPS[op][1](*(self.values[a] for a in args), **params)
        except (RuntimeError, IndexError, ValueError) as e:  # an op that the reference refuses
            raise _Reject from e
        if out.dtype != torch.float64 or out.ndim > MAX_NDIM or out.numel() > MAX_SIZE:
            raise _Reject
        if out.numel() == 0 and not self.empty_ok:
            raise _Reject
        if out.numel() and (not bool(torch.all(torch.isfinite(out))) or float(torch.max(torch.abs(out))) > MAX_ABS):
            raise _Reject
        return self._add(op, args, params, out)

    def shape(self, v):
        return tuple(self.values[v].shape)

    def val(self, v):
        return self.values[v]

    def pick(self, ok=lambda v: True):
        """A value id (recent ones more often) for which ``ok`` holds."""
        cands = [v for v in range(len(self.values)) if ok(v) and (self.empty_ok or self.values[v].numel())]
        if not cands:
            raise _Reject
        if self.rng.random() < 0.6 and cands[-1] == len(self.values) - 1:
            return cands[-1]
        return cands[self.rng.integers(len(cands))]

    def operand(self, shape_ok, make_shape):
        """An existing value whose shape passes ``shape_ok``, a new input or a constant of ``make_shape()``."""
        r = self.rng.random()
        if r < 0.5:
            cands = [v for v in range(len(self.values))
                     if shape_ok(self.shape(v)) and (self.empty_ok or self.values[v].numel())]
            if cands:
                return cands[self.rng.integers(len(cands))]
        shape = make_shape()
        if r < 0.8 and len(self.prog.inputs) < 3:
            return self.new_input(shape)
        return self.const(shape)

    # guards: compositions that move a value into an op's domain

    def positive(self, v, low=0.1):
        if float(torch.min(self.val(v))) > low:
            return v
        return self.emit("add_s", [self.emit("square", [v])], c=float(self.rng.choice([0.5, 1.0, 1.5])))

    def inside_unit(self, v):
        if float(torch.max(torch.abs(self.val(v)))) < 0.9:
            return v
        return self.emit("mul_s", [self.emit("tanh", [v])], c=0.9)

    def bounded(self, v, bound):
        if float(torch.max(torch.abs(self.val(v)))) < bound:
            return v
        return self.emit("sin", [v])

    # draws

    def axis_arg(self, nd, allow_none=True):
        """None, an int or a tuple of distinct axes (negative ones too) of an nd-dimensional array."""
        r = self.rng.random()
        if nd == 0 or (allow_none and r < 0.25):
            return None
        if r < 0.6:
            a = int(self.rng.integers(nd))
            return a - nd if self.rng.random() < 0.3 else a
        k = int(self.rng.integers(1, nd + 1))
        axes = [int(a) for a in self.rng.choice(nd, size=k, replace=False)]
        return tuple(a - nd if self.rng.random() < 0.3 else a for a in axes)

    def broadcast_partner_shape(self, shape):
        nd = len(shape)
        r = self.rng.random()
        if r < 0.25 or nd == 0:
            out = list(shape)
        elif r < 0.5:
            out = [1 if self.rng.random() < 0.4 else n for n in shape]
        elif r < 0.7:
            out = list(shape[int(self.rng.integers(nd + 1)):])
        elif r < 0.85 and 1 in shape:
            out = [int(self.rng.integers(2, 4)) if n == 1 else n for n in shape]
        else:
            out = [int(self.rng.integers(2, 4))] + list(shape)
        if self.rng.random() < 0.1:
            out = []
        return tuple(out)


def _broadcasts(s1, s2):
    try:
        out = np.broadcast_shapes(s1, s2)
    except ValueError:
        return False
    return len(out) <= MAX_NDIM and math.prod(out) <= MAX_SIZE


def _slice_gap(t, axes):
    """The smallest gap between the two largest values in each slice reduced over ``axes`` (inf for singletons)."""
    nd = t.ndim
    dims = list(range(nd)) if axes is None else sorted(a % nd for a in (axes if isinstance(axes, tuple) else (axes,)))
    rest = [d for d in range(nd) if d not in dims]
    y = torch.reshape(torch.permute(t, rest + dims) if nd else t, (-1, math.prod(t.shape[d] for d in dims)))
    if y.shape[1] < 2:
        return math.inf
    top = torch.topk(y, 2, dim=1).values
    return float(torch.min(top[:, 0] - top[:, 1]))


def _away(t, points, margin=MARGIN):
    return t.numel() == 0 or all(float(torch.min(torch.abs(t - p))) > margin for p in points)


UNARY_SMOOTH = ["sin", "cos", "tanh", "atan", "asinh", "square", "negative", "positive"]
STEP_FUNCTIONS = ["sign", "floor", "ceil", "round", "trunc"]


def _gen_unary(g):
    v = g.pick()
    x = g.val(v)
    name = str(g.rng.choice(UNARY_SMOOTH + ["exp", "expm1", "sinh", "cosh", "tan", "log", "log1p", "log2",
                                            "log10", "sqrt", "reciprocal", "asin", "acos", "atanh", "acosh",
                                            "abs", "step"]))
    if name in ("exp", "expm1", "sinh", "cosh"):
        v = g.bounded(v, 4.0)
    elif name == "tan":
        v = g.bounded(v, 1.2)
    elif name in ("log", "log2", "log10", "sqrt"):
        v = g.positive(v)
    elif name == "log1p":
        v = g.positive(v, low=-0.9)
    elif name == "reciprocal":
        if float(torch.min(torch.abs(x))) < 0.2:
            v = g.positive(v)
    elif name in ("asin", "acos", "atanh"):
        v = g.inside_unit(v)
    elif name == "acosh":
        v = g.positive(v, low=1.1)
        if float(torch.min(g.val(v))) < 1.1:
            v = g.emit("add_s", [v], c=1.0)
    elif name == "abs":
        if not _away(x, [0.0]):
            raise _Reject
    elif name == "step":
        name = str(g.rng.choice(STEP_FUNCTIONS))
        if not _away(torch.remainder(x, 0.5), [0.0, 0.5]):
            raise _Reject
    return g.emit(name, [v])


def _gen_scalar(g):
    v = g.pick()
    name = str(g.rng.choice(["add_s", "rsub_s", "mul_s", "div_s", "rdiv_s", "pow_s", "rpow_s", "pow_fs"]))
    c = float(np.round(g.rng.uniform(-2, 2), 2)) or 0.5
    if g.rng.random() < 0.2:
        c = int(np.round(c)) or 1  # a Python int
    if name in ("div_s",) and abs(c) < 0.2:
        c = 0.5
    if name == "rdiv_s" and float(torch.min(torch.abs(g.val(v)))) < 0.2:
        v = g.positive(v)
    if name in ("pow_s", "pow_fs"):
        c = float(g.rng.choice([2, 3, 0.5, 1.5, -1.0, -0.5, 2.5]))
        if c in (2, 3) and g.rng.random() < 0.5:
            c = int(c)  # integer exponents work on any sign
        else:
            v = g.positive(v)
    if name == "rpow_s":
        c = float(g.rng.choice([0.5, 2.0, 3.0, math.e]))
        v = g.bounded(v, 3.0)
    return g.emit(name, [v], c=c)


BINARY = ["+", "-", "*", "/", "**", "add", "subtract", "multiply", "divide", "pow", "maximum", "minimum",
          "atan2", "hypot", "logaddexp", "copysign", "where", "where_pos"]


def _gen_binary(g):
    a = g.pick(lambda v: math.prod(g.shape(v)) <= MAX_SIZE)
    sa = g.shape(a)
    b = g.operand(lambda s: _broadcasts(sa, s), lambda: g.broadcast_partner_shape(sa))
    if not _broadcasts(sa, g.shape(b)):
        raise _Reject
    if g.rng.random() < 0.5:
        a, b = b, a
    name = str(g.rng.choice(BINARY))
    ta, tb = torch.broadcast_tensors(g.val(a), g.val(b))
    params = {}
    if name in ("/", "divide") and float(torch.min(torch.abs(tb))) < 0.2:
        b = g.positive(b)
    elif name in ("**", "pow"):
        a = g.positive(a)
        b = g.bounded(b, 2.5)
    elif name in ("maximum", "minimum"):
        if not _away(ta - tb, [0.0]):
            raise _Reject
    elif name in ("atan2", "hypot"):
        if float(torch.min(ta * ta + tb * tb)) < 0.01:
            raise _Reject
    elif name == "copysign":
        if not (_away(ta, [0.0]) and _away(tb, [0.0])):
            raise _Reject
    elif name == "where":
        shape = np.broadcast_shapes(g.shape(a), g.shape(b))
        if g.rng.random() < 0.3 and len(shape):
            shape = shape[int(g.rng.integers(len(shape))):]
        params["mask"] = np.asarray(g.rng.random(shape) < 0.5)
    elif name == "where_pos":
        if not _away(ta, [0.0]):
            raise _Reject
    return g.emit(name, [a, b], **params)


def _operand_into(g, shape):
    """An operand that broadcasts to ``shape`` without growing it (the right side of an in-place
    update or an assignment)."""
    def fits(t):
        return _broadcasts(shape, t) and np.broadcast_shapes(shape, t) == shape

    b = g.operand(fits, lambda: g.broadcast_partner_shape(shape)[-len(shape) or len(shape):])
    if not fits(g.shape(b)):
        raise _Reject
    return b


def _gen_inplace(g):
    a = g.pick()
    sa = g.shape(a)

    b = _operand_into(g, sa)
    name = str(g.rng.choice(["+=", "-=", "*=", "/="]))
    if name == "/=" and float(torch.min(torch.abs(g.val(b)))) < 0.2:
        b = g.positive(b)
    return g.emit(name, [a, b])


def _gen_complex(g):
    v = g.pick()
    x = g.val(v)
    rng = g.rng
    c = complex(np.round(rng.uniform(-1.5, 1.5), 2), np.round(rng.uniform(-1.5, 1.5), 2))
    f = str(rng.choice(["exp", "sin", "square", "reciprocal", "log", "sqrt", "conj_mul", "tanh"]))
    part = str(rng.choice(["real", "imag", "abs"]))
    z = x.to(torch.complex128) * c
    if abs(c) < 0.3:
        raise _Reject
    if f in ("reciprocal", "log") and float(torch.min(torch.abs(z))) < 0.2:
        raise _Reject
    if f in ("log", "sqrt") and not _away(z.imag, [0.0], 0.05) and float(torch.min(z.real)) < 0.05:
        raise _Reject  # near the branch cut on the negative real axis
    if f == "sqrt" and float(torch.min(torch.abs(z))) < 0.2:
        raise _Reject
    if f in ("exp", "sin", "tanh"):
        v = g.bounded(v, 2.0)
    out = g.emit("complex", [v], c=c, f=f, part=part)
    if part == "abs" and float(torch.min(g.val(out))) < 0.05:
        raise _Reject
    return out


def _gen_clip(g):
    v = g.pick()
    x = g.val(v)
    if g.rng.random() < 0.3:
        b = g.operand(lambda s: _broadcasts(g.shape(v), s) and np.broadcast_shapes(g.shape(v), s) == g.shape(v),
                      lambda: g.broadcast_partner_shape(g.shape(v)))
        if not (_broadcasts(g.shape(v), g.shape(b)) and np.broadcast_shapes(g.shape(v), g.shape(b)) == g.shape(v)):
            raise _Reject
        if not _away(x - g.val(b), [0.0]):
            raise _Reject
        return g.emit("clip_t", [v, b])
    q = np.sort(to_numpy(x).reshape(-1))
    lo = float(np.round(g.rng.uniform(q[0] - 0.2, q[-1]), 3)) if g.rng.random() < 0.8 else None
    hi = float(np.round(g.rng.uniform(q[0], q[-1] + 0.2), 3)) if g.rng.random() < 0.8 else None
    if lo is None and hi is None:
        lo = float(np.round(q[len(q) // 2], 3))
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    if not _away(x, [p for p in (lo, hi) if p is not None]):
        raise _Reject
    return g.emit("clip", [v], lo=lo, hi=hi)


def _gen_reduction(g):
    g.empty_ok = g.rng.random() < 0.3
    v = g.pick()
    x = g.val(v)
    nd = x.ndim
    name = str(g.rng.choice(["sum", "mean", "prod", "max", "min", "std", "var", "vector_norm"]))
    if x.numel() == 0:
        name = str(g.rng.choice(["sum", "prod"]))
    axis = g.axis_arg(nd)
    keepdims = bool(g.rng.random() < 0.5)
    params = {"axis": axis, "keepdims": keepdims}
    if name in ("max", "min"):
        if _slice_gap(x if name == "max" else -x, axis) < MARGIN:
            raise _Reject
    elif name in ("std", "var"):
        dims = range(nd) if axis is None else [a % nd for a in (axis if isinstance(axis, tuple) else (axis,))]
        count = math.prod(x.shape[d] for d in dims)
        correction = float(g.rng.choice([0.0, 1.0, 0.5]))
        if count <= correction:
            raise _Reject
        spread = torch.var(x, dim=tuple(dims), correction=0) if nd else torch.zeros(())
        if float(torch.min(spread)) < 1e-4:
            raise _Reject
        params["correction"] = correction
    elif name == "vector_norm":
        order = g.rng.choice([2, 1, 3, -1, -2, 0.5, math.inf, -math.inf])
        order = float(order) if math.isinf(order) or order % 1 else int(order)
        ax = x
        if order != 2 and not _away(ax, [0.0]):
            raise _Reject
        if math.isinf(order) and _slice_gap(torch.abs(x) if order > 0 else -torch.abs(x), axis) < MARGIN:
            raise _Reject
        if order == 2 and float(torch.min(torch.sum(x * x, dim=_th_dims(x, axis)))) < 1e-3:
            raise _Reject
        params["ord"] = order
    elif name == "prod" and (x.numel() > 12 and axis is None):
        raise _Reject
    return g.emit(name, [v], **params)


def _gen_cumulative(g):
    g.empty_ok = g.rng.random() < 0.3
    v = g.pick(lambda v: len(g.shape(v)) >= 1)
    nd = len(g.shape(v))
    name = "cumulative_sum" if g.rng.random() < 0.7 else "cumulative_prod"
    axis = int(g.rng.integers(nd)) - (nd if g.rng.random() < 0.3 else 0)
    return g.emit(name, [v], axis=axis, include_initial=bool(g.rng.random() < 0.3))


def _factor_shape(rng, size):
    """A random shape of ``size`` elements (at most MAX_NDIM axes)."""
    dims = []
    n = size
    while n > 1 and len(dims) < MAX_NDIM - 1:
        divisors = [d for d in range(2, n + 1) if n % d == 0]
        d = int(rng.choice(divisors))
        dims.append(d)
        n //= d
    if n > 1:
        dims.append(n)
    while rng.random() < 0.3 and len(dims) < MAX_NDIM:
        dims.insert(int(rng.integers(len(dims) + 1)), 1)
    rng.shuffle(dims)
    if dims and rng.random() < 0.3:
        dims[int(rng.integers(len(dims)))] = -1
    return tuple(int(d) for d in dims)


def _gen_manipulation(g):
    g.empty_ok = g.rng.random() < 0.3
    v = g.pick()
    s = g.shape(v)
    nd = len(s)
    rng = g.rng
    name = str(rng.choice(["reshape", "permute_dims", "expand_dims", "squeeze", "flip", "roll", "moveaxis",
                           "matrix_transpose", "broadcast_to", "tile", "repeat", "unstack", "tril", "diff",
                           "asarray"]))
    if name == "reshape":
        return g.emit(name, [v], shape=_factor_shape(rng, math.prod(s)))
    if name == "permute_dims":
        return g.emit(name, [v], axes=tuple(int(a) for a in rng.permutation(nd)))
    if name == "expand_dims":
        if rng.random() < 0.7:
            return g.emit(name, [v], axis=int(rng.integers(-nd - 1, nd + 1)))
        k = int(rng.integers(1, 3))
        axes = [int(a) for a in rng.choice(nd + k, size=k, replace=False)]
        return g.emit(name, [v], axis=tuple(a - nd - k if rng.random() < 0.3 else a for a in axes))
    if name == "squeeze":
        ones = [i for i, n in enumerate(s) if n == 1]
        if not ones:
            raise _Reject
        picked = [int(a) - (nd if rng.random() < 0.3 else 0) for a in rng.choice(ones, size=int(rng.integers(
            1, len(ones) + 1)), replace=False)]
        return g.emit(name, [v], axis=picked[0] if len(picked) == 1 and rng.random() < 0.5 else tuple(picked))
    if name == "flip":
        return g.emit(name, [v], axis=g.axis_arg(nd))
    if name == "roll":
        axis = g.axis_arg(nd)
        if isinstance(axis, tuple):
            shift = tuple(int(rng.integers(-5, 6)) for _ in axis)
        else:
            shift = int(rng.integers(-5, 6))
        return g.emit(name, [v], shift=shift, axis=axis)
    if name == "moveaxis":
        if nd == 0:
            raise _Reject
        if rng.random() < 0.5:
            return g.emit(name, [v], source=int(rng.integers(-nd, nd)), destination=int(rng.integers(-nd, nd)))
        k = int(rng.integers(1, nd + 1))
        src = tuple(int(a) for a in rng.choice(nd, size=k, replace=False))
        dst = tuple(int(a) for a in rng.choice(nd, size=k, replace=False))
        return g.emit(name, [v], source=src, destination=dst)
    if name == "matrix_transpose":
        if nd < 2:
            raise _Reject
        return g.emit(str(rng.choice(["matrix_transpose", "mT"] + ["T"] * (nd == 2))), [v])
    if name == "broadcast_to":
        target = list(s)
        target = [int(rng.integers(2, 4)) if n == 1 and rng.random() < 0.7 else n for n in target]
        if rng.random() < 0.5:
            target.insert(0, int(rng.integers(1, 4)))
        return g.emit(name, [v], shape=tuple(target))
    if name == "tile":
        reps = tuple(int(r) for r in rng.integers(1, 3, size=int(rng.integers(1, nd + 2))))
        return g.emit(name, [v], reps=reps)
    if name == "repeat":
        if nd == 0:
            raise _Reject
        axis = None if rng.random() < 0.25 else int(rng.integers(-nd, nd))
        if rng.random() < 0.5:
            n = math.prod(s) if axis is None else s[axis]
            return g.emit("repeat_array", [v], repeats=rng.integers(0, 3, size=n).astype(np.int64), axis=axis)
        return g.emit(name, [v], repeats=int(rng.integers(1, 4)), axis=axis)
    if name == "asarray":
        return g.emit(str(rng.choice(["asarray", "astype"])), [v], copy=bool(rng.random() < 0.5))
    if name == "unstack":
        if nd == 0 or 0 in s:
            raise _Reject
        axis = int(rng.integers(-nd, nd))
        return g.emit(name, [v], axis=axis, i=int(rng.integers(s[axis])))
    if name == "tril":
        if nd < 2:
            raise _Reject
        return g.emit(str(rng.choice(["tril", "triu"])), [v], k=int(rng.integers(-2, 3)))
    if nd == 0:
        raise _Reject
    axis = int(rng.integers(-nd, nd))
    if rng.random() < 0.4:  # with prepended and appended arrays
        def part():
            t = list(s)
            t[axis] = int(rng.integers(1, 3))
            return g.operand(lambda u: len(u) == nd and all(u[i] == s[i] for i in range(nd) if i != axis % nd),
                             lambda: tuple(t))
        p, a = part(), part()
        return g.emit("diff_pa", [v, p, a], axis=axis, n=int(rng.integers(1, 3)))
    return g.emit("diff", [v], axis=axis, n=int(rng.integers(0, 3)))


def _gen_join(g):
    g.empty_ok = g.rng.random() < 0.3
    v = g.pick()
    s = g.shape(v)
    nd = len(s)
    if g.rng.random() < 0.5 or nd == 0:
        axis = int(g.rng.integers(-nd - 1, nd + 1))
        b = g.operand(lambda t: t == s, lambda: s)
        return g.emit("stack", *_maybe_swap(g, v, b), axis=axis)
    if g.rng.random() < 0.2:
        b = g.operand(lambda t: len(t) >= 1, lambda: (int(g.rng.integers(1, 4)),))
        return g.emit("concat", *_maybe_swap(g, v, b), axis=None)
    axis = int(g.rng.integers(-nd, nd))

    def fits(t):
        return len(t) == nd and all(t[i] == s[i] for i in range(nd) if i != axis % nd)

    def shape():
        t = list(s)
        t[axis] = int(g.rng.integers(1, 4))
        return tuple(t)

    b = g.operand(fits, shape)
    return g.emit("concat", *_maybe_swap(g, v, b), axis=axis)


def _gen_broadcast_family(g):
    rng = g.rng
    if rng.random() < 0.5:
        a = g.pick()
        sa = g.shape(a)
        b = g.operand(lambda t: _broadcasts(sa, t), lambda: g.broadcast_partner_shape(sa))
        if not _broadcasts(sa, g.shape(b)):
            raise _Reject
        return g.emit("broadcast_arrays", *_maybe_swap(g, a, b), i=int(rng.integers(2)))
    a = g.pick(lambda v: len(g.shape(v)) == 1)
    b = g.operand(lambda t: len(t) == 1, lambda: (int(rng.integers(1, 5)),))
    return g.emit("meshgrid", *_maybe_swap(g, a, b), indexing=str(rng.choice(["xy", "ij"])), i=int(rng.integers(2)))


def _maybe_swap(g, a, b):
    return [[a, b] if g.rng.random() < 0.5 else [b, a]]


def _gen_slice(rng, n, in_bounds=False, empty=False):
    """A non-empty slice of an axis of ``n`` (with ``in_bounds``, start and stop are valid positions,
    as the standard asks; otherwise they may lie beyond the axis, as NumPy and PyTorch allow)."""
    lo, hi = (-n, n) if in_bounds else (-n - 1, n + 2)
    while True:
        start = None if rng.random() < 0.4 else int(rng.integers(lo, hi))
        stop = None if rng.random() < 0.4 else int(rng.integers(lo, hi))
        step = rng.choice([None, 1, 2, 3, -1, -2, -3], p=[0.3, 0.1, 0.15, 0.05, 0.25, 0.1, 0.05])
        sl = slice(start, stop, None if step is None else int(step))
        if len(range(n)[sl]) or empty:
            return sl


def _basic_key(g, s, new_axes=True):
    """A key of ints, slices (negative steps too), None and Ellipsis for shape ``s``."""
    rng = g.rng
    in_bounds = g.standard_only
    empty = g.empty_ok and rng.random() < 0.15
    nd = len(s)
    covered = int(rng.integers(0, nd + 1))
    parts = []
    for n in s[:covered]:
        if n == 0:
            parts.append(slice(None))
        else:
            parts.append(int(rng.integers(-n, n)) if rng.random() < 0.3 else _gen_slice(rng, n, in_bounds, empty))
    if covered < nd and (g.prog.backend == "array_api_strict" or rng.random() < 0.6):
        parts.insert(int(rng.integers(len(parts) + 1)), Ellipsis)
        # the ellipsis stands for the axes between: move the covered ones to the ends
        k = parts.index(Ellipsis)
        parts = parts[:k] + [Ellipsis] + [
            slice(None) if n == 0 else _gen_slice(rng, n, in_bounds, empty) if isinstance(p, slice)
            else int(rng.integers(-n, n))
            for p, n in zip(parts[k + 1:], s[nd - (len(parts) - k - 1):])
        ]
    for _ in range(int(rng.choice([0, 0, 1, 2])) if new_axes else 0):
        parts.insert(int(rng.integers(len(parts) + 1)), None)
    if len(parts) == 1 and rng.random() < 0.5:
        return parts[0]
    return tuple(parts)


def _index_array(rng, n, shape):
    return rng.integers(-n, n, size=shape).astype(np.int64)


def _array_key(g, s):
    """Integer arrays (broadcasting together) and integers for every axis, as the standard has them."""
    rng = g.rng
    base = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))

    def ishape():  # base, or base with some axes of 1 or leading axes dropped
        t = [1 if rng.random() < 0.3 else n for n in base]
        return tuple(t[int(rng.integers(len(t) + 1)):]) if rng.random() < 0.3 else tuple(t)

    key = tuple(int(rng.integers(-n, n)) if rng.random() < 0.25 else _index_array(rng, n, ishape()) for n in s)
    if not any(isinstance(k, np.ndarray) for k in key):
        key = (_index_array(rng, s[0], base),) + key[1:]
    return key


def _mask_key(g, s):
    rng = g.rng
    mask = np.asarray(rng.random(s[: int(rng.integers(1, len(s) + 1))]) < 0.6)
    if not mask.any() and not g.empty_ok:
        raise _Reject
    return mask if rng.random() < 0.5 or mask.ndim == len(s) or g.standard_only else (mask, Ellipsis)


def _mixed_key(g, s):
    """Integer arrays mixed with slices (NumPy and PyTorch have them; the standard does not)."""
    rng = g.rng
    nd = len(s)
    key = [slice(None) if rng.random() < 0.7 else _gen_slice(rng, n) for n in s]
    for axis in rng.choice(nd, size=int(rng.integers(1, min(2, nd) + 1)), replace=False):
        key[axis] = _index_array(rng, s[axis], (int(rng.integers(1, 4)),))
    last = max(i for i, k in enumerate(key) if isinstance(k, np.ndarray))
    if rng.random() < 0.5 and last + 1 < nd:
        key = key[: last + 1] + [Ellipsis]
    return tuple(key)


def _gen_indexing(g):
    rng = g.rng
    g.empty_ok = rng.random() < 0.3
    v = g.pick()
    s = g.shape(v)
    nd = len(s)
    r = rng.random()
    if nd == 0 or r < 0.4:
        if nd == 0:
            key = rng.choice(4)
            key = [(), Ellipsis, None, (None, Ellipsis, None)][int(key)]
            if g.standard_only and key is not Ellipsis and key != ():
                key = Ellipsis
        else:
            key = _basic_key(g, s)
        return g.emit("getitem", [v], key=key)
    if 0 in s:
        raise _Reject
    if r < 0.52:
        axis = int(rng.integers(-nd, nd))
        count = int(rng.integers(0 if g.empty_ok else 1, 6))
        if nd == 1 and rng.random() < 0.4:
            return g.emit("take", [v], idx=_index_array(rng, s[0], (count,)), axis=None)
        return g.emit("take", [v], idx=_index_array(rng, s[axis], (count,)), axis=axis)
    if r < 0.62:
        axis = int(rng.integers(-nd, nd))
        shape = [n if rng.random() < 0.7 else 1 for n in s]
        shape[axis] = int(rng.integers(1, 5))
        low = 0 if g.standard_only else -s[axis]
        idx = rng.integers(low, s[axis], size=tuple(shape)).astype(np.int64)
        return g.emit("take_along_axis", [v], idx=idx, axis=axis)
    if r < 0.72:
        return g.emit("getitem", [v], key=_array_key(g, s))
    if r < 0.8:
        return g.emit("getitem", [v], key=_mask_key(g, s))
    if r < 0.86 and not g.standard_only:
        return g.emit("getitem", [v], key=_mixed_key(g, s))
    # assignment into a copy: a basic key, integer arrays picking distinct elements, or a mask
    r = rng.random()
    if r < 0.6:
        key = _basic_key(g, s, new_axes=not g.standard_only)
        if isinstance(key, tuple) and key.count(Ellipsis) == 0 and sum(k is not None for k in key) < nd:
            key = key + (Ellipsis,)
    elif r < 0.8 and not g.standard_only:  # the standard has no integer-array assignment
        key = _array_key(g, s)
    else:
        key = _mask_key(g, s)
    sel = np.arange(math.prod(s)).reshape(s)[key]
    if len(np.unique(sel)) != np.size(sel):
        raise _Reject  # which of the repeated writes lands is not specified
    ss = np.shape(sel)

    b = _operand_into(g, ss)
    return g.emit("setitem", [v, b], key=key)


def _gen_linalg(g):
    rng = g.rng
    name = str(rng.choice(["matmul", "@", "tensordot", "vecdot", "outer", "diagonal", "trace", "det", "inv",
                           "matrix_norm", "square_matrix", "square_matrix", "square_matrix", "matrix", "matrix",
                           "cross"]))
    if name == "square_matrix":
        return _gen_square_matrix(g)
    if name == "matrix":
        return _gen_matrix(g)
    if name == "cross":
        v = g.pick(lambda v: g.shape(v)[-1:] == (3,))
        b = g.operand(lambda t: t[-1:] == (3,) and _broadcasts(t, g.shape(v)),
                      lambda: g.broadcast_partner_shape(g.shape(v)[:-1]) + (3,))
        return g.emit("cross", *_maybe_swap(g, v, b))
    if name in ("matmul", "@"):
        v = g.pick(lambda v: len(g.shape(v)) >= 1)
        s = g.shape(v)
        m = int(rng.integers(1, 5))
        if rng.random() < 0.5:  # v @ b
            k = s[-1]
            b = g.operand(lambda t: len(t) >= 1 and (t[-2] if len(t) > 1 else t[0]) == k and
                          (len(t) < 3 or len(s) < 2 or _broadcasts(t[:-2], s[:-2])),
                          lambda: (k,) if rng.random() < 0.3 else (k, m))
            return g.emit(name, [v, b])
        k = s[-2] if len(s) > 1 else s[0]
        b = g.operand(lambda t: len(t) >= 1 and t[-1] == k and (len(t) < 3 or len(s) < 3 or
                                                                _broadcasts(t[:-2], s[:-2])),
                      lambda: (k,) if rng.random() < 0.3 else (m, k))
        return g.emit(name, [b, v])
    if name == "tensordot":
        v = g.pick()
        s = g.shape(v)
        n = int(rng.integers(0, min(2, len(s)) + 1))
        if rng.random() < 0.5:
            axes = n
            contracted = s[len(s) - n:]
            b = g.operand(lambda t: t[:n] == contracted, lambda: contracted + (int(rng.integers(1, 4)),))
            if g.shape(b)[:n] != contracted:
                raise _Reject
            return g.emit(name, [v, b], axes=axes)
        a1 = tuple(int(a) for a in rng.choice(len(s), size=n, replace=False))
        bshape = tuple(int(x) for x in rng.permutation(list(s[a] for a in a1) + [int(rng.integers(1, 4))]))
        b = g.operand(lambda t: False, lambda: bshape)
        a2 = []
        for a in a1:
            a2.append(next(j for j, m in enumerate(bshape) if m == s[a] and j not in a2))
        return g.emit(name, [v, b], axes=(a1, tuple(a2)))
    if name == "vecdot":
        v = g.pick(lambda v: len(g.shape(v)) >= 1)
        s = g.shape(v)
        b = g.operand(lambda t: _broadcasts(s, t) and len(t) >= 1 and t[-1] == s[-1],
                      lambda: g.broadcast_partner_shape(s[:-1]) + s[-1:])
        nd = min(len(s), len(g.shape(b)))
        axis = int(rng.integers(-nd, 0))
        if g.shape(b)[axis] != s[axis]:
            raise _Reject
        return g.emit(name, *_maybe_swap(g, v, b), axis=axis)
    if name == "outer":
        v = g.pick(lambda v: len(g.shape(v)) == 1)
        b = g.operand(lambda t: len(t) == 1, lambda: (int(rng.integers(1, 5)),))
        return g.emit(name, *_maybe_swap(g, v, b))
    v = g.pick(lambda v: len(g.shape(v)) >= 2)
    s = g.shape(v)
    if name in ("diagonal", "trace"):
        return g.emit(name, [v], offset=int(rng.integers(-s[-2] + 1, s[-1])))
    if name == "matrix_norm":
        x = g.val(v)
        order = rng.choice(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
        order = str(order) if order in ("fro", "nuc") else float(order) if math.isinf(float(order)) else int(order)
        if order == "fro" and float(torch.min(torch.sum(x**2, dim=(-2, -1)))) < 1e-3:
            raise _Reject
        if order in ("nuc", 2, -2):
            sv = torch.linalg.svdvals(x)
            if float(torch.min(sv)) < 0.05 or (sv.shape[-1] > 1 and float(torch.min(-torch.diff(sv, dim=-1))) < 0.05):
                raise _Reject
        if order in (1, -1, math.inf, -math.inf):
            if not _away(x, [0.0]):
                raise _Reject
            sums = torch.sum(torch.abs(x), dim=-2 if order in (1, -1) else -1)
            if sums.shape[-1] > 1 and _slice_gap(sums if order > 0 else -sums, -1) < MARGIN:
                raise _Reject
        return g.emit(name, [v], ord=order, keepdims=bool(rng.random() < 0.3))
    if s[-1] != s[-2] or s[-1] > 3:
        raise _Reject
    cond = torch.linalg.cond(g.val(v))
    if not float(torch.max(cond)) < 50:
        raise _Reject
    return g.emit(name, [v])


def _well_conditioned(t, limit=50.0):
    """Whether every matrix in ``t`` has singular values between 0.05 and ``limit`` times that."""
    if t.numel() == 0:
        return False
    sv = torch.linalg.svdvals(t)
    return float(torch.min(sv)) > 0.05 and float(torch.max(sv[..., 0] / sv[..., -1])) < limit


def _gen_square_matrix(g):
    """Ops of (small) square matrices: inverses, determinants, solves, symmetric decompositions."""
    rng = g.rng
    v = g.pick(lambda v: len(g.shape(v)) >= 2 and g.shape(v)[-1] == g.shape(v)[-2] <= 3)
    n = g.shape(v)[-1]
    name = str(rng.choice(["slogdet", "solve", "matrix_power", "cholesky", "eigvalsh", "eigh_vectors_squared"]))
    if name in ("cholesky", "eigvalsh", "eigh_vectors_squared"):
        # a symmetric matrix built from v: v v^T + c I (positive definite) or v + v^T
        if name == "cholesky" or rng.random() < 0.5:
            sym = g.emit("@", [v, g.emit("mT", [v])])
            eye = g._add("const", (), {"data": np.eye(n) * 0.5}, torch.from_numpy(np.eye(n) * 0.5))
            sym = g.emit("+", [sym, eye])
        else:
            sym = g.emit("+", [v, g.emit("matrix_transpose", [v])])
        if name != "cholesky":
            lam = torch.linalg.eigvalsh(g.val(sym))
            if n > 1 and float(torch.min(torch.diff(lam, dim=-1))) < 0.05:
                raise _Reject
        elif not _well_conditioned(g.val(sym), 1e3):
            raise _Reject
        return g.emit(name, [sym])
    if not _well_conditioned(g.val(v)):
        raise _Reject
    if name == "matrix_power":
        return g.emit(name, [v], n=int(rng.integers(-2, 4)))
    if name == "slogdet":
        return g.emit(name, [v])
    s = g.shape(v)
    k = int(rng.integers(1, 3))
    r = rng.random()
    bshape = (n,) if r < 0.3 else (n, k) if r < 0.6 else s[:-1] + (k,)
    b = g.operand(lambda t: len(t) >= 1 and (t == (n,) or (len(t) >= 2 and t[-2] == n and t != s[:-1]
                                                          and _broadcasts(t[:-2], s[:-2]))), lambda: bshape)
    return g.emit(name, [v, b])


def _gen_matrix(g):
    """Ops of (small) matrices of any shape: singular values, QR, pseudo-inverse."""
    v = g.pick(lambda v: len(g.shape(v)) >= 2 and max(g.shape(v)[-2:]) <= 4)
    m, n = g.shape(v)[-2:]
    name = str(g.rng.choice(["svdvals", "qr_r", "qr_q", "pinv"]))
    x = g.val(v)
    if not _well_conditioned(x, 20.0):
        raise _Reject
    if name == "svdvals":
        sv = torch.linalg.svdvals(x)
        if min(m, n) > 1 and float(torch.min(-torch.diff(sv, dim=-1))) < 0.05:
            raise _Reject
    if name.startswith("qr") and m < n:
        raise _Reject
    return g.emit(name, [v])


FAMILIES = [
    (_gen_unary, 3), (_gen_scalar, 1.5), (_gen_binary, 3), (_gen_clip, 0.7), (_gen_reduction, 2),
    (_gen_cumulative, 0.7), (_gen_manipulation, 2.5), (_gen_join, 1), (_gen_indexing, 2.5), (_gen_linalg, 2),
    (_gen_inplace, 0.7), (_gen_complex, 0.7), (_gen_broadcast_family, 0.4),
]


def generate(seed, backend):
    """The program of ``seed`` for ``backend`` (its index keys keep to what the backend supports)."""
    g = Generator(seed, backend)
    rng = g.rng
    for _ in range(int(rng.integers(1, 3))):
        g.new_input(INPUT_SHAPES[int(rng.integers(len(INPUT_SHAPES)))])
    target = int(rng.integers(4, 11))
    weights = np.array([w for _, w in FAMILIES])
    n_ops = attempts = 0
    while n_ops < target and attempts < 200:
        attempts += 1
        mark = (len(g.values), set(g.used), len(g.prog.inputs))
        family = FAMILIES[int(rng.choice(len(FAMILIES), p=weights / weights.sum()))][0]
        g.empty_ok = False
        try:
            family(g)
            n_ops += 1
        except _Reject:
            # drop whatever the failed draw added (guards, operands)
            del g.values[mark[0]:]
            del g.prog.steps[mark[0]:]
            g.used = mark[1]
            del g.prog.inputs[mark[2]:]
    outs = [v for v in range(len(g.values)) if v not in g.used and g.prog.steps[v].op not in ("input", "const")]
    if not outs:
        outs = [len(g.values) - 1]
    g.prog.outputs = outs
    g.prog.cotangents = [g.data(g.shape(o), -1.0, 1.0) for o in outs]
    g.prog.directions = [g.data(g.shape(i), -1.0, 1.0) for i in g.prog.inputs]
    return g.prog


# -- running a program in acarray and in PyTorch ---------------------------------------------


def _run_torch(prog):
    env = {}
    for st in prog.steps:
        if st.op == "input":
            env[st.out] = torch.from_numpy(st.params["data"].copy()).requires_grad_(True)
        elif st.op == "const":
            env[st.out] = torch.from_numpy(st.params["data"].copy())
        else:
            env[st.out] = OPS[st.op][1](*(env[a] for a in st.args), **st.params)
    inputs = [env[i] for i in prog.inputs]
    loss = sum(torch.sum(env[o] * torch.from_numpy(c)) for o, c in zip(prog.outputs, prog.cotangents))
    if not loss.requires_grad:
        return env, loss, [None] * len(inputs), [None] * len(inputs)
    grads = torch.autograd.grad(loss, inputs, create_graph=True, allow_unused=True)
    inner = sum(torch.sum(gr * torch.from_numpy(d)) for gr, d in zip(grads, prog.directions) if gr is not None)
    if isinstance(inner, torch.Tensor) and inner.requires_grad:
        hvp = torch.autograd.grad(inner, inputs, allow_unused=True)
    else:
        hvp = [None] * len(inputs)
    return env, loss, grads, hvp


def _ac_param(xp, v):
    if isinstance(v, np.ndarray):
        return xp.asarray(v)
    if isinstance(v, tuple):
        return tuple(_ac_param(xp, k) for k in v)
    return v


def _run_acarray(prog, xp, trace):
    env = {}
    for st in prog.steps:
        trace[0] = st
        if st.op == "input":
            env[st.out] = xp.asarray(st.params["data"].copy()).requires_grad_(True)
        elif st.op == "const":
            env[st.out] = xp.asarray(st.params["data"].copy())
        else:
            params = {k: _ac_param(xp, v) for k, v in st.params.items()}
            env[st.out] = OPS[st.op][0](xp, *(env[a] for a in st.args), **params)
    trace[0] = "loss"
    inputs = [env[i] for i in prog.inputs]
    loss = None
    for o, c in zip(prog.outputs, prog.cotangents):
        term = xp.sum(env[o] * xp.asarray(c))
        loss = term if loss is None else loss + term
    trace[0] = "gradient (create_graph=True)"
    if not loss.requires_grad:
        return env, loss, [None] * len(inputs), [None] * len(inputs)
    grads = acarray.autograd.grad(loss, inputs, create_graph=True, allow_unused=True)
    trace[0] = "Hessian-vector product"
    inner = None
    for gr, d in zip(grads, prog.directions):
        if gr is not None:
            term = xp.sum(gr * xp.asarray(d))
            inner = term if inner is None else inner + term
    if inner is not None and inner.requires_grad:
        hvp = acarray.autograd.grad(inner, inputs, allow_unused=True)
    else:
        hvp = [None] * len(inputs)
    return env, loss, grads, hvp


def _np(t, like=None):
    if t is None:
        return np.zeros(like.shape)
    if not isinstance(t, torch.Tensor):
        return to_numpy(t)
    if getattr(t, "_is_zerotensor", lambda: False)():
        return np.zeros(tuple(t.shape))  # PyTorch's symbolic zeros (converting them can crash)
    return t.detach().numpy()


def _mismatch(got, ref):
    """A description of how ``got`` differs from ``ref`` (None when they agree)."""
    if got.shape != ref.shape:
        return f"shape {got.shape} != {ref.shape}"
    if got.dtype != ref.dtype:
        return f"dtype {got.dtype} != {ref.dtype}"
    scale = 1.0 + (float(np.max(np.abs(ref))) if ref.size else 0.0)
    if not np.allclose(got, ref, rtol=RTOL, atol=RTOL * scale, equal_nan=True):
        err = float(np.max(np.abs(got - ref)))
        return f"max abs error {err:.3g}\n    acarray: {np.array2string(got.ravel(), max_line_width=200)}\n" \
               f"    torch:   {np.array2string(ref.ravel(), max_line_width=200)}"
    return None


def check_program(seed, backend="numpy"):
    """Run program ``seed`` on ``backend`` against PyTorch; a report of the first difference, or None."""
    prog = generate(seed, backend)
    return compare(prog)


def compare(prog):
    xp = acarray.namespace(prog.backend)
    env_t, loss_t, grads_t, hvp_t = _run_torch(prog)
    trace = [None]
    try:
        env_a, loss_a, grads_a, hvp_a = _run_acarray(prog, xp, trace)
    except Exception:
        return f"{prog}\n  acarray raised at {trace[0]}:\n{traceback.format_exc(limit=-4)}"
    problems = []
    for st in prog.steps:
        bad = _mismatch(_np(env_a[st.out]), _np(env_t[st.out]))
        if bad:
            problems.append(f"value of {st}: {bad}")
            break
        if env_a[st.out].requires_grad != env_t[st.out].requires_grad:
            problems.append(f"{st}: requires_grad is {env_a[st.out].requires_grad} in acarray, "
                            f"{env_t[st.out].requires_grad} in PyTorch")
            break
    for what, got, ref in [("gradient", grads_a, grads_t), ("Hessian-vector product", hvp_a, hvp_t)]:
        for i, (ga, gt) in enumerate(zip(got, ref)):
            x = env_t[prog.inputs[i]]
            bad = _mismatch(_np(ga, x), _np(gt, x))
            if bad:
                problems.append(f"{what} for v{prog.inputs[i]}: {bad}")
    if problems:
        return f"{prog}\n  " + "\n  ".join(problems)
    return None


def _counts():
    others = max(1, PROGRAMS // 6)
    return [("numpy", PROGRAMS), ("array_api_strict", others), ("torch", others)]


@pytest.mark.parametrize("backend,count", _counts(), ids=[b for b, _ in _counts()])
def test_random_programs_match_torch(backend, count):
    pytest.importorskip(backend)
    failures = []
    for i in range(count):
        report = check_program(SEED + i, backend)
        if report:
            failures.append(report)
            if len(failures) >= 3:
                break
    assert not failures, f"{len(failures)} program(s) differ from PyTorch:\n\n" + "\n\n".join(failures)


def test_generator_is_deterministic():
    assert str(generate(SEED + 7, "numpy")) == str(generate(SEED + 7, "numpy"))


def test_generator_covers_the_op_table():
    seen = set()
    for i in range(400):
        seen.update(st.op for st in generate(SEED + i, "numpy").steps)
    assert set(OPS) - seen == set()


def test_a_wrong_gradient_is_reported(monkeypatch):
    """A deliberately wrong rule (sin's derivative negated) makes the comparison fail and print the program."""
    prog = Program(0, "numpy")
    prog.steps = [Step(0, "input", (), {"data": np.array([0.3, -0.7, 1.1])}), Step(1, "sin", (0,), {})]
    prog.inputs, prog.outputs = [0], [1]
    prog.cotangents, prog.directions = [np.array([1.0, 2.0, -1.0])], [np.array([0.5, 0.1, -0.3])]
    assert compare(prog) is None
    monkeypatch.setitem(OPS, "sin", (OPS["sin"][0], _WrongSin.apply))
    report = compare(prog)
    assert report is not None and "gradient for v0" in report and "v1 = sin(v0)" in report


class _WrongSin(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * torch.cos(x)


# -- regressions found by the fuzz ------------------------------------------------------------


def _torch_reference(fn, data):
    x = torch.from_numpy(data.copy()).requires_grad_(True)
    y = fn(x)
    return y, x


def test_matrix_power_zero_stays_in_the_graph(xp):
    """``matrix_power(x, 0)`` is the identity, but still a function of ``x``: the result requires grad
    (as in PyTorch) and its gradient is zero, so a loss built on it can be differentiated."""
    data = np.random.default_rng(0).uniform(-1, 1, (2, 3, 3))
    x = xp.asarray(data).requires_grad_(True)
    y = xp.linalg.matrix_power(x, 0)
    ref, xt = _torch_reference(lambda t: torch.linalg.matrix_power(t, 0), data)
    assert y.requires_grad and ref.requires_grad
    np.testing.assert_array_equal(to_numpy(y), ref.detach().numpy())
    (gx,) = acarray.autograd.grad(xp.sum(y * y), [x], create_graph=True)
    np.testing.assert_array_equal(to_numpy(gx), np.zeros((2, 3, 3)))
    assert not xp.linalg.matrix_power(xp.asarray(data), 0).requires_grad  # constants stay constants


def test_cumulative_prod_gradient_of_an_empty_array(xp):
    """An array without elements whose cumulated axis is not empty (shape (2, 0), axis 0)."""
    x = xp.asarray(np.ones((2, 0))).requires_grad_(True)
    (gx,) = acarray.autograd.grad(xp.sum(xp.cumulative_prod(x, axis=0, include_initial=True)), [x])
    assert tuple(gx.shape) == (2, 0)


def test_std_and_var_with_a_fractional_correction_on_torch():
    """The standard allows a float correction; acarray.torch passed it to a function that refuses it."""
    pytest.importorskip("array_api_compat")
    xp = acarray.namespace("torch")
    data = np.random.default_rng(1).uniform(-1, 1, (3, 4))
    for name in ("std", "var"):
        x = xp.asarray(data).requires_grad_(True)
        y = getattr(xp, name)(x, axis=0, correction=0.5)
        ref, xt = _torch_reference(lambda t: getattr(torch, name)(t, dim=0, correction=0.5), data)
        np.testing.assert_allclose(to_numpy(y), ref.detach().numpy(), rtol=RTOL)
        (gx,) = acarray.autograd.grad(xp.sum(y), [x])
        np.testing.assert_allclose(to_numpy(gx), torch.autograd.grad(ref.sum(), xt)[0].numpy(), rtol=RTOL)
