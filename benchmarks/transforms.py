"""``python -m benchmarks.transforms``: what the function transforms cost, against a forward
pass and against torch.func on the same function (float64, CPU, medians of repeated calls).

The function is a small network layer, ``f(x) = tanh(W2 @ tanh(W1 @ x + b))`` with ``x`` of
size ``n`` and ``m`` outputs: the shape of a residual for ``scipy.optimize.least_squares``.
Printed: the time of each transform as a multiple of acarray's forward pass, and torch.func's
time for the same transform (``jacrev``/``jacfwd`` there batch their cotangents with vmap).
"""

from __future__ import annotations

import argparse
import os
import time


def _median_time(fn, min_time):
    fn()  # warm-up (first calls of cached paths)
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 5:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def measure(n=32, m=32, hidden=64, min_time=0.5):
    """``{transform: (acarray seconds, torch.func seconds)}`` and acarray's forward time."""
    import numpy as np
    import torch

    import acarray as xp

    rng = np.random.default_rng(0)
    w1, b, w2 = rng.standard_normal((hidden, n)) / n**0.5, rng.standard_normal(hidden), rng.standard_normal((m, hidden)) / hidden**0.5
    x0, v0 = rng.standard_normal(n), rng.standard_normal(n)

    def make(ns, conv):
        W1, B, W2 = conv(w1), conv(b), conv(w2)

        def f(x):
            return ns.tanh(W2 @ ns.tanh(W1 @ x + B))

        def loss(x):
            return ns.sum(f(x) ** 2)

        return f, loss

    f, loss = make(xp, xp.asarray)
    tf_, tloss = make(torch, torch.tensor)
    x, v = xp.asarray(x0), xp.asarray(v0)
    tx, tv = torch.tensor(x0), torch.tensor(v0)
    tfunc = torch.func
    cases = {
        "forward": (lambda: f(x), lambda: tf_(tx)),
        "grad": (lambda: xp.grad(loss)(x), lambda: tfunc.grad(tloss)(tx)),
        "jvp": (lambda: xp.jvp(f, (x,), (v,)), lambda: tfunc.jvp(tf_, (tx,), (tv,))),
        "jacrev": (lambda: xp.jacrev(f)(x), lambda: tfunc.jacrev(tf_)(tx)),
        "jacfwd": (lambda: xp.jacfwd(f)(x), lambda: tfunc.jacfwd(tf_)(tx)),
        "hvp": (lambda: xp.hvp(loss, (x,), (v,)), lambda: tfunc.jvp(tfunc.grad(tloss), (tx,), (tv,))),
        "hessian": (lambda: xp.hessian(loss)(x), lambda: tfunc.hessian(tloss)(tx)),
    }
    return {k: (_median_time(a, min_time), _median_time(t, min_time)) for k, (a, t) in cases.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transforms", description=__doc__)
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=0.5)
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    results = measure(args.n, args.m, args.hidden, min_time=args.min_time)
    fwd = results["forward"][0]
    print(f"f: R^{args.n} -> R^{args.m}, hidden {args.hidden}, float64; times in microseconds")
    print(f"{'transform':<10} {'acarray':>10} {'x forward':>10} {'torch.func':>11} {'acarray/torch':>14}")
    for k, (a, t) in results.items():
        print(f"{k:<10} {a * 1e6:>10.0f} {a / fwd:>10.1f} {t * 1e6:>11.0f} {a / t:>14.2f}")


if __name__ == "__main__":
    main()
