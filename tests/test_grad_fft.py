"""Gradients of the fft extension against finite differences, for every norm and with padding/cropping."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make, to_numpy

from acarray.testing import check_grads

NORMS = ["backward", "ortho", "forward"]

# (id, input shape, input dtype, keyword arguments, function name)
ROWS = [
    ("fft", (2, 5), "complex128", {}),
    ("fft", (2, 5), "complex128", {"n": 7}),
    ("fft", (5, 2), "complex128", {"n": 3, "axis": 0}),
    ("ifft", (2, 4), "complex128", {}),
    ("ifft", (2, 4), "complex128", {"n": 6, "axis": -1}),
    ("ifft", (2, 4), "complex128", {"n": 3}),
    ("fftn", (2, 3, 4), "complex128", {}),
    ("fftn", (3, 4), "complex128", {"s": (4, 2)}),
    ("fftn", (2, 3, 4), "complex128", {"s": (2, 5), "axes": (0, 2)}),
    ("ifftn", (3, 4), "complex128", {}),
    ("ifftn", (3, 4), "complex128", {"s": (2, 6), "axes": (1, 0)}),
    ("rfft", (2, 6), "float64", {}),
    ("rfft", (2, 5), "float64", {}),
    ("rfft", (2, 5), "float64", {"n": 8}),
    ("rfft", (6, 2), "float64", {"n": 3, "axis": 0}),
    ("irfft", (2, 4), "complex128", {}),
    ("irfft", (2, 4), "complex128", {"n": 7}),
    ("irfft", (2, 4), "complex128", {"n": 4}),
    ("irfft", (4, 2), "complex128", {"n": 9, "axis": 0}),
    ("rfftn", (3, 4), "float64", {}),
    ("rfftn", (2, 3, 5), "float64", {"s": (4, 3), "axes": (0, 1)}),
    ("irfftn", (3, 4), "complex128", {}),
    ("irfftn", (3, 3), "complex128", {"s": (2, 5)}),
    ("hfft", (2, 4), "complex128", {}),
    ("hfft", (2, 4), "complex128", {"n": 5}),
    ("ihfft", (2, 6), "float64", {}),
    ("ihfft", (2, 5), "float64", {"n": 7}),
]


def _id(row):
    name, shape, _, kw = row
    return name + "-" + "x".join(map(str, shape)) + "".join(f"-{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_fft(xp, rng, row, norm):
    name, shape, dtype, kw = row
    fn = getattr(xp.fft, name)
    x = make(xp, rng, shape, dtype=dtype)
    y = fn(x, norm=norm, **kw)
    ref_kw = dict(kw)
    if "s" in kw and "axes" not in kw:  # the standard's default: the last len(s) axes
        ref_kw["axes"] = tuple(range(-len(kw["s"]), 0))
    expected = getattr(np.fft, name)(to_numpy(x), norm=norm, **ref_kw)
    np.testing.assert_allclose(to_numpy(y), expected, atol=1e-12)
    check_grads(lambda x: fn(x, norm=norm, **kw), x)


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft"])
def test_fft_second_order(xp, rng, name):
    dtype = "float64" if name == "rfft" else "complex128"
    x = make(xp, rng, (5,), dtype=dtype)
    check_grads(lambda x: getattr(xp.fft, name)(x * x, n=6, norm="ortho"), x, order=2)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("axes", [None, 0, (1, 0)])
def test_shifts(xp, rng, name, axes):
    x = make(xp, rng, (3, 4))
    np.testing.assert_array_equal(to_numpy(getattr(xp.fft, name)(x, axes=axes)), getattr(np.fft, name)(to_numpy(x), axes=axes))
    check_grads(lambda x: getattr(xp.fft, name)(x, axes=axes), x)


def test_frequencies(xp):
    np.testing.assert_allclose(to_numpy(xp.fft.fftfreq(5, d=0.5)), np.fft.fftfreq(5, d=0.5))
    np.testing.assert_allclose(to_numpy(xp.fft.rfftfreq(6)), np.fft.rfftfreq(6))


def test_round_trip_gradient(xp, rng):
    x = make(xp, rng, (6,))
    check_grads(lambda x: xp.fft.irfft(xp.fft.rfft(x) * xp.fft.rfft(x), n=6), x, order=2)
