"""Sorting, searching and set functions: their results are indices, counts or booleans, which
carry no gradient, except ``sort``'s values, whose gradient goes back to where each came from."""

from __future__ import annotations

from collections import namedtuple

from .common import passthrough
from .elementwise import FUNCTIONS as _ELEMENTWISE
from .indexing import take, take_along_axis
from .reductions import cumulative_sum

_argsort = passthrough("argsort", kinds="if")
_isin = passthrough("isin", kinds="i")
_nonzero = passthrough("nonzero")
_searchsorted = passthrough("searchsorted", kinds="if")
_unique_all = passthrough("unique_all")
_unique_counts = passthrough("unique_counts")
_unique_inverse = passthrough("unique_inverse")
_unique_values = passthrough("unique_values")
UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    """Indices that sort ``x`` along ``axis`` (stable by default, as the standard says)."""
    return _argsort(x, axis=axis, descending=descending, stable=stable)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """Sorted values along ``axis``; the gradient goes back to where each value came from."""
    return take_along_axis(x, argsort(x, axis=axis, descending=descending, stable=stable), axis=axis)


def nonzero(x, /):
    """A tuple of index arrays, one per axis, of the non-zero elements (no gradient)."""
    return tuple(_nonzero(x))


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """Indices at which the elements of ``x2`` would be inserted into the sorted ``x1`` (no
    gradient); ``x2`` may be a Python scalar."""
    return _searchsorted(x1, x2, side=side, sorter=sorter)


def isin(x1, x2, /, *, invert=False):
    """Whether each element of ``x1`` is in ``x2`` (``invert`` negates it; applied here because
    array-api-strict 2.6 ignores it)."""
    found = _isin(x1, x2)
    return _ELEMENTWISE["logical_not"](found) if invert else found


def unique_values(x, /):
    """The unique elements of ``x`` (no gradient)."""
    return _unique_values(x)


def unique_counts(x, /):
    """The unique elements of ``x`` and how often each occurs, a named tuple (no gradient)."""
    return _unique_counts(x)


def unique_inverse(x, /):
    """The unique elements of ``x`` and, for each element of ``x``, the index of its value
    among them, a named tuple (no gradient)."""
    return _unique_inverse(x)


def unique_all(x, /):
    """``unique_all`` of the standard.  Where the backend lacks it (PyTorch), it is built from
    ``unique_inverse`` and ``unique_counts``: the first index of each value is the first
    position of its group in a stable sort of the inverse indices."""
    try:
        return _unique_all(x)
    except NotImplementedError:
        pass
    values, inverse = unique_inverse(x)
    counts = unique_counts(x).counts
    xp = x.__array_namespace__()
    order = argsort(xp.reshape(inverse, (-1,)), stable=True)
    first = take(order, cumulative_sum(counts, include_initial=True)[:-1])
    return UniqueAllResult(values, first, inverse, counts)


__all__ = [
    "argsort", "isin", "nonzero", "searchsorted", "sort", "unique_all", "unique_counts",
    "unique_inverse", "unique_values",
]
