"""The benchmark workloads, each written three times: with acarray, by hand in NumPy
(forward and backward, the floor for a NumPy-backed engine) and with PyTorch eager.

Every implementation returns ``(loss, grads)`` as NumPy values so that the runner
can check they agree before timing anything.
"""

from __future__ import annotations

import numpy as np

import acarray
import acarray.nn.functional as F
from acarray import optim

from . import conv, gru, transformer
from .common import Workload, stateless, to_host

# -- op_chain: dispatch overhead ------------------------------------------------------

CHAIN_ROUNDS = 40  # 5 element-wise ops a round: 200 ops


def build_op_chain(rng):
    x0 = (0.1 * rng.standard_normal(16)).astype(np.float32)
    c1, c2, one = np.float32(1.01), np.float32(0.1), np.float32(1.0)

    def with_acarray():
        x = acarray.asarray(x0, requires_grad=True)
        y = x
        for _ in range(CHAIN_ROUNDS):
            y = acarray.exp(acarray.tanh(y * 1.01 + 0.1)) - 1.0
        loss = acarray.sum(y)
        loss.backward()
        return to_host(loss), [to_host(x.grad)]

    def by_hand():
        y, saved = x0, []
        for _ in range(CHAIN_ROUNDS):
            t = np.tanh(y * c1 + c2)
            e = np.exp(t)
            saved.append((t, e))
            y = e - one
        loss = np.sum(y)
        g = np.ones_like(y)
        for t, e in reversed(saved):
            g = g * e * (one - t * t) * c1
        return loss, [g]

    def with_torch():
        import torch

        x = torch.tensor(x0, requires_grad=True)
        y = x
        for _ in range(CHAIN_ROUNDS):
            y = torch.exp(torch.tanh(y * 1.01 + 0.1)) - 1.0
        loss = torch.sum(y)
        loss.backward()
        return loss.item(), [x.grad.numpy()]

    return stateless(with_acarray, by_hand, with_torch)


# -- MLPs with softmax cross-entropy and an SGD step ------------------------------------


def _init_mlp(rng, sizes):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def _mlp_implementations(x, y, params0, lr=0.01, ns=acarray, torch_device="cpu"):
    """MLP training steps: acarray on namespace ``ns``, by hand in NumPy, PyTorch on ``torch_device``."""
    n = x.shape[0]
    rows = np.arange(n)

    def with_acarray_factory():
        params = [ns.asarray(p.copy(), requires_grad=True) for p in params0]
        opt = optim.SGD(params, lr=lr)
        xt, yt = ns.asarray(x), ns.asarray(y)

        def step():
            h = xt
            for i in range(0, len(params), 2):
                h = F.linear(h, params[i], params[i + 1])
                if i + 2 < len(params):
                    h = F.relu(h)
            loss = F.cross_entropy(h, yt)
            opt.zero_grad()
            loss.backward()
            grads = [p.grad for p in params]
            opt.step()
            return float(loss), grads

        return step

    def by_hand_factory():
        params = [p.copy() for p in params0]

        def step():
            acts = [x]
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i].T + params[i + 1]
                if i + 2 < len(params):
                    h = np.maximum(h, 0)
                acts.append(h)
            shifted = h - h.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -logp[rows, y].mean()
            g = np.exp(logp)
            g[rows, y] -= 1
            g /= n
            grads = [None] * len(params)
            for i in range(len(params) - 2, -1, -2):
                a_in = acts[i // 2]
                grads[i] = g.T @ a_in
                grads[i + 1] = g.sum(axis=0)
                if i:
                    g = (g @ params[i]) * (a_in > 0)
            for p, gp in zip(params, grads):
                p -= lr * gp
            return loss, grads

        return step

    def torch_factory():
        import torch

        params = [torch.tensor(p.copy(), requires_grad=True, device=torch_device) for p in params0]
        opt = torch.optim.SGD(params, lr=lr)
        xt, yt = torch.tensor(x, device=torch_device), torch.tensor(y, device=torch_device)

        def step():
            h = xt
            for i in range(0, len(params), 2):
                h = torch.nn.functional.linear(h, params[i], params[i + 1])
                if i + 2 < len(params):
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, yt)
            opt.zero_grad()
            loss.backward()
            grads = [p.grad.clone() for p in params]
            opt.step()
            return loss.item(), grads

        return step

    return {"acarray": with_acarray_factory, "numpy": by_hand_factory, "torch": torch_factory}


def build_mlp_digits(rng):
    from sklearn.datasets import load_digits

    digits = load_digits()
    idx = rng.choice(len(digits.target), 128, replace=False)
    x = (digits.data[idx] / 16.0).astype(np.float32)
    y = digits.target[idx].astype(np.int64)
    return _mlp_implementations(x, y, _init_mlp(rng, [64, 256, 256, 10]))


def build_mlp_large(rng, ns=acarray, torch_device="cpu"):
    x = rng.standard_normal((256, 784)).astype(np.float32)
    y = rng.integers(0, 10, 256).astype(np.int64)
    return _mlp_implementations(x, y, _init_mlp(rng, [784, 1024, 1024, 10]), ns=ns, torch_device=torch_device)


# -- matmul_big: sum((A @ B) @ C), 1024 x 1024 --------------------------------------------


def build_matmul_big(rng):
    a0, b0, c0 = (rng.standard_normal((1024, 1024)).astype(np.float32) / 32 for _ in range(3))

    def with_acarray():
        a, b, c = (acarray.asarray(m, requires_grad=True) for m in (a0, b0, c0))
        loss = acarray.sum((a @ b) @ c)
        loss.backward()
        return to_host(loss), [to_host(a.grad), to_host(b.grad), to_host(c.grad)]

    def by_hand():
        p = a0 @ b0
        q = p @ c0
        loss = np.sum(q)
        gq = np.ones_like(q)
        gp = gq @ c0.T
        return loss, [gp @ b0.T, a0.T @ gp, p.T @ gq]

    def with_torch():
        import torch

        a, b, c = (torch.tensor(m, requires_grad=True) for m in (a0, b0, c0))
        loss = torch.sum((a @ b) @ c)
        loss.backward()
        return loss.item(), [a.grad.numpy(), b.grad.numpy(), c.grad.numpy()]

    return stateless(with_acarray, by_hand, with_torch)


# -- checkpoint: peak memory of a deep residual MLP's training step, with acarray.checkpoint -----

# A fused Linear + ReLU layer saves only its input, which is what a checkpoint of that layer keeps
# too; what checkpointing frees are the values saved inside a segment: here each block's 4x wider
# hidden activations, as in a transformer's feed-forward blocks.
CHECKPOINT_SHAPE = {"depth": 16, "width": 256, "hidden": 1024, "batch": 512}
CHECKPOINT_EVERY = (None, 4, 1)  # blocks per checkpointed segment (None: no checkpoint)


def build_residual_mlp(rng, every, depth=16, width=256, hidden=1024, batch=512, lr=0.01):
    """Factory of one SGD step of ``depth`` blocks ``h + fc2(relu(fc1(h)))`` (width -> hidden ->
    width, float32) and a cross-entropy loss on the first 10 features, each run of ``every`` blocks
    through ``acarray.checkpoint`` (None: none).  The step returns ``(loss, grads)``; the values
    depend on ``rng`` alone, so factories built from equal generators compute the same thing."""
    x = rng.standard_normal((batch, width)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    params0 = []
    for _ in range(depth):
        params0 += [(rng.standard_normal((hidden, width)) / np.sqrt(width)).astype(np.float32),
                    np.zeros(hidden, np.float32),
                    (0.1 * rng.standard_normal((width, hidden)) / np.sqrt(hidden)).astype(np.float32),
                    np.zeros(width, np.float32)]

    def factory():
        params = [acarray.asarray(p.copy(), requires_grad=True) for p in params0]
        opt = optim.SGD(params, lr=lr)
        xt, yt = acarray.asarray(x), acarray.asarray(y)

        def segment(lo, hi):
            def blocks(h):
                for i in range(lo, hi):
                    w1, b1, w2, b2 = params[4 * i: 4 * i + 4]
                    h = h + F.linear(F.relu(F.linear(h, w1, b1)), w2, b2)
                return h

            return blocks

        n = every or depth
        segments = [segment(lo, min(depth, lo + n)) for lo in range(0, depth, n)]

        def step():
            h = xt
            for blocks in segments:
                h = acarray.checkpoint(blocks, h) if every else blocks(h)
            loss = F.cross_entropy(h[:, :10], yt)
            opt.zero_grad()
            loss.backward()
            grads = [p.grad for p in params]
            opt.step()
            return float(loss), grads

        return step

    return factory


WORKLOADS = [
    Workload("op_chain", "200 element-wise ops on 16 floats, sum, backward", 200, 3.0, build_op_chain),
    Workload("mlp_digits", "MLP 64-256-256-10 on digits, batch 128, CE + SGD step", 1, 1.10, build_mlp_digits),
    Workload("mlp_large", "MLP 784-1024-1024-10, batch 256, CE + SGD step", 1, 1.05, build_mlp_large),
    Workload("matmul_big", "sum((A@B)@C), 1024x1024, backward", 1, 1.05, build_matmul_big),
    *conv.WORKLOADS,
    *gru.WORKLOADS,
    *transformer.WORKLOADS,
]
