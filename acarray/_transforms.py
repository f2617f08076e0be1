"""Gradients as functions: ``backward`` and ``grad`` (PyTorch style), ``grad_of``,
``value_and_grad`` and ``vjp`` (function transforms, as in JAX).

They sit with the engine, below the namespaces that carry ``grad``, ``value_and_grad`` and
``vjp``; ``acarray.autograd`` is where users import them from.
"""

from __future__ import annotations

from ._autograd import run_backward
from ._backend import backend_named, default_backend_name
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


def _prepare(args, argnums):
    """Arguments with those in ``argnums`` turned into leaves that require grad (values that are not
    tensors as ``acarray.asarray`` makes them: tensors of the default backend)."""
    args = list(args)
    nested = False
    for i in argnums:
        a = args[i]
        if isinstance(a, Tensor) and a.requires_grad:
            nested = True  # an outer transform is differentiating through us
        else:
            a = (a.detach() if isinstance(a, Tensor) else _default_namespace().asarray(a)).requires_grad_(True)
        args[i] = a
    return args, nested


def vjp(f, *primals):
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one gradient per primal."""
    args, nested = _prepare(primals, range(len(primals)))
    out = f(*args)

    def vjp_fn(cotangent):
        return grad([out], args, [cotangent], retain_graph=True, create_graph=nested, allow_unused=True)

    return out, vjp_fn


def value_and_grad(f, argnums=0):
    """A function returning ``(f(*args), gradient)`` of a scalar-valued ``f``."""
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def wrapper(*args):
        args, nested = _prepare(args, nums)
        out = f(*args)
        gs = grad([out], [args[i] for i in nums], create_graph=nested, allow_unused=True)
        gs = tuple(g if g is not None else _zeros_like(args[i]) for g, i in zip(gs, nums))
        return out, (gs if many else gs[0])

    return wrapper


def _zeros_like(t):
    return Tensor._wrap(t._b.xp.zeros_like(t.data), t._b)


def grad_of(f, argnums=0):
    """The gradient function of a scalar-valued ``f``, as in JAX or HIPS autograd; nests for
    higher derivatives (``grad_of(grad_of(f))``)."""

    def df(*args):
        return value_and_grad(f, argnums)(*args)[1]

    return df


grad_of.__name__ = grad_of.__qualname__ = "grad"  # acarray.grad (acarray.autograd.grad is backward's)
