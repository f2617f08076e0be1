"""Parameter initialisers and the random source of ``acarray.nn`` (seed it with :func:`manual_seed`).

Values are drawn with NumPy's generator on the host and moved to the
parameter's backend and device, so a seed gives the same model on every backend.
Initialisers replace the values of a Parameter in place and return it.
"""

from __future__ import annotations

import math

import numpy as np

from .._checkpoint import register_rng

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind initialisers, dropout and the examples' shuffling."""
    global _rng
    _rng = np.random.default_rng(seed)


def _set_state(state) -> None:
    _rng.bit_generator.state = state


# acarray.checkpoint recomputes a segment during backward with the draws (dropout masks) it first had.
register_rng(lambda: _rng.bit_generator.state, _set_state)


def generator() -> np.random.Generator:
    return _rng


def random_uniform(shape: tuple, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    return _rng.uniform(low, high, size=shape)


def _fans(shape: tuple) -> tuple:
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a parameter with at least 2 axes, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(t, values: np.ndarray):
    ns = t.__array_namespace__()
    t.data = ns.asarray(ns.asarray(values), dtype=t.dtype, device=t.device).data
    t._version[0] += 1
    return t


def uniform_(t, low: float = 0.0, high: float = 1.0):
    return _fill(t, _rng.uniform(low, high, size=t.shape))


def normal_(t, mean: float = 0.0, std: float = 1.0):
    return _fill(t, _rng.normal(mean, std, size=t.shape))


def zeros_(t):
    return _fill(t, np.zeros(t.shape))


def ones_(t):
    return _fill(t, np.ones(t.shape))


def _gain(nonlinearity: str, a: float) -> float:
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0),
             "leaky_relu": math.sqrt(2.0 / (1 + a * a))}
    if nonlinearity not in gains:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of {', '.join(gains)}")
    return gains[nonlinearity]


def kaiming_uniform_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """Uniform in ``[-b, b]`` with ``b = gain * sqrt(3 / fan)`` (He et al.; PyTorch's layers use ``a=sqrt(5)``)."""
    fan = _fans(t.shape)[0 if mode == "fan_in" else 1]
    bound = _gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    fan = _fans(t.shape)[0 if mode == "fan_in" else 1]
    return normal_(t, 0.0, _gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(t, gain: float = 1.0):
    """Uniform in ``[-b, b]`` with ``b = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio)."""
    fan_in, fan_out = _fans(t.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t, gain: float = 1.0):
    fan_in, fan_out = _fans(t.shape)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
