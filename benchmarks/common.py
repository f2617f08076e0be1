"""What every workload module shares: the description of a workload, and NumPy copies of results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import acarray


@dataclass
class Workload:
    """One benchmark.  ``build(rng)`` returns ``{"acarray": factory, "numpy": factory, "torch":
    factory}``; ``factory()`` makes a fresh step (new parameters and optimizer state, equal for
    all three) and ``step()`` runs one training step and returns ``(loss, grads)``: the first
    step of every implementation must give the same loss and gradients."""

    name: str
    description: str
    unit_ops: int  # report time per this many ops (1: per step)
    target: float | None  # acarray / hand-written NumPy, at most (None: no target)
    build: Callable
    torch_target: float | None = None  # acarray / PyTorch eager, at most
    memory: bool = False  # also measure the peak memory of one step against the hand-written one


def to_host(a) -> np.ndarray:
    """A NumPy copy of a Tensor, a NumPy, CuPy or PyTorch array, or a Python scalar."""
    if isinstance(a, acarray.Tensor):
        a = a.detach().data
    if hasattr(a, "detach"):  # torch
        return a.detach().cpu().numpy()
    if hasattr(a, "get"):  # cupy
        return a.get()
    return np.asarray(a)


def stateless(with_acarray, by_hand, with_torch):
    """Factories for workloads whose step keeps no state between calls."""
    return {"acarray": lambda: with_acarray, "numpy": lambda: by_hand, "torch": lambda: with_torch}
