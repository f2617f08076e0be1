"""``python -m conformance (--backend NAME | --all) [--max-examples N] [--only NAMES] [--seed S]``.

Prints progress and a table with one row per function of the standard, writes it to
``conformance/report-<backend>.md``, and exits with status 1 when anything failed.  A
backend named with ``--backend`` that cannot run here is reported as not run (status 2),
never as passed; ``--all`` runs every backend installed here and reports the others as not run.
"""

from __future__ import annotations

import argparse
import sys
import time

from .report import console_table, markdown, totals, write
from .suite import run_backend
from .targets import BACKENDS

NOT_RUN = 2


def run_one(backend: str, max_examples: int, only, seed: int) -> int:
    """Run, print and write the report of one backend; its exit status."""
    start = time.perf_counter()
    rows, reason = run_backend(backend, max_examples, only=only, rng_seed=seed)
    seconds = time.perf_counter() - start
    if rows is None:
        path = write(backend, markdown(backend, [], max_examples=max_examples, seconds=seconds, not_run=reason))
        print(f"{backend}: NOT RUN ({reason}); report in {path}")
        return NOT_RUN
    print()
    print(console_table(rows))
    t = totals(rows)
    print()
    print(f"{backend}: " + ", ".join(f"{k} {v}" for k, v in t.items()) + f"; {seconds:.1f} s")
    path = write(backend, markdown(backend, rows, max_examples=max_examples, seconds=seconds))
    print(f"report written to {path}")
    return 1 if t["failed"] else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--backend", choices=BACKENDS)
    which.add_argument("--all", action="store_true", help="every backend installed here")
    parser.add_argument("--max-examples", type=int, default=10, help="examples per function (default 10)")
    parser.add_argument("--only", nargs="*", help="run only these names (substrings match too)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0: reproducible)")
    args = parser.parse_args(argv)
    if args.backend:
        return run_one(args.backend, args.max_examples, args.only, args.seed)
    statuses = {b: run_one(b, args.max_examples, args.only, args.seed) for b in BACKENDS}
    print()
    words = {0: "passed", 1: "FAILED", NOT_RUN: "not run"}
    print("conformance: " + ", ".join(f"{b} {words[s]}" for b, s in statuses.items()))
    return 1 if 1 in statuses.values() else 0


if __name__ == "__main__":
    sys.exit(main())
