"""acarray.load of files that are not checkpoints it wrote raises CheckpointError, and nothing else;
acarray.save refuses what load could not give back before it touches the file."""

from __future__ import annotations

import io
import json
import os
import pickle
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from conftest import to_numpy

import acarray
from acarray.serialization import MAX_DEPTH, CheckpointError

TREE = "__acarray_tree__"


def _valid_object():
    return {
        "w": np.arange(6, dtype=np.float32).reshape(3, 2),
        "b": np.arange(4),
        "flags": np.array([True, False]),
        "z": np.array(1 + 2j),
        "nested": {0: [1, (2.5, "x"), None, True], "lr": 1e-3},
    }


def _assert_equal_to_valid(back):
    original = _valid_object()
    assert back.keys() == original.keys()
    for k in ("w", "b", "flags", "z"):
        assert to_numpy(back[k]).dtype == original[k].dtype
        np.testing.assert_array_equal(to_numpy(back[k]), original[k])
    assert back["nested"] == original["nested"]
    assert type(back["nested"][0][1]) is tuple


@pytest.fixture
def valid(tmp_path):
    path = tmp_path / "valid.npz"
    acarray.save(_valid_object(), path)
    return path


def _npy(array=None, header=None, data=None) -> bytes:
    """The bytes of an .npy file: ``array``'s, or a hand-made ``header`` dict followed by ``data``."""
    buf = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(buf, array, allow_pickle=True)
    else:
        text = repr(header).encode("latin1")
        text += b" " * (-(len(text) + 11) % 64) + b"\n"
        buf.write(b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data)
    return buf.getvalue()


def _tree(root, fmt=1) -> np.ndarray:
    return np.frombuffer(json.dumps({"format": fmt, "root": root}).encode(), dtype=np.uint8)


def _zip(path, entries, compression=zipfile.ZIP_STORED):
    """A zip archive of (name, bytes) entries, duplicates allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return path


def _raw_tree(text: bytes) -> bytes:
    return _npy(np.frombuffer(text, dtype=np.uint8))


def _refused(path, match):
    with pytest.raises(CheckpointError, match=match) as info:
        acarray.load(path)
    message = str(info.value)
    assert os.fspath(path) in message
    assert "allow_pickle" not in message
    assert isinstance(info.value, ValueError)
    return info.value


# -- files of other kinds --------------------------------------------------------------------------


def test_the_error_names_the_file_and_the_fault(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    error = _refused(tmp_path / "notes.txt", "not a zip archive")
    assert error.path == os.fspath(tmp_path / "notes.txt")
    assert "not a zip archive" in error.reason
    assert acarray.serialization.CheckpointError is CheckpointError
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.path, again.reason, str(again)) == (CheckpointError, error.path, error.reason, str(error))


def test_plain_npy_file(tmp_path):
    np.save(tmp_path / "x.npy", np.ones(3))
    _refused(tmp_path / "x.npy", "single NumPy .npy array")


def test_plain_npz_files(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    _refused(tmp_path / "plain.npz", "was not written by acarray.save")
    np.savez(tmp_path / "objects.npz", x=np.array([object(), {"a": 1}], dtype=object))
    _refused(tmp_path / "objects.npz", "was not written by acarray.save")


def test_compressed_npz_with_a_tree(tmp_path):
    np.savez_compressed(tmp_path / "c.npz", **{TREE: _tree({"array": "a0"}), "a0": np.ones(2)})
    _refused(tmp_path / "c.npz", "compressed")


@pytest.mark.parametrize("content", [b"", b"hello world\n", "größe\n".encode("latin-1"), b"PK\x03\x04", b"\x00" * 100])
def test_empty_text_and_junk_files(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    _refused(path, "is empty" if not content else "not a zip archive")


def test_directory_and_missing_path(tmp_path):
    _refused(tmp_path, "is a directory")
    with pytest.raises(FileNotFoundError):
        acarray.load(tmp_path / "missing.npz")


# -- damaged checkpoints ---------------------------------------------------------------------------


def test_truncated_checkpoint_at_every_offset(valid, tmp_path):
    data = valid.read_bytes()
    cut = tmp_path / "cut.npz"
    for n in range(len(data)):
        cut.write_bytes(data[:n])
        with pytest.raises(CheckpointError):
            acarray.load(cut)


def test_random_bit_flips_load_correctly_or_raise_checkpoint_error(valid, tmp_path):
    data = valid.read_bytes()
    rng = np.random.default_rng(2024)
    damaged = tmp_path / "flipped.npz"
    refused = 0
    for _ in range(400):
        buf = bytearray(data)
        offset = int(rng.integers(len(buf)))
        buf[offset] ^= 1 << int(rng.integers(8))
        damaged.write_bytes(bytes(buf))
        try:
            back = acarray.load(damaged)
        except CheckpointError:
            refused += 1
            continue
        _assert_equal_to_valid(back)
    assert refused > 200  # most bytes are covered by a CRC-32 or checked against the central directory


def test_every_flipped_byte_of_array_data_is_caught(valid, tmp_path):
    data = valid.read_bytes()
    start = data.index(np.arange(6, dtype=np.float32).tobytes())
    damaged = tmp_path / "flipped.npz"
    for offset in range(start, start + 24):
        buf = bytearray(data)
        buf[offset] ^= 0x10
        damaged.write_bytes(bytes(buf))
        _refused(damaged, "CRC")


# -- the archive -----------------------------------------------------------------------------------


def test_duplicate_entry_names(tmp_path):
    path = _zip(tmp_path / "dup.npz", [(f"{TREE}.npy", _npy(_tree({"array": "a0"}))),
                                       ("a0.npy", _npy(np.ones(2))), ("a0.npy", _npy(np.zeros(2)))])
    _refused(path, "several entries named a0.npy")


def test_entries_that_overlap(tmp_path):
    path = _zip(tmp_path / "overlap.npz", [("a0.npy", _npy(np.ones(2))), (f"{TREE}.npy", _npy(_tree({"array": "a0"})))])
    data = bytearray(path.read_bytes())
    record = data.index(b"PK\x01\x02")  # a0's record in the central directory: its sizes at +20 and +24
    for at in (record + 20, record + 24):
        size = int.from_bytes(data[at:at + 4], "little")
        data[at:at + 4] = (size + 40).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    _refused(path, "entry 'a0.npy' overlaps the next entry")


def test_missing_tree_entry_and_foreign_entries(tmp_path):
    _refused(_zip(tmp_path / "none.npz", [("a0.npy", _npy(np.ones(2)))]), "no __acarray_tree__ entry")
    _refused(_zip(tmp_path / "empty.npz", []), "no __acarray_tree__ entry")
    path = _zip(tmp_path / "txt.npz", [(f"{TREE}.npy", _npy(_tree({"value": 1}))), ("README.txt", b"hi")])
    _refused(path, "'README.txt' is not an .npy array")


def test_entry_that_is_not_npy(tmp_path):
    path = _zip(tmp_path / "bad.npz", [(f"{TREE}.npy", _npy(_tree({"array": "a0"}))), ("a0.npy", b"not an npy array")])
    _refused(path, "'a0' is not an .npy array")
    version3 = bytearray(_npy(np.ones(2)))
    version3[6] = 3
    path = _zip(tmp_path / "v3.npz", [(f"{TREE}.npy", _npy(_tree({"array": "a0"}))), ("a0.npy", bytes(version3))])
    _refused(path, "version")


def test_tree_entry_of_the_wrong_dtype(tmp_path):
    path = _zip(tmp_path / "t.npz", [(f"{TREE}.npy", _npy(np.ones(3)))])
    _refused(path, "not uint8 text")


@pytest.mark.parametrize("text, match", [
    (b"\xff\xfe{", "not valid UTF-8 JSON"),
    (b'{"format": 1, "root": ', "not valid UTF-8 JSON"),
    (b"", "not valid UTF-8 JSON"),
    (b'{"format": 1, "root": {"value": 1}, "format": 1}', "repeats a key"),
    (b'{"format": 1, "root": {"value": 1' + b"0" * 5000 + b"}}", "not valid UTF-8 JSON"),
    (b"[1, 2]", "not an object with keys"),
    (b'{"root": {"value": 1}}', "not an object with keys"),
    (b'{"format": 1, "root": {"value": 1}, "extra": 0}', "not an object with keys"),
    (b'{"format": 2, "root": {"value": 1}}', "has format 2"),
    (b'{"format": true, "root": {"value": 1}}', "has format True"),
    (b'{"format": "1", "root": {"value": 1}}', "has format '1'"),
    (b'{"format": 1.0, "root": {"value": 1}}', "has format 1.0"),
])
def test_tree_text_that_is_not_the_format(tmp_path, text, match):
    _refused(_zip(tmp_path / "t.npz", [(f"{TREE}.npy", _raw_tree(text))]), match)


@pytest.mark.parametrize("root, match", [
    ({"set": [1, 2]}, "unknown kind 'set'"),
    ({"pickle": "cos\nsystem\n"}, "unknown kind 'pickle'"),
    ({}, "not a one-key object"),
    ({"value": 1, "list": []}, "not a one-key object"),
    (5, "not a one-key object"),
    (None, "not a one-key object"),
    ({"list": [{"value": 1}, 7]}, r"at root\[1\] is not a one-key object"),
    ({"list": 3}, "list body that is not a list"),
    ({"tuple": {"a": {"value": 1}}}, "tuple body that is not a list"),
    ({"dict": {"a": {"value": 1}}}, "dict body that is not a list"),
    ({"dict": [["a"]]}, r"not a \[key, node\] pair"),
    ({"dict": [["a", {"value": 1}, 3]]}, r"not a \[key, node\] pair"),
    ({"dict": ["a"]}, r"not a \[key, node\] pair"),
    ({"dict": [[1.5, {"value": 1}]]}, "key that is not a string or int"),
    ({"dict": [[True, {"value": 1}]]}, "key that is not a string or int"),
    ({"dict": [[None, {"value": 1}]]}, "key that is not a string or int"),
    ({"dict": [["a", {"value": 1}], ["a", {"value": 2}]]}, "repeats the key 'a'"),
    ({"dict": [["a", {"nope": 1}]]}, r"at root\['a'\] has the unknown kind"),
    ({"value": [1, 2]}, "value that is not a number"),
    ({"value": {"a": 1}}, "value that is not a number"),
    ({"array": 0}, "names array 0"),
    ({"array": None}, "names array None"),
    ({"array": ["a0"]}, "names array"),
    ({"array": TREE}, "names array"),
    ({"array": "a7"}, "refers to arrays the archive lacks: \\['a7'\\]"),
    ({"list": [{"array": "a0"}, {"array": "a1"}]}, "lacks: \\['a1'\\]"),
])
def test_tree_nodes_that_are_not_the_format(tmp_path, root, match):
    path = _zip(tmp_path / "t.npz", [(f"{TREE}.npy", _npy(_tree(root))), ("a0.npy", _npy(np.ones(2)))])
    _refused(path, match)


def test_arrays_the_tree_does_not_use(tmp_path):
    path = _zip(tmp_path / "t.npz", [(f"{TREE}.npy", _npy(_tree({"value": 1}))), ("a0.npy", _npy(np.ones(2)))])
    _refused(path, "arrays the tree does not use: \\['a0'\\]")


def test_deep_trees_are_refused_without_recursion_errors(tmp_path):
    depth = 100_000
    text = b'{"format": 1, "root": ' + b'{"list": [' * depth + b'{"value": 1}' + b"]}" * depth + b"}"
    _refused(_zip(tmp_path / "deep.npz", [(f"{TREE}.npy", _raw_tree(text))]), f"more than {MAX_DEPTH} deep")
    dicts = b'{"format": 1, "root": ' + b'{"dict": [["k", ' * depth + b'{"value": 1}' + b"]]}" * depth + b"}"
    _refused(_zip(tmp_path / "deep_dicts.npz", [(f"{TREE}.npy", _raw_tree(dicts))]), f"more than {MAX_DEPTH} deep")

    def nested(levels):
        root = {"value": 1}
        for _ in range(levels):
            root = {"dict": [["k", root]]}
        return root

    _refused(_zip(tmp_path / "just_over.npz", [(f"{TREE}.npy", _npy(_tree(nested(MAX_DEPTH + 1))))]), "deep")
    _zip(tmp_path / "at_limit.npz", [(f"{TREE}.npy", _npy(_tree(nested(MAX_DEPTH))))])
    back = acarray.load(tmp_path / "at_limit.npz")
    for _ in range(MAX_DEPTH):
        back = back["k"]
    assert back == 1


# -- the arrays ------------------------------------------------------------------------------------


def _one_array(tmp_path, npy: bytes):
    return _zip(tmp_path / "arr.npz", [(f"{TREE}.npy", _npy(_tree({"array": "a0"}))), ("a0.npy", npy)])


@pytest.mark.parametrize("shape", [(10**12,), (2**40, 2**40), (10**30,), (3, 10**15), (2**62, 4)])
def test_huge_declared_shapes_allocate_nothing(tmp_path, shape):
    path = _one_array(tmp_path, _npy(header={"descr": "<f8", "fortran_order": False, "shape": shape},
                                     data=np.ones(4).tobytes()))
    tracemalloc.start()
    try:
        _refused(path, "declares shape .* but holds 32 bytes")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


@pytest.mark.parametrize("shape, data, match", [
    ((5,), np.ones(4).tobytes(), "declares shape \\(5,\\) of float64 \\(40 bytes\\) but holds 32 bytes"),
    ((3,), np.ones(4).tobytes(), "but holds 32 bytes"),
    ((0,), np.ones(1).tobytes(), "but holds 8 bytes"),
    ((), b"", "but holds 0 bytes"),
    ((-4,), np.ones(4).tobytes(), "damaged|not a tuple of sizes"),
])
def test_shapes_that_do_not_match_the_bytes(tmp_path, shape, data, match):
    path = _one_array(tmp_path, _npy(header={"descr": "<f8", "fortran_order": False, "shape": shape}, data=data))
    _refused(path, match)


@pytest.mark.parametrize("header, match", [
    ({"descr": "<f8", "fortran_order": 1, "shape": (1,)}, "fortran_order of 1"),
    ({"descr": "<f8", "fortran_order": False, "shape": [1]}, r"shape \[1\], not a tuple of sizes"),
    ({"descr": "<f8", "fortran_order": False, "shape": (True,)}, "not a tuple of sizes"),
    ({"descr": "<f8", "fortran_order": False, "shape": (1.0,)}, "not a tuple of sizes"),
    ({"descr": "nonsense", "fortran_order": False, "shape": (1,)}, "has dtype 'nonsense', not one of"),
    ({"descr": 8, "fortran_order": False, "shape": (1,)}, "has dtype 8, not one of"),
    ({"descr": "<f8", "shape": (1,)}, "not a dict of descr, shape and fortran_order"),
    ({"descr": "<f8", "fortran_order": False, "shape": (1,), "extra": 0}, "not a dict of descr"),
    ("__import__('os').system('false')", "not a dict literal"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", "not a dict literal"),
    ("(" * 500 + ")" * 500, "not a dict literal"),
    ([1, 2], "not a dict of descr"),
])
def test_npy_headers_numpy_would_not_write(tmp_path, header, match):
    npy = _npy(header=header, data=np.ones(1).tobytes())
    if isinstance(header, str):  # the literal text itself
        text = header.encode("latin1") + b"\n"
        npy = b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + np.ones(1).tobytes()
    _refused(_one_array(tmp_path, npy), match)


def test_npy_header_lengths_past_the_entry(tmp_path):
    npy = b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little") + b"{}"
    _refused(_one_array(tmp_path, npy), "declares a 2147483648-byte .npy header")
    _refused(_one_array(tmp_path, b"\x93NUMPY\x01\x00\x40\x00{'descr'"), "declares a 64-byte .npy header in an entry of 18")
    _refused(_one_array(tmp_path, b"\x93NUMPY\x01"), "ends inside its .npy header")


@pytest.mark.parametrize("array", [
    np.ones(3, dtype=np.float16),
    np.array(["ab", "c"]),
    np.array([b"ab"]),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.array([1], dtype="timedelta64[s]"),
    np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]),
    np.zeros(2, dtype="V8"),
    np.ones(2, dtype=np.longdouble) if np.dtype(np.longdouble).itemsize > 8 else np.zeros(2, dtype="V16"),
])
def test_dtypes_it_does_not_store(tmp_path, array):
    _refused(_one_array(tmp_path, _npy(array)), "has dtype .*, not one of bool, int8")


def test_object_arrays_are_refused_before_any_unpickling(tmp_path, monkeypatch):
    def no_unpickling(*args, **kwargs):
        raise AssertionError("load unpickled")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    for array in (np.array([object()], dtype=object), np.array([1, "a", None], dtype=object),
                  np.zeros(2, dtype=[("a", "O"), ("b", "<f8")])):
        _refused(_one_array(tmp_path, _npy(array)), "holds Python objects")


def test_files_written_by_numpy_savez_in_this_format_load(tmp_path):
    """The format is np.savez of the arrays plus the tree, as earlier versions wrote it."""
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    big_endian = np.arange(5, dtype=">i4")
    np.savez(tmp_path / "old.npz", **{TREE: _tree({"list": [{"array": "a0"}, {"array": "a1"}, {"value": None}]}),
                                      "a0": fortran, "a1": big_endian})
    for backend in ("numpy", "torch"):
        a, b, none = acarray.load(tmp_path / "old.npz", backend=backend)
        np.testing.assert_array_equal(to_numpy(a), fortran)
        np.testing.assert_array_equal(to_numpy(b), big_endian)
        assert to_numpy(b).dtype == np.int32 and none is None


# -- save refuses what load could not give back ----------------------------------------------------


def _bfloat16():
    torch = pytest.importorskip("torch")
    return torch.ones(2, dtype=torch.bfloat16)


def _self_containing():
    a = [1]
    a.append(a)
    return a


def _deep(levels):
    root = 1
    for _ in range(levels):
        root = [root]
    return root


@pytest.mark.parametrize("make, error, match", [
    (lambda: {"o": np.array([object()], dtype=object)}, TypeError, "dtype object"),
    (lambda: {"h": np.ones(2, dtype=np.float16)}, TypeError, "dtype float16"),
    (lambda: {"s": np.array(["a"])}, TypeError, "dtype <U1"),
    (lambda: {"r": np.zeros(1, dtype=[("a", "<f4")])}, TypeError, "cannot store arrays of dtype"),
    (lambda: {"b": _bfloat16()}, TypeError, "dtype torch.bfloat16"),
    (lambda: {"b": acarray.namespace("torch").asarray(_bfloat16())}, TypeError, "bfloat16"),
    (lambda: {"set": {1, 2}}, TypeError, "cannot store set values"),
    (lambda: [b"bytes"], TypeError, "cannot store bytes values"),
    (lambda: {"f": lambda: 0}, TypeError, "cannot store function values"),
    (lambda: {(1, 2): 3}, TypeError, "dict keys must be strings or ints"),
    (lambda: {1.5: 3}, TypeError, "dict keys must be strings or ints"),
    (lambda: {True: 3}, TypeError, "dict keys must be strings or ints"),
    (lambda: {None: 3}, TypeError, "dict keys must be strings or ints"),
    (lambda: {"big": 10**5000}, ValueError, "cannot store this value"),
    (_self_containing, ValueError, "contains itself"),
    (lambda: _deep(MAX_DEPTH + 1), ValueError, f"nested more than {MAX_DEPTH} deep"),
    (lambda: _deep(100_000), ValueError, f"nested more than {MAX_DEPTH} deep"),
])
def test_save_refuses_before_touching_the_file(tmp_path, make, error, match):
    obj = make()
    with pytest.raises(error, match=match):
        acarray.save(obj, tmp_path / "new.npz")
    assert not (tmp_path / "new.npz").exists()
    existing = tmp_path / "existing.npz"
    acarray.save({"x": np.ones(2)}, existing)
    before = existing.read_bytes()
    with pytest.raises(error, match=match):
        acarray.save(obj, existing)
    assert existing.read_bytes() == before


def test_what_save_accepts_at_the_limits_loads_back(tmp_path):
    acarray.save(_deep(MAX_DEPTH), tmp_path / "deep.npz")
    back = acarray.load(tmp_path / "deep.npz")
    for _ in range(MAX_DEPTH):
        assert type(back) is list
        (back,) = back
    assert back == 1
    shared = np.ones(2)
    acarray.save({"a": shared, "b": [shared, shared]}, tmp_path / "shared.npz")  # repeats, not cycles
    back = acarray.load(tmp_path / "shared.npz")
    np.testing.assert_array_equal(to_numpy(back["b"][1]), shared)
    acarray.save({"big": 10**300, "neg": -(2**70), "inf": float("inf")}, tmp_path / "numbers.npz")
    assert acarray.load(tmp_path / "numbers.npz") == {"big": 10**300, "neg": -(2**70), "inf": float("inf")}
