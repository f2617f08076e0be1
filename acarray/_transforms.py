"""Gradients as functions: ``backward`` and ``grad`` (PyTorch style), and the function
transforms of JAX and ``torch.func``: ``grad_of`` (``acarray.grad``), ``value_and_grad``,
``vjp``, ``jvp``, ``jacrev`` (``jacobian``), ``jacfwd``, ``hessian`` and ``hvp``.

They sit with the engine, below the namespaces that carry the transforms; ``acarray.autograd``
is where users import ``backward`` and ``grad`` from.

How the transforms work.  Each runs ``f`` on fresh leaves made from the arguments it
differentiates (any nesting of tuples, lists and dicts of tensors, arrays or numbers, see
``_pytree``) and asks the engine for gradients with respect to them:

- reverse mode (``grad``, ``vjp``, ``jacrev``) is one backward pass per cotangent; ``jacrev``
  seeds one output element at a time through the retained graph, so a Jacobian with ``m``
  output elements costs one forward and ``m`` backward passes;
- forward mode (``jvp``, ``jacfwd``) is the transpose of the vjp: ``u -> J^T u`` is recorded
  once with a cotangent ``u`` as its leaf (a backward pass with ``create_graph=True``), and is
  linear in ``u``, so its own vjp at the tangent ``v`` is ``J v``.  No op needs a second,
  forward-mode rule; ``jacfwd`` reuses the recorded transpose for each input element;
- ``hvp`` is the gradient of ``<grad f, v>``, which equals ``H v`` (the Hessian is symmetric):
  two backward passes, never a full Hessian; ``hessian`` is ``jacrev(jacrev(f))``.

Nesting.  A transform evaluated while another one runs ``f`` (``grad(grad(f))``,
``jacfwd(jacrev(f))``), or whose ``f`` reaches tensors that require grad other than its own
arguments (a model's weights, an outer transform's variable), records its own backward pass so
that the result can be differentiated again.  Arguments that already require grad are
differentiated through a fresh alias, so that an inner transform never mistakes an outer
variable for its own (perturbation confusion).
"""

from __future__ import annotations

import threading
import weakref

from . import _autograd, _grad_mode
from ._autograd import Op, apply, run_backward
from ._backend import backend_named, backend_of, default_backend_name
from ._pytree import tree_flatten, tree_paths, tree_unflatten
from ._tensor import Tensor


def _default_namespace():
    """acarray's namespace of the default backend, the one ``import acarray`` gives."""
    return backend_named(default_backend_name()).ns


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else Tensor._wrap(value, like._b)


def backward(tensors, grad_tensors=None, *, retain_graph=False, create_graph=False):
    """Accumulate gradients of several outputs at once into the leaves' ``.grad``."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    seeds = [None] * len(tensors) if grad_tensors is None else list(grad_tensors)
    run_backward(tensors, seeds, retain_graph=retain_graph or create_graph, create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, *, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple of Tensors.

    Leaves' ``.grad`` are left alone.  With ``create_graph=True`` the results
    carry their own graph, so they can be differentiated again.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    seeds = [None] * len(outputs) if grad_outputs is None else (
        [grad_outputs] if isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs)
    )
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph, inputs=inputs,
                         allow_unused=allow_unused)
    return tuple(None if g is None else _as_tensor(g, x) for g, x in zip(found, inputs))


# -- the transforms' machinery --------------------------------------------------------------


class _Depth(threading.local):
    n = 0  # transforms of this thread now running their f


_depth = _Depth()


# The fresh leaves the transforms differentiate with respect to (variables, cotangents of a
# transposed vjp), by id: private to the transform that made them, so another one that reaches
# them does not take them for tensors someone else will differentiate.
_PRIVATE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class _Alias(Op):
    """The identity, recorded: a fresh node for an argument that already requires grad, so that
    a transform differentiates with respect to its own variable, not the outer one."""

    is_view = True

    def forward(self, xp, x):
        return x

    def backward(self, xp, g, inputs, out):
        return (g,)


class _Call:
    """One evaluation of ``f`` by a transform: its variables (the flattened leaves of the
    differentiated arguments), the structure to rebuild gradients in, and whether the backward
    passes must be recorded (``create``)."""

    def __init__(self, home, who, f, args, argnums, has_aux=False):
        self.who = who
        self.home = home
        if not callable(f):
            raise TypeError(f"{who}: the function to differentiate must be callable, got {type(f).__name__}")
        args = list(args)
        nums = _argnums(who, argnums, len(args))
        self.many = not isinstance(argnums, int)
        self.nested = False
        self.variables: list = []  # every leaf, in order of nums
        self.start = next(_autograd._ORDER)  # ops recorded from now on are this call's (numbers count down)
        self.specs = []  # (spec, number of leaves) per differentiated argument
        for i in nums:
            leaves, spec = tree_flatten(args[i])
            paths = tree_paths(args[i])
            if not leaves:
                raise ValueError(f"{who}: argument {i} holds no array to differentiate with respect to")
            fresh = [self._variable(v, i, p) for v, p in zip(leaves, paths)]
            self.variables.extend(fresh)
            self.specs.append((spec, len(fresh)))
            # f gets an alias of each variable: an in-place write inside f gives the alias a new
            # history and leaves the variable, with respect to which gradients are taken, as it was.
            with _grad_mode.enable_grad():  # recorded whatever the caller's mode
                args[i] = tree_unflatten(spec, [apply(_Alias, t) for t in fresh])
        self.enabled = _grad_mode.is_grad_enabled()
        prev = _grad_mode.set_enabled(True)
        _depth.n += 1
        try:
            result = f(*args)
        finally:
            _depth.n -= 1
            _grad_mode.set_enabled(prev)
        self.outer = _depth.n > 0
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"{who}(..., has_aux=True): the function must return a pair (output, aux), got "
                                f"{type(result).__name__}")
            result, self.aux = result
        else:
            self.aux = None
        self.out = result
        self.out_leaves, self.out_spec = tree_flatten(result)
        for k, o in enumerate(self.out_leaves):
            if not isinstance(o, Tensor):
                raise TypeError(f"{who}: the function must return tensors (or tuples, lists, dicts of them), got "
                                f"{type(o).__name__} at output {tree_paths(result)[k] or 'itself'}")
        self.create = self.enabled and (self.nested or self.outer or self._reaches_others())

    def _variable(self, v, i, path):
        who = self.who
        where = f"argument {i}{path}"
        if isinstance(v, Tensor):
            kind = v._b.kind(v.data.dtype)
            if kind not in "fc":
                raise TypeError(f"{who}: {where} has dtype {v.data.dtype}; differentiate with respect to "
                                "floating-point arrays (astype it, or pass it as an argument not in argnums)")
            if v._rg:
                self.nested = True
                with _grad_mode.enable_grad():
                    return apply(_Alias, v)
            t = v.detach()
            t._rg = True
            _PRIVATE[id(t)] = t
            return t
        if isinstance(v, bool) or v is None:
            raise TypeError(f"{who}: {where} is {v!r}; differentiate with respect to floating-point arrays")
        if isinstance(v, (int, float, complex)):
            if isinstance(v, int):
                raise TypeError(f"{who}: {where} is the integer {v}; differentiate with respect to a float "
                                f"(pass {v}.0) or an array of floats")
            t = (_default_namespace() if self.home is None else self.home.ns).asarray(v)
        else:
            try:
                b = backend_of(v)
            except TypeError:
                raise TypeError(f"{who}: {where} is a {type(v).__name__}, not an array; pass tensors, arrays or "
                                "floats (in tuples, lists or dicts)") from None
            t = b.ns.asarray(v)
        return self._variable(t, i, path)

    def _reaches_others(self) -> bool:
        """Whether the outputs' graph reaches tensors that require grad beyond this call's variables:
        leaves, or ops recorded before ``f`` ran.  Then the backward pass is recorded, so that
        whatever differentiates the results reaches them too."""
        mine = {id(v.ctx if v.ctx is not None else v) for v in self.variables}
        seen = set()
        stack = [o.ctx if o.ctx is not None else o for o in self.out_leaves if o._rg]
        start = self.start
        while stack:
            node = stack.pop()
            key = id(node)
            if key in seen or key in mine:
                continue
            seen.add(key)
            if isinstance(node, Tensor):
                if _PRIVATE.get(key) is node:
                    continue  # a variable of a transform run inside f: a constant to this one
                return True  # a leaf that is not ours
            rec = node.rec
            if rec is None or rec[_autograd.REC_ORDER] > start:
                return True  # recorded before f ran (or already freed): someone else's history
            for e in node.next:
                if e is not None:
                    stack.append(e[0] if e.__class__ is tuple else e)
        return False

    # -- results -----------------------------------------------------------------------

    def value(self, v):
        """An output or aux value as handed back: detached unless the backward passes are recorded."""
        if self.create:
            return v
        leaves, spec = tree_flatten(v)
        return tree_unflatten(spec, [t.detach() if isinstance(t, Tensor) else t for t in leaves])

    def per_primal(self, flat):
        """One tree per differentiated argument, always a tuple (``vjp_fn``, ``hvp``), from one
        gradient per variable (None: zeros)."""
        filled = [_zeros_like(v) if g is None else g for g, v in zip(flat, self.variables)]
        pos, trees = 0, []
        for spec, n in self.specs:
            trees.append(tree_unflatten(spec, filled[pos:pos + n]))
            pos += n
        return tuple(trees)

    def grads(self, flat):
        """:meth:`per_primal`, a single tree where ``argnums`` was an int."""
        trees = self.per_primal(flat)
        return trees if self.many else trees[0]

    def backward(self, outputs, seeds, *, retain=True, create=None, prune=None):
        """Gradients of ``outputs`` (tensors requiring grad) with respect to the variables (``prune``:
        see :func:`run_backward`; a pass through a recorded backward prunes)."""
        create = self.create if create is None else create
        if not outputs:
            return [None] * len(self.variables)
        prev = _grad_mode.set_enabled(True)
        try:
            found = run_backward(outputs, seeds, retain_graph=retain or create, create_graph=create,
                                 inputs=self.variables, allow_unused=True, prune=prune)
        finally:
            _grad_mode.set_enabled(prev)
        return [None if g is None else _as_tensor(g, x) for g, x in zip(found, self.variables)]


def _argnums(who, argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums) if isinstance(argnums, (tuple, list)) else None
    if nums is None or not nums or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{who}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"{who}: argnums {i} is out of range for a call with {n} positional argument(s)")
        out.append(i % n)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: argnums {argnums!r} names an argument twice")
    return tuple(out)


def _zeros_like(t):
    return Tensor._wrap(t._b.xp.zeros_like(t.data), t._b)


def _scalar_output(call):
    """The one output of a scalar-valued ``f``, as ``grad`` and ``hvp`` need it."""
    who = call.who
    if not isinstance(call.out, Tensor):
        raise TypeError(f"{who}: the function must return one tensor with one element, got "
                        f"{type(call.out).__name__}; use jacrev or vjp for several outputs")
    out = call.out_leaves[0]
    shape = out.shape
    if shape.count(1) != len(shape):
        raise TypeError(f"{who}: the function must return a tensor with one element, got shape {shape}; use "
                        "jacrev for the Jacobian of a vector-valued function, or vjp")
    kind = out._b.kind(out.data.dtype)
    if kind == "c":
        raise TypeError(f"{who}: the function returns a complex value ({out.data.dtype}); differentiate a real "
                        "scalar (its real part, or abs(.)**2)")
    if kind != "f":
        raise TypeError(f"{who}: the function returns {out.data.dtype}, which has no gradient; return a floating-point scalar")
    return out


def _differentiable(outs):
    return [o for o in outs if o._rg]


def _real_only(call, what):
    for t in list(call.variables) + list(call.out_leaves):
        if t._b.kind(t.data.dtype) == "c":
            raise NotImplementedError(
                f"{call.who} does not take complex arrays yet ({t.data.dtype}); {what} of the real and imaginary "
                "parts as separate real arrays, or use vjp/grad, which do"
            )


# -- reverse mode ---------------------------------------------------------------------------


def _value_and_grad(home, who, f, argnums, has_aux, args):
    call = _Call(home, who, f, args, argnums, has_aux)
    out = _scalar_output(call)
    g = call.grads(call.backward(_differentiable([out]), [None], retain=False))
    value = call.value(call.out)
    return ((value, call.value(call.aux)) if has_aux else value), g


def _hessian_times(call, out, flat):
    """``H v`` for the scalar ``out`` of ``call`` and one tangent per variable: the gradient of
    ``<grad out, v>``, recorded whatever the caller's grad mode (hvp under no_grad())."""
    ns = out._b.ns
    gs = call.backward([out], [None], create=True)
    create = call.create or any(t._rg for t in flat)
    with _grad_mode.enable_grad():
        terms = [ns.vecdot(ns.reshape(g, (-1,)), ns.reshape(v, (-1,))) for g, v in zip(gs, flat)
                 if g is not None and g._rg]
        if not terms:
            return [None] * len(call.variables)
        total = terms[0]
        for t in terms[1:]:
            total = total + t
    found = call.backward([total], [None], retain=False, create=create, prune=True)
    return [None if h is None else (h if create else h.detach()) for h in found]


def _rows(call, o):
    """The Jacobian blocks of output ``o``: one backward pass per element, seeded by a row of the identity."""
    ns = o._b.ns
    shape = o.shape
    m = o.size
    blocks: list[list] = [[] for _ in call.variables]
    if o._rg and m:
        xp = o._b.xp
        eye = xp.eye(m, dtype=o.data.dtype, device=o.device)
        useful = _autograd.useful_nodes([o], call.variables)  # one walk for all the rows
        for k in range(m):
            found = call.backward([o], [xp.reshape(eye[k, ...], shape)], prune=useful)
            for j, g in enumerate(found):
                blocks[j].append(g)
    out = []
    for v, rows in zip(call.variables, blocks):
        if not rows or all(r is None for r in rows):
            out.append(Tensor._wrap(v._b.xp.zeros(shape + v.shape, dtype=v.data.dtype, device=v.device), v._b))
            continue
        rows = [_zeros_like(v) if r is None else r for r in rows]
        out.append(ns.reshape(ns.stack(rows), shape + v.shape))
    return call.grads(out)


# -- forward mode: the transpose of the vjp ---------------------------------------------------


class _Transpose:
    """``u -> J^T u`` recorded once, with one cotangent leaf ``u`` per differentiable output of
    ``call``: its vjp at ``v`` is the Jacobian-vector product ``J v``."""

    def __init__(self, call):
        self.call = call
        self.outs = _differentiable(call.out_leaves)
        self.us = []
        for o in self.outs:
            u = _zeros_like(o)
            u._rg = True
            _PRIVATE[id(u)] = u
            self.us.append(u)
        found = call.backward(self.outs, self.us, create=True) if self.outs else [None] * len(call.variables)
        self.pairs = [(j, g) for j, g in enumerate(found) if g is not None and g._rg]

    def product(self, tangents_flat, create):
        """``J v`` for one tangent per variable (None: zero), one result per output of the call."""
        gs, vs = [], []
        for j, g in self.pairs:
            v = tangents_flat[j]
            if v is not None:
                gs.append(g)
                vs.append(v)
        found = [None] * len(self.us)
        if gs:
            prev = _grad_mode.set_enabled(True)
            try:
                found = run_backward(gs, vs, retain_graph=True, create_graph=create, inputs=self.us,
                                     allow_unused=True, prune=True)
            finally:
                _grad_mode.set_enabled(prev)
        it = iter(found)
        result = []
        for o in self.call.out_leaves:
            t = next(it) if o._rg else None
            result.append(_zeros_like(o) if t is None else _as_tensor(t, o))
        return result


def _tangents(call, tangents):
    """The tangents, flattened and checked against the variables (structure, shape, dtype, backend)."""
    flat = []
    for i, t in enumerate(tangents):
        leaves, spec = tree_flatten(t)
        if spec != call.specs[i][0]:
            raise ValueError(f"{call.who}: tangent {i} must have the structure of primal {i}")
        flat.extend(leaves)
    out = []
    for v, t in zip(call.variables, flat):
        if not isinstance(t, Tensor):
            t = v._b.ns.asarray(t, dtype=v.data.dtype, device=v.device) if not hasattr(t, "shape") else (
                backend_of(t).ns.asarray(t))
        if t._b is not v._b:
            raise TypeError(f"{call.who}: a tangent is an array of {t._b.name}, its primal of {v._b.name}")
        if t.shape != v.shape:
            raise ValueError(f"{call.who}: a tangent has shape {t.shape}, its primal {v.shape}")
        if t.data.dtype != v.data.dtype:
            raise TypeError(f"{call.who}: a tangent has dtype {t.data.dtype}, its primal {v.data.dtype}")
        out.append(t)
    return out


def transforms_for(home=None) -> dict:
    """The function transforms of one namespace: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``,
    ``jacrev``, ``jacobian``, ``jacfwd``, ``hessian`` and ``hvp``.  Python numbers among the
    differentiated arguments become tensors of backend ``home`` (None: the default backend)."""

    def vjp(f, *primals, has_aux=False):
        """``(f(*primals), vjp_fn)``, and ``aux`` third with ``has_aux=True``.  ``vjp_fn(cotangent)``
        (a cotangent of the output's structure) returns one gradient per primal, in each primal's
        structure; it may be called several times."""
        if not primals:
            raise TypeError("vjp: give at least one primal (the arguments of f to differentiate with respect to)")
        call = _Call(home, "vjp", f, primals, tuple(range(len(primals))), has_aux)
        outs = call.out_leaves

        def vjp_fn(cotangent):
            leaves, spec = tree_flatten(cotangent)
            if spec != call.out_spec:
                raise ValueError("vjp_fn: the cotangent must have the structure of the function's output")
            pairs = [(o, c) for o, c in zip(outs, leaves) if o._rg]
            create = call.create or _depth.n > 0 or any(isinstance(c, Tensor) and c._rg for _, c in pairs)
            return call.per_primal(call.backward([o for o, _ in pairs], [c for _, c in pairs], create=create))

        out = call.value(call.out)
        return (out, vjp_fn, call.value(call.aux)) if has_aux else (out, vjp_fn)


    def value_and_grad(f, argnums=0, has_aux=False):
        """A function returning ``(f(*args), gradient)`` of a scalar-valued ``f`` (``((value, aux),
        gradient)`` with ``has_aux=True``); the gradient has the structure of the argument (a tuple
        of them for a tuple ``argnums``)."""

        def wrapper(*args):
            return _value_and_grad(home, "value_and_grad", f, argnums, has_aux, args)

        return wrapper


    def grad(f, argnums=0, has_aux=False):
        """The gradient function of a scalar-valued ``f``, as in JAX or HIPS autograd; nests for
        higher derivatives (``grad(grad(f))``).  With ``has_aux=True`` ``f`` returns ``(value, aux)``
        and the gradient function ``(gradient, aux)``."""

        def df(*args):
            value, g = _value_and_grad(home, "grad", f, argnums, has_aux, args)
            return (g, value[1]) if has_aux else g

        return df


    def jacrev(f, argnums=0, has_aux=False):
        """The Jacobian of ``f`` by reverse mode: for each output ``o`` (any structure) and each
        differentiated argument ``x``, an array of shape ``o.shape + x.shape`` (a tree of the
        arguments' structure in the outputs' structure).  One backward pass per output element."""

        def jac(*args):
            call = _Call(home, "jacrev", f, args, argnums, has_aux)
            _real_only(call, "take the Jacobian")
            per_out = [_rows(call, o) for o in call.out_leaves]
            result = tree_unflatten(call.out_spec, per_out)
            return (result, call.value(call.aux)) if has_aux else result

        return jac


    def jvp(f, primals, tangents, has_aux=False):
        """``(f(*primals), J v)``, the output and its directional derivative along ``tangents`` (one
        per primal, of its structure, shapes and dtypes), and ``aux`` third with ``has_aux=True``.
        ``primals`` and ``tangents`` are tuples, as in ``torch.func.jvp``."""
        if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
            raise TypeError("jvp: primals and tangents must be tuples (one entry per argument of f), got "
                            f"{type(primals).__name__} and {type(tangents).__name__}")
        if len(primals) != len(tangents):
            raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s)")
        call = _Call(home, "jvp", f, primals, tuple(range(len(primals))), has_aux)
        _real_only(call, "take the jvp")
        flat = _tangents(call, tangents)
        create = call.create or any(isinstance(t, Tensor) and t._rg for t in flat)
        out_t = _Transpose(call).product(flat, create)
        result = (call.value(call.out), tree_unflatten(call.out_spec, out_t if create else [t.detach() for t in out_t]))
        return result + (call.value(call.aux),) if has_aux else result


    def jacfwd(f, argnums=0, has_aux=False):
        """The Jacobian of ``f`` by forward mode, in the structure of :func:`jacrev`'s result: one
        Jacobian-vector product per element of the differentiated arguments, all through one
        recorded transpose of the vjp."""

        def jac(*args):
            call = _Call(home, "jacfwd", f, args, argnums, has_aux)
            _real_only(call, "take the Jacobian")
            tr = _Transpose(call)
            results = []
            per_var = []  # per variable, per output: the columns of its block
            for j, v in enumerate(call.variables):
                cols: list[list] = [[] for _ in call.out_leaves]
                n = v.size
                if n:
                    xp = v._b.xp
                    eye = xp.eye(n, dtype=v.data.dtype, device=v.device)
                    for k in range(n):
                        flat = [None] * len(call.variables)
                        flat[j] = xp.reshape(eye[k, ...], v.shape)
                        for i, col in enumerate(tr.product(flat, call.create)):
                            cols[i].append(col)
                per_var.append(cols)
            for i, o in enumerate(call.out_leaves):
                ns = o._b.ns
                blocks = []
                for v, cols in zip(call.variables, per_var):
                    c = cols[i]
                    if c:
                        blocks.append(ns.reshape(ns.stack(c, axis=-1), o.shape + v.shape))
                    else:
                        blocks.append(Tensor._wrap(o._b.xp.zeros(o.shape + v.shape, dtype=o.data.dtype,
                                                                 device=o.device), o._b))
                if not call.create:
                    blocks = [b.detach() for b in blocks]
                results.append(call.grads(blocks))
            result = tree_unflatten(call.out_spec, results)
            return (result, call.value(call.aux)) if has_aux else result

        return jac


    def hessian(f, argnums=0):
        """The Hessian of a scalar-valued ``f``: ``jacrev(jacrev(f))``, blocks of shape
        ``x.shape + y.shape`` for each pair of differentiated arguments' leaves."""
        h = jacrev(jacrev(f, argnums), argnums)

        def hess(*args):
            return h(*args)

        hess.__doc__ = hessian.__doc__
        return hess


    def hvp(f, primals, tangents):
        """``(f(*primals), H v)``: the Hessian of a scalar-valued ``f`` times ``tangents`` (one per
        primal, of its structure), as ``torch.autograd.functional.hvp``.  Two backward passes (the
        gradient of ``<grad f, v>``); the Hessian is never formed."""
        if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
            raise TypeError("hvp: primals and tangents must be tuples (one entry per argument of f), got "
                            f"{type(primals).__name__} and {type(tangents).__name__}")
        if len(primals) != len(tangents):
            raise ValueError(f"hvp: {len(primals)} primal(s) but {len(tangents)} tangent(s)")
        call = _Call(home, "hvp", f, primals, tuple(range(len(primals))))
        _real_only(call, "take the Hessian-vector product")
        out = _scalar_output(call)
        flat = _tangents(call, tangents)
        found = _hessian_times(call, out, flat) if out._rg else [None] * len(call.variables)
        return call.value(call.out), call.per_primal(found)

    made = dict(grad=grad, value_and_grad=value_and_grad, vjp=vjp, jvp=jvp, jacrev=jacrev, jacobian=jacrev,
                jacfwd=jacfwd, hessian=hessian, hvp=hvp)
    for fn in made.values():
        fn.__qualname__ = fn.__name__
    return made


_DEFAULT = transforms_for()
grad_of = _DEFAULT["grad"]  # acarray.grad (acarray.autograd.grad is backward's)
value_and_grad, vjp, jvp, jacrev, jacobian, jacfwd, hessian, hvp = (
    _DEFAULT[n] for n in ("value_and_grad", "vjp", "jvp", "jacrev", "jacobian", "jacfwd", "hessian", "hvp")
)
