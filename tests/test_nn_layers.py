"""Every layer of acarray.nn against PyTorch: same weights and inputs, outputs and all gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import to_numpy
from nn_reference import assert_close, compare_layer

import acarray
import acarray.nn as nn

F64 = {"dtype": "float64"}

# name -> (our layer, PyTorch's layer, input shapes); run on NumPy, a subset on other backends.
LAYERS = {
    "linear": (lambda b: nn.Linear(5, 3, backend=b, **F64), lambda: torch.nn.Linear(5, 3), [(4, 5)]),
    "linear_3d_nobias": (lambda b: nn.Linear(5, 3, bias=False, backend=b, **F64), lambda: torch.nn.Linear(5, 3, bias=False), [(2, 4, 5)]),
    "conv1d": (lambda b: nn.Conv1d(3, 4, 3, stride=2, padding=1, backend=b, **F64),
               lambda: torch.nn.Conv1d(3, 4, 3, stride=2, padding=1), [(2, 3, 9)]),
    "conv2d": (lambda b: nn.Conv2d(4, 6, 3, padding=1, backend=b, **F64), lambda: torch.nn.Conv2d(4, 6, 3, padding=1), [(2, 4, 6, 5)]),
    "conv2d_strided_dilated_grouped": (
        lambda b: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=2, backend=b, **F64),
        lambda: torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=2), [(2, 4, 9, 7)]),
    "conv_transpose2d": (
        lambda b: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, backend=b, **F64),
        lambda: torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), [(2, 4, 4, 3)]),
    "max_pool2d": (lambda b: nn.MaxPool2d(3, stride=2, padding=1), lambda: torch.nn.MaxPool2d(3, stride=2, padding=1), [(2, 3, 7, 6)]),
    "avg_pool2d": (lambda b: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), [(2, 3, 6, 4)]),
    "batch_norm1d": (lambda b: nn.BatchNorm1d(4, backend=b, **F64), lambda: torch.nn.BatchNorm1d(4), [(6, 4)]),
    "batch_norm1d_3d": (lambda b: nn.BatchNorm1d(4, backend=b, **F64), lambda: torch.nn.BatchNorm1d(4), [(3, 4, 5)]),
    "batch_norm2d": (lambda b: nn.BatchNorm2d(3, backend=b, **F64), lambda: torch.nn.BatchNorm2d(3), [(2, 3, 4, 4)]),
    "layer_norm": (lambda b: nn.LayerNorm((3, 4), backend=b, **F64), lambda: torch.nn.LayerNorm((3, 4)), [(2, 3, 4)]),
    "flatten": (lambda b: nn.Flatten(), lambda: torch.nn.Flatten(), [(2, 3, 4)]),
    "rnn": (lambda b: nn.RNN(3, 4, num_layers=2, backend=b, **F64),
            lambda: torch.nn.RNN(3, 4, num_layers=2, batch_first=True), [(2, 5, 3)]),
    "lstm": (lambda b: nn.LSTM(3, 4, num_layers=2, backend=b, **F64),
             lambda: torch.nn.LSTM(3, 4, num_layers=2, batch_first=True), [(2, 5, 3)]),
    "gru": (lambda b: nn.GRU(3, 4, num_layers=2, backend=b, **F64),
            lambda: torch.nn.GRU(3, 4, num_layers=2, batch_first=True), [(2, 5, 3)]),
    "multi_head_attention": (lambda b: nn.MultiHeadAttention(8, 2, backend=b, **F64),
                             lambda: torch.nn.MultiheadAttention(8, 2, batch_first=True), [(2, 5, 8)]),
}

# How to call each kind of layer and which output to compare.
_RECURRENT_OURS = lambda m, x: m(x)[0]  # noqa: E731
_RECURRENT_TORCH = lambda m, x: m(x)[0]  # noqa: E731
CALLS = {
    "rnn": (_RECURRENT_OURS, _RECURRENT_TORCH),
    "lstm": (_RECURRENT_OURS, _RECURRENT_TORCH),
    "gru": (_RECURRENT_OURS, _RECURRENT_TORCH),
    "multi_head_attention": (lambda m, x: m(x), lambda m, x: m(x, x, x, need_weights=False)[0]),
}

OTHER_BACKENDS = ["linear", "conv2d_strided_dilated_grouped", "conv_transpose2d", "max_pool2d", "layer_norm", "lstm",
                  "batch_norm2d", "multi_head_attention"]


def _run(name, backend, rng):
    make_ours, make_theirs, shapes = LAYERS[name]
    ours = make_ours(backend)
    inputs = [rng.standard_normal(s) for s in shapes]
    call, torch_call = CALLS.get(name, (None, None))
    compare_layer(acarray.namespace(backend), ours, make_theirs(), *inputs, rng=rng, call=call, torch_call=torch_call)
    return ours


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch_on_numpy(name, rng):
    _run(name, "numpy", rng)


@pytest.mark.parametrize("backend", ["array_api_strict", "torch"])
@pytest.mark.parametrize("name", OTHER_BACKENDS)
def test_layer_matches_torch_on_other_backends(name, backend, rng):
    ours = _run(name, backend, rng)
    for p in ours.parameters():
        assert type(p.grad) is type(acarray.namespace(backend).asarray([1.0]).data)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "softmax", "log_softmax"])
def test_activation_layers_match_torch(name, rng):
    ours, theirs = {
        "relu": (nn.ReLU(), torch.nn.ReLU()),
        "leaky_relu": (nn.LeakyReLU(negative_slope=0.2), torch.nn.LeakyReLU(0.2)),
        "gelu": (nn.GELU(), torch.nn.GELU()),
        "gelu_tanh": (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
        "silu": (nn.SiLU(), torch.nn.SiLU()),
        "sigmoid": (nn.Sigmoid(), torch.nn.Sigmoid()),
        "tanh": (nn.Tanh(), torch.nn.Tanh()),
        "softmax": (nn.Softmax(axis=1), torch.nn.Softmax(dim=1)),
        "log_softmax": (nn.LogSoftmax(axis=1), torch.nn.LogSoftmax(dim=1)),
    }[name]
    x = rng.standard_normal((4, 6)) * 3
    # The exact GELU uses an erf approximation with absolute error below 1.5e-7.
    compare_layer(acarray.numpy, ours, theirs, x, rng=rng, tol=1e-6 if name != "gelu" else 5e-7)


def test_batch_norm_running_statistics_and_eval_mode(rng):
    ours, theirs = nn.BatchNorm2d(3, momentum=0.2, **F64), torch.nn.BatchNorm2d(3, momentum=0.2).double()
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 2)) * 2 + 1
        ours(acarray.asarray(x))
        theirs(torch.tensor(x))
    assert_close(ours.running_mean, theirs.running_mean, "running mean")
    assert_close(ours.running_var, theirs.running_var, "running variance")
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    assert_close(ours(acarray.asarray(x)), theirs(torch.tensor(x)), "eval output")
    assert not ours.training and all(not m.training for m in ours.modules())


def test_dropout_scales_kept_values_and_is_identity_in_eval():
    nn.init.manual_seed(3)
    layer = nn.Dropout(0.25)
    x = acarray.ones((200, 50)).requires_grad_()
    y = layer(x)
    values = to_numpy(y)
    kept = values != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(values[kept], 1 / 0.75)
    acarray.sum(y).backward()
    np.testing.assert_allclose(to_numpy(x.grad), kept / 0.75)
    assert layer.eval()(x) is x


def test_embedding_matches_torch_with_repeated_indices(rng):
    ours, theirs = nn.Embedding(6, 3, **F64), torch.nn.Embedding(6, 3)
    idx = np.array([[0, 2, 2], [5, 0, 2]])
    compare_layer(acarray.numpy, ours, theirs, idx, rng=rng)


def test_attention_masks_match_torch(rng):
    ours = nn.MultiHeadAttention(8, 4, **F64)
    theirs = torch.nn.MultiheadAttention(8, 4, batch_first=True)
    q, kv = rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 6, 8))
    padding = np.array([[False] * 6, [False] * 4 + [True] * 2])
    causal = np.triu(np.ones((4, 6), dtype=bool), k=1)

    def call(m, q, kv, pad, mask):
        return m(q, kv, kv, key_padding_mask=pad, attn_mask=mask)

    def torch_call(m, q, kv, pad, mask):
        return m(q, kv, kv, key_padding_mask=pad, attn_mask=mask, need_weights=False)[0]

    compare_layer(acarray.numpy, ours, theirs, q, kv, padding, causal, rng=rng, call=call, torch_call=torch_call)


def test_causal_attention_equals_an_explicit_mask(rng):
    layer = nn.MultiHeadAttention(4, 2, **F64)
    x = acarray.asarray(rng.standard_normal((1, 5, 4)))
    mask = acarray.asarray(np.triu(np.ones((5, 5), dtype=bool), k=1))
    assert_close(layer(x, is_causal=True), to_numpy(layer(x, attn_mask=mask)), "causal")
    # The first position sees only itself: changing later positions must not change it.
    later = acarray.asarray(np.concatenate([to_numpy(x)[:, :1], rng.standard_normal((1, 4, 4))], axis=1))
    assert_close(layer(later, is_causal=True)[:, 0], to_numpy(layer(x, is_causal=True)[:, 0]), "first position")


def test_recurrent_final_states_match_torch(rng):
    ours = nn.LSTM(3, 4, num_layers=2, **F64)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True).double()
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 5, 3))
    h0, c0 = rng.standard_normal((2, 2, 4)), rng.standard_normal((2, 2, 4))
    _, (h, c) = ours(acarray.asarray(x), (acarray.asarray(h0), acarray.asarray(c0)))
    _, (th, tc) = theirs(torch.tensor(x), (torch.tensor(h0), torch.tensor(c0)))
    assert_close(h, th, "h_n")
    assert_close(c, tc, "c_n")


@pytest.mark.parametrize("layer, shape, expected", [
    (lambda: nn.Linear(5, 3), (4, 6), "Linear(5, 3, bias=True): linear: input of shape (4, 6) needs 5 features"),
    (lambda: nn.Conv2d(3, 8, 3), (2, 4, 8, 8), "Conv2d(3, 8, kernel_size=(3, 3)"),
    (lambda: nn.Conv2d(3, 8, 3), (3, 8, 8), "expected input of shape (N, C, H, W), got shape (3, 8, 8)"),
    (lambda: nn.Conv2d(3, 8, 5), (1, 3, 4, 4), "smaller than the kernel"),
    (lambda: nn.Conv1d(3, 8, 3), (2, 3), "conv1d: expected input of shape (N, C, L), got shape (2, 3)"),
    (lambda: nn.BatchNorm2d(3), (2, 4, 5, 5), "BatchNorm2d(3, eps=1e-05, momentum=0.1): expected input of shape (N, C, H, W) with C=3"),
    (lambda: nn.LSTM(3, 4), (2, 5, 2), "LSTM(3, 4, num_layers=1): expected input of shape (N, T, 3), got shape (2, 5, 2)"),
    (lambda: nn.MultiHeadAttention(8, 2), (2, 5, 6), "expected query of shape (N, L, 8), got shape (2, 5, 6)"),
])
def test_wrong_input_shape_names_the_layer_and_shapes(layer, shape, expected):
    with pytest.raises(nn.ShapeError) as info:
        layer()(acarray.zeros(shape, dtype=acarray.float32))
    assert expected in str(info.value)


def test_shape_error_names_the_innermost_layer_inside_a_container():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(nn.ShapeError, match=r"^Linear\(2, 1, bias=True\): linear: input of shape \(5, 3\)"):
        model(acarray.zeros((5, 4), dtype=acarray.float32))


def test_embedding_refuses_floating_indices():
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        nn.Embedding(3, 2)(acarray.zeros((2,)))
