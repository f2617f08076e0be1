"""Learning-rate schedules: ``StepLR`` and ``CosineAnnealingLR`` (closed forms, as PyTorch documents them).

A scheduler holds its optimizer: ``copy.deepcopy`` or ``pickle`` of the pair (or of the model, the
optimizer and the scheduler together) gives a scheduler that sets the copied optimizer's rates.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from ..nn.parameter import check_int, check_number
from .optimizer import Optimizer


class LRScheduler:
    """Sets each group's ``lr`` from its initial value and the epoch count; call ``step()`` once per epoch."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0

    def lr_at(self, base: float, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(base, self.last_epoch)

    def get_last_lr(self) -> list:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (the optimizer stays this scheduler's)."""
        if not isinstance(state, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict (what state_dict() returns), "
                            f"got {type(state).__name__}")
        if "last_epoch" in state and not isinstance(state["last_epoch"], numbers.Integral):
            raise TypeError(f"{type(self).__name__}.load_state_dict: last_epoch must be an int, got {state['last_epoch']!r}")
        vars(self).update({k: v for k, v in state.items() if k != "optimizer"})


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        step_size = check_int("StepLR", "step_size", step_size)
        self.step_size, self.gamma = step_size, check_number("StepLR", "gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, base, epoch):
        return base * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = check_number("CosineAnnealingLR", "T_max", T_max, 1)
        self.eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, base, epoch):
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
