"""A tiny character-level transformer trained on the Zen of Python (the text of the standard library's
``this`` module), then asked to continue a prompt.

    python examples/char_transformer.py [--backend torch] [--steps 400]
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import time

import numpy as np
from threadpoolctl import threadpool_limits

import acarray
import acarray.nn as nn
import acarray.nn.functional as F
from acarray import optim
from acarray.testing import to_numpy


def zen_of_python() -> str:
    with contextlib.redirect_stdout(io.StringIO()):  # importing ``this`` prints the text
        import this
    return codecs.decode(this.s, "rot13")  # stored ROT13-encoded


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention and an MLP, each with a residual connection."""

    def __init__(self, dim: int, heads: int, backend: str):
        self.norm1 = nn.LayerNorm(dim, backend=backend)
        self.attn = nn.MultiHeadAttention(dim, heads, backend=backend)
        self.norm2 = nn.LayerNorm(dim, backend=backend)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim, backend=backend), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * dim, dim, backend=backend))

    def forward(self, x):
        x = x + self.attn(self.norm1(x), is_causal=True)
        return x + self.mlp(self.norm2(x))


class CharTransformer(nn.Module):
    def __init__(self, vocab: int, context: int, dim: int, heads: int, layers: int, backend: str):
        self.tokens = nn.Embedding(vocab, dim, backend=backend)
        self.positions = nn.Embedding(context, dim, backend=backend)
        self.blocks = nn.Sequential(*(Block(dim, heads, backend) for _ in range(layers)))
        self.norm = nn.LayerNorm(dim, backend=backend)
        self.out = nn.Linear(dim, vocab, backend=backend)
        for emb in (self.tokens, self.positions):
            nn.init.normal_(emb.weight, std=0.1)

    def forward(self, idx):
        """Token indices ``(N, T)`` -> next-character logits ``(N, T, vocab)``."""
        ns = idx.__array_namespace__()
        x = self.tokens(idx) + self.positions(ns.arange(idx.shape[1], device=idx.device))
        return self.out(self.norm(self.blocks(x)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--context", type=int, default=48)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompt", default="Beautiful is")
    args = parser.parse_args(argv)
    with threadpool_limits(1, user_api="blas"):  # small matrices: extra BLAS threads mostly wait
        return run(args)


def run(args) -> dict:
    ns = acarray.namespace(args.backend)
    text = zen_of_python()
    chars = sorted(set(text))
    code = {c: i for i, c in enumerate(chars)}
    data = np.array([code[c] for c in text])
    nn.init.manual_seed(args.seed)
    rng = nn.init.generator()
    model = CharTransformer(len(chars), args.context, args.dim, heads=4, layers=2, backend=args.backend)
    opt = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)
    start = time.perf_counter()
    t = args.context
    for step in range(1, args.steps + 1):
        offsets = rng.integers(0, len(data) - t - 1, size=32)
        window = np.stack([data[o : o + t + 1] for o in offsets])
        logits = model(ns.asarray(window[:, :-1]))
        loss = F.cross_entropy(ns.reshape(logits, (-1, len(chars))), ns.asarray(window[:, 1:].reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps:
            print(f"step {step:4d}  loss {float(loss):.3f} nats/char")

    model.eval()
    generated = [code[c] for c in args.prompt if c in code]
    with acarray.no_grad():
        for _ in range(120):  # greedy decoding
            logits = model(ns.asarray(np.array([generated[-t:]])))
            generated.append(int(to_numpy(ns.argmax(logits[0, -1, :]))))
    sample = "".join(chars[i] for i in generated)
    print(f"final training loss {float(loss):.3f} nats/char ({time.perf_counter() - start:.1f} s); continuation:\n{sample}")
    return {"loss": float(loss), "sample": sample}


if __name__ == "__main__":
    main()
