"""Invalid arguments to the namespace are refused by acarray, with an error that names the function.

Never a traceback from inside NumPy, PyTorch or array-api-strict, never a result: a float or
string axis is a TypeError, an axis out of range an IndexError (``acarray.AxisError``, which is
also a ValueError, as NumPy's), a negative or non-integer size a ValueError or TypeError.  The
functions that take ``axis`` are read from array-api-strict's signatures (the standard's), so a
function added to the namespace is covered here without a new line.
"""

from __future__ import annotations

import inspect
import os
import traceback

import numpy as np
import pytest

import acarray

strict = pytest.importorskip("array_api_strict")

_PACKAGE = os.path.dirname(acarray.__file__) + os.sep


def _refused(fn_name, call, error, match=None):
    with pytest.raises(error) as info:
        call()
    last = traceback.extract_tb(info.value.__traceback__)[-1].filename
    assert last.startswith(_PACKAGE), (
        f"{fn_name}: {type(info.value).__name__} raised inside {last}, not by acarray: {info.value}"
    )
    short = fn_name.split(".")[-1]
    assert short in str(info.value), f"{fn_name}: the message does not name the function: {info.value}"
    if match is not None:
        assert match in str(info.value), f"{fn_name}: {info.value}"


def _functions_with(param):
    """``(qualified name, function)`` of array-api-strict's functions that have ``param``."""
    found = []
    for prefix, module in (("", strict), ("linalg.", strict.linalg), ("fft.", strict.fft)):
        for name in sorted(dir(module)):
            fn = getattr(module, name)
            if name.startswith("_") or not callable(fn) or isinstance(fn, type):
                continue
            try:
                params = inspect.signature(fn).parameters
            except (TypeError, ValueError):
                continue
            if param in params and prefix + name not in ("linalg.normalize_axis_tuple",):
                found.append(prefix + name)
    return found


AXIS_FUNCTIONS = _functions_with("axis")


def _valid_call(xp, name):
    """A call of ``name`` that is valid with ``axis`` given as a keyword (a function of axis)."""
    x = xp.asarray(np.arange(6.0).reshape(2, 3) + 1)
    idx = xp.asarray([0, 1])
    fn = xp
    for part in name.split("."):
        fn = getattr(fn, part)
    if name in ("concat", "stack"):
        return lambda axis: fn([x, x], axis=axis)
    if name in ("take",):
        return lambda axis: fn(x, idx, axis=axis)
    if name == "take_along_axis":
        return lambda axis: fn(x, xp.asarray([[0, 1, 0], [1, 0, 1]]), axis=axis)
    if name in ("vecdot", "linalg.vecdot"):
        return lambda axis: fn(x, x, axis=axis)
    if name == "linalg.cross":
        y = xp.asarray(np.arange(9.0).reshape(3, 3))
        return lambda axis: fn(y, y, axis=axis)
    if name == "squeeze":
        ones = xp.ones((1, 1))
        return lambda axis: fn(ones, axis=axis)
    if name == "permute_dims":
        return lambda axis: fn(x, (axis, 0))
    if name == "repeat":
        return lambda axis: fn(x, 2, axis=axis)
    if name == "roll":
        return lambda axis: fn(x, 1, axis=axis)
    if name.startswith("fft."):
        z = xp.astype(x, xp.complex128) if name in ("fft.fft", "fft.ifft", "fft.hfft", "fft.irfft") else x
        return lambda axis: fn(z, axis=axis)
    if name in ("all", "any", "count_nonzero"):
        return lambda axis: fn(x > 2, axis=axis)
    return lambda axis: fn(x, axis=axis)


@pytest.mark.parametrize("name", AXIS_FUNCTIONS)
def test_axis_of_the_wrong_type_or_out_of_range_is_refused(xp, name):
    call = _valid_call(xp, name)
    call(-1 if name != "expand_dims" else 0)  # the template itself is valid
    for bad in (1.5, "0"):
        _refused(name, lambda: call(bad), TypeError, "axis")
    for bad in (5, -6):
        _refused(name, lambda: call(bad), IndexError, "axis")
        _refused(name, lambda: call(bad), ValueError, "axis")


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "full", "reshape", "broadcast_to"])
def test_shape_of_negative_or_non_integer_sizes_is_refused(xp, name):
    x = xp.asarray(np.ones((2, 3)))

    def call(shape):
        if name == "full":
            return xp.full(shape, 1.0)
        if name in ("reshape", "broadcast_to"):
            return getattr(xp, name)(x, shape)
        return getattr(xp, name)(shape)

    _refused(name, lambda: call((-2, 3)), ValueError, "shape")
    _refused(name, lambda: call((1.5, 2)), TypeError, "shape")
    _refused(name, lambda: call("ab"), TypeError, "shape")


@pytest.mark.parametrize("key", ["a", 1.5, (0, "b"), [0.5]])
def test_index_of_the_wrong_type_is_refused(xp, key):
    x = xp.asarray(np.ones((2, 3)))
    _refused("index", lambda: x[key], IndexError)


def test_index_out_of_range_or_too_many_indices_is_refused(xp):
    x = xp.asarray(np.ones((2, 3)))
    _refused("index", lambda: x[5], IndexError, "out of range")
    _refused("index", lambda: x[0, 0, 0], IndexError, "too many indices")


def test_other_invalid_sizes_are_refused(xp):
    x = xp.asarray(np.ones((2, 3)))
    _refused("arange", lambda: xp.arange(0, 3, 0), ValueError, "step")
    _refused("linspace", lambda: xp.linspace(0, 1, -1), ValueError, "num")
    _refused("repeat", lambda: xp.repeat(x, -1), ValueError, "repeats")
    _refused("tile", lambda: xp.tile(x, (-1,)), ValueError, "repetitions")
    _refused("roll", lambda: xp.roll(x, 1.5), TypeError, "shift")
    _refused("permute_dims", lambda: xp.permute_dims(x, (0, 0)), ValueError, "axes")
    _refused("squeeze", lambda: xp.squeeze(x, axis=0), ValueError, "size")
    _refused("full", lambda: xp.full((2,), "a"), TypeError, "fill_value")
    _refused("astype", lambda: xp.astype(x, "float99"), TypeError, "dtype")
    _refused("stack", lambda: xp.stack([]), ValueError, "at least one")
    _refused("broadcast_to", lambda: xp.broadcast_to(x, (4, 4)), ValueError, "broadcast")
    _refused("where", lambda: xp.where(xp.asarray([True, False]), x, x), ValueError, "broadcast")
