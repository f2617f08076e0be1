"""Drawing examples: the :class:`Env` a case's draw function asks for dtypes, shapes and arrays.

Everything is drawn with Hypothesis's array-API strategies on array-api-strict.
The same draw function serves two modes.  In ``"values"`` mode dtypes come from
all the backend's dtypes of the requested kinds (now and then from any dtype, so
that invalid input is tried too) and elements include special values (NaN,
infinities, signed zeros, extremes).  In ``"grad"`` mode floating arrays are
float64 or complex128 (float32 or complex64 on a backend without them, checked
with looser tolerances), small, and their elements lie inside the function's
smooth domain ``(lo, hi)``, as finite differences need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import array_api_strict as strict
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

xps = make_strategies_namespace(strict, api_version="2025.12")

FLOATING = "real floating", "complex floating"
NUMERIC = "numeric"
REAL = "real floating", "integral"
INTEGRAL = "integral"
INT_OR_BOOL = "integral", "bool"
ANY = "numeric", "bool"


@dataclass(frozen=True)
class Call:
    """The arguments of one example (array-api-strict arrays and dtypes, Python values)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        parts = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"({', '.join(parts)})"


def _short(v) -> str:
    text = repr(v).replace("\n", " ")
    text = " ".join(text.split())
    return text if len(text) < 200 else text[:197] + "..."


class Env:
    """What a case's draw function can ask for, in ``mode`` "values" or "grad"."""

    def __init__(self, draw, target_dtypes, mode: str, complex_grad: bool = True, backend: str = ""):
        self.draw = draw
        self.backend = backend
        self.mode = mode
        self.grad = mode == "grad"
        self.available = [getattr(strict, n) for n in target_dtypes]
        self.complex_grad = complex_grad

    # -- dtypes ---------------------------------------------------------------------

    def of_kinds(self, kinds) -> list:
        return [d for d in self.available if strict.isdtype(d, kinds)]

    def dtype(self, kinds=ANY, *, strict_kinds: bool = False):
        """A dtype of ``kinds``; in values mode sometimes any dtype (unless ``strict_kinds``)."""
        choices = self.of_kinds(kinds)
        if self.grad:  # double precision, or single where the backend has no float64
            for real, cplx in ((strict.float64, strict.complex128), (strict.float32, strict.complex64)):
                floating = [d for d in (real, cplx) if d in choices and (d == real or self.complex_grad)]
                if floating:
                    return self.draw(st.sampled_from(floating))
        if not choices:
            raise LookupError(f"the backend has no dtype of kinds {kinds}")
        if not self.grad and not strict_kinds and self.draw(st.integers(0, 9)) == 0:
            return self.draw(st.sampled_from(self.available))
        return self.draw(st.sampled_from(choices))

    # -- shapes and axes ----------------------------------------------------------------

    def shape(self, min_dims=0, max_dims=3, min_side=0, max_side=4) -> tuple:
        if self.grad:
            max_dims, max_side, min_side = min(max_dims, 3), min(max_side, 3), max(min_side, 1)
        return self.draw(xps.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))

    def shapes(self, n: int, min_dims=0, max_dims=3, min_side=0) -> tuple:
        """``n`` mutually broadcastable shapes."""
        side = 3 if self.grad else 4
        r = self.draw(xps.mutually_broadcastable_shapes(
            n, min_dims=min_dims, max_dims=max_dims, min_side=max(min_side, 1 if self.grad else 0), max_side=side))
        return r.input_shapes

    def axis(self, ndim: int, none: bool = False):
        """A valid axis of an ``ndim``-d array (negative ones too), or None when allowed."""
        if ndim == 0:
            return None if none else 0
        options = st.integers(-ndim, ndim - 1)
        return self.draw(st.none() | options if none else options)

    def axes(self, ndim: int):
        """None, one axis, or a tuple of distinct axes (possibly negative)."""
        return self.draw(st.none() | (st.integers(-ndim, ndim - 1) if ndim else st.nothing())
                         | xps.valid_tuple_axes(ndim))

    def flag(self) -> bool:
        return self.draw(st.booleans())

    def pick(self, *options):
        return self.draw(st.sampled_from(options))

    def integer(self, lo, hi) -> int:
        return self.draw(st.integers(lo, hi))

    # -- arrays ---------------------------------------------------------------------------

    def array(self, dtype, shape, domain=None, *, bounded=False, unique=False):
        """An array of ``dtype`` and ``shape``.

        ``domain`` is ``(lo, hi)`` or ``(lo, hi, gap)``: floating elements lie in
        ``(lo, hi)`` with ``|x| >= gap``, in grad mode or when ``bounded`` is set;
        otherwise they range over everything the dtype holds.  Integer elements are
        clipped to the domain only when ``bounded``.
        """
        elements = None
        if domain is not None and (self.grad or bounded):
            lo, hi, gap = (*domain, 0.0)[:3]
            if strict.isdtype(dtype, FLOATING):
                width = 32 if dtype in (strict.float32, strict.complex64) else 64
                elements = _floats(lo, hi, gap, width)
                if strict.isdtype(dtype, "complex floating"):
                    elements = st.builds(complex, elements, elements)
            elif bounded and strict.isdtype(dtype, "integral"):
                info = strict.iinfo(dtype)
                elements = st.integers(max(int(lo), info.min), min(int(hi), info.max))
        return self.draw(xps.arrays(dtype, shape, elements=elements, unique=unique))

    def arrays_like(self, kinds, n: int, domain=None, *, same_dtype=False, bounded=False):
        """``n`` arrays of broadcastable shapes whose dtypes share ``kinds`` (mixed now and then).

        ``domain`` is one domain for all, or a list with one per array.  In grad mode
        two arrays of one shape are sometimes the same array, so that gradients of
        both uses must add up.
        """
        shapes = self.shapes(n)
        domains = domain if isinstance(domain, list) else [domain] * n
        first = self.dtype(kinds)
        out = []
        for s, dom in zip(shapes, domains):
            d = first if same_dtype or self.grad or self.draw(st.integers(0, 2)) else self.dtype(
                kinds if self.draw(st.integers(0, 3)) == 0 else kind_of(first), strict_kinds=True)
            out.append(self.array(d, s, dom, bounded=bounded))
        if self.grad and n == 2 and shapes[0] == shapes[1] and domains[0] == domains[1] and self.draw(st.integers(0, 3)) == 0:
            out[1] = out[0]
        return out


def kind_of(dtype) -> str:
    """The standard's kind a dtype belongs to (dtypes of one kind always promote, but uint64)."""
    return next(k for k in ("bool", "signed integer", "unsigned integer", "real floating", "complex floating")
                if strict.isdtype(dtype, k))


def _floats(lo, hi, gap, width):
    if width == 32:  # bounds must be float32 numbers themselves
        lo, hi, gap = (float(np.float32(v)) for v in (lo, hi, gap))
    kw = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)
    if gap <= 0:
        return st.floats(lo, hi, **kw)
    parts = [st.floats(max(lo, gap), hi, **kw)] if hi > gap else []
    if lo < -gap:
        parts.append(st.floats(lo, min(hi, -gap), **kw))
    return st.one_of(parts)
