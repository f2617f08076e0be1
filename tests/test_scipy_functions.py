"""acarray.scipy: SciPy's convolve, correlate, fftconvolve and gaussian_filter on tensors.

Values are compared with SciPy itself on NumPy arrays (CuPy's and JAX's libraries against SciPy
too, where they are installed); gradients with central finite differences in float64, first and
second order (``autograd.grad(..., create_graph=True)`` differentiated again), for every mode and
method, on random 1-d and 2-d shapes with either input the larger; and every refusal.
"""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

import acarray
from acarray.scipy import ndimage, signal
from acarray.testing import _to_numpy, check_grads, numerical_vjp

SIGNAL = ("convolve", "correlate", "fftconvolve")
MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft")
FILTER_MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror", "grid-wrap")


def _usable(name: str) -> str | None:
    """Why backend ``name`` cannot be tested here, or None."""
    if name in ("numpy", "array_api_strict"):
        return None if importlib.util.find_spec(name) else f"{name} is not installed"
    if name == "cupy":
        if importlib.util.find_spec("cupy") is None:
            return "cupy is not installed"
        try:
            import cupy

            return None if cupy.cuda.runtime.getDeviceCount() > 0 else "no CUDA device"
        except Exception as e:
            return f"cupy is not usable here: {e}"
    if importlib.util.find_spec("jax") is None:
        return "jax is not installed"
    import jax

    return None if jax.config.read("jax_enable_x64") else "jax runs in float32 (set JAX_ENABLE_X64=1)"


@pytest.fixture(params=["numpy", "array_api_strict", "cupy", "jax"])
def sxp(request):
    """acarray's namespace on a backend whose library computes the signal functions."""
    why = _usable(request.param)
    if why:
        pytest.skip(why)
    return acarray.namespace(request.param)


@pytest.fixture(params=["numpy", "array_api_strict", "cupy"])
def nxp(request):
    """acarray's namespace on a backend whose library computes gaussian_filter."""
    why = _usable(request.param)
    if why:
        pytest.skip(why)
    return acarray.namespace(request.param)


def _tensor(xp, values, dtype=None):
    values = np.asarray(values)
    return xp.asarray(xp.asarray(values), dtype=dtype if dtype is not None else getattr(xp, values.dtype.name))


def _random(rng, shape, complex_=False):
    v = rng.standard_normal(shape)
    return v + 1j * rng.standard_normal(shape) if complex_ else v


def _shapes(rng, ndim, mode):
    """Two random shapes of ``ndim`` dimensions; for 'valid', one at least as large as the other
    along every axis (which one is random)."""
    s1, s2 = tuple(int(n) for n in rng.integers(1, 6, ndim)), tuple(int(n) for n in rng.integers(1, 6, ndim))
    if mode == "valid":
        big, small = tuple(map(max, s1, s2)), tuple(map(min, s1, s2))
        s1, s2 = (big, small) if rng.random() < 0.5 else (small, big)
    return s1, s2


def _call(fname, mode, method):
    """The acarray function and SciPy's, both of (in1, in2)."""
    kw = {} if fname == "fftconvolve" else {"method": method}
    ours, theirs = getattr(signal, fname), getattr(scipy.signal, fname)
    return (lambda a, b: ours(a, b, mode, **kw)), (lambda a, b: theirs(a, b, mode, **kw))


def _signal_cases() -> list:
    return [pytest.param(fname, mode, method, id=f"{fname}-{mode}-{method}")
            for fname in SIGNAL for method in (METHODS if fname != "fftconvolve" else ("fft",)) for mode in MODES]


# -- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fname, mode, method", _signal_cases())
@pytest.mark.parametrize("ndim", [1, 2])
def test_signal_values_match_scipy(sxp, fname, mode, method, ndim):
    rng = np.random.default_rng([ndim, len(fname), len(mode), len(method)])
    ours, theirs = _call(fname, mode, method)
    for _ in range(4):
        s1, s2 = _shapes(rng, ndim, mode)
        a, b = _random(rng, s1), _random(rng, s2)
        for x, y in ((a, b), (b, a)):  # either input the larger
            out = ours(_tensor(sxp, x), _tensor(sxp, y))
            assert isinstance(out, acarray.Tensor) and out.__array_namespace__() is sxp
            expected = theirs(x, y)
            assert out.shape == expected.shape, (s1, s2)
            np.testing.assert_allclose(_to_numpy(out), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fname", SIGNAL)
def test_signal_complex_values_match_scipy(sxp, fname):
    rng = np.random.default_rng(5)
    a, b = _random(rng, (5, 3), True), _random(rng, (2, 4), True)
    for mode in ("full", "same"):
        out = getattr(signal, fname)(_tensor(sxp, a), _tensor(sxp, b), mode)
        np.testing.assert_allclose(_to_numpy(out), getattr(scipy.signal, fname)(a, b, mode), rtol=1e-9, atol=1e-12)


def test_integer_inputs_give_scipys_integers():
    a, b = np.arange(7) - 3, np.array([2, -1, 4])
    for fname in ("convolve", "correlate"):
        for method in METHODS:
            out = getattr(signal, fname)(acarray.asarray(a), acarray.asarray(b), "same", method)
            expected = getattr(scipy.signal, fname)(a, b, "same", method)
            assert out.dtype == expected.dtype
            np.testing.assert_array_equal(_to_numpy(out), expected)
    out = signal.fftconvolve(acarray.asarray(a), acarray.asarray(b))
    np.testing.assert_allclose(_to_numpy(out), scipy.signal.fftconvolve(a, b))
    image = np.arange(30).reshape(5, 6) * 7
    out = ndimage.gaussian_filter(acarray.asarray(image), 1.2)
    expected = scipy.ndimage.gaussian_filter(image, 1.2)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(_to_numpy(out), expected)
    with pytest.raises(TypeError, match="only floating-point and complex tensors can require grad"):
        acarray.asarray(a).requires_grad_(True)


def test_arrays_and_lists_are_taken():
    out = signal.convolve([1.0, 2.0], np.array([3.0, 4.0]))
    assert isinstance(out, acarray.Tensor)
    np.testing.assert_allclose(_to_numpy(out), [3.0, 10.0, 8.0])
    out = signal.correlate(np.array([1.0, 2.0j]), [1.0, 1j])
    np.testing.assert_allclose(_to_numpy(out), scipy.signal.correlate([1.0, 2.0j], [1.0, 1j]))


def test_zero_dimensional_inputs_are_their_product():
    a, b = acarray.asarray(2.0 + 1j, requires_grad=True), acarray.asarray(3.0 - 2j)
    for fname in SIGNAL:
        out = getattr(signal, fname)(a, b)
        np.testing.assert_allclose(_to_numpy(out), getattr(scipy.signal, fname)(np.asarray(2.0 + 1j), np.asarray(3.0 - 2j)))
    check_grads(lambda a, b: signal.correlate(a, b), a, b, order=2)


# -- gradients ------------------------------------------------------------------------------


@pytest.mark.parametrize("fname, mode, method", _signal_cases())
@pytest.mark.parametrize("ndim", [1, 2])
def test_signal_gradients_match_finite_differences(fname, mode, method, ndim):
    xp = acarray.numpy
    rng = np.random.default_rng([7, ndim, len(fname), len(mode), len(method)])
    ours, _ = _call(fname, mode, method)
    for _ in range(2):
        s1, s2 = _shapes(rng, ndim, mode)
        a, b = _tensor(xp, _random(rng, s1)), _tensor(xp, _random(rng, s2))
        check_grads(ours, a, b, rtol=1e-6, atol=1e-8, order=2)
        check_grads(ours, b, a, rtol=1e-6, atol=1e-8, order=2)


@pytest.mark.parametrize("fname", SIGNAL)
def test_signal_gradients_on_each_backend(sxp, fname):
    rng = np.random.default_rng(11)
    for mode in MODES:
        ours, _ = _call(fname, mode, "auto")
        a, b = _tensor(sxp, _random(rng, (4, 3))), _tensor(sxp, _random(rng, (2, 2)))
        check_grads(ours, a, b, rtol=1e-6, atol=1e-8, order=2)
        check_grads(ours, b, a, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fname", SIGNAL)
@pytest.mark.parametrize("mode", MODES)
def test_complex_gradients_follow_pytorch(fname, mode):
    """Complex inputs, and one real and one complex: finite differences perturb the real and the
    imaginary parts (dL/dRe + i dL/dIm, PyTorch's convention); a real input gets a real gradient."""
    xp = acarray.numpy
    rng = np.random.default_rng([3, len(fname), len(mode)])
    ours, _ = _call(fname, mode, "auto")
    a, b = _tensor(xp, _random(rng, (5,), True)), _tensor(xp, _random(rng, (3,), True))
    check_grads(ours, a, b, rtol=1e-6, atol=1e-8, order=2)
    check_grads(ours, b, a, rtol=1e-6, atol=1e-8)
    r = _tensor(xp, _random(rng, (4, 2))).requires_grad_(True)
    z = _tensor(xp, _random(rng, (2, 2), True))
    check_grads(ours, r, z, rtol=1e-6, atol=1e-8, order=2)
    out = ours(r, z)
    grad = acarray.autograd.grad(xp.sum(xp.real(out * xp.conj(out))), r)[0]
    assert grad.dtype == xp.float64


def test_torch_agrees_on_a_complex_convolution():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b, cot = _random(rng, (6,), True), _random(rng, (3,), True), _random(rng, (8,), True)
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    # full convolution as a PyTorch cross-correlation of the zero-padded a with the flipped b
    y = torch.nn.functional.conv1d(torch.nn.functional.pad(ta, (2, 2))[None, None], torch.flip(tb, (0,))[None, None])[0, 0]
    torch.sum(torch.real(y * torch.conj(torch.tensor(cot)))).backward()
    xa, xb = acarray.asarray(a, requires_grad=True), acarray.asarray(b, requires_grad=True)
    out = signal.convolve(xa, xb)
    np.testing.assert_allclose(_to_numpy(out), y.detach().numpy(), rtol=1e-12)
    acarray.sum(acarray.real(out * acarray.conj(acarray.asarray(cot)))).backward()
    np.testing.assert_allclose(_to_numpy(xa.grad), ta.grad.resolve_conj().numpy(), rtol=1e-10)
    np.testing.assert_allclose(_to_numpy(xb.grad), tb.grad.resolve_conj().numpy(), rtol=1e-10)


def test_second_derivative_by_grad_of_grad():
    """``autograd.grad(..., create_graph=True)`` of a loss, contracted with v and differentiated
    again, against finite differences of that first gradient."""
    xp = acarray.numpy
    rng = np.random.default_rng(4)
    a0, b0, v = _random(rng, (5, 4)), _random(rng, (3, 2)), _random(rng, (5, 4))

    def first(a, b):
        y = signal.correlate(a, b, "same")
        return acarray.autograd.grad(xp.sum(xp.sin(y)), [a, b], create_graph=True)

    a, b = xp.asarray(a0, requires_grad=True), xp.asarray(b0, requires_grad=True)
    ga, gb = first(a, b)
    assert ga.requires_grad and gb.requires_grad
    h = acarray.autograd.grad(xp.sum(ga * xp.asarray(v)), [a, b])
    eps = 1e-6
    for i, x0 in enumerate((a0, b0)):
        numeric = np.zeros_like(x0)
        for k in range(x0.size):
            step = np.zeros_like(x0)
            step.reshape(-1)[k] = eps
            args = [a0, b0]
            vals = []
            for sign in (1, -1):
                args[i] = x0 + sign * step
                g = first(xp.asarray(args[0], requires_grad=True), xp.asarray(args[1], requires_grad=True))[0]
                vals.append(np.sum(_to_numpy(g) * v))
            numeric.reshape(-1)[k] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(_to_numpy(h[i]), numeric, rtol=1e-5, atol=1e-7)


def test_mixed_dtypes_give_gradients_of_each_dtype():
    rng = np.random.default_rng(8)
    a = acarray.asarray(_random(rng, (5,)), dtype=acarray.float32, requires_grad=True)
    b = acarray.asarray(_random(rng, (3,)), requires_grad=True)
    out = signal.convolve(a, b, "same")
    assert out.dtype == acarray.float64
    acarray.sum(out * out).backward()
    assert a.grad.dtype == acarray.float32 and b.grad.dtype == acarray.float64
    i = acarray.asarray(np.array([1, -2, 3, 0, 5]))
    check_grads(lambda b: signal.correlate(i, b, "valid"), b, order=2)
    check_grads(lambda b: signal.fftconvolve(b, i), b)


def test_fftconvolve_axes_and_broadcasting():
    xp = acarray.numpy
    rng = np.random.default_rng(9)
    cases = [((4, 5), (4, 3), 1), ((4, 5), (1, 3), [1]), ((1, 5), (3, 2), -1), ((3, 4, 2), (3, 2, 1), (0, 1)),
             ((5, 3), (2, 3), 0), ((2, 6, 3), (1, 3, 3), 1)]
    for s1, s2, axes in cases:
        for mode in MODES:
            a, b = _random(rng, s1), _random(rng, s2)
            for x, y in ((a, b), (b, a)):
                if mode == "same" and any(n == 1 and m > 1 for d, (n, m) in enumerate(zip(x.shape, y.shape))
                                         if d not in np.atleast_1d(np.asarray(axes)) % x.ndim):
                    continue  # refused (SciPy keeps the middle of the broadcast axis): see the refusals
                expected = scipy.signal.fftconvolve(x, y, mode, axes=axes)
                out = signal.fftconvolve(_tensor(xp, x), _tensor(xp, y), mode, axes=axes)
                assert out.shape == expected.shape
                np.testing.assert_allclose(_to_numpy(out), expected, rtol=1e-9, atol=1e-12)
                check_grads(lambda p, q: signal.fftconvolve(p, q, mode, axes=axes), _tensor(xp, x), _tensor(xp, y),
                            rtol=1e-6, atol=1e-8, order=2)


def test_gradients_are_not_the_same_for_a_wrong_offset():
    """The finite-difference check can fail: a 'same' output read with an offset of one is caught."""
    xp = acarray.numpy
    rng = np.random.default_rng(6)
    a, b = _tensor(xp, _random(rng, (6,))), _tensor(xp, _random(rng, (4,)))
    cot = xp.asarray(_random(rng, (6,)))
    right = numerical_vjp(lambda a, b: signal.convolve(a, b, "full")[1:7], [a, b], cot)  # (4 - 1) // 2 = 1
    shifted = numerical_vjp(lambda a, b: signal.convolve(a, b, "full")[2:8], [a, b], cot)
    a.requires_grad_(True)
    grad = acarray.autograd.grad(xp.sum(signal.convolve(a, b, "same") * cot), a)[0]
    assert not np.allclose(_to_numpy(grad), shifted[0])
    assert np.allclose(_to_numpy(grad), right[0])


# -- gaussian_filter --------------------------------------------------------------------------


def _filter_cases(rng, ndim, count):
    """Random shapes (some shorter than the radius) and keyword arguments of gaussian_filter."""
    for _ in range(count):
        shape = tuple(int(n) for n in rng.integers(1, 7, ndim))
        kw = {"sigma": float(rng.uniform(0.3, 2.0))}
        if rng.random() < 0.5:
            kw["sigma"] = [float(s) for s in rng.uniform(0.3, 2.0, ndim)]
        if rng.random() < 0.5:
            kw["order"] = [int(o) for o in rng.integers(0, 3, ndim)]
        if rng.random() < 0.3:
            kw["truncate"] = float(rng.uniform(1.0, 5.0))
        if rng.random() < 0.3:
            kw["radius"] = int(rng.integers(0, 8))
        yield shape, kw


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("ndim", [1, 2])
def test_gaussian_filter_values_match_scipy(nxp, mode, ndim):
    rng = np.random.default_rng([ndim, len(mode), ord(mode[-1])])
    for shape, kw in _filter_cases(rng, ndim, 5):
        x = _random(rng, shape)
        out = ndimage.gaussian_filter(_tensor(nxp, x), mode=mode, cval=0.7, **kw)
        assert isinstance(out, acarray.Tensor) and out.__array_namespace__() is nxp
        np.testing.assert_allclose(_to_numpy(out), scipy.ndimage.gaussian_filter(x, mode=mode, cval=0.7, **kw),
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("ndim", [1, 2])
def test_gaussian_filter_gradients_match_finite_differences(mode, ndim):
    """The adjoint folds the extension back (it is not the filter itself for 'reflect', 'mirror',
    'nearest' and 'wrap'); squared, so that the second derivative is not zero."""
    xp = acarray.numpy
    rng = np.random.default_rng([5, ndim, len(mode), ord(mode[-1])])
    for shape, kw in _filter_cases(rng, ndim, 3):
        x = _tensor(xp, _random(rng, shape))
        check_grads(lambda x: ndimage.gaussian_filter(x, mode=mode, cval=0.7, **kw) ** 2, x, rtol=1e-6, atol=1e-8,
                    order=2)


def test_gaussian_filter_gradients_on_each_backend(nxp):
    rng = np.random.default_rng(12)
    x = _tensor(nxp, _random(rng, (5, 4)))
    check_grads(lambda x: ndimage.gaussian_filter(x, [1.0, 0.7], order=[1, 0], mode=["mirror", "wrap"]) ** 2, x,
                rtol=1e-6, atol=1e-8, order=2)


def test_gaussian_filter_axes_modes_per_axis_and_complex():
    xp = acarray.numpy
    rng = np.random.default_rng(13)
    x = _random(rng, (4, 3, 5))
    calls = [dict(sigma=[1.0, 0.6], axes=(2, 0), mode=["nearest", "constant"], cval=-0.5),
             dict(sigma=1.1, axes=-2, order=2, radius=3),
             dict(sigma=[0.8, 0.0, 1.5], mode=("reflect", "wrap", "mirror")),  # sigma 0 leaves axis 1 alone
             dict(sigma=-1.0),  # SciPy leaves every axis alone
             dict(sigma=0.9, radius=[1, 0, 2], truncate=2.0)]
    for kw in calls:
        expected = scipy.ndimage.gaussian_filter(x, **kw)
        np.testing.assert_allclose(_to_numpy(ndimage.gaussian_filter(xp.asarray(x), **kw)), expected, rtol=1e-12)
        check_grads(lambda t: ndimage.gaussian_filter(t, **kw) ** 2, xp.asarray(x), rtol=1e-6, atol=1e-8, order=2)
    z = _random(rng, (5, 4), True)
    for mode in ("reflect", "constant"):
        kw = dict(sigma=[0.9, 1.4], mode=mode, cval=0.5 - 1j)
        np.testing.assert_allclose(_to_numpy(ndimage.gaussian_filter(xp.asarray(z), **kw)),
                                   scipy.ndimage.gaussian_filter(z, **kw), rtol=1e-12)
        check_grads(lambda t: ndimage.gaussian_filter(t, **kw) * xp.exp(t), xp.asarray(z), rtol=1e-6, atol=1e-8,
                    order=2)
    s = xp.asarray(np.float64(2.5), requires_grad=True)
    out = ndimage.gaussian_filter(s, 1.0)
    assert float(out) == 2.5 and acarray.autograd.grad(out * 2, s)[0] == 2.0


def test_gaussian_filter_float32_keeps_its_dtype():
    rng = np.random.default_rng(14)
    x = acarray.asarray(_random(rng, (6, 5)), dtype=acarray.float32, requires_grad=True)
    out = ndimage.gaussian_filter(x, 1.3, mode="mirror")
    np.testing.assert_allclose(_to_numpy(out), scipy.ndimage.gaussian_filter(_to_numpy(x), 1.3, mode="mirror"),
                               rtol=1e-6)
    assert out.dtype == acarray.float32
    acarray.sum(out * out).backward()
    assert x.grad.dtype == acarray.float32


def test_constant_mode_gives_cval_no_gradient():
    """With mode='constant' the gradient does not depend on cval, and is the filter's transpose."""
    xp = acarray.numpy
    rng = np.random.default_rng(15)
    x0, cot = _random(rng, (7,)), _random(rng, (7,))
    grads = []
    for cval in (0.0, 3.0):
        x = xp.asarray(x0, requires_grad=True)
        grads.append(_to_numpy(acarray.autograd.grad(xp.sum(ndimage.gaussian_filter(x, 1.5, mode="constant", cval=cval)
                                                             * xp.asarray(cot)), x)[0]))
    np.testing.assert_allclose(grads[0], grads[1])
    matrix = np.stack([scipy.ndimage.gaussian_filter(e, 1.5, mode="constant") for e in np.eye(7)], axis=1)
    np.testing.assert_allclose(grads[0], matrix.T @ cot, rtol=1e-12)


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["torch", "dask"])
def test_backends_without_a_library_are_refused(backend):
    pytest.importorskip(backend)
    xp = acarray.namespace(backend)
    x = xp.asarray(xp.asarray(np.arange(5.0)))
    for fname in SIGNAL:
        with pytest.raises(TypeError, match=rf"acarray.scipy.signal.{fname} does not compute on the {backend} "
                                            r"backend: .*it works on numpy, array_api_strict, cupy, jax"):
            getattr(signal, fname)(x, x)
    with pytest.raises(TypeError, match=rf"gaussian_filter does not compute on the {backend} backend: .*it works "
                                        r"on numpy, array_api_strict, cupy tensors"):
        ndimage.gaussian_filter(x, 1.0)


def test_jax_has_no_gaussian_filter():
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    x = acarray.jax.asarray(np.arange(5.0))
    with pytest.raises(TypeError, match="gaussian_filter does not compute on the jax backend: jax.scipy.ndimage has "
                                        "no filters"):
        ndimage.gaussian_filter(x, 1.0)


def test_mixed_backends_are_refused():
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match="cannot mix arrays of two backends"):
        signal.convolve(acarray.numpy.asarray(np.ones(3)), acarray.torch.asarray(np.ones(3)))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: signal.convolve(x, acarray.ones((2, 2))), ValueError, "convolve: in1 and in2 must have the same number"),
    (lambda x: signal.correlate(x, x, "middle"), ValueError, "correlate: mode must be one of 'full', 'valid', 'same'"),
    (lambda x: signal.convolve(x, x, method="fast"), ValueError, "convolve: method must be one of 'auto', 'direct'"),
    (lambda x: signal.convolve(acarray.ones((3, 2)), acarray.ones((2, 3)), "valid"), ValueError,
     r"convolve: mode='valid' needs one input at least as large as the other"),
    (lambda x: signal.correlate(acarray.ones((0,)), x), ValueError, "correlate: empty inputs are not supported"),
    (lambda x: signal.convolve(acarray.asarray([True, False]), x), TypeError, "convolve: in1 is a boolean array"),
    (lambda x: signal.convolve(x, "abc"), TypeError, "convolve: in2 must be an array of numbers"),
    (lambda x: signal.fftconvolve(x, x, axes=[0, 0]), ValueError, "fftconvolve: axes must be distinct"),
    (lambda x: signal.fftconvolve(x, x, axes=[]), ValueError, "fftconvolve: axes, when given, cannot be empty"),
    (lambda x: signal.fftconvolve(x, x, axes=1), ValueError, "fftconvolve: axis 1 is out of range"),
    (lambda x: signal.fftconvolve(x, x, axes=1.0), TypeError, "fftconvolve: axes must be None, an int or a sequence"),
    (lambda x: signal.fftconvolve(acarray.ones((3, 2)), acarray.ones((2, 3)), axes=0), ValueError,
     "fftconvolve: in1 and in2 must have equal sizes .or 1. along axis 1"),
    (lambda x: signal.fftconvolve(acarray.ones((1, 4)), acarray.ones((3, 2)), "same", axes=1), NotImplementedError,
     r"fftconvolve: mode='same' with in1 broadcast along axis 0"),
    (lambda x: ndimage.gaussian_filter(x, acarray.asarray(1.0)), TypeError, "gaussian_filter: sigma must be a number"),
    (lambda x: ndimage.gaussian_filter(x, [1.0, 2.0]), ValueError, "gaussian_filter: sigma has 2 value"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, order=-1), ValueError, "gaussian_filter: order must be non-negative"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, order=1.0), TypeError, "gaussian_filter: order must be an int"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, mode="edge"), ValueError, "gaussian_filter: mode must be one of"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, output=np.float32), NotImplementedError,
     "gaussian_filter: output= is not supported"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, cval=acarray.asarray(1.0)), TypeError, "gaussian_filter: cval must be"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, cval=1j), TypeError, "gaussian_filter: a complex cval"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, radius=-1), ValueError, "gaussian_filter: radius must be non-negative"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, radius=2.0), TypeError, "gaussian_filter: radius must be an int"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, truncate=-3.0), ValueError, "gaussian_filter: the radius"),
    (lambda x: ndimage.gaussian_filter(x, float("inf")), ValueError, "gaussian_filter: sigma must be finite"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, axes=(0, 0)), ValueError, "gaussian_filter: axes must be distinct"),
    (lambda x: ndimage.gaussian_filter(x, 1.0, axes=3), ValueError, "gaussian_filter: axis 3 is out of range"),
    (lambda x: ndimage.gaussian_filter(acarray.asarray([True]), 1.0), TypeError, "gaussian_filter: input is a boolean"),
])
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(acarray.asarray(np.arange(4.0)))


# -- the interface ----------------------------------------------------------------------------


@pytest.mark.parametrize("ours, theirs", [(signal.convolve, scipy.signal.convolve),
                                          (signal.correlate, scipy.signal.correlate),
                                          (signal.fftconvolve, scipy.signal.fftconvolve),
                                          (ndimage.gaussian_filter, scipy.ndimage.gaussian_filter)])
def test_signatures_are_scipys(ours, theirs):
    assert inspect.signature(ours) == inspect.signature(theirs)
    assert ours.__doc__ and theirs.__name__ in ours.__doc__.split("``")[1]


def test_imported_lazily():
    """``import acarray`` imports neither acarray.scipy nor SciPy, and ``acarray.scipy`` imports the
    package without SciPy; SciPy comes with the first call."""
    code = ("import sys, acarray; assert 'acarray.scipy' not in sys.modules and 'scipy' not in sys.modules; "
            "s = acarray.scipy; assert s.signal.convolve and s.ndimage.gaussian_filter; "
            "assert 'scipy' not in sys.modules, 'imported SciPy'; s.signal.convolve([1.0], [2.0]); "
            "assert 'scipy.signal' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert "scipy" in dir(acarray)
