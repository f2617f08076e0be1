"""acarray.save / acarray.load: exact round trips, across backends, and no pickle."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_numpy

import acarray
import acarray.nn as nn
from acarray.serialization import CheckpointError


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
    with pytest.raises(CheckpointError, match="holds Python objects") as info:
        acarray.load(path)
    assert "allow_pickle" not in str(info.value)


def test_foreign_files_and_unsupported_values_give_clear_errors(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(CheckpointError, match="was not written by acarray.save"):
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


_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128"]
_SCALARS = [0, -1, 2**70, -(2**63), 1.5, -0.0, float("inf"), 1e-300, "", "näme", "\u2603 \\ \" \n", None, True, False]
_SHAPES = [(), (0,), (3,), (2, 3), (1, 0, 2), (2, 1, 2, 1)]


def _random_array(xp, rng, name=None):
    name = name or _DTYPES[int(rng.integers(len(_DTYPES)))]
    shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
    if name == "bool":
        values = rng.random(shape) > 0.5
    elif name.startswith(("int", "uint")):
        info = np.iinfo(name)
        values = rng.integers(info.min, info.max, size=shape, dtype=name, endpoint=True)
    else:
        values = rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 30, size=shape)
        if name.startswith("complex"):
            values = values + 1j * rng.standard_normal(shape)
        values = values.astype(name)
    tensor = xp.asarray(values)
    assert tensor.dtype == getattr(xp, name)
    return tensor


def _random_tree(xp, rng, depth=0):
    kind = int(rng.integers(5 if depth < 4 else 2))
    if kind == 0:
        return _random_array(xp, rng)
    if kind == 1:
        return _SCALARS[int(rng.integers(len(_SCALARS)))]
    items = [_random_tree(xp, rng, depth + 1) for _ in range(int(rng.integers(4)))]
    if kind == 2:
        return items
    if kind == 3:
        return tuple(items)
    keys = [str(rng.integers(100)) if rng.random() < 0.5 else int(rng.integers(-5, 5)) for _ in items]
    return dict(zip(keys, items))


def _assert_same(back, original, xp, where="root"):
    if isinstance(original, acarray.Tensor):
        assert isinstance(back, acarray.Tensor), where
        assert back.__array_namespace__() is xp, where
        assert back.dtype == original.dtype and tuple(back.shape) == tuple(original.shape), where
        np.testing.assert_array_equal(to_numpy(back), to_numpy(original), err_msg=where)
        return
    assert type(back) is type(original), where
    if isinstance(original, dict):
        assert list(back) == list(original), where
        for k in original:
            _assert_same(back[k], original[k], xp, f"{where}[{k!r}]")
    elif isinstance(original, (list, tuple)):
        assert len(back) == len(original), where
        for i, (b, o) in enumerate(zip(back, original)):
            _assert_same(b, o, xp, f"{where}[{i}]")
    else:
        assert back == original or (back != back and original != original), where
        if isinstance(original, float):
            assert np.copysign(1.0, back) == np.copysign(1.0, original), where


@pytest.mark.parametrize("seed", range(8))
def test_random_trees_round_trip_exactly(xp, seed, tmp_path):
    rng = np.random.default_rng(seed)
    for i in range(6):
        original = _random_tree(xp, rng)
        if i == 0:
            original = {"every dtype": [_random_array(xp, rng, name) for name in _DTYPES], "nested": original}
        path = tmp_path / f"tree{i}.npz"
        acarray.save(original, path)
        _assert_same(acarray.load(path, backend=xp), original, xp)
