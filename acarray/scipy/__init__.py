"""SciPy functions that have no array-API implementation, made differentiable on acarray's tensors:
:mod:`acarray.scipy.signal` (``convolve``, ``correlate``, ``fftconvolve``) and
:mod:`acarray.scipy.ndimage` (``gaussian_filter``), with SciPy's signatures.

Each computes its value with the backend's SciPy-like library (SciPy on NumPy and, through NumPy,
on array-api-strict; ``cupyx.scipy`` on CuPy; ``jax.scipy`` on JAX where it has the function) and
its gradient with these same functions and acarray's namespace, so second derivatives work.
SciPy itself is imported on the first call, never by ``import acarray.scipy``.
"""

from . import ndimage, signal

__all__ = ["ndimage", "signal"]
