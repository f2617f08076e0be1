"""``Dropout``: random zeroing, active in training mode only."""

from __future__ import annotations

from .. import functional as F
from ..module import Module


class Dropout(Module):
    """Zero elements with probability ``p`` while training, scaling the rest by ``1 / (1 - p)``."""

    def __init__(self, p: float = 0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
