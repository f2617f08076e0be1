"""One row of the conformance table: how to draw a function's inputs and what to check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .draw import Call, Env


def call_by_name(name: str) -> Callable:
    """``(ns, *args, **kwargs) -> ns.<name>(...)``, with dotted names for extensions ("linalg.qr")."""
    path = name.split(".")

    def fn(ns, *args, **kwargs):
        obj = ns
        for part in path:
            obj = getattr(obj, part)
        return obj(*args, **kwargs)

    return fn


@dataclass
class Case:
    """How one function of the standard is exercised.

    ``draw(env) -> Call`` draws the arguments (the same function draws value
    examples and gradient examples, see :class:`~conformance.draw.Env`).
    ``fn(ns, *args, **kwargs)`` calls it in a namespace (by name by default).
    ``grad`` marks it differentiable: every floating array argument is checked
    against finite differences, and with ``order2`` second derivatives too.
    ``project(ns, result)`` turns a multi-output or gauge-dependent result into
    the one tensor that is differentiated; ``canon(ns, result)`` turns a result
    whose form is not unique (eigenvectors, unique values) into one that is, for
    the value comparison.  ``mixes`` scales tolerances by the largest value (for
    sums, products of matrices, transforms); ``tol`` multiplies them.  ``skip``
    maps a backend to the real limitation that keeps a check from running there.
    ``reference`` replaces ``fn`` for array-api-strict where array-api-strict itself is wrong.
    ``defaults``: results without an explicit dtype take the backend's default dtypes (creation).
    ``skip_dtypes`` maps a backend to ``(dtype names, reason)``: dtypes not drawn there.
    """

    name: str
    draw: Callable[[Env], Call]
    fn: Callable | None = None
    grad: bool = False
    order2: bool = False
    project: Callable | None = None
    canon: Callable | None = None
    mixes: bool = False
    tol: float = 1.0
    grad_tol: float = 1.0
    complex_grad: bool = True
    skip: dict = field(default_factory=dict)
    skip_grad: dict = field(default_factory=dict)
    reference: Callable | None = None
    defaults: bool = False
    skip_dtypes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.fn is None:
            self.fn = call_by_name(self.name)
        if self.reference is None:
            self.reference = self.fn
