"""Adam, AdamW (decoupled weight decay) and RMSprop, with PyTorch's update rules."""

from __future__ import annotations

import math
import numbers

from .optimizer import Optimizer, _number


class Adam(Optimizer):
    """Adam (Kingma and Ba); ``weight_decay`` adds ``weight_decay * p`` to the gradient."""

    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    decoupled = False

    def check(self, group):
        super().check(group)
        name = type(self).__name__
        _number(name, group, "eps", "epsilon value")
        _number(name, group, "weight_decay", "weight_decay value")
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"{name}: betas must be a pair of numbers, got {betas!r}")
        for i, b in enumerate(betas):
            if isinstance(b, bool) or not isinstance(b, numbers.Real):
                raise TypeError(f"{name}: betas must be a pair of numbers, got {betas!r}")
            if not 0 <= b < 1:
                raise ValueError(f"Invalid beta parameter at index {i}: {b!r}; betas must be in [0, 1), got {betas!r}")

    def update(self, p, g, state, group):
        xp = p._b.xp
        lr, wd = group["lr"], group["weight_decay"]
        b1, b2 = group["betas"]
        d = p.data
        if wd and self.decoupled:
            d *= 1 - lr * wd
        elif wd:
            g = g + wd * d
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(d), exp_avg_sq=xp.zeros_like(d))
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        state["exp_avg"], state["exp_avg_sq"] = m, v
        t = state["step"]
        denom = xp.sqrt(v) * (1 / math.sqrt(1 - b2**t)) + group["eps"]
        d -= (lr / (1 - b1**t)) * (m / denom)
        p.data = d


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p *= 1 - lr * weight_decay`` each step."""

    defaults = {**Adam.defaults, "weight_decay": 1e-2}
    decoupled = True


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square; optional momentum and weight decay."""

    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0}

    def check(self, group):
        super().check(group)
        name = type(self).__name__
        for key, what in (("alpha", "alpha value"), ("eps", "epsilon value"), ("weight_decay", "weight_decay value"),
                          ("momentum", "momentum value")):
            _number(name, group, key, what)

    def update(self, p, g, state, group):
        xp = p._b.xp
        d = p.data
        if group["weight_decay"]:
            g = g + group["weight_decay"] * d
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(d))
            if group["momentum"]:
                state["momentum_buffer"] = xp.zeros_like(d)
        state["step"] += 1
        a = group["alpha"]
        sq = state["square_avg"]
        sq *= a
        sq += (1 - a) * (g * g)
        state["square_avg"] = sq
        step = g / (xp.sqrt(sq) + group["eps"])
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += step
            state["momentum_buffer"] = step = buf
        d -= group["lr"] * step
        p.data = d
