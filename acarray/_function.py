"""Differentiable functions defined by their users: :class:`Function` (PyTorch's
``torch.autograd.Function``), :func:`once_differentiable` and :func:`custom_vjp` (JAX's).

A :class:`Function` runs its ``forward(ctx, *args)`` without recording, on the tensors it is
given, and becomes one node of the graph: during backward the engine calls its
``backward(ctx, *grads)`` with one gradient per output and checks what comes back, one gradient
per argument, of the argument's shape and dtype.  Under ``create_graph=True`` the gradients
handed to ``backward`` and the saved tensors carry their graph, so a backward that computes with
acarray's functions (the namespace of its arguments) is itself recorded and can be differentiated
again; one that computes with NumPy cannot be, and is refused.
"""

from __future__ import annotations

import functools

import array_api_compat as compat

from . import _grad_mode
from ._autograd import REC_ARGS, REC_BACKEND, Op, _as_tensor, _record, resolve
from ._autograd import apply as _apply
from ._backend import backend_of
from ._tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable", "custom_vjp"]


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: :meth:`save_for_backward`, and any attribute
    set on it (``ctx.mode = mode``).  ``needs_input_grad`` says, per argument of ``apply``,
    whether a gradient is wanted."""

    def __init__(self, name, needs_input_grad):
        self._name = name
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._outputs = None  # id of each output forward returned -> (output index, data, backend)
        self._node = None  # the graph node, while its backward runs (not kept: the node holds ctx)
        self._non_differentiable = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (arguments or outputs of ``forward``, or None) for ``backward``, which reads
        them as :attr:`saved_tensors`; an in-place change to one of them before backward is an
        error there."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"{self._name}: save_for_backward takes tensors (or None), got {type(t).__name__} at "
                    f"position {i}; keep other values as attributes of ctx (ctx.value = ...)"
                )
        self._saved = tuple((t, None if t is None else t._version, None if t is None else t._version[0])
                            for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to :meth:`save_for_backward`, in order.  During a recorded backward
        (``create_graph=True``) they carry their graph (an output's history is this function);
        otherwise they do not require grad."""
        graph = _grad_mode.custom_backward.graph
        out: list = []
        for t, counter, seen in self._saved:
            if t is None:
                out.append(None)
                continue
            if counter[0] != seen or t._version is not counter:  # written into, or given a new value in place
                raise RuntimeError(
                    f"{self._name}: a tensor saved for backward was modified in place after it was saved "
                    f"(saved at version {seen}); save a copy, or modify it after backward"
                )
            oi = self._outputs.get(id(t)) if self._outputs is not None else None
            if oi is not None:  # an output: in a recorded backward, its history is this function's node
                k, data, b = oi
                t = _as_tensor(data, b, self._node, k) if graph and self._node is not None else Tensor._wrap(data, b)
            elif not graph:
                t = t.detach()
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *outputs) -> None:
        """Declare outputs of ``forward`` that have no gradient (indices, masks): they do not require
        grad, and ``backward`` receives zeros (or None) for them."""
        self._non_differentiable.update(id(t) for t in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` receives None for outputs that got no gradient, instead of zeros."""
        self.materialize_grads = bool(value)


class _FunctionNode(Op):
    """The graph node of one ``Function.apply``."""

    def __init__(self, fn, ctx, n_out, metas):
        self.fn = fn
        self.ctx = ctx
        self.n_out = n_out
        self._saves = (False, False, n_out == 1)
        self.metas = metas  # (backend, shape, dtype, device) of each output, for zeros where none arrived

    @property
    def name(self) -> str:
        return self.fn.__name__

    def backward(self, xp, g, inputs, out):
        fn, ctx = self.fn, self.ctx
        rec = self.rec
        graph = xp is rec[REC_BACKEND].ns  # a recorded backward pass (create_graph=True)
        grads = (g,) if self.n_out == 1 else tuple(g)
        given = []
        for gi, (b, shape, dtype, device) in zip(grads, self.metas):
            if gi is None:
                if ctx.materialize_grads:
                    gi = b.xp.zeros(shape, dtype=dtype, device=device)
                    if graph:
                        gi = Tensor._wrap(gi, b)
            if gi is not None and not isinstance(gi, Tensor):
                gi = Tensor._wrap(gi, b)
            given.append(gi)
        prev = _grad_mode.custom_backward.graph, _grad_mode.custom_backward.name
        _grad_mode.custom_backward.graph, _grad_mode.custom_backward.name = graph, fn.__name__
        mode = _grad_mode.set_enabled(graph)
        ctx._node = self
        try:
            result = fn.backward(ctx, *given)
        finally:
            ctx._node = None
            _grad_mode.set_enabled(mode)
            _grad_mode.custom_backward.graph, _grad_mode.custom_backward.name = prev
        return _checked_grads(fn.__name__, result, rec[REC_ARGS], self.needs, graph)


def _checked_grads(name, result, args, needs, graph):
    """What ``backward`` returned, checked against the arguments: one gradient per argument, of its
    shape (or one that broadcasting from it gives: summed back, as PyTorch does) and dtype; raw
    arrays in the plain mode, tensors under ``create_graph=True``."""
    if not isinstance(result, (tuple, list)):
        result = (result,)
    if len(result) != len(args):
        raise RuntimeError(
            f"{name}.backward returned {len(result)} gradient(s) but apply was given {len(args)} argument(s); "
            "return one per argument of forward (after ctx), None for those without a gradient"
        )
    out = []
    for i, (gi, a, need) in enumerate(zip(result, args, needs)):
        if gi is None or not need:
            out.append(None)
            continue
        if isinstance(gi, Tensor):
            if gi._b is not a._b:
                raise TypeError(
                    f"{name}.backward returned a gradient of backend {gi._b.name} for argument {i}, a tensor of "
                    f"backend {a._b.name}; compute it with the namespace of the arguments (acarray.namespace(x))"
                )
            value = gi.data
        elif not _is_array(gi):
            if not isinstance(gi, (int, float, complex)):
                raise TypeError(f"{name}.backward returned a {type(gi).__name__} as the gradient of argument {i}, "
                                "not an array; return a tensor (or None)")
            raise TypeError(
                f"{name}.backward returned a Python {type(gi).__name__} as the gradient of argument {i}; return an "
                f"array of the argument's shape {a.shape} (xp.full_like(x, value))"
            )
        else:
            if graph:
                raise RuntimeError(
                    f"{name}.backward returned a {type(gi).__module__}.{type(gi).__name__} under create_graph=True: "
                    "its gradient cannot be recorded, so second derivatives would be silently wrong. Compute "
                    "backward with acarray's functions on the tensors it receives (the namespace of its arguments, "
                    "acarray.namespace(grad)), or mark it @acarray.autograd.once_differentiable to refuse "
                    "double backward explicitly"
                )
            gb = backend_of(gi)
            if gb is not a._b:
                raise TypeError(
                    f"{name}.backward returned an array of backend {gb.name} for argument {i}, a tensor of "
                    f"backend {a._b.name}"
                )
            value = gi
        shape, want = tuple(value.shape), tuple(a.data.shape)
        if shape != want:
            if not _broadcasts(want, shape):
                raise RuntimeError(
                    f"{name}.backward returned a gradient of shape {shape} for argument {i}, which has shape {want}"
                )
        if value.dtype != a.data.dtype:
            raise TypeError(
                f"{name}.backward returned a gradient of dtype {value.dtype} for argument {i}, a {a.data.dtype} "
                "tensor; return it in the argument's dtype (xp.astype(g, x.dtype))"
            )
        out.append(gi if graph else value)
    return out


def _broadcasts(shape, to) -> bool:
    """Whether ``shape`` broadcasts to ``to``."""
    if len(shape) > len(to):
        return False
    return all(s == t or s == 1 for s, t in zip(shape[::-1], to[::-1]))


class Function:
    """A differentiable function of your own, PyTorch's ``torch.autograd.Function``::

        class Cube(acarray.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * g

        y = Cube.apply(x)

    ``forward(ctx, *args)`` runs without recording on the arguments as given (tensors, arrays,
    Python values) and returns a tensor (or an array of the arguments' backend) or a tuple of
    them.  ``backward(ctx, *grads)`` receives one gradient (a tensor) per output and returns
    one per argument: None for arguments that are not tensors or need none (see
    ``ctx.needs_input_grad``).  Each is checked: a wrong number, shape or dtype is an error
    naming the function.  Written with the namespace of its arguments, backward is recorded
    under ``create_graph=True``, so second derivatives come for free; one that computes with
    NumPy is refused there (mark it :func:`once_differentiable` to say so up front).
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError("a Function subclass defines forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):  # pragma: no cover - abstract
        raise NotImplementedError("a Function subclass defines backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record it, where an argument requires grad, as one node."""
        name = cls.__name__
        if "backward" not in _overrides(cls):
            raise TypeError(f"{name} defines no backward(ctx, *grads); a Function needs forward and backward")
        arrays = [a for a in args if isinstance(a, Tensor) or _is_array(a)]
        b, raw, rg = resolve(arrays) if arrays else (None, [], False)
        recording = rg and _grad_mode.recording()
        needs = tuple(recording and isinstance(a, Tensor) and a._rg for a in args)
        ctx = FunctionCtx(name, needs)
        with _grad_mode.no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        wrapped = []
        for k, o in enumerate(outs):
            if isinstance(o, Tensor):
                if b is not None and o._b is not b:
                    raise TypeError(f"{name}.forward returned output {k} on backend {o._b.name}, its arguments are "
                                    f"on {b.name}")
                wrapped.append(o)
            elif _is_array(o):
                ob = backend_of(o)
                if b is not None and ob is not b:
                    raise TypeError(f"{name}.forward returned output {k} as an array of {ob.name}, its arguments are "
                                    f"on {b.name}; return arrays of the arguments' backend")
                wrapped.append(Tensor._wrap(ob.as_array(o) if ob.array_type is not None and
                                            o.__class__ is not ob.array_type else o, ob))
            else:
                wrapped.append(o)  # a Python value: passed through, never differentiable
        if not recording:
            return wrapped[0] if single else tuple(wrapped)
        fresh = []
        differentiable = []
        for o in wrapped:
            if isinstance(o, Tensor):
                t = Tensor._wrap(o.data, o._b)  # the output's own tensor: never an argument given back
                t._version = o._version  # writes to it reach what save_for_backward kept
                ok = id(o) not in ctx._non_differentiable and o._b.is_differentiable(o.data.dtype)
            else:
                t, ok = o, False
            fresh.append(t)
            differentiable.append(ok)
        if not any(differentiable):
            return fresh[0] if single else tuple(fresh)
        tensors = [t for t in fresh if isinstance(t, Tensor)]
        if len(tensors) != len(fresh):
            raise TypeError(f"{name}.forward returned a value that is not an array beside differentiable outputs; "
                            "return only tensors (keep other values on ctx)")
        metas = tuple((t._b, tuple(t.data.shape), t.data.dtype, compat.device(t.data)) for t in fresh)
        node = _FunctionNode(cls, ctx, len(fresh), metas)
        ins = [a.data if isinstance(a, Tensor) else a for a in args]
        targs = tuple(a if isinstance(a, Tensor) else None for a in args)
        _record(node, b, targs, ins, fresh[0] if single else tuple(fresh))
        if not single:
            for k, (t, ok) in enumerate(zip(fresh, differentiable)):
                if ok:
                    t.ctx, t._oi, t._rg = node, k, True
        ctx._outputs = {id(o): (None if single else k, fresh[k].data, fresh[k]._b) for k, o in enumerate(wrapped)}
        return fresh[0] if single else tuple(fresh)


def _overrides(cls) -> set:
    return {n for c in cls.__mro__ if c is not Function and c is not object for n in vars(c)}


def _is_array(a) -> bool:
    return hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, (int, float, complex, bool))


def once_differentiable(backward):
    """Mark a :class:`Function`'s backward as computed outside acarray (with NumPy, SciPy...): it
    always receives plain tensors, and its gradients cannot be differentiated again.  Under
    ``create_graph=True`` they are computed all the same, but differentiating them (a second
    backward, ``hessian``, ``jvp``) raises an error naming the function, as PyTorch's
    ``once_differentiable`` does, instead of giving wrong second derivatives."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        state = _grad_mode.custom_backward
        if not state.graph:
            return backward(ctx, *grads)
        node = ctx._node
        anchors = [t for t in (*grads, *node.rec[REC_ARGS]) if isinstance(t, Tensor) and t._rg]
        state.graph = False
        try:
            with _grad_mode.no_grad():
                result = backward(ctx, *(g.detach() if isinstance(g, Tensor) else g for g in grads))
        finally:
            state.graph = True
        single = not isinstance(result, (tuple, list))
        out = []
        for g in ((result,) if single else result):
            if g is not None and not isinstance(g, Tensor) and _is_array(g):
                g = Tensor._wrap(g, backend_of(g))
            if isinstance(g, Tensor) and anchors and g._b is anchors[0]._b:
                g = _apply(_Refused, g.detach(), *anchors, name=ctx._name)
            out.append(g)
        return out[0] if single else tuple(out)

    return wrapper


class _Refused(Op):
    """The gradient of a once-differentiable backward in a recorded pass: its value, with edges to
    what it was computed from, and a backward that refuses."""

    def forward(self, xp, value, *anchors, name):
        self.fname = name
        return value

    def backward(self, xp, g, inputs, out):
        raise RuntimeError(
            f"{self.fname}.backward is marked once_differentiable: its gradient cannot be differentiated "
            "again (a second backward, hessian, jvp...); write it with acarray's functions for second derivatives"
        )


class custom_vjp:
    """A function with a gradient of your own, JAX's ``jax.custom_vjp``::

        @acarray.custom_vjp
        def clip_gradient(x):
            return x

        def fwd(x):
            return x, None            # the output, and residuals for bwd

        def bwd(residuals, g):
            return (xp.clip(g, -1.0, 1.0),)   # one gradient per argument, a tuple

        clip_gradient.defvjp(fwd, bwd)

    ``fwd(*args)`` returns ``(output, residuals)``, where residuals is any value (tensors, tuples,
    dicts of them); ``bwd(residuals, g)`` returns a tuple with one gradient per argument (None
    for one that has none).  Tensors among the residuals carry their graph, so a ``bwd`` written
    with acarray's functions is differentiated again under ``create_graph=True``.  Arguments
    named in ``nondiff_argnums`` are passed to ``bwd`` first, as in JAX, and get no gradient.
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        """Set the forward (``fwd(*args) -> (output, residuals)``) and backward (``bwd(residuals, g)``)
        rules; returns them, so it can also be used as ``f.defvjp(fwd, bwd)`` after the definitions."""
        self.fwd, self.bwd = fwd, bwd
        return fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp function {self.__name__} has no rules: call {self.__name__}.defvjp(fwd, bwd) first")
        return _CustomVJP.apply(self, *args)


class _CustomVJP(Function):
    @staticmethod
    def forward(ctx, f, *args):
        # fwd runs recorded where grad is wanted, so that residuals carry their graph for a
        # recorded backward; the output's own graph is dropped (apply makes it this node's).
        with _grad_mode.enable_grad() if any(ctx.needs_input_grad) else _grad_mode.no_grad():
            result = f.fwd(*args)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"{f.__name__}: fwd must return a pair (output, residuals), got {type(result).__name__}")
        out, ctx.residuals = result
        ctx.f = f
        ctx.nondiff = tuple(args[i] for i in f.nondiff_argnums)
        ctx.n_args = len(args)
        if isinstance(out, Tensor):
            return out.detach()
        if isinstance(out, tuple):
            return tuple(o.detach() if isinstance(o, Tensor) else o for o in out)
        return out

    @staticmethod
    def backward(ctx, *grads):
        f = ctx.f
        residuals = ctx.residuals if _grad_mode.custom_backward.graph else _detached(ctx.residuals)
        g = grads[0] if len(grads) == 1 else grads
        result = f.bwd(*ctx.nondiff, residuals, g)
        if not isinstance(result, tuple):
            raise TypeError(f"{f.__name__}: bwd must return a tuple with one gradient per argument, got "
                            f"{type(result).__name__}")
        nondiff = set(f.nondiff_argnums)
        n_diff = ctx.n_args - len(nondiff)
        if len(result) != n_diff:
            raise RuntimeError(f"{f.__name__}: bwd returned {len(result)} gradient(s) for {n_diff} differentiable "
                               "argument(s)")
        it = iter(result)
        full = tuple(None if i in nondiff else next(it) for i in range(ctx.n_args))
        return (None, *full)


def _detached(tree):
    if isinstance(tree, Tensor):
        return tree.detach()
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*(_detached(v) for v in tree))
    if isinstance(tree, (tuple, list)):
        return type(tree)(_detached(v) for v in tree)
    if isinstance(tree, dict):
        return {k: _detached(v) for k, v in tree.items()}
    return tree
