"""Functional gradients: ``autograd.grad`` (PyTorch style), ``grad`` and ``vjp`` (function transforms);
``detect_anomaly`` finds the op whose backward rule first makes NaN or inf."""

from __future__ import annotations

import functools

from . import _grad_mode
from ._autograd import run_backward, track_sites
from ._tensor import Tensor


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
    """Arguments with those in ``argnums`` turned into leaves that require grad."""
    from . import asarray

    args = list(args)
    nested = False
    for i in argnums:
        a = args[i]
        if isinstance(a, Tensor) and a.requires_grad:
            nested = True  # an outer transform is differentiating through us
        else:
            a = (a.detach() if isinstance(a, Tensor) else asarray(a)).requires_grad_(True)
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


class detect_anomaly:
    """Context manager / decorator: make backward() raise on the first rule that, given a finite
    gradient, returns NaN, or an infinity from finite inputs; the error names the op and the
    line of user code that created it.  Per thread, as ``no_grad``; both the forward pass (which
    notes where each op is made) and ``backward()`` must run inside it.

    A debugging aid: it slows recording and backward down.  ``check_nan=False`` switches it
    off in a region, as in PyTorch.
    """

    def __init__(self, check_nan: bool = True):
        self._enabled = bool(check_nan)

    def __enter__(self):
        self._prev = _grad_mode.set_anomaly(self._enabled)
        track_sites(_grad_mode.anomaly_threads > 0)
        return self

    def __exit__(self, *exc):
        _grad_mode.set_anomaly(self._prev)
        track_sites(_grad_mode.anomaly_threads > 0)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self._enabled):
                return fn(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    """True when :class:`detect_anomaly` is on in this thread."""
    return _grad_mode.anomaly.on
