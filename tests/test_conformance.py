"""The conformance suite (``python -m conformance``) on each backend, with few examples.

Each backend's run covers every function of the standard; the test fails when any row of
the report fails, and names those rows.  JAX is left to ``make conformance`` (its compile
times make a run take minutes); CuPy runs only where there is a GPU.
"""

from __future__ import annotations

import io

import pytest

from conformance.report import totals
from conformance.suite import run_backend
from conformance.targets import unavailable

# backend -> examples per function (Dask computes every example lazily, so it gets fewer)
BUDGET = {"numpy": 8, "array_api_strict": 8, "torch": 8, "dask": 3, "cupy": 8}


@pytest.mark.parametrize("backend", list(BUDGET))
def test_conformance(backend):
    reason = unavailable(backend)
    if reason:
        pytest.skip(f"backend {backend} cannot run here: {reason}")
    rows, _ = run_backend(backend, BUDGET[backend], out=io.StringIO())
    failed = [f"{r.name}: {r.note}" for r in rows if r.failed]
    assert not failed, f"{len(failed)} conformance failures on {backend}:\n" + "\n".join(failed)
    t = totals(rows)
    assert t["functions"] == len(rows) > 200
    assert t["values ok"] + t["skipped"] >= t["functions"]
