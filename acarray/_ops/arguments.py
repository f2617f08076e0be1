"""Checks of the non-array arguments of the namespace's functions: axes, shapes, sizes, index keys.

One table, :data:`AXES`, says for each function that takes an axis which parameter holds it,
what it may be and which array it counts in; :func:`checked` wraps a function with the checks
its entries name (the wrapper keeps the function's signature and docs).  Invalid arguments are
then refused here, with the function's name, instead of deep inside a backend (or, worse,
accepted: NumPy rolls by ``int(1.5)``).  The checks read only Python values and shapes, never
array data.
"""

from __future__ import annotations

import functools
import numbers
import operator


class AxisError(ValueError, IndexError):
    """An axis out of range for the array it refers to (a ValueError and an IndexError, as NumPy's)."""


def _is_int(v) -> bool:
    """A Python or NumPy integer, not a bool (nor an array: a 0-d tensor is not an axis)."""
    return v.__class__ is int or isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _one_axis(fn: str, what: str, a, ndim: int) -> int:
    if not _is_int(a):
        raise TypeError(f"{fn}: {what} must be an int, got {a!r} of type {type(a).__name__}")
    a = operator.index(a)
    if not -ndim <= a < ndim:
        valid = f"from {-ndim} to {ndim - 1}" if ndim else "none: it is 0-dimensional"
        raise AxisError(f"{fn}: {what} {a} is out of range for an array of {ndim} dimensions (valid: {valid})")
    return a % ndim


def check_axes(fn: str, axis, ndim: int, *, what: str = "axis", many: bool = True, unique: bool = True) -> tuple:
    """``axis`` (an int, or a tuple or list of ints when ``many``) as a tuple of non-negative
    axes of an ``ndim``-dimensional array; a TypeError, an :class:`AxisError` or (a repeated
    axis) a ValueError naming ``fn`` otherwise."""
    if isinstance(axis, (tuple, list)) and many:
        axes = tuple(_one_axis(fn, what, a, ndim) for a in axis)
        if unique and len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: {what} {tuple(axis)!r} repeats an axis")
        return axes
    if not _is_int(axis):
        kinds = "an int or a tuple of ints" if many else "an int"
        raise TypeError(f"{fn}: {what} must be {kinds}, got {axis!r} of type {type(axis).__name__}")
    return (_one_axis(fn, what, axis, ndim),)


def check_shape(fn: str, shape, *, what: str = "shape", allow_minus_one: bool = False) -> tuple:
    """``shape`` (an int or a sequence of ints) as a tuple of non-negative ints (``-1`` once,
    where ``allow_minus_one``: reshape's inferred size)."""
    items = (shape,) if _is_int(shape) else shape
    if isinstance(shape, (str, bytes)) or not isinstance(items, (tuple, list)) and not _is_int(shape):
        raise TypeError(f"{fn}: {what} must be an int or a tuple of ints, got {shape!r}")
    out = []
    for n in items:
        if not _is_int(n):
            raise TypeError(f"{fn}: {what} must be a tuple of ints, got {tuple(items)!r} "
                            f"(an element of type {type(n).__name__})")
        out.append(operator.index(n))
    negative = [n for n in out if n < 0]
    if negative and not (allow_minus_one and negative == [-1]):
        raise ValueError(f"{fn}: {what} {tuple(out)!r} has a negative size"
                         + (" (only one -1, for a size to infer, is allowed)" if allow_minus_one else ""))
    return tuple(out)


# -- which argument is an axis of which array --------------------------------------------
#
# name: (parameter, position when it may be passed positionally or None, kind, counted in)
#   kind "axes": an int or a tuple of ints, or None; "axes!": the same, not None;
#        "axis": an int, or None where the standard allows it; "axis!": an int
#   counted in "x": the first argument's dimensions; "x+n": as many more as there are axes (the
#        result of expand_dims); "arrays": the first array of a sequence; "arrays+1": one more (stack);
#        "x1x2": the broadcast of the first two arguments

AXES = {
    **{name: ("axis", None, "axes", "x") for name in (
        "all", "any", "count_nonzero", "max", "mean", "min", "prod", "std", "sum", "var",
        "linalg.vector_norm", "flip", "roll",
    )},
    **{name: ("axis", None, "axis", "x") for name in (
        "argmax", "argmin", "cumulative_prod", "cumulative_sum", "take", "repeat",
        "argsort", "sort", "diff", "take_along_axis", "unstack",
        "fft.fft", "fft.ifft", "fft.rfft", "fft.irfft", "fft.hfft", "fft.ihfft",
    )},
    **{name: ("axes", None, "axes", "x") for name in (
        "fft.fftn", "fft.ifftn", "fft.rfftn", "fft.irfftn", "fft.fftshift", "fft.ifftshift",
    )},
    "squeeze": ("axis", 1, "axes!", "x"),
    "permute_dims": ("axes", 1, "axes!", "x"),
    "expand_dims": ("axis", 1, "axes!", "x+n"),
    "concat": ("axis", None, "axis", "arrays"),
    "stack": ("axis", None, "axis!", "arrays+1"),
    "vecdot": ("axis", None, "axis!", "x1x2"),
    "linalg.vecdot": ("axis", None, "axis!", "x1x2"),
    "linalg.cross": ("axis", None, "axis!", "x1x2"),
}

SHAPES = {  # name: position of the shape argument (broadcast_to's is checked with its broadcast)
    "zeros": 0, "ones": 0, "empty": 0, "full": 0, "reshape": 1,
}

DTYPE_NAMES = frozenset(
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 bfloat16 float32 float64 complex64 complex128".split()
)


def _ndim(counted: str, args) -> int | None:
    """The number of dimensions the axis is counted in (None where the arguments do not say)."""
    first = args[0] if args else None
    if counted in ("arrays", "arrays+1"):
        if not isinstance(first, (tuple, list)) or not first:
            return None
        first = first[0]
    nd = getattr(first, "ndim", None)
    if nd is None:
        return None
    if counted == "x1x2" and len(args) > 1:
        nd = max(nd, getattr(args[1], "ndim", 0))
    return nd + 1 if counted.endswith("+1") else nd


def _axis_check(name: str, param: str, position, kind: str, counted: str):
    short = name.split(".")[-1]
    many = kind.startswith("axes")
    required = kind.endswith("!")

    def check(args, kwargs):
        if param in kwargs:
            axis = kwargs[param]
        elif position is not None and len(args) > position:
            axis = args[position]
        else:
            return
        if axis is None and not required:
            return
        nd = _ndim(counted, args)
        if nd is None:
            return
        if counted == "x+n":
            nd += len(axis) if isinstance(axis, (tuple, list)) else 1
        axes = check_axes(short, axis, nd, what=param, many=many, unique=name != "roll")
        if name == "permute_dims" and len(axes) != nd:
            raise ValueError(f"permute_dims: axes {tuple(axis)!r} is not a permutation of the {nd} axes")
        if name == "squeeze":
            shape = args[0].shape
            wide = [a for a in axes if shape[a] != 1]
            if wide:
                raise ValueError(f"squeeze: axis {wide[0]} has size {shape[wide[0]]}, not 1")

    return check


def _shape_check(name: str, position: int):
    def check(args, kwargs):
        shape = kwargs["shape"] if "shape" in kwargs else args[position] if len(args) > position else None
        if shape is not None:
            check_shape(name, shape, allow_minus_one=name == "reshape")

    return check


def _sizes(name: str):
    """Checks of other size arguments, by function (None: there are none)."""

    def arange(args, kwargs):
        step = kwargs.get("step", args[2] if len(args) > 2 else 1)
        if isinstance(step, (int, float)) and step == 0:
            raise ValueError("arange: step must not be 0")

    def linspace(args, kwargs):
        num = kwargs.get("num", args[2] if len(args) > 2 else None)
        if num is not None and (not _is_int(num) or num < 0):
            raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")

    def repeat(args, kwargs):
        r = kwargs.get("repeats", args[1] if len(args) > 1 else None)
        if _is_int(r) and r < 0 or isinstance(r, (float, str)):
            raise ValueError(f"repeat: repeats must be a non-negative int or an integer array, got {r!r}")

    def tile(args, kwargs):
        reps = kwargs.get("repetitions", args[1] if len(args) > 1 else None)
        if reps is not None:
            check_shape("tile", reps, what="repetitions")

    def roll(args, kwargs):
        shift = kwargs.get("shift", args[1] if len(args) > 1 else None)
        items = shift if isinstance(shift, (tuple, list)) else (shift,)
        if not all(_is_int(s) for s in items):
            raise TypeError(f"roll: shift must be an int or a tuple of ints, got {shift!r}")

    def stack(args, kwargs):
        arrays = kwargs.get("arrays", args[0] if args else None)
        if isinstance(arrays, (tuple, list)) and not arrays:
            raise ValueError(f"{name}: needs at least one array, got none")

    def full(args, kwargs):
        fill = kwargs.get("fill_value", args[1] if len(args) > 1 else None)
        if isinstance(fill, (str, bytes)) or fill is None:
            raise TypeError(f"full: fill_value must be a bool, int, float or complex, got {fill!r}")

    def astype(args, kwargs):
        dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
        if isinstance(dtype, str) and dtype not in DTYPE_NAMES:
            raise TypeError(f"astype: unknown dtype {dtype!r}; pass a dtype of the namespace, e.g. xp.float32")

    def broadcast_to(args, kwargs):
        x, shape = args[0], kwargs.get("shape", args[1] if len(args) > 1 else None)
        shape = check_shape("broadcast_to", shape)
        xs = tuple(x.shape)
        if len(xs) > len(shape) or broadcast("broadcast_to", xs, shape) != shape:
            raise ValueError(f"broadcast_to: an array of shape {xs} does not broadcast to shape {shape}")

    def where(args, kwargs):
        shapes = [tuple(a.shape) for a in args[:3] if hasattr(a, "shape")]
        broadcast("where", *shapes)

    return {"arange": arange, "linspace": linspace, "repeat": repeat, "tile": tile, "roll": roll,
            "stack": stack, "concat": stack, "full": full, "astype": astype, "broadcast_to": broadcast_to,
            "where": where}.get(name)


def checked(name: str, fn):
    """``fn`` (the namespace's function ``name``, e.g. "sum" or "linalg.vecdot") with the checks
    of its arguments that the tables above name; ``fn`` itself where there are none."""
    checks = []
    if name in AXES:
        checks.append(_axis_check(name, *AXES[name]))
    if name in SHAPES:
        checks.append(_shape_check(name, SHAPES[name]))
    sizes = _sizes(name)
    if sizes is not None:
        checks.append(sizes)
    if not checks:
        return fn
    if len(checks) == 1:
        (only,) = checks

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            only(args, kwargs)
            return fn(*args, **kwargs)
    else:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for check in checks:
                check(args, kwargs)
            return fn(*args, **kwargs)

    return wrapper


# -- index keys ---------------------------------------------------------------------------


def check_key(key, shape) -> None:
    """Refuse an index key that no backend takes: a string, a float, a list holding one, too
    many indices, an integer out of range (an IndexError naming the key and the shape)."""
    if key.__class__ is int:  # the common cases first
        if shape and -shape[0] <= key < shape[0]:
            return
    elif key.__class__ is slice:
        if shape:
            return
    items = key if isinstance(key, tuple) else (key,)
    ndim = len(shape)
    used = 0
    after_ellipsis = False
    for k in items:
        if k is None or isinstance(k, bool):
            continue
        if k is Ellipsis:
            after_ellipsis = True
            continue
        if isinstance(k, (str, bytes, float, complex)) or isinstance(k, list) and any(
            isinstance(e, (str, bytes, float, complex)) for e in k
        ):
            raise IndexError(f"index {key!r}: only integers, slices, ..., None and integer or boolean "
                             f"arrays are valid indices, got {k!r} of type {type(k).__name__}")
        if _is_int(k) and not after_ellipsis and used < ndim:
            n, size = operator.index(k), shape[used]
            if isinstance(size, int) and not -size <= n < size:
                raise IndexError(f"index {n} is out of range for axis {used} of size {size} (shape {tuple(shape)})")
        dtype = getattr(k, "dtype", None)
        used += k.ndim if dtype is not None and "bool" in str(dtype) else 1
    if used > ndim:
        raise IndexError(f"index {key!r}: too many indices for an array of {ndim} dimensions (shape {tuple(shape)})")


def broadcast(fn: str, *shapes) -> tuple:
    """The broadcast of ``shapes`` by the standard's rules; a ValueError naming ``fn`` where they
    do not broadcast (a size of None, unknown, broadcasts with anything)."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-nd, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i and s[i] != 1}
        known = {n for n in sizes if n is not None}
        if len(known) > 1:
            raise ValueError(f"{fn}: shapes {', '.join(str(tuple(s)) for s in shapes)} do not broadcast together")
        out.append(known.pop() if known else None if sizes else 1)
    return tuple(out)
