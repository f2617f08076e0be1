"""Complex gradients follow PyTorch (conjugate Wirtinger: dL/dRe + i dL/dIm): compared with
torch.autograd on the same inputs, and with finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make, to_numpy

from acarray.testing import check_grads

torch = pytest.importorskip("torch")

# (id, input shapes, acarray function of (xp, *z), torch function of (*z))
ROWS = [
    ("multiply", [(2, 3), (3,)], lambda xp, a, b: a * b, lambda a, b: a * b),
    ("divide", [(3,), (3,)], lambda xp, a, b: a / b, lambda a, b: a / b),
    ("add-subtract", [(3,), (3,)], lambda xp, a, b: a + 2 * b - a * 1j, lambda a, b: a + 2 * b - a * 1j),
    ("exp", [(3,)], lambda xp, a: xp.exp(a), torch.exp),
    ("log", [(3,)], lambda xp, a: xp.log(a), torch.log),
    ("sqrt", [(3,)], lambda xp, a: xp.sqrt(a), torch.sqrt),
    ("sin-tanh", [(3,)], lambda xp, a: xp.sin(a) + xp.tanh(a), lambda a: torch.sin(a) + torch.tanh(a)),
    ("reciprocal-square", [(3,)], lambda xp, a: xp.reciprocal(a) + xp.square(a), lambda a: torch.reciprocal(a) + torch.square(a)),
    ("pow", [(3,), (3,)], lambda xp, a, b: a ** b, lambda a, b: a ** b),
    ("abs", [(3,)], lambda xp, a: xp.abs(a), torch.abs),
    ("real", [(3,)], lambda xp, a: xp.real(a), torch.real),
    ("imag", [(3,)], lambda xp, a: xp.imag(a), torch.imag),
    ("conj", [(3,)], lambda xp, a: xp.conj(a), lambda a: torch.conj(a)),
    ("matmul", [(2, 3), (3, 2)], lambda xp, a, b: a @ b, lambda a, b: a @ b),
    ("matmul-vector", [(3,), (3,)], lambda xp, a, b: a @ b, lambda a, b: a @ b),
    ("vecdot", [(2, 3), (3,)], lambda xp, a, b: xp.vecdot(a, b), lambda a, b: torch.linalg.vecdot(a, b)),
    ("sum", [(2, 3)], lambda xp, a: xp.sum(a, axis=0), lambda a: torch.sum(a, dim=0)),
    ("prod", [(2, 3)], lambda xp, a: xp.prod(a, axis=1), lambda a: torch.prod(a, dim=1)),
    ("mean", [(2, 3)], lambda xp, a: xp.mean(a), torch.mean),
    ("cumulative_prod", [(4,)], lambda xp, a: xp.cumulative_prod(a), lambda a: torch.cumprod(a, dim=0)),
    ("fft", [(4,)], lambda xp, a: xp.fft.fft(a, n=5), lambda a: torch.fft.fft(a, n=5)),
    ("ifftn-ortho", [(2, 3)], lambda xp, a: xp.fft.ifftn(a, norm="ortho"), lambda a: torch.fft.ifftn(a, norm="ortho")),
    ("irfft", [(4,)], lambda xp, a: xp.fft.irfft(a), lambda a: torch.fft.irfft(a)),
    ("inv", [(3, 3)], lambda xp, a: xp.linalg.inv(a), torch.linalg.inv),
    ("det", [(3, 3)], lambda xp, a: xp.linalg.det(a), torch.linalg.det),
    ("solve", [(3, 3), (3, 2)], lambda xp, a, b: xp.linalg.solve(a, b), torch.linalg.solve),
    ("vector_norm", [(2, 3)], lambda xp, a: xp.linalg.vector_norm(a, axis=1), lambda a: torch.linalg.vector_norm(a, dim=1)),
    ("cholesky", [(3, 3)], lambda xp, a: xp.linalg.cholesky(_hpd(xp, a)), lambda a: torch.linalg.cholesky(_hpd(torch, a))),
    ("eigh", [(3, 3)], lambda xp, a: _eigh_function(xp, a), lambda a: _eigh_function(torch, a)),
    ("svd", [(3, 2)], lambda xp, a: _svd_function(xp, a), lambda a: _svd_function(torch, a)),
    ("eigvals", [(3, 3)], lambda xp, a: xp.linalg.eigvals(a), torch.linalg.eigvals),
    ("slogdet", [(3, 3)], lambda xp, a: xp.linalg.slogdet(a).logabsdet * 2 + xp.linalg.slogdet(a).sign,
     lambda a: torch.linalg.slogdet(a).logabsdet * 2 + torch.linalg.slogdet(a).sign),
    ("slogdet-sign", [(3, 3)], lambda xp, a: xp.linalg.slogdet(a).sign, lambda a: torch.linalg.slogdet(a).sign),
    ("pinv", [(2, 3)], lambda xp, a: xp.linalg.pinv(a), torch.linalg.pinv),
    ("getitem-where", [(4,)], lambda xp, a: xp.where(xp.real(a) > 0, a[::-1], a * 2),
     lambda a: torch.where(a.real > 0, torch.flip(a, (0,)), a * 2)),
]


def _ct(ns, a):
    """Conjugate transpose, for acarray namespaces and torch alike."""
    return ns.conj(a.mT)


def _hpd(ns, a):
    return a @ _ct(ns, a) + 3 * ns.eye(a.shape[-1], dtype=a.dtype)


def _eigh_function(ns, a):
    w, v = ns.linalg.eigh((a + _ct(ns, a)) / 2)
    return (v * ns.exp(w)[..., None, :]) @ _ct(ns, v)


def _svd_function(ns, a):
    u, s, vh = ns.linalg.svd(a, full_matrices=False)
    return (u * ns.sin(s)[..., None, :]) @ vh


def _complex_inputs(rng, shapes):
    return [rng.standard_normal(s) + 1j * rng.standard_normal(s) + (1.5 if len(s) < 2 else 0) for s in shapes]


def _torch_gradients(fn, values, cot):
    zs = [torch.tensor(v, requires_grad=True) for v in values]
    y = fn(*zs)
    c = torch.tensor(cot)
    loss = torch.sum(torch.real(y * torch.conj(c))) if y.is_complex() else torch.sum(y * c.real)
    loss.backward()
    return [z.grad.resolve_conj().numpy() for z in zs]


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_matches_torch_autograd(xp, rng, row):
    _, shapes, fn, torch_fn = row
    values = _complex_inputs(rng, shapes)
    if row[0] in ("inv", "det", "solve", "slogdet", "slogdet-sign"):  # keep the matrix well conditioned
        values[0] = values[0] + 3 * np.eye(3)
    zs = [xp.asarray(xp.asarray(v), requires_grad=True) for v in values]
    y = fn(xp, *zs)
    yn = to_numpy(y)
    cot = rng.standard_normal(yn.shape) + 1j * rng.standard_normal(yn.shape)
    loss = xp.sum(xp.real(y * xp.conj(xp.asarray(xp.asarray(cot))))) if np.iscomplexobj(yn) else \
        xp.sum(y * xp.asarray(xp.asarray(cot.real)))
    loss.backward()
    expected = _torch_gradients(torch_fn, values, cot)
    for z, e in zip(zs, expected):
        assert z.grad.dtype == xp.complex128
        np.testing.assert_allclose(to_numpy(z.grad), e, rtol=1e-10, atol=1e-12)
    check_grads(lambda *a: fn(xp, *a), *[xp.asarray(xp.asarray(v)) for v in values], rtol=1e-4, atol=1e-6)


def test_complex_qr(xp, rng):
    a = make(xp, rng, (3, 2), dtype="complex128")
    check_grads(lambda a: xp.linalg.qr(a).Q @ xp.linalg.qr(a).R * 2 + xp.linalg.qr(a).Q * 0.5, a, rtol=1e-4)


def test_descending_along_the_gradient_lowers_the_loss(xp, rng):
    z = make(xp, rng, (4,), dtype="complex128").requires_grad_(True)

    def loss(z):
        return xp.sum(xp.abs(z - (1 + 2j)) ** 2)

    before = loss(z)
    before.backward()
    with xp.no_grad():
        after = loss(z - 0.1 * z.grad)
    assert float(after) < float(before)
    np.testing.assert_allclose(to_numpy(z.grad), 2 * (to_numpy(z) - (1 + 2j)))


def test_complex64_gradient_keeps_dtype(xp, rng):
    z = make(xp, rng, (3,), dtype="complex64").requires_grad_(True)
    xp.sum(xp.abs(z * z)).backward()
    assert z.grad.dtype == xp.complex64


def test_real_input_complex_intermediate(xp, rng):
    x = make(xp, rng, (3,))
    check_grads(lambda x: xp.abs(xp.exp(xp.astype(x, xp.complex128) * 1j + x)), x, order=2)


def test_second_order_complex(xp, rng):
    z = make(xp, rng, (3,), dtype="complex128")
    check_grads(lambda z: z * z * xp.exp(z), z, order=2)
    check_grads(lambda z: xp.abs(z) ** 2, z, order=2)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy computes 0 / 0 for sign(0j)
def test_sign_of_complex_is_differentiable(xp, rng):
    z = make(xp, rng, (3,), dtype="complex128")
    check_grads(xp.sign, z, order=2)
    x = xp.asarray([0.0 + 0.0j, 1.0 + 1.0j], dtype=xp.complex128, requires_grad=True)
    xp.sum(xp.real(xp.sign(x))).backward()
    assert to_numpy(x.grad)[0] == 0


def test_slogdet_of_complex_matrix_second_order(xp, rng):
    a = make(xp, rng, (3, 3), dtype="complex128") + 3 * xp.eye(3, dtype=xp.complex128)
    check_grads(lambda a: xp.linalg.slogdet(a).sign * xp.linalg.slogdet(a).logabsdet, a, order=2, rtol=1e-4)
