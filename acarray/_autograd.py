"""The autograd engine: :class:`Op`, :func:`apply` (forward and recording) and :func:`run_backward`.

Graph model.  A tensor produced by an op keeps that op in ``ctx``; an op keeps
its arguments (``args``: tensors and constants) and one *edge* per argument:
``(node, output_index)`` where ``node`` is the argument's own op, or the
argument itself when it is a leaf that requires grad, or ``None``.  Edges point
at nodes, not tensors, so that an in-place operation can give a tensor a new
history without rewriting the edges of ops recorded before it.

Two modes run the same backward rules.  Normally rules receive raw backend
arrays and the backend namespace.  With ``create_graph=True`` they receive
acarray tensors and acarray's namespace for that backend, so the backward pass
is itself recorded and can be differentiated again.
"""

from __future__ import annotations

from ._backend import backend_of
from ._grad_mode import state as _grad_state
from ._tensor import Tensor, _scalar_types


class Op:
    """One recorded application of a differentiable function.

    Subclasses implement ``forward(xp, *args, **params)`` on raw arrays (Python
    scalars pass through) and ``backward(xp, g, inputs, out)`` returning one
    gradient (or ``None``) per argument.  ``inputs`` are the argument values and
    ``out`` the output value; both are raw arrays, or tensors when the graph of
    the backward pass is being recorded.  ``out`` is only kept when the class
    sets ``saves_output``; setting ``saves_inputs`` makes backward check that no
    input was modified in place after the forward pass.  ``self.needs[i]`` says
    whether argument ``i`` needs a gradient, so rules can skip work.
    Multi-output ops set ``n_out`` and receive and return tuples.
    """

    __slots__ = ("args", "next", "needs", "out", "versions", "retained", "b", "__dict__", "__weakref__")
    n_out = 1
    saves_inputs = False
    saves_output = False
    is_view = False  # output shares the version counter of args[0]
    changes_backend = False  # output may be an array of another library (to_device)

    def forward(self, xp, *args, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, xp, g, inputs, out):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def src(self) -> tuple:
        """The tensors this op was applied to."""
        return tuple(a for a in self.args if isinstance(a, Tensor)) if self.args else ()

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


def _mixed_backends(a, b):
    return TypeError(
        f"cannot mix arrays of two backends in one operation: {a.name} and {b.name}; "
        "move one of them first (Tensor.to_device, acarray.<backend>.asarray)"
    )


def resolve(args):
    """Backend, raw values and requires-grad flag for an op's arguments.

    Tensors give their data; raw arrays of the same backend and Python scalars
    are constants.  Mixing backends raises a TypeError naming both.
    """
    b = None
    rg = False
    raw = []
    for a in args:
        if isinstance(a, Tensor):
            if b is None:
                b = a._b
            elif a._b is not b:
                raise _mixed_backends(b, a._b)
            rg = rg or a._rg
            raw.append(a.data)
        else:
            raw.append(a)
    for a in raw:
        if not isinstance(a, _scalar_types) and a is not None:
            ab = backend_of(a)
            if b is None:
                b = ab
            elif ab is not b:
                raise _mixed_backends(b, ab)
    if b is None:
        raise TypeError("expected at least one array or Tensor argument, got only Python scalars")
    return b, raw, rg


def apply(cls, *args, **params):
    """Run ``cls.forward`` on the arguments' values; record the op when a gradient is needed."""
    b, raw, rg = resolve(args)
    op = cls()
    out = op.forward(b.xp, *raw, **params)
    record = rg and _grad_state.enabled
    if cls.n_out == 1:
        t = Tensor._wrap(out, backend_of(out) if cls.changes_backend else b)
        if record and t._b.is_differentiable(t.data.dtype):
            _record(op, b, args, (t,), t.data)
        return t
    outs = tuple(Tensor._wrap(o, b) for o in out)
    if record and any(b.is_differentiable(t.data.dtype) for t in outs):
        _record(op, b, args, outs, tuple(t.data for t in outs))
    return outs


def _record(op, args_backend, args, outs, out_data):
    """Attach ``op`` to its outputs and to the nodes of its arguments."""
    op.args = args
    op.next = edges = tuple(map(_edge, args))
    op.needs = tuple(e is not None for e in edges)
    op.retained = None
    op.out = out_data if op.saves_output else None
    op.b = args_backend
    for i, t in enumerate(outs):
        if t._b.is_differentiable(t.data.dtype):
            t.ctx = op
            t._oi = i
            t._rg = True
    if op.is_view and isinstance(args[0], Tensor):
        outs[0]._version = args[0]._version
    saved = []
    if op.saves_inputs:
        saved += [(a._version, a._version[0]) for a in args if isinstance(a, Tensor)]
    if op.saves_output:
        saved += [(t._version, t._version[0]) for t in outs]
    op.versions = saved


def _edge(a):
    if isinstance(a, Tensor) and a._rg:
        return (a.ctx, a._oi) if a.ctx is not None else (a, 0)
    return None


# -- backward ----------------------------------------------------------------------


def _freed_error(op):
    return RuntimeError(
        f"trying to backward through the graph a second time (through {op.name}): its saved values were "
        "freed after the first backward(); pass retain_graph=True to the first call if you need to "
        "backward twice"
    )


def _toposort(roots):
    """Nodes reachable from ``roots``, parents after children (iterative depth-first search)."""
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(_children(root)))]
        while stack:
            node, it = stack[-1]
            for e in it:
                if e is not None and id(e[0]) not in seen:
                    seen.add(id(e[0]))
                    stack.append((e[0], iter(_children(e[0]))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _children(node):
    if isinstance(node, Tensor):
        return ()
    return node.next or ()


def _accumulate(pending, node, oi, g):
    k = id(node)
    if isinstance(node, Tensor) or node.n_out == 1:
        cur = pending.get(k)
        pending[k] = g if cur is None else cur + g
    else:
        slots = pending.get(k)
        if slots is None:
            slots = pending[k] = [None] * node.n_out
        slots[oi] = g if slots[oi] is None else slots[oi] + g


def unbroadcast(xp, g, shape):
    """Sum ``g`` over the axes that broadcasting added to reach ``g.shape`` from ``shape``."""
    gshape = tuple(g.shape)
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    if axes:
        g = xp.sum(g, axis=axes)
    return xp.reshape(g, shape) if tuple(g.shape) != shape else g


def _fit(xp, b, g, arg):
    """Bring gradient ``g`` to the shape and dtype of the argument it belongs to."""
    shape = tuple(arg.data.shape)
    if tuple(g.shape) != shape:
        g = unbroadcast(xp, g, shape)
    dt = arg.data.dtype
    if g.dtype != dt:
        if b.kind(dt) == "f" and b.kind(g.dtype) == "c":
            g = xp.real(g)
        if g.dtype != dt:
            g = xp.astype(g, dt)
    return g


def _check_versions(op):
    for counter, seen in op.versions:
        if counter[0] != seen:
            raise RuntimeError(
                f"one of the tensors needed to compute the gradient of {op.name} was modified by an "
                f"in-place operation after it was used (now at version {counter[0]}, expected "
                f"version {seen}); make a copy before modifying it, or modify it before use"
            )


def _as_tensor(value, b, op, oi):
    """Graph-mode view of a saved output value: a tensor whose history is ``op``."""
    t = Tensor._wrap(value, b)
    if b.is_differentiable(value.dtype):
        t.ctx, t._oi, t._rg = op, oi, True
    return t


def run_backward(roots, seeds, *, retain_graph=False, create_graph=False, inputs=None, allow_unused=False):
    """Propagate ``seeds`` from ``roots`` back through the graph.

    Without ``inputs`` gradients accumulate into the ``.grad`` of leaves (and of
    tensors that called ``retain_grad()``); with ``inputs`` they are returned, in
    order, and no ``.grad`` is touched.
    """
    b = roots[0]._b
    pending: dict = {}
    start = []
    for t, s in zip(roots, seeds):
        if t._b is not b:
            raise _mixed_backends(b, t._b)
        if not t._rg:
            raise RuntimeError(
                "this tensor does not require grad and has no grad_fn: nothing to differentiate "
                "(did you forget requires_grad=True, or compute it under no_grad()?)"
            )
        s = _seed(t, s, create_graph)
        node = t.ctx if t.ctx is not None else t
        _accumulate(pending, node, t._oi, s)
        start.append(node)
    order = _toposort(start)
    wanted = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor) or not t._rg:
                raise RuntimeError(f"input {i} of grad() does not require grad")
            wanted[(id(t.ctx if t.ctx is not None else t), t._oi)] = i
    found = [None] * (len(inputs) if inputs is not None else 0)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        for node in reversed(order):
            entry = pending.pop(id(node), None)
            if entry is None:
                continue
            if isinstance(node, Tensor):
                i = wanted.get((id(node), 0))
                if i is not None:
                    found[i] = entry
                elif inputs is None:
                    node.grad = entry if node.grad is None else node.grad + entry
                continue
            if node.args is None:
                raise _freed_error(node)
            multi = node.n_out != 1
            if wanted or node.retained:
                for oi, g in enumerate(entry if multi else (entry,)):
                    i = wanted.get((id(node), oi))
                    if i is not None:
                        found[i] = g
                    ref = node.retained and node.retained.get(oi)
                    t = ref() if ref is not None else None
                    if t is not None and g is not None and inputs is None:
                        t.grad = g if t.grad is None else t.grad + g
            _check_versions(node)
            nb = node.b
            xp = nb.ns if create_graph else nb.xp
            if create_graph:
                ins = node.args
                out = node.out
                if out is not None:
                    out = (
                        tuple(_as_tensor(o, nb, node, k) for k, o in enumerate(out))
                        if multi
                        else _as_tensor(out, nb, node, 0)
                    )
            else:
                ins = tuple(a.data if isinstance(a, Tensor) else a for a in node.args)
                out = node.out
            grads = node.backward(xp, tuple(entry) if multi else entry, ins, out)
            for a, e, g in zip(node.args, node.next, grads):
                if e is not None and g is not None:
                    _accumulate(pending, e[0], e[1], _fit(xp, a._b, g, a))
            if not retain_graph:
                node.args = node.next = node.out = None
    finally:
        _grad_state.enabled = prev_mode
    if inputs is not None:
        for i, g in enumerate(found):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"input {i} of grad() was not used to compute the outputs; pass allow_unused=True "
                    "to get None for it"
                )
        return found
    return None


def _seed(t, s, create_graph):
    b = t._b
    if s is None:
        if t.size != 1:
            raise RuntimeError(
                f"backward() without a gradient argument needs a tensor with one element, got shape "
                f"{tuple(t.shape)}; pass grad= with the shape of the tensor"
            )
        s = b.xp.ones_like(t.data)
    if isinstance(s, Tensor):
        if s._b is not b:
            raise _mixed_backends(b, s._b)
        s = s if create_graph else s.data
    elif create_graph:
        s = Tensor._wrap(s, b)
    if tuple(s.shape) != tuple(t.shape):
        raise RuntimeError(f"gradient has shape {tuple(s.shape)} but the tensor has shape {tuple(t.shape)}")
    return s
