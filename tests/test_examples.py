"""The example scripts run end to end (short settings), so they cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytest.importorskip("sklearn", reason="the examples need scikit-learn (pip install acarray[demo])")
pytest.importorskip("tqdm", reason="the demo needs tqdm (pip install acarray[demo])")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_cnn_demo_learns_in_one_short_epoch(capsys):
    accuracy = _load("digits_cnn").main(["--epochs", "1", "--batch-size", "16"])
    assert accuracy > 0.6  # chance is 0.1
    assert "test accuracy:" in capsys.readouterr().out


def test_digits_cnn_demo_runs_on_another_backend():
    assert _load("digits_cnn").main(["--epochs", "1", "--limit", "64", "--backend", "torch"]) >= 0.0


def test_mlp_example(capsys):
    assert _load("mlp_digits").main(["--epochs", "3"]) > 0.8
    assert "MLP test accuracy" in capsys.readouterr().out


def test_sine_gru_example_beats_repeating_the_last_value():
    result = _load("sine_gru").main(["--steps", "100", "--hidden", "16"])
    assert result["mse"] < result["last_value_mse"] / 4


def test_char_transformer_example_lowers_its_loss():
    result = _load("char_transformer").main(["--steps", "60", "--context", "16", "--dim", "32"])
    assert result["loss"] < 3.0  # about log(33) = 3.5 nats/char before training
    assert result["sample"].startswith("Beautiful is")


def test_scipy_minimize_example_converges_with_exact_derivatives(capsys):
    from scipy import optimize

    result = _load("scipy_minimize").main(["--n", "8"])
    assert np.abs(result["newton"].x - 1).max() < 1e-6 and result["newton"].success
    assert np.abs(result["fit"].x - [2.5, 1.3, 0.5]).max() < 0.05
    assert "trust-ncg with hessp" in capsys.readouterr().out
    # the derivatives it hands SciPy are SciPy's own closed forms
    import acarray

    f = _load("scipy_minimize").rosenbrock(acarray)
    x, p = np.linspace(-1.0, 1.5, 8), np.linspace(0.3, -0.7, 8)
    np.testing.assert_allclose(np.asarray(acarray.grad(f)(acarray.asarray(x))), optimize.rosen_der(x), rtol=1e-12)
    hv = acarray.hvp(f, (acarray.asarray(x),), (acarray.asarray(p),))[1][0]
    np.testing.assert_allclose(np.asarray(hv), optimize.rosen_hess_prod(x, p), rtol=1e-12)
