"""Whether operations are recorded for backward: a thread-local switch.

``no_grad()`` and ``enable_grad()`` work both as context managers and as
decorators; each thread starts with recording enabled.

Reading a thread-local costs more than the rest of recording a small op, so the
hot path first reads ``disabled_threads``, the number of threads that have
switched recording off: while it is 0, every thread records.  Use
:func:`recording` to ask, :func:`set_enabled` to switch.

Anomaly detection (``acarray.autograd.detect_anomaly``) is a second switch of the same shape:
``anomaly_threads`` counts the threads that have it on, so that recording an op reads one
module attribute while no thread does.
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    enabled = True


state = _State()
disabled_threads = 0  # threads whose state.enabled is False (a thread that exits switched off stays counted)
_lock = threading.Lock()


def recording() -> bool:
    """Whether this thread records operations (inline ``disabled_threads == 0 or state.enabled``
    where a call is too slow)."""
    return disabled_threads == 0 or state.enabled


def set_enabled(flag: bool) -> bool:
    """Switch recording in this thread on or off; returns the previous setting."""
    global disabled_threads
    prev = state.enabled
    if prev != flag:
        with _lock:
            disabled_threads += -1 if flag else 1
        state.enabled = flag
    return prev


class _Anomaly(threading.local):
    on = False


anomaly = _Anomaly()
anomaly_threads = 0  # threads whose anomaly.on is True


class _CustomBackward(threading.local):
    """The user-defined Function whose backward runs now in this thread (``name``), and whether
    that backward pass is recorded (``graph``: create_graph=True), for the errors that refuse
    leaving acarray there."""

    graph = False
    name = None


custom_backward = _CustomBackward()


def set_anomaly(flag: bool) -> bool:
    """Switch anomaly detection in this thread on or off; returns the previous setting."""
    global anomaly_threads
    prev = anomaly.on
    if prev != flag:
        with _lock:
            anomaly_threads += 1 if flag else -1
        anomaly.on = flag
    return prev


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


class _GradMode:
    _enabled: bool

    def __enter__(self):
        self._prev = set_enabled(self._enabled)
        return self

    def __exit__(self, *exc):
        set_enabled(self._prev)
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

