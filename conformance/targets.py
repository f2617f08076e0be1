"""The backend under test: whether it can run here, and moving values onto it.

Examples are drawn as array-api-strict arrays; a :class:`Target` turns them into
acarray tensors of its backend (through NumPy, by value) and knows which dtypes
the backend has, so that nothing it cannot represent is ever drawn.
"""

from __future__ import annotations

import importlib.util

import array_api_strict as strict
import numpy as np

import acarray
from acarray.testing import to_numpy

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "dask", "cupy")
DTYPE_NAMES = (
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float32 float64 complex64 complex128"
).split()
STRICT_ARRAY = type(strict.asarray(0))
STRICT_DTYPE = type(strict.float64)


def unavailable(name: str) -> str | None:
    """Why backend ``name`` cannot run here, or None when it can."""
    if name not in BACKENDS:
        return f"unknown backend (choose from {', '.join(BACKENDS)})"
    module = {"dask": "dask.array"}.get(name, name)
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        return f"{module} is not installed"
    if name == "cupy":
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() < 1:
                return "no CUDA device"
        except Exception as e:  # no driver, no runtime
            return f"no usable CUDA device ({type(e).__name__}: {e})"
    return None


def dtype_name(ns, dtype) -> str | None:
    """The standard's name of ``dtype`` in namespace ``ns`` (None when it is not one)."""
    for name in DTYPE_NAMES:
        if getattr(ns, name, None) == dtype:
            return name
    return None


class Target:
    """acarray on one backend, with conversions from array-api-strict values."""

    def __init__(self, name: str):
        if name == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)  # the standard's float64 and int64
        self.name = name
        self.ns = acarray.namespace(name)
        self.xp = self.ns.backend.xp
        info = self.xp.__array_namespace_info__()
        have = info.dtypes()
        self.dtypes = tuple(n for n in DTYPE_NAMES if n in have)
        # strict's default dtype name -> this backend's (PyTorch creates float32 where NumPy makes float64)
        mine = info.default_dtypes()
        theirs = strict.__array_namespace_info__().default_dtypes()
        self.defaults = {dtype_name(strict, theirs[k]): dtype_name(self.ns, mine[k]) for k in theirs}

    def dtype(self, strict_dtype):
        """The backend's dtype object with the same name as an array-api-strict dtype."""
        return getattr(self.ns, dtype_name(strict, strict_dtype))

    def array(self, x, requires_grad: bool = False):
        """A tensor of this backend with the values, shape and dtype of strict array ``x``."""
        values = np.asarray(x)
        data = self.xp.asarray(values.copy(), dtype=self.dtype(x.dtype))
        return self.ns.asarray(data, requires_grad=requires_grad)

    def convert(self, value):
        """``value`` with every strict array and dtype inside replaced by this backend's."""
        if isinstance(value, STRICT_ARRAY):
            return self.array(value)
        if isinstance(value, STRICT_DTYPE):
            return self.dtype(value)
        if isinstance(value, tuple):
            return tuple(self.convert(v) for v in value)
        if isinstance(value, list):
            return [self.convert(v) for v in value]
        if isinstance(value, dict):
            return {k: self.convert(v) for k, v in value.items()}
        return value


def as_numpy(value) -> np.ndarray:
    """A NumPy copy of an acarray tensor, a backend array or a strict array."""
    if isinstance(value, STRICT_ARRAY):
        return np.asarray(value)
    return to_numpy(value)
