"""``python -m benchmarks``: time every workload, print the table, write benchmarks/results.json.

BLAS threads are pinned before NumPy is imported (``--threads``, default 2), and
PyTorch is given the same number.  Before anything is timed, acarray's loss and
gradients are checked against the hand-written ones, so a fast wrong answer fails.
"""

from __future__ import annotations

import argparse
import os


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=3.0,
                        help="seconds of timing per workload (its implementations take turns)")
    parser.add_argument("--only", nargs="*", help="workload names to run (memory, checkpoint: the peak-memory measurements)")
    parser.add_argument("--gpu", action="store_true", help="mlp_large on CuPy against PyTorch CUDA instead")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results.json"))
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    from .runner import run

    run(args)


if __name__ == "__main__":
    main()
