"""Module mechanics: parameters, state dicts (round trips and errors), modes, moving between backends."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from conftest import _cupy_usable, to_numpy

import acarray
import acarray.nn as nn


class Net(nn.Module):
    def __init__(self, **factory):
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, **factory), nn.BatchNorm2d(2, **factory), nn.ReLU())
        self.head = nn.ModuleList([nn.Flatten(), nn.Linear(2 * 4 * 4, 3, **factory)])

    def forward(self, x):
        x = self.features(x)
        for m in self.head:
            x = m(x)
        return x


EXPECTED_KEYS = [
    "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
    "features.1.running_mean", "features.1.running_var", "head.1.weight", "head.1.bias",
]


def test_parameters_buffers_and_state_dict_names():
    net = Net()
    assert list(net.state_dict()) == EXPECTED_KEYS
    assert [k for k, _ in net.named_parameters()] == [k for k in EXPECTED_KEYS if "running" not in k]
    assert [k for k, _ in net.named_buffers()] == ["features.1.running_mean", "features.1.running_var"]
    assert all(p.requires_grad and p.dtype == acarray.float32 for p in net.parameters())
    assert not any(b.requires_grad for b in net.buffers())


def test_state_dict_round_trip_reproduces_outputs(rng):
    nn.init.manual_seed(1)
    a = Net().eval()
    nn.init.manual_seed(2)
    b = Net().eval()
    x = acarray.asarray(rng.standard_normal((2, 1, 4, 4)).astype(np.float32))
    assert not np.allclose(to_numpy(a(x)), to_numpy(b(x)))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(to_numpy(a(x)), to_numpy(b(x)))
    # Loading copies: changing the source afterwards leaves the target alone.
    with acarray.no_grad():
        a.head[1].weight *= 2
    assert not np.array_equal(to_numpy(a.head[1].weight), to_numpy(b.head[1].weight))


def test_deepcopy_and_pickle_copy_a_model(rng):
    a = Net().eval()
    x = acarray.asarray(rng.standard_normal((2, 1, 4, 4)).astype(np.float32))
    for b in (copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert isinstance(b.head[1].weight, nn.Parameter) and b.head[1].weight.requires_grad
        assert isinstance(b.features[1].running_mean, nn.Buffer)
        assert not any(p is q for p, q in zip(a.parameters(), b.parameters()))
        np.testing.assert_array_equal(to_numpy(a(x)), to_numpy(b(x)))
        with acarray.no_grad():
            b.head[1].weight *= 2  # the copy has its own parameters
        assert not np.array_equal(to_numpy(a(x)), to_numpy(b(x)))


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    state = dict(net.state_dict())
    del state["head.1.bias"]
    state["head.2.weight"] = state["head.1.weight"]
    with pytest.raises(KeyError, match=r"missing keys \['head.1.bias'\], unexpected keys \['head.2.weight'\]"):
        net.load_state_dict(state)
    state = dict(net.state_dict())
    state["features.0.weight"] = np.zeros((2, 1, 5, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"features.0.weight: expected \(2, 1, 3, 3\), got \(2, 1, 5, 5\)"):
        net.load_state_dict(state)
    partial = {"head.1.bias": np.ones(3, dtype=np.float32)}
    net.load_state_dict(partial, strict=False)
    np.testing.assert_array_equal(to_numpy(net.head[1].bias), np.ones(3))


def test_train_eval_and_zero_grad():
    net = Net()
    assert net.training and net.features[1].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    out = net(acarray.ones((2, 1, 4, 4)))
    acarray.sum(out).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("target", ["torch", "array_api_strict"])
def test_to_backend_moves_every_tensor_and_keeps_results(target, rng):
    net = Net().eval()
    x = rng.standard_normal((2, 1, 4, 4)).astype(np.float32)
    before = to_numpy(net(acarray.asarray(x)))
    net.to_backend(target)
    ns = acarray.namespace(target)
    assert all(t.__array_namespace__() is ns and t.dtype == ns.float32 for t in net.parameters() + net.buffers())
    np.testing.assert_allclose(to_numpy(net(ns.asarray(x))), before, rtol=1e-5, atol=1e-6)


def test_layers_follow_dtype_and_backend_arguments():
    layer = nn.Linear(3, 2, dtype="float64", backend="torch")
    import torch

    assert isinstance(layer.weight.data, torch.Tensor) and layer.weight.dtype == torch.float64
    layer = nn.Linear(3, 2, backend=acarray.namespace("array_api_strict"))
    assert layer.weight.dtype == acarray.namespace("array_api_strict").float32
    with pytest.raises(ValueError, match="unknown dtype name 'float17'"):
        nn.Linear(3, 2, dtype="float17")


def test_to_device_keeps_the_device_on_cpu():
    net = Net()
    device = net.head[1].weight.device
    net.to_device(device)
    assert all(p.device == device for p in net.parameters())


def test_initialisers_have_the_documented_spread():
    nn.init.manual_seed(0)
    w = nn.Parameter(acarray.zeros((400, 300)))
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = np.sqrt(2.0) * np.sqrt(3.0 / 300)
    values = to_numpy(w)
    assert values.max() <= bound and values.min() >= -bound and values.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    nn.init.xavier_normal_(w)
    assert to_numpy(w).std() == pytest.approx(np.sqrt(2.0 / 700), rel=0.02)
    nn.init.kaiming_normal_(w)
    assert to_numpy(w).std() == pytest.approx(np.sqrt(2.0 / 300), rel=0.02)
    nn.init.xavier_uniform_(w, gain=2.0)
    assert np.abs(to_numpy(w)).max() <= 2.0 * np.sqrt(6.0 / 700)


def test_repr_shows_the_tree():
    text = repr(Net())
    assert "(features): Sequential(" in text and "(0): Conv2d(1, 2, kernel_size=(3, 3)" in text and "Linear(32, 3" in text


@pytest.mark.gpu
@pytest.mark.skipif(not _cupy_usable(), reason="needs CuPy and a CUDA device")
def test_to_device_cpu_moves_a_cupy_model_to_numpy_and_back(rng):
    net = Net(backend="cupy").eval()
    x = rng.standard_normal((2, 1, 4, 4)).astype(np.float32)
    on_gpu = to_numpy(net(acarray.cupy.asarray(x)))
    net.to_device("cpu")
    assert all(t.__array_namespace__() is acarray.numpy for t in net.parameters() + net.buffers())
    np.testing.assert_allclose(to_numpy(net(acarray.asarray(x))), on_gpu, rtol=1e-5, atol=1e-6)
    net.to_backend("cupy")
    assert all(t.__array_namespace__() is acarray.cupy for t in net.parameters())


def test_requires_grad_freezes_and_apply_visits_every_module():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Net" and seen.count("Linear") == 1 and seen.count("Conv2d") == 1 and len(seen) == 8
    net.features.requires_grad_(False)
    x = acarray.asarray(np.ones((2, 1, 4, 4), dtype=np.float32))
    acarray.sum(net(x)).backward()
    assert all(p.grad is None for p in net.features.parameters())
    assert all(p.grad is not None for p in net.head.parameters())


def test_clip_grad_norm_and_value(xp, rng):
    values = [rng.standard_normal(s) for s in ((3, 4), (4,))]
    params = [xp.asarray(xp.asarray(v), requires_grad=True) for v in values]
    for p, v in zip(params, values):
        p.grad = xp.asarray(3 * v).data
    norm = np.sqrt(sum(np.sum((3 * v) ** 2) for v in values))
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.__array_namespace__() is xp and float(total) == pytest.approx(norm)
    np.testing.assert_allclose(np.sqrt(sum(np.sum(to_numpy(p.grad) ** 2) for p in params)), 1.0, rtol=1e-5)
    before = [to_numpy(p.grad) for p in params]
    assert float(nn.utils.clip_grad_norm_(params, 2.0)) == pytest.approx(1.0, rel=1e-5)  # below: unchanged
    for p, b in zip(params, before):
        np.testing.assert_allclose(to_numpy(p.grad), b, rtol=1e-5)
    largest = max(np.abs(b).max() for b in before)
    assert float(nn.utils.clip_grad_norm_(params, 10.0, norm_type=float("inf"))) == pytest.approx(largest)
    nn.utils.clip_grad_value_(params, 0.1)
    for p, b in zip(params, before):
        np.testing.assert_allclose(to_numpy(p.grad), np.clip(b, -0.1, 0.1), rtol=1e-5)
