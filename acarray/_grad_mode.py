"""Whether operations are recorded for backward: a thread-local switch.

``no_grad()`` and ``enable_grad()`` work both as context managers and as
decorators; each thread starts with recording enabled.
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


class _GradMode:
    _enabled: bool

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._enabled
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: run without recording a graph (results never require grad)."""

    _enabled = False


class enable_grad(_GradMode):
    """Context manager / decorator: record a graph again, for example inside ``no_grad()``."""

    _enabled = True
