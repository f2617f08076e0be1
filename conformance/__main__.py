"""``python -m conformance --backend NAME [--max-examples N] [--only NAMES] [--seed S]``.

Prints progress and a table with one row per function of the standard, writes it to
``conformance/report-<backend>.md``, and exits with status 1 when anything failed,
2 when the backend cannot run here (reported as not run, never as passed).
"""

from __future__ import annotations

import argparse
import sys
import time

from .report import console_table, markdown, totals, write
from .suite import run_backend
from .targets import BACKENDS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True, choices=BACKENDS)
    parser.add_argument("--max-examples", type=int, default=10, help="examples per function (default 10)")
    parser.add_argument("--only", nargs="*", help="run only these names (substrings match too)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0: reproducible)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows, reason = run_backend(args.backend, args.max_examples, only=args.only, rng_seed=args.seed)
    seconds = time.perf_counter() - start
    if rows is None:
        path = write(args.backend, markdown(args.backend, [], max_examples=args.max_examples, seconds=seconds,
                                            not_run=reason))
        print(f"{args.backend}: NOT RUN ({reason}); report in {path}")
        return 2
    print()
    print(console_table(rows))
    t = totals(rows)
    print()
    print(f"{args.backend}: " + ", ".join(f"{k} {v}" for k, v in t.items()) + f"; {seconds:.1f} s")
    path = write(args.backend, markdown(args.backend, rows, max_examples=args.max_examples, seconds=seconds))
    print(f"report written to {path}")
    return 1 if t["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
