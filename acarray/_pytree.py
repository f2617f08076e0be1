"""Nested containers of arrays ("pytrees"): tuples, lists, dicts (a ``state_dict()`` included)
and named tuples, whose leaves are everything else (tensors, arrays, numbers).  ``None`` is an
empty container, as in JAX.  The function transforms flatten their arguments and results with
these, and rebuild results of the same structure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_paths"]

_LEAF = object()  # the spec of a leaf


def tree_flatten(tree) -> tuple[list, Any]:
    """``(leaves, spec)``: the leaves in order (dicts in their insertion order) and the structure
    that :func:`tree_unflatten` rebuilds from them."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if tree is None:
        return None
    cls = tree.__class__
    if cls is tuple or cls is list:
        return (cls, tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return (cls, tuple(_flatten(v, leaves) for v in tree))
    if isinstance(tree, dict):
        factory = getattr(tree, "default_factory", None)  # a defaultdict keeps its factory
        return (cls, tuple(tree), tuple(_flatten(v, leaves) for v in tree.values()), factory)
    leaves.append(tree)
    return _LEAF


def tree_unflatten(spec, leaves) -> Any:
    """The container of ``spec`` (from :func:`tree_flatten`) holding ``leaves`` in order."""
    it = iter(leaves)
    out = _unflatten(spec, it)
    for _ in it:
        raise ValueError("tree_unflatten: more leaves than the structure holds")
    return out


def _unflatten(spec, it):
    if spec is _LEAF:
        return next(it)
    if spec is None:
        return None
    cls = spec[0]
    if len(spec) == 4:
        d = cls(spec[3]) if spec[3] is not None else cls()
        for k, s in zip(spec[1], spec[2]):
            d[k] = _unflatten(s, it)
        return d
    values = [_unflatten(s, it) for s in spec[1]]
    if cls is tuple or cls is list:
        return cls(values)
    return cls(*values)  # a named tuple


def tree_map(fn: Callable, tree, *rest) -> Any:
    """``fn`` applied to each leaf of ``tree`` (and the matching leaves of ``rest``, trees of the
    same structure), in a tree of the same structure."""
    leaves, spec = tree_flatten(tree)
    others = []
    for r in rest:
        rl, rs = tree_flatten(r)
        if rs != spec:
            raise ValueError("tree_map: the trees have different structures")
        others.append(rl)
    return tree_unflatten(spec, [fn(*vs) for vs in zip(leaves, *others)])


def tree_paths(tree) -> list[str]:
    """A readable path for each leaf, in the order of :func:`tree_flatten` (``[0]['weight']``),
    for error messages."""
    out: list[str] = []
    _paths(tree, "", out)
    return out


def _paths(tree, prefix, out):
    if tree is None:
        return
    cls = tree.__class__
    if cls is tuple or cls is list or (isinstance(tree, tuple) and hasattr(tree, "_fields")):
        for i, v in enumerate(tree):
            _paths(v, f"{prefix}[{i}]", out)
    elif isinstance(tree, dict):
        for k, v in tree.items():
            _paths(v, f"{prefix}[{k!r}]", out)
    else:
        out.append(prefix)
