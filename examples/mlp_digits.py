"""A multi-layer perceptron (64 -> 256 -> 256 -> 10) on scikit-learn's digits, flattened to 64 features.

    python examples/mlp_digits.py [--backend torch] [--epochs 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import acarray
import acarray.nn as nn
import acarray.nn.functional as F
from acarray import optim
from acarray.data import DataLoader, TensorDataset
from acarray.testing import to_numpy


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ns = acarray.namespace(args.backend)
    nn.init.manual_seed(args.seed)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.2, random_state=args.seed,
                                                        stratify=digits.target)
    model = nn.Sequential(nn.Linear(64, 256, backend=args.backend), nn.ReLU(), nn.Linear(256, 256, backend=args.backend),
                          nn.ReLU(), nn.Linear(256, 10, backend=args.backend))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    # A new permutation each epoch, drawn from nn.init's generator (seeded above by manual_seed).
    train = DataLoader(TensorDataset(ns.asarray(x_train), ns.asarray(y_train)), batch_size=args.batch_size,
                       shuffle=True)
    start = time.perf_counter()
    with threadpool_limits(1, user_api="blas"):  # small matrices: extra BLAS threads mostly wait
        for epoch in range(1, args.epochs + 1):
            total = 0.0
            for images, labels in train:
                loss = F.cross_entropy(model(images), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss) * images.shape[0]
            if epoch % 10 == 0 or epoch == args.epochs:
                print(f"epoch {epoch:3d}  training loss {total / len(train.dataset):.4f}")
        with acarray.no_grad():
            predicted = to_numpy(ns.argmax(model(ns.asarray(x_test)), axis=1))
    accuracy = float(np.mean(predicted == y_test))
    print(f"MLP test accuracy: {accuracy:.4f} on {len(y_test)} images ({time.perf_counter() - start:.1f} s)")
    return accuracy


if __name__ == "__main__":
    main()
