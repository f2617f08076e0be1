"""Comparing acarray.nn layers with PyTorch's: same weights, same inputs, outputs and gradients."""

from __future__ import annotations

import numpy as np
import torch
from conftest import to_numpy


def torch_copy(ours, theirs):
    """Load our layer's parameters into the PyTorch layer (strict: the names and shapes must line up)."""
    state = {k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    return theirs.double()


def assert_close(ours, theirs, what, rtol=1e-6, atol=1e-8):
    a = to_numpy(ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs PyTorch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def compare_layer(xp, ours, theirs, *arrays, rng, call=None, torch_call=None, tol=1e-6):
    """Run both layers on the same inputs (NumPy arrays), backpropagate one random cotangent, compare everything.

    Floating inputs require grad; ``call(layer, *inputs)`` and ``torch_call`` adapt calls
    and pick the tensor to compare from the outputs.
    """
    theirs = torch_copy(ours, theirs)
    floating = [np.issubdtype(a.dtype, np.floating) for a in arrays]
    xs = [xp.asarray(xp.asarray(a), requires_grad=f) for a, f in zip(arrays, floating)]
    ts = [torch.tensor(a, requires_grad=bool(f)) for a, f in zip(arrays, floating)]
    out = (call or (lambda m, *a: m(*a)))(ours, *xs)
    tout = (torch_call or (lambda m, *a: m(*a)))(theirs, *ts)
    assert_close(out, tout, "output", rtol=tol, atol=tol)
    cot = rng.standard_normal(tuple(out.shape))
    out.backward(xp.asarray(xp.asarray(cot), dtype=out.dtype))
    tout.backward(torch.tensor(cot))
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.requires_grad:
            assert_close(x.grad, t.grad, f"gradient of input {i}", rtol=tol, atol=tol)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad, tparams[name].grad, f"gradient of {name}", rtol=tol, atol=tol)
    return out, tout
