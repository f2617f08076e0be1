"""Learning-rate schedules as PyTorch's (closed forms where PyTorch documents one): ``StepLR``,
``CosineAnnealingLR``, ``LambdaLR``, ``MultiStepLR``, ``ExponentialLR``, ``LinearLR``, ``SequentialLR``,
``OneCycleLR`` and ``ReduceLROnPlateau``.

A scheduler holds its optimizer: ``copy.deepcopy`` or ``pickle`` of the pair (or of the model, the
optimizer and the scheduler together) gives a scheduler that sets the copied optimizer's rates.
"""

from __future__ import annotations

import bisect
import math
import numbers
import types
from collections.abc import Mapping

from ..nn.parameter import check_int, check_number
from .optimizer import Optimizer


class LRScheduler:
    """Sets each group's ``lr`` from its initial value and the epoch count; call ``step()`` once per epoch."""

    def __init__(self, optimizer, last_epoch: int = -1, *, initial_step: bool = False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        last_epoch = check_int(type(self).__name__, "last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            self.base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in optimizer.param_groups]
        else:
            for i, g in enumerate(optimizer.param_groups):
                if "initial_lr" not in g:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming (last_epoch != -1)")
            self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch + 1
        if initial_step or last_epoch != -1:
            self._apply()

    def _apply(self) -> None:
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(base, self.last_epoch)

    def lr_at(self, base: float, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

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


def _per_group(who: str, name: str, optimizer, value) -> list:
    """``value`` for each parameter group: a list or tuple of one per group, or one value for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{who}: {name} must have the same length as optimizer.param_groups, "
                             f"got {len(value)} values for {len(optimizer.param_groups)} groups")
        return list(value)
    return [value] * len(optimizer.param_groups)


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)`` (one function, or a list of one per group)."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        if isinstance(optimizer, Optimizer):
            lambdas = _per_group("LambdaLR", "lr_lambda", optimizer, lr_lambda)
            for f in lambdas:
                if not callable(f):
                    raise TypeError(f"LambdaLR: lr_lambda must be callable (or a list of callables), got {f!r}")
            self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch, initial_step=True)

    def lr_at(self, base, epoch):  # pragma: no cover - step() is overridden per group
        raise NotImplementedError

    def _apply(self):
        for g, base, f in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas):
            g["lr"] = base * f(self.last_epoch)

    def state_dict(self):
        """As PyTorch's: the lambdas are saved only when they are callable objects (their attributes)."""
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(vars(f))
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state):
        state = dict(state) if isinstance(state, Mapping) else state
        saved = state.pop("lr_lambdas", None) if isinstance(state, dict) else None
        super().load_state_dict(state)
        for f, attrs in zip(self.lr_lambdas, saved or ()):
            if attrs is not None:
                vars(f).update(attrs)


class MultiStepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(check_int("MultiStepLR", "milestones", m, 0) for m in milestones)
        self.gamma = check_number("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, epoch):
        return base * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """``lr = initial_lr * gamma ** epoch``."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_number("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base, epoch):
        return base * self.gamma ** epoch


class LinearLR(LRScheduler):
    """``lr = initial_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)``."""

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1):
        start_factor = check_number("LinearLR", "start_factor", start_factor, 0.0, 1.0)
        if start_factor == 0:
            raise ValueError("LinearLR: start_factor must be in (0, 1], got 0")
        self.start_factor = start_factor
        self.end_factor = check_number("LinearLR", "end_factor", end_factor, 0.0, 1.0)
        self.total_iters = check_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch, initial_step=True)

    def lr_at(self, base, epoch):
        return base * (self.start_factor + (self.end_factor - self.start_factor)
                       * min(self.total_iters, epoch) / self.total_iters)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: from ``max_lr / div_factor`` up to ``max_lr`` over ``pct_start`` of the steps, then
    down to ``initial_lr / final_div_factor`` (``three_phase``: back to the initial rate first), each phase
    annealed by cosine or linearly; with ``cycle_momentum`` the momentum (or Adam's first beta) goes the
    opposite way between ``max_momentum`` and ``base_momentum``. Call ``step()`` once per batch."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum=0.85, max_momentum=0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1):
        who = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: {type(optimizer).__name__} is not an Optimizer")
        if total_steps is not None:
            self.total_steps = check_int(who, "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = check_int(who, "epochs", epochs) * check_int(who, "steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError(f"{who}: you must define either total_steps OR (epochs AND steps_per_epoch)")
        pct_start = check_number(who, "pct_start", pct_start, 0.0, 1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{who}: anneal_strategy must be one of 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        div_factor = check_number(who, "div_factor", div_factor)
        final_div_factor = check_number(who, "final_div_factor", final_div_factor)
        n = self.total_steps
        if three_phase:
            self.phases = [(float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = [check_number(who, "max_lr", v, 0.0) for v in _per_group(who, "max_lr", optimizer, max_lr)]
        if last_epoch == -1:
            for m, g in zip(max_lrs, optimizer.param_groups):
                g["initial_lr"] = m / div_factor
                g["max_lr"] = m
                g["min_lr"] = g["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{who}: optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            maxes = _per_group(who, "max_momentum", optimizer, max_momentum)
            bases = _per_group(who, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m, b, g in zip(maxes, bases, optimizer.param_groups):
                    if self.use_beta1:
                        g["betas"] = (m, *g["betas"][1:])
                    else:
                        g["momentum"] = m
                    g["max_momentum"], g["base_momentum"] = m, b
        super().__init__(optimizer, last_epoch, initial_step=True)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def lr_at(self, base, epoch):  # pragma: no cover - _apply reads each group's phase values
        raise NotImplementedError

    def _apply(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; the specified number of total steps is "
                             f"{self.total_steps}")
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    g["lr"] = self._anneal(g[lr0], g[lr1], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(g[m0], g[m1], pct)
                        if self.use_beta1:
                            g["betas"] = (momentum, *g["betas"][1:])
                        else:
                            g["momentum"] = momentum
                    break
                start = end


class SequentialLR(LRScheduler):
    """Runs ``schedulers[i]`` from ``milestones[i - 1]`` on, restarted at its epoch 0 at the milestone."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        who = "SequentialLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: {type(optimizer).__name__} is not an Optimizer")
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError(f"{who}: expects at least one scheduler")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or isinstance(s, (ReduceLROnPlateau, SequentialLR)):
                raise ValueError(f"{who}: schedulers[{i}] must be a closed-form LRScheduler, got {type(s).__name__}")
            if s.optimizer is not optimizer:
                raise ValueError(f"{who}: expects all schedulers to belong to the same optimizer, but scheduler "
                                 f"at index {i} has a different one")
        milestones = [check_int(who, "milestones", m, 0) for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{who}: expects one more scheduler than milestones, got {len(schedulers)} schedulers "
                             f"and {len(milestones)} milestones")
        self.optimizer = optimizer
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = check_int(who, "last_epoch", last_epoch, -1) + 1
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        first = schedulers[0]
        first.last_epoch = 0
        first._apply()

    def step(self):
        self.last_epoch += 1
        idx = bisect.bisect_right(self._milestones, self.last_epoch)
        sched = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            sched.last_epoch = 0
            sched._apply()
        else:
            sched.step()

    def state_dict(self):
        state = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state):
        state = dict(state) if isinstance(state, Mapping) else state
        saved = state.pop("_schedulers", None) if isinstance(state, dict) else None
        super().load_state_dict(state)
        for s, sub in zip(self._schedulers, saved or ()):
            s.load_state_dict(sub)


class ReduceLROnPlateau(LRScheduler):
    """Multiplies each group's ``lr`` by ``factor`` (not below ``min_lr``) once the metric passed to
    ``step(metrics)`` has not improved by ``threshold`` for more than ``patience`` epochs; then waits
    ``cooldown`` epochs. A change smaller than ``eps`` is not made."""

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0, min_lr=0,
                 eps: float = 1e-8):
        who = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{who}: {type(optimizer).__name__} is not an Optimizer")
        factor = check_number(who, "factor", factor, 0.0)
        if factor >= 1.0:
            raise ValueError(f"{who}: factor should be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{who}: mode {mode!r} is unknown (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{who}: threshold mode {threshold_mode!r} is unknown (use 'rel' or 'abs')")
        self.optimizer = optimizer
        self.min_lrs = [check_number(who, "min_lr", v, 0.0) for v in _per_group(who, "min_lr", optimizer, min_lr)]
        self.mode, self.factor, self.threshold_mode = mode, factor, threshold_mode
        self.patience = check_int(who, "patience", patience, 0)
        self.threshold = check_number(who, "threshold", threshold, 0.0)
        self.cooldown = check_int(who, "cooldown", cooldown, 0)
        self.eps = check_number(who, "eps", eps, 0.0)
        self.last_epoch = 0
        self.base_lrs = [g["lr"] for g in optimizer.param_groups]
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a, best):
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return a > (best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metrics) -> None:  # type: ignore[override]
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, low in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
