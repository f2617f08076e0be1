"""Gradient clipping: applied to the ``.grad`` of parameters between ``backward()`` and the optimizer step."""

from __future__ import annotations

import acarray

from .._tensor import Tensor


def _with_grads(parameters) -> list:
    """The parameters (one tensor, or an iterable of them) that have a gradient, each once."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    seen, out = set(), []
    for p in params:
        if p.grad is not None and id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


def _grad_tensor(p, ns) -> Tensor:
    return p.grad if isinstance(p.grad, Tensor) else ns.asarray(p.grad)


def _set_grad(p, g: Tensor) -> None:
    p.grad = g if isinstance(p.grad, Tensor) else g.data


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of ``parameters`` together so that their joint ``norm_type``-norm (the norm
    of all of them as one vector; ``math.inf`` for the largest magnitude) is at most ``max_norm``.
    A parameter listed twice (a tied weight) counts once.  ``error_if_nonfinite``: raise RuntimeError,
    clipping nothing, when the norm is nan or infinite (this waits for the norm).

    Returns the norm before clipping, a 0-d tensor.  The scale, ``min(max_norm / (norm + 1e-6), 1)``,
    is applied even where it is 1, so that a GPU never waits for the norm to reach the host.
    """
    params = _with_grads(parameters)
    if not params:
        return acarray.asarray(0.0)
    ns = params[0].__array_namespace__()
    with acarray.no_grad():
        grads = [_grad_tensor(p, ns) for p in params]
        norms = [ns.linalg.vector_norm(g, ord=norm_type) for g in grads]
        dtype = ns.result_type(*norms)
        total = ns.linalg.vector_norm(ns.stack([ns.astype(n, dtype) for n in norms]), ord=norm_type)
        if error_if_nonfinite and not bool(ns.isfinite(total)):
            raise RuntimeError(f"the total norm of order {norm_type} of the gradients is non-finite ({float(total)}), "
                               "so it cannot be clipped; error_if_nonfinite=False scales them anyway")
        scale = ns.minimum(max_norm / (total + 1e-6), 1.0)
        for p, g in zip(params, grads):
            _set_grad(p, g * ns.astype(scale, g.dtype))
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element of ``parameters`` to ``[-clip_value, clip_value]``."""
    params = _with_grads(parameters)
    if not params:
        return
    ns = params[0].__array_namespace__()
    with acarray.no_grad():
        for p in params:
            _set_grad(p, ns.clip(_grad_tensor(p, ns), -clip_value, clip_value))
