"""``Optimizer``: parameter groups, per-parameter state, ``step()`` and state dicts.

Updates work on the backend arrays, so nothing they do is recorded, with the
backend's own in-place operators (``p.data -= ...``): in place on NumPy, PyTorch, CuPy and
array-api-strict, and a rebinding to the new array on JAX, whose arrays are
immutable.  Gradients are only read, never written: ``.grad`` may be a view
shared with other tensors.
"""

from __future__ import annotations

from .._tensor import Tensor
from ..nn.module import array_like


class Optimizer:
    """Base class: subclasses set ``defaults`` and implement ``update(p, g, state, group)``.

    ``update`` gets the parameter, its gradient as a raw backend array, the
    parameter's state dict (empty on the first step) and its group's options.
    """

    defaults: dict = {}

    def __init__(self, params, **options):
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected options {sorted(unknown)}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups = []
        for g in groups:
            group = {**self.defaults, **options, **g, "params": list(g["params"])}
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(f"{type(self).__name__} can only optimise tensors that require grad, got {p!r:.60}")
            self.check(group)
            self.param_groups.append(group)
        self.state: dict = {}

    def check(self, group: dict) -> None:
        """Raise ValueError for options out of range (``lr`` here; subclasses add theirs)."""
        if group["lr"] < 0:
            raise ValueError(f"learning rate must be non-negative, got {group['lr']}")

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        states, update = self.state, self.update
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if isinstance(g, Tensor):  # after backward(create_graph=True)
                    g = g.data
                state = states.get(id(p))
                if state is None:
                    state = states[id(p)] = {}
                update(p, g, state, group)
                p._version[0] += 1

    def update(self, p, g, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{options, "params": [index, ...]}]}`` (arrays not copied)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = [{**g, "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[k]: dict(v) for k, v in self.state.items() if k in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by :meth:`state_dict` (arrays converted to each parameter's backend)."""
        params = self._params()
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("load_state_dict: the saved parameter groups do not match this optimizer's sizes")
        for mine, saved in zip(self.param_groups, groups):
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {k: array_like(v, p) if hasattr(v, "shape") and v.ndim else _scalar(v) for k, v in st.items()}


def _scalar(v):
    """A Python number from a saved step count (a 0-d array after a round trip through a file)."""
    if isinstance(v, (int, float)):
        return v
    return v.item() if hasattr(v, "item") else v
