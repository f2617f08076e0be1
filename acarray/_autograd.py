"""The autograd engine: :class:`Op`, :func:`apply` (forward and recording) and :func:`run_backward`.

Graph model.  A tensor produced by an op keeps that op in ``ctx``; an op keeps
its arguments (``args``: tensors and constants) and one *edge* per argument:
the op that produced the argument, ``(op, output_index)`` when that op has
several outputs, the argument itself when it is a leaf that requires grad, or
``None`` (a tensor's ``_oi`` is its output index, None unless its op has several
outputs).  Edges point at nodes, not tensors, so that an in-place operation can
give a tensor a new history without rewriting the edges of ops recorded before
it.

Two modes run the same backward rules.  Normally rules receive raw backend
arrays and the backend namespace.  With ``create_graph=True`` they receive
acarray tensors and acarray's namespace for that backend, so the backward pass
is itself recorded and can be differentiated again.
"""

from __future__ import annotations

import itertools
import linecache
import math
import os
import sys
import threading
import weakref
from heapq import heappop, heappush, heappushpop

import array_api_compat as compat

from . import _grad_mode
from ._backend import backend_of
from ._grad_mode import state as _grad_state
from ._tensor import Tensor, set_engine


class Op:
    """One recorded application of a differentiable function.

    Subclasses implement ``forward(xp, *args, **params)`` on raw arrays (Python
    scalars pass through) and ``backward(xp, g, inputs, out)`` returning one
    gradient (or ``None``) per argument.  ``inputs`` are the argument values and
    ``out`` the output value; both are raw arrays, or tensors when the graph of
    the backward pass is being recorded.  A rule is written once for both: it
    talks only to ``xp``, and runs another op with ``_ops.common.apply_or_value``,
    which records it where the values are tensors.  ``out`` is only kept when
    the class sets ``saves_output``; setting ``saves_inputs`` makes backward check that no
    input was modified in place after the forward pass.  ``self.needs[i]`` says
    whether argument ``i`` needs a gradient, so rules can skip work, and
    ``self.kind`` is the output's dtype kind, "f" or "c" (None for multi-output
    ops: :meth:`is_complex` asks the gradient).
    Multi-output ops set ``n_out`` and receive and return tuples.  Subclasses may
    keep what their backward needs as attributes: they get an instance dict, unless
    they declare ``__slots__`` as the element-wise ops do (one dict less per op).

    What else backward needs is the op's *record*, one tuple in ``self.rec``
    (None once backward has freed it), whose fields are read by the indices
    ``REC_ORDER`` to ``REC_EDGE`` defined below the class::

        (order, args, ins, out, versions, exact, b, retained, vjp, edge)

    ``order`` sorts the op for backward (see :func:`_record`), ``args`` are the
    arguments (tensors and constants) and ``ins`` their raw values, ``out`` the
    saved output value(s) or None, ``versions`` the ``(counter, seen, tensor)``
    triples checked for in-place changes or None, ``exact`` says that the
    gradients come back in the shapes and dtypes of the arguments (backward then
    skips checking them), ``b`` is the backend and ``retained`` maps output
    indices to what backward does with their gradients besides passing them on
    (the hooks registered on them and the tensor that called ``retain_grad()``,
    see :class:`_Slot`), or is None.  ``vjp`` and ``edge`` are None, except for element-wise ops where only
    one argument needs a gradient, of its own shape and dtype, and the output is
    real: ``vjp(xp, g, *inputs, out)`` is then that argument's rule, which backward
    calls instead of ``backward``, and ``edge`` that argument's edge (see
    :func:`output`).  Ops come in many classes, and the interpreter only speeds up
    attribute access at sites that see one class: the engine reads and frees
    the record with one attribute access, where it would need a dozen.
    """

    __slots__ = ("next", "kind", "rec", "__weakref__")
    next: tuple
    kind: str | None
    rec: tuple | None
    n_out = 1
    saves_inputs = False
    saves_output = False
    is_view = False  # output shares the version counter of args[0]
    changes_backend = False  # output may be an array of another library (to_device)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._saves = (cls.saves_inputs, cls.saves_output, cls.n_out == 1)  # read once per op by output and _record

    def forward(self, xp, *args, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, xp, g, inputs, out):  # pragma: no cover - abstract
        raise NotImplementedError

    def is_complex(self, g) -> bool:
        """Whether this op's output, and so its gradient ``g``, is complex."""
        kind = self.kind
        if kind is None:
            kind = (g._b if isinstance(g, Tensor) else backend_of(g)).kind(g.dtype)
        return kind == "c"

    @property
    def args(self) -> tuple | None:
        """The arguments this op was applied to (tensors and constants); None once freed."""
        rec = self.rec
        return None if rec is None else rec[REC_ARGS]

    @property
    def needs(self) -> tuple:
        """For each argument, whether it needs a gradient."""
        return tuple(e is not None for e in self.next)

    @property
    def src(self) -> tuple:
        """The tensors this op was applied to."""
        args = self.args
        return tuple(a for a in args if isinstance(a, Tensor)) if args else ()

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}Backward>"


# The fields of an op's record (Op.rec), by index: the one place that says which is where.  The
# record is built as a tuple literal in this order (output, _record) and unpacked in this order
# (run_backward).  A plain tuple read by index constants costs what one read by literal indices
# does; a named tuple would add a call to each op's recording and a descriptor to each field read.
REC_FIELDS = ("order", "args", "ins", "out", "versions", "exact", "backend", "retained", "vjp", "edge")
REC_ORDER, REC_ARGS, REC_INS, REC_OUT, REC_VERSIONS, REC_EXACT, REC_BACKEND, REC_RETAINED, REC_VJP, REC_EDGE = range(
    len(REC_FIELDS)
)


def _mixed_backends(a, b):
    return TypeError(
        f"cannot mix arrays of two backends in one operation: {a.name} and {b.name}; "
        f"move one of them first with acarray.{a.name}.asarray(t) or acarray.{b.name}.asarray(t), "
        "which keep the gradient flowing back to t"
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
            ab = a._b
            if ab is not b:
                if b is not None:
                    raise _mixed_backends(b, ab)
                b = ab
            if a._rg:
                rg = True
            raw.append(a.data)
        else:
            raw.append(a)
            # NumPy scalars are scalars too (np.float64 is a float): CuPy's and Dask's finfo give them.
            if a is not None and a.__class__ not in _SCALARS and not isinstance(a, (int, float, complex)):
                ab = backend_of(a)
                if ab is not b:
                    if b is not None:
                        raise _mixed_backends(b, ab)
                    b = ab
    if b is None:
        raise TypeError("expected at least one array or Tensor argument, got only Python scalars")
    return b, raw, rg


_SCALARS = frozenset((int, float, complex, bool))


def apply(cls, *args, **params):
    """Run ``cls.forward`` on the arguments' values; record the op when a gradient is needed."""
    only = None  # the tensor argument, where it is the only argument and requires grad
    if len(args) == 1 and isinstance(args[0], Tensor):
        x = args[0]
        b, raw, rg = x._b, (x.data,), x._rg
        if rg:
            only = x
    else:
        b, raw, rg = resolve(args)
    op = cls()
    out = op.forward(b.xp, *raw, **params)
    if cls.n_out != 1:
        return _wrap_outputs(op, b, args, raw, out, rg)
    recording = rg and (_grad_mode.disabled_threads == 0 or _grad_state.enabled)
    if not (cls.is_view or cls.changes_backend):
        if recording:
            kind = b.kind(out.dtype)
            if kind == "f" or kind == "c":
                return output(op, b, out, args, raw, (cls.saves_inputs, cls.saves_output, False, kind, None), only)
        return output(None, b, out, args, raw, None, None)
    t = _wrap(out, backend_of(out) if cls.changes_backend else b)
    if cls.is_view and isinstance(args[0], Tensor):
        t._version = args[0]._version  # recorded or not: writes to the source may reach the view
    if recording:
        kind = t._b.kind(t.data.dtype)
        if kind in "fc":
            _record(op, b, args, raw, t, kind)
    return t


_wrap = Tensor._wrap
_new = object.__new__


def output(op, b, data, args, raw, recipe, only):
    """A new tensor around ``data``, a new array of backend ``b`` computed by ``op`` (None: not
    recorded) from ``args`` (``raw``: their values), recorded as that op's only output.
    :func:`apply` and the element-wise functions' fast path (which has resolved backend and
    dtypes itself) make their outputs with it.

    ``recipe`` is what the caller knows about the op, ``(saves_inputs, saves_output, exact,
    kind, vjp)`` (see :class:`Op`; the fast path keeps one per call signature).  ``only``, when
    given, is the one tensor among one or two arguments (it requires grad): its edge and version
    are then written as tuples, without the loop over the arguments, and ``vjp``, if not None,
    is its rule.  Written out for the hot path: what :meth:`Tensor._wrap` and :func:`_record`
    would do for it.
    """
    t = _new(Tensor)
    array_type = b.array_type
    if data.__class__ is not array_type and array_type is not None:
        data = b.as_array(data)  # NumPy ufuncs return scalars for 0-d results
    t.data = data
    t._b = b
    t.grad = None
    t._oi = None
    t._version = [0]
    if op is None:
        t.ctx = None
        t._rg = False
        return t
    saves_inputs, saves_output, exact, kind, vjp = recipe
    edge = None
    if only is not None:
        c = only.ctx
        e = only if c is None else c if only._oi is None else (c, only._oi)
        op.next = (e,) if len(args) == 1 else (e, None) if args[0] is only else (None, e)
        versions = ((only._version, only._version[0], only),) if saves_inputs else None
        if vjp is not None:
            edge = e
    else:
        op.next, versions = _inputs(args, saves_inputs)
    if saves_output:
        versions = ((t._version, 0, None),) if versions is None else versions + ((t._version, 0, None),)
    op.kind = kind
    # The fields of REC_FIELDS, in order.
    op.rec = (next(_ORDER), args, raw, data if saves_output else None, versions, exact, b, None, vjp, edge)
    t.ctx = op
    t._rg = True
    return t


def _wrap_outputs(op, b, args, raw, outs, rg):
    """Tensors for the outputs of a multi-output op, recorded when any of them is differentiable."""
    outs = tuple(_wrap(o, b) for o in outs)
    differentiable = [b.is_differentiable(t.data.dtype) for t in outs]
    if rg and _grad_mode.recording() and True in differentiable:
        _record(op, b, args, raw, outs)
        for i, t in enumerate(outs):
            if differentiable[i]:
                t.ctx, t._oi, t._rg = op, i, True
    return outs


_ORDER: itertools.count[int] | _SiteCounter = itertools.count(0, -1)  # see _record


def _inputs(args, saves_inputs):
    """An op's edges, one per argument (see :class:`Op`), and the versions of the argument
    tensors (None when the op does not save its inputs)."""
    edges = []
    versions = []
    for a in args:
        if isinstance(a, Tensor):
            if a._rg:
                c = a.ctx
                edges.append(a if c is None else c if a._oi is None else (c, a._oi))
            else:
                edges.append(None)
            if saves_inputs:
                versions.append((a._version, a._version[0], a))
        else:
            edges.append(None)
    return edges, tuple(versions) if saves_inputs else None


def _record(op, b, args, raw, out, kind=None):
    """Make ``op`` the history of ``out``, a tensor that :func:`output` did not make (a view or
    an array of another backend), or the tuple of a multi-output op's outputs (which the caller
    marks).

    The op keeps one edge per argument to the node that produced it, and its record (see
    :class:`Op`): the arguments (tensors and their raw values), the outputs' values when
    backward reads them (``saves_output``), the versions of what backward reads, and its
    ``order``: ops are numbered downwards as they are recorded, always below the ops that
    produced their inputs, so that taking the lowest number first is a topological order for
    backward.
    """
    saves_inputs, saves_output, single = op._saves
    op.next, versions = _inputs(args, saves_inputs)
    op.kind = kind
    value = None
    if single:
        out.ctx = op
        out._rg = True
        outs = (out,)
    else:
        outs = out
    if saves_output:
        saved = tuple((t._version, t._version[0], None) for t in outs)
        versions = saved if versions is None else versions + saved
        value = outs[0].data if single else tuple(t.data for t in outs)
    # The fields of REC_FIELDS, in order; exact is False: backward checks the gradients.
    op.rec = (next(_ORDER), args, raw, value, versions, False, b, None, None, None)


def retain(op, oi, t) -> None:
    """Have backward store the gradient of output ``oi`` of ``op`` (tensor ``t``) in ``t.grad``."""
    slot = _slot(op, oi, t)
    if slot is not None:  # None: freed, and a backward pass through it raises
        slot.ref = weakref.ref(t)


# -- hooks -------------------------------------------------------------------------

# A non-leaf's hooks live where retain_grad() keeps its tensor: in the retained map of the record
# of the op that made it, whose output slot says what backward does with that output's gradient
# besides passing it on.  Backward already looks at that map for every op, so ops without hooks
# cost nothing more.  A leaf's hooks live in _LEAF_HOOKS, by id (tensors are not hashable);
# backward picks a leaf function that looks there only when the table is not empty.


class _Slot:
    """What backward does with the complete gradient of one output of an op besides passing it on:
    call the hooks registered on that output (``hooks``: handle id -> function, or None), then store
    it in ``.grad`` of the tensor behind ``ref`` (a weak reference, or None: no retain_grad).
    ``meta`` is the output's (shape, dtype, device), which a hook's result must have."""

    __slots__ = ("ref", "hooks", "meta")

    def __init__(self, meta):
        self.ref = None
        self.hooks = None
        self.meta = meta


def _meta(t) -> tuple:
    return tuple(t.data.shape), t.data.dtype, compat.device(t.data)


def _slot(op, oi, t):
    """The slot of output ``oi`` of ``op`` (``t`` is that output), made on first use; None where
    backward has freed the op."""
    rec = op.rec
    if rec is None:
        return None
    retained = rec[REC_RETAINED]
    if retained is None:
        retained = {}
        op.rec = rec[:REC_RETAINED] + (retained,) + rec[REC_RETAINED + 1:]
    slot = retained.get(oi)
    if slot is None:
        slot = retained[oi] = _Slot(_meta(t))
    return slot


_LEAF_HOOKS: dict = {}  # id(leaf) -> (weak reference to it, its hooks: handle id -> function)
_HOOK_IDS = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``remove()`` unregisters it (a second call does nothing);
    also a context manager that removes it on exit, as PyTorch's ``RemovableHandle``."""

    __slots__ = ("hooks_dict", "id", "_on_empty")

    def __init__(self, hooks_dict, on_empty=None):
        self.hooks_dict = hooks_dict
        self.id = next(_HOOK_IDS)
        self._on_empty = on_empty

    def remove(self) -> None:
        """Unregister the hook."""
        hooks = self.hooks_dict
        if hooks is not None and hooks.pop(self.id, None) is not None and not hooks and self._on_empty is not None:
            self._on_empty()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle {self.id}>"


def add_hook(t, fn) -> RemovableHandle:
    """Register ``fn`` to be called with the gradient of tensor ``t`` during backward (see
    :meth:`Tensor.register_hook`)."""
    if not callable(fn):
        raise TypeError(f"register_hook: the hook must be callable, got {type(fn).__name__}")
    if not t._rg:
        raise RuntimeError(
            "register_hook: cannot register a hook on a tensor that doesn't require grad; a leaf needs "
            "requires_grad_() first, and a result needs an argument that requires grad"
        )
    op = t.ctx
    if op is None:
        key = id(t)
        entry = _LEAF_HOOKS.get(key)
        if entry is None:
            def gone(_ref, key=key):
                _LEAF_HOOKS.pop(key, None)

            entry = _LEAF_HOOKS[key] = (weakref.ref(t, gone), {})
        hooks: dict = entry[1]

        def on_empty(key=key, hooks=hooks):
            e = _LEAF_HOOKS.get(key)
            if e is not None and e[1] is hooks:
                del _LEAF_HOOKS[key]

        handle = RemovableHandle(hooks, on_empty)
    else:
        slot = _slot(op, t._oi, t)
        if slot is None:  # freed by backward: no pass can reach this tensor's gradient again
            return RemovableHandle(None)
        if slot.hooks is None:
            slot.hooks = {}
        hooks = slot.hooks
        handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


def _run_hooks(hooks, g, b, meta):
    """``g`` after the hooks (handle id -> function) have seen it, each in turn: a hook's result,
    unless None, replaces it.  Hooks get a Tensor: in the plain mode one that does not require grad
    around the raw gradient (their result is unwrapped again), under ``create_graph=True`` the
    gradient itself.  ``meta``: what the gradient must stay, (shape, dtype, device)."""
    graph = isinstance(g, Tensor)
    for fn in list(hooks.values()):
        r = fn(g if graph or g is None else Tensor._wrap(g, b))
        if r is not None:
            if g is None:
                raise RuntimeError(
                    f"register_hook: the hook {_hook_name(fn)} was called with None (this output of a "
                    "multi-output op received no gradient) and returned a gradient; it cannot replace a "
                    "None gradient: return None there"
                )
            g = _hook_result(fn, r, b, meta, graph)
    return g


def _hook_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _hook_result(fn, r, b, meta, graph):
    """A hook's result ``r`` as the gradient it replaces: checked against ``meta``, a Tensor under
    create_graph and a raw array otherwise."""
    name = _hook_name(fn)
    if isinstance(r, Tensor):
        rb, value = r._b, r.data
    else:
        rb = None
        if not isinstance(r, (bool, int, float, complex, list, tuple)):
            try:
                rb = backend_of(r)
            except TypeError:
                pass
        if rb is None:
            raise TypeError(
                f"register_hook: the hook {name} returned {type(r).__name__}; a hook returns None (to keep "
                "the gradient) or a gradient, a Tensor of the tensor's shape and dtype"
            )
        value = r
    shape, dtype, device = meta
    if rb is not b:
        raise TypeError(
            f"register_hook: the hook {name} returned an array of backend {rb.name}, but the tensor's "
            f"backend is {b.name}; return a gradient of the tensor's backend"
        )
    wrong = [(what, got, want) for what, got, want in (
        ("shape", tuple(value.shape), shape), ("dtype", value.dtype, dtype), ("device", compat.device(value), device))
        if got != want]
    if wrong:
        raise RuntimeError(
            f"register_hook: the hook {name} returned a gradient of "
            + ", ".join(f"{what} {got}" for what, got, _ in wrong) + ", but the tensor has "
            + ", ".join(f"{what} {want}" for what, _, want in wrong)
            + "; return a gradient of the tensor's shape, dtype and device (or None to keep it)"
        )
    if graph:
        return r if isinstance(r, Tensor) else Tensor._wrap(value, b)
    array_type = b.array_type
    if array_type is not None and value.__class__ is not array_type:
        value = b.as_array(value)
    return value


def _hooked_leaves(inner, sink, deferred):
    """The leaf function of a backward pass while some leaf has hooks: gradients arriving at a
    leaf with hooks are summed in ``deferred`` (id -> [leaf, gradient]), so that its hooks see the
    complete gradient once (:func:`_flush_leaves`), as PyTorch's do; other leaves go to ``inner``.
    With inputs, only the leaves among them are hooked, as only they are computed."""
    wanted = sink.wanted if sink.found is not None else None

    def to_leaf(t, g, handed):
        key = id(t)
        if key not in _LEAF_HOOKS or (wanted is not None and (key, None) not in wanted):
            return inner(t, g, handed)
        d = deferred.get(key)
        if d is None:
            deferred[key] = [t, g]
        else:
            d[1] = d[1] + g

    return to_leaf


def _flush_leaves(inner, deferred, handed):
    """Run the hooks of the leaves that gradients reached, on their complete gradients, and hand
    the results on to ``inner``."""
    for t, g in deferred.values():
        entry = _LEAF_HOOKS.get(id(t))
        if entry is not None:
            g = _run_hooks(entry[1], g, t._b, _meta(t))
        inner(t, g, handed)


# -- anomaly detection -------------------------------------------------------------

# While a thread has detect_anomaly() on, ops remember the line of user code that made them.
# Every recorded op takes its order from _ORDER (see _record), so the hot path pays nothing for
# this: track_sites swaps _ORDER for a counter that also notes the call site under that number.

_SITES: dict = {}  # order -> (file, line, function) of ops made under detect_anomaly()
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class _SiteCounter:
    """Counts down as _ORDER does, noting the call site of each number taken in a thread that
    has anomaly detection on."""

    def __init__(self, start):
        self._count = itertools.count(start, -1)

    def __iter__(self):
        return self

    def __next__(self):
        n = next(self._count)
        if _grad_mode.anomaly.on:
            f = sys._getframe(1)
            while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
                f = f.f_back
            if f is not None:
                _SITES[n] = (f.f_code.co_filename, f.f_lineno, f.f_code.co_name)
        return n


def track_sites(on: bool) -> None:
    """Start noting ops' call sites, or stop and forget them (when no thread has anomaly detection on)."""
    global _ORDER
    if on != isinstance(_ORDER, _SiteCounter):
        start = next(_ORDER)
        _ORDER = _SiteCounter(start) if on else itertools.count(start, -1)
    if not on:
        _SITES.clear()


def _count(v, test: str) -> int:
    """How many elements of ``v`` (an array, a Tensor, a Python number, None, a tuple of them)
    fail ``test``, "isfinite", or are NaN (``test`` "isnan")."""
    if v is None or isinstance(v, (bool, int, str)):
        return 0
    if isinstance(v, (tuple, list)):
        return sum(_count(e, test) for e in v)
    if isinstance(v, (float, complex)):
        return int(math.isnan(abs(v)) if test == "isnan" else not math.isfinite(abs(v)))
    if isinstance(v, Tensor):
        v = v.data
    b = backend_of(v)
    if b.kind(v.dtype) not in "fc":
        return 0
    hit = b.xp.isnan(v) if test == "isnan" else b.xp.logical_not(b.xp.isfinite(v))
    return int(b.xp.count_nonzero(hit))


def _check_anomaly(node, entry, ins, grads) -> None:
    """Under detect_anomaly(): raise if ``node``'s rule, given a finite gradient, returned NaN,
    or returned an infinity from finite inputs (an infinity from an infinite input is often right)."""
    if _count(entry, "isfinite"):
        return  # the values came in so: an earlier rule was reported, or the outputs were not finite
    bad = [i for i, g in enumerate(grads) if g is not None and _count(g, "isfinite")]
    if not bad:
        return
    nan = [i for i in bad if _count(grads[i], "isnan")]
    inputs_finite = not _count(ins, "isfinite")
    if not nan and not inputs_finite:
        return
    site = _SITES.get(node.rec[REC_ORDER])
    where = (
        f"{node.name} was created at {site[0]}:{site[1]}, in {site[2]}:\n    {linecache.getline(site[0], site[1]).strip()}"
        if site is not None else f"{node.name} was recorded outside detect_anomaly(), so where is unknown"
    )
    what = f"NaN in the gradient of argument {nan[0]}" if nan else f"an infinity in the gradient of argument {bad[0]}"
    hint = "" if inputs_finite else (
        "; its inputs already held NaN or infinities, made earlier in the forward pass"
    )
    raise RuntimeError(f"detect_anomaly: the backward rule of {node.name} returned {what} from a finite incoming "
                       f"gradient{hint}; {where}")


# -- backward ----------------------------------------------------------------------


def _freed_error(op):
    return RuntimeError(
        f"trying to backward through the graph a second time (through {op.name}): its saved values were "
        "freed after the first backward(); pass retain_graph=True to the first call if you need to "
        "backward twice"
    )


def edge_target(edge) -> tuple:
    """``(node, output_index)`` for an edge of :attr:`Op.next` (index None: the node's only output)."""
    return edge if edge.__class__ is tuple else (edge, None)


def _receive(pending, queue, chained, edge, g):
    """Add ``g`` to what the node at ``edge`` has received (a list per multi-output node),
    queueing the node, once its saved values are found to be there, on its first gradient.

    ``chained`` is the node that waits outside the heap (see :func:`run_backward`), or None:
    returns what it is now, the new node where it is the only one waiting."""
    node, oi = edge_target(edge)
    cur = pending.get(node)
    if cur is None:
        rec = node.rec
        if rec is None:
            raise _freed_error(node)
        if queue or chained is not None:
            heappush(queue, (rec[REC_ORDER], node))
        else:
            chained = node
    if oi is None:
        pending[node] = g if cur is None else cur + g
    else:
        if cur is None:
            cur = pending[node] = [None] * node.n_out
        cur[oi] = g if cur[oi] is None else cur[oi] + g
    return chained


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


def _fit(xp, g, arg):
    """Bring gradient ``g`` to the shape and dtype of the argument it belongs to."""
    d = arg.data
    if g.shape != d.shape:
        g = unbroadcast(xp, g, tuple(d.shape))
    dt = d.dtype
    if g.dtype != dt:
        b = arg._b
        if b.kind(dt) == "f" and b.kind(g.dtype) == "c":
            g = xp.real(g)
        if g.dtype != dt:
            g = xp.astype(g, dt)
    return g


def _modified_error(op, now, seen):
    # Saved values are raw arrays, stale only if written into.  When the backward pass is recorded,
    # inputs are read from their tensors, stale also if a recorded in-place op gave the tensor a new
    # value (and a new counter).
    return RuntimeError(
        f"one of the tensors needed to compute the gradient of {op.name} was modified by an "
        f"in-place operation after it was used (now at version {now}, expected "
        f"version {seen}); make a copy before modifying it, or modify it before use"
    )


def _as_tensor(value, b, op, oi):
    """Graph-mode view of a saved output value: a tensor whose history is ``op``."""
    t = Tensor._wrap(value, b)
    if b.is_differentiable(value.dtype):
        t.ctx, t._oi, t._rg = op, oi, True
    return t


class _Sink:
    """Where gradients arriving at leaves (and at requested inputs) end up."""

    __slots__ = ("wanted", "found")

    def __init__(self, inputs):
        self.wanted = {}
        self.found = None
        if inputs is not None:
            for i, t in enumerate(inputs):
                if not isinstance(t, Tensor) or not t._rg:
                    raise RuntimeError(f"input {i} of grad() does not require grad")
                self.wanted[(id(t.ctx if t.ctx is not None else t), t._oi)] = i
            self.found = [None] * len(inputs)

    def leaf(self, t, g, handed):
        if self.found is None:
            _store_grad(t, g, handed)
        else:
            i = self.wanted.get((id(t), None))
            if i is not None:
                self.found[i] = g if self.found[i] is None else self.found[i] + g

    def op_outputs(self, op, retained, g, handed):
        """The gradient of ``op``'s output (a tuple of them, None where one received nothing, for
        a multi-output op), complete: run the hooks registered on it, then capture it, or retain
        it (``retained``: the op's map of output indices to slots, see :class:`_Slot`).  Returns
        the gradient as the hooks left it, which flows on to the op's inputs."""
        if op.n_out == 1:
            return self._one(op, retained, None, g, handed)
        out = list(g)
        for oi, gi in enumerate(out):
            if gi is not None or (retained and oi in retained and retained[oi].hooks):
                out[oi] = self._one(op, retained, oi, gi, handed)  # hooks see None, as PyTorch's do
        return tuple(out)

    def _one(self, op, retained, oi, g, handed):
        """The complete gradient ``g`` of output ``oi`` of ``op`` (None: its only output)."""
        slot = retained.get(oi) if retained else None
        if slot is not None and slot.hooks:
            g = _run_hooks(slot.hooks, g, op.rec[REC_BACKEND], slot.meta)
        if g is None:
            return None
        if self.found is not None:
            i = self.wanted.get((id(op), oi))
            if i is not None:
                self.found[i] = g
        elif slot is not None and slot.ref is not None:
            t = slot.ref()
            if t is not None:
                _store_grad(t, g, handed)
        return g


_TO_GRAD = _Sink(None)  # holds no state when there are no inputs: shared by every backward()


_GRAD_LOCK = threading.Lock()  # backward() calls in two threads may reach the same leaf


def _store_grad(t, g, handed):
    """Accumulate gradient ``g`` into ``t.grad``.

    ``.grad`` is an array of its own: never the seed, another leaf's gradient or a read-only
    view (a broadcast), so that ``t.grad *= s`` and ``t.grad[m] = 0`` touch this gradient
    alone.  ``handed`` holds the ids of the arrays this backward pass has given out (its seeds,
    the gradients it stored); a gradient among them, or one that the backend does not say is an
    array of its own (:meth:`Backend.owns`), is copied.  Accumulation makes a new array, so a
    gradient held from an earlier pass keeps its values."""
    b = t._b
    with _GRAD_LOCK:
        old = t.grad
        fresh = old is not None
        if fresh:
            g = old + g
        if isinstance(g, Tensor):
            if not fresh and id(g) in handed:
                g = +g
        else:
            array_type = b.array_type
            if array_type is not None and g.__class__ is not array_type:
                g = b.as_array(g)  # NumPy turns 0-d results into scalars
            elif not fresh and (id(g) in handed or not b.owns(g)):
                g = b.copy(g)
        t.grad = g
        handed.add(id(g))


def run_backward(roots, seeds, *, retain_graph=False, create_graph=False, inputs=None, allow_unused=False,
                 leaf_hooks=True, prune=None):
    """Propagate ``seeds`` from ``roots`` back through the graph.

    Without ``inputs`` gradients accumulate into the ``.grad`` of leaves (and of
    tensors that called ``retain_grad()``); with ``inputs`` they are returned, in
    order, and no ``.grad`` is touched.  Hooks registered on tensors run as their
    gradients complete (``leaf_hooks=False``: not those of leaves, for a pass
    inside another one that hands the leaves' gradients on).
    """
    b = roots[0]._b
    sink = _Sink(inputs) if inputs is not None else _TO_GRAD
    pending: dict = {}  # op -> the gradient of its output (a list of them for multi-output ops)
    queue: list = []  # (order, op): the op with the lowest number is processed first
    # ``chained``: the only node waiting, kept out of the heap.  A chain of ops then never touches
    # the heap; as soon as another node waits too, it goes back in, so the order stays the heap's.
    # ``carried``: its gradient, where the path of ops with one rule chained it (else in pending).
    chained = carried = None
    handed: set = set()  # ids of the arrays given out: the seeds and the stored gradients (see _store_grad)
    to_leaf = inner_leaf = _store_grad if sink.found is None else sink.leaf
    # With inputs, ``prune`` (by default: when the pass is recorded) visits only the nodes on a path
    # to one of them (None: every node).  The walk that finds them costs about what a plain pass
    # over small ops does, so a plain pass does without it; a recorded pass, or one through a
    # recorded backward (the transpose of a vjp), saves far more than it costs.
    if prune is None:
        prune = create_graph
    if inputs is None or not prune:
        useful = None
    else:  # a set from useful_nodes, made once for several passes over one graph (a Jacobian's rows)
        useful = prune if isinstance(prune, set) else _leading_to(roots, sink.wanted)
    deferred = None  # the gradients of leaves with hooks, summed until the pass ends (see _hooked_leaves)
    if _LEAF_HOOKS and leaf_hooks:
        deferred = {}
        to_leaf = _hooked_leaves(inner_leaf, sink, deferred)
    for t, s in zip(roots, seeds):
        if t._b is not b:
            raise _mixed_backends(b, t._b)
        if not t._rg:
            raise RuntimeError(
                "this tensor does not require grad and has no grad_fn: nothing to differentiate "
                "(did you forget requires_grad=True, or compute it under no_grad()?)"
            )
        s = _seed(t, s, create_graph)
        handed.add(id(s))
        if t.ctx is None:
            to_leaf(t, s, handed)
        elif useful is None or id(t.ctx) in useful:
            chained = _receive(pending, queue, chained, t.ctx if t._oi is None else (t.ctx, t._oi), s)
    capture = bool(sink.wanted)
    anomaly = _grad_mode.anomaly_threads and _grad_mode.anomaly.on
    # Rules given raw arrays record nothing whatever the mode; a recorded pass records even under no_grad().
    prev_mode = _grad_mode.set_enabled(True) if create_graph else None
    # A local, whose load is as short as a literal's (a global's carries an inline cache): the
    # jumps of the loop keep their one-byte offsets, not one more instruction an op.
    order_field = REC_ORDER
    try:
        while True:
            if chained is not None:
                node = chained
                chained = None
                if queue:
                    node = heappushpop(queue, (node.rec[order_field], node))[1]
            elif queue:
                node = heappop(queue)[1]  # its saved values are there: every node is checked as it is queued
            else:
                break
            if carried is None:
                entry = pending.pop(node)
                if entry.__class__ is list:  # what multi-output ops receive, see _receive
                    entry = tuple(entry)
            else:  # nothing was queued after it: this is the chained node
                entry = carried
                carried = None
            _, args, ins, out, versions, exact, nb, retained, vjp, edge = node.rec  # REC_FIELDS, in order
            if capture or retained:
                entry = sink.op_outputs(node, retained, entry, handed)
            if versions:
                for counter, seen, tensor in versions:
                    if counter[0] != seen or (create_graph and tensor is not None and tensor._version is not counter):
                        raise _modified_error(node, counter[0], seen)
            if create_graph:
                xp, ins, out = _graph_mode_values(node, nb, args, out)
            else:
                xp = nb.xp
            if vjp is not None:  # one argument's rule alone, its gradient exact: no fitting
                g = vjp(xp, entry, ins[0], out) if len(ins) == 1 else vjp(xp, entry, ins[0], ins[1], out)
                if anomaly:
                    _check_anomaly(node, entry, ins, (g,))
                if isinstance(edge, Tensor):
                    to_leaf(edge, g, handed)
                elif useful is not None and id(edge[0] if edge.__class__ is tuple else edge) not in useful:
                    pass  # leads to none of the inputs asked for
                elif edge.__class__ is tuple:
                    chained = _receive(pending, queue, chained, edge, g)
                else:  # a single-output node: _receive, written out on the hot path
                    cur = pending.get(edge)
                    if cur is None:
                        rec = edge.rec
                        if rec is None:
                            raise _freed_error(edge)
                        if queue or chained is not None:
                            heappush(queue, (rec[order_field], edge))
                            pending[edge] = g
                        else:
                            chained = edge
                            carried = g
                    else:
                        pending[edge] = cur + g
            else:
                grads = node.backward(xp, entry, ins, out)
                if anomaly:
                    _check_anomaly(node, entry, ins, grads)
                for a, e, g in zip(args, node.next, grads):
                    if e is None or g is None:
                        continue
                    if not exact:
                        d = a.data
                        if g.shape != d.shape or g.dtype != d.dtype:
                            g = _fit(xp, g, a)
                    if isinstance(e, Tensor):
                        to_leaf(e, g, handed)
                    elif useful is None or id(e[0] if e.__class__ is tuple else e) in useful:
                        chained = _receive(pending, queue, chained, e, g)
            if not retain_graph:
                node.rec = None  # its edges stay: what a freed graph looked like can still be read
        if deferred:
            _flush_leaves(inner_leaf, deferred, handed)
    finally:
        if create_graph:
            _grad_mode.set_enabled(prev_mode)
    if inputs is None:
        return None
    for i, g in enumerate(sink.found):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} of grad() was not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
    return sink.found


def useful_nodes(roots, inputs) -> set:
    """What ``run_backward(roots, ..., inputs=inputs, prune=...)`` visits, for passing as ``prune``
    to several passes over the same graph."""
    return _leading_to(roots, _Sink(inputs).wanted)


def _leading_to(roots, wanted) -> set:
    """The ids of the op nodes reachable from ``roots`` from which one of ``wanted`` (the keys of
    :class:`_Sink`) can be reached: the part of the graph that ``grad(outputs, inputs)`` needs.
    Gradients are not propagated into other nodes, so a recorded pass (the transpose of a vjp,
    a Hessian's rows) does not differentiate what leads only elsewhere."""
    targets = {key[0] for key in wanted}
    done: dict = {}  # id -> whether a wanted node is reachable from it
    # Entries are (node, None) to visit, then (node, its children) once they are all done.
    stack: list = [(t.ctx, None) for t in roots if t.ctx is not None]
    while stack:
        node, children = stack.pop()
        key = id(node)
        if children is not None:
            done[key] = key in targets or any(done.get(id(c), False) for c in children)
            continue
        if key in done:
            continue
        done[key] = False  # until its children are done (the graph has no cycles)
        children = [e[0] if e.__class__ is tuple else e for e in node.next if e is not None]
        stack.append((node, children))
        for c in children:
            ck = id(c)
            if ck not in done:
                if isinstance(c, Tensor):
                    done[ck] = ck in targets
                else:
                    stack.append((c, None))
    return {key for key, reaches in done.items() if reaches}


def _graph_mode_values(node, nb, args, out):
    """What a backward rule reads when the backward pass is recorded: acarray's namespace, the
    argument tensors, and the saved outputs as tensors whose history is ``node``."""
    if out is not None:
        if node.n_out == 1:
            out = _as_tensor(out, nb, node, None)
        else:
            out = tuple(_as_tensor(o, nb, node, k) for k, o in enumerate(out))
    return nb.ns, args, out


def _seed(t, s, create_graph):
    """The gradient that backward starts from at ``t``: ones where ``s`` is None, else ``s``
    (a tensor or an array of ``t``'s backend, a Python scalar or a nested list of them) checked
    against ``t`` and cast to its dtype, as PyTorch casts a seed of another dtype.  Refused: a
    seed of another backend or device, of another shape, or complex for a real tensor (the cast
    would drop the imaginary part, which the standard's ``astype`` does not allow)."""
    b = t._b
    data = t.data
    if s is None:
        shape = tuple(data.shape)
        if shape.count(1) != len(shape):
            raise RuntimeError(
                f"backward() without a gradient argument needs a tensor with one element, got shape "
                f"{shape}; pass grad= with the shape of the tensor"
            )
        s = b.xp.ones_like(data)
        return Tensor._wrap(s, b) if create_graph else s
    if isinstance(s, Tensor):
        if s._b is not b:
            raise _seed_backend_error(b, s._b)
        value = s.data
    elif isinstance(s, (bool, int, float, complex, list, tuple)):
        value = b.xp.asarray(s)
        if b.kind(value.dtype) != "c" or b.kind(data.dtype) == "c":  # else refused below
            value = b.xp.asarray(s, dtype=data.dtype, device=compat.device(data))  # not through float32 (torch)
        s = None
    else:
        sb = backend_of(s)
        if sb is not b:
            raise _seed_backend_error(b, sb)
        value = s
        s = None
    if tuple(value.shape) != tuple(data.shape):
        raise RuntimeError(
            f"backward(): the gradient has shape {tuple(value.shape)} but the tensor has shape {tuple(data.shape)}"
        )
    if compat.device(value) != compat.device(data):
        raise RuntimeError(
            f"backward(): the gradient is on device {compat.device(value)} but the tensor is on "
            f"{compat.device(data)}; move it with to_device first"
        )
    dt = data.dtype
    if value.dtype != dt:
        if b.kind(value.dtype) == "c" and b.kind(dt) != "c":
            raise TypeError(
                f"backward(): a complex gradient ({value.dtype}) for a real tensor ({dt}) would lose its "
                "imaginary part; pass a real gradient, or take real() of it"
            )
        if create_graph and s is not None:
            return b.ns.astype(s, dt)  # recorded: the seed's own gradient flows back through the cast
        value = b.xp.astype(value, dt)
        s = None
    if create_graph:
        return s if s is not None else Tensor._wrap(value, b)
    return value


def _seed_backend_error(b, other):
    return TypeError(
        f"backward(): the gradient is an array of backend {other.name} but the tensor's backend is {b.name}; "
        f"convert the gradient with acarray.{b.name}.asarray first"
    )


# Tensor sits below the engine: its backward() and retain_grad() reach run_backward and retain
# through this hook.
set_engine(sys.modules[__name__])
