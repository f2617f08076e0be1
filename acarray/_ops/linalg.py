"""Linear algebra: ``matmul``, ``tensordot``, ``vecdot`` and the ``linalg`` extension.

Decompositions have their own ops with the standard adjoint formulas (real and
complex Hermitian conventions as in PyTorch); everything expressible through
other differentiable functions (norms of matrices, ``trace``, ``outer``,
``matrix_power``, ``svdvals``...) is written that way and gets its gradient,
and its higher derivatives, for free.
"""

from __future__ import annotations

import math
from collections import namedtuple

import array_api_compat as compat

from .._autograd import Op, apply
from .._tensor import Tensor
from .common import backend_in, cj, device_of, is_complex, passthrough
from .dtype_rules import require, require_promotable
from .manipulation import broadcast_shapes, expand_dims, matrix_transpose, permute_dims, reshape
from .reductions import max as _max
from .reductions import min as _min
from .reductions import normalize_axes
from .reductions import sum as _sum

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


def _h(xp, a):
    """Conjugate transpose of the last two axes."""
    return cj(xp, xp.matrix_transpose(a))


def _eye_like(xp, a):
    n = a.shape[-1]
    return xp.eye(n, dtype=a.dtype, device=device_of(a))


class Matmul(Op):
    saves_inputs = True

    def forward(self, xp, a, b):
        return xp.matmul(a, b)

    def backward(self, xp, g, inputs, out):
        a, b = inputs
        na, nb = self.needs
        if a.ndim == 1 and b.ndim == 1:
            return (g * cj(xp, b) if na else None, g * cj(xp, a) if nb else None)
        if a.ndim == 1:
            g, a = xp.expand_dims(g, axis=-2), xp.expand_dims(a, axis=0)
        elif b.ndim == 1:
            g, b = xp.expand_dims(g, axis=-1), xp.expand_dims(b, axis=-1)
        ga = xp.matmul(g, _h(xp, b)) if na else None
        gb = xp.matmul(_h(xp, a), g) if nb else None
        if inputs[0].ndim == 1 and na:
            ga = ga[..., 0, :]
        if inputs[1].ndim == 1 and nb:
            gb = gb[..., 0]
        return (ga, gb)


def matmul(x1, x2, /):
    """Matrix product (1-D operands act as vectors, batch axes broadcast)."""
    require("matmul", "ifc", x1, x2)
    require_promotable("matmul", x1, x2)
    _check_inner(x1, x2)
    return apply(Matmul, x1, x2)


matmul.kinds = "ifc"  # type: ignore[attr-defined]  # what in-place @= checks


def _check_inner(x1, x2):
    """A clear error for operands that cannot be multiplied (lazy backends would fail only later)."""
    s1, s2 = getattr(x1, "shape", None), getattr(x2, "shape", None)
    if s1 is None or s2 is None:
        return
    if not s1 or not s2:
        raise ValueError("matmul needs arrays with at least one dimension, not 0-d arrays")
    k1, k2 = s1[-1], s2[-2] if len(s2) > 1 else s2[0]
    if isinstance(k1, int) and isinstance(k2, int) and k1 != k2:
        raise ValueError(f"matmul: shapes {tuple(s1)} and {tuple(s2)} do not match in the contracted dimension "
                         f"({k1} != {k2})")


def tensordot(x1, x2, /, *, axes=2):
    """Sum of products over ``axes`` (an int, or two sequences of axes), via ``matmul``."""
    require("tensordot", "ifc", x1, x2)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError("axes must be non-negative")
        a1 = tuple(range(x1.ndim - axes, x1.ndim))
        a2 = tuple(range(axes))
    else:
        a1, a2 = tuple(a % x1.ndim for a in axes[0]), tuple(a % x2.ndim for a in axes[1])
    if len(a1) != len(a2):
        raise ValueError("axes of x1 and x2 must have the same length")
    for i, j in zip(a1, a2):
        if x1.shape[i] != x2.shape[j]:
            raise ValueError(f"shape mismatch in tensordot: x1 axis {i} has {x1.shape[i]}, x2 axis {j} has {x2.shape[j]}")
    f1 = [i for i in range(x1.ndim) if i not in a1]
    f2 = [i for i in range(x2.ndim) if i not in a2]
    k = math.prod(x1.shape[i] for i in a1)
    A = reshape(permute_dims(x1, f1 + list(a1)), (math.prod(x1.shape[i] for i in f1), k))
    B = reshape(permute_dims(x2, list(a2) + f2), (k, math.prod(x2.shape[i] for i in f2)))
    return reshape(matmul(A, B), tuple(x1.shape[i] for i in f1) + tuple(x2.shape[i] for i in f2))


def vecdot(x1, x2, /, *, axis=-1):
    """Dot product of vectors along ``axis``: ``sum(conj(x1) * x2, axis)``."""
    require("vecdot", "ifc", x1, x2)
    require_promotable("vecdot", x1, x2)
    b = backend_in([x1, x2])
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"vecdot: x1 and x2 have {x1.shape[axis]} and {x2.shape[axis]} elements along axis {axis}")
    ns = b.ns
    products = ns.conj(x1) * x2 if is_complex(x1) else x1 * x2
    return _sum(products, axis=axis, dtype=products.dtype)  # sum would widen small integers


# -- the linalg extension -----------------------------------------------------------


class Inv(Op):
    saves_output = True

    def forward(self, xp, x):
        return xp.linalg.inv(x)

    def backward(self, xp, g, inputs, out):
        yh = _h(xp, out)
        return (-xp.matmul(xp.matmul(yh, g), yh),)


class Det(Op):
    """Determinant; its gradient is the conjugate transpose of the adjugate, det(A) A^-1 where A
    is invertible and from the SVD where a determinant is exactly 0 (that check forces
    computation on lazy backends)."""

    saves_inputs = saves_output = True

    def forward(self, xp, x):
        return xp.linalg.det(x)

    def backward(self, xp, g, inputs, out):
        a = inputs[0]
        if bool(xp.any(out == 0)):
            return (g[..., None, None] * _h(xp, _adjugate(xp, a)),)
        scale = (g * cj(xp, out))[..., None, None]
        return (scale * _h(xp, xp.linalg.inv(a)),)


def _adjugate(xp, a):
    """adj(A) = det(U) det(Vh) V diag(product of the other singular values) U^H, which is
    det(A) A^-1 where A is invertible and stays defined where it is singular."""
    u, s, vh = xp.linalg.svd(a)
    before = xp.cumulative_prod(s, axis=-1, include_initial=True)[..., :-1]
    after = xp.flip(xp.cumulative_prod(xp.flip(s, axis=-1), axis=-1, include_initial=True)[..., :-1], axis=-1)
    others = before * after
    if is_complex(a):
        others = xp.astype(others, a.dtype)
    phase = xp.linalg.det(u) * xp.linalg.det(vh)
    return phase[..., None, None] * xp.matmul(_h(xp, vh) * others[..., None, :], _h(xp, u))


class Slogdet(Op):
    """Sign and log-magnitude of the determinant.  Both come from d log det = tr(A^-1 dA): its
    real part moves the log-magnitude and its imaginary part turns a complex sign (a real
    sign is piecewise constant)."""

    n_out = 2
    saves_inputs = saves_output = True

    def forward(self, xp, x):
        r = xp.linalg.slogdet(x)
        return (r[0], r[1])

    def backward(self, xp, g, inputs, out):
        gsign, glog = g
        a = inputs[0]
        complex_input = is_complex(a)
        w = None if glog is None else (xp.astype(glog, a.dtype) if complex_input else glog)
        if gsign is not None and complex_input:
            turn = xp.astype(xp.imag(gsign * xp.conj(out[0])), a.dtype) * 1j
            w = turn if w is None else w + turn
        if w is None:
            return (None,)
        return (w[..., None, None] * _h(xp, xp.linalg.inv(a)),)


class Solve(Op):
    saves_inputs = saves_output = True

    def forward(self, xp, a, b):
        return xp.linalg.solve(a, b)

    def backward(self, xp, g, inputs, out):
        a, b = inputs
        vector = b.ndim == 1
        if vector:
            g, out = g[..., None], out[..., None]
        gb = xp.linalg.solve(_h(xp, a), g)
        ga = -xp.matmul(gb, _h(xp, out)) if self.needs[0] else None
        return (ga, gb[..., 0] if vector else gb)


class Cholesky(Op):
    saves_output = True

    def forward(self, xp, x, *, upper=False):
        self.upper = upper
        return xp.linalg.cholesky(x, upper=upper)

    def backward(self, xp, g, inputs, out):
        L = out
        if self.upper:
            L, g = _h(xp, L), _h(xp, g)
        phi = xp.matmul(_h(xp, L), g)
        phi = xp.tril(phi, k=-1) + 0.5 * xp.tril(xp.triu(phi))
        linv = xp.linalg.inv(L)
        ga = xp.matmul(xp.matmul(_h(xp, linv), phi), linv)
        return (0.5 * (ga + _h(xp, ga)),)


def _inverse_gaps(xp, lam):
    """F[..., i, j] = 1 / (lam_j - lam_i) off the diagonal, 0 on it."""
    gaps = lam[..., None, :] - lam[..., :, None]
    eye = _eye_like(xp, gaps) != 0
    return xp.where(eye, xp.zeros_like(gaps), 1 / xp.where(eye, xp.ones_like(gaps), gaps))


def _diag_embed(xp, v):
    return v[..., None, :] * _eye_like(xp, v[..., None, :] * v[..., :, None])


class Eigh(Op):
    """Symmetric/Hermitian eigendecomposition; the gradient is symmetrised (the input is assumed
    symmetric, as the decomposition only reads one triangle)."""

    n_out = 2
    saves_output = True

    def forward(self, xp, x):
        r = xp.linalg.eigh(x)
        return (r[0], r[1])

    def backward(self, xp, g, inputs, out):
        lam, v = out
        glam, gv = g
        inner = 0
        if gv is not None:
            inner = _inverse_gaps(xp, lam) * xp.matmul(_h(xp, v), gv)
        if glam is not None:
            inner = inner + _diag_embed(xp, xp.astype(glam, v.dtype) if is_complex(v) else glam)
        ga = xp.matmul(xp.matmul(v, inner), _h(xp, v))
        return (0.5 * (ga + _h(xp, ga)),)


class Eig(Op):
    """General eigendecomposition (complex results); gradient as in PyTorch's linalg.eig."""

    n_out = 2
    saves_inputs = saves_output = True

    def forward(self, xp, x):
        r = xp.linalg.eig(x)
        return (r[0], r[1])

    def backward(self, xp, g, inputs, out):
        lam, v = out
        glam, gv = g
        vh = _h(xp, v)
        inner = 0
        if gv is not None:
            vhgv = xp.matmul(vh, gv)
            re = xp.astype(xp.real(vhgv), v.dtype)
            diag_re = xp.sum(_eye_like(xp, re) * re, axis=-1)
            inner = (vhgv - xp.matmul(vh, v * diag_re[..., None, :])) * xp.conj(_inverse_gaps(xp, lam))
        if glam is not None:
            inner = inner + _diag_embed(xp, xp.astype(glam, v.dtype))
        return (xp.linalg.solve(vh, xp.matmul(inner, vh)),)


class SVD(Op):
    """Singular value decomposition; gradients for the reduced factors (full_matrices=False or
    square input), real or complex, following Townsend's formula."""

    n_out = 3
    saves_output = True

    def forward(self, xp, x, *, full_matrices=True):
        self.shape = tuple(x.shape)
        self.full = full_matrices
        r = xp.linalg.svd(x, full_matrices=full_matrices)
        return (r[0], r[1], r[2])

    def backward(self, xp, g, inputs, out):
        u, s, vh = out
        gu, gs, gvh = g
        m, n = self.shape[-2:]
        k = min(m, n)
        if self.full and m != n:
            if gu is not None or gvh is not None:
                raise RuntimeError(
                    "the gradient of svd with full_matrices=True is only defined for square matrices; "
                    "use full_matrices=False"
                )
        u, vh = u[..., :, :k], vh[..., :k, :]
        if gu is not None:
            gu = gu[..., :, :k]
        if gvh is not None:
            gvh = gvh[..., :k, :]
        v = _h(xp, vh)
        sc = xp.astype(s, u.dtype) if is_complex(u) else s
        inner = 0
        if gs is not None:
            inner = _diag_embed(xp, xp.astype(gs, u.dtype) if is_complex(u) else gs)
        if gu is None and gvh is None:
            return (xp.matmul(xp.matmul(u, inner), vh),)
        f = _inverse_gaps(xp, s * s)
        fc = xp.astype(f, u.dtype) if is_complex(u) else f
        ga_extra = 0
        if gu is not None:
            j = xp.matmul(_h(xp, u), gu)
            inner = inner + fc * (j - _h(xp, j)) * sc[..., None, :]
            if is_complex(u):
                # The phase of each singular pair is free: the imaginary diagonal of U^H gU has its own term.
                d = xp.sum(j * _eye_like(xp, j), axis=-1)
                inner = inner + _diag_embed(xp, (d - xp.astype(xp.real(d), d.dtype)) / sc)
            if m > k:
                proj = gu - xp.matmul(u, j)
                ga_extra = ga_extra + xp.matmul(proj / sc[..., None, :], vh)
        if gvh is not None:
            gv = _h(xp, gvh)
            kk = xp.matmul(vh, gv)
            inner = inner + sc[..., :, None] * (fc * (kk - _h(xp, kk)))
            if n > k:
                proj = gv - xp.matmul(v, kk)
                ga_extra = ga_extra + xp.matmul(u / sc[..., None, :], _h(xp, proj))
        return (xp.matmul(xp.matmul(u, inner), vh) + ga_extra,)


class QR(Op):
    """Reduced QR for m >= n; gradient as in TensorFlow's qr_grad."""

    n_out = 2
    saves_output = True

    def forward(self, xp, x, *, mode="reduced"):
        self.shape = tuple(x.shape)
        r = xp.linalg.qr(x, mode=mode)
        return (r[0], r[1])

    def backward(self, xp, g, inputs, out):
        q, r = out
        gq, gr = g
        m, n = self.shape[-2:]
        if m < n:
            raise RuntimeError("the gradient of qr is implemented for matrices with at least as many rows as columns")
        gq = xp.zeros_like(q) if gq is None else gq
        gr = xp.zeros_like(r) if gr is None else gr
        qdq = xp.matmul(_h(xp, q), gq)
        rdr = xp.matmul(r, _h(xp, gr))
        low = xp.tril(qdq - _h(xp, qdq) + rdr - _h(xp, rdr))
        rinv_h = _h(xp, xp.linalg.inv(r))
        ga = xp.matmul(q, gr + xp.matmul(low, rinv_h)) + xp.matmul(gq - xp.matmul(q, qdq), rinv_h)
        if is_complex(q):
            # R's diagonal is real: the imaginary part of diag(R dR^H - Q^H dQ) needs its own term.
            diag = (rdr - _h(xp, qdq)) * _eye_like(xp, rdr)
            correction = diag - xp.astype(xp.real(diag), diag.dtype)
            ga = ga + xp.matmul(xp.matmul(q, _h(xp, correction)), rinv_h)
        return (ga,)


class Pinv(Op):
    saves_inputs = saves_output = True

    def forward(self, xp, x, *, rtol=None):
        return xp.linalg.pinv(x, rtol=rtol)

    def backward(self, xp, g, inputs, out):
        a, p = inputs[0], out
        ph, gh = _h(xp, p), _h(xp, g)
        m, n = a.shape[-2:]
        eye_m = xp.eye(m, dtype=p.dtype, device=device_of(p))
        eye_n = xp.eye(n, dtype=p.dtype, device=device_of(p))
        t1 = -xp.matmul(xp.matmul(ph, g), ph)
        t2 = xp.matmul(xp.matmul(eye_m - xp.matmul(a, p), gh), xp.matmul(p, ph))
        t3 = xp.matmul(xp.matmul(ph, p), xp.matmul(gh, eye_n - xp.matmul(p, a)))
        return (t1 + t2 + t3,)


class VectorNorm(Op):
    """p-norms; at zero the 2-norm's gradient is 0 and ties of the inf-norm share it."""

    saves_inputs = saves_output = True

    def forward(self, xp, x, *, axis=None, keepdims=False, ord=2):
        self.shape = tuple(x.shape)
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims, self.ord = keepdims, ord
        return xp.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)

    def backward(self, xp, g, inputs, out):
        from .reductions import expand_to

        x, p = inputs[0], self.ord
        g = expand_to(xp, g, self.axes, self.keepdims, self.shape)
        y = expand_to(xp, out, self.axes, self.keepdims, self.shape)
        if p == 0:
            return (xp.zeros_like(x),)
        if p in (math.inf, -math.inf):
            hit = xp.astype(xp.abs(x) == y, g.dtype)
            return (g * xp.sign(x) * hit / xp.sum(hit, axis=self.axes, keepdims=True),)
        if p == 1:
            return (g * xp.sign(x),)
        safe = xp.where(y == 0, xp.ones_like(y), y)
        if p == 2:
            return (xp.where(y == 0, xp.zeros_like(g), g / safe) * x,)
        ax = xp.abs(x)
        if p < 1:  # |x| ** (p - 1) is infinite at x == 0, where sign(x) is 0: 0 there, as in PyTorch
            ax = xp.where(ax == 0, xp.ones_like(ax), ax)
        return (g * xp.sign(x) * ax ** (p - 1) / safe ** (p - 1) * xp.astype(y != 0, g.dtype),)


class Cross(Op):
    saves_inputs = True

    def forward(self, xp, a, b, *, axis=-1):
        self.axis = axis
        return xp.linalg.cross(a, b, axis=axis)

    def backward(self, xp, g, inputs, out):
        a, b = inputs
        ax = self.axis
        n = self.needs
        return (
            xp.linalg.cross(cj(xp, b), g, axis=ax) if n[0] else None,
            xp.linalg.cross(g, cj(xp, a), axis=ax) if n[1] else None,
        )


class Diagonal(Op):
    is_view = True

    def forward(self, xp, x, *, offset=0):
        self.shape, self.offset = tuple(x.shape), offset
        return xp.linalg.diagonal(x, offset=offset)

    def backward(self, xp, g, inputs, out):
        n, m = self.shape[-2:]
        k = self.offset
        first = min(max(-k, 0), n)  # an offset past the matrix has an empty diagonal
        length = g.shape[-1]
        dev = device_of(g)
        lead = tuple(g.shape[:-1])
        parts = [xp.zeros(lead + (first,), dtype=g.dtype, device=dev), g,
                 xp.zeros(lead + (n - first - length,), dtype=g.dtype, device=dev)]
        full = xp.concat(parts, axis=-1)
        return (full[..., :, None] * xp.eye(n, m, k=k, dtype=g.dtype, device=dev),)


def _floating(name, *arrays):
    """The standard's rule for the decompositions, solvers and norms: floating-point input only
    (NumPy would compute in float64 from integers, PyTorch refuses with its own error)."""
    require(f"linalg.{name}", "fc", *arrays)


def inv(x, /):
    """Inverse of square matrices."""
    _floating("inv", x)
    return apply(Inv, x)


def det(x, /):
    """Determinant of square matrices."""
    _floating("det", x)
    return apply(Det, x)


def slogdet(x, /):
    """Sign and log of the absolute value of the determinant (``SlogdetResult``)."""
    _floating("slogdet", x)
    return SlogdetResult(*apply(Slogdet, x))


def solve(x1, x2, /):
    """Solution of ``x1 @ x = x2`` (``x2`` may be a vector of shape (M,))."""
    _floating("solve", x1, x2)
    require_promotable("linalg.solve", x1, x2)
    return apply(Solve, x1, x2)


def cholesky(x, /, *, upper=False):
    """Cholesky factor of Hermitian positive-definite matrices."""
    _floating("cholesky", x)
    return apply(Cholesky, x, upper=upper)


def eigh(x, /):
    """Eigenvalues (ascending) and eigenvectors of symmetric/Hermitian matrices (``EighResult``)."""
    _floating("eigh", x)
    return EighResult(*apply(Eigh, x))


def eigvalsh(x, /):
    """Eigenvalues of symmetric/Hermitian matrices."""
    _floating("eigvalsh", x)
    return eigh(x).eigenvalues


def eig(x, /):
    """Eigenvalues and eigenvectors of general square matrices (complex, ``EigResult``)."""
    _floating("eig", x)
    return EigResult(*apply(Eig, x))


def eigvals(x, /):
    """Eigenvalues of general square matrices (complex)."""
    _floating("eigvals", x)
    return eig(x).eigenvalues


def svd(x, /, *, full_matrices=True):
    """``U, S, Vh`` with ``x = U @ diag(S) @ Vh`` (``SVDResult``)."""
    _floating("svd", x)
    return SVDResult(*apply(SVD, x, full_matrices=full_matrices))


def svdvals(x, /):
    """Singular values, in descending order."""
    _floating("svdvals", x)
    return svd(x, full_matrices=False).S


def qr(x, /, *, mode="reduced"):
    """QR decomposition (``QRResult``)."""
    _floating("qr", x)
    return QRResult(*apply(QR, x, mode=mode))


def _rtol(name, x, rtol):
    """``rtol`` of pinv or matrix_rank as every backend takes it: None, a Python float, or a raw
    real floating-point array that broadcasts to the stack of matrices, ``x.shape[:-2]``.  It
    carries no gradient: the results are piecewise constant in it."""
    if rtol is None:
        return None
    if isinstance(rtol, (int, float)) and not isinstance(rtol, bool):
        return float(rtol)
    if not (hasattr(rtol, "dtype") and hasattr(rtol, "shape")):
        raise TypeError(f"linalg.{name}: rtol must be a float or a real floating-point array, got {rtol!r}")
    b = backend_in([x, rtol])
    if b.kind(rtol.dtype) != "f":
        raise TypeError(f"linalg.{name}: rtol must have a real floating-point dtype, got {rtol.dtype}")
    stack, shape = tuple(x.shape[:-2]), tuple(rtol.shape)
    try:
        fits = broadcast_shapes(shape, stack) == stack
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"linalg.{name}: rtol of shape {shape} does not broadcast to the stack of matrices, "
                         f"shape {stack} (x has shape {tuple(x.shape)})")
    return rtol.data if isinstance(rtol, Tensor) else rtol


def pinv(x, /, *, rtol=None):
    """Moore-Penrose pseudo-inverse; singular values up to ``rtol`` times the largest count as zero
    (``rtol``: a float, or an array broadcasting to the stack of matrices)."""
    _floating("pinv", x)
    return apply(Pinv, x, rtol=_rtol("pinv", x, rtol))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector p-norm over ``axis`` (all axes by default)."""
    _floating("vector_norm", x)
    if axis == ():  # every "vector" is one element (some backends would reduce over all axes)
        ns = backend_in([x]).ns
        size = ns.abs(x)
        return ns.astype(size != 0, size.dtype) if ord == 0 else size
    if x.size == 0 and isinstance(ord, (int, float)) and (ord == math.inf or -math.inf < ord < 0):
        # norms of no elements: 0 ** (1/p) = inf for p < 0, and 0 for the max (PyTorch refuses both)
        ns = backend_in([x]).ns
        total = ns.sum(ns.abs(x), axis=axis, keepdims=keepdims)
        return total if ord == math.inf else total ** (1 / ord)
    return apply(VectorNorm, x, axis=axis, keepdims=keepdims, ord=ord)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm of the last two axes: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    _floating("matrix_norm", x)
    if ord == "fro":
        return vector_norm(x, axis=(-2, -1), keepdims=keepdims)
    if ord == "nuc":
        r = _sum(svdvals(x), axis=-1)
    elif ord in (2, -2):
        r = (_max if ord == 2 else _min)(svdvals(x), axis=-1)
    elif ord in (1, -1, math.inf, -math.inf):
        ns = backend_in([x]).ns
        sums = _sum(ns.abs(x), axis=-2 if ord in (1, -1) else -1)
        r = (_max if ord > 0 else _min)(sums, axis=-1)
    else:
        raise ValueError(f"unsupported matrix norm order {ord!r}")
    return expand_dims(r, axis=(-2, -1)) if keepdims else r


class Identities(Op):
    """Identity matrices of ``x``'s shape (``matrix_power(x, 0)``): a function of ``x`` whose
    gradient is zero, so the result stays in the graph as PyTorch's does."""

    def forward(self, xp, x):
        eye = xp.eye(x.shape[-1], dtype=x.dtype, device=compat.device(x))
        return xp.asarray(xp.broadcast_to(eye, tuple(x.shape)), copy=True)

    def backward(self, xp, g, inputs, out):
        return (xp.zeros_like(g),)


def matrix_power(x, n, /):
    """``x`` multiplied by itself ``n`` times (negative ``n`` inverts first)."""
    _floating("matrix_power", x)
    if not isinstance(n, int):
        raise TypeError("matrix_power needs an integer power")
    if n < 0:
        x, n = inv(x), -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is None:
        return apply(Identities, x)
    return result


def outer(x1, x2, /):
    """Outer product of two vectors."""
    require("linalg.outer", "ifc", x1, x2)
    require_promotable("linalg.outer", x1, x2)
    ns = backend_in([x1, x2]).ns
    return ns.multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def cross(x1, x2, /, *, axis=-1):
    """Cross product of 3-vectors along ``axis``."""
    require("linalg.cross", "ifc", x1, x2)
    require_promotable("linalg.cross", x1, x2)
    return apply(Cross, x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    """Diagonal ``offset`` of the last two axes."""
    return apply(Diagonal, x, offset=offset)


def trace(x, /, *, offset=0, dtype=None):
    """Sum of diagonal ``offset`` of the last two axes."""
    require("linalg.trace", "ifc", x)
    return _sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


_matrix_rank = passthrough("matrix_rank", "linalg")


def matrix_rank(x, /, *, rtol=None):
    """Rank of matrices: how many singular values exceed ``rtol`` times the largest (a count, no gradient)."""
    _floating("matrix_rank", x)
    return _matrix_rank(x, rtol=_rtol("matrix_rank", x, rtol))

LINALG_FUNCTIONS = (
    "cholesky cross det diagonal eig eigh eigvals eigvalsh inv matmul matrix_norm matrix_power "
    "matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot "
    "vector_norm"
).split()

__all_linalg__ = {name: globals()[name] for name in LINALG_FUNCTIONS if name in globals()}
__all_linalg__["matrix_transpose"] = matrix_transpose
