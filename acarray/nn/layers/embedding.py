"""``Embedding``: a trainable lookup table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import check_int
from ._params import Factory

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by integer index."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, dtype=None, device=None, backend=None):
        num_embeddings = check_int("Embedding", "num_embeddings", num_embeddings, 0)
        embedding_dim = check_int("Embedding", "embedding_dim", embedding_dim, 0)
        f = Factory(dtype, device, backend)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = f.zeros((num_embeddings, embedding_dim))
        init.normal_(self.weight)

    def forward(self, indices) -> Tensor:
        return F.embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
