"""Special functions (``acarray.<backend>.special``): one table of gradient rules, kernels per backend.

Each function runs the backend's own special-function library, as
:meth:`~acarray._backend.Backend.special_function` finds it: SciPy for NumPy,
``cupyx.scipy.special`` for CuPy, ``torch.special``, ``jax.scipy.special``;
Dask maps SciPy over the blocks (lazily), and array-api-strict (and PyTorch for
``betainc`` and ``kl_div``, which torch.special lacks) converts through NumPy and SciPy and back.  SciPy's array-API dispatch looks for these functions
on ``xp.special``, so ``scipy.special.erf(t)`` and the SciPy functions built on
them stay differentiable.

Gradient rules are written with namespace operations and the special functions
themselves (through :func:`special_of`), so they are differentiable again.
"""

from __future__ import annotations

import math
import types

from .._autograd import Op, apply
from .._backend import backend_for_namespace
from .common import public
from .elementwise import Function

SQRT_2PI = math.sqrt(2 * math.pi)
_SCALARS = (int, float)

_KERNEL_NAMES = {"psi": "digamma"}  # acarray name -> library name, where they differ


def kernel(b, name: str):
    """The raw special function ``name`` of backend ``b`` (raw arrays in and out; see
    :meth:`~acarray._backend.Backend.special_function`)."""
    return b.special_function(_KERNEL_NAMES.get(name, name), several=name in BINARY_RULES or name == "betainc")


class _Kernels:
    """The raw special functions of one backend, as attributes."""

    def __init__(self, b):
        self.b = b

    def __getattr__(self, name):
        return kernel(self.b, name)


def special_of(xp):
    """The special functions that go with namespace ``xp``: acarray's own while a
    backward pass is recorded (``xp`` is an acarray namespace), else the backend's kernels."""
    own = getattr(xp, "special", None)
    if isinstance(own, types.ModuleType) and own.__name__.startswith("acarray."):
        return own
    return _Kernels(backend_for_namespace(xp))


def _safe(xp, x):
    """``x`` with zeros replaced by ones (to divide by where the 0 case is handled separately)."""
    return xp.where(x == 0, xp.ones_like(x), x)


def _at_zero(xp, x, value, elsewhere):
    """``value`` where ``x == 0``, else ``elsewhere``."""
    return xp.where(x == 0, xp.full_like(x, value), elsewhere)


def _near_zero(xp, x, value, elsewhere):
    """``value`` where ``x * x`` is 0 (x is 0 or so small that dividing by it loses the result),
    else ``elsewhere(s)``, with ``s`` x with those elements replaced by ones."""
    tiny = x * x == 0
    return xp.where(tiny, xp.full_like(x, value), elsewhere(xp.where(tiny, xp.ones_like(x), x)))


# name -> (what the rule reads: "x", "y" or "xy"; rule(xp, g, x, y) = g * f'(x)), real functions
UNARY_RULES = {
    "erf": ("x", lambda xp, g, x, y: g * (2 / math.sqrt(math.pi)) * xp.exp(-(x * x))),
    "erfc": ("x", lambda xp, g, x, y: g * (-2 / math.sqrt(math.pi)) * xp.exp(-(x * x))),
    "erfinv": ("y", lambda xp, g, x, y: g * (math.sqrt(math.pi) / 2) * xp.exp(y * y)),
    "expit": ("y", lambda xp, g, x, y: g * y * (1 - y)),
    "logit": ("x", lambda xp, g, x, y: g / (x * (1 - x))),
    "gammaln": ("x", lambda xp, g, x, y: g * special_of(xp).digamma(x)),
    "digamma": ("x", lambda xp, g, x, y: g * special_of(xp).polygamma(1, x)),
    "psi": ("x", lambda xp, g, x, y: g * special_of(xp).polygamma(1, x)),
    "ndtr": ("x", lambda xp, g, x, y: g * xp.exp(-(x * x) / 2) / SQRT_2PI),
    "ndtri": ("y", lambda xp, g, x, y: g * SQRT_2PI * xp.exp(y * y / 2)),
    "log_ndtr": ("xy", lambda xp, g, x, y: g * xp.exp(-(x * x) / 2 - y) / SQRT_2PI),
    "entr": ("x", lambda xp, g, x, y: g * -(xp.log(x) + 1)),
    "i0": ("x", lambda xp, g, x, y: g * special_of(xp).i1(x)),
    "i0e": ("xy", lambda xp, g, x, y: g * (special_of(xp).i1e(x) - xp.sign(x) * y)),
    # i1(x) / x is 1/2 where x * x underflows (x == 0 included): no subnormal division.
    "i1": (
        "xy",
        lambda xp, g, x, y: g * _near_zero(xp, x, 0.5, lambda s: special_of(xp).i0(x) - y / s),
    ),
    "i1e": (
        "xy",
        lambda xp, g, x, y: g * _near_zero(xp, x, 0.5, lambda s: special_of(xp).i0e(x) - y * (xp.sign(x) + 1 / s)),
    ),
    "sinc": ("xy", lambda xp, g, x, y: g * _at_zero(xp, x, 0.0, (xp.cos(math.pi * x) - y) / _safe(xp, x))),
}


def _nonzero(xp, a):
    return xp.astype(a != 0, a.dtype)


def _kl_div_x_rule(xp, g, a, b, y):
    """g * log(x / y), the gradient of kl_div(x, y) in x; 0 where x == 0 (log(1) of ones put
    in place of x and y there, so that the rule's own derivatives stay finite)."""
    zero = a == 0
    one = xp.ones_like(a)
    b = xp.full_like(a, b) if isinstance(b, _SCALARS) else b
    return g * xp.log(xp.where(zero, one, a) / xp.where(zero, one, b))


def _kl_div_y_rule(xp, g, a, b, y):
    """g * (1 - x / y), the gradient of kl_div(x, y) in y; g where x == 0 (kl_div(0, y) = y), y == 0 included."""
    if isinstance(a, _SCALARS):
        return g if a == 0 else g * (1 - a / b)
    return g * xp.where(a == 0, xp.ones_like(a), 1 - a / b)


def _no_gradient(name, what):
    def rule(xp, g, a, b, y):
        raise TypeError(f"acarray.special.{name} is not differentiable in its first argument ({what})")

    return rule


def _gammaln(xp, v):
    """log Gamma(v) of an array or a Python scalar."""
    return math.lgamma(v) if isinstance(v, _SCALARS) else special_of(xp).gammaln(v)


def _gamma_density(xp, a, x):
    """x**(a-1) exp(-x) / Gamma(a): the derivative of gammainc(a, x) in x."""
    return xp.exp(special_of(xp).xlogy(a - 1, x) - x - _gammaln(xp, a))


# name -> (what the rules read, rule for the first argument, rule for the second)
BINARY_RULES = {
    # d/dx x log(y) is log(y), x == 0 included; 0 where x == 0 and y <= 0 (so xlogy(0, 0) = 0 has
    # gradient 0 in x), as in PyTorch.
    "xlogy": (
        "x",
        lambda xp, g, a, b, y: g * special_of(xp).xlogy(xp.astype((a != 0) | (b > 0), a.dtype), b),
        lambda xp, g, a, b, y: g * a / b,
    ),
    "xlog1py": (
        "x",
        lambda xp, g, a, b, y: g * special_of(xp).xlog1py(xp.astype((a != 0) | (b > -1), a.dtype), b),
        lambda xp, g, a, b, y: g * a / (1 + b),
    ),
    # x log(x / y) - x + y; at x == 0 the gradient in x is taken to be 0 (like xlogy's), and the
    # one in y is 1 (kl_div(0, y) = y), y == 0 included.
    "kl_div": (
        "x",
        _kl_div_x_rule,
        _kl_div_y_rule,
    ),
    # Regularized incomplete gamma functions, differentiable in x (not in the shape a).
    "gammainc": ("x", _no_gradient("gammainc", "a shape parameter"), lambda xp, g, a, x, y: g * _gamma_density(xp, a, x)),
    "gammaincc": ("x", _no_gradient("gammaincc", "a shape parameter"), lambda xp, g, a, x, y: -g * _gamma_density(xp, a, x)),
    "polygamma": ("x", _no_gradient("polygamma", "an order"), lambda xp, g, n, x, y: g * special_of(xp).polygamma(n + 1, x)),
}


class SpecialFunction(Function):
    """An element-wise special function: computed by the backend's special-function library."""

    def forward(self, xp, *args):
        return kernel(backend_for_namespace(xp), self.fname)(*args)


def _beta_density(xp, a, b, x):
    """x**(a-1) (1-x)**(b-1) / B(a, b): the derivative of betainc(a, b, x) in x."""
    sp = special_of(xp)
    log_beta = _gammaln(xp, a) + _gammaln(xp, b) - _gammaln(xp, a + b)
    return xp.exp(sp.xlogy(a - 1, x) + sp.xlog1py(b - 1, -x) - log_beta)


class Betainc(Op):
    """The regularized incomplete beta function, differentiable in ``x`` (not in the shapes a, b)."""

    saves_inputs = True

    def forward(self, xp, a, b, x):
        return kernel(backend_for_namespace(xp), "betainc")(a, b, x)

    def backward(self, xp, g, inputs, out):
        a, b, x = inputs
        if self.needs[0] or self.needs[1]:
            raise TypeError("acarray.special.betainc is not differentiable in its shape parameters a and b")
        return (None, None, g * _beta_density(xp, a, b, x))


def betainc(a, b, x, /):
    """``scipy.special.betainc`` on any backend, differentiable in ``x`` (torch: CPU tensors only)."""
    return apply(Betainc, a, b, x)


def _unary(name, function):
    def fn(x, /):
        return apply(function, x)

    return public(name, fn, f"``scipy.special.{name}`` on any backend, differentiable.")


def _binary(name, function):
    def fn(x1, x2, /):
        return apply(function, x1, x2)

    return public(name, fn, f"``scipy.special.{name}`` on any backend, differentiable.")


def _build():
    functions = {}
    for name, (reads, rule) in UNARY_RULES.items():
        functions[name] = _unary(name, SpecialFunction(name, reads, (rule,)))
    for name, (reads, r1, r2) in BINARY_RULES.items():
        functions[name] = _binary(name, SpecialFunction(name, reads, (r1, r2)))
    functions["betainc"] = betainc
    return functions


FUNCTIONS = _build()
