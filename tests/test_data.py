"""acarray.data: TensorDataset, Subset, random_split, default_collate and DataLoader, on every
backend (and Dask), against slices of the data and against torch.utils.data where they meet."""

from __future__ import annotations

import importlib.util
import warnings
from collections import namedtuple

import numpy as np
import pytest
from conftest import to_numpy

import acarray
import acarray.nn as nn
from acarray.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_DASK = importlib.util.find_spec("dask") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed here")
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="dask is not installed here")


def _data(xp, n=10, features=3):
    x = np.arange(n * features, dtype=np.float64).reshape(n, features)
    y = np.arange(n, dtype=np.int64)
    return x, y, TensorDataset(xp.asarray(x), xp.asarray(y))


class Plain(Dataset):
    """The same samples as a TensorDataset, read one by one (the general, collating path)."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        return self.ds[i]


def _labels(loader):
    return np.concatenate([to_numpy(batch[1]) for batch in loader]) if len(loader) else np.array([], np.int64)


# -- TensorDataset, Subset ---------------------------------------------------------------------

def test_tensor_dataset_items_are_tuples_of_rows(xp):
    x, y, ds = _data(xp)
    assert len(ds) == 10
    item = ds[3]
    assert isinstance(item, tuple) and len(item) == 2
    np.testing.assert_array_equal(to_numpy(item[0]), x[3])
    assert int(item[1]) == 3
    np.testing.assert_array_equal(to_numpy(ds[-1][0]), x[-1])
    assert all(acarray.namespace(t) is xp for t in item)
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of length 10"):
        ds[10]
    with pytest.raises(IndexError, match="out of range"):
        ds[-11]
    with pytest.raises(TypeError, match="must be an integer"):
        ds[1.0]


def test_tensor_dataset_takes_backend_arrays():
    ds = TensorDataset(np.zeros((4, 2)), np.arange(4))
    assert all(isinstance(t, acarray.Tensor) for t in ds.tensors)
    assert acarray.namespace(ds.tensors[0]) is acarray.namespace("numpy")


def test_tensor_dataset_errors(xp):
    with pytest.raises(ValueError, match=r"differ in their first dimension, shapes \[\(3, 2\), \(4,\)\]"):
        TensorDataset(xp.zeros((3, 2)), xp.zeros((4,)))
    with pytest.raises(ValueError, match="needs a first axis"):
        TensorDataset(xp.zeros((3,)), xp.asarray(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1 is a list"):
        TensorDataset(xp.zeros((3,)), [1, 2, 3])


def test_subset_maps_indices(xp):
    x, y, ds = _data(xp)
    sub = Subset(ds, [7, 2, -1])
    assert len(sub) == 3
    assert [int(sub[i][1]) for i in range(3)] == [7, 2, 9]
    assert sub.indices == [7, 2, -1] and sub.dataset is ds
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of length 10"):
        Subset(ds, [1, 10])
    with pytest.raises(TypeError, match="integers"):
        Subset(ds, [0.5])
    with pytest.raises(IndexError):
        sub[3]


def test_dataset_base_needs_getitem():
    class Empty(Dataset):
        def __len__(self):
            return 1

    with pytest.raises(NotImplementedError, match="Empty does not define __getitem__"):
        Empty()[0]


# -- DataLoader: contents, sizes, len ----------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 4, False), (10, 4, True), (10, 5, False), (10, 5, True),
                                                     (3, 4, False), (3, 4, True), (10, 1, False), (0, 3, False)])
def test_unshuffled_batches_are_slices(xp, n, batch_size, drop_last):
    x, y, ds = _data(xp, n)
    for dataset in (ds, Plain(ds)):
        loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last)
        batches = list(loader)
        assert len(batches) == len(loader) == (n // batch_size if drop_last else -(-n // batch_size))
        for k, batch in enumerate(batches):
            assert isinstance(batch, list) and len(batch) == 2
            assert all(acarray.namespace(t) is xp for t in batch)
            np.testing.assert_array_equal(to_numpy(batch[0]), x[k * batch_size:(k + 1) * batch_size])
            np.testing.assert_array_equal(to_numpy(batch[1]), y[k * batch_size:(k + 1) * batch_size])
        assert batch_size * len(batches) >= n or drop_last


@needs_torch
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 64, 65])
@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_and_batch_sizes_match_torch(n, batch_size, drop_last):
    import torch
    import torch.utils.data as tud

    x = np.arange(n, dtype=np.float32)
    ours = DataLoader(TensorDataset(x), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x)), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got = [to_numpy(b[0]) for b in ours]
    want = [b[0].numpy() for b in theirs]
    assert [len(b) for b in got] == [len(b) for b in want]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@needs_torch
def test_collated_structure_matches_torch():
    import torch
    import torch.utils.data as tud

    Pair = namedtuple("Pair", "a b")
    samples = [{"x": np.full((2,), i, np.float32), "label": i, "w": 0.5 * i, "name": f"s{i}",
                "pair": Pair(np.int32(i), True), "seq": (i, [i, i])} for i in range(5)]
    ours = default_collate(samples)
    theirs = tud.default_collate(samples)
    assert set(ours) == set(theirs)
    np.testing.assert_array_equal(to_numpy(ours["x"]), theirs["x"].numpy())
    for key in ("label", "w"):
        assert str(to_numpy(ours[key]).dtype) == str(theirs[key].dtype).removeprefix("torch.")
        np.testing.assert_array_equal(to_numpy(ours[key]), theirs[key].numpy())
    assert ours["name"] == theirs["name"]
    assert type(ours["pair"]) is type(theirs["pair"]) is Pair
    assert to_numpy(ours["pair"].a).dtype == np.int32 and to_numpy(ours["pair"].b).dtype == np.bool_
    assert type(ours["seq"]) is type(theirs["seq"]) is list
    assert type(ours["seq"][1]) is type(theirs["seq"][1]) is list
    np.testing.assert_array_equal(to_numpy(ours["seq"][1][0]), theirs["seq"][1][0].numpy())
    # a TensorDataset's batches are lists too
    batch = next(iter(tud.DataLoader(tud.TensorDataset(torch.zeros(3)), batch_size=2)))
    assert type(batch) is list and type(next(iter(DataLoader(TensorDataset(np.zeros(3)), batch_size=2)))) is list


def test_numbers_go_to_the_backend_of_the_sample(xp):
    x, y, ds = _data(xp)

    class WithLabel(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x_t[i, ...], i, float(i)

    x_t = xp.asarray(x)
    features, labels, weights = next(iter(DataLoader(WithLabel(), batch_size=4)))
    assert acarray.namespace(labels) is xp and acarray.namespace(weights) is xp
    assert labels.dtype == xp.int64 and weights.dtype == xp.float64
    assert labels.device == features.device
    np.testing.assert_array_equal(to_numpy(labels), [0, 1, 2, 3])


def test_collate_errors():
    with pytest.raises(ValueError, match=r"different shapes cannot be stacked at \[0\]: \[\(2,\), \(3,\)\]"):
        default_collate([(np.zeros(2),), (np.zeros(3),)])
    with pytest.raises(TypeError, match="a sample at \\['y'\\] is a NoneType"):
        default_collate([{"y": None}, {"y": None}])
    with pytest.raises(ValueError, match="do not all have the keys"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(ValueError, match="not all sequences of 2 elements"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="mix numbers and"):
        default_collate([1, np.zeros(2)])
    with pytest.raises(ValueError, match="non-empty list"):
        default_collate([])


def test_custom_collate_and_getitems():
    calls = []

    class Batched(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            raise AssertionError("the loader should call __getitems__")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [i * 10 for i in indices]

    loader = DataLoader(Batched(), batch_size=3, collate_fn=lambda items: sum(items))
    assert list(loader) == [30, 120, 60]
    assert calls == [[0, 1, 2], [3, 4, 5], [6]]


def test_unbatched(xp):
    x, y, ds = _data(xp, 4)
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == len(DataLoader(ds, batch_size=None)) == 4
    assert isinstance(items[2], tuple) and int(items[2][1]) == 2
    with pytest.raises(ValueError, match="exclude each other"):
        DataLoader(ds, batch_size=None, drop_last=True)


# -- shuffling -----------------------------------------------------------------------------------

def test_shuffled_epochs_hold_every_sample_once_and_differ(xp):
    x, y, ds = _data(xp, 50)
    loader = DataLoader(ds, batch_size=8, shuffle=True, seed=3)
    orders = []
    for _ in range(3):
        batches = list(loader)
        assert [len(to_numpy(b[1])) for b in batches] == [8] * 6 + [2]
        labels = np.concatenate([to_numpy(b[1]) for b in batches])
        np.testing.assert_array_equal(np.sort(labels), np.arange(50))
        for b in batches:  # rows stay together
            np.testing.assert_array_equal(to_numpy(b[0]), x[to_numpy(b[1])])
        orders.append(labels)
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    assert not np.array_equal(orders[0], np.arange(50))
    # the same seed gives the same sequence of epochs, on the fast and the general path alike
    for dataset in (ds, Plain(ds)):
        again = DataLoader(dataset, batch_size=8, shuffle=True, seed=3)
        for want in orders:
            np.testing.assert_array_equal(_labels(again), want)
    other = DataLoader(ds, batch_size=8, shuffle=True, seed=4)
    assert not np.array_equal(_labels(other), orders[0])


def test_shuffle_drop_last(xp):
    x, y, ds = _data(xp, 10)
    loader = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True, seed=0)
    seen = _labels(loader)
    assert len(seen) == 8 and len(set(seen.tolist())) == 8 and len(loader) == 2


def test_permutation_is_drawn_when_the_iterator_is_made():
    ds = TensorDataset(np.arange(20))
    loader = DataLoader(ds, batch_size=20, shuffle=True, seed=1)
    first, second = iter(loader), iter(loader)
    a, b = next(second)[0], next(first)[0]
    rng = np.random.default_rng(1)
    np.testing.assert_array_equal(to_numpy(b), rng.permutation(20))
    np.testing.assert_array_equal(to_numpy(a), rng.permutation(20))


def test_generator_and_global_seed():
    ds = TensorDataset(np.arange(30))
    gen = np.random.default_rng(7)
    loader = DataLoader(ds, batch_size=30, shuffle=True, generator=gen)
    np.testing.assert_array_equal(_labels_single(loader), np.random.default_rng(7).permutation(30))
    nn.init.manual_seed(11)
    first = _labels_single(DataLoader(ds, batch_size=30, shuffle=True))
    nn.init.manual_seed(11)
    np.testing.assert_array_equal(_labels_single(DataLoader(ds, batch_size=30, shuffle=True)), first)
    np.testing.assert_array_equal(first, np.random.default_rng(11).permutation(30))


def _labels_single(loader):
    return np.concatenate([to_numpy(b[0]) for b in loader])


def test_subset_and_random_split_keep_the_fast_path(xp):
    x, y, ds = _data(xp, 20)
    parts = random_split(ds, [0.75, 0.25], seed=5)
    assert [len(p) for p in parts] == [15, 5]
    together = np.concatenate([np.asarray(p.indices) for p in parts])
    np.testing.assert_array_equal(np.sort(together), np.arange(20))
    for part in parts:
        for shuffle in (False, True):
            fast = list(DataLoader(part, batch_size=4, shuffle=shuffle, seed=2))
            slow = list(DataLoader(Plain(part), batch_size=4, shuffle=shuffle, seed=2))
            assert len(fast) == len(slow)
            for f, s in zip(fast, slow):
                for a, b in zip(f, s):
                    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
        labels = _labels(DataLoader(part, batch_size=4))
        np.testing.assert_array_equal(labels, part.indices)
    np.testing.assert_array_equal(to_numpy(next(iter(DataLoader(parts[0], batch_size=15)))[0]),
                                  x[np.asarray(parts[0].indices)])


# -- random_split --------------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("n, fractions", [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.9]),
                                          (3, [0.25, 0.25, 0.25, 0.25]), (100, [0.8, 0.1, 0.1])])
def test_random_split_fraction_sizes_match_torch(n, fractions):
    import torch
    import torch.utils.data as tud

    ds = TensorDataset(np.arange(n))
    ours = random_split(ds, fractions, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns of an empty part
        theirs = tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_random_split_lengths_and_errors():
    ds = TensorDataset(np.arange(10))
    a, b = random_split(ds, [3, 7], seed=1)
    assert (len(a), len(b)) == (3, 7)
    assert not set(a.indices) & set(b.indices)
    again = random_split(ds, [3, 7], seed=1)
    assert again[0].indices == a.indices
    assert random_split(ds, [3, 7], seed=2)[0].indices != a.indices
    assert [len(p) for p in random_split(ds, [1, 9], np.random.default_rng(0))] == [1, 9]
    with pytest.raises(ValueError, match="add up to 9, not to the dataset's length 10"):
        random_split(ds, [3, 6])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [-1, 11])
    with pytest.raises(ValueError, match="add up to 0.9, not to 1"):
        random_split(ds, [0.5, 0.4])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        random_split(ds, [1.5, -0.5])
    with pytest.raises(TypeError, match="integers or fractions"):
        random_split(ds, ["a", 1])
    with pytest.raises(ValueError, match="not both"):
        random_split(ds, [5, 5], np.random.default_rng(0), seed=1)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        random_split(ds, [5, 5], 3)


# -- gradients -----------------------------------------------------------------------------------

def test_batches_keep_the_graph_of_a_tensor_that_requires_grad(xp):
    x = xp.asarray(np.arange(12.0).reshape(6, 2), requires_grad=True)
    for dataset in (TensorDataset(x), Plain(TensorDataset(x))):
        x.grad = None
        batch = next(iter(DataLoader(dataset, batch_size=4)))[0]
        assert batch.requires_grad
        xp.sum(batch * batch).backward()
        want = np.zeros((6, 2))
        want[:4] = 2 * np.arange(8.0).reshape(4, 2)
        np.testing.assert_allclose(to_numpy(x.grad), want)
    plain = next(iter(DataLoader(TensorDataset(x.detach()), batch_size=4)))[0]
    assert not plain.requires_grad


@needs_torch
def test_torch_batches_keep_the_graph_too():
    import torch
    import torch.utils.data as tud

    x = torch.zeros(6, 2, requires_grad=True)
    assert next(iter(tud.DataLoader(tud.TensorDataset(x), batch_size=4)))[0].requires_grad


# -- argument checks -----------------------------------------------------------------------------

def test_loader_errors():
    ds = TensorDataset(np.arange(10))
    for bad in (0, -1, 1.5, True, "4"):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        DataLoader(ds, shuffle=1)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(ds, shuffle=True, seed=0, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(ds, generator=np.random.RandomState(0))
    with pytest.raises(TypeError, match="seed must be an integer"):
        DataLoader(ds, seed=1.5)
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(ds, collate_fn=3)

    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="has no __len__"):
        DataLoader(NoLen())
    with pytest.raises(TypeError, match="chunks=True needs Dask arrays"):
        DataLoader(ds, chunks=True)
    with pytest.raises(TypeError, match="chunks=True needs a TensorDataset"):
        DataLoader(Plain(ds), chunks=True)


# -- Dask ------------------------------------------------------------------------------------------

@needs_dask
def test_dask_batches_are_lazy_slices():
    import dask.array as da

    xp = acarray.namespace("dask")
    x = np.arange(40.0).reshape(20, 2)
    ds = TensorDataset(xp.asarray(da.from_array(x, chunks=(6, 2))), da.arange(20, chunks=6))
    loader = DataLoader(ds, batch_size=8)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    for k, (bx, by) in enumerate(batches):
        assert isinstance(bx.data, da.Array) and isinstance(by.data, da.Array)
        np.testing.assert_array_equal(bx.data.compute(), x[8 * k:8 * k + 8])
        np.testing.assert_array_equal(by.data.compute(), np.arange(20)[8 * k:8 * k + 8])
    shuffled = DataLoader(ds, batch_size=8, shuffle=True, seed=0)
    labels = np.concatenate([by.data.compute() for _, by in shuffled])
    np.testing.assert_array_equal(np.sort(labels), np.arange(20))
    for bx, by in DataLoader(ds, batch_size=8, shuffle=True, seed=0):
        np.testing.assert_array_equal(bx.data.compute(), x[by.data.compute()])


@needs_dask
def test_dask_chunks():
    import dask.array as da

    x = np.arange(40.0).reshape(20, 2)
    ds = TensorDataset(da.from_array(x, chunks=((6, 6, 5, 3), (2,))), da.arange(20, chunks=((6, 6, 5, 3),)))
    loader = DataLoader(ds, chunks=True)
    assert len(loader) == 4
    batches = list(loader)
    assert [b[0].shape[0] for b in batches] == [6, 6, 5, 3]
    np.testing.assert_array_equal(np.concatenate([b[0].data.compute() for b in batches]), x)
    shuffled = [b[1].data.compute() for b in DataLoader(ds, chunks=True, shuffle=True, seed=1)]
    np.testing.assert_array_equal(np.sort(np.concatenate(shuffled)), np.arange(20))
    assert sorted(len(b) for b in shuffled) == [3, 5, 6, 6]
    with pytest.raises(ValueError, match="share the chunks"):
        DataLoader(TensorDataset(da.zeros(20, chunks=5), da.zeros(20, chunks=4)), chunks=True)
    with pytest.raises(ValueError, match="leave batch_size and drop_last unset"):
        DataLoader(ds, batch_size=4, chunks=True)
