"""Activation checkpointing: :func:`checkpoint` keeps what a segment of the forward pass needs to be
recomputed, not what its backward rules saved, and recomputes it during backward.

The segment runs once, recorded as usual.  Its graph is then walked from the outputs to its
*boundary*: the edges to leaves that require grad and to ops recorded before the call (op order
numbers count down, see ``_autograd._record``).  The outputs take as their history one new node,
:class:`_Checkpoint`, whose edges are the boundary's, so that the segment's own ops, and the
arrays they saved, are freed as soon as nothing else holds them.  The node keeps the tensors at
the boundary (found among the arguments of the segment's ops), the explicit arguments and their
values.

Its backward runs the function again, recorded, with each boundary tensor that is not a leaf given
for the time being a history of one node with no edge (a *bridge*), so that backward through the
recomputed graph stops there; it returns the gradients that reached the boundary.  Under
``create_graph=True`` the bridges get the real edges afterwards: the recorded gradients then
depend on what the boundary tensors were computed from, and second derivatives go on through
them.  Random draws of ``acarray.nn`` (dropout) repeat: the generators registered with
:func:`register_rng` are put back in the state they had when the segment first ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _autograd, _grad_mode
from ._autograd import REC_BACKEND, REC_ORDER, Op, run_backward
from ._tensor import Tensor

# The random generators that a segment's recomputation replays: (get_state, set_state) pairs.
# acarray.nn registers its generator (dropout draws from it) when it is imported.
_RNG_SOURCES: list = []


def register_rng(get_state: Callable[[], Any], set_state: Callable[[Any], None]) -> None:
    """Have :func:`checkpoint` replay the draws of a random generator: ``get_state()`` is called
    before the segment runs, and ``set_state(state)`` before it is recomputed (the generator's
    state is put back afterwards)."""
    _RNG_SOURCES.append((get_state, set_state))


def checkpoint(fn: Callable[..., Any], *args: Any, preserve_rng_state: bool = True,
               use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, keeping only what is needed to recompute it: during backward the
    segment runs again and is differentiated then (PyTorch's ``torch.utils.checkpoint.checkpoint``).

    Memory for the values the segment's backward rules would have saved is traded for a second
    forward pass.  Gradients reach everything the segment was computed from: its arguments, the
    parameters ``fn`` uses (a Module's weights, through a closure) and what they were computed
    from; with ``backward()``, ``autograd.grad`` and ``create_graph=True``.  ``fn`` returns a
    Tensor, or tuples, lists and dicts of them and of other values.  Checkpoints nest.

    The recomputation must compute the same thing: ``fn`` may not modify its arguments in place,
    and a tensor it reads (an argument, a parameter) may not be changed between the forward pass
    and backward (both raise, naming the problem); a recomputation that gives outputs of other
    shapes or dtypes, or reads tensors the first run did not, raises.  Random draws of
    ``acarray.nn`` (dropout) repeat with ``preserve_rng_state=True`` (the default); other random
    sources (NumPy's global generator, a backend's own) are not replayed.  Side effects of ``fn``
    (a BatchNorm's running statistics, a forward hook) happen again when it is recomputed, as in
    PyTorch.  ``use_reentrant`` is accepted for PyTorch code: both settings behave as PyTorch's
    non-reentrant checkpoint.  Under ``no_grad()`` this is ``fn(*args, **kwargs)``.
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: fn must be callable, got {type(fn).__name__}")
    if use_reentrant not in (None, True, False):
        raise TypeError(f"checkpoint: use_reentrant must be a bool or None, got {use_reentrant!r}")
    if not _grad_mode.recording():
        return fn(*args, **kwargs)
    states = [get() for get, _ in _RNG_SOURCES] if preserve_rng_state else None
    given = [a for a in _flatten((args, kwargs)) if isinstance(a, Tensor)]
    before = [(a._version, a._version[0]) for a in given]
    start = next(_autograd._ORDER)
    result = fn(*args, **kwargs)
    for i, (a, (counter, seen)) in enumerate(zip(given, before)):
        if a._version is not counter or counter[0] != seen:
            raise RuntimeError(
                f"checkpoint: fn modified its tensor argument {i} (shape {a.shape}) in place; the "
                "recomputation during backward would see the modified value and modify it again. "
                "Modify a copy inside fn, or modify it outside the checkpointed function"
            )
    values = _flatten(result)
    outputs: dict = {}  # (id(op), output index) -> index among the checkpoint's outputs
    positions = []  # (position in the flattened result, output index, tensor)
    for pos, v in enumerate(values):
        if isinstance(v, Tensor) and v.ctx is not None and _inside(v.ctx, start):
            key = (id(v.ctx), v._oi)
            k = outputs.setdefault(key, len(outputs))
            positions.append((pos, k, v))
    if not positions:
        return result  # nothing recorded in the segment reaches the outputs: nothing to free
    boundary = _boundary({id(v.ctx): v.ctx for _, _, v in positions}.values(), start)
    node = _Checkpoint()
    n_out = len(outputs)
    metas: list = [None] * n_out
    for _, k, v in positions:
        metas[k] = (tuple(v.shape), v.dtype)
    # The node's arguments: one tensor per boundary edge (the node's edges), then every other tensor
    # whose value the recomputation needs (other tensors at the same edges, the explicit arguments),
    # edgeless, then the state; all in the record, freed with it.
    reps, edges, others, bridged = [], [], [], []
    seen_ids: set = set()
    for edge, objs in boundary.values():
        reps.append(objs[0])
        edges.append(edge)
        seen_ids.update(id(t) for t in objs)
        bridged.append(objs)
    for a in given:
        if id(a) not in seen_ids:
            seen_ids.add(id(a))
            others.append(a)
    tensors = reps + [t for objs in bridged for t in objs[1:]] + others
    state = _State(fn, args, kwargs, states, [(pos, k) for pos, k, _ in positions], len(values), metas,
                   [[id(t) for t in objs] for objs in bridged])
    b = positions[0][2]._b
    node.n_out = n_out
    node.next = tuple(edges) + (None,) * (len(tensors) - len(reps) + 1)
    node.kind = b.kind(metas[0][1]) if n_out == 1 else None
    versions = tuple((t._version, t._version[0], t) for t in tensors)
    # The fields of _autograd.REC_FIELDS, in order: order, args, ins, out, versions, exact, backend,
    # retained, vjp, edge.
    node.rec = (next(_autograd._ORDER), (*tensors, state), (*(t.data for t in tensors), None), None, versions,
                False, b, None, None, None)
    for _, k, v in positions:
        v.ctx, v._oi = node, (None if n_out == 1 else k)
    return result


def _flatten(value) -> list:
    """The leaves of ``value``, through tuples, lists and dict values, in order."""
    out: list = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (tuple, list)):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        else:
            out.append(v)
    return out


def _inside(op, start) -> bool:
    """Whether ``op`` was recorded after order number ``start`` was taken (and is not freed)."""
    rec = op.rec
    return rec is not None and rec[REC_ORDER] < start


def _boundary(nodes, start) -> dict:
    """The edges out of the graph of ops recorded after ``start`` that ``nodes`` reach, each with the
    tensors found at it among the arguments of those ops: key -> (edge, [tensors]), in the order
    found.  A key is ``(id(node), output index)`` for an op, ``(id(leaf), None)`` for a leaf."""
    found: dict = {}
    seen = {id(n) for n in nodes}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        for a, e in zip(node.rec[_autograd.REC_ARGS], node.next):
            if e is None:
                continue
            if isinstance(e, Tensor):
                key = (id(e), None)
            else:
                target, oi = _autograd.edge_target(e)
                if _inside(target, start):
                    if id(target) not in seen:
                        seen.add(id(target))
                        stack.append(target)
                    continue
                key = (id(target), oi)
            entry = found.get(key)
            if entry is None:
                found[key] = (e, [a])
            elif all(t is not a for t in entry[1]):
                entry[1].append(a)
    return found


class _State:
    """What recomputing a segment needs besides the tensors' values (the last argument of its node)."""

    __slots__ = ("fn", "args", "kwargs", "rng", "positions", "n_values", "metas", "bridged")

    def __init__(self, fn, args, kwargs, rng, positions, n_values, metas, bridged):
        self.fn, self.args, self.kwargs, self.rng = fn, args, kwargs, rng
        self.positions = positions  # (position in the flattened result, output index)
        self.n_values = n_values  # how many leaves the flattened result has
        self.metas = metas  # (shape, dtype) of each output
        self.bridged = bridged  # per edge, the ids of the tensors found at it


class _Bridge(Op):
    """The history a boundary tensor has while its segment is recomputed: one node without edges,
    where backward through the recomputed graph stops (under create_graph it gets the real edge
    afterwards, and then passes gradients on unchanged)."""

    __slots__ = ()

    def backward(self, xp, g, inputs, out):
        return (g,)


class _Checkpoint(Op):
    """The history of a checkpointed segment's outputs: its backward recomputes the segment."""

    @property
    def name(self) -> str:
        return "Checkpoint"

    def backward(self, xp, g, inputs, out):
        rec = self.rec
        args = rec[_autograd.REC_ARGS]
        state = args[-1]
        tensors, values = args[:-1], rec[_autograd.REC_INS][:-1]
        n_edges = len(state.bridged)
        graph = xp is rec[REC_BACKEND].ns  # a recorded backward pass (create_graph=True)
        grads = (g,) if self.n_out == 1 else tuple(g)
        by_id = {id(t): t for t in tensors}
        saved = [(t, t.data, t.ctx, t._oi) for t in tensors]
        bridges = []
        rng_now = None
        try:
            if state.rng is not None:
                rng_now = [get() for get, _ in _RNG_SOURCES[:len(state.rng)]]
                for (_, set_state), s in zip(_RNG_SOURCES, state.rng):
                    set_state(s)
            for t, v in zip(tensors, values):
                t.data = v  # the values the segment first ran on, whatever happened to the tensors since
            for i in range(n_edges):
                rep = tensors[i]
                if self.next[i] is rep:  # a leaf: backward stops there anyway
                    bridges.append(None)
                    continue
                bridge = _Bridge()
                bridge.next = (None,)
                bridge.kind = rep._b.kind(rep.dtype)
                bridge.rec = (next(_autograd._ORDER), (rep,), (rep.data,), None, None, True, rep._b, None, None, None)
                bridges.append(bridge)
                for tid in state.bridged[i]:
                    t = by_id[tid]
                    t.ctx, t._oi = bridge, None
            start = next(_autograd._ORDER)
            prev = _grad_mode.set_enabled(True)
            try:
                result = state.fn(*state.args, **state.kwargs)
            finally:
                _grad_mode.set_enabled(prev)
            outs = self._outputs(state, result, start)
            _check_reach(state, outs, start, tensors[:n_edges], bridges)
            roots = [t for t, gi in zip(outs, grads) if gi is not None]
            seeds = [gi for gi in grads if gi is not None]
            found = run_backward(roots, seeds, retain_graph=graph, create_graph=graph, inputs=list(tensors[:n_edges]),
                                 allow_unused=True, leaf_hooks=False)
        finally:
            for t, data, ctx, oi in saved:
                t.data, t.ctx, t._oi = data, ctx, oi
            if rng_now is not None:
                for (_, set_state), s in zip(_RNG_SOURCES, rng_now):
                    set_state(s)
        if graph:  # the recorded gradients reach what the boundary tensors were computed from
            for bridge, edge in zip(bridges, self.next):
                if bridge is not None:
                    bridge.next = (edge,)
        return (*found, *(None,) * (len(args) - n_edges))

    def _outputs(self, state, result, start) -> list:
        """The recomputed outputs, by output index, checked against the first run's."""
        values = _flatten(result)
        outs: list = [None] * self.n_out
        problem = None
        if len(values) != state.n_values:
            problem = f"it returned {len(values)} values, the first run {state.n_values}"
        else:
            for pos, k in state.positions:
                v = values[pos]
                shape, dtype = state.metas[k]
                if not isinstance(v, Tensor) or not v._rg or v.ctx is None or not _inside(v.ctx, start):
                    problem = f"value {pos} of its result is no longer a tensor computed from the boundary"
                elif tuple(v.shape) != shape or v.dtype != dtype:
                    problem = (f"value {pos} of its result has shape {tuple(v.shape)} and dtype {v.dtype}, "
                               f"the first run's had shape {shape} and dtype {dtype}")
                if problem is not None:
                    break
                outs[k] = v
        if problem is not None:
            raise RuntimeError(
                f"checkpoint: recomputing {_name(state.fn)} during backward gave another result: {problem}. "
                "The checkpointed function must compute the same thing when it runs again (random draws "
                "other than acarray.nn's are not replayed; pass the randomness in as an argument)"
            )
        return outs

def _check_reach(state, outs, start, reps, bridges) -> None:
    """The recomputed graph must end where the first run's did: at the bridges and at the same
    leaves, or backward through it would leave the segment or miss gradients."""
    expected = {id(bridge if bridge is not None else rep) for rep, bridge in zip(reps, bridges)}
    reached = {key[0] for key in _boundary({id(o.ctx): o.ctx for o in outs}.values(), start)}
    if reached != expected:
        raise RuntimeError(
            f"checkpoint: recomputing {_name(state.fn)} during backward read other tensors that require "
            f"grad than the first run did ({len(reached - expected)} new, {len(expected - reached)} "
            "missing): the checkpointed function must read the same tensors each time it runs; pass "
            "what changes between calls in as an argument"
        )


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__
