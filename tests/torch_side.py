"""Edge-value cases run twice, on acarray and on PyTorch (float64, the reference): the inputs of one side."""

from __future__ import annotations

import numpy as np
import torch


class Side:
    """Builds a case's inputs for one library: acarray on namespace ``xp``, or PyTorch (``xp`` None)."""

    def __init__(self, xp=None):
        self.xp = xp
        self.inputs = []
        self.torch = xp is None

    def t(self, values, grad=True, dtype="float64"):
        """A tensor of ``values``, an input of the case (differentiated) when ``grad``."""
        values = np.array(values, dtype=dtype)
        if self.xp is None:
            x = torch.tensor(values, requires_grad=grad)
        else:
            x = self.xp.asarray(self.xp.asarray(values))
            if grad:
                x.requires_grad_()
        if grad:
            self.inputs.append(x)
        return x

    def c(self, values, dtype="bool"):
        """A constant of the case (not differentiated)."""
        return self.t(values, grad=False, dtype=dtype)

    def dtype(self, name):
        """The side's dtype object called ``name``."""
        return getattr(torch if self.xp is None else self.xp, name)


def cotangent(shape, seed, dtype=np.float64):
    """A seeded cotangent of ``shape``: magnitudes in [0.5, 1.5], random signs."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return v.astype(dtype)
