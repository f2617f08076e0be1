"""Optimizers and schedules against PyTorch's, state dicts, and the in-place update rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import to_numpy

import acarray
import acarray.nn as nn
from acarray import optim

CONFIGS = {
    "sgd": (optim.SGD, torch.optim.SGD, {"lr": 0.1}),
    "sgd_momentum_decay": (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    "sgd_nesterov": (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "adam": (optim.Adam, torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.9)}),
    "adam_weight_decay": (optim.Adam, torch.optim.Adam, {"lr": 0.05, "weight_decay": 0.1}),
    "adamw": (optim.AdamW, torch.optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    "rmsprop": (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01}),
    "rmsprop_momentum_decay": (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
}

W0 = np.random.default_rng(0).standard_normal((3, 4))
B0 = np.random.default_rng(1).standard_normal(3)
X = np.random.default_rng(2).standard_normal((5, 4))


def _ours(xp, cls, options, steps, opt=None, params=None):
    params = params or [xp.asarray(xp.asarray(W0.copy()), requires_grad=True), xp.asarray(xp.asarray(B0.copy()), requires_grad=True)]
    opt = opt or cls(params, **options)
    for _ in range(steps):
        w, b = params
        loss = xp.sum(xp.tanh(xp.asarray(xp.asarray(X)) @ w.T + b) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return params, opt


def _torch(cls, options, steps):
    params = [torch.tensor(W0, requires_grad=True), torch.tensor(B0, requires_grad=True)]
    opt = cls(params, **options)
    for _ in range(steps):
        w, b = params
        loss = torch.sum(torch.tanh(torch.tensor(X) @ w.T + b) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return params


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_optimizer_matches_torch(name):
    ours_cls, torch_cls, options = CONFIGS[name]
    ours, _ = _ours(acarray.numpy, ours_cls, options, 5)
    theirs = _torch(torch_cls, options, 5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("xp", ["array_api_strict", "torch"], indirect=True)
@pytest.mark.parametrize("name", ["sgd_momentum_decay", "adamw", "rmsprop_momentum_decay"])
def test_optimizer_on_other_backends(xp, name):
    ours_cls, torch_cls, options = CONFIGS[name]
    ours, _ = _ours(xp, ours_cls, options, 3)
    for a, b in zip(ours, _torch(torch_cls, options, 3)):
        np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_updates_are_in_place_and_never_touch_grad():
    w = nn.Parameter(acarray.asarray(W0.copy()))
    data = w.data
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    acarray.sum(w * w).backward()
    grad_before = np.array(w.grad)
    version = w._version[0]
    opt.step()
    assert w.data is data  # NumPy: updated in place
    np.testing.assert_array_equal(w.grad, grad_before)
    np.testing.assert_allclose(to_numpy(w), W0 - 0.1 * 2 * W0)
    assert w._version[0] == version + 1


def test_step_works_when_grad_is_a_read_only_broadcast_view():
    w = nn.Parameter(acarray.zeros((3, 4)))
    w.grad = np.broadcast_to(np.ones(4), (3, 4))  # what the gradient of a broadcast may look like
    for cls in (optim.SGD, optim.Adam, optim.RMSprop):
        opt = cls([w], lr=0.1, **({"momentum": 0.5} if cls is optim.SGD else {}))
        opt.step()
        opt.step()
    assert np.all(to_numpy(w) < 0)


def test_state_dict_round_trip_through_a_file_continues_identically(tmp_path):
    ours_cls, _, options = CONFIGS["adamw"]
    straight, _ = _ours(acarray.numpy, ours_cls, options, 4)
    params, opt = _ours(acarray.numpy, ours_cls, options, 2)
    acarray.save({"params": params, "optimizer": opt.state_dict()}, tmp_path / "ckpt.npz")
    saved = acarray.load(tmp_path / "ckpt.npz", backend="torch")  # restored on another backend
    xp = acarray.namespace("torch")
    restored = [xp.asarray(p, requires_grad=True) for p in saved["params"]]
    opt2 = ours_cls(restored, **options)
    opt2.load_state_dict(saved["optimizer"])
    resumed, _ = _ours(xp, ours_cls, options, 2, opt=opt2, params=restored)
    for a, b in zip(straight, resumed):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12)


def test_param_groups_have_their_own_options():
    a, b = nn.Parameter(acarray.ones(2)), nn.Parameter(acarray.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    acarray.sum(a + b).backward()
    opt.step()
    np.testing.assert_allclose(to_numpy(a), [0.9, 0.9])
    np.testing.assert_allclose(to_numpy(b), [0.0, 0.0])


def test_optimizer_errors():
    w = nn.Parameter(acarray.ones(2))
    with pytest.raises(ValueError, match="learning rate must be non-negative"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="unexpected options"):
        optim.Adam([w], momentum=0.9)
    with pytest.raises(TypeError, match="only optimise tensors that require grad"):
        optim.SGD([acarray.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)


@pytest.mark.parametrize("name", ["step", "cosine"])
def test_schedulers_match_torch(name):
    w, tw = nn.Parameter(acarray.ones(1)), torch.ones(1, requires_grad=True)
    opt, topt = optim.SGD([w], lr=0.5), torch.optim.SGD([tw], lr=0.5)
    if name == "step":
        sched, tsched = optim.lr_scheduler.StepLR(opt, 3, gamma=0.5), torch.optim.lr_scheduler.StepLR(topt, 3, gamma=0.5)
    else:
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
        tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10, eta_min=0.01)
    for _ in range(12):
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    state = sched.state_dict()
    fresh = type(sched)(opt, **({"step_size": 3, "gamma": 0.5} if name == "step" else {"T_max": 10, "eta_min": 0.01}))
    fresh.load_state_dict(state)
    assert fresh.last_epoch == 12
