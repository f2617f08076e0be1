"""The table of the array object: operators (plain, reflected, in-place), indexing, conversions,
``__array_namespace__``, DLPack, ``to_device`` and the attributes; and ``__array_namespace_info__``."""

from __future__ import annotations

import operator

import array_api_strict as strict

from .case import Case
from .draw import ANY, Call, xps
from .functions import (
    BINARY,
    SECOND_ORDER,
    SMOOTH,
    UNARY,
    _binary,
    _draw_matmul,
    _shift_draw,
    _unary,
    nonzero_divisor,
)
from .limits import LIMITED_KEYS
from .targets import DTYPE_NAMES, dtype_name

# dunder stem -> the namespace function whose dtype kinds and gradient domain it shares
OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "floordiv": "floor_divide",
    "mod": "remainder", "pow": "pow", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
}
COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}
UNARY_OPERATORS = {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}
SCALARS = {"bool": True, "integral": 3, "real floating": -1.5, "complex floating": 0.5 + 2j}


def _array_first(draw_binary):
    """Binary draws with an array on the left (a Python scalar, if any, on the right)."""

    def draw(e):
        c = draw_binary(e)
        if not isinstance(c.args[0], type(strict.asarray(0))):
            return Call(c.args[::-1])
        return c

    return draw


def _with_scalar(kinds, domain, bounded=False, divides=False):
    """(array, Python scalar of the array's kind): the scalar sits on the left of the operator."""

    own, left = (domain[1], domain[0]) if isinstance(domain, list) else (domain, domain)

    def draw(e):
        x = e.array(e.dtype(kinds), e.shape(), own, bounded=bounded)
        if divides:
            x = nonzero_divisor(x)
        kind = next((k for k in SCALARS if strict.isdtype(x.dtype, k)), "integral")
        value = SCALARS[kind]
        if kind == "real floating" and left is not None:
            value = left[1] * 0.75  # inside the function's smooth domain
        elif kind == "integral":
            value = 2
        return Call((x, value))

    return draw


def _into_first(draw_binary, domain, bounded=False, divides=False):
    """Binary draws whose right operand has the left one's dtype and broadcasts to its shape
    (mostly: now and then anything, which in place is usually an error)."""
    right = domain[1] if isinstance(domain, list) else domain

    def draw(e):
        c = _array_first(draw_binary)(e)
        a, b = c.args
        if isinstance(b, type(a)) and (e.grad or e.integer(0, 4)) and b is not a:
            shape = a.shape[len(a.shape) - min(b.ndim, a.ndim):]
            b = e.array(a.dtype, tuple(1 if e.flag() else n for n in shape), right, bounded=bounded)
            b = nonzero_divisor(b) if divides else b
        return Call((a, b))

    return draw


def _inplace(op):
    def fn(ns, a, b):
        y = ns.asarray(a, copy=True)
        return op(y, b)

    return fn


def _operator_cases():
    cases = []
    for stem, fname in OPERATORS.items():
        kinds, domain = BINARY[fname]
        grad = domain is not None
        shift = "shift" in stem  # shift counts must be small and non-negative (others are undefined)
        divides = fname in ("floor_divide", "remainder")
        binary = _shift_draw(kinds, None) if shift else _binary(kinds, domain, fname == "pow", divides)
        plain = getattr(operator, stem if stem not in ("and", "or") else stem + "_")
        inplace = getattr(operator, "i" + stem)
        cases += [
            Case(f"Array.__{stem}__", _array_first(binary), fn=lambda ns, a, b, op=plain: op(a, b), grad=grad),
            Case(f"Array.__r{stem}__", _with_scalar(kinds, (0, 7) if shift else domain, shift or fname == "pow", divides),
                 fn=lambda ns, a, s, op=plain: op(s, a), grad=grad),
            Case(f"Array.__i{stem}__", _into_first(binary, (0, 7) if shift else domain, shift or fname == "pow", divides),
                 fn=_inplace(inplace), grad=grad,
                 order2=fname in SECOND_ORDER),
        ]
    for stem, fname in COMPARISONS.items():
        kinds, _ = BINARY[fname]
        op = getattr(operator, stem)
        cases.append(Case(f"Array.__{stem}__", _array_first(_binary(kinds, None)), fn=lambda ns, a, b, op=op: op(a, b)))
    for stem, fname in UNARY_OPERATORS.items():
        kinds, domain = UNARY[fname]
        op = getattr(operator, stem if stem != "invert" else "invert")
        cases.append(Case(f"Array.__{stem}__", _unary(kinds, domain), fn=lambda ns, a, op=op: op(a), grad=domain is not None))
    cases += [
        Case("Array.__matmul__", _draw_matmul, fn=lambda ns, a, b: a @ b, grad=True, mixes=True),
        Case("Array.__rmatmul__", _draw_matmul, fn=lambda ns, a, b: _rmatmul(a, b), grad=True, mixes=True),
        Case("Array.__imatmul__", _draw_square_matmul, fn=_inplace(operator.imatmul), grad=True, mixes=True),
    ]
    return cases


def _rmatmul(a, b):
    return type(b).__rmatmul__(b, a)


def _draw_square_matmul(e):
    """Right operands that keep the left one's shape (array-api-strict's ``@=`` does not check
    shapes, so a shape-changing one has no reference)."""
    a, b = _draw_matmul(e).args
    if a.ndim >= 1:
        k = a.shape[-1]
        b = e.array(a.dtype, (k, k), SMOOTH, bounded=True)
    return Call((a, b))


# -- conversions --------------------------------------------------------------------------


def _draw_scalar_array(kinds):
    def draw(e):
        shape = () if e.integer(0, 4) else e.shape(min_dims=1, max_dims=1, min_side=1, max_side=2)
        return Call((e.array(e.dtype(kinds), shape),))

    return draw


CONVERSIONS = {"bool": ANY, "int": ANY, "float": ANY, "complex": ANY, "index": ANY}


# -- indexing ---------------------------------------------------------------------------------


def _draw_key(e, shape, setting=False):
    kind = e.integer(0, 3 if not setting else 2)
    if kind <= 1 or not shape:
        return e.draw(xps.indices(shape, allow_newaxis=not setting, allow_ellipsis=True))
    if kind == 2:  # a boolean mask over the leading axes, as the sole index (as the standard has it)
        k = e.pick(1, len(shape)) if e.backend in LIMITED_KEYS else e.integer(0, len(shape))
        return e.array(strict.bool, shape[:k])
    # integer arrays on some axes, broadcast together (repeats allowed), integers on the others:
    # the standard's integer-array indexing covers every axis with an array or an integer
    if 0 in shape:
        return e.draw(xps.indices(shape))
    single = e.backend in LIMITED_KEYS
    ishape = e.shape(min_dims=1, max_dims=1 if single else 2, min_side=1)
    parts = tuple(e.array(strict.int64, ishape, (-n, n - 1), bounded=True) if i == 0 or (e.flag() and not single)
                  else e.integer(-n, n - 1) for i, n in enumerate(shape))
    return parts if len(parts) > 1 or e.flag() else parts[0]


def _draw_getitem(e):
    x = e.array(e.dtype(), e.shape(), SMOOTH)
    return Call((x, _draw_key(e, x.shape)))


def _draw_setitem(e):
    x = e.array(e.dtype(), e.shape(min_side=1 if e.backend in LIMITED_KEYS else 0), SMOOTH)
    key = _draw_key(e, x.shape, setting=True)
    if e.backend in LIMITED_KEYS and isinstance(key, tuple):  # Dask: no negative steps in assignments
        key = tuple(slice(k.start, k.stop) if isinstance(k, slice) and (k.step or 1) < 0 else k for k in key)
    try:
        target_shape = x[key].shape
    except IndexError:  # an invalid key: any value does, the assignment must fail
        return Call((x, key, SCALARS["bool"]))
    masked = isinstance(key, type(x)) and key.dtype == strict.bool
    if (e.grad or e.flag()) and not (masked and e.backend in LIMITED_KEYS):  # Dask: scalars through masks
        sub = target_shape[e.integer(0, len(target_shape)):]
        value = e.array(x.dtype, tuple(1 if e.flag() else n for n in sub), SMOOTH)
    else:
        kind = next((k for k in SCALARS if strict.isdtype(x.dtype, k)), "integral")
        value = SCALARS[kind]
    return Call((x, key, value))


def _setitem(ns, x, key, value):
    y = ns.asarray(x, copy=True)
    y[key] = value
    return y


# -- the array API plumbing ---------------------------------------------------------------------


def _draw_any(e):
    return Call((e.array(e.dtype(), e.shape(), SMOOTH),))


def _draw_namespace(e):
    return Call((e.array(e.dtype(), e.shape(max_dims=1)), e.pick(None, "2024.12", "2025.12", "1999.12")))


def _namespace(ns, x, version):
    m = x.__array_namespace__() if version is None else x.__array_namespace__(api_version=version)
    return hasattr(m, "__array_api_version__"), hasattr(m, "linalg"), hasattr(m, "fft"), m is x.__array_namespace__()


def _namespace_reference(ns, x, version):
    """array-api-strict's ``__array_namespace__(api_version=...)`` sets its global API version:
    put it back, or later functions of 2025.12 would be refused."""
    before = strict.get_array_api_strict_flags()["api_version"]
    try:
        return _namespace(ns, x, version)
    finally:
        strict.set_array_api_strict_flags(api_version=before)


def _dlpack(ns, x):
    capsule = x.__dlpack__(max_version=(1, 0), dl_device=x.__dlpack_device__(), copy=None, stream=None)
    del capsule  # the keywords are accepted; the round trip goes through from_dlpack
    return ns.from_dlpack(x)


def _dlpack_device(ns, x):
    """A pair of ints naming the device where the data is (CPU for strict, CUDA for CuPy...)."""
    device = x.__dlpack_device__()
    return len(device) == 2, all(isinstance(int(d), int) for d in device), device == ns.from_dlpack(x).__dlpack_device__()


def _device(ns, x):
    return ns.zeros(2, device=x.device).device == x.device, ns.asarray(x, device=x.device)


def _info(ns):
    info = ns.__array_namespace_info__()
    dtypes = info.dtypes()
    defaults = info.default_dtypes(device=info.default_device())
    standard = set(DTYPE_NAMES)
    return (
        tuple(sorted(info.capabilities())),
        tuple(sorted(defaults)),
        all(name in standard and dtype_name(ns, d) == name for name, d in dtypes.items()),
        all(dtype_name(ns, d) is not None for d in defaults.values()),
        info.default_device() in info.devices(),
        set(info.dtypes(kind="real floating")) <= {"float32", "float64"},
    )


def _plumbing_cases():
    conv = [Case(f"Array.__{name}__", _draw_scalar_array(kinds), fn=lambda ns, x, f=name: _convert(f, x))
            for name, kinds in CONVERSIONS.items()]
    attr = lambda name: (lambda ns, x: getattr(x, name))  # noqa: E731
    return conv + [
        Case("Array.__getitem__", _draw_getitem, fn=lambda ns, x, key: x[key], grad=True),
        Case("Array.__setitem__", _draw_setitem, fn=_setitem, grad=True),
        Case("Array.__array_namespace__", _draw_namespace, fn=_namespace, reference=_namespace_reference),
        Case("Array.__dlpack__", _draw_any, fn=_dlpack),
        Case("Array.__dlpack_device__", _draw_any, fn=_dlpack_device),
        Case("Array.to_device", _draw_any, fn=lambda ns, x: x.to_device(x.device), grad=True),
        Case("Array.device", _draw_any, fn=_device),
        Case("Array.dtype", _draw_any, fn=attr("dtype")),
        Case("Array.shape", _draw_any, fn=attr("shape")),
        Case("Array.ndim", _draw_any, fn=attr("ndim")),
        Case("Array.size", _draw_any, fn=attr("size")),
        Case("Array.mT", lambda e: Call((e.array(e.dtype(), e.shape(min_dims=2), SMOOTH),)), fn=attr("mT"), grad=True),
        Case("Array.T", lambda e: Call((e.array(e.dtype(), _t_shape(e), SMOOTH),)),
             fn=attr("T"), grad=True),
        Case("__array_namespace_info__", lambda e: Call(()), fn=_info),
    ]


def _t_shape(e):
    """2-D shapes (T is only defined for them), and now and then another ndim in values mode."""
    return e.shape(min_dims=2, max_dims=2) if e.grad or e.integer(0, 4) else e.shape()


def _convert(name, x):
    return {"bool": bool, "int": int, "float": float, "complex": complex, "index": operator.index}[name](x)


TABLE = _operator_cases() + _plumbing_cases()
