"""Checking gradients against central finite differences (used by the tests and the conformance suite)."""

from __future__ import annotations

import numpy as np

from ._host import to_numpy
from .autograd import grad as _grad

_to_numpy = to_numpy


def _perturbed(xp, x, flat_index, delta):
    """A copy of tensor ``x`` (a leaf) with ``delta`` added at ``flat_index``."""
    base = _to_numpy(x).copy()
    base.reshape(-1)[flat_index] += delta
    return xp.asarray(xp.asarray(base), dtype=x.dtype, device=x.device).requires_grad_(True)


def numerical_vjp(f, inputs, cotangent, eps=1e-6):
    """Central-difference estimate of ``cotangent . d f(inputs) / d inputs``, one array per input.

    Complex inputs are perturbed along the real and the imaginary axis, which gives
    the gradient in PyTorch's convention (dL/dRe + i dL/dIm).
    """
    xp = inputs[0].__array_namespace__()
    cot = _to_numpy(cotangent)

    def value(args):
        y = _to_numpy(f(*args))
        return np.sum(np.real(np.conj(cot) * y)) if np.iscomplexobj(cot) else np.sum(cot * np.real(y))

    grads = []
    for i, x in enumerate(inputs):
        xn = _to_numpy(x)
        g = np.zeros(xn.shape, dtype=xn.dtype)
        directions = (1.0, 1.0j) if np.iscomplexobj(xn) else (1.0,)
        for k in range(xn.size):
            for d in directions:
                hi = list(inputs)
                lo = list(inputs)
                hi[i] = _perturbed(xp, x, k, d * eps)
                lo[i] = _perturbed(xp, x, k, -d * eps)
                slope = (value(hi) - value(lo)) / (2 * eps)
                g.reshape(-1)[k] += d * slope
        grads.append(g)
    return grads


def check_grads(f, *inputs, rtol=1e-5, atol=1e-6, eps=1e-6, order=1, seed=0):
    """Assert that the gradients of ``f`` at ``inputs`` (Tensors) match finite differences.

    The output is contracted with a random cotangent.  ``order=2`` also checks the
    gradient of that gradient (contracted with random vectors) with
    ``create_graph=True``.  Raises AssertionError with the worst mismatch.
    """
    rng = np.random.default_rng(seed)
    inputs = [x.detach().requires_grad_(True) for x in inputs]
    xp = inputs[0].__array_namespace__()
    out = f(*inputs)
    out_np = _to_numpy(out)
    cot_np = rng.standard_normal(out_np.shape)
    if np.iscomplexobj(out_np):
        cot_np = cot_np + 1j * rng.standard_normal(out_np.shape)
    cot_np = cot_np.astype(out_np.dtype)
    cot = xp.asarray(xp.asarray(cot_np), device=out.device)
    if out.requires_grad:
        analytic = _grad([out], inputs, [cot], allow_unused=True, retain_graph=True)
    else:  # the output does not depend on the inputs (a linear function's second derivative)
        analytic = [None] * len(inputs)
    numeric = numerical_vjp(f, inputs, cot, eps=eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.zeros_like(n) if a is None else _to_numpy(a)
        if a.shape != n.shape:
            raise AssertionError(f"gradient {i} has shape {a.shape}, expected {n.shape}")
        if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
            worst = np.max(np.abs(a - n))
            raise AssertionError(f"gradient {i} differs from finite differences by up to {worst:g}:\nanalytic\n{a}\nnumeric\n{n}")
    if order >= 2:
        vs = [xp.asarray(xp.asarray(rng.standard_normal(_to_numpy(x).shape).astype(_to_numpy(x).dtype)), device=x.device) for x in inputs]

        def directional(*args):
            out2 = f(*args)
            gs = _grad([out2], list(args), [cot], create_graph=True, allow_unused=True)
            total = None
            for g, v in zip(gs, vs):
                if g is None:
                    continue
                term = xp.sum(xp.real(g * v) if np.iscomplexobj(_to_numpy(v)) else g * v)
                total = term if total is None else total + term
            return total

        check_grads(directional, *inputs, rtol=rtol * 10, atol=atol * 10, eps=eps, order=1, seed=seed + 1)
