"""``save`` and ``load``: state dicts to ``.npz`` files that load without pickle.

A saved object is a tree of dicts, lists and tuples whose leaves are arrays
(Tensors or backend arrays), Python numbers, strings, booleans or None.  Arrays
are stored as NumPy arrays, exactly, under numbered names; the tree itself is
stored as JSON text in a ``uint8`` array.  Loading uses ``allow_pickle=False``,
so a file from an untrusted source cannot run code, and gives Tensors of the
backend (and device) asked for, whichever backend saved them.
"""

from __future__ import annotations

import json
import os

import array_api_compat
import numpy as np

import acarray

from ._tensor import Tensor
from .testing import to_numpy

_TREE = "__acarray_tree__"
FORMAT = 1


def _is_array(value) -> bool:
    return isinstance(value, Tensor) or array_api_compat.is_array_api_obj(value)


def _encode(value, arrays: dict):
    if _is_array(value):
        name = f"a{len(arrays)}"
        arrays[name] = to_numpy(value)
        return {"array": name}
    if isinstance(value, dict):
        return {"dict": [[_encode_key(k), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"tuple" if isinstance(value, tuple) else "list": [_encode(v, arrays) for v in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"acarray.save cannot store {type(value).__name__} values (only arrays, numbers, strings, "
                    "None and dicts, lists or tuples of them)")


def _encode_key(k):
    if not isinstance(k, (str, int)) or isinstance(k, bool):
        raise TypeError(f"acarray.save: dict keys must be strings or ints, got {k!r}")
    return k


def save(obj, path) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()`` or ``{"model": ..., "optimizer": ...}``) to ``path``."""
    arrays: dict = {}
    tree = {"format": FORMAT, "root": _encode(obj, arrays)}
    arrays[_TREE] = np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8)
    with open(os.fspath(path), "wb") as f:  # a file object keeps NumPy from appending ".npz"
        np.savez(f, **arrays)


def load(path, backend=None, device=None):
    """Read an object written by :func:`save`; arrays become Tensors of ``backend`` (default: acarray's)."""
    ns = acarray.namespace(backend) if backend is not None else acarray.backend.ns
    with np.load(os.fspath(path), allow_pickle=False) as data:
        if _TREE not in data.files:
            raise ValueError(f"{path} was not written by acarray.save (no {_TREE} entry)")
        tree = json.loads(data[_TREE].tobytes().decode())
        if tree.get("format") != FORMAT:
            raise ValueError(f"{path} has format {tree.get('format')}, this acarray reads format {FORMAT}")

        def decode(node):
            (kind, body), = node.items()
            if kind == "array":
                values = data[body]
                return ns.asarray(ns.asarray(values), device=device) if device is not None else ns.asarray(values)
            if kind == "dict":
                return {k: decode(v) for k, v in body}
            if kind in ("list", "tuple"):
                items = [decode(v) for v in body]
                return tuple(items) if kind == "tuple" else items
            return body

        return decode(tree["root"])
