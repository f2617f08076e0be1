"""``save`` and ``load``: state dicts to ``.npz`` files that load without pickle.

A saved object is a tree of dicts, lists and tuples whose leaves are arrays
(Tensors or backend arrays), Python numbers, strings, booleans or None.  The
file is an uncompressed zip archive as written by ``numpy.savez``: each array is
an ``.npy`` entry under a numbered name, and the tree itself is JSON text stored
as a ``uint8`` array in the entry ``__acarray_tree__.npy``.  Its nodes are
one-key objects: ``{"array": name}``, ``{"dict": [[key, node], ...]}``,
``{"list": [node, ...]}``, ``{"tuple": [node, ...]}`` and ``{"value": scalar}``.

:func:`load` parses the archive itself, checks each part against this format
before it allocates memory for it, and never unpickles, so a file from an
untrusted source can neither run code nor make it allocate more memory than the
file holds; anything it cannot read raises :class:`CheckpointError`.  Arrays come
back as Tensors of the backend (and device) asked for, whichever backend saved
them.
"""

from __future__ import annotations

import ast
import json
import os
import reprlib
import stat
import struct
import warnings
import zipfile
import zlib

import array_api_compat
import numpy as np

import acarray

from ._host import to_numpy
from ._namespace import DTYPES
from ._tensor import Tensor

__all__ = ["CheckpointError", "FORMAT", "MAX_DEPTH", "load", "save"]

_TREE = "__acarray_tree__"
FORMAT = 1
#: The deepest nesting of dicts, lists and tuples that ``save`` writes and ``load`` reads.
MAX_DEPTH = 100

_DTYPES = {np.dtype(name): name for name in DTYPES}
# How numpy.save spells each supported dtype, in either byte order ("<f8", ">f8", "|b1").
_DESCRS = {e.str: e for d in _DTYPES for e in (d.newbyteorder("<"), d.newbyteorder(">"))}
_MAX_HEADER = 1 << 16  # the longest .npy header read (NumPy itself reads at most 10000 bytes)
_DTYPE_NAMES = ", ".join(DTYPES)
_NPY_MAGIC = b"\x93NUMPY"
_CHUNK = 1 << 24  # bytes read from the archive at a time
# What the zip and .npy parsers raise on damaged input (struct, zlib and encoding errors included).
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
           ValueError, OverflowError, SyntaxError, struct.error, zlib.error)


class CheckpointError(ValueError):
    """A file that :func:`acarray.load` cannot read as a checkpoint written by :func:`acarray.save`.

    ``path`` is the file and ``reason`` says what is wrong with it; ``str(error)`` names both.
    """

    def __init__(self, path, reason: str):
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self):
        return f"{self.path}: {self.reason}"


# -- save ---------------------------------------------------------------------------------------


def _is_array(value) -> bool:
    return isinstance(value, Tensor) or array_api_compat.is_array_api_obj(value)


def _host_array(value) -> np.ndarray:
    """``value`` (a Tensor or any backend's array) as a NumPy array of a dtype ``load`` reads."""
    data = value.detach().data if isinstance(value, Tensor) else value
    dtype = getattr(data, "dtype", None)
    try:
        if hasattr(data, "detach") and hasattr(data, "cpu"):  # a PyTorch tensor, perhaps requiring grad
            data = data.detach()
        a = to_numpy(data)
    except Exception as e:
        raise TypeError(f"acarray.save cannot store arrays of dtype {dtype} ({e}); it stores {_DTYPE_NAMES}") from e
    if a.dtype.newbyteorder("=") not in _DTYPES or a.dtype.fields is not None:
        raise TypeError(f"acarray.save cannot store arrays of dtype {dtype if dtype is not None else a.dtype}; "
                        f"it stores {_DTYPE_NAMES}")
    return a


def _encode(value, arrays: dict, path: list):
    if _is_array(value):
        name = f"a{len(arrays)}"
        arrays[name] = _host_array(value)
        return {"array": name}
    if isinstance(value, (dict, list, tuple)):
        if len(path) >= MAX_DEPTH:
            raise ValueError(f"acarray.save cannot store dicts, lists or tuples nested more than {MAX_DEPTH} deep")
        if any(value is outer for outer in path):
            raise ValueError(f"acarray.save cannot store a {type(value).__name__} that contains itself")
        path.append(value)
        if isinstance(value, dict):
            node = {"dict": [[_encode_key(k), _encode(v, arrays, path)] for k, v in value.items()]}
        else:
            node = {"tuple" if isinstance(value, tuple) else "list": [_encode(v, arrays, path) for v in value]}
        path.pop()
        return node
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"acarray.save cannot store {type(value).__name__} values (only arrays, numbers, strings, "
                    "None and dicts, lists or tuples of them)")


def _encode_key(k):
    if not isinstance(k, (str, int)) or isinstance(k, bool):
        raise TypeError(f"acarray.save: dict keys must be strings or ints, got {k!r}")
    return k


def save(obj, path) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()`` or ``{"model": ..., "optimizer": ...}``) to ``path``.

    ``obj`` is a dict, list or tuple (or a single leaf) nested at most :data:`MAX_DEPTH` deep, whose
    leaves are arrays (Tensors or any backend's arrays, NumPy scalars included, of the dtypes bool,
    int8-64, uint8-64, float32, float64, complex64 or complex128), ints, floats, strings, booleans or
    None, and whose dict keys are strings or ints.  Subclasses load back as the base type (an
    ``OrderedDict`` as a dict, a namedtuple as a tuple) and arrays as Tensors.

    Everything else is refused before the file is opened, so a refused ``save`` leaves ``path``
    as it was: TypeError for other value or key types and for other dtypes (object arrays,
    float16, bfloat16...); ValueError for deeper nesting, a container that contains itself and
    ints too long to write as decimal text.  ``path`` is used exactly as given (no ``.npz`` is
    appended).
    """
    arrays: dict = {}
    tree = {"format": FORMAT, "root": _encode(obj, arrays, [])}
    try:
        text = json.dumps(tree)
    except ValueError as e:  # an int past sys.get_int_max_str_digits()
        raise ValueError(f"acarray.save cannot store this value: {e}") from e
    arrays[_TREE] = np.frombuffer(text.encode(), dtype=np.uint8)
    with open(os.fspath(path), "wb") as f:  # a file object keeps NumPy from appending ".npz"
        np.savez(f, **arrays)


# -- load ---------------------------------------------------------------------------------------


def _read_exactly(f, n: int, where, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise CheckpointError(where, f"{what} ends inside its .npy header")
    return data


def _read_npy_header(f, size: int, where, what: str):
    """Parse the ``.npy`` header at the start of ``f`` (``size`` bytes): (shape, fortran_order, dtype).

    The header is a Python dict literal; it is read with ``ast.literal_eval`` (which evaluates no
    code) and its dtype must be spelled as ``numpy.save`` spells one of the supported dtypes.
    """
    magic = _read_exactly(f, 8, where, what)
    if magic[:6] != _NPY_MAGIC:
        raise CheckpointError(where, f"{what} is not an .npy array (it starts with {magic[:6]!r})")
    version = (magic[6], magic[7])
    if version == (1, 0):
        length = int.from_bytes(_read_exactly(f, 2, where, what), "little")
    elif version == (2, 0):
        length = int.from_bytes(_read_exactly(f, 4, where, what), "little")
    else:
        raise CheckpointError(where, f"{what} is in .npy format version {version[0]}.{version[1]}, not 1.0 or 2.0")
    if length > min(size, _MAX_HEADER):
        raise CheckpointError(where, f"{what} declares a {length}-byte .npy header in an entry of {size} bytes")
    text = _read_exactly(f, length, where, what).decode("latin1")
    try:
        header = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, OverflowError) as e:
        raise CheckpointError(where, f"{what} has an .npy header that is not a dict literal ({e})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "shape", "fortran_order"}:
        raise CheckpointError(where, f"{what} has an .npy header that is not a dict of descr, shape and "
                                     f"fortran_order: {_short(header)}")
    shape, fortran_order, descr = header["shape"], header["fortran_order"], header["descr"]
    if type(shape) is not tuple or not all(type(n) is int and n >= 0 for n in shape):
        raise CheckpointError(where, f"{what} has shape {_short(shape)}, not a tuple of sizes")
    if type(fortran_order) is not bool:
        raise CheckpointError(where, f"{what} has a fortran_order of {_short(fortran_order)}")
    dtype = _DESCRS.get(descr) if type(descr) is str else None
    if dtype is None:
        named = _dtype_or_none(descr)
        if named is not None and named.hasobject:
            raise CheckpointError(where, f"{what} holds Python objects (dtype {named}), which acarray.load "
                                         "refuses: reading them would need pickle")
        raise CheckpointError(where, f"{what} has dtype {named if named is not None else _short(descr)}, "
                                     f"not one of {_DTYPE_NAMES}")
    return shape, fortran_order, dtype


def _dtype_or_none(descr):
    """``numpy.dtype(descr)`` for an error message, or None where NumPy cannot read it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.dtype(descr if type(descr) is str else [tuple(field) for field in descr])
    except Exception:
        return None


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int, where, what: str) -> np.ndarray:
    """One ``.npy`` entry of the archive as a NumPy array, its header checked before any allocation."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(where, f"{what} is compressed (method {info.compress_type}); "
                                     "acarray.save writes uncompressed entries")
    if info.file_size != info.compress_size:
        raise CheckpointError(where, f"{what} is {info.compress_size} bytes stored but {info.file_size} bytes "
                                     "uncompressed, in an uncompressed archive")
    if info.header_offset + info.compress_size > archive_size:
        raise CheckpointError(where, f"{what} declares {info.file_size} bytes, more than the file holds")
    with zf.open(info) as f:
        shape, fortran_order, dtype = _read_npy_header(f, info.file_size, where, what)
        count = 1
        for n in shape:
            count *= n
        nbytes = count * dtype.itemsize
        held = info.file_size - f.tell()
        if nbytes != held:
            raise CheckpointError(where, f"{what} declares shape {_short(shape)} of {dtype} ({nbytes} bytes) "
                                         f"but holds {held} bytes")
        flat = np.empty(count, dtype=dtype)  # no larger than the bytes the file holds for it
        view = flat.data.cast("B")
        done = 0
        while done < nbytes:
            n = f.readinto(view[done:done + _CHUNK])  # type: ignore[attr-defined]
            if not n:
                raise CheckpointError(where, f"{what} ends early")
            done += n
        if f.read(1):  # reading to the end also checks the entry's CRC-32
            raise CheckpointError(where, f"{what} holds more bytes than its header declares")
    if fortran_order:
        a = np.ascontiguousarray(flat.reshape(shape[::-1]).transpose())
    else:
        a = flat.reshape(shape)
    if not dtype.isnative:
        a = a.astype(dtype.newbyteorder("="))
    return a


def _pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"an object repeats a key: {keys}")
    return dict(pairs)


def _check_tree(tree, where) -> set:
    """Check the decoded JSON against the format; returns the array entries it refers to."""
    if not isinstance(tree, dict) or set(tree) != {"format", "root"}:
        raise CheckpointError(where, f"the tree is not an object with keys 'format' and 'root': {_short(tree)}")
    version = tree["format"]
    if type(version) is not int or version != FORMAT:
        raise CheckpointError(where, f"the file has format {_short(version)}; this acarray reads format {FORMAT}")
    names: set = set()
    # Iterative walk: (node, depth, location) with depth counting the containers above the node.
    stack = [(tree["root"], 0, "root")]
    while stack:
        node, depth, loc = stack.pop()
        if not isinstance(node, dict) or len(node) != 1:
            raise CheckpointError(where, f"tree node at {loc} is not a one-key object: {_short(node)}")
        (kind, body), = node.items()
        if kind == "array":
            if not isinstance(body, str) or body == _TREE:
                raise CheckpointError(where, f"tree node at {loc} names array {_short(body)}")
            names.add(body)
        elif kind == "value":
            if body is not None and type(body) not in (bool, int, float, str):
                raise CheckpointError(where, f"tree node at {loc} has a value that is not a number, string, "
                                             f"boolean or null: {_short(body)}")
        elif kind in ("dict", "list", "tuple"):
            if depth >= MAX_DEPTH:
                raise CheckpointError(where, f"the tree nests containers more than {MAX_DEPTH} deep")
            if not isinstance(body, list):
                raise CheckpointError(where, f"tree node at {loc} has a {kind} body that is not a list: "
                                             f"{_short(body)}")
            if kind == "dict":
                seen = set()
                for item in body:
                    if not isinstance(item, list) or len(item) != 2:
                        raise CheckpointError(where, f"dict at {loc} has an item that is not a [key, node] pair: "
                                                     f"{_short(item)}")
                    key = item[0]
                    if type(key) not in (str, int):
                        raise CheckpointError(where, f"dict at {loc} has a key that is not a string or int: "
                                                     f"{_short(key)}")
                    if key in seen:
                        raise CheckpointError(where, f"dict at {loc} repeats the key {key!r}")
                    seen.add(key)
                    stack.append((item[1], depth + 1, f"{loc}[{key!r}]"))
            else:
                stack.extend((item, depth + 1, f"{loc}[{i}]") for i, item in enumerate(body))
        else:
            raise CheckpointError(where, f"tree node at {loc} has the unknown kind {_short(kind)}")
    return names


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 8, 4, 60, 60


def _short(value) -> str:
    """A bounded repr of a value from the file (which may be long or deeply nested)."""
    return _REPR.repr(value)


def _build(node, arrays: dict, convert):
    (kind, body), = node.items()
    if kind == "array":
        return convert(arrays[body])
    if kind == "dict":
        return {k: _build(v, arrays, convert) for k, v in body}
    if kind in ("list", "tuple"):
        items = [_build(v, arrays, convert) for v in body]
        return tuple(items) if kind == "tuple" else items
    return body


def _read_checkpoint(f, size: int, where):
    """The checked tree and its arrays (NumPy) from the open checkpoint file ``f``."""
    with zipfile.ZipFile(f) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise CheckpointError(where, f"the archive has several entries named {', '.join(repeated)}")
        end = archive_size = size
        for info in sorted(infos, key=lambda i: i.header_offset, reverse=True):
            # A local header takes at least 30 bytes; entries that overlap could make the arrays
            # read from the archive add up to more than the file holds.
            if info.header_offset < 0 or info.header_offset + 30 + info.compress_size > end:
                raise CheckpointError(where, f"the archive's entry {info.filename!r} overlaps the next entry "
                                             f"or runs past the end of the file ({archive_size} bytes)")
            end = info.header_offset
        entries = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise CheckpointError(where, f"the archive entry {info.filename!r} is not an .npy array")
            entries[info.filename[:-4]] = info
        if _TREE not in entries:
            raise CheckpointError(where, f"was not written by acarray.save (no {_TREE} entry; "
                                         f"its entries are {_short(sorted(entries))})")
        text = _read_entry(zf, entries[_TREE], size, where, f"the {_TREE} entry")
        if text.dtype != np.uint8 or text.ndim != 1:
            raise CheckpointError(where, f"the {_TREE} entry is a {text.dtype} array of shape {text.shape}, "
                                         "not uint8 text")
        try:
            tree = json.loads(text.tobytes().decode("utf-8"), object_pairs_hook=_pairs)
        except RecursionError:
            raise CheckpointError(where, f"the tree nests containers more than {MAX_DEPTH} deep") from None
        except ValueError as e:  # bad UTF-8, bad JSON, repeated keys, ints too long
            raise CheckpointError(where, f"the {_TREE} entry is not valid UTF-8 JSON text ({e})") from e
        used = _check_tree(tree, where)
        missing = used - entries.keys()
        if missing:
            raise CheckpointError(where, f"the tree refers to arrays the archive lacks: {_short(sorted(missing))}")
        extra = entries.keys() - used - {_TREE}
        if extra:
            raise CheckpointError(where, f"the archive has arrays the tree does not use: {_short(sorted(extra))}")
        arrays = {name: _read_entry(zf, entries[name], size, where, f"array {name!r}") for name in sorted(used)}
    return tree, arrays


def load(path, backend=None, device=None):
    """Read an object written by :func:`save`; arrays become Tensors of ``backend`` (default: acarray's).

    ``device`` places them (e.g. ``"cuda"`` for PyTorch).  Dicts, lists, tuples and scalars come
    back as the types ``save`` stored.

    The file is checked completely before anything is returned: it must be a regular file
    holding an uncompressed zip archive whose entries all pass their CRC-32 check, do not
    overlap, have distinct names and are ``.npy`` arrays; the tree entry must be UTF-8 JSON in this format,
    nested at most :data:`MAX_DEPTH` deep, refer to arrays that exist and to all of them; each
    array must have one of the dtypes ``save`` writes and exactly the bytes its shape needs.
    Nothing is unpickled, and no array is allocated larger than the bytes the file holds for it.

    Raises :class:`CheckpointError` (a ValueError naming the file and the fault) for anything that
    is not such a file: another kind of file, a directory, a damaged or truncated checkpoint, a
    newer format.  A path that cannot be opened raises OSError as :func:`open` does
    (FileNotFoundError for a missing file).
    """
    ns = acarray.namespace(backend) if backend is not None else acarray.backend.ns
    where = os.fspath(path)
    if os.path.isdir(where):
        raise CheckpointError(where, "is a directory, not a checkpoint file")
    with open(where, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(where, "is not a regular file")
        size = info.st_size
        head = f.read(len(_NPY_MAGIC))
        if not head:
            raise CheckpointError(where, "is empty")
        if head == _NPY_MAGIC:
            raise CheckpointError(where, "is a single NumPy .npy array, not a checkpoint written by acarray.save")
        f.seek(0)
        try:
            tree, arrays = _read_checkpoint(f, size, where)
        except CheckpointError:
            raise
        except zipfile.BadZipFile as e:
            raise CheckpointError(where, f"is not a zip archive written by acarray.save, or is damaged ({e})") from e
        except _DAMAGE as e:
            detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            raise CheckpointError(where, f"is damaged ({detail})") from e

    def convert(values):
        return ns.asarray(ns.asarray(values), device=device) if device is not None else ns.asarray(values)

    return _build(tree["root"], arrays, convert)
