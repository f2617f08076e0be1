"""``MultiHeadAttention`` (batch-first, PyTorch's parameter layout and mask conventions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import functional as F
from .. import init
from ..functional import ShapeError
from ..module import Module
from ..parameter import check_int
from ._params import Factory
from .linear import Linear

if TYPE_CHECKING:
    from ..._tensor import Tensor


class MultiHeadAttention(Module):
    """Attention of ``num_heads`` heads over ``(N, L, embed_dim)`` inputs.

    ``in_proj_weight`` stacks the query, key and value projections and
    ``out_proj`` is the output projection, as in ``torch.nn.MultiheadAttention``.
    Masks follow PyTorch there: a boolean ``attn_mask`` ``(L, S)`` and
    ``key_padding_mask`` ``(N, S)`` are True where attention is *not* allowed; a
    floating ``attn_mask`` is added to the scores.  Returns the output only.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, *, dtype=None, device=None, backend=None):
        embed_dim = check_int("MultiHeadAttention", "embed_dim", embed_dim)
        num_heads = check_int("MultiHeadAttention", "num_heads", num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        f = Factory(dtype, device, backend)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = init.xavier_uniform_(f.zeros((3 * embed_dim, embed_dim)))
        self.in_proj_bias = f.zeros((3 * embed_dim,)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device, backend=backend)
        if bias:
            init.zeros_(self.out_proj.bias)

    def _heads(self, ns, x):
        n, length = x.shape[:2]
        return ns.permute_dims(ns.reshape(x, (n, length, self.num_heads, -1)), (0, 2, 1, 3))

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, key_padding_mask=None,
                attn_mask=None, is_causal: bool = False) -> Tensor:
        key = query if key is None else key
        value = key if value is None else value
        e = self.embed_dim
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.ndim != 3 or t.shape[2] != e:
                raise ShapeError(f"expected {name} of shape (N, L, {e}), got shape {tuple(t.shape)}")
        ns = query.__array_namespace__()
        w, b = self.in_proj_weight, self.in_proj_bias
        parts = [F.linear(t, w[i * e : (i + 1) * e, :], None if b is None else b[i * e : (i + 1) * e])
                 for i, t in enumerate((query, key, value))]
        q, k, v = (self._heads(ns, p) for p in parts)
        allowed = None
        if attn_mask is not None:
            allowed = ns.logical_not(attn_mask) if attn_mask.dtype == ns.bool else attn_mask
        if key_padding_mask is not None:
            keep = ns.logical_not(key_padding_mask)[:, None, None, :]
            if allowed is None or allowed.dtype == ns.bool:
                allowed = keep if allowed is None else ns.logical_and(allowed, keep)
            else:
                allowed = ns.where(keep, allowed, -float("inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=is_causal)
        n, length = query.shape[:2]
        out = ns.reshape(ns.permute_dims(out, (0, 2, 1, 3)), (n, length, e))
        return self.out_proj(out)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
