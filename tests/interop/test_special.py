"""acarray.special: values from each backend's own library, first and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from conftest import make, to_numpy

import acarray
from acarray.testing import check_grads

# name -> input domain (low, high)
UNARY = {
    "erf": (-2, 2), "erfc": (-2, 2), "erfinv": (-0.9, 0.9), "expit": (-3, 3), "logit": (0.1, 0.9),
    "gammaln": (0.5, 3), "digamma": (0.5, 3), "psi": (0.5, 3), "ndtr": (-2, 2), "ndtri": (0.1, 0.9),
    "log_ndtr": (-3, 3), "entr": (0.1, 2), "i0": (-2, 2), "i0e": (-2, 2), "i1": (-2, 2), "i1e": (-2, 2),
    "sinc": (-2, 2),
}
BINARY = {"xlogy": ((-1, 1), (0.2, 2)), "xlog1py": ((-1, 1), (0.2, 2)), "kl_div": ((0.2, 2), (0.2, 2))}
CONSTANT_FIRST = {"gammainc": 2.5, "gammaincc": 0.7, "polygamma": 2}


def _reference(name):
    return np.sinc if name == "sinc" else getattr(scipy.special, name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(xp, rng, name):
    x = make(xp, rng, (5,), low=UNARY[name][0], high=UNARY[name][1])
    y = getattr(xp.special, name)(x)
    assert y.__array_namespace__() is xp
    np.testing.assert_allclose(to_numpy(y), _reference(name)(to_numpy(x)), rtol=1e-6)
    check_grads(getattr(xp.special, name), x, order=2, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(xp, rng, name):
    (a_lo, a_hi), (b_lo, b_hi) = BINARY[name]
    a, b = make(xp, rng, (5,), low=a_lo, high=a_hi), make(xp, rng, (5,), low=b_lo, high=b_hi)
    np.testing.assert_allclose(to_numpy(getattr(xp.special, name)(a, b)), _reference(name)(to_numpy(a), to_numpy(b)))
    check_grads(getattr(xp.special, name), a, b, order=2, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(CONSTANT_FIRST))
def test_constant_first_argument(xp, rng, name):
    c = CONSTANT_FIRST[name]
    x = make(xp, rng, (5,), low=0.5, high=3)
    f = lambda t: getattr(xp.special, name)(c, t)
    np.testing.assert_allclose(to_numpy(f(x)), _reference(name)(c, to_numpy(x)), rtol=1e-6)
    check_grads(f, x, order=2, rtol=1e-4)


def test_betainc(xp, rng):
    a = make(xp, rng, (5,), low=0.5, high=3)
    x = make(xp, rng, (5,), low=0.1, high=0.9)
    f = lambda t: xp.special.betainc(a, 2.0, t)
    np.testing.assert_allclose(to_numpy(f(x)), scipy.special.betainc(to_numpy(a), 2.0, to_numpy(x)), rtol=1e-6)
    check_grads(f, x, order=2, rtol=1e-4)
    y = xp.sum(xp.special.betainc(a.requires_grad_(True), 2.0, x))
    with pytest.raises(TypeError, match="not differentiable in its shape parameters"):
        y.backward()


def test_removable_singularities_at_zero(xp):
    x = xp.asarray(xp.asarray(np.zeros(3)), dtype=xp.float64, requires_grad=True)
    expected = {"sinc": 0.0, "i1": 0.5, "i1e": 0.5, "i0": 0.0}
    for name, slope in expected.items():
        (g,) = acarray.autograd.grad(xp.sum(getattr(xp.special, name)(x)), x)
        np.testing.assert_allclose(to_numpy(g), slope, err_msg=name)
    # x log y at x = 0, y = 0 is 0, and its gradient in x is 0 there
    (g,) = acarray.autograd.grad(xp.sum(xp.special.xlogy(x, xp.zeros_like(x))), x)
    np.testing.assert_allclose(to_numpy(g), 0.0)


def test_order_is_not_differentiable(xp, rng):
    a = make(xp, rng, (3,), low=1, high=2).requires_grad_(True)
    y = xp.sum(xp.special.gammainc(a, make(xp, rng, (3,), low=1, high=2)))
    with pytest.raises(TypeError, match="not differentiable in its first argument"):
        y.backward()


def test_scipy_dispatches_to_acarray_special():
    x = acarray.asarray([0.1, 0.5], requires_grad=True)
    y = scipy.special.erf(x)
    assert isinstance(y, acarray.Tensor)
    assert y.grad_fn is not None and y.grad_fn.name == "Erf"


def test_dask_stays_lazy():
    da = pytest.importorskip("dask.array")
    xd = acarray.namespace("dask")
    x = xd.asarray(da.from_array(np.linspace(-1, 1, 8), chunks=4), requires_grad=True)
    y = xd.sum(xd.special.erf(x) * xd.special.expit(x))
    y.backward()
    assert isinstance(x.grad, da.Array)
    t = np.linspace(-1, 1, 8)
    e, s = scipy.special.erf(t), scipy.special.expit(t)
    np.testing.assert_allclose(x.grad.compute(), 2 / np.sqrt(np.pi) * np.exp(-t * t) * s + e * s * (1 - s))
