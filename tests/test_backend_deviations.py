"""Where a backend departs from the array API standard, acarray does not: against the standard itself.

The expected values are the special cases of the standard (2025.12), written out here case by
case, not what any library computes: array-api-strict runs NumPy's functions, so it is no
reference for the special cases NumPy itself breaks.  A value of unspecified sign is written
as a string, ``"±0"`` or ``"±inf"``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import acarray
from acarray._backend import backend_named

inf, nan, pi = math.inf, math.nan, math.pi

BACKENDS = ["numpy", "torch", "array_api_strict"]


@pytest.fixture(params=BACKENDS)
def ns(request):
    pytest.importorskip(request.param)
    return acarray.namespace(request.param)


def _same(got: float, want) -> bool:
    """Whether ``got`` is the standard's ``want``: NaN is NaN, zeros and infinities carry their sign
    unless ``want`` is a string "±...", other values agree to float32 precision."""
    if isinstance(want, str):
        magnitude = float(want[1:])
        return abs(got) == magnitude
    if want != want:
        return got != got
    if want == 0 or math.isinf(want):
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    return math.isclose(got, want, rel_tol=1e-6)


def _values(t) -> list:
    return np.asarray(t).reshape(-1).tolist()


def _check(name, cases, results):
    bad = [(args, got, want) for (args, want), got in zip(cases, results) if not _same(got, want)]
    assert not bad, f"{name}: (arguments, result, the standard's) {bad}"


def _check_complex(name, cases, results):
    bad = [(z, got, want) for (z, want), got in zip(cases, results)
           if not (_same(got.real, want[0]) and _same(got.imag, want[1]))]
    assert not bad, f"{name}: (argument, result, the standard's) {bad}"


# -- real floating-point operands ---------------------------------------------------

# floor_divide: floor(x1 / x2) where an operand is infinite (Python's // gives NaN and -1 there).
FLOOR_DIVIDE = [
    ((inf, 2.0), inf), ((inf, -2.0), -inf), ((-inf, 2.0), -inf), ((-inf, -2.0), inf),
    ((inf, 0.5), inf), ((-inf, 1e-30), -inf),
    ((1.0, inf), 0.0), ((1.0, -inf), -0.0), ((-1.0, inf), -0.0), ((-1.0, -inf), 0.0),
    ((3.5, -inf), -0.0), ((-1e30, inf), -0.0),
    ((inf, inf), nan), ((-inf, inf), nan), ((nan, 2.0), nan), ((2.0, nan), nan),
    ((0.0, 0.0), nan), ((-0.0, 0.0), nan),
    ((0.0, 2.0), 0.0), ((-0.0, 2.0), -0.0), ((0.0, -2.0), -0.0), ((-0.0, -2.0), 0.0),
    ((2.0, 0.0), inf), ((2.0, -0.0), -inf), ((-2.0, 0.0), -inf), ((-2.0, -0.0), inf),
    ((7.0, 2.0), 3.0), ((-7.0, 2.0), -4.0), ((7.0, -2.0), -4.0), ((-7.0, -2.0), 3.0),
]

# remainder: the sign of x2, zeros included; beside an infinity x1 or x2 (Python's %).
REMAINDER = [
    ((0.0, 2.0), 0.0), ((-0.0, 2.0), 0.0), ((0.0, -2.0), -0.0), ((-0.0, -2.0), -0.0),
    ((4.0, -2.0), -0.0), ((-4.0, 2.0), 0.0), ((3.0, -1.5), -0.0), ((-3.0, 1.5), 0.0),
    ((5.0, -3.0), -1.0), ((-5.0, 3.0), 1.0), ((5.0, 3.0), 2.0),
    ((1.0, inf), 1.0), ((1.0, -inf), -inf), ((-1.0, inf), inf), ((-1.0, -inf), -1.0),
    ((inf, 2.0), nan), ((2.0, 0.0), nan), ((inf, inf), nan), ((nan, 1.0), nan),
]

# pow with exponents +-0.5, which backends compute as sqrt(x) and 1 / sqrt(x).
POW_HALF = [
    ((-0.0, 0.5), 0.0), ((0.0, 0.5), 0.0), ((-inf, 0.5), inf), ((inf, 0.5), inf), ((4.0, 0.5), 2.0),
    ((-4.0, 0.5), nan), ((nan, 0.5), nan),
    ((-0.0, -0.5), inf), ((0.0, -0.5), inf), ((-inf, -0.5), 0.0), ((inf, -0.5), 0.0), ((4.0, -0.5), 0.5),
    ((-4.0, -0.5), nan),
]


def _operands(ns, cases, dtype):
    x1 = ns.asarray([a for (a, _), _ in cases], dtype=dtype)
    x2 = ns.asarray([b for (_, b), _ in cases], dtype=dtype)
    return x1, x2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, cases", [("floor_divide", FLOOR_DIVIDE), ("remainder", REMAINDER),
                                         ("pow", POW_HALF)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_special_cases_of_arrays(ns, name, cases, dtype):
    fn = getattr(ns, name)
    x1, x2 = _operands(ns, cases, getattr(ns, dtype))
    for _ in range(2):  # the general path, then the fast path
        _check(name, cases, _values(fn(x1, x2)))
    # one element at a time (0-d arrays)
    _check(name, cases, [float(fn(x1[i], x2[i])) for i in range(len(cases))])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, cases", [("floor_divide", FLOOR_DIVIDE), ("remainder", REMAINDER),
                                         ("pow", POW_HALF)])
def test_binary_special_cases_beside_python_scalars(ns, name, cases):
    fn = getattr(ns, name)
    x1, x2 = _operands(ns, cases, ns.float64)
    for _ in range(2):
        _check(f"{name}(array, scalar)", cases, [float(fn(x1[i], b)) for i, ((_, b), _) in enumerate(cases)])
        _check(f"{name}(scalar, array)", cases, [float(fn(a, x2[i])) for i, ((a, _), _) in enumerate(cases)])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_pow_of_a_vector_by_a_python_half(ns):
    x = ns.asarray([-0.0, -inf, 0.0, inf, 4.0] * 4)
    _check("x ** 0.5", [((v, 0.5), w) for v, w in zip(_values(x), [0.0, inf, 0.0, inf, 2.0] * 4)], _values(x ** 0.5))
    _check("x ** -0.5", [((v, -0.5), w) for v, w in zip(_values(x), [inf, 0.0, inf, 0.0, 0.5] * 4)],
           _values(x ** -0.5))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_operators_and_in_place_operators_follow_the_standard(ns):
    x1 = ns.asarray([inf, -1.0, 7.0])
    x2 = ns.asarray([2.0, inf, 2.0])
    want = [((inf, 2.0), inf), ((-1.0, inf), -0.0), ((7.0, 2.0), 3.0)]
    _check("x1 // x2", want, _values(x1 // x2))
    y = ns.asarray(x1, copy=True)
    before = y.data
    y //= x2
    _check("x1 //= x2", want, _values(y))
    if ns.__name__ != "acarray.jax":
        assert y.data is before, "an in-place operator writes into its array"
    r = ns.asarray([0.0, 4.0, -0.0])
    r %= -2.0
    _check("x %= -2.0", [((0.0, -2.0), -0.0), ((4.0, -2.0), -0.0), ((-0.0, -2.0), -0.0)], _values(r))
    p = ns.asarray([-0.0, -inf])
    p **= 0.5
    _check("x **= 0.5", [((-0.0, 0.5), 0.0), ((-inf, 0.5), inf)], _values(p))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_floor_divide_keeps_integers_and_its_gradient(ns):
    assert _values(ns.floor_divide(ns.asarray([7, -7]), ns.asarray([2, 2]))) == [3, -4]
    x = ns.asarray([inf, 5.0], requires_grad=True)
    y = ns.sum(ns.floor_divide(x, 2.0))
    y.backward()
    assert _values(x.grad) == [0.0, 0.0]


# -- complex floating-point operands ------------------------------------------------

def _cis(r, b):
    return (r * math.cos(b), r * math.sin(b))


# expm1: the standard's table (and expm1(conj(z)) == conj(expm1(z)) for the negative imaginary parts).
EXPM1 = [
    ((0.0, 0.0), ("±0", 0.0)), ((-0.0, 0.0), ("±0", 0.0)),
    ((1.0, inf), (nan, nan)), ((1.0, nan), (nan, nan)),
    ((inf, 0.0), (inf, 0.0)), ((inf, -0.0), (inf, -0.0)),
    ((-inf, 1.0), (_cis(0.0, 1.0)[0] - 1.0, 0.0)), ((-inf, -1.0), (-1.0, -0.0)), ((-inf, 0.0), (-1.0, 0.0)),
    ((inf, 1.0), (inf, inf)), ((inf, 2.0), (-inf, inf)), ((inf, -2.0), (-inf, -inf)),
    ((-inf, inf), (-1.0, "±0")), ((inf, inf), ("±inf", nan)),
    ((-inf, nan), (-1.0, "±0")), ((inf, nan), ("±inf", nan)),
    ((nan, 0.0), (nan, 0.0)), ((nan, -0.0), (nan, -0.0)), ((nan, 1.0), (nan, nan)), ((nan, nan), (nan, nan)),
]

LOG1P = [
    ((-1.0, 0.0), (-inf, 0.0)), ((1.0, inf), (inf, pi / 2)), ((1.0, nan), (nan, nan)),
    ((-inf, 1.0), (inf, pi)), ((inf, 1.0), (inf, 0.0)), ((-inf, inf), (inf, 3 * pi / 4)),
    ((inf, inf), (inf, pi / 4)), ((inf, nan), (inf, nan)), ((-inf, nan), (inf, nan)),
    ((nan, 1.0), (nan, nan)), ((nan, inf), (inf, nan)), ((nan, -inf), (inf, nan)), ((nan, nan), (nan, nan)),
]

ACOS = [
    ((0.0, 0.0), (pi / 2, -0.0)), ((-0.0, 0.0), (pi / 2, -0.0)), ((0.0, -0.0), (pi / 2, 0.0)),
    ((0.0, nan), (pi / 2, nan)), ((1.0, inf), (pi / 2, -inf)), ((-inf, 1.0), (pi, -inf)),
    ((inf, 1.0), (0.0, -inf)), ((-inf, inf), (3 * pi / 4, -inf)), ((inf, inf), (pi / 4, -inf)),
    ((nan, inf), (nan, -inf)), ((nan, nan), (nan, nan)),
]

# round: each part on its own, as real round does it.
ROUND = [
    ((0.0, inf), (0.0, inf)), ((2.5, -inf), (2.0, -inf)), ((inf, nan), (inf, nan)), ((-0.0, 1.5), (-0.0, 2.0)),
    ((-0.4, -0.0), (-0.0, -0.0)), ((nan, 3.0), (nan, 3.0)), ((-inf, -0.6), (-inf, -1.0)),
]


def _complex_array(ns, zs, dtype):
    return ns.asarray(np.array([complex(*z) for z in zs], dtype=dtype))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name, cases", [("expm1", EXPM1), ("log1p", LOG1P), ("acos", ACOS), ("round", ROUND)])
@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_complex_special_cases(ns, name, cases, dtype):
    fn = getattr(ns, name)
    z = _complex_array(ns, [c for c, _ in cases], dtype)
    for _ in range(2):
        _check_complex(name, cases, np.asarray(fn(z)).tolist())
    _check_complex(name, cases, [complex(fn(z[i])) for i in range(len(cases))])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_real_functions_beside_the_corrected_complex_ones(ns):
    x = ns.asarray([-inf, -0.0, 0.0, inf, nan, -1.0])
    _check("expm1", list(zip(_values(x), [-1.0, -0.0, 0.0, inf, nan, math.expm1(-1.0)])), _values(ns.expm1(x)))
    _check("log1p", list(zip(_values(x), [nan, -0.0, 0.0, inf, nan, -inf])), _values(ns.log1p(x)))
    _check("round", list(zip(_values(x), [-inf, -0.0, 0.0, inf, nan, -1.0])), _values(ns.round(x)))


# -- what the corrections cost -------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("fname", ["add", "subtract", "multiply", "divide", "exp", "tanh", "log", "sqrt",
                                   "maximum", "negative"])
def test_functions_without_deviations_run_the_backend_function_itself(name, fname):
    pytest.importorskip(name)
    b = backend_named(name)
    assert b.kernel(fname) is getattr(b.xp, fname)


# -- conversions ---------------------------------------------------------------------

def test_a_copy_to_numpy_is_a_copy_on_every_backend(ns):
    t = ns.asarray([1.0, 2.0])
    a = np.array(t, copy=True)
    a[0] = 5.0
    assert _values(t) == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
