"""Gradients of the element-wise functions, clip, where and astype against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make, to_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from acarray.testing import check_grads

ANY = (None, None)  # standard normal values
POS = (0.5, 2.0)
UNIT = (-0.9, 0.9)
ABOVE_ONE = (1.2, 3.0)
AWAY_FROM_ZERO = (0.3, 2.0)  # used with random signs

# name -> input domain (low, high); values outside integers/0 keep piecewise functions smooth.
UNARY = {
    "abs": AWAY_FROM_ZERO,
    "acos": UNIT,
    "acosh": ABOVE_ONE,
    "asin": UNIT,
    "asinh": ANY,
    "atan": ANY,
    "atanh": UNIT,
    "ceil": (0.1, 0.9),
    "conj": ANY,
    "cos": ANY,
    "cosh": ANY,
    "exp": ANY,
    "expm1": ANY,
    "floor": (0.1, 0.9),
    "log": POS,
    "log1p": POS,
    "log2": POS,
    "log10": POS,
    "negative": ANY,
    "positive": ANY,
    "real": ANY,
    "reciprocal": AWAY_FROM_ZERO,
    "round": (0.1, 0.4),
    "sign": AWAY_FROM_ZERO,
    "sin": ANY,
    "sinh": ANY,
    "sqrt": POS,
    "square": ANY,
    "tan": UNIT,
    "tanh": ANY,
    "trunc": (0.1, 0.9),
}

# Functions whose second derivative is checked as well.
SECOND_ORDER = {"acos", "asinh", "atanh", "exp", "log", "log2", "reciprocal", "sqrt", "tan", "tanh", "cosh"}

# name -> (domain of x1, domain of x2)
BINARY = {
    "add": (ANY, ANY),
    "atan2": (ANY, ANY),
    "copysign": (AWAY_FROM_ZERO, AWAY_FROM_ZERO),
    "divide": (ANY, AWAY_FROM_ZERO),
    "floor_divide": ((0.1, 0.9), (1.5, 1.9)),
    "hypot": (ANY, ANY),
    "logaddexp": (ANY, ANY),
    "maximum": (ANY, ANY),
    "minimum": (ANY, ANY),
    "multiply": (ANY, ANY),
    "nextafter": (ANY, ANY),
    "pow": (POS, ANY),
    "remainder": ((2.1, 2.9), (1.1, 1.4)),
    "subtract": (ANY, ANY),
}
BINARY_SECOND_ORDER = {"atan2", "divide", "hypot", "logaddexp", "multiply", "pow"}


def signed(xp, rng, shape, domain):
    """Values in ``domain``; the AWAY_FROM_ZERO domain gets random signs."""
    t = make(xp, rng, shape, low=domain[0], high=domain[1])
    if domain is AWAY_FROM_ZERO:
        t = t * xp.asarray(xp.asarray(rng.choice([-1.0, 1.0], size=shape)), dtype=t.dtype)
    return t


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(xp, rng, name):
    x = signed(xp, rng, (2, 3), UNARY[name])
    # Twice: the first call of a signature takes the general path; later calls take the fast one,
    # where an op with one argument that needs a gradient records that argument's rule alone.
    for _ in range(2):
        check_grads(getattr(xp, name), x, order=2 if name in SECOND_ORDER else 1)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcasting(xp, rng, name):
    d1, d2 = BINARY[name]
    x1 = signed(xp, rng, (2, 1, 3), d1)
    x2 = signed(xp, rng, (4, 1), d2)
    check_grads(getattr(xp, name), x1, x2, order=2 if name in BINARY_SECOND_ORDER else 1)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_python_scalar(xp, rng, name):
    d1, d2 = BINARY[name]
    fn = getattr(xp, name)
    s1 = float(np.mean(d1)) if d1 is not ANY else 0.7
    s2 = float(np.mean(d2)) if d2 is not ANY else 0.7
    for _ in range(2):  # the general path, then the fast one (see test_unary)
        check_grads(lambda x: fn(x, s2), signed(xp, rng, (3,), d1), order=2 if name in BINARY_SECOND_ORDER else 1)
        check_grads(lambda x: fn(s1, x), signed(xp, rng, (3,), d2), order=2 if name in BINARY_SECOND_ORDER else 1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       name=st.sampled_from(["add", "multiply", "divide", "maximum", "hypot"]), seed=st.integers(0, 100))
def test_binary_random_broadcasting(xp, shapes, name, seed):
    rng = np.random.default_rng(seed)
    s1, s2 = shapes.input_shapes
    d2 = AWAY_FROM_ZERO if name == "divide" else ANY
    x1, x2 = make(xp, rng, s1), signed(xp, rng, s2, d2)
    y = getattr(xp, name)(x1, x2)
    assert y.shape == shapes.result_shape
    check_grads(getattr(xp, name), x1, x2)


def test_operators_match_functions(xp, rng):
    a, b = make(xp, rng, (2, 3)), make(xp, rng, (3,), low=0.5, high=1.5)
    check_grads(lambda a, b: (a + b) * (a - b) / b - a**2 + 2.0 ** b + b ** 3, a, b, order=2)
    check_grads(lambda a: -a + (+a) + abs(a) + 1.5 - a * 3 + 1 / (2 + a * a), a)


@pytest.mark.parametrize("name, weight", [("maximum", 0.5), ("minimum", 0.5)])
def test_binary_ties_split_evenly(xp, name, weight):
    a = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64, requires_grad=True)
    b = xp.asarray([1.0, 0.0, 5.0], dtype=xp.float64, requires_grad=True)
    xp.sum(getattr(xp, name)(a, b)).backward()
    if name == "maximum":
        np.testing.assert_allclose(to_numpy(a.grad), [weight, 1.0, 0.0])
        np.testing.assert_allclose(to_numpy(b.grad), [weight, 0.0, 1.0])
    else:
        np.testing.assert_allclose(to_numpy(a.grad), [weight, 0.0, 1.0])
        np.testing.assert_allclose(to_numpy(b.grad), [weight, 1.0, 0.0])


def test_abs_gradient_is_zero_at_zero(xp):
    x = xp.asarray([-2.0, 0.0, 3.0], dtype=xp.float64, requires_grad=True)
    xp.sum(xp.abs(x)).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [-1.0, 0.0, 1.0])


def test_clip_scalar_bounds(xp, rng):
    x = xp.asarray([-2.0, -0.5, 0.3, 0.9, 2.0], dtype=xp.float64)
    check_grads(lambda x: xp.clip(x, -1.0, 1.0), x)
    check_grads(lambda x: xp.clip(x, min=-1.0), x)
    check_grads(lambda x: xp.clip(x, max=0.5), x)


def test_clip_array_bounds(xp, rng):
    x = xp.asarray([-2.0, -0.5, 0.3, 0.9, 2.0], dtype=xp.float64)
    lo = xp.asarray([-1.0, -1.0, 0.5, -1.0, -1.0], dtype=xp.float64)
    hi = xp.asarray([1.0, -0.8, 1.0, 1.0, 1.5], dtype=xp.float64)
    check_grads(lambda x, lo, hi: xp.clip(x, lo, hi), x, lo, hi)


def test_clip_ends_pass_gradient_to_x(xp):
    x = xp.asarray([-1.0, 0.0, 1.0], dtype=xp.float64, requires_grad=True)
    xp.sum(xp.clip(x, -1.0, 1.0)).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [1.0, 1.0, 1.0])


def test_where(xp, rng):
    cond = xp.asarray(xp.asarray(np.array([[True, False, True], [False, False, True]])))
    a, b = make(xp, rng, (2, 3)), make(xp, rng, (3,))
    check_grads(lambda a, b: xp.where(cond, a, b), a, b, order=2)
    check_grads(lambda a: xp.where(cond, a, 0.5), a)


def test_astype_between_real_and_complex(xp, rng):
    x = make(xp, rng, (4,))
    check_grads(lambda x: xp.astype(x, xp.complex128) * (1 + 2j), x)
    check_grads(lambda x: xp.astype(x * x, xp.float64, copy=True), x, order=2)


def test_astype_to_lower_precision_casts_gradient_back(xp, rng):
    x = make(xp, rng, (3,)).requires_grad_(True)
    y = xp.astype(x, xp.float32)
    assert y.dtype == xp.float32
    xp.sum(y * 2).backward()
    assert x.grad.dtype == xp.float64
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 2.0, 2.0])


def test_nondifferentiable_results_have_no_grad(xp, rng):
    x = make(xp, rng, (3,)).requires_grad_(True)
    for name in ("equal", "less", "greater_equal", "isfinite", "isnan", "signbit"):
        r = getattr(xp, name)(x, x) if name in ("equal", "less", "greater_equal") else getattr(xp, name)(x)
        assert r.dtype == xp.bool and not r.requires_grad
