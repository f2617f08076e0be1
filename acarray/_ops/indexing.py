"""Indexing: ``x[key]``, ``x[key] = v``, ``take`` and ``take_along_axis``.

Their gradients scatter the output gradient back into an array of the input's
shape.  Basic indices and boolean masks select each element at most once, so a
plain assignment does it; integer-array indices may repeat, so those go
through the backend's scatter-add on flat positions (``Backend.scatter_add_1d``).
"""

from __future__ import annotations

import math

import array_api_compat as compat

from .._autograd import Op, apply
from .._backend import backend_for_namespace
from .._tensor import Tensor, _scalar_types
from .common import apply_or_value, unwrap


def _raw_key(key):
    return unwrap(key) if isinstance(key, (tuple, list, Tensor)) else key


def _selects_once(b, key) -> bool:
    """True when ``key`` has no integer-array part (so no element is selected twice)."""
    for k in key if isinstance(key, tuple) else (key,):
        if k is None or k is Ellipsis or isinstance(k, (slice, bool, int)):
            continue
        if hasattr(k, "dtype") and b.kind(k.dtype) == "b":
            continue
        return False
    return True


class ScatterBack(Op):
    """Adds ``g`` into zeros of ``shape`` at the positions ``select`` picks (the adjoint of selecting).

    ``select(xp, a)`` applies the forward selection to any array; ``key``, when
    given, is an index that selects each element at most once.
    """

    def forward(self, xp, g, *, shape, select, key=None):
        self.select = select
        b = backend_for_namespace(xp)
        zeros = xp.zeros(shape, dtype=g.dtype, device=compat.device(g))
        if key is not None:
            return b.put(zeros, key, g)
        size = math.prod(shape)
        positions = select(xp, xp.reshape(xp.arange(size, device=compat.device(g)), shape))
        flat = b.scatter_add_1d(size, xp.reshape(positions, (-1,)), xp.reshape(g, (-1,)))
        return xp.reshape(flat, shape)

    def backward(self, xp, g, inputs, out):
        return (self.select(xp, g),)


def scatter_back(xp, g, shape, select, key=None):
    """The adjoint of ``select`` applied to ``g``: raw arrays in, raw out; Tensors in, recorded."""
    return apply_or_value(ScatterBack, xp, g, shape=shape, select=select, key=key)


class GetItem(Op):
    is_view = True

    def forward(self, xp, x, *, key):
        self.shape = tuple(x.shape)
        out = x[key]
        # New axes (None) are dropped from the key used in backward, where they cannot be assigned.
        parts = key if isinstance(key, tuple) else (key,)
        self.key = tuple(k for k in parts if k is not None) if any(k is None for k in parts) else key
        self.selected_shape = tuple(x[self.key].shape) if self.key is not key else None
        self.once = _selects_once(backend_for_namespace(xp), key)
        return out

    def backward(self, xp, g, inputs, out):
        key = self.key
        if self.selected_shape is not None:
            g = xp.reshape(g, self.selected_shape)
        return (scatter_back(xp, g, self.shape, lambda xp, a: a[key], key if self.once else None),)


def getitem(x, key):
    """``x[key]`` for basic, integer-array and boolean-mask indices."""
    key = _raw_key(key)
    if not x._b.negative_steps:
        split = _split_negative_steps(x._b, key, x.shape)
        if split is not None:
            pre, axes, key = split
            x = x._b.ns.flip(apply(GetItem, x, key=pre), axis=axes)
    return apply(GetItem, x, key=key)


def _split_negative_steps(b, key, shape):
    """For a backend without negative slice steps (PyTorch): ``(pre, axes, rest)`` such that
    ``flip(x[pre], axis=axes)[rest]`` is ``x[key]`` (and the same elements for assignment),
    where ``pre`` holds only positive-step slices; ``None`` when ``key`` has no negative step."""
    parts = key if isinstance(key, tuple) else (key,)
    if not any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in parts):
        return None

    def dims_used(k):
        if k is None or k is Ellipsis:
            return 0
        return k.ndim if hasattr(k, "dtype") and b.kind(k.dtype) == "b" else 1

    ndim = len(shape)
    consumed = sum(dims_used(k) for k in parts)
    pre, axes, rest = [slice(None)] * ndim, [], []
    dim = 0
    for k in parts:
        if isinstance(k, slice) and k.step is not None and k.step < 0:
            r = range(shape[dim])[k]
            pre[dim] = slice(r[-1], r[0] + 1, -k.step) if len(r) else slice(0, 0)
            axes.append(dim)
            k = slice(None)
        rest.append(k)
        dim += ndim - consumed if k is Ellipsis else dims_used(k)
    return tuple(pre), tuple(axes), tuple(rest)


class SetItem(Op):
    """``x`` with ``x[key] = value``, as a new array (the tensor takes it as its new value)."""

    def forward(self, xp, x, value, *, key):
        self.key = key
        return backend_for_namespace(xp).put(xp.asarray(x, copy=True), key, value)

    def backward(self, xp, g, inputs, out):
        key = self.key
        gx = _put(xp, g, key, 0.0) if self.needs[0] else None
        gv = g[key] if self.needs[1] else None
        return (gx, gv)


def _put(xp, a, key, value):
    return apply_or_value(SetItem, xp, a, value, key=key)


def setitem(x, key, value):
    """``x[key] = value`` in place (see Tensor._inplace for how gradients stay right)."""
    key = _raw_key(key)
    b = x._b
    split = None if b.negative_steps else _split_negative_steps(b, key, x.shape)

    def raw_put(data, v):
        if not isinstance(v, _scalar_types) and type(v) not in b._array_types and v is not None:
            v = b.xp.asarray(v, dtype=data.dtype) if isinstance(v, (list, tuple)) else v
        if split is None:
            return b.put(data, key, v)
        pre, axes, rest = split  # data[key] = v is flip(data[pre])[rest] = v
        region = b.xp.flip(data[pre], axis=axes)
        region[rest] = v
        data[pre] = b.xp.flip(region, axis=axes)
        return data

    def recorded_put(old, v):
        if split is None:
            return apply(SetItem, old, v, key=key)
        flip = b.ns.flip  # the namespace's (differentiable) flip
        pre, axes, rest = split
        region = apply(SetItem, flip(apply(GetItem, old, key=pre), axis=axes), v, key=rest)
        return apply(SetItem, old, flip(region, axis=axes), key=pre)

    x._inplace(recorded_put, value, raw_put)


class Take(Op):
    def forward(self, xp, x, indices, *, axis, fname):
        self.shape = tuple(x.shape)
        self.axis = axis
        self.fname = fname
        return getattr(xp, fname)(x, indices, axis=axis)

    def backward(self, xp, g, inputs, out):
        idx, axis, fname = unwrap(inputs[1]), self.axis, self.fname
        return (scatter_back(xp, g, self.shape, lambda xp, a: getattr(xp, fname)(a, idx, axis=axis)), None)


def take(x, indices, /, *, axis=None):
    """Elements of ``x`` at integer ``indices`` along ``axis``; repeated indices add up in backward."""
    if axis is None:
        if x.ndim != 1:
            raise ValueError("take needs axis= for arrays with more than one dimension")
        axis = 0
    return apply(Take, x, indices, axis=axis, fname="take")


def take_along_axis(x, indices, /, *, axis=-1):
    """Elements of ``x`` picked by ``indices`` along ``axis`` (same number of dimensions)."""
    return apply(Take, x, indices, axis=axis, fname="take_along_axis")


__all__ = ["take", "take_along_axis"]  # of the namespace; getitem and setitem are Tensor's operators
