"""``python -m benchmarks.instructions WORKLOAD [IMPL]``: machine instructions per step, counted by callgrind.

Wall time on a shared machine moves by several percent from run to run; an
instruction count does not.  The step of ``IMPL`` (acarray, the default, or
numpy) of ``WORKLOAD`` runs under ``valgrind --tool=callgrind`` twice, 10 and
60 times after one warm-up step, with one BLAS thread and a fixed hash seed; the
difference divided by 50 is the cost of one step, start-up excluded (op_chain's
also per op).  Needs valgrind, which is not a Python package.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

RUNS = (10, 60)


def _workload(name: str):
    from .workloads import WORKLOADS

    return {w.name: w for w in WORKLOADS}[name]


def _run_steps(workload: str, impl: str, n: int) -> None:
    """The child: build the workload and run ``n`` steps of ``impl`` after a warm-up."""
    import gc

    import numpy as np

    step = _workload(workload).build(np.random.default_rng(0))[impl]()
    step()
    gc.collect()
    gc.freeze()
    for _ in range(n):
        step()


def count(workload: str, impl: str = "acarray") -> int:
    """Instructions of one step of ``impl`` on ``workload``."""
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    totals = []
    for n in RUNS:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
               "benchmarks.instructions", "--steps", str(n), workload, impl]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
        totals.append(int(re.search(r"Collected : (\d+)", out).group(1)))
    return (totals[1] - totals[0]) // (RUNS[1] - RUNS[0])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--steps"]:
        _run_steps(argv[2], argv[3], int(argv[1]))
        return
    workload, impl = argv[0], argv[1] if len(argv) > 1 else "acarray"
    n = count(workload, impl)
    ops = _workload(workload).unit_ops
    per_op = f" ({n // ops:,} per op)" if ops > 1 else ""
    print(f"{workload} {impl}: {n:,} instructions per step{per_op}")


if __name__ == "__main__":
    main(sys.argv[1:])
