"""``Optimizer``: parameter groups, per-parameter state, ``step()`` and state dicts.

Updates work on the backend arrays, so nothing they do is recorded, with the
backend's own in-place operators (``p.data -= ...``): in place on NumPy, PyTorch, CuPy and
array-api-strict, and a rebinding to the new array on JAX, whose arrays are
immutable.  ``step()`` only reads gradients, never writes them (``.grad`` may be a view
shared with other tensors; ``zero_grad(set_to_none=False)`` zeroes it in place where it is
writable and replaces it otherwise).  ``step()`` reads each parameter's ``.grad`` when it
runs, so changes made to it after ``backward()`` (``p.grad *= s``, ``p.grad[m] = 0``,
clipping) are what the update uses.

An optimizer's state is keyed by the parameters themselves, so ``copy.deepcopy``
and ``pickle`` of an optimizer together with its model (``deepcopy((model, opt))``)
give an optimizer whose groups and state belong to the copied parameters.
"""

from __future__ import annotations

import numbers
import operator
import warnings
from collections.abc import Mapping, MutableMapping

import acarray

from .._tensor import Tensor
from ..nn.parameter import Parameter, array_like, clear_grad, dtype_kind, is_array

# Entries of a param group that are not options.
_NOT_OPTIONS = ("params", "param_names")
# PyTorch options that change the update and are not implemented here: refused when a loaded group turns them on.
_UNSUPPORTED = ("maximize", "amsgrad", "centered")


class ParamState(MutableMapping):
    """Per-parameter state dicts keyed by the parameter tensor itself (by identity), like PyTorch's
    ``optimizer.state[p]``; a parameter without state reads as a new empty dict, as from a defaultdict."""

    def __init__(self, items=()):
        self._d: dict = {}  # id(p) -> (p, state)
        for p, st in items:
            self[p] = st

    @staticmethod
    def _key(p):
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizer state is keyed by parameter tensors, got {type(p).__name__}")
        return id(p)

    def __getitem__(self, p):
        entry = self._d.get(self._key(p))
        if entry is None:
            entry = self._d[id(p)] = (p, {})
        return entry[1]

    def get(self, p, default=None):
        entry = self._d.get(self._key(p))
        return default if entry is None else entry[1]

    def __setitem__(self, p, state):
        self._d[self._key(p)] = (p, state)

    def __delitem__(self, p):
        del self._d[self._key(p)]

    def __contains__(self, p):
        return isinstance(p, Tensor) and id(p) in self._d

    def __iter__(self):
        return iter([p for p, _ in self._d.values()])

    def __len__(self):
        return len(self._d)

    def __reduce__(self):
        # Rebuilt from (parameter, state) pairs, so copies key the copied parameters.
        return type(self), (list(self._d.values()),)

    def __repr__(self):
        return f"ParamState({len(self)} parameters)"


def _number(owner: str, group: dict, key: str, what: str, low: float | None = 0.0) -> None:
    """Check ``group[key]`` is a real number of at least ``low`` (a ValueError in PyTorch's words)."""
    v = group[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{owner}: {key} must be a number, got {v!r} ({type(v).__name__})")
    if v != v or (low is not None and v < low):
        raise ValueError(f"Invalid {what}: {key}={v!r}; the {what} must be non-negative ({owner})")


class Optimizer:
    """Base class: subclasses set ``defaults`` and implement ``update(p, g, state, group)``.

    ``params`` is an iterable of parameters, of ``(name, parameter)`` pairs (``model.named_parameters()``)
    or of group dicts (``{"params": [...], "lr": ...}``).  Parameters that do not require grad
    (frozen ones) may be given: they are skipped while they have no gradient.  A parameter given
    twice in one group is kept once, with a warning, and one given in two groups is refused, as in
    PyTorch.  Unknown options and options out of range raise errors naming them.

    ``update`` gets the parameter, its gradient as a raw backend array, the
    parameter's state dict (empty on the first step) and its group's options.
    """

    defaults: dict = {}

    def __init__(self, params, **options):
        name = type(self).__name__
        unknown = set(options) - set(type(self).defaults)
        if unknown:
            raise TypeError(f"{name} got unexpected options {sorted(unknown)} (unexpected keyword arguments); "
                            f"it takes {', '.join(type(self).defaults)}")
        if isinstance(params, Tensor):
            raise TypeError(f"params given to {name} should be an iterable of tensors or dicts, but got a single "
                            f"{type(params).__name__}; pass [p]")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters need to be given in an ordered collection (a list), not a set, "
                            "whose order changes between runs")
        groups = [params] if isinstance(params, Mapping) else list(params)
        if not groups:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        self.defaults = {**type(self).defaults, **options}
        self.param_groups: list = []
        self.state = ParamState()
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, with options of its own (the optimizer's for those it does not set)."""
        name = type(self).__name__
        n = len(self.param_groups)
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{name}: parameter group {n} must be a dict with a 'params' entry, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group {n} has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters need to be given in an ordered collection (a list), not a set, "
                            "whose order changes between runs")
        else:
            params = list(params)
        names = param_group.get("param_names")
        if params and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in params):
            names, params = [k for k, _ in params], [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimise tensors, got {type(p).__name__} {p!r:.60}")
            if p.ctx is not None:
                raise ValueError(f"{name} can't optimise a non-leaf tensor (computed by {p.ctx.name}); "
                                 "optimise the leaves it was computed from")
            if not p.requires_grad and not isinstance(p, Parameter):
                raise TypeError(f"{name} can only optimise tensors that require grad (or Parameters), got {p!r:.60}")
        seen, kept, kept_names = set(), [], []
        for i, p in enumerate(params):
            if id(p) not in seen:
                seen.add(id(p))
                kept.append(p)
                if names is not None:
                    kept_names.append(names[i])
        if len(kept) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; each is updated once",
                          UserWarning, stacklevel=3)
        others = {id(p) for g in self.param_groups for p in g["params"]}
        if others & seen:
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k not in _NOT_OPTIONS}, "params": kept}
        if names is not None:
            group["param_names"] = kept_names
        self.check(group)
        self.param_groups.append(group)

    def check(self, group: dict) -> None:
        """Raise an error naming the option for options out of range (``lr`` here; subclasses add theirs)."""
        _number(type(self).__name__, group, "lr", "learning rate")

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop the gradients of the parameters, or with ``set_to_none=False`` set them to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a gradient.  ``closure`` (optional) recomputes the loss,
        calling ``backward()``, before the update; its result is returned."""
        loss = None
        if closure is not None:
            with acarray.enable_grad():
                loss = closure()
        states, update = self.state._d, self.update
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if isinstance(g, Tensor):  # after backward(create_graph=True)
                    g = g.data
                entry = states.get(id(p))
                if entry is None:
                    entry = states[id(p)] = (p, {})
                update(p, g, entry[1], group)
                p._version[0] += 1
        return loss

    def update(self, p, g, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{options, "params": [index, ...]}]}`` (arrays not copied)."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        state = {index[id(p)]: dict(st) for p, st in self.state._d.values() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore options and state saved by :meth:`state_dict` (arrays converted to each parameter's backend).

        Everything is checked before anything changes: the number of groups and each group's size
        must match this optimizer's, state arrays must have their parameter's shape, options must be
        in range.  Errors name the group, parameter or entry at fault.
        """
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{who}: expected a dict with 'state' and 'param_groups' (what state_dict() returns), "
                            f"got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise ValueError(f"{who}: the state dict has no {key!r} entry")
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, Mapping) and "params" in g for g in groups):
            raise TypeError(f"{who}: 'param_groups' must be a list of dicts, each with a 'params' list")
        if not isinstance(saved_state, Mapping):
            raise TypeError(f"{who}: 'state' must be a dict from parameter index to a dict, got {type(saved_state).__name__}")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{who}: loaded state dict has a different number of parameter groups "
                             f"({len(groups)}) than this optimizer ({len(self.param_groups)})")
        id_map: dict[int, Tensor] = {}
        for i, (mine, saved) in enumerate(zip(self.param_groups, groups)):
            indices = [_index(who, x, f"parameter group {i}") for x in saved["params"]]
            if len(indices) != len(mine["params"]):
                raise ValueError(f"{who}: loaded state dict contains a parameter group that doesn't match the size "
                                 f"of this optimizer's group: group {i} has {len(indices)} parameters, "
                                 f"this optimizer's has {len(mine['params'])}")
            id_map.update(zip(indices, mine["params"]))
        new_groups = []
        for i, (mine, saved) in enumerate(zip(self.param_groups, groups)):
            for k in _UNSUPPORTED:
                if k not in self.defaults and saved.get(k):
                    raise ValueError(f"{who}: parameter group {i} sets {k}={saved[k]!r}, which "
                                     f"{type(self).__name__} does not implement")
            decoupled = getattr(self, "decoupled", None)
            if decoupled is not None and "decoupled_weight_decay" in saved and bool(saved["decoupled_weight_decay"]) != decoupled:
                raise ValueError(f"{who}: parameter group {i} was saved with decoupled_weight_decay="
                                 f"{saved['decoupled_weight_decay']!r}; load it into {'Adam' if decoupled else 'AdamW'}")
            group = {**mine, **{k: _option(v) for k, v in saved.items() if k not in _NOT_OPTIONS}}
            self.check(group)
            new_groups.append(group)
        new_state = ParamState()
        for k, st in saved_state.items():
            i = _index(who, k, "the state")
            if i not in id_map:
                raise ValueError(f"{who}: the state has an entry for parameter {i}, which no parameter group lists")
            if not isinstance(st, Mapping):
                raise TypeError(f"{who}: the state of parameter {i} must be a dict, got {type(st).__name__}")
            p = id_map[i]
            new_state[p] = {name: _state_value(who, i, name, v, p) for name, v in st.items()}
        for mine, group in zip(self.param_groups, new_groups):
            mine.update(group)
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in g.items() if k not in _NOT_OPTIONS]
        return "\n".join(lines + [")"])


def _index(who: str, value, where: str) -> int:
    """A saved parameter index (an int, or its string or 0-d array after a round trip through a file)."""
    try:
        if isinstance(value, str):
            return int(value)
        if is_array(value):
            value = value.item() if hasattr(value, "item") else value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return operator.index(value)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: {where} lists {value!r}, which is not a parameter index") from None


def _scalar(v):
    """A Python number from a saved number (a 0-d array after a round trip through a file)."""
    if isinstance(v, (int, float)):
        return v
    return v.item() if hasattr(v, "item") else v


def _option(v):
    """A loaded option as a Python value: 0-d arrays as numbers, 1-d ones (betas) as tuples of numbers."""
    if is_array(v):
        if len(v.shape) == 0:
            return _scalar(v)
        if len(v.shape) == 1:
            return tuple(_scalar(x) for x in v)
    return v


def _state_value(who: str, i: int, name: str, v, p):
    """A saved state entry of parameter ``p`` (index ``i``): arrays of its shape on its backend, numbers as numbers."""
    if v is None or isinstance(v, (bool, numbers.Number)):
        return v
    if not is_array(v):
        raise TypeError(f"{who}: state {name!r} of parameter {i} must be an array or a number, got {type(v).__name__}")
    shape = tuple(v.shape)
    if name == "step" or (shape == () and p.shape != ()):
        if shape != ():
            raise ValueError(f"{who}: state {name!r} of parameter {i} must be a number, got an array of shape {shape}")
        s = _scalar(v)
        return int(s) if name == "step" and isinstance(s, float) and s.is_integer() else s
    if shape != p.shape:
        raise ValueError(f"{who}: state {name!r} of parameter {i}: expected shape {p.shape} (the parameter's), "
                         f"got {shape}")
    if dtype_kind(v) not in ("cf" if p._b.kind(p.dtype) == "c" else p._b.kind(p.dtype)):
        raise ValueError(f"{who}: state {name!r} of parameter {i}: expected dtype {p.dtype}, got {v.dtype}")
    return array_like(v, p)
