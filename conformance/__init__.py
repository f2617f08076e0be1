"""acarray's conformance suite: every function of the array API standard (2025.12), its linalg
and fft extensions and the array object, on one backend, compared with array-api-strict.

Run it with ``python -m conformance --backend torch [--max-examples N]``.  Values and errors
are compared with array-api-strict on the same Hypothesis-drawn inputs; gradients of
differentiable functions are compared with central finite differences in float64.
"""

from .suite import run_backend

__all__ = ["run_backend"]
