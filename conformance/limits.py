"""What a backend cannot do, so that the suite skips it there and says why (README's backend table).

Only real limitations of the backend (or of array-api-compat's namespace for it) belong here;
anything acarray gets wrong is a bug to fix, not an entry.
"""

from __future__ import annotations

_DASK_LINALG_MISSING = "array-api-compat's dask.array.linalg has no {}"
_DASK_2D = "Dask's linalg takes only 2-D matrices (no batches), which the standard requires"
_DASK_UNKNOWN = "Dask arrays have unknown shapes after data-dependent operations"

# backend -> {name: reason}: the whole row is skipped there
SKIP = {
    "dask": {
        **{f"linalg.{n}": _DASK_LINALG_MISSING.format(n)
           for n in ("cross", "det", "eig", "eigh", "eigvals", "eigvalsh", "pinv", "slogdet")},
        "linalg.matrix_rank": "array-api-compat's dask svd takes no compute_uv, which matrix_rank needs",
        **{f"linalg.{n}": _DASK_2D for n in ("inv", "solve", "svd", "svdvals", "qr", "matrix_norm", "matrix_power")},
        "linalg.cholesky": "Dask's cholesky returns the wrong triangle for complex input",
        "nonzero": _DASK_UNKNOWN,
        "unique_all": _DASK_UNKNOWN,
        "unique_counts": _DASK_UNKNOWN,
        "unique_inverse": _DASK_UNKNOWN,
        "unique_values": _DASK_UNKNOWN,
        "from_dlpack": "Dask arrays do not support DLPack",
        "Array.__dlpack__": "Dask arrays do not support DLPack",
        "Array.__dlpack_device__": "Dask arrays do not support DLPack",
        "take_along_axis": "array-api-compat's dask namespace has no take_along_axis",
        "sort": "array-api-compat's dask namespace has no take_along_axis, which sort's gradient needs",
        "repeat": "Dask repeats only by a Python int, not by an array of counts",
        "take": "array-api-compat's take on Dask reports a wrong shape for a Dask index array "
                "(take(x of shape (2, 1, 1), [0], axis=0) says (2, 1, 1), computes (1, 1, 1))",
        "searchsorted": "Dask's searchsorted fails for a 0-d x2",
        "eye": "Dask's eye with an offset k builds a broken graph (a missing dependency)",
    },
    "jax": {
        "searchsorted": "jax.numpy's searchsorted returns int32 indices, not the default integer dtype",
    },
}

# backends with limited indexing, where keys hold at most one integer array (1-D), boolean masks
# cover one axis or all, and __setitem__ targets no empty array
LIMITED_KEYS = {"dask": "Dask indexes with one 1-D integer array at a time, masks of one or all axes, "
                        "and assigns through a mask only scalars, through no negative-step slice and into "
                        "no empty selection"}

# backend -> {name: (dtype names, reason)}: those dtypes are not drawn there
_JAX_BRANCH = "JAX ignores the sign of a zero imaginary part on the branch cuts"
_JAX_ACCUMULATE = "jax.numpy accumulates small integers in their own dtype, not the standard's 64-bit one"
_CUPY_DIVIDE = ("CuPy's division loses the sign of a zero divisor in float32 (1 / -0.0 gives inf) and gives "
                "NaN for huge complex divisors")
_SUBNORMAL = "{}'s complex64 kernels flush subnormal inputs to zero"
SKIP_DTYPES = {
    "cupy": {
        **{n: (("float32", "complex64", "complex128"), _CUPY_DIVIDE)
           for n in ("divide", "reciprocal", "Array.__truediv__", "Array.__rtruediv__", "Array.__itruediv__")},
        **{n: (("complex64",), _SUBNORMAL.format("CuPy")) for n in ("log", "log2", "log10", "log1p")},
    },
    "torch": {n: (("uint8",), "PyTorch has no uint64 sums, the standard's accumulator for unsigned integers")
              for n in ("sum", "prod", "cumulative_sum", "cumulative_prod", "linalg.trace")},
    "jax": {
        **{n: (("complex64", "complex128"), _JAX_BRANCH) for n in ("acos", "asin", "atanh", "acosh", "asinh", "atan")},
        "cumulative_sum": (("int8", "int16", "int32", "uint8", "uint16", "uint32"), _JAX_ACCUMULATE),
        "cumulative_prod": (("int8", "int16", "int32", "uint8", "uint16", "uint32", "complex64"),
                            _JAX_ACCUMULATE + "; " + _SUBNORMAL.format("XLA")),
        "prod": (("complex64",), _SUBNORMAL.format("XLA")),
        **{n: (("complex64",), _SUBNORMAL.format("XLA")) for n in ("log", "log2", "log10", "log1p")},
        "Array.__rpow__": (("int8", "int16", "int32", "uint8", "uint16", "uint32", "uint64"),
                           "jax.numpy's pow of a Python int and a 0-d integer array returns int64"),
    },
}

# backend -> {name: reason}: values are checked, gradients are not
SKIP_GRAD = {
    "dask": {
        "Array.__getitem__": _DASK_UNKNOWN + " (boolean masks), so their gradients cannot be scattered back",
        "Array.__setitem__": "Dask assigns through a boolean mask only values of known shape",
        "linalg.diagonal": "its gradient uses eye with an offset, which Dask builds wrongly",
        "linalg.trace": "its gradient uses eye with an offset, which Dask builds wrongly",
        **{n: "Dask transforms only along an axis held in one chunk; the gradient pads the spectrum"
           for n in ("fft.rfft", "fft.rfftn", "fft.ihfft")},
    },
}
