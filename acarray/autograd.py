"""Functional gradients: ``autograd.grad`` (PyTorch style), ``grad`` and ``vjp`` (function transforms);
user-defined differentiable functions (``Function``, ``custom_vjp``); ``detect_anomaly`` finds the
op whose backward rule first makes NaN or inf."""

from __future__ import annotations

import functools

from . import _grad_mode
from ._autograd import track_sites
from ._function import Function, FunctionCtx, custom_vjp, once_differentiable
from ._transforms import backward, grad, grad_of, value_and_grad, vjp

__all__ = ["backward", "grad", "grad_of", "value_and_grad", "vjp", "detect_anomaly", "is_anomaly_enabled",
           "Function", "FunctionCtx", "custom_vjp", "once_differentiable"]


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
