"""A GRU that forecasts sine waves: given 40 samples of a wave with random frequency, phase and
amplitude, predict the next 20 samples at once.

    python examples/sine_gru.py [--backend torch] [--steps 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import acarray
import acarray.nn as nn
import acarray.nn.functional as F
from acarray import optim
from acarray.testing import to_numpy

WINDOW, HORIZON = 40, 20


def waves(rng, n: int, length: int) -> np.ndarray:
    """``n`` sampled sine waves of ``length`` points, shape ``(n, length)``."""
    freq = rng.uniform(0.1, 0.3, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.5, (n, 1))
    return (amp * np.sin(freq * np.arange(length) + phase)).astype(np.float32)


class Forecaster(nn.Module):
    """A GRU reads the window; a linear layer maps its last state to the next ``HORIZON`` values."""

    def __init__(self, hidden: int, backend: str):
        self.gru = nn.GRU(1, hidden, num_layers=1, backend=backend)
        self.head = nn.Linear(hidden, HORIZON, backend=backend)

    def forward(self, x):
        """``x`` ``(N, T)`` -> the forecast ``(N, HORIZON)``."""
        ns = x.__array_namespace__()
        out, _ = self.gru(ns.expand_dims(x, axis=-1))
        return self.head(out[:, -1, :])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with threadpool_limits(1, user_api="blas"):  # small matrices: extra BLAS threads mostly wait
        return run(args)


def run(args) -> dict:
    ns = acarray.namespace(args.backend)
    nn.init.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Forecaster(args.hidden, args.backend)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        batch = waves(rng, 64, WINDOW + HORIZON)
        loss = F.mse_loss(model(ns.asarray(batch[:, :WINDOW])), ns.asarray(batch[:, WINDOW:]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step:4d}  training MSE {float(loss):.5f}")

    test = waves(np.random.default_rng(args.seed + 1), 256, WINDOW + HORIZON)
    with acarray.no_grad():
        forecast = to_numpy(model(ns.asarray(test[:, :WINDOW])))
    truth = test[:, WINDOW:]
    result = {
        "mse": float(np.mean((forecast - truth) ** 2)),
        "next_value_mse": float(np.mean((forecast[:, 0] - truth[:, 0]) ** 2)),
        "last_value_mse": float(np.mean((test[:, WINDOW - 1 : WINDOW] - truth) ** 2)),
    }
    print(f"test MSE over the next {HORIZON} values {result['mse']:.5f} (next value alone {result['next_value_mse']:.5f}); "
          f"repeating the last value gives {result['last_value_mse']:.5f}  ({time.perf_counter() - start:.1f} s)")
    return result


if __name__ == "__main__":
    main()
