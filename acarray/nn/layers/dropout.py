"""``Dropout``: random zeroing, active in training mode only."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

from .. import functional as F
from ..module import Module

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Dropout(Module):
    """Zero elements with probability ``p`` while training, scaling the rest by ``1 / (1 - p)``.

    ``inplace`` is accepted for PyTorch code; the result is always a new tensor.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a number, got {p!r} ({type(p).__name__})")
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: dropout probability p has to be between 0 and 1, but got {p}")
        self.p: float = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
