"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's formulation)."""

from __future__ import annotations

from .optimizer import Optimizer, _number


class SGD(Optimizer):
    """SGD: ``lr``, ``momentum``, ``dampening``, ``weight_decay`` (all non-negative) and ``nesterov``
    (needs momentum and zero dampening), with PyTorch's update rule."""

    defaults = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}

    def check(self, group):
        super().check(group)
        name = type(self).__name__
        _number(name, group, "momentum", "momentum value")
        _number(name, group, "dampening", "dampening value", None)
        _number(name, group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening 0 (it requires a momentum and zero "
                             f"dampening), got momentum={group['momentum']!r} and dampening={group['dampening']!r}")

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = p._b.xp.asarray(g, copy=True)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + mu * buf if group["nesterov"] else buf
        d = p.data
        d -= group["lr"] * g
        p.data = d
