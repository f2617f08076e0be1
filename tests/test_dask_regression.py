"""The Dask example: its gradient stays a Dask graph until computed and equals NumPy's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import acarray

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dask_regression.py"


def _example():
    spec = importlib.util.spec_from_file_location("dask_regression", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gradient_is_lazy_and_matches_numpy():
    ex = _example()
    rng = np.random.default_rng(0)
    Xn = rng.standard_normal((40, 3))
    yn = (rng.standard_normal(40) > 0).astype("float64")
    wn = rng.standard_normal(3)

    xd = acarray.namespace("dask")
    loss, grad = ex.loss_and_gradient(
        xd, da.from_array(wn, chunks=3), xd.asarray(da.from_array(Xn, chunks=(10, 3))), xd.asarray(da.from_array(yn, chunks=10))
    )
    assert isinstance(grad, da.Array) and isinstance(loss, da.Array), "the gradient was computed eagerly"

    xn = acarray.namespace("numpy")
    loss_np, grad_np = ex.loss_and_gradient(xn, wn, xn.asarray(Xn), xn.asarray(yn))
    with dask.config.set(scheduler="synchronous"):
        loss, grad = dask.compute(loss, grad)
    np.testing.assert_allclose(grad, grad_np, rtol=1e-12)
    np.testing.assert_allclose(loss, loss_np, rtol=1e-12)
    z = Xn @ wn
    np.testing.assert_allclose(grad, Xn.T @ (1 / (1 + np.exp(-z)) - yn) / len(yn), rtol=1e-10)


def test_fit_reduces_the_loss():
    ex = _example()
    X, y, true_w = ex.make_data(400, 3, 100)
    with dask.config.set(scheduler="synchronous"):
        w = ex.fit(X, y, steps=15, lr=1.0, verbose=False)
        Xc, yc = dask.compute(X, y)
    xn = acarray.namespace("numpy")
    before = float(ex.logistic_loss(xn, xn.zeros(3, dtype=xn.float64), xn.asarray(Xc), xn.asarray(yc)))
    after = float(ex.logistic_loss(xn, xn.asarray(w), xn.asarray(Xc), xn.asarray(yc)))
    assert after < 0.7 * before
    assert float(w @ true_w) / (np.linalg.norm(w) * np.linalg.norm(true_w)) > 0.95


def test_what_stays_lazy_and_what_computes():
    calls = []

    def counting_scheduler(dsk, keys, **kwargs):
        calls.append(keys)
        return dask.get(dsk, keys, **kwargs)

    xd = acarray.namespace("dask")
    x = xd.asarray(da.from_array(np.linspace(0.1, 1.0, 12).reshape(4, 3), chunks=2), requires_grad=True)
    rows = xd.asarray(da.from_array(np.array([0, 2, 2])))
    with dask.config.set(scheduler=counting_scheduler):
        y = (
            xd.sum(x[rows, ...] ** 2)
            + xd.sum(xd.max(x, axis=0))
            + xd.sum(x[1:3, ::2])
            + xd.sum(xd.special.erf(x))
            + xd.sum(xd.cumulative_sum(x, axis=0))
            + xd.sum(xd.linalg.vector_norm(x, axis=1))
        )
        y.backward()
        assert calls == [], "recording or backward computed something"
        xd.sum(xd.cumulative_prod(x, axis=0)).backward()
        assert len(calls) == 1, "cumulative_prod's zero check computes once"
