"""Datasets and a batching loader, in the manner of ``torch.utils.data``.

``TensorDataset(x, y)`` holds tensors (or backend arrays) that share their first axis;
``DataLoader(dataset, batch_size=64, shuffle=True, seed=0)`` yields its batches on the
tensors' backend and device. For a ``TensorDataset`` (or a ``Subset`` of one, as
``random_split`` makes) each batch is one ``take`` per tensor with an index array that was
moved to the device once per epoch; any other map-style dataset is read item by item and
its items are stacked (``default_collate``).

What follows PyTorch: a batch of tuple samples is a list (``[x_batch, y_batch]``), a dict
sample gives a dict of batches, Python floats become float64 and ints int64, ``len(loader)``
counts the batches (the last one short unless ``drop_last``), each epoch draws a new
permutation, and a batch of a tensor that requires grad keeps its graph (it is a ``take`` or
a ``stack`` of it, differentiable, as PyTorch's ``default_collate`` stacks).

Randomness is NumPy's: ``seed=`` (or ``generator=``, a ``numpy.random.Generator``) drives the
shuffling; with neither, the generator of ``acarray.nn.init`` (``nn.init.manual_seed``) does, as
PyTorch's global generator does.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import namespace
from ._tensor import Tensor

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample ``i`` for ``0 <= i < len(dataset)``.

    Subclasses define ``__getitem__`` and ``__len__`` (the loader needs both); they may also
    define ``__getitems__(indices)``, which the loader then calls once per batch with the list
    of indices, as PyTorch's does. Any object with ``__getitem__`` and ``__len__`` serves as a
    dataset; subclassing is not required."""

    def __getitem__(self, index: int) -> Any:
        """Sample ``index``; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


def _is_array(x) -> bool:
    """Whether ``x`` is a Tensor or an array of one of acarray's backends (not a NumPy scalar)."""
    if isinstance(x, (Tensor, np.ndarray)):
        return True
    if isinstance(x, np.generic) or not (hasattr(x, "shape") and hasattr(x, "dtype")):
        return False
    try:
        namespace(x)
    except Exception:
        return False
    return True


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else namespace(x).asarray(x)


def _index(i, n: int, what: str) -> int:
    """``i`` as a non-negative int below ``n`` (negative ``i`` counts from the end)."""
    if isinstance(i, bool) or not isinstance(i, (numbers.Integral, np.integer)):
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(f"{what}: an index must be an integer, got {type(i).__name__} {i!r}") from None
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for a dataset of length {n}")
    return i + n if i < 0 else i


class TensorDataset(Dataset):
    """A dataset of tensors that share their first axis: sample ``i`` is the tuple
    ``(t[i] for t in tensors)``.

    ``tensors`` are Tensors or backend arrays (NumPy, torch, Dask... arrays become Tensors of
    their backend, without a copy where the backend allows); each needs at least one axis and
    all the same length on the first. ``dataset.tensors`` is the tuple of Tensors. A tensor
    that requires grad is kept as it is, so its samples and batches carry its graph."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for k, t in enumerate(tensors):
            if not _is_array(t):
                raise TypeError(f"TensorDataset: argument {k} is a {type(t).__name__}, not a tensor or array")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        shapes = [tuple(t.shape) for t in self.tensors]
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f"TensorDataset: every tensor needs a first axis, got shapes {shapes}")
        if len({s[0] for s in shapes}) != 1:
            raise ValueError(f"TensorDataset: the tensors differ in their first dimension, shapes {shapes}")
        if any(s[0] is None or (isinstance(s[0], float) and math.isnan(s[0])) for s in shapes):
            raise ValueError(f"TensorDataset: the first dimension must be known, shapes {shapes}")

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        """The tuple of each tensor's row ``index`` (an integer; negative counts from the end)."""
        i = _index(index, len(self), "TensorDataset")
        return tuple(t[i, ...] for t in self.tensors)

    def __len__(self) -> int:
        """The length of the tensors' first axis."""
        return int(self.tensors[0].shape[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``subset[i]`` is ``dataset[indices[i]]``.

    ``indices`` are integers (negative ones count from the end of ``dataset``), checked
    against ``len(dataset)`` when the dataset has a length; ``subset.dataset`` and
    ``subset.indices`` are as given."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        flat = np.asarray(indices)
        if flat.ndim != 1 or not (flat.size == 0 or np.issubdtype(flat.dtype, np.integer)):
            raise TypeError(f"Subset: indices must be a sequence of integers, got {indices!r:.80}")
        flat = flat.astype(np.int64)
        try:
            n = len(dataset)
        except TypeError:
            n = None
        if n is not None and flat.size:
            bad = flat[(flat < -n) | (flat >= n)]
            if bad.size:
                raise IndexError(f"Subset: index {int(bad[0])} is out of range for a dataset of length {n}")
            flat = np.where(flat < 0, flat + n, flat)
        self._flat = flat

    def __getitem__(self, index: int) -> Any:
        """Sample ``indices[index]`` of the dataset."""
        return self.dataset[int(self._flat[_index(index, len(self), "Subset")])]

    def __getitems__(self, indices: list[int]) -> list:
        """The samples at ``indices`` of the subset, through the dataset's ``__getitems__`` if it has one."""
        picked = [int(self._flat[_index(i, len(self), "Subset")]) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        return getitems(picked) if getitems is not None else [self.dataset[i] for i in picked]

    def __len__(self) -> int:
        """The number of indices."""
        return int(self._flat.size)


def _generator(seed, generator, what: str) -> np.random.Generator | None:
    """The NumPy generator a function draws from; None: acarray.nn.init's, looked up when drawn."""
    if seed is not None and generator is not None:
        raise ValueError(f"{what}: give seed or generator, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(f"{what}: generator must be a numpy.random.Generator, got {type(generator).__name__}")
        return generator
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
            raise TypeError(f"{what}: seed must be an integer, got {type(seed).__name__}")
        return np.random.default_rng(int(seed))
    return None


def _draw(generator: np.random.Generator | None) -> np.random.Generator:
    if generator is not None:
        return generator
    from .nn import init  # the global generator, which nn.init.manual_seed replaces

    return init.generator()


def random_split(dataset: Any, lengths: Sequence[int | float], generator: np.random.Generator | None = None, *,
                 seed: int | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``.

    ``lengths`` are integers that add up to ``len(dataset)``, or fractions (floats in [0, 1]
    adding up to 1): each part then gets ``floor(len(dataset) * fraction)`` samples and the
    remainder is dealt one by one to the parts in order, as in PyTorch. One difference: lengths
    that are all integers are always lengths (PyTorch takes ``[1, 0]`` as fractions). The
    permutation is drawn from ``generator`` (a ``numpy.random.Generator``), a new one seeded by
    ``seed``, or else ``acarray.nn.init``'s generator."""
    rng = _generator(seed, generator, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.integer, np.floating)):
            raise TypeError(f"random_split: lengths must be integers or fractions, got {lengths}")
    if all(isinstance(x, (numbers.Integral, np.integer)) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes):
            raise ValueError(f"random_split: lengths must be non-negative, got {sizes}")
        if sum(sizes) != n:
            raise ValueError(f"random_split: the lengths {sizes} add up to {sum(sizes)}, not to the dataset's "
                             f"length {n}")
    else:
        fractions = [float(x) for x in lengths]
        if any(not 0.0 <= f <= 1.0 for f in fractions):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {fractions}")
        if not math.isclose(sum(fractions), 1.0):
            raise ValueError(f"random_split: the fractions {fractions} add up to {sum(fractions)}, not to 1")
        sizes = [int(math.floor(n * f)) for f in fractions]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
    order = _draw(rng).permutation(n)
    splits, start = [], 0
    for size in sizes:
        splits.append(Subset(dataset, order[start:start + size].tolist()))
        start += size
    return splits


# -- collation -------------------------------------------------------------------------------

def _home(sample):
    """The namespace and device of the first array in ``sample``: where its numbers go."""
    if _is_array(sample):
        t = _as_tensor(sample)
        return namespace(t), t.device
    if isinstance(sample, Mapping):
        sample = list(sample.values())
    if isinstance(sample, (list, tuple)):
        for x in sample:
            found = _home(x)
            if found is not None:
                return found
    return None


def _collate(batch: list, home, path: str):
    elem = batch[0]
    where = f" at {path}" if path else ""
    if _is_array(elem):
        if not all(_is_array(x) for x in batch):
            raise TypeError(f"default_collate: the samples mix arrays and {_kinds(batch)}{where}")
        tensors = [_as_tensor(x) for x in batch]
        shapes = {tuple(t.shape) for t in tensors}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: arrays of different shapes cannot be stacked{where}: "
                             f"{sorted(shapes)}")
        ns = namespace(tensors[0])
        if any(namespace(t) is not ns for t in tensors):
            raise TypeError(f"default_collate: the arrays{where} are of different backends")
        return ns.stack(tensors, axis=0)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, (numbers.Number, np.generic)):
        if not all(isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, (str, bytes)) for x in batch):
            raise TypeError(f"default_collate: the samples mix numbers and {_kinds(batch)}{where}")
        values = np.asarray(batch)
        if isinstance(elem, bool) or isinstance(elem, np.bool_):
            values = values.astype(bool)
        elif isinstance(elem, (numbers.Integral, np.integer)) and not isinstance(elem, np.generic):
            values = values.astype(np.int64)
        elif isinstance(elem, float) and not isinstance(elem, np.generic):
            values = values.astype(np.float64)
        ns, device = home if home is not None else (namespace("numpy"), None)
        return ns.asarray(values, device=device) if device is not None else ns.asarray(values)
    if isinstance(elem, Mapping):
        keys = list(elem)
        for x in batch:
            if not isinstance(x, Mapping) or set(x) != set(keys):
                raise ValueError(f"default_collate: the samples{where} do not all have the keys {keys}")
        out = {k: _collate([x[k] for x in batch], home, f"{path}[{k!r}]") for k in keys}
        if type(elem) is dict:
            return out
        try:  # an OrderedDict, a defaultdict... stays one where its type can be made from a dict
            made: Any = type(elem)
            return made(out)
        except TypeError:
            return out
    if isinstance(elem, (tuple, list)):
        size = len(elem)
        for x in batch:
            if not isinstance(x, (tuple, list)) or len(x) != size:
                raise ValueError(f"default_collate: the samples{where} are not all sequences of {size} elements")
        columns = [_collate([x[k] for x in batch], home, f"{path}[{k}]") for k in range(size)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple stays one
            return type(elem)(*columns)
        return columns
    raise TypeError(f"default_collate: a sample{where} is a {type(elem).__name__}; samples must be tensors, "
                    "arrays, numbers, strings, dicts, lists or tuples of them")


def _kinds(batch) -> str:
    return ", ".join(sorted({type(x).__name__ for x in batch}))


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and backend arrays are stacked on a new first axis (same shape and backend
    required, a ValueError naming the shapes otherwise); Python floats become a float64 tensor,
    ints int64, bools bool and NumPy scalars keep their dtype, made on the backend and device
    of the first array in the first sample (NumPy when there is none); strings stay a list;
    a dict gives a dict of batches; a tuple or list gives a list of batches (a named tuple stays
    one). Anything else is a TypeError."""
    if not isinstance(batch, list) or not batch:
        raise ValueError("default_collate: needs a non-empty list of samples")
    return _collate(batch, _home(batch[0]), "")


# -- the loader ------------------------------------------------------------------------------

def _tensor_source(dataset):
    """(TensorDataset, index map or None) when ``dataset`` is one or nested Subsets of one."""
    index = None
    while isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        index = dataset._flat if index is None else dataset._flat[index]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset, index
    return None, None


class DataLoader:
    """Batches of a map-style dataset, as ``torch.utils.data.DataLoader`` gives them.

    ``batch_size`` samples a batch (``None``: the samples one by one, unbatched, through
    ``collate_fn`` only when one is given); the last batch is short unless ``drop_last``. ``shuffle=True`` draws a new permutation of the
    samples when each epoch's iterator is made, from a ``numpy.random.Generator``: a new one
    seeded by ``seed`` when the loader is made (two loaders with the same seed give the same
    sequence of epochs), ``generator`` as given, or else ``acarray.nn.init``'s
    (``nn.init.manual_seed``). ``collate_fn`` turns a list of samples into a batch
    (``default_collate`` by default); it is not called on the ``TensorDataset`` fast path.

    For a ``TensorDataset``, or a ``Subset`` of one (``random_split``), a batch is the list
    ``[take(t, index, axis=0) for t in tensors]``, with the epoch's index array moved to each
    tensor's backend and device once; the same batches as item-by-item collation, without a
    Python loop over the samples. On Dask, unshuffled batches of a ``TensorDataset`` are
    slices ``t[start:stop]`` (lazy; nothing is computed), and ``chunks=True`` makes one batch
    per chunk of the first axis (all tensors must share those chunks); ``shuffle=True`` then
    shuffles the order of the chunks, not the samples within them, and ``batch_size`` and
    ``drop_last`` must be left alone.

    ``len(loader)`` is the number of batches of an epoch. Batches keep the graph of a
    dataset tensor that requires grad (``detach()`` them, or build the dataset from detached
    tensors, for plain data)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False, *,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 collate_fn: Callable[[list], Any] | None = None, chunks: bool = False) -> None:
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last), ("chunks", chunks)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (numbers.Integral, np.integer))
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        if batch_size is None and drop_last and not chunks:
            raise ValueError("DataLoader: batch_size=None (samples one by one) and drop_last=True exclude each other")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) has no __getitem__")
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) has no __len__; "
                            "only map-style datasets are supported") from None
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self._own_collate = collate_fn is not None
        self.chunks = bool(chunks)
        self._rng = _generator(seed, generator, "DataLoader")
        self._n = int(n)
        self._source, self._index = _tensor_source(dataset)
        self._chunk_bounds = None
        if self.chunks:
            if batch_size not in (1, None) or drop_last:
                raise ValueError("DataLoader: chunks=True makes one batch per chunk; leave batch_size and "
                                 "drop_last unset")
            self._chunk_bounds = self._chunk_bounds_of(dataset)

    @staticmethod
    def _chunk_bounds_of(dataset) -> list[tuple[int, int]]:
        if type(dataset) is not TensorDataset:
            raise TypeError(f"DataLoader: chunks=True needs a TensorDataset of Dask arrays, got "
                            f"{type(dataset).__name__}")
        names = [namespace(t).backend.name for t in dataset.tensors]
        if any(name != "dask" for name in names):
            raise TypeError(f"DataLoader: chunks=True needs Dask arrays, the dataset's tensors are on {names}")
        chunks = [tuple(int(c) for c in t.data.chunks[0]) for t in dataset.tensors]
        if len(set(chunks)) != 1:
            raise ValueError(f"DataLoader: chunks=True needs the tensors to share the chunks of their first axis, "
                             f"got {chunks}")
        bounds = np.cumsum((0,) + chunks[0])
        return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def __len__(self) -> int:
        """The number of batches in an epoch."""
        if self._chunk_bounds is not None:
            return len(self._chunk_bounds)
        if self.batch_size is None:
            return self._n
        return self._n // self.batch_size if self.drop_last else -(-self._n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        """One epoch's batches; the permutation (``shuffle=True``) is drawn here, when the iterator is made."""
        if self._chunk_bounds is not None:
            bounds = self._chunk_bounds
            if self.shuffle:
                bounds = [bounds[k] for k in _draw(self._rng).permutation(len(bounds))]
            return self._slices(bounds)
        order = _draw(self._rng).permutation(self._n) if self.shuffle else None
        if self.batch_size is None:
            return self._unbatched(order)
        size = self.batch_size
        stop = (self._n // size) * size if self.drop_last else self._n
        starts = range(0, stop, size)
        if self._source is not None:
            dask = all(namespace(t).backend.name == "dask" for t in self._source.tensors)
            if order is None and self._index is None and dask:
                return self._slices([(a, min(a + size, stop)) for a in starts])
            return self._taken(order, starts, size, stop)
        return self._collated(order, starts, size, stop)

    def _slices(self, bounds):
        for a, b in bounds:
            yield [t[a:b, ...] for t in self._source.tensors]

    def _taken(self, order, starts, size, stop):
        index = np.arange(self._n) if order is None else order
        if self._index is not None:
            index = self._index[index]
        index = index[:stop].astype(np.int64)
        on_device: dict = {}
        picks = []
        for t in self._source.tensors:
            ns, device = namespace(t), t.device
            key = (id(ns), str(device))
            if key not in on_device:
                on_device[key] = ns.asarray(index, device=device)
            picks.append((t, ns, on_device[key]))
        for a in starts:
            b = min(a + size, stop)
            yield [ns.take(t, idx[a:b], axis=0) for t, ns, idx in picks]

    def _collated(self, order, starts, size, stop):
        getitems = getattr(self.dataset, "__getitems__", None)
        for a in starts:
            b = min(a + size, stop)
            indices = list(range(a, b)) if order is None else [int(i) for i in order[a:b]]
            samples = getitems(indices) if getitems is not None else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def _unbatched(self, order):
        for i in range(self._n) if order is None else order:
            sample = self.dataset[int(i)]
            yield self.collate_fn(sample) if self._own_collate else sample

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {self._n}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}"
                + (", chunks=True" if self.chunks else "") + ")")
