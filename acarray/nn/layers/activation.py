"""Activation layers, generated from one table: each wraps a function of ``acarray.nn.functional``."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


def _activation(name: str, fn, **defaults):
    """A layer class ``name`` calling ``fn(x, **options)``; ``defaults`` are its options."""

    def __init__(self, **options):
        unknown = set(options) - set(defaults)
        if unknown:
            raise TypeError(f"{name} got unexpected options {sorted(unknown)}; it takes {sorted(defaults) or 'none'}")
        self.options = {**defaults, **options}

    def forward(self, x):
        return fn(x, **self.options)

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())

    doc = f"Applies ``acarray.nn.functional.{fn.__name__}`` element-wise" + (" (options: " + ", ".join(defaults) + ")." if defaults else ".")
    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr, "__doc__": doc})


ReLU = _activation("ReLU", F.relu)
LeakyReLU = _activation("LeakyReLU", F.leaky_relu, negative_slope=0.01)
GELU = _activation("GELU", F.gelu, approximate="none")
SiLU = _activation("SiLU", F.silu)
Sigmoid = _activation("Sigmoid", F.sigmoid)
Tanh = _activation("Tanh", F.tanh)
Softmax = _activation("Softmax", F.softmax, axis=-1)
LogSoftmax = _activation("LogSoftmax", F.log_softmax, axis=-1)
