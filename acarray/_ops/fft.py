"""The ``fft`` extension.  Every transform is linear, so its gradient is its adjoint:
the inverse transform with the dual normalisation, plus zero-padding or cropping
where ``n``/``s`` changed the length, and weights for the Hermitian half-spectra."""

from __future__ import annotations

import array_api_compat as compat

from .._autograd import Op, apply
from .common import along
from .dtype_rules import require
from .manipulation import roll

_DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _fit_length(xp, a, axis, n):
    """``a`` cropped or zero-padded to length ``n`` along ``axis``."""
    have = a.shape[axis]
    ax = axis % a.ndim
    if have > n:
        return a[along(ax, slice(0, n))]
    if have < n:
        pad_shape = tuple(a.shape[:ax]) + (n - have,) + tuple(a.shape[ax + 1:])
        return xp.concat([a, xp.zeros(pad_shape, dtype=a.dtype, device=compat.device(a))], axis=ax)
    return a


def _axes_and_lengths(x, s, axes):
    if axes is None:
        axes = tuple(range(-len(s), 0)) if s is not None else tuple(range(x.ndim))
    axes = tuple(axes)
    if s is None:
        s = tuple(x.shape[a] for a in axes)
    return axes, tuple(s)


class Transform(Op):
    """A complex-to-complex transform (``fft``, ``ifft``, ``fftn``, ``ifftn``)."""

    def forward(self, xp, x, *, axes, s, norm):
        self.shape = tuple(x.shape)
        self.axes, self.s, self.norm = axes, s, norm
        return getattr(xp.fft, self.fname)(x, s=s, axes=axes, norm=norm)

    def backward(self, xp, g, inputs, out):
        g = getattr(xp.fft, self.adjoint)(g, axes=self.axes, norm=_DUAL_NORM[self.norm])
        for ax in self.axes:
            g = _fit_length(xp, g, ax, self.shape[ax])
        return (g,)


class FFTN(Transform):
    fname, adjoint = "fftn", "ifftn"


class IFFTN(Transform):
    fname, adjoint = "ifftn", "fftn"


class RFFTN(Op):
    """Real-to-half-spectrum transform; its adjoint pads the spectrum and inverts it."""

    def forward(self, xp, x, *, axes, s, norm):
        self.shape = tuple(x.shape)
        self.axes, self.s, self.norm = axes, s, norm
        return xp.fft.rfftn(x, s=s, axes=axes, norm=norm)

    def backward(self, xp, g, inputs, out):
        last = self.axes[-1]
        g = _fit_length(xp, g, last, self.s[-1])
        g = xp.fft.ifftn(g, axes=self.axes, norm=_DUAL_NORM[self.norm])
        for ax in self.axes:
            g = _fit_length(xp, g, ax, self.shape[ax])
        return (xp.real(g),)


class IRFFTN(Op):
    """Half-spectrum-to-real transform; its adjoint is rfftn with doubled weights for the
    frequencies that stand for two conjugate ones."""

    def forward(self, xp, x, *, axes, s, norm):
        self.shape = tuple(x.shape)
        self.axes, self.s, self.norm = axes, s, norm
        return xp.fft.irfftn(x, s=s, axes=axes, norm=norm)

    def backward(self, xp, g, inputs, out):
        n = self.s[-1]
        last = self.axes[-1]
        spec = xp.fft.rfftn(g, axes=self.axes, norm=_DUAL_NORM[self.norm])
        half = spec.shape[last]
        weights = [1.0] + [2.0] * (half - 1)
        if n % 2 == 0 and half > 1:
            weights[-1] = 1.0
        w = xp.asarray(weights, dtype=xp.real(spec).dtype, device=compat.device(spec))
        w = xp.reshape(w, (half,) + (1,) * (spec.ndim - 1 - last % spec.ndim))
        g = spec * w
        for ax in self.axes[:-1]:
            g = _fit_length(xp, g, ax, self.shape[ax])
        return (_fit_length(xp, g, last, self.shape[last]),)


def _nd(cls):
    def fn(x, /, *, s=None, axes=None, norm="backward"):
        ax, lengths = _axes_and_lengths(x, s, axes)
        if cls in (IRFFTN,) and s is None:
            lengths = lengths[:-1] + (2 * (x.shape[ax[-1]] - 1),)
        return apply(cls, x, axes=ax, s=lengths, norm=norm)

    return fn


def _1d(cls):
    def fn(x, /, *, n=None, axis=-1, norm="backward"):
        if n is None:
            n = 2 * (x.shape[axis] - 1) if cls is IRFFTN else x.shape[axis]
        return apply(cls, x, axes=(axis,), s=(n,), norm=norm)

    return fn


def _named(name, fn, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


fft = _named("fft", _1d(FFTN), "One-dimensional discrete Fourier transform along ``axis`` (complex input; real input is refused, use rfft); differentiable, its gradient is the adjoint transform.")
ifft = _named("ifft", _1d(IFFTN), "One-dimensional inverse discrete Fourier transform along ``axis``; differentiable, its gradient is the adjoint transform.")
fftn = _named("fftn", _nd(FFTN), "n-dimensional discrete Fourier transform over ``axes`` (lengths ``s``); differentiable, its gradient is the adjoint transform.")
ifftn = _named("ifftn", _nd(IFFTN), "n-dimensional inverse discrete Fourier transform over ``axes``; differentiable, its gradient is the adjoint transform.")
rfft = _named("rfft", _1d(RFFTN), "One-dimensional transform of real input, the half spectrum; differentiable in the real input.")
irfft = _named("irfft", _1d(IRFFTN), "Inverse of rfft: a real signal of length ``n`` from a half spectrum; differentiable in the spectrum.")
rfftn = _named("rfftn", _nd(RFFTN), "n-dimensional transform of real input over ``axes``, the last one halved; differentiable.")
irfftn = _named("irfftn", _nd(IRFFTN), "Inverse of rfftn: a real signal from a half spectrum over ``axes``; differentiable.")


def hfft(x, /, *, n=None, axis=-1, norm="backward"):
    """Transform of a Hermitian-symmetric signal given by its first half (real output)."""
    from .elementwise import FUNCTIONS

    return irfft(FUNCTIONS["conj"](x), n=n, axis=axis, norm=_DUAL_NORM[norm])


def ihfft(x, /, *, n=None, axis=-1, norm="backward"):
    """Inverse of hfft: the first half of a Hermitian spectrum from a real signal."""
    from .elementwise import FUNCTIONS

    return FUNCTIONS["conj"](rfft(x, n=n, axis=axis, norm=_DUAL_NORM[norm]))


def fftshift(x, /, *, axes=None):
    """Move the zero frequency to the centre (a roll; the gradient rolls back)."""
    require("fftshift", "fc", x)
    axes = tuple(range(x.ndim)) if axes is None else ((axes,) if isinstance(axes, int) else tuple(axes))
    if not axes:
        return x
    return roll(x, shift=tuple(x.shape[a] // 2 for a in axes), axis=axes)


def ifftshift(x, /, *, axes=None):
    """Inverse of fftshift: moves the zero frequency back to the start (a roll; the gradient rolls back)."""
    require("ifftshift", "fc", x)
    axes = tuple(range(x.ndim)) if axes is None else ((axes,) if isinstance(axes, int) else tuple(axes))
    if not axes:
        return x
    return roll(x, shift=tuple(-(x.shape[a] // 2) for a in axes), axis=axes)


FFT_FUNCTIONS = {
    f.__name__: f
    for f in (fft, ifft, fftn, ifftn, rfft, irfft, rfftn, irfftn, hfft, ihfft, fftshift, ifftshift)
}
FFT_CREATION = ("fftfreq", "rfftfreq")
