"""A type checker reads Tensor results from ``acarray.nn``: its functions, and calls of its layers
(what a layer's call returns is what its ``forward`` is annotated to return)."""

from __future__ import annotations

from pathlib import Path

from mypy_reveal import assert_reveals

ROOT = Path(__file__).resolve().parents[1]
TENSOR = "acarray._tensor.Tensor"
PAIR = f"tuple[{TENSOR}, {TENSOR}]"

REVEALED = [
    ("F.relu(x)", TENSOR),
    ("F.softmax(x, axis=0)", TENSOR),
    ("F.linear(x, w)", TENSOR),
    ("F.conv2d(img, k)", TENSOR),
    ("F.layer_norm(x, (3,))", TENSOR),
    ("F.dropout(x, 0.5)", TENSOR),
    ("F.scaled_dot_product_attention(seq, seq, seq)", TENSOR),
    ("F.cross_entropy(x, labels)", TENSOR),
    ("nn.Linear(3, 4)(x)", TENSOR),
    ("nn.ReLU()(x)", TENSOR),
    ("nn.Softmax(dim=1)(x)", TENSOR),
    ("nn.Conv2d(1, 2, 3)(img)", TENSOR),
    ("nn.MaxPool2d(2)(img)", TENSOR),
    ("nn.Sequential(nn.Linear(3, 4), nn.ReLU())(x)", TENSOR),
    ("nn.LayerNorm(3)(x)", TENSOR),
    ("nn.BatchNorm1d(3)(x)", TENSOR),
    ("nn.Embedding(5, 2)(labels)", TENSOR),
    ("nn.Dropout(0.1)(x)", TENSOR),
    ("nn.Flatten()(img)", TENSOR),
    ("nn.MultiHeadAttention(4, 2)(seq)", TENSOR),
    ("nn.GRU(4, 3)(seq)", PAIR),
    ("nn.RNN(4, 3)(seq, None)", PAIR),
    ("nn.LSTM(4, 3)(seq)", f"tuple[{TENSOR}, {PAIR}]"),
]


def test_type_checker_sees_tensors_from_nn(tmp_path, monkeypatch):
    """mypy, with the project's configuration, reveals Tensors (one run of a few seconds)."""
    head = """\
        import acarray as xp
        import acarray.nn as nn
        import acarray.nn.functional as F

        x = xp.ones((2, 3))
        w = xp.ones((4, 3))
        img = xp.ones((1, 1, 8, 8))
        k = xp.ones((2, 1, 3, 3))
        seq = xp.ones((2, 5, 4))
        labels = xp.asarray([0, 1])
    """
    assert_reveals(tmp_path, monkeypatch, head, REVEALED)
