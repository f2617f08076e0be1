"""Rules written once for both backward modes.

A rule receives raw arrays and the backend's namespace in a plain backward pass,
Tensors and acarray's namespace when the pass is recorded (``create_graph=True``).
No method of an op asks which (``isinstance(..., Tensor)``): the helpers it calls
(``device_of``, ``moved``, ``unwrap``, ``apply_or_value``...) work on both.  The
second derivatives of the ops whose rules use those helpers are checked against
finite differences of their first derivatives.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import textwrap

import numpy as np
import pytest
from conftest import make, to_numpy

import acarray
import acarray.nn.functional as F
from acarray._autograd import Op, apply
from acarray._ops.creation import ToDevice
from acarray.autograd import grad
from acarray.testing import check_grads

PACKAGES = ("acarray._ops", "acarray.nn._ops")


def _op_classes():
    """Every Op subclass defined in the op packages, with its module's name."""
    found = []
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{package}.{info.name}")
            for value in vars(module).values():
                if inspect.isclass(value) and issubclass(value, Op) and value.__module__ == module.__name__:
                    found.append(value)
    return found


def _names_tensor(node) -> bool:
    """Whether the class argument of an isinstance call names Tensor (alone or in a tuple)."""
    if isinstance(node, ast.Tuple):
        return any(_names_tensor(e) for e in node.elts)
    return (isinstance(node, ast.Name) and node.id == "Tensor") or (
        isinstance(node, ast.Attribute) and node.attr == "Tensor")


def _mode_checks(fn) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    return [
        ast.unparse(node) for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"
        and len(node.args) == 2 and _names_tensor(node.args[1])
    ]


def test_no_rule_asks_whether_it_was_handed_tensors():
    checked, offending = 0, []
    for cls in _op_classes():
        for name in ("forward", "backward"):
            fn = cls.__dict__.get(name)
            if fn is None:
                continue
            checked += 1
            offending += [f"{cls.__module__}.{cls.__name__}.{name}: {c}" for c in _mode_checks(fn)]
    assert checked > 50, f"only {checked} rules found: the scan looks in the wrong place"
    assert not offending, "rules that branch on the mode:\n" + "\n".join(offending)


def test_the_scan_sees_a_mode_check():
    class Branching(Op):
        def backward(self, xp, g, inputs, out):
            return (g.data if isinstance(g, (int, acarray.Tensor)) else g,)

    assert _mode_checks(Branching.backward) == ["isinstance(g, (int, acarray.Tensor))"]


# -- second derivatives of the ops whose rules changed ----------------------------------------


@pytest.fixture(params=["numpy", "torch"])
def xp(request):
    if request.param == "torch" and importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed")
    return acarray.namespace(request.param)


def _second(fn, *inputs, **kw):
    check_grads(fn, *inputs, order=2, rtol=1e-4, atol=1e-6, **kw)


def test_to_device(xp, rng):
    _second(lambda x: apply(ToDevice, x * x, device=x.device) ** 2, make(xp, rng, (3,)))


LINALG = {
    "pinv-square": ((3, 3), lambda xp, a: xp.linalg.pinv(a + 2 * xp.eye(3, dtype=a.dtype))),
    "pinv-tall": ((4, 2), lambda xp, a: xp.linalg.pinv(a)),
    "pinv-wide": ((2, 4), lambda xp, a: xp.linalg.pinv(a)),
    "diagonal": ((2, 3, 4), lambda xp, a: xp.linalg.diagonal(a * a)),
    "diagonal-offset+1": ((3, 4), lambda xp, a: xp.linalg.diagonal(a * a, offset=1)),
    "diagonal-offset-2": ((4, 3), lambda xp, a: xp.linalg.diagonal(a * a, offset=-2)),
    "eigh": ((3, 3), lambda xp, a: _eigh_function(xp, (a + xp.matrix_transpose(a)) / 2)),
    "qr": ((4, 3), lambda xp, a: xp.linalg.qr(a).Q * 2 + xp.linalg.qr(a).R[0, ...]),
}


def _eigh_function(xp, s):
    w, v = xp.linalg.eigh(s)
    return xp.matmul(v * xp.exp(w)[..., None, :], xp.matrix_transpose(v))


@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg(xp, rng, name):
    shape, fn = LINALG[name]
    _second(lambda a: fn(xp, a), make(xp, rng, shape))


def test_complex_qr(xp, rng):
    a = make(xp, rng, (3, 3), dtype="complex128") + 2 * xp.eye(3, dtype=xp.complex128)
    _second(lambda a: xp.abs(xp.linalg.qr(a).Q) ** 2 + xp.real(xp.linalg.qr(a).R), a)


INDEXING = {
    "basic": lambda xp, x: (x * x)[1:, ::2],
    "new-axis": lambda xp, x: (x * x)[None, 0, :],
    "integers": lambda xp, x: (x * x)[xp.asarray(np.array([0, 2, 0])), :],
    "mask": lambda xp, x: (x * x)[to_mask(xp, x)],
    "take": lambda xp, x: xp.take(x * x, xp.asarray(np.array([3, 0, 3, 1])), axis=1),
    "take_along_axis": lambda xp, x: xp.take_along_axis(x * x, xp.asarray(np.array([[0, 0], [2, 1], [3, 3]])), axis=1),
}


def to_mask(xp, x):
    return xp.asarray(np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]]))


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing(xp, rng, name):
    _second(lambda x: INDEXING[name](xp, x), make(xp, rng, (3, 4)))


def test_setitem(xp, rng):
    def f(x, v):
        y = x * x
        y[1:, 1] = v * v
        return y * x

    _second(f, make(xp, rng, (3, 4)), make(xp, rng, (2,)))


def _labels(xp, values):
    return xp.asarray(np.array(values))


FUSED = {
    "sigmoid": ([(3, 4)], lambda xp: F.sigmoid),
    "gelu": ([(3, 4)], lambda xp: F.gelu),
    "cross_entropy": ([(4, 3)], lambda xp: lambda x: F.cross_entropy(x, _labels(xp, [0, 2, 1, 2]))),
    "cross_entropy-smoothed-ignored": ([(4, 3)], lambda xp: lambda x: F.cross_entropy(
        x, _labels(xp, [0, -100, 1, 2]), label_smoothing=0.1, reduction="sum")),
    "cross_entropy-probabilities": ([(4, 3), (4, 3)], lambda xp: lambda x, q: F.cross_entropy(x, xp.exp(q))),
    "bce_with_logits": ([(3, 4), (3, 4)], lambda xp: lambda z, t: F.binary_cross_entropy_with_logits(z, F.sigmoid(t))),
    "bce_with_logits-pos_weight": ([(3, 4), (3, 4), (4,)], lambda xp: lambda z, t, w: F.binary_cross_entropy_with_logits(
        z, F.sigmoid(t), pos_weight=xp.exp(w))),
    "conv2d": ([(1, 2, 4, 3), (2, 1, 2, 2), (2,)], lambda xp: lambda x, w, b: F.conv2d(
        x, w, b, stride=(2, 1), padding=1, groups=2)),
    "conv1d": ([(1, 2, 5), (3, 2, 2)], lambda xp: lambda x, w: F.conv1d(x, w, dilation=2)),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_fused(xp, rng, name):
    shapes, fn = FUSED[name]
    _second(fn(xp), *[make(xp, rng, s) for s in shapes])


def test_max_pool(xp, rng):
    x = xp.asarray(xp.asarray(rng.permutation(32).reshape(1, 2, 4, 4).astype(np.float64)))  # no ties
    _second(lambda t: F.max_pool2d(t, 2, stride=1, padding=1) ** 2, x)


# What the forward pass keeps for the first backward pass (the im2col matrix, the index of each
# window's maximum, the log-probabilities) serves a plain pass; a recorded pass through a retained
# graph, after a plain one has used it, gets the same second derivatives as one through a fresh graph.
RETAINED = {
    "conv2d": ([(1, 2, 4, 3), (2, 2, 2, 2)], lambda x, w: F.conv2d(x * x, w, padding=1)),
    "max_pool2d": ([(1, 2, 4, 4)], lambda x: F.max_pool2d(x * x, 2, stride=1, padding=1) ** 2),
    "cross_entropy": ([(4, 3)], lambda x: F.cross_entropy(x, _labels(x.__array_namespace__(), [0, 2, 1, 2]))),
}


def _hessian_vector_products(xp, f, inputs, vs, plain_first):
    inputs = [x.detach().requires_grad_(True) for x in inputs]
    loss = xp.sum(f(*inputs) ** 2)
    if plain_first:
        grad([loss], inputs, retain_graph=True)
    gs = grad([loss], inputs, create_graph=True)
    total = sum(xp.sum(g * v) for g, v in zip(gs, vs))
    return [to_numpy(h) for h in grad([total], inputs)]


@pytest.mark.parametrize("name", sorted(RETAINED))
def test_recorded_pass_after_a_plain_one(xp, rng, name):
    shapes, f = RETAINED[name]
    inputs = [make(xp, rng, s) for s in shapes]
    vs = [make(xp, rng, s) for s in shapes]
    fresh = _hessian_vector_products(xp, f, inputs, vs, plain_first=False)
    retained = _hessian_vector_products(xp, f, inputs, vs, plain_first=True)
    for a, b in zip(fresh, retained):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert any(np.abs(a).max() > 0 for a in fresh)
