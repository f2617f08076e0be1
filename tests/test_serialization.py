"""acarray.save / acarray.load: exact round trips, across backends, and no pickle."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_numpy

import acarray
import acarray.nn as nn


def test_round_trip_is_exact_for_every_dtype_and_structure(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "f32": acarray.asarray(rng.standard_normal((3, 2)).astype(np.float32)),
        "f64": rng.standard_normal(4),
        "c128": rng.standard_normal(2) + 1j * rng.standard_normal(2),
        "i64": np.arange(5),
        "bool": np.array([True, False]),
        "nested": {0: {"step": 3, "lr": 0.5, "name": "adam", "none": None, "flag": True}, "list": [1, (2.5, "x")]},
    }
    acarray.save(obj, tmp_path / "obj.npz")
    back = acarray.load(tmp_path / "obj.npz")
    for k in ("f32", "f64", "c128", "i64", "bool"):
        original = to_numpy(obj[k])
        assert to_numpy(back[k]).dtype == original.dtype
        np.testing.assert_array_equal(to_numpy(back[k]), original)
        assert isinstance(back[k], acarray.Tensor)
    assert back["nested"] == {0: {"step": 3, "lr": 0.5, "name": "adam", "none": None, "flag": True}, "list": [1, (2.5, "x")]}


@pytest.mark.parametrize("source, target", [("torch", "numpy"), ("numpy", "array_api_strict"), ("array_api_strict", "torch")])
def test_model_saved_on_one_backend_loads_on_another(source, target, tmp_path, rng):
    model = nn.Sequential(nn.Linear(4, 3, backend=source), nn.LayerNorm(3, backend=source))
    acarray.save(model.state_dict(), tmp_path / "model.npz")
    state = acarray.load(tmp_path / "model.npz", backend=target)
    assert all(t.__array_namespace__() is acarray.namespace(target) for t in state.values())
    other = nn.Sequential(nn.Linear(4, 3, backend=target), nn.LayerNorm(3, backend=target))
    other.load_state_dict(state)
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(to_numpy(b), to_numpy(a), err_msg=k)  # bit for bit
    x = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(other(acarray.namespace(target).asarray(x))),
                               to_numpy(model(acarray.namespace(source).asarray(x))), rtol=1e-5, atol=1e-6)


def test_files_with_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __acarray_tree__=np.frombuffer(b'{"format": 1, "root": {"array": "a0"}}', dtype=np.uint8),
             a0=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        acarray.load(path)


def test_foreign_files_and_unsupported_values_give_clear_errors(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="was not written by acarray.save"):
        acarray.load(tmp_path / "plain.npz")
    with pytest.raises(TypeError, match="cannot store set values"):
        acarray.save({"s": {1, 2}}, tmp_path / "bad.npz")
    with pytest.raises(TypeError, match="dict keys must be strings or ints"):
        acarray.save({(1, 2): 3}, tmp_path / "bad.npz")


def test_path_is_used_as_given(tmp_path):
    acarray.save({"a": np.ones(1)}, tmp_path / "weights.bin")
    assert (tmp_path / "weights.bin").exists()
    np.testing.assert_array_equal(to_numpy(acarray.load(tmp_path / "weights.bin")["a"]), [1.0])


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs PyTorch with a CUDA device")
def test_torch_cuda_tensors_save_and_load_back_to_the_gpu(tmp_path):
    layer = nn.Linear(3, 2, backend="torch", device="cuda")
    acarray.save(layer.state_dict(), tmp_path / "gpu.npz")
    state = acarray.load(tmp_path / "gpu.npz", backend="torch", device="cuda")
    assert all(str(t.device).startswith("cuda") for t in state.values())
    np.testing.assert_array_equal(to_numpy(state["weight"]), to_numpy(layer.weight))
