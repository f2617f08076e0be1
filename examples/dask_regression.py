"""Logistic regression by gradient descent on a chunked Dask array, on a dask.distributed cluster.

The data never has to fit in one process: ``X`` is a Dask array split into row
chunks, acarray records the loss on the Dask backend, and ``backward()`` builds
the gradient as another Dask graph.  Nothing runs until ``dask.compute`` asks
for the loss and the updated weights, once per step, on the cluster's workers.
A LocalCluster stands in for a real cluster: pass ``--scheduler tcp://host:8786``
to use one (the code is the same).

    python examples/dask_regression.py --rows 200000 --chunk 20000 --steps 30
"""

from __future__ import annotations

import argparse

import dask
import dask.array as da
import numpy as np

import acarray


def logistic_loss(xp, w, X, y):
    """Mean negative log-likelihood of labels ``y`` in {0, 1} under logits ``X @ w``."""
    z = X @ w
    return xp.mean(xp.logaddexp(0.0, z) - y * z)


def loss_and_gradient(xp, w, X, y):
    """The loss and its gradient with respect to ``w``, both still lazy on a Dask backend."""
    w = xp.asarray(w, requires_grad=True)
    loss = logistic_loss(xp, w, X, y)
    loss.backward()
    return loss.data, w.grad


def make_data(rows: int, features: int, chunk: int, seed: int = 0):
    """Separable-ish synthetic data as chunked Dask arrays (generated lazily, chunk by chunk)."""
    rs = da.random.RandomState(seed)
    X = rs.standard_normal((rows, features), chunks=(chunk, features))
    true_w = np.linspace(-2.0, 2.0, features)
    noise = rs.standard_normal(rows, chunks=chunk)
    y = (X @ true_w + 0.5 * noise > 0).astype("float64")
    return X, y, true_w


def fit(X, y, *, steps: int, lr: float, verbose: bool = True):
    """Gradient descent; each step computes one Dask graph (loss and new weights) on the cluster."""
    xp = acarray.namespace("dask")
    X, y = xp.asarray(X), xp.asarray(y)
    w = da.zeros(X.shape[1], dtype="float64", chunks=X.shape[1])
    for step in range(steps):
        loss, grad = loss_and_gradient(xp, w, X, y)
        loss, w = dask.compute(loss, w - lr * grad)
        w = da.from_array(w, chunks=w.shape)
        if verbose and (step % 5 == 0 or step == steps - 1):
            print(f"step {step:3d}  loss {float(loss):.5f}")
    return w.compute()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="address of an existing dask scheduler (default: a LocalCluster)")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True))
    with client:
        print(f"dashboard: {client.dashboard_link}")
        X, y, true_w = make_data(args.rows, args.features, args.chunk)
        w = fit(X, y, steps=args.steps, lr=args.lr)
    cos = float(w @ true_w / (np.linalg.norm(w) * np.linalg.norm(true_w)))
    print(f"weights {np.round(w, 3)}\ncosine similarity with the generating weights: {cos:.4f}")


if __name__ == "__main__":
    main()
