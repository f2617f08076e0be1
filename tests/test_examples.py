"""The example scripts run end to end (short settings), so they cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
