"""Every array-API function acarray implements that works on any backend's tensors.

The functions dispatch on their arguments, so one object serves all backends;
only creation and data-type functions are bound to a backend (``_ops.creation``).
"""

from __future__ import annotations

import sys
from collections import namedtuple as _namedtuple

from ._ops import indexing as _indexing
from ._ops.arguments import check_key, checked
from ._ops.common import passthrough
from ._ops.creation import to_device
from ._ops.elementwise import FUNCTIONS as _ELEMENTWISE
from ._ops.elementwise import astype, clip, where
from ._ops.indexing import take, take_along_axis
from ._ops.linalg import matmul, tensordot, vecdot
from ._ops.manipulation import (
    broadcast_arrays,
    broadcast_shapes,
    broadcast_to,
    concat,
    diff,
    expand_dims,
    flip,
    matrix_transpose,
    meshgrid,
    moveaxis,
    permute_dims,
    repeat,
    reshape,
    roll,
    squeeze,
    stack,
    tile,
    tril,
    triu,
    unstack,
)
from ._ops.reductions import (
    all,
    any,
    argmax,
    argmin,
    count_nonzero,
    cumulative_prod,
    cumulative_sum,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)

globals().update(_ELEMENTWISE)

argsort = passthrough("argsort", kinds="if")
_isin = passthrough("isin", kinds="i")
nonzero = passthrough("nonzero")
searchsorted = passthrough("searchsorted")
_native_unique_all = passthrough("unique_all")
unique_counts = passthrough("unique_counts")
unique_inverse = passthrough("unique_inverse")
unique_values = passthrough("unique_values")
_UniqueAllResult = _namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])


def unique_all(x, /):
    """``unique_all`` of the standard.  Where the backend lacks it (PyTorch), it is built from
    ``unique_inverse`` and ``unique_counts``: the first index of each value is the first
    position of its group in a stable sort of the inverse indices."""
    try:
        return _native_unique_all(x)
    except NotImplementedError:
        pass
    values, inverse = unique_inverse(x)
    counts = unique_counts(x).counts
    xp = x.__array_namespace__()
    order = argsort(xp.reshape(inverse, (-1,)), stable=True)
    first = take(order, cumulative_sum(counts, include_initial=True)[:-1])
    return _UniqueAllResult(values, first, inverse, counts)


def isin(x1, x2, /, *, invert=False):
    """Whether each element of ``x1`` is in ``x2`` (``invert`` negates it; applied here because
    array-api-strict 2.6 ignores it)."""
    found = _isin(x1, x2)
    return _ELEMENTWISE["logical_not"](found) if invert else found


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """Sorted values along ``axis``; the gradient goes back to where each value came from."""
    return take_along_axis(x, argsort(x, axis=axis, descending=descending, stable=stable), axis=axis)


def getitem(x, key):
    """``x[key]``, the key checked first (see :func:`check_key`)."""
    check_key(key, x.shape)
    return _indexing.getitem(x, key)


def setitem(x, key, value):
    """``x[key] = value``, the key checked first."""
    check_key(key, x.shape)
    _indexing.setitem(x, key, value)


_NOT_EXPORTED = ("annotations", "passthrough", "getitem", "setitem", "sys", "check_key", "checked")
SHARED = {
    name: obj
    for name, obj in dict(globals()).items()
    if callable(obj) and not name.startswith("_") and name not in _NOT_EXPORTED
}
SHARED.update(_ELEMENTWISE)
SHARED = {name: checked(name, fn) for name, fn in SHARED.items()}

from ._tensor import install_operators  # noqa: E402

install_operators(sys.modules[__name__])
