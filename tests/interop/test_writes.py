"""Library code writes into arrays; gradients stay right through those writes, and a tensor
that requires grad refuses to become a NumPy array."""

from __future__ import annotations

import array_api_extra as xpx
import numpy as np
import pytest

import acarray
from acarray.autograd import grad
from acarray.testing import check_grads

BACKENDS = ("numpy", "array_api_strict", "torch")


@pytest.fixture(params=BACKENDS)
def xp(request):
    pytest.importorskip(request.param)
    return acarray.namespace(request.param)


def _tensor(xp, values):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=np.float64)))


def test_write_into_an_output_that_its_op_saved(xp):
    # scipy.stats.zscore: z = a / s, then z[constant slices] = nan; Divide saved z for backward.
    def f(a, s):
        z = a / s
        z[z > 1.0] = 0.0
        return z

    check_grads(f, _tensor(xp, [0.5, 2.0, -1.0, 3.0]), _tensor(xp, [1.5, 0.7, 2.0, 1.1]))


def test_write_into_an_input_that_an_op_saved(xp):
    # sklearn.preprocessing.normalize: norms = sum(X * X) (Multiply saves X), then X /= norms.
    def f(a):
        x = a * 1.0
        norms = xp.sqrt(xp.sum(x * x, axis=1))
        x /= norms[:, None]
        return x

    check_grads(f, _tensor(xp, [[0.5, 2.0], [-1.0, 3.0], [1.2, -0.3]]))


def test_array_api_extra_at_writes_in_place(xp):
    def f(a, b):
        x = a * 2.0
        x = xpx.at(x, (slice(1, 3), ...)).multiply(b[1:3, ...], copy=False)
        return xpx.at(x, x < 0).set(0.25)

    a = _tensor(xp, [[0.5, -2.0], [1.0, 3.0], [-1.2, 0.3]])
    check_grads(f, a, a * 0.5 + 1.0)


def test_recorded_backward_refuses_an_overwritten_input(xp):
    a = _tensor(xp, [0.5, 2.0, -1.0]).requires_grad_(True)
    x = a * 1.0
    y = xp.sum(x * x)
    x[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        grad(y, a, create_graph=True)
    (g,) = grad(y, a)  # first order reads the values saved before the write
    np.testing.assert_allclose(np.asarray(g.detach()), 2 * np.array([0.5, 2.0, -1.0]))


def test_numpy_conversion_refuses_a_tensor_that_requires_grad():
    x = acarray.asarray([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="x.detach()"):
        np.asarray(x)
    np.testing.assert_array_equal(np.asarray(x.detach()), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(acarray.asarray([1.0, 2.0])), [1.0, 2.0])
