"""SciPy's convolutions, differentiable: :func:`convolve`, :func:`correlate` and :func:`fftconvolve`,
with SciPy's signatures.

The value is the backend's own library's (:meth:`~acarray._backend.Backend.scipy_function`): SciPy on
NumPy (and through NumPy on array-api-strict), ``cupyx.scipy.signal`` on CuPy, ``jax.scipy.signal``
on JAX; PyTorch and Dask are refused with a TypeError.  Each is one node of the graph
(:class:`acarray.autograd.Function`) whose backward is written with these same functions: the
gradient of a convolution is a correlation of the gradient, zero-padded to the ``'full'`` output,
with the other input (``'valid'`` mode), and that of a correlation is a convolution; ``'same'`` and
``'valid'`` outputs are the centred slices of ``'full'``.  So backward is recorded under
``create_graph=True`` and second derivatives work.  Complex inputs follow PyTorch's convention
(conjugate Wirtinger: dL/dRe + i dL/dIm); integer inputs are computed as SciPy computes them and
carry no gradient (integer tensors cannot require grad), and a real input combined with a
complex one gets the real part of its gradient.
"""

from __future__ import annotations

import numbers
import operator

from .._autograd import resolve
from .._backend import backend_named, default_backend_name
from .._function import Function
from .._tensor import Tensor

__all__ = ["convolve", "correlate", "fftconvolve"]

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")


# -- arguments ----------------------------------------------------------------------------


def _is_array(a) -> bool:
    return hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, numbers.Number)


def as_tensors(fname: str, **arrays) -> list:
    """The array arguments of ``fname`` (tensors, arrays, nested sequences) as tensors of one
    backend: that of the tensors and arrays among them (mixing backends is an error), else the
    default backend's.  Boolean arrays are refused."""
    found = [a for a in arrays.values() if isinstance(a, Tensor) or _is_array(a)]
    b = resolve(found)[0] if found else backend_named(default_backend_name())
    ns = b.ns
    out = []
    for name, a in arrays.items():
        if not isinstance(a, Tensor):
            try:
                a = ns.asarray(a)
            except Exception as e:
                raise TypeError(f"{fname}: {name} must be an array, got {type(a).__name__} ({e})") from None
        dtype = a.data.dtype
        if b.kind(dtype) == "b":
            raise TypeError(f"{fname}: {name} is a boolean array; cast it to a number type first "
                            "(xp.astype(x, xp.float64))")
        try:
            numeric = b.xp.isdtype(dtype, "numeric")
        except Exception:
            numeric = False
        if not numeric:
            raise TypeError(f"{fname}: {name} must be an array of numbers, got dtype {dtype}")
        out.append(a)
    return out


def check_choice(fname: str, argument: str, value, choices) -> None:
    """A ValueError naming ``fname`` unless ``value`` is one of ``choices``."""
    if not (isinstance(value, str) and value in choices):
        raise ValueError(f"{fname}: {argument} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _check_pair(fname: str, in1, in2, mode: str, axes) -> None:
    """SciPy's requirements on the shapes, as errors naming ``fname``: the same number of
    dimensions, no empty input, and, for ``mode='valid'``, one input at least as large as the
    other along every convolved axis (``axes``)."""
    s1, s2 = tuple(in1.shape), tuple(in2.shape)
    if len(s1) != len(s2):
        raise ValueError(f"{fname}: in1 and in2 must have the same number of dimensions, got shapes {s1} and {s2}")
    if 0 in s1 or 0 in s2:
        raise ValueError(f"{fname}: empty inputs are not supported (shapes {s1} and {s2}); SciPy gives a 1-d "
                         "empty array for them whatever the shapes")
    if mode == "valid":
        n1, n2 = [s1[d] for d in axes], [s2[d] for d in axes]
        if not (all(x >= y for x, y in zip(n1, n2)) or all(x <= y for x, y in zip(n1, n2))):
            raise ValueError(f"{fname}: mode='valid' needs one input at least as large as the other along every "
                             f"convolved axis, got shapes {s1} and {s2}")


def _normalized_axes(fname: str, axes, ndim: int) -> tuple:
    """``axes`` (None, an int or a sequence of ints) as a tuple of distinct non-negative axes."""
    if axes is None:
        return tuple(range(ndim))
    seq = (axes,) if isinstance(axes, numbers.Integral) else axes
    try:
        seq = tuple(operator.index(a) for a in seq)
    except TypeError:
        raise TypeError(f"{fname}: axes must be None, an int or a sequence of ints, got {axes!r}") from None
    out = []
    for a in seq:
        if not -ndim <= a < ndim:
            raise ValueError(f"{fname}: axis {a} is out of range for inputs of {ndim} dimension(s)")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: axes must be distinct, got {axes!r}")
    return tuple(out)


# -- backward helpers ---------------------------------------------------------------------


def _start(mode: str, n1: int, n2: int) -> int:
    """Where the ``mode`` output of inputs of lengths ``n1`` and ``n2`` starts in the 'full' one
    (SciPy centres 'same' and 'valid'; 'valid' of a larger ``in2`` swaps the inputs)."""
    if mode == "same":
        return (n2 - 1) // 2
    if mode == "valid":
        return min(n1, n2) - 1
    return 0


def full_gradient(g, s1, s2, mode: str, axes):
    """The gradient ``g`` of a ``mode`` output, zero-padded to the 'full' output of inputs of
    shapes ``s1`` and ``s2`` along ``axes`` (the 'full' output holds the ``mode`` one at the
    offsets of :func:`_start`)."""
    if mode == "full":
        return g
    ns = g.__array_namespace__()
    for d in axes:
        n1, n2 = s1[d], s2[d]
        start, size, full = _start(mode, n1, n2), g.shape[d], n1 + n2 - 1
        parts = []
        for width in (start, None, full - start - size):
            if width is None:
                parts.append(g)
            elif width:
                shape = list(g.shape)
                shape[d] = width
                parts.append(ns.zeros(tuple(shape), dtype=g.dtype, device=g.device))
        if len(parts) > 1:
            g = ns.concat(parts, axis=d)
    return g


def gradient_like(g, x):
    """Gradient ``g`` made that of argument ``x``: summed over the axes that broadcasting gave
    it, its real part for a real ``x`` (PyTorch's convention), in ``x``'s dtype."""
    ns = g.__array_namespace__()
    summed = tuple(d for d, (n, m) in enumerate(zip(x.shape, g.shape)) if n == 1 and m != 1)
    if summed:
        g = ns.sum(g, axis=summed, keepdims=True)
    b = x._b
    if b.kind(g.data.dtype) == "c" and b.kind(x.data.dtype) != "c":
        g = ns.real(g)
    if g.dtype != x.dtype:
        g = ns.astype(g, x.dtype)
    return g


def _reversed_conj(x, axes):
    """``x`` reversed along ``axes`` and conjugated (SciPy's ``_reverse_and_conj``)."""
    ns = x.__array_namespace__()
    x = ns.flip(x, axis=axes)
    return ns.conj(x) if x._b.kind(x.data.dtype) == "c" else x


def _library(fname: str, t):
    return t._b.scipy_function("signal", fname)


# -- the functions ------------------------------------------------------------------------


class Convolve(Function):
    """``convolve(in1, in2, mode, method)`` as one node: backward correlates the 'full' gradient."""

    @staticmethod
    def forward(ctx, in1, in2, mode, method):
        ctx.save_for_backward(in1, in2)
        ctx.mode, ctx.method = mode, method
        return _library("convolve", in1)(in1.data, in2.data, mode=mode, method=method)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        full = full_gradient(g, a.shape, b.shape, ctx.mode, range(a.ndim))
        ga = gradient_like(correlate(full, b, "valid", ctx.method), a) if ctx.needs_input_grad[0] else None
        gb = gradient_like(correlate(full, a, "valid", ctx.method), b) if ctx.needs_input_grad[1] else None
        return ga, gb, None, None


class Correlate(Function):
    """``correlate(in1, in2, mode, method)`` as one node: backward convolves the 'full' gradient
    (with ``in2``) and correlates ``in1`` with it."""

    @staticmethod
    def forward(ctx, in1, in2, mode, method):
        ctx.save_for_backward(in1, in2)
        ctx.mode, ctx.method = mode, method
        return _library("correlate", in1)(in1.data, in2.data, mode=mode, method=method)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        full = full_gradient(g, a.shape, b.shape, ctx.mode, range(a.ndim))
        ga = gradient_like(convolve(full, b, "valid", ctx.method), a) if ctx.needs_input_grad[0] else None
        gb = gradient_like(correlate(a, full, "valid", ctx.method), b) if ctx.needs_input_grad[1] else None
        return ga, gb, None, None


class FFTConvolve(Function):
    """``fftconvolve(in1, in2, mode, axes)`` as one node: backward is ``fftconvolve`` of the 'full'
    gradient with the other input reversed and conjugated along ``axes``."""

    @staticmethod
    def forward(ctx, in1, in2, mode, axes):
        ctx.save_for_backward(in1, in2)
        ctx.mode, ctx.axes = mode, axes
        return _library("fftconvolve", in1)(in1.data, in2.data, mode=mode, axes=list(axes))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        axes = ctx.axes
        full = full_gradient(g, a.shape, b.shape, ctx.mode, axes)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = gradient_like(fftconvolve(full, _reversed_conj(b, axes), "valid", axes), a)
        if ctx.needs_input_grad[1]:
            gb = gradient_like(fftconvolve(full, _reversed_conj(a, axes), "valid", axes), b)
        return ga, gb, None, None


def _zero_d(fname: str, in1, in2):
    """SciPy's result for two 0-d inputs: their product (with ``in2`` conjugated for a correlation)."""
    if fname == "correlate" and in2._b.kind(in2.data.dtype) == "c":
        in2 = in2.__array_namespace__().conj(in2)
    return in1 * in2


def convolve(in1, in2, mode="full", method="auto"):
    """Convolve two N-dimensional arrays: SciPy's ``scipy.signal.convolve``, differentiable in both.

    ``in1`` and ``in2`` (tensors, or arrays of one backend) have the same number of dimensions;
    ``mode`` is ``'full'`` (every overlap), ``'valid'`` (no zero padding: one input must be at
    least as large as the other along every axis) or ``'same'`` (the size of ``in1``, centred);
    ``method`` is ``'auto'``, ``'direct'`` or ``'fft'``, as in SciPy, and the backward pass uses
    the same.  Computed by SciPy on NumPy (and array-api-strict), ``cupyx.scipy.signal`` on CuPy,
    ``jax.scipy.signal`` on JAX; other backends raise a TypeError.  The gradient is the
    correlation of the zero-padded 'full' gradient with the other input, written with
    :func:`correlate`, so it is differentiable again.  Complex inputs follow PyTorch's gradient
    convention; integer inputs give SciPy's integer result and no gradient; boolean and empty
    inputs are refused.
    """
    in1, in2 = as_tensors("convolve", in1=in1, in2=in2)
    check_choice("convolve", "mode", mode, _MODES)
    check_choice("convolve", "method", method, _METHODS)
    if in1.ndim == in2.ndim == 0:
        return _zero_d("convolve", in1, in2)
    _check_pair("convolve", in1, in2, mode, range(in1.ndim))
    return Convolve.apply(in1, in2, mode, method)


def correlate(in1, in2, mode="full", method="auto"):
    """Cross-correlate two N-dimensional arrays: SciPy's ``scipy.signal.correlate``,
    differentiable in both.

    ``z[k] = sum_l in1[l + k] * conj(in2[l])``; ``mode`` and ``method`` as in :func:`convolve`
    (``'same'`` has the size of ``in1``; ``'valid'`` needs one input at least as large as the
    other along every axis).  Computed by the backend's library (SciPy on NumPy and
    array-api-strict, ``cupyx.scipy.signal``, ``jax.scipy.signal``); other backends raise a
    TypeError.  The gradient with respect to ``in1`` is :func:`convolve` of the zero-padded
    'full' gradient with ``in2``, that with respect to ``in2`` the correlation of ``in1`` with
    it, so both are differentiable again.  Complex inputs follow PyTorch's gradient convention;
    integer inputs give SciPy's integer result and no gradient; boolean and empty inputs are
    refused.
    """
    in1, in2 = as_tensors("correlate", in1=in1, in2=in2)
    check_choice("correlate", "mode", mode, _MODES)
    check_choice("correlate", "method", method, _METHODS)
    if in1.ndim == in2.ndim == 0:
        return _zero_d("correlate", in1, in2)
    _check_pair("correlate", in1, in2, mode, range(in1.ndim))
    return Correlate.apply(in1, in2, mode, method)


def fftconvolve(in1, in2, mode="full", axes=None):
    """Convolve two N-dimensional arrays with the FFT: SciPy's ``scipy.signal.fftconvolve``,
    differentiable in both.

    ``mode`` as in :func:`convolve`; ``axes`` (None for all, an int or a sequence of distinct
    ints) are the axes convolved over, and along the others the inputs broadcast (equal sizes,
    or 1).  Computed by the backend's library (SciPy on NumPy and array-api-strict,
    ``cupyx.scipy.signal``, ``jax.scipy.signal``); other backends raise a TypeError.  The
    gradient is ``fftconvolve`` of the zero-padded 'full' gradient with the other input reversed
    and conjugated along ``axes`` (``'valid'`` mode), summed over the axes an input was
    broadcast along, so it is differentiable again.  Complex inputs follow PyTorch's gradient
    convention; integer inputs give SciPy's floating-point result; boolean and empty inputs are
    refused.
    """
    in1, in2 = as_tensors("fftconvolve", in1=in1, in2=in2)
    check_choice("fftconvolve", "mode", mode, _MODES)
    if in1.ndim == in2.ndim == 0:
        return _zero_d("fftconvolve", in1, in2)
    if in1.ndim != in2.ndim:
        raise ValueError(f"fftconvolve: in1 and in2 must have the same number of dimensions, got shapes "
                         f"{tuple(in1.shape)} and {tuple(in2.shape)}")
    axes = _normalized_axes("fftconvolve", axes, in1.ndim)
    if not axes:
        raise ValueError("fftconvolve: axes, when given, cannot be empty (None convolves over every axis)")
    for d in range(in1.ndim):
        n1, n2 = in1.shape[d], in2.shape[d]
        if d in axes or n1 == n2:
            continue
        if 1 not in (n1, n2):
            raise ValueError(f"fftconvolve: in1 and in2 must have equal sizes (or 1) along axis {d}, which is not "
                             f"convolved; got shapes {tuple(in1.shape)} and {tuple(in2.shape)}")
        if mode == "same" and n1 == 1:
            raise NotImplementedError(
                f"fftconvolve: mode='same' with in1 broadcast along axis {d} (shapes {tuple(in1.shape)} and "
                f"{tuple(in2.shape)}) is not supported: SciPy keeps only the middle of the broadcast axis; "
                "broadcast in1 first (xp.broadcast_to(in1, ...))")
    _check_pair("fftconvolve", in1, in2, mode, axes)
    in1, in2 = _broadcast_batch(in1, in2, axes)
    return FFTConvolve.apply(in1, in2, mode, axes)


def _broadcast_batch(in1, in2, axes):
    """Both inputs broadcast to each other's sizes along the axes not in ``axes`` (which not every
    library does itself); the gradient of the broadcast sums back."""
    ns = in1.__array_namespace__()
    out = []
    for x, y in ((in1, in2), (in2, in1)):
        shape = tuple(n if d in axes else max(n, m) for d, (n, m) in enumerate(zip(x.shape, y.shape)))
        out.append(x if shape == tuple(x.shape) else ns.broadcast_to(x, shape))
    return out
