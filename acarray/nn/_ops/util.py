"""Helpers the fused ops share: writing into arrays on any backend, in both backward modes.

Backward rules receive raw backend arrays, or acarray Tensors when the backward
pass is being recorded (``create_graph=True``); these helpers accept either.
"""

from __future__ import annotations

from ..._backend import backend_for_namespace
from ..._ops.common import device_of  # noqa: F401  (the fused ops import it from here)
from ..._tensor import Tensor


def put(xp, arr, key, value):
    """``arr[key] = value`` on a fresh array; returns the result (a copy on immutable backends)."""
    if isinstance(arr, Tensor):
        arr[key] = value
        return arr
    return backend_for_namespace(xp).put(arr, key, value)


def add_at(xp, arr, key, value):
    """``arr[key] += value`` on a fresh array (basic indices only); returns the result."""
    if isinstance(arr, Tensor):
        arr[key] = arr[key] + value
        return arr
    return backend_for_namespace(xp).add_at(arr, key, value)


def pad(xp, x, axes, widths, value=0.0):
    """``x`` with ``widths[i]`` elements of ``value`` added on both sides of ``axes[i]``."""
    if not any(widths):
        return x
    shape = list(x.shape)
    key = [slice(None)] * x.ndim
    for a, w in zip(axes, widths):
        shape[a] += 2 * w
        key[a] = slice(w, w + x.shape[a])
    out = xp.full(tuple(shape), value, dtype=x.dtype, device=device_of(x))
    return put(xp, out, tuple(key), x)


def one_hot(xp, labels, n, dtype):
    """``(labels[..., None] == arange(n))`` as ``dtype`` (labels outside [0, n) give zero rows)."""
    return xp.astype(labels[..., None] == xp.arange(n, device=device_of(labels)), dtype)


def count_valid_labels(xp, labels, n_classes, ignore_index, name) -> int:
    """How many of the class indices ``labels`` (a raw array) are not ``ignore_index``; a
    ValueError naming ``name`` for any other index outside ``[0, n_classes)``."""
    valid = labels != ignore_index
    if bool(xp.any(xp.logical_and(valid, xp.logical_or(labels < 0, labels >= n_classes)))):
        raise ValueError(f"{name}: class indices must be in [0, {n_classes}) or equal ignore_index={ignore_index}")
    return int(xp.count_nonzero(valid))
