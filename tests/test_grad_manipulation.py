"""Gradients of the manipulation functions against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make, to_numpy

from acarray.testing import check_grads


def _int_array(xp, values):
    return xp.asarray(xp.asarray(np.asarray(values, dtype=np.int64)))


# (id, input shape, function of (xp, x)); each row is checked at order 1 on every backend.
UNARY_ROWS = [
    ("reshape", (2, 3), lambda xp, x: xp.reshape(x, (3, 2))),
    ("reshape-infer", (2, 3), lambda xp, x: xp.reshape(x, (-1,))),
    ("permute_dims", (2, 3, 4), lambda xp, x: xp.permute_dims(x, (2, 0, 1))),
    ("expand_dims", (2, 3), lambda xp, x: xp.expand_dims(x, axis=-1)),
    ("expand_dims-tuple", (2, 3), lambda xp, x: xp.expand_dims(x, axis=(0, 3))),
    ("squeeze", (2, 1, 3, 1), lambda xp, x: xp.squeeze(x, axis=(1, -1))),
    ("squeeze-int", (1, 3), lambda xp, x: xp.squeeze(x, axis=0)),
    ("flip-all", (2, 3), lambda xp, x: xp.flip(x)),
    ("flip-axis", (2, 3, 2), lambda xp, x: xp.flip(x, axis=(0, -1))),
    ("roll-flat", (2, 3), lambda xp, x: xp.roll(x, 2)),
    ("roll-axes", (2, 3), lambda xp, x: xp.roll(x, (1, -1), axis=(0, 1))),
    ("broadcast_to", (3, 1), lambda xp, x: xp.broadcast_to(x, (2, 3, 4))),
    ("tile", (2, 3), lambda xp, x: xp.tile(x, (2, 1, 3))),
    ("tile-short", (2, 3), lambda xp, x: xp.tile(x, (2,))),
    ("repeat-int", (2, 3), lambda xp, x: xp.repeat(x, 2, axis=1)),
    ("repeat-flat", (2, 3), lambda xp, x: xp.repeat(x, 3)),
    ("repeat-array", (2, 3), lambda xp, x: xp.repeat(x, _int_array(xp, [2, 0, 1]), axis=1)),
    ("repeat-negative-axis", (2, 3), lambda xp, x: xp.repeat(x, _int_array(xp, [1, 3]), axis=-2)),
    ("moveaxis", (2, 3, 4), lambda xp, x: xp.moveaxis(x, 0, -1)),
    ("moveaxis-tuple", (2, 3, 4), lambda xp, x: xp.moveaxis(x, (0, 1), (2, 0))),
    ("matrix_transpose", (2, 3, 4), lambda xp, x: xp.matrix_transpose(x)),
    ("T", (2, 3), lambda xp, x: x.T),
    ("mT", (2, 3, 4), lambda xp, x: x.mT),
    ("tril", (3, 4), lambda xp, x: xp.tril(x)),
    ("tril-k", (2, 3, 3), lambda xp, x: xp.tril(x, k=-1)),
    ("triu-k", (3, 4), lambda xp, x: xp.triu(x, k=1)),
    ("diff", (2, 5), lambda xp, x: xp.diff(x)),
    ("diff-n2-axis0", (4, 3), lambda xp, x: xp.diff(x, axis=0, n=2)),
    ("unstack", (2, 3), lambda xp, x: xp.unstack(x, axis=1)[2] * 2 + xp.unstack(x)[0][0]),
    ("concat-self", (2, 3), lambda xp, x: xp.concat([x, x * 2], axis=-1)),
    ("concat-none", (2, 3), lambda xp, x: xp.concat([x, x[0, ...]], axis=None)),
    ("stack-self", (2, 3), lambda xp, x: xp.stack([x, -x], axis=1)),
]


@pytest.mark.parametrize("row", UNARY_ROWS, ids=[r[0] for r in UNARY_ROWS])
def test_manipulation(xp, rng, row):
    _, shape, fn = row
    check_grads(lambda x: fn(xp, x), make(xp, rng, shape))


def test_concat_several_inputs(xp, rng):
    a, b, c = make(xp, rng, (2, 3)), make(xp, rng, (1, 3)), make(xp, rng, (4, 3))
    check_grads(lambda a, b, c: xp.concat([a, b, c], axis=0), a, b, c, order=2)
    check_grads(lambda a, b: xp.concat([a, b]), a, b)
    check_grads(lambda a, b: xp.concat([a, b], axis=None), a, b)


def test_concat_with_a_constant(xp, rng):
    a = make(xp, rng, (2, 3))
    const = xp.ones((1, 3), dtype=xp.float64)
    check_grads(lambda a: xp.concat([const, a]), a)


def test_stack(xp, rng):
    a, b = make(xp, rng, (2, 3)), make(xp, rng, (2, 3))
    check_grads(lambda a, b: xp.stack([a, b]), a, b)
    check_grads(lambda a, b: xp.stack((a, b), axis=-1), a, b)


def test_broadcast_arrays(xp, rng):
    a, b = make(xp, rng, (3, 1)), make(xp, rng, (4,))

    def fn(a, b):
        ba, bb = xp.broadcast_arrays(a, b)
        assert ba.shape == bb.shape == (3, 4)
        return ba * bb

    check_grads(fn, a, b, order=2)


def test_meshgrid(xp, rng):
    a, b, c = make(xp, rng, (2,)), make(xp, rng, (3,)), make(xp, rng, (4,))
    for indexing in ("xy", "ij"):
        grids = xp.meshgrid(a, b, c, indexing=indexing)
        expected = np.meshgrid(to_numpy(a), to_numpy(b), to_numpy(c), indexing=indexing)
        for g, e in zip(grids, expected):
            np.testing.assert_array_equal(to_numpy(g), e)
        check_grads(lambda a, b, c: xp.stack(xp.meshgrid(a, b, c, indexing=indexing)) * 1.0, a, b, c)


def test_diff_with_prepend_and_append(xp, rng):
    x, p, q = make(xp, rng, (2, 4)), make(xp, rng, (2, 1)), make(xp, rng, (2, 2))
    check_grads(lambda x, p, q: xp.diff(x, axis=1, prepend=p, append=q), x, p, q)
    check_grads(lambda x, q: xp.diff(x, n=2, append=q), x, q)


def test_diff_prepend_scalar(xp, rng):
    x = make(xp, rng, (4,))
    ref = np.diff(to_numpy(x), prepend=0.5)
    np.testing.assert_allclose(to_numpy(xp.diff(x, prepend=xp.asarray([0.5], dtype=xp.float64))), ref)


def test_second_order_through_rearrangements(xp, rng):
    x = make(xp, rng, (2, 3))
    check_grads(lambda x: xp.sum(xp.roll(xp.flip(x * x, axis=0), 1, axis=1) * xp.tile(x, (1, 1)), axis=0), x, order=2)


def test_diff_refuses_bad_input(xp, rng):
    with pytest.raises(ValueError, match="non-negative"):
        xp.diff(make(xp, rng, (3,)), n=-1)
    with pytest.raises(ValueError, match="0-d"):
        xp.diff(xp.asarray(1.0, dtype=xp.float64))


def test_meshgrid_broadcast_arrays_and_unstack_return_tuples(xp, rng):
    import array_api_strict as strict

    a, b = make(xp, rng, (3,)), make(xp, rng, (2,))
    m = make(xp, rng, (2, 3))
    sa, sb, sm = strict.asarray(to_numpy(a)), strict.asarray(to_numpy(b)), strict.asarray(to_numpy(m))
    for ours, theirs in [
        (xp.meshgrid(a, b), strict.meshgrid(sa, sb)),
        (xp.meshgrid(a, b, indexing="ij"), strict.meshgrid(sa, sb, indexing="ij")),
        (xp.meshgrid(a), strict.meshgrid(sa)),
        (xp.broadcast_arrays(m, a), strict.broadcast_arrays(sm, sa)),
        (xp.broadcast_arrays(a), strict.broadcast_arrays(sa)),
        (xp.unstack(m, axis=1), strict.unstack(sm, axis=1)),
    ]:
        assert type(ours) is tuple and type(theirs) is tuple  # the 2025.12 standard's return type
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            np.testing.assert_array_equal(to_numpy(o), np.asarray(t))
