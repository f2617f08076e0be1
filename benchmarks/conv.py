"""Convolution workloads."""

from __future__ import annotations

import numpy as np

import acarray
import acarray.nn.functional as F

from .common import Workload, stateless, to_host

# -- conv_step: 3x3 convolution, 16 -> 32 channels, padding 1 ---------------------------


def _im2col_conv_by_hand(x, w):
    """Forward and backward of sum(relu(conv2d(x, w, padding=1))) with an im2col matrix product."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(xpad, (k, k), axis=(2, 3))  # n c h w k k
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * k * k)
    wmat = w.reshape(o, c * k * k)
    out = cols @ wmat.T  # (n h w, o)
    mask = out > 0
    loss = np.sum(out * mask)
    gout = mask.astype(x.dtype)
    gw = (gout.T @ cols).reshape(w.shape)
    gcols = (gout @ wmat).reshape(n, h, wd, c, k, k)
    gxpad = np.zeros_like(xpad)
    for i in range(k):
        for j in range(k):
            gxpad[:, :, i:i + h, j:j + wd] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return loss, [gxpad[:, :, 1:-1, 1:-1], gw]


def build_conv_step(rng):
    x0 = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    w0 = (0.1 * rng.standard_normal((32, 16, 3, 3))).astype(np.float32)

    def with_acarray():
        x = acarray.asarray(x0, requires_grad=True)
        w = acarray.asarray(w0, requires_grad=True)
        loss = acarray.sum(F.relu(F.conv2d(x, w, padding=1)))
        loss.backward()
        return to_host(loss), [to_host(x.grad), to_host(w.grad)]

    def with_torch():
        import torch

        x = torch.tensor(x0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)
        loss = torch.sum(torch.relu(torch.nn.functional.conv2d(x, w, padding=1)))
        loss.backward()
        return loss.item(), [x.grad.numpy(), w.grad.numpy()]

    return stateless(with_acarray, lambda: _im2col_conv_by_hand(x0, w0), with_torch)


WORKLOADS = [
    Workload("conv_step", "conv2d 3x3 16->32 pad 1, batch 32 of 32x32, ReLU, sum, backward", 1, 1.0,
             build_conv_step),
]
