"""Element-wise functions: one table of rules serves the unary and binary families.

A rule gives the gradient of one argument from the output's, ``rule(xp, g, x, y)`` for
unary functions and ``rule(xp, g, x1, x2, y)`` (one per argument) for binary ones; it
only runs when its argument needs a gradient.  Rules of holomorphic functions with real
coefficients, ``g * f'(x)``, are written for real values: for complex ones backward
gives them conjugated values, since g * conj(f'(z)) = g * f'(conj(z)) (PyTorch's
convention).  Broadcasting is undone by the engine, never by a rule.
"""

from __future__ import annotations

import math

from .. import _grad_mode
from .._autograd import Op, apply, output
from .._backend import backend_for_namespace, backend_of
from .._grad_mode import state as _grad_state
from .._tensor import Tensor
from .common import cj, device_of, is_complex, public
from .dtype_rules import KIND_WORDS, require, require_promotable


class Elementwise(Op):
    """One application of an element-wise function, ``fn`` (a :class:`Function`).

    Every element-wise op is of this one class, its function's behaviour looked up on ``fn``:
    the interpreter speeds up attribute access only at sites that see one class, and the sites
    that make ops and read their records see element-wise ops most (a chain of them runs about
    5% fewer instructions than with a class per function)."""

    __slots__ = ("fn",)
    fn: Function

    def forward(self, xp, *args):
        return self.fn.forward(xp, *args)

    def backward(self, xp, g, inputs, out):
        return self.fn.backward(self, xp, g, inputs, out)

    @property
    def name(self) -> str:
        return self.fn.name


class Function:
    """An element-wise function as its ops see it: ``name`` (``Exp``), the backend function
    ``fname``, which values its rules read (``saves_inputs``, ``saves_output``) and its rules by
    argument, ``vjps`` (None for a function whose output carries no gradient: comparisons,
    bitwise and logical functions), from which its ``backward(op, xp, g, inputs, out)`` is made.
    Holomorphic rules get conjugated values for complex arguments (see the module's docstring).

    :func:`~acarray._autograd.apply` takes a function as it takes an Op class: calling it makes
    an op.  Where the fast path finds that one argument alone needs a gradient, of its own shape
    and dtype, and the output is real, it records that argument's rule, and backward calls the
    rule alone (see :class:`~acarray._autograd.Op`)."""

    n_out = 1
    is_view = False
    changes_backend = False

    def __init__(self, fname, reads="", vjps=None, holomorphic=True):
        self.fname = fname
        self.name = "".join(p.capitalize() for p in fname.split("_"))
        self.saves_inputs = "x" in reads
        self.saves_output = "y" in reads
        self.vjps = vjps
        self.backward = (None if vjps is None else _unary_backward(vjps[0], holomorphic) if len(vjps) == 1
                         else _binary_backward(*vjps))

    def __call__(self):
        op = Elementwise()
        op.fn = self
        return op

    def forward(self, xp, *args):
        return backend_for_namespace(xp).kernel(self.fname)(*args)


def _unary_backward(rule, holomorphic):
    if not holomorphic:
        def backward(op, xp, g, inputs, out):
            return (rule(xp, g, inputs[0], out),)
    else:
        def backward(op, xp, g, inputs, out):
            x = inputs[0]
            if op.kind != "f" and op.is_complex(g):
                x = cj(xp, x)
                out = None if out is None else cj(xp, out)
            return (rule(xp, g, x, out),)
    return backward


def _binary_backward(rule1, rule2):
    def backward(op, xp, g, inputs, out):
        x1, x2 = inputs
        e1, e2 = op.next
        if op.kind != "f" and op.is_complex(g):
            x1, x2 = cj(xp, x1), cj(xp, x2)
            out = None if out is None else cj(xp, out)
        return (
            None if e1 is None else rule1(xp, g, x1, x2, out),
            None if e2 is None else rule2(xp, g, x1, x2, out),
        )

    return backward


def _zero(xp, g, *_):
    return xp.zeros_like(g)


def _pow_base_rule(xp, g, a, b, y):
    """Gradient of a ** b in a, g * b * a ** (b - 1); 0 where b == 0 (where a ** -1 is inf or NaN:
    a is 0 or NaN), as in PyTorch.  The exponent is fixed on b's shape: a ** 0 is 1 for every a
    (so at b == 0 this rule's own derivative in b is not the true one, 1 / a, as in PyTorch)."""
    if isinstance(b, (int, float, complex)):
        if b == 0:
            return xp.zeros_like(g)
        if b == 1:
            return g  # not g * a ** 0: a complex 0 ** 0 is NaN on PyTorch
        if g.dtype == a.dtype:  # b - 1 in the result's dtype, as for the 0-d array the fast path may pass
            b = xp.asarray(b, dtype=a.dtype, device=device_of(a))
        e = b - 1
    else:
        # b - 1 is replaced by 1 where b is 0, and where a is 0 and b is 1 (a complex 0 ** 0 is NaN on
        # PyTorch); the factor is then set to 0 and 1 there
        zero, tie = b == 0, (a == 0) & (b == 1)
        d = b * a ** xp.where(zero | tie, xp.ones_like(b), b - 1)
        return g * xp.where(zero, xp.zeros_like(d), xp.where(tie, xp.ones_like(d), d))
    return g * (b * a ** e)  # b * a ** e first: b huge and a ** e 0 give 0, not inf * 0


def _pow_exponent_rule(xp, g, a, b, y):
    """Gradient of a ** b in b, g * a ** b * log(a); 0 where a == 0 and b >= 0 (the limit from
    b's side: a ** b stays 0 or 1 there), as in PyTorch; where b < 0 it is infinite."""
    if isinstance(a, (int, float, complex)):
        if a != 0:  # in the result's dtype, as for the 0-d array the fast path may pass instead
            return g * y * xp.log(xp.full_like(y, a))
        return xp.where(_nonnegative(xp, b), xp.zeros_like(g), g * y * -math.inf)
    if isinstance(b, (int, float, complex)):
        return g * y * xp.log(xp.where(a == 0, xp.ones_like(a), a)) if b.real >= 0 and b.imag == 0 else g * y * xp.log(a)
    safe = xp.where((a == 0) & _nonnegative(xp, b), xp.ones_like(a), a)
    return g * y * xp.log(safe)


def _nonnegative(xp, b):
    """Whether array b is real and >= 0 (complex: its imaginary part is 0)."""
    if is_complex(b):
        return (xp.imag(b) == 0) & (xp.real(b) >= 0)
    return b >= 0


# The rows of the element-wise functions, one per function.  Each starts with the dtype kinds the
# function accepts, as the standard states them (Backend.kind codes: b bool, i integer, f real
# floating, c complex floating; anything else raises a TypeError), then what its rules read ("x"
# the inputs, "y" the output) and the rules.  Its signature follows from its table, its forward
# is the backend's function of the same name (see Backend.kernel) and its docstring is made from
# the row (see _doc).
#
# name -> (kinds, what the rule reads, rule(xp, g, x, y)) for the holomorphic unary
# functions.  Written with as few Python scalars as they allow: NumPy computes an operation with
# one (``1 - y * y``) at half the speed of one between arrays (``g - g * y * y``).
UNARY_HOLOMORPHIC = {
    "acos": ("fc", "x", lambda xp, g, x, y: -g / xp.sqrt(1 - x * x)),
    "acosh": ("fc", "x", lambda xp, g, x, y: g / xp.sqrt(x * x - 1)),
    "asin": ("fc", "x", lambda xp, g, x, y: g / xp.sqrt(1 - x * x)),
    "asinh": ("fc", "x", lambda xp, g, x, y: g / xp.sqrt(x * x + 1)),
    "atan": ("fc", "x", lambda xp, g, x, y: g / (1 + x * x)),
    "atanh": ("fc", "x", lambda xp, g, x, y: g / (1 - x * x)),
    "cos": ("fc", "x", lambda xp, g, x, y: -g * xp.sin(x)),
    "cosh": ("fc", "x", lambda xp, g, x, y: g * xp.sinh(x)),
    "exp": ("fc", "y", lambda xp, g, x, y: g * y),
    "expm1": ("fc", "y", lambda xp, g, x, y: g * y + g),
    "log": ("fc", "x", lambda xp, g, x, y: g / x),
    "log1p": ("fc", "x", lambda xp, g, x, y: g / (1 + x)),
    "log2": ("fc", "x", lambda xp, g, x, y: g / (x * math.log(2))),
    "log10": ("fc", "x", lambda xp, g, x, y: g / (x * math.log(10))),
    "sin": ("fc", "x", lambda xp, g, x, y: g * xp.cos(x)),
    "sinh": ("fc", "x", lambda xp, g, x, y: g * xp.cosh(x)),
    "sqrt": ("fc", "y", lambda xp, g, x, y: g / (y + y)),
    "square": ("ifc", "x", lambda xp, g, x, y: g * (x + x)),
    "tan": ("fc", "y", lambda xp, g, x, y: g + g * y * y),
    "tanh": ("fc", "y", lambda xp, g, x, y: g - g * y * y),
    "reciprocal": ("fc", "y", lambda xp, g, x, y: -(g * y * y)),
}

# name -> (kinds, what the rule reads, rule(xp, g, x, y)) for the non-holomorphic unary functions.
UNARY_RULES = {
    "abs": ("ifc", "x", lambda xp, g, x, y: g * xp.sign(x)),  # 0 at x == 0, as in PyTorch
    "negative": ("ifc", "", lambda xp, g, x, y: -g),
    "positive": ("ifc", "", lambda xp, g, x, y: g),
    "conj": ("ifc", "", lambda xp, g, x, y: xp.conj(g)),
    "real": ("ifc", "", lambda xp, g, x, y: g),
    "imag": ("c", "x", lambda xp, g, x, y: xp.astype(g, x.dtype) * 1j),
    # Piecewise constant: the gradient is zero (PyTorch's convention).
    "ceil": ("if", "", _zero),
    "floor": ("if", "", _zero),
    "round": ("ifc", "", _zero),
    "trunc": ("if", "", _zero),
    "sign": ("ifc", "xy", lambda xp, g, x, y: _complex_sign_rule(xp, g, x, y) if is_complex(x) else _zero(xp, g)),
}


def _complex_sign_rule(xp, g, x, y):
    """Gradient of sign(z) = z / |z| for complex z: (g - Re(conj(g) y) y) / |z|, 0 at z == 0."""
    a = xp.abs(x)
    zero = a == 0
    safe = xp.where(zero, xp.ones_like(a), a)
    return xp.where(zero, xp.zeros_like(y), (g - xp.real(xp.conj(g) * y) * y) / safe)


def _max_weight(xp, g, x1, x2):
    """Share of the gradient of maximum(x1, x2) that goes to x1: 1, 0, or 1/2 on ties."""
    return xp.astype(x1 > x2, g.dtype) + 0.5 * xp.astype(x1 == x2, g.dtype)


def _min_weight(xp, g, x1, x2):
    return xp.astype(x1 < x2, g.dtype) + 0.5 * xp.astype(x1 == x2, g.dtype)


def _atan2_rule(xp, g, c, a, b):
    """g * c / (a * a + b * b), a share of atan2(a, b)'s gradient; 0 where the denominator is 0
    (at a == b == 0, and where it underflows), as in PyTorch."""
    d = a * a + b * b
    return xp.where(d == 0, xp.zeros_like(g), g * c / d)


def _remainder_quotient(xp, a, b):
    """The quotient q of remainder(a, b) = a - b * q: floor(a / b), but -1 where b is infinite
    and a finite of the other sign (the remainder is then b itself, as in Python; the standard's
    floor_divide gives -0 there)."""
    q = xp.floor_divide(a, b)
    if isinstance(b, (int, float)):
        return xp.where(a * b < 0, -xp.ones_like(q), q) if math.isinf(b) else q
    return xp.where(xp.isinf(b) & (a * b < 0), -xp.ones_like(q), q)


def _logaddexp_rule(xp, g, a, b, y):
    """g / (1 + exp(b - a)), the gradient of logaddexp(a, b) in a: 1 beside -inf or where a is
    +inf and b is not; where a and b are the same infinity, g / 2 (they share it, as at every tie)."""
    t = b - a
    return g / (1 + xp.exp(xp.where(t != t, xp.zeros_like(t), t)))


# name -> (kinds, what the rules read, rule for x1, rule for x2)
BINARY_RULES = {
    "add": ("ifc", "", lambda xp, g, a, b, y: g, lambda xp, g, a, b, y: g),
    "subtract": ("ifc", "", lambda xp, g, a, b, y: g, lambda xp, g, a, b, y: -g),
    "multiply": ("ifc", "x", lambda xp, g, a, b, y: g * b, lambda xp, g, a, b, y: g * a),
    "divide": ("fc", "xy", lambda xp, g, a, b, y: g / b, lambda xp, g, a, b, y: -g * y / b),
    "pow": ("ifc", "xy", _pow_base_rule, _pow_exponent_rule),
    "atan2": ("f", "x", lambda xp, g, a, b, y: _atan2_rule(xp, g, b, a, b), lambda xp, g, a, b, y: _atan2_rule(xp, -g, a, a, b)),
    "hypot": ("f", "xy", lambda xp, g, a, b, y: g * a / y, lambda xp, g, a, b, y: g * b / y),
    "logaddexp": (
        "f", "x",
        lambda xp, g, a, b, y: _logaddexp_rule(xp, g, a, b, y),
        lambda xp, g, a, b, y: _logaddexp_rule(xp, g, b, a, y),
    ),
    "maximum": (
        "if", "x",
        lambda xp, g, a, b, y: g * _max_weight(xp, g, a, b),
        lambda xp, g, a, b, y: g * _max_weight(xp, g, b, a),
    ),
    "minimum": (
        "if", "x",
        lambda xp, g, a, b, y: g * _min_weight(xp, g, a, b),
        lambda xp, g, a, b, y: g * _min_weight(xp, g, b, a),
    ),
    # +-1 by the signs of x1 and the result, 0 at x1 == +-0 (the result is +-0 for both), as in PyTorch.
    "copysign": ("f", "xy", lambda xp, g, a, b, y: g * (xp.sign(a) * xp.sign(y)), _zero),
    "remainder": ("if", "x", lambda xp, g, a, b, y: g, lambda xp, g, a, b, y: -g * _remainder_quotient(xp, a, b)),
    "floor_divide": ("if", "", _zero, _zero),
    # nextafter(x1, x2) is x1 within one ulp, so 1 in x1 everywhere: also at x1 == x2, where the
    # result is x2 (== x1) and PyTorch gives 0; finite differences give 1 there.
    "nextafter": ("f", "", lambda xp, g, a, b, y: g, _zero),
}

# name -> kinds for the functions whose output carries no gradient (comparisons, bitwise and
# logical functions), of one argument or two.
NONDIFFERENTIABLE_UNARY = {
    "bitwise_invert": "ib", "isfinite": "ifc", "isinf": "ifc", "isnan": "ifc", "signbit": "f", "logical_not": "b",
}
NONDIFFERENTIABLE_BINARY = {
    **dict.fromkeys(("bitwise_and", "bitwise_or", "bitwise_xor"), "ib"),
    **dict.fromkeys(("bitwise_left_shift", "bitwise_right_shift"), "i"),
    **dict.fromkeys(("equal", "not_equal"), "bifc"),
    **dict.fromkeys(("greater", "greater_equal", "less", "less_equal"), "if"),
    **dict.fromkeys(("logical_and", "logical_or", "logical_xor"), "b"),
}
NONDIFFERENTIABLE = [*NONDIFFERENTIABLE_UNARY, *NONDIFFERENTIABLE_BINARY]
KINDS = {
    **{name: row[0] for table in (UNARY_HOLOMORPHIC, UNARY_RULES, BINARY_RULES) for name, row in table.items()},
    **NONDIFFERENTIABLE_UNARY, **NONDIFFERENTIABLE_BINARY,
}

def _doc(name: str, arity: int, function) -> str:
    """The docstring of element-wise function ``name``, from its row: the dtypes it takes, and
    its gradient (none, zero, or its rule's, with PyTorch's convention for complex values)."""
    kinds = KINDS[name]
    words = [KIND_WORDS[k] for k in kinds]
    takes = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if arity == 1:
        doc = f"Element-wise ``{name}`` of the array API standard, for {takes} dtypes (others raise a TypeError)."
    else:
        refused = "" if kinds == "bifc" else "other dtypes, and "
        doc = (f"Element-wise ``{name}`` of the array API standard of ``x1`` and ``x2``, broadcast together, "
               f"for {takes} dtypes; {refused}operands that the standard's rules do not promote raise a TypeError.")
    vjps = function.vjps
    if vjps is None:
        return doc + " Its result carries no gradient."
    if all(r is _zero for r in vjps):
        return doc + " Piecewise constant: its gradient is zero, as in PyTorch."
    if "c" in kinds and name not in UNARY_RULES:
        return doc + (" Differentiable; for complex inputs the gradient is that of PyTorch's convention,"
                      " the conjugate derivative times the incoming gradient.")
    return doc + " Differentiable, with PyTorch's conventions at its edge values."




def _unary_function(name, function):
    """The namespace function ``name`` of one argument, recording ``function``'s ops.

    The dtype rules are checked once per backend and dtype; afterwards a tensor argument takes
    the fast path straight to the backend function, and its output is made and recorded by
    :func:`~acarray._autograd.output` (``op`` is made only when a gradient is needed: an
    argument requires grad, the output is differentiable and recording is on, read inline as
    :func:`acarray._grad_mode.recording` says)."""
    kinds = KINDS[name]
    fast = {}  # (backend, dtype) -> _fast_entry(...)

    def fn(x, /):
        if isinstance(x, Tensor):
            d = x.data
            entry = fast.get((x._b, d.dtype))
            if entry is not None:
                kernel, differentiable, recipe, _ = entry
                op = None
                if x._rg and differentiable and (_grad_mode.disabled_threads == 0 or _grad_state.enabled):
                    op = Elementwise()  # function(), without its call
                    op.fn = function
                return output(op, x._b, kernel(d), (x,), (d,), recipe, x)
        require(name, kinds, x)
        y = apply(function, x)
        if isinstance(x, Tensor):
            fast[(x._b, x.data.dtype)] = _fast_entry(function, x, y)
        return y

    fn.kinds = kinds
    return public(name, fn, _doc(name, 1, function))


def _binary_function(name, function):
    """The namespace function ``name`` of two arguments, recording ``function``'s ops.

    As for :func:`_unary_function`, keyed by both operands: two tensors' backends and dtypes,
    or a tensor's and the class of a Python scalar beside it (see :func:`_signature`)."""
    kinds = KINDS[name]
    fast = {}

    def fn(x1, x2, /):
        entry = None
        if isinstance(x1, Tensor):
            b = x1._b
            if isinstance(x2, Tensor):
                entry = fast.get((b, x1.data.dtype, x2._b, x2.data.dtype))
                if entry is not None:
                    raw, only, rg = (x1.data, x2.data), None, x1._rg or x2._rg
            else:
                entry = fast.get((b, x1.data.dtype, x2.__class__))
                if entry is not None:
                    consts = entry[3]
                    c = x2 if consts is None else consts.get(x2)
                    if c is None:
                        c = _scalar_operand(consts, x2, x1)
                    raw, only, rg = (x1.data, c), x1, x1._rg
        elif isinstance(x2, Tensor):
            b = x2._b
            entry = fast.get((b, x1.__class__, x2.data.dtype))
            if entry is not None:
                consts = entry[3]
                c = x1 if consts is None else consts.get(x1)
                if c is None:
                    c = _scalar_operand(consts, x1, x2)
                raw, only, rg = (c, x2.data), x2, x2._rg
        if entry is not None:
            kernel, differentiable, recipe, _ = entry
            op = None
            if rg and differentiable and (_grad_mode.disabled_threads == 0 or _grad_state.enabled):
                op = Elementwise()  # function(), without its call
                op.fn = function
            return output(op, b, kernel(*raw), (x1, x2), raw, recipe, only)
        require(name, kinds, x1, x2)
        require_promotable(name, x1, x2)
        y = apply(function, x1, x2)
        key = _signature(x1, x2)
        if key is not None:
            if isinstance(x1, Tensor):
                fast[key] = _fast_entry(function, x1, y, "tensor" if len(key) == 4 else "scalar")
            else:
                fast[key] = _fast_entry(function, x2, y, "scalar", position=1)
        return y

    fn.kinds = kinds
    return public(name, fn, _doc(name, 2, function))


def _fast_entry(function, x, y, other=None, position=0):
    """What the fast path needs to know about calls of ``function`` like the one that took tensor ``x``
    (argument ``position``; ``other``: None, "scalar" or "tensor") to ``y``; the output dtype
    follows from the operands' dtypes, so this holds for all of them: the backend function,
    whether the output is differentiable, the recipe that :func:`~acarray._autograd.output`
    records the op with, and a cache of Python scalars as 0-d arrays of ``x``'s dtype where the
    backend computes faster with those.

    In the recipe, ``exact`` says whether the gradient of ``x`` comes back in its own shape and
    dtype (not beside another tensor, which may broadcast), and ``vjp`` is the rule that gives
    that gradient alone where it is exact and real (see :class:`~acarray._autograd.Op`), or
    None."""
    b = x._b
    dtype = y.data.dtype
    exact = other != "tensor" and dtype == x.data.dtype
    consts = {} if other == "scalar" and exact and b.scalars_as_arrays else None
    kind = b.kind(dtype)
    vjps = function.vjps
    vjp = vjps[position] if exact and kind == "f" and vjps is not None else None
    recipe = (function.saves_inputs, function.saves_output, exact, kind, vjp)
    return (b.kernel(function.fname), b.is_differentiable(dtype), recipe, consts)


def _scalar_operand(consts, value, x):
    """``value`` as a 0-d array of tensor ``x``'s dtype (the result's), remembered in ``consts``
    (up to 64 values).  Zeros and NaN stay Python scalars: -0.0 == 0.0 would share one entry and
    NaN never finds its own."""
    if value == 0 or value != value:
        return value
    c = x._b.xp.asarray(value, dtype=x.data.dtype)
    if len(consts) < 64:
        consts[value] = c
    return c


_SCALAR_CLASSES = (bool, float, complex)


def _signature(x1, x2):
    """The key under which a binary function may skip the dtype rules for operands like these,
    or None: two tensors of one backend, or a tensor and a Python scalar whose class alone
    decides the rules (not an int beside an integer tensor: that needs a range check each time;
    never a raw array, whose class does not say its dtype)."""
    if isinstance(x1, Tensor):
        b = x1._b
        if isinstance(x2, Tensor):
            return (b, x1.data.dtype, x2._b, x2.data.dtype) if x2._b is b else None
        tensor, scalar, key = x1, x2, (b, x1.data.dtype, x2.__class__)
    elif isinstance(x2, Tensor):
        tensor, scalar, key = x2, x1, (x2._b, x1.__class__, x2.data.dtype)
    else:
        return None
    if scalar.__class__ in _SCALAR_CLASSES or (scalar.__class__ is int and tensor._b.kind(tensor.data.dtype) != "i"):
        return key
    return None


def _build():
    functions = {}
    for table, holomorphic in ((UNARY_HOLOMORPHIC, True), (UNARY_RULES, False)):
        for name, (_, reads, rule) in table.items():
            functions[name] = _unary_function(name, Function(name, reads, (rule,), holomorphic))
    for name, (_, reads, r1, r2) in BINARY_RULES.items():
        functions[name] = _binary_function(name, Function(name, reads, (r1, r2)))
    for name in NONDIFFERENTIABLE_UNARY:
        functions[name] = _unary_function(name, Function(name))
    for name in NONDIFFERENTIABLE_BINARY:
        functions[name] = _binary_function(name, Function(name))
    return functions


FUNCTIONS = _build()
globals().update(FUNCTIONS)


class Clip(Op):
    saves_inputs = True

    def forward(self, xp, x, min, max):
        return xp.clip(x, min, max)

    def backward(self, xp, g, inputs, out):
        x, lo, hi = inputs
        zero = xp.zeros_like(g)
        inside = g
        if lo is not None:
            inside = xp.where(x >= lo, inside, zero)
        if hi is not None:
            inside = xp.where(x <= hi, inside, zero)
        n = self.needs
        if lo is None or hi is None:
            return (inside, xp.where(x < lo, g, zero) if n[1] else None, xp.where(x > hi, g, zero) if n[2] else None)
        # Both bounds: where min > max the result is max, and it takes the gradient (as in PyTorch).
        return (
            inside,
            xp.where((x < lo) & (lo < hi), g, zero) if n[1] else None,
            xp.where((x > hi) | (lo > hi), g, zero) if n[2] else None,
        )


def clip(x, /, min=None, max=None):
    """Clamp ``x`` to [min, max]; the gradient flows to x inside the range (ends included)."""
    require("clip", "if", x, min, max)
    require_promotable("clip", x, min)
    require_promotable("clip", x, max)
    return apply(Clip, x, min, max)


class Where(Op):
    def forward(self, xp, condition, x1, x2):
        return xp.where(condition, x1, x2)

    def backward(self, xp, g, inputs, out):
        c = inputs[0]
        zero = xp.zeros_like(g)
        n = self.needs
        return (None, xp.where(c, g, zero) if n[1] else None, xp.where(c, zero, g) if n[2] else None)


def where(condition, x1, x2, /):
    """Elements of ``x1`` where ``condition`` is true, else of ``x2``; differentiable in both."""
    require("where", "b", condition)
    require_promotable("where", x1, x2)
    return apply(Where, condition, x1, x2)


class AsType(Op):
    def forward(self, xp, x, *, dtype, copy, device):
        kwargs = {"copy": copy}
        if device is not None:
            kwargs["device"] = device
        return xp.astype(x, dtype, **kwargs)

    def backward(self, xp, g, inputs, out):
        return (g,)  # the engine casts back to the input's dtype


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` converted to ``dtype``; differentiable between floating and complex dtypes.
    Complex to real is refused, as the standard asks (take ``real`` or ``abs`` first)."""
    b = x._b if isinstance(x, Tensor) else backend_of(x)
    if b.kind(x.dtype) == "c" and b.kind(dtype) != "c":
        raise TypeError(f"astype: casting complex {x.dtype} to {dtype} would drop the imaginary part; "
                        "take real(x) or abs(x) first")
    if not copy and x.dtype == dtype and device is None:
        return x
    return apply(AsType, x, dtype=dtype, copy=copy, device=device)


__all__ = [*FUNCTIONS, "astype", "clip", "where"]
