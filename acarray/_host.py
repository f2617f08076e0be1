"""Values on the host: :func:`to_numpy`, for the modules that save, load, copy and check arrays."""

from __future__ import annotations

import numpy as np

from ._tensor import Tensor


def to_numpy(t) -> np.ndarray:
    """A NumPy array with the values of a Tensor or of any backend's array (CuPy and Dask included)."""
    data = t.detach().data if isinstance(t, Tensor) else t
    if hasattr(data, "get"):  # CuPy
        data = data.get()
    if hasattr(data, "compute"):  # Dask
        data = data.compute()
    if hasattr(data, "cpu"):  # PyTorch, possibly on a GPU
        data = data.cpu()
    return np.asarray(data)
