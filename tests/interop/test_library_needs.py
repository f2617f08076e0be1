"""What SciPy's array-API code asks of a namespace beyond the standard's letter."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_numpy

import acarray
from acarray.testing import check_grads


@pytest.mark.parametrize("shape", [3, (2, 3)])
def test_full_takes_a_0d_array_fill_value(xp, shape):
    # scipy._lib._elementwise_iterative_method: xp.full(n, xp.asarray(status), dtype=xp.int32)
    t = xp.full(shape, xp.asarray(-2), dtype=xp.int32)
    assert t.dtype == xp.int32
    np.testing.assert_array_equal(to_numpy(t), np.full(shape, -2))
    like = xp.full_like(xp.zeros((2, 2), dtype=xp.float64), xp.asarray(1.5, dtype=xp.float64))
    np.testing.assert_array_equal(to_numpy(like), np.full((2, 2), 1.5))


def test_full_is_differentiable_in_a_0d_tensor_fill_value(xp):
    fill = xp.asarray(0.7, dtype=xp.float64)
    check_grads(lambda v: xp.full((2, 3), v) * xp.full_like(xp.ones((2, 3), dtype=xp.float64), v), fill)
    with pytest.raises(ValueError, match="0-d"):
        xp.full((2,), xp.ones((2,), dtype=xp.float64))


@pytest.mark.parametrize("backend", ["torch", "dask"])  # array-api-strict refuses NumPy scalars itself
def test_numpy_scalars_are_scalars_on_every_backend(backend):
    # SciPy computes `rel_diff < xp.finfo(dtype).eps * 10`; CuPy's and Dask's finfo give NumPy scalars.
    pytest.importorskip(backend)
    xp = acarray.namespace(backend)
    x = xp.asarray(xp.asarray(np.array([0.5, 2.0])), dtype=xp.float64)
    check_grads(lambda t: t * np.float64(3.0) + xp.astype(t < np.float64(1.0), t.dtype) * t, x)
