"""Every case of the interop table, on each backend: (a) the result is a tensor of the same
backend, (b) its value is that of the same call on NumPy arrays, (c) its gradient matches
finite differences."""

from __future__ import annotations

import contextlib
import warnings
import zlib

import numpy as np
import pytest
import sklearn

import acarray
from acarray.testing import _to_numpy, check_grads

from .table import CASES, DOMAINS, README, case_id, readme_section, render

BACKENDS = ("numpy", "array_api_strict", "torch")


def _inputs(case):
    rng = np.random.default_rng(zlib.crc32(case_id(case).encode()))
    arrays = []
    for shape, domain in case.inputs:
        bounds = DOMAINS[domain]
        arrays.append(rng.standard_normal(shape) if bounds is None else rng.uniform(*bounds, size=shape))
    return arrays


def _context(case):
    if case.library == "scikit-learn":
        return sklearn.config_context(array_api_dispatch=True)
    return contextlib.nullcontext()


def _quiet(fn):
    def run(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return run


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case(case, backend):
    pytest.importorskip(backend)
    xp = acarray.namespace(backend)
    arrays = _inputs(case)
    tensors = [xp.asarray(xp.asarray(a), dtype=xp.float64) for a in arrays]
    call = _quiet(case.call)
    if backend in case.refused_on:
        with pytest.raises(TypeError, match=f"does not compute on the {backend} backend"):
            call(*tensors)
        return
    with _context(case):
        out = call(*tensors)
        assert isinstance(out, acarray.Tensor), f"{case_id(case)} returned {type(out).__name__}, not a Tensor"
        assert out.__array_namespace__() is xp
        expected = call(*arrays)
        np.testing.assert_allclose(_to_numpy(out), np.asarray(expected), rtol=1e-7, atol=1e-10)
        if case.grad:
            check_grads(call, *tensors, rtol=case.rtol, atol=1e-6)
        elif case.note.startswith("SciPy computes it with NumPy"):
            with pytest.raises(TypeError, match="refusing to convert a tensor that requires grad"):
                call(*(t.detach().requires_grad_(True) for t in tensors))


def test_readme_lists_the_table():
    section = readme_section(README.read_text())
    assert section, "README.md lacks the generated interop section"
    assert section == render(), "README's interop list is out of date: run `python -m tests.interop.table --write`"
