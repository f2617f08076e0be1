"""Train a small CNN on scikit-learn's handwritten digits (8x8 images, no download) and report test accuracy.

    python examples/digits_cnn.py                      # NumPy backend
    python examples/digits_cnn.py --backend torch      # any acarray backend
    python examples/digits_cnn.py --device cuda        # CuPy on a GPU
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import acarray
import acarray.nn as nn
import acarray.nn.functional as F
from acarray import optim


def build_model(**factory) -> nn.Module:
    """Two 3x3 convolutions and a max-pool, then two linear layers: 8x8 -> 10 classes."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, **factory),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, **factory),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64, **factory),
        nn.ReLU(),
        nn.Linear(64, 10, **factory),
    )


def backend_and_device(backend: str | None, device: str | None):
    """``--device cuda`` means CuPy unless another backend is named (then the backend's own CUDA device)."""
    if device == "cuda" and backend in (None, "cupy"):
        return "cupy", None
    return backend or "numpy", device


def load_data(limit: int | None, seed: int):
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    if limit:
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
    return x_train, y_train, x_test, y_test


def accuracy(model, ns, x, y, device) -> float:
    model.eval()
    with acarray.no_grad():
        logits = model(ns.asarray(x, device=device))
    model.train()
    predicted = np.asarray(acarray.testing.to_numpy(ns.argmax(logits, axis=1)))
    return float(np.mean(predicted == y))


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), torch, cupy, jax, array_api_strict")
    parser.add_argument("--device", default=None, help="e.g. cuda")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only this many training and test images")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads; the matrices here are small, so more threads mostly add waiting")
    args = parser.parse_args(argv)
    with threadpool_limits(args.blas_threads, user_api="blas"):
        return train(args)


def train(args) -> float:

    backend, device = backend_and_device(args.backend, args.device)
    ns = acarray.namespace(backend)
    nn.init.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_data(args.limit, args.seed)
    model = build_model(backend=backend, device=device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    rng = nn.init.generator()
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        seen = correct = 0
        total = 0.0
        bar = tqdm(batches, desc=f"epoch {epoch:2d}/{args.epochs}", unit="batch", leave=True, mininterval=0.5)
        for idx in bar:
            xb = ns.asarray(x_train[idx], device=device)
            yb = ns.asarray(y_train[idx], device=device)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
            correct += int(ns.sum(ns.astype(ns.argmax(logits, axis=1) == yb, ns.int64)))
            seen += len(idx)
            bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.3f}")
        sched.step()
    test_acc = accuracy(model, ns, x_test, y_test, device)
    print(f"test accuracy: {test_acc:.4f} on {len(x_test)} images "
          f"({backend}, {time.perf_counter() - start:.1f} s of training)")
    return test_acc


if __name__ == "__main__":
    main()
