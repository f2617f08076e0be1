"""Shared fixtures: ``xp`` runs a test on every installed backend (CuPy only with a GPU)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import acarray


def _cupy_usable() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _available(name: str) -> bool:
    if name == "cupy":
        return _cupy_usable()
    module = {"array_api_strict": "array_api_strict", "numpy": "numpy"}.get(name, name)
    return importlib.util.find_spec(module) is not None


BACKENDS = ["numpy", "array_api_strict", "torch", "cupy"]


@pytest.fixture(params=BACKENDS)
def xp(request):
    """acarray's namespace on one backend."""
    name = request.param
    if not _available(name):
        pytest.skip(f"backend {name} is not available here" + (" (needs a CUDA GPU)" if name == "cupy" else ""))
    return acarray.namespace(name)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def make(xp, rng, shape, dtype="float64", low=None, high=None):
    """A random tensor of ``shape`` on ``xp``'s backend (uniform in [low, high] when given)."""
    if low is not None:
        values = rng.uniform(low, high, size=shape)
    else:
        values = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        values = values + 1j * rng.standard_normal(shape)
    return xp.asarray(xp.asarray(np.asarray(values)), dtype=getattr(xp, dtype))


def to_numpy(t) -> np.ndarray:
    from acarray.testing import _to_numpy

    return _to_numpy(t)
