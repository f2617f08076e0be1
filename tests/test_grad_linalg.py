"""Gradients of matmul, tensordot, vecdot and the linalg extension against finite differences.

Decompositions are checked through functions that do not depend on the arbitrary
parts of the factorisation (signs and phases of eigen- and singular vectors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import make, to_numpy

from acarray.testing import check_grads


def spd(xp, a):
    """A symmetric positive-definite matrix built differentiably from ``a``."""
    n = a.shape[-1]
    return xp.matmul(a, xp.matrix_transpose(a)) + n * xp.eye(n, dtype=a.dtype)


def sym(xp, a):
    return (a + xp.matrix_transpose(a)) / 2


def well_conditioned(xp, rng, shape):
    """Random square matrices close to 2 I, so inverses and solves are tame."""
    n = shape[-1]
    return make(xp, rng, shape) * 0.3 + 2 * xp.eye(n, dtype=xp.float64)


def eig_reconstruction(xp, a):
    w, v = xp.linalg.eig(a)
    return xp.matmul(v * xp.exp(w)[..., None, :], xp.linalg.inv(v))


def svd_function(xp, a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    parts = (xp.matmul(u * xp.sin(s)[..., None, :], vh), xp.matmul(u, xp.matrix_transpose(u)),
             xp.matmul(xp.matrix_transpose(vh), vh))
    return xp.concat([xp.reshape(p, (-1,)) for p in parts])


# (id, input shapes, input kind, function of (xp, *inputs), second order?)
# kind: "any" standard normal, "square" well-conditioned square matrices
ROWS = [
    ("matmul-1d-1d", [(3,), (3,)], "any", lambda xp, a, b: xp.matmul(a, b), True),
    ("matmul-1d-2d", [(3,), (3, 2)], "any", lambda xp, a, b: a @ b, True),
    ("matmul-2d-1d", [(2, 3), (3,)], "any", lambda xp, a, b: a @ b, False),
    ("matmul-2d-2d", [(2, 3), (3, 4)], "any", lambda xp, a, b: a @ b, True),
    ("matmul-batched-broadcast", [(2, 1, 2, 3), (3, 3, 2)], "any", lambda xp, a, b: a @ b, False),
    ("matmul-batched-1d", [(2, 2, 3), (3,)], "any", lambda xp, a, b: a @ b, False),
    ("matmul-1d-batched", [(2,), (3, 2, 4)], "any", lambda xp, a, b: a @ b, False),
    ("tensordot-int", [(2, 3, 4), (3, 4, 2)], "any", lambda xp, a, b: xp.tensordot(a, b, axes=2), False),
    ("tensordot-pairs", [(2, 3, 4), (4, 2)], "any", lambda xp, a, b: xp.tensordot(a, b, axes=((0, -1), (1, 0))), False),
    ("tensordot-0", [(2,), (3,)], "any", lambda xp, a, b: xp.tensordot(a, b, axes=0), False),
    ("vecdot", [(2, 3), (3,)], "any", lambda xp, a, b: xp.vecdot(a, b), True),
    ("vecdot-axis", [(3, 2), (3, 1)], "any", lambda xp, a, b: xp.vecdot(a, b, axis=0), False),
    ("linalg.matmul", [(2, 3), (3,)], "any", lambda xp, a, b: xp.linalg.matmul(a, b), False),
    ("inv", [(2, 3, 3)], "square", lambda xp, a: xp.linalg.inv(a), True),
    ("det", [(2, 3, 3)], "square", lambda xp, a: xp.linalg.det(a), True),
    ("slogdet", [(3, 3)], "square", lambda xp, a: xp.linalg.slogdet(-a).logabsdet, True),
    ("solve-matrix", [(3, 3), (3, 2)], "square", lambda xp, a, b: xp.linalg.solve(a, b), True),
    ("solve-vector", [(3, 3), (3,)], "square", lambda xp, a, b: xp.linalg.solve(a, b), False),
    ("solve-batched", [(2, 3, 3), (2, 3, 1)], "square", lambda xp, a, b: xp.linalg.solve(a, b), False),
    ("cholesky", [(2, 3, 3)], "any", lambda xp, a: xp.linalg.cholesky(spd(xp, a)), True),
    ("cholesky-upper", [(3, 3)], "any", lambda xp, a: xp.linalg.cholesky(spd(xp, a), upper=True), False),
    ("eigvalsh", [(2, 3, 3)], "any", lambda xp, a: xp.linalg.eigvalsh(sym(xp, a)), True),
    ("eigh", [(3, 3)], "any", lambda xp, a: _eigh_function(xp, sym(xp, a)), True),
    ("svdvals", [(3, 2)], "any", lambda xp, a: xp.linalg.svdvals(a), True),
    ("svd-tall", [(4, 2)], "any", lambda xp, a: svd_function(xp, a), False),
    ("svd-wide", [(2, 3)], "any", svd_function, False),
    ("svd-square-batched", [(2, 3, 3)], "any", lambda xp, a: svd_function(xp, a), False),
    ("qr", [(4, 3)], "any", lambda xp, a: xp.linalg.qr(a).Q * 2 + xp.linalg.qr(a).R[0, ...], False),
    ("qr-square-batched", [(2, 3, 3)], "square", lambda xp, a: xp.matmul(*xp.linalg.qr(a)) + xp.linalg.qr(a)[0], False),
    ("pinv-square", [(3, 3)], "square", lambda xp, a: xp.linalg.pinv(a), True),
    ("pinv-tall", [(4, 2)], "any", lambda xp, a: xp.linalg.pinv(a), False),
    ("pinv-wide", [(2, 4)], "any", lambda xp, a: xp.linalg.pinv(a), False),
    ("trace", [(2, 3, 3)], "any", lambda xp, a: xp.linalg.trace(a), False),
    ("trace-offset", [(3, 4)], "any", lambda xp, a: xp.linalg.trace(a, offset=-1), False),
    ("diagonal", [(2, 3, 4)], "any", lambda xp, a: xp.linalg.diagonal(a), False),
    ("diagonal-offset+1", [(3, 4)], "any", lambda xp, a: xp.linalg.diagonal(a, offset=1), False),
    ("diagonal-offset-2", [(4, 3)], "any", lambda xp, a: xp.linalg.diagonal(a, offset=-2), False),
    ("cross", [(2, 3), (3,)], "any", lambda xp, a, b: xp.linalg.cross(a, b), True),
    ("cross-axis", [(3, 2), (3, 2)], "any", lambda xp, a, b: xp.linalg.cross(a, b, axis=-2), False),
    ("outer", [(3,), (2,)], "any", lambda xp, a, b: xp.linalg.outer(a, b), True),
    ("matrix_power-3", [(3, 3)], "any", lambda xp, a: xp.linalg.matrix_power(a, 3), True),
    ("matrix_power-0", [(2, 2)], "any", lambda xp, a: xp.linalg.matrix_power(a, 0) * a, False),
    ("matrix_power-neg", [(2, 3, 3)], "square", lambda xp, a: xp.linalg.matrix_power(a, -2), False),
    ("matrix_transpose", [(2, 3)], "any", lambda xp, a: xp.linalg.matrix_transpose(a), False),
    ("eigvals", [(3, 3)], "any", lambda xp, a: xp.linalg.eigvals(a), False),
    ("eig", [(3, 3)], "any", eig_reconstruction, False),
]


def _eigh_function(xp, s):
    w, v = xp.linalg.eigh(s)
    return xp.matmul(v * xp.exp(w)[..., None, :], xp.matrix_transpose(v)) + xp.matmul(v * w[..., None, :], xp.matrix_transpose(v))


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_linalg(xp, rng, row):
    name, shapes, kind, fn, second = row
    if name.startswith("eig") and not name.startswith("eigvalsh") and name != "eigh":
        _needs_eig(xp)
    if kind == "square":
        inputs = [well_conditioned(xp, rng, shapes[0])] + [make(xp, rng, s) for s in shapes[1:]]
    else:
        inputs = [make(xp, rng, s) for s in shapes]
    check_grads(lambda *a: fn(xp, *a), *inputs, rtol=1e-4, atol=1e-5, order=2 if second else 1)


def _needs_eig(xp):
    if not hasattr(xp.backend.xp.linalg, "eig"):
        pytest.skip(f"{xp.backend.name} has no linalg.eig")


def test_eig_with_real_eigenvalues_is_complex(xp, rng):
    _needs_eig(xp)
    a = xp.asarray([[2.0, 1.0], [0.0, 3.0]], dtype=xp.float64)
    w, v = xp.linalg.eig(a)
    assert w.dtype == xp.complex128 and v.dtype == xp.complex128
    check_grads(lambda a: xp.real(xp.linalg.eigvals(a)), a)


MATRIX_ORDS = ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm(xp, rng, ord):
    a = make(xp, rng, (2, 3, 4))
    np.testing.assert_allclose(to_numpy(xp.linalg.matrix_norm(a, ord=ord)), np.linalg.norm(to_numpy(a), ord=ord, axis=(-2, -1)))
    check_grads(lambda a: xp.linalg.matrix_norm(a, ord=ord), a, rtol=1e-4)
    assert xp.linalg.matrix_norm(a, ord=ord, keepdims=True).shape == (2, 1, 1)


VECTOR_ORDS = [2, 1, 3, 0.5, -1, math.inf, -math.inf, 0]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("axis, keepdims", [(None, False), (-1, True), ((0, 2), False)])
def test_vector_norm(xp, rng, ord, axis, keepdims):
    x = make(xp, rng, (2, 3, 2))
    y = xp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims)
    expected = np.linalg.norm(np.reshape(to_numpy(x), -1), ord=ord) if axis is None else None
    if expected is not None:
        np.testing.assert_allclose(to_numpy(y), expected)
    check_grads(lambda x: xp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims), x)


def test_vector_norm_zero_order_has_zero_gradient(xp, rng):
    x = make(xp, rng, (4,)).requires_grad_(True)
    y = xp.linalg.vector_norm(x, ord=0)
    assert float(y) == 4.0
    y.backward()
    np.testing.assert_array_equal(to_numpy(x.grad), np.zeros(4))


def test_two_norm_gradient_at_zero_is_zero(xp):
    x = xp.zeros((3,), dtype=xp.float64)
    x.requires_grad_(True)
    xp.linalg.vector_norm(x).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), np.zeros(3))


def test_inf_norm_ties_share_the_gradient(xp):
    x = xp.asarray([-2.0, 1.0, 2.0], dtype=xp.float64, requires_grad=True)
    xp.linalg.vector_norm(x, ord=math.inf).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [-0.5, 0.0, 0.5])


def test_svd_full_matrices_gradient_on_non_square_refuses(xp, rng):
    a = make(xp, rng, (3, 2)).requires_grad_(True)
    u, s, vh = xp.linalg.svd(a)
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        xp.sum(u).backward()


def test_decomposition_results_are_named(xp, rng):
    a = well_conditioned(xp, rng, (3, 3))
    assert xp.linalg.slogdet(a).sign.shape == ()
    assert xp.linalg.eigh(sym(xp, a)).eigenvectors.shape == (3, 3)
    assert xp.linalg.svd(a).Vh.shape == (3, 3)
    assert xp.linalg.qr(a).R.shape == (3, 3)


def test_matrix_rank_has_no_gradient(xp, rng):
    a = make(xp, rng, (3, 3)).requires_grad_(True)
    r = xp.linalg.matrix_rank(a)
    assert int(r) == 3 and not r.requires_grad


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_det_gradient_at_a_singular_matrix_is_the_adjugate(xp, rng, dtype):
    singular = to_numpy(make(xp, rng, (3, 3), dtype=dtype))
    singular[1] = 0  # a zero row: the determinant is exactly 0 (inverting fails)
    an = np.stack([singular, singular + 2 * np.eye(3)])
    a = xp.asarray(xp.asarray(an), requires_grad=True)
    d = xp.linalg.det(a)
    assert float(xp.abs(d[0])) == 0.0
    xp.sum(xp.real(d)).backward()
    cofactors = np.stack([np.linalg.det(np.delete(np.delete(m, i, 0), j, 1)) * (-1) ** (i + j)
                          for m in an for i in range(3) for j in range(3)]).reshape(2, 3, 3)
    np.testing.assert_allclose(to_numpy(a.grad), np.conj(cofactors), atol=1e-10)


# -- the dtype kinds the standard allows -------------------------------------------------
#
# name -> (kinds the standard allows, call of (namespace's linalg, square matrix, 2x3 matrix));
# "fc" floating-point only, "ifc" numeric.  array-api-strict refuses the same, except for
# matrix_rank, which it computes from integers (the standard asks for floating-point input).
LINALG_KINDS = {
    "inv": ("fc", lambda la, m, r: la.inv(m)),
    "det": ("fc", lambda la, m, r: la.det(m)),
    "slogdet": ("fc", lambda la, m, r: la.slogdet(m)),
    "solve": ("fc", lambda la, m, r: la.solve(m, m)),
    "cholesky": ("fc", lambda la, m, r: la.cholesky(m)),
    "eigh": ("fc", lambda la, m, r: la.eigh(m)),
    "eigvalsh": ("fc", lambda la, m, r: la.eigvalsh(m)),
    "eig": ("fc", lambda la, m, r: la.eig(m)),
    "eigvals": ("fc", lambda la, m, r: la.eigvals(m)),
    "svd": ("fc", lambda la, m, r: la.svd(m)),
    "svdvals": ("fc", lambda la, m, r: la.svdvals(m)),
    "qr": ("fc", lambda la, m, r: la.qr(m)),
    "pinv": ("fc", lambda la, m, r: la.pinv(m)),
    "matrix_rank": ("fc", lambda la, m, r: la.matrix_rank(m)),
    "matrix_norm": ("fc", lambda la, m, r: la.matrix_norm(m, ord=1)),
    "vector_norm": ("fc", lambda la, m, r: la.vector_norm(m)),
    "matrix_power": ("fc", lambda la, m, r: la.matrix_power(m, 2)),
    "matmul": ("ifc", lambda la, m, r: la.matmul(m, r)),
    "tensordot": ("ifc", lambda la, m, r: la.tensordot(m, r, axes=1)),
    "vecdot": ("ifc", lambda la, m, r: la.vecdot(r, r)),
    "outer": ("ifc", lambda la, m, r: la.outer(r[0, :], r[1, :])),
    "trace": ("ifc", lambda la, m, r: la.trace(m)),
    "cross": ("ifc", lambda la, m, r: la.cross(r, r[::-1, :])),
    "diagonal": ("bifc", lambda la, m, r: la.diagonal(r)),
    "matrix_transpose": ("bifc", lambda la, m, r: la.matrix_transpose(r)),
}
KIND_INPUTS = {"i": ([[2, 1], [1, 3]], [[1, 2, 3], [4, 5, 6]]),
               "b": ([[True, False], [False, True]], [[True, False, True], [False, True, True]])}


def _strict_refuses(call, kind):
    import array_api_strict as strict

    m, r = (strict.asarray(v) for v in KIND_INPUTS[kind])
    try:
        call(strict.linalg, m, r)
    except TypeError:
        return True
    return False


@pytest.mark.parametrize("name", sorted(LINALG_KINDS))
@pytest.mark.parametrize("kind", ["i", "b"])
def test_linalg_refuses_the_dtypes_the_standard_does_not_allow(xp, name, kind):
    kinds, call = LINALG_KINDS[name]
    allowed = kind in kinds
    if name != "matrix_rank":
        assert _strict_refuses(call, kind) != allowed, "array-api-strict is the reference here"
    m, r = (xp.asarray(v) for v in KIND_INPUTS[kind])
    if allowed:
        call(xp.linalg, m, r)
        return
    with pytest.raises(TypeError) as info:
        call(xp.linalg, m, r)
    message = str(info.value)
    assert name in message and str(m.dtype) in message, message
    if kinds == "fc":
        assert f"linalg.{name}" in message and "cast it to a floating-point dtype" in message, message


def test_inv_of_integers_names_the_function_the_dtype_and_the_cast(xp):
    with pytest.raises(TypeError, match=r"linalg\.inv needs .*floating-point.*int64; cast it to a floating-point "
                                        r"dtype with astype first"):
        xp.linalg.inv(xp.asarray([[2, 1], [1, 3]], dtype=xp.int64))


# -- pinv and matrix_rank with a tolerance --------------------------------------------------

def _with_singular_values(rng, batch, m, n, values):
    """Matrices of shape batch + (m, n) with the given singular values (the same for each)."""
    k = min(m, n)
    q1 = np.linalg.qr(rng.standard_normal(batch + (m, m)))[0][..., :, :k]
    q2 = np.linalg.qr(rng.standard_normal(batch + (n, n)))[0][..., :, :k]
    return (q1 * np.asarray(values)) @ np.swapaxes(q2, -1, -2)


# rtol as a float, a 0-d array and arrays broadcasting to the stack (2, 3); the singular values
# 1, 0.1 and 1e-3 are cut at different places by each.
RTOLS = {
    "float": lambda: 0.05,
    "0-d": lambda: np.array(0.05),
    "per column of the stack": lambda: np.array([0.5, 0.05, 1e-6]),
    "per row of the stack": lambda: np.array([[0.05], [1e-6]]),
    "per matrix": lambda: np.array([[0.5, 0.05, 1e-6], [1e-6, 0.5, 0.05]]),
}


def _rtol_of(xp, r):
    return r if isinstance(r, float) else xp.asarray(xp.asarray(r))


@pytest.mark.parametrize("rtol", list(RTOLS), ids=str)
def test_pinv_takes_rtol_as_a_float_or_an_array_and_matches_torch(xp, rng, rtol):
    torch = pytest.importorskip("torch")
    an = _with_singular_values(rng, (2, 3), 4, 3, [1.0, 0.1, 1e-3])
    r = RTOLS[rtol]()
    a = xp.asarray(xp.asarray(an), requires_grad=True)
    p = xp.linalg.pinv(a, rtol=_rtol_of(xp, r))
    w = rng.standard_normal(p.shape)
    xp.sum(p * xp.asarray(xp.asarray(w))).backward()
    ta = torch.tensor(an, requires_grad=True)
    tp = torch.linalg.pinv(ta, rtol=r if isinstance(r, float) else torch.tensor(r))
    (tp * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(to_numpy(p), tp.detach().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(to_numpy(a.grad), ta.grad.numpy(), rtol=1e-7, atol=1e-9)
    rank = xp.linalg.matrix_rank(xp.asarray(xp.asarray(an)), rtol=_rtol_of(xp, r))
    trank = torch.linalg.matrix_rank(torch.tensor(an), rtol=r if isinstance(r, float) else torch.tensor(r))
    np.testing.assert_array_equal(to_numpy(rank), trank.numpy())
    assert not rank.requires_grad


def test_pinv_gradient_with_an_array_rtol_matches_finite_differences(xp, rng):
    an = _with_singular_values(rng, (2,), 3, 2, [1.0, 0.5])
    rtol = xp.asarray(xp.asarray(np.array([1e-3, 0.1])))  # keeps every singular value
    check_grads(lambda a: xp.linalg.pinv(a, rtol=rtol), xp.asarray(xp.asarray(an)), rtol=1e-4, atol=1e-6)


def test_rtol_must_be_real_floating_and_fit_the_stack(xp, rng):
    a = xp.asarray(xp.asarray(_with_singular_values(rng, (2,), 3, 3, [1.0, 0.5, 0.1])))
    for fn in (xp.linalg.pinv, xp.linalg.matrix_rank):
        with pytest.raises(TypeError, match="rtol must have a real floating-point dtype"):
            fn(a, rtol=xp.asarray([1, 2]))
        with pytest.raises(ValueError, match=r"rtol of shape \(3,\) does not broadcast to the stack"):
            fn(a, rtol=xp.asarray([0.1, 0.1, 0.1]))
        with pytest.raises(TypeError, match="rtol must be a float or"):
            fn(a, rtol="small")
