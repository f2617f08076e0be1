"""Running the whole table on one backend: progress, rows, and the rows a missing case leaves."""

from __future__ import annotations

import sys

from . import array_object, functions, limits
from .run import NA, Outcome, Row, run_case
from .standard import all_names
from .targets import Target, unavailable


def table() -> dict:
    """Every case by name, the functions first, then the array object, with the backends'
    limitations (``limits``) attached."""
    cases = {}
    for case in functions.TABLE + array_object.TABLE:
        if case.name in cases:
            raise ValueError(f"two conformance cases for {case.name}")
        cases[case.name] = case
    for attr, table_ in (("skip", limits.SKIP), ("skip_grad", limits.SKIP_GRAD)):
        for backend, reasons in table_.items():
            for name, reason in reasons.items():
                getattr(cases[name], attr)[backend] = reason
    for backend, limited in limits.SKIP_DTYPES.items():
        for name, entry in limited.items():
            cases[name].skip_dtypes[backend] = entry
    return cases


def run_backend(backend: str, max_examples: int = 10, *, only=None, rng_seed: int = 0, out=sys.stdout):
    """Rows for ``backend`` (every name of the standard), or ``(None, reason)`` when it cannot run."""
    reason = unavailable(backend)
    if reason:
        return None, reason
    target = Target(backend)
    cases = table()
    standard = all_names()
    extra = sorted(set(cases) - set(standard))
    if extra:
        raise ValueError(f"conformance cases for names that are not in the standard: {extra}")
    names = [n for n in standard if only is None or any(n == o or n.startswith(o + ".") or o in n for o in only)]
    rows = []
    for i, name in enumerate(names, 1):
        case = cases.get(name)
        if case is None:
            missing = Outcome("FAIL", 0, "no case in the conformance table")
            row = Row(name, missing, NA, NA)
        else:
            row = run_case(case, target, max_examples, rng_seed)
        rows.append(row)
        mark = "FAIL" if row.failed else "ok"
        print(f"[{i:3d}/{len(names)}] {backend:<16} {name:<32} {mark:<4} {row.seconds:6.2f}s", file=out, flush=True)
    return rows, None
