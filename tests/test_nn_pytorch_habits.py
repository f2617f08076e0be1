"""What PyTorch users do with modules, state dicts and optimizers, checked against torch.nn and torch.optim."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from conftest import to_numpy

import acarray
import acarray.nn as nn
from acarray import optim

X = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)


def _x(xp, values=X):
    return xp.asarray(xp.asarray(values))


def _same(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_numpy(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _torch_copy(ours, theirs):
    """Give the torch model ``theirs`` the values of ``ours`` (same names)."""
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    return theirs


# -- a module or tensor reachable twice ------------------------------------------------------------


class Tied(nn.Module):
    def __init__(self, **factory):
        self.encoder = nn.Embedding(5, 4, **factory)
        self.decoder = nn.Linear(4, 5, bias=False, **factory)
        self.decoder.weight = self.encoder.weight


class TorchTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Embedding(5, 4)
        self.decoder = torch.nn.Linear(4, 5, bias=False)
        self.decoder.weight = self.encoder.weight


def test_shared_modules_and_tied_weights_are_listed_once_and_saved_under_every_name():
    lin = nn.Linear(4, 4)
    seq, tseq = nn.Sequential(lin, lin), torch.nn.Sequential(*[torch.nn.Linear(4, 4)] * 2)
    for ours, theirs in ((seq, tseq), (Tied(), TorchTied())):
        assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
        assert len(ours.parameters()) == len(list(theirs.parameters()))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [k for k, _ in ours.named_modules()] == [k for k, _ in theirs.named_modules()]
        every = [k for k, _ in theirs.named_parameters(remove_duplicate=False)]
        assert [k for k, _ in ours.named_parameters(remove_duplicate=False)] == every
        _torch_copy(ours, theirs)  # the state dict of a shared model loads into torch's
    assert len(seq) == 2 and seq[1] is lin and "(1): Linear" in repr(seq)


def test_sgd_and_clipping_step_a_shared_layer_once_as_torch_does(xp):
    lin = nn.Linear(4, 4, backend=xp)
    ours = nn.Sequential(lin, nn.Tanh(), lin)
    tlin = torch.nn.Linear(4, 4)
    theirs = torch.nn.Sequential(tlin, torch.nn.Tanh(), tlin)
    _torch_copy(ours, theirs)
    opt, topt = optim.SGD(ours.parameters(), lr=0.5), torch.optim.SGD(theirs.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        xp.sum(ours(_x(xp)) ** 2).backward()
        torch.sum(theirs(torch.tensor(X)) ** 2).backward()
        norm = nn.utils.clip_grad_norm_(ours.parameters(), 1.0)
        tnorm = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        assert float(norm) == pytest.approx(float(tnorm), rel=1e-5)
        opt.step()
        topt.step()
    _same(ours[0].weight, theirs[0].weight)
    _same(ours(_x(xp)), theirs(torch.tensor(X)))


def test_clip_grad_norm_counts_a_parameter_listed_twice_once():
    w = nn.Parameter(acarray.asarray(np.array([3.0, 4.0])))
    w.grad = np.array([3.0, 4.0])
    assert float(nn.utils.clip_grad_norm_([w, w], 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad, [0.6, 0.8], rtol=1e-5)


def test_optimizer_warns_about_duplicates_in_a_group_and_refuses_a_parameter_in_two_groups():
    w = nn.Parameter(acarray.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = optim.SGD([w, w], lr=0.1)
    acarray.sum(w).backward()
    opt.step()
    np.testing.assert_allclose(to_numpy(w), [0.9, 0.9])  # updated once
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w], "lr": 1.0}], lr=0.1)
    with pytest.raises(TypeError, match="single Parameter"):
        optim.SGD(w, lr=0.1)


# -- load_state_dict -------------------------------------------------------------------------------


class Net(nn.Module):
    def __init__(self, **factory):
        self.conv = nn.Conv2d(1, 2, 3, padding=1, **factory)
        self.bn = nn.BatchNorm2d(2, **factory)
        self.fc = nn.Linear(2 * 4 * 4, 3, **factory)

    def forward(self, x):
        x = nn.functional.relu(self.bn(self.conv(x)))
        return self.fc(x.__array_namespace__().reshape(x, (x.shape[0], -1)))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).flatten(1))


IMAGES = np.random.default_rng(1).standard_normal((5, 1, 4, 4)).astype(np.float32)


def test_load_state_dict_returns_the_missing_and_unexpected_keys_as_torch_does():
    ours, theirs = Net(), TorchNet()
    state = {k: v for k, v in theirs.state_dict().items() if k != "fc.bias"}
    state["extra.weight"] = torch.ones(2)
    result, expected = ours.load_state_dict(state, strict=False), theirs.load_state_dict(state, strict=False)
    assert result.missing_keys == expected.missing_keys == ["fc.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.weight"]
    assert tuple(result) == (["fc.bias"], ["extra.weight"]) and "_IncompatibleKeys(missing_keys=" in repr(result)
    ok = ours.load_state_dict(ours.state_dict())
    assert ok == ([], []) and repr(ok) == repr(theirs.load_state_dict(theirs.state_dict()))
    with pytest.raises(RuntimeError, match=r"missing keys \['fc.bias'\], unexpected keys \['extra.weight'\]"):
        ours.load_state_dict(state)


@pytest.mark.parametrize("keep_vars", [False, True])
def test_a_trained_torch_models_state_dict_loads_strictly_and_gives_its_outputs(keep_vars):
    theirs = TorchNet()
    torch.sum(theirs(torch.tensor(IMAGES)) ** 2).backward()  # training mode: running statistics move
    assert int(theirs.bn.num_batches_tracked) == 1
    ours = Net()
    ours.load_state_dict(theirs.state_dict(keep_vars=keep_vars))  # torch tensors, num_batches_tracked included
    theirs.eval()
    _same(ours.eval()(acarray.asarray(IMAGES)), theirs(torch.tensor(IMAGES)))
    # and the other way: torch takes ours, strictly, with its own count left alone
    fresh = TorchNet()
    fresh.load_state_dict(OrderedDict((k, torch.tensor(to_numpy(v))) for k, v in ours.state_dict().items()))
    _same(ours(acarray.asarray(IMAGES)), fresh.eval()(torch.tensor(IMAGES)))


def test_load_state_dict_refuses_wrong_shapes_dtypes_and_values_by_key_and_loads_nothing():
    net = Net()
    before = {k: to_numpy(v).copy() for k, v in net.state_dict().items()}
    good = {k: np.asarray(to_numpy(v)) + 1 for k, v in net.state_dict().items()}
    cases = [
        ({"fc.bias": np.zeros(4, np.float32)}, ValueError, r"fc.bias: expected \(3,\), got \(4,\)"),
        ({"fc.bias": np.zeros(3, np.int64)}, ValueError, r"wrong dtypes: fc.bias: expected float32, got int64"),
        ({"fc.bias": 1.0}, TypeError, "fc.bias: expected an array, got float"),
        ({"fc.bias": [1.0, 2.0, 3.0]}, TypeError, "fc.bias: expected an array, got list"),
    ]
    for change, error, message in cases:
        with pytest.raises(error, match=message):
            net.load_state_dict({**good, **change})
        for k, v in net.state_dict().items():
            np.testing.assert_array_equal(to_numpy(v), before[k])
    for bad in ([("fc.bias", np.zeros(3))], None, "weights.pt"):
        with pytest.raises(TypeError, match="expected a dict of arrays by name"):
            net.load_state_dict(bad)
    net.load_state_dict({**good, "fc.bias": np.zeros(3, np.float64)})  # another float precision: cast
    assert net.fc.bias.dtype == acarray.float32


def _adam_pair():
    w0 = np.random.default_rng(3).standard_normal((3, 4))
    ours = nn.Parameter(acarray.asarray(w0.copy()))
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    return ours, theirs


def _adam_steps(w, opt, n, lib):
    x = np.random.default_rng(4).standard_normal((5, 4))
    for _ in range(n):
        opt.zero_grad()
        if lib is torch:
            torch.sum(torch.tanh(torch.tensor(x) @ w.T) ** 2).backward()
        else:
            acarray.sum(acarray.tanh(acarray.asarray(x) @ w.T) ** 2).backward()
        opt.step()


def test_optimizer_load_state_dict_takes_torchs_state_and_continues_its_trajectory():
    w, tw = _adam_pair()
    topt = torch.optim.Adam([tw], lr=0.05)
    _adam_steps(tw, topt, 2, torch)
    with torch.no_grad():
        w.data = tw.detach().numpy().copy()
    opt = optim.Adam([w], lr=0.01)
    opt.load_state_dict(topt.state_dict())  # step is a torch tensor, the moments torch tensors
    assert opt.param_groups[0]["lr"] == 0.05 and opt.state[w]["step"] == 2
    _adam_steps(tw, topt, 2, torch)
    _adam_steps(w, opt, 2, acarray)
    _same(w, tw, rtol=1e-10, atol=1e-12)


def test_optimizer_load_state_dict_refuses_what_does_not_fit_before_changing_anything():
    w, _ = _adam_pair()
    opt = optim.Adam([w], lr=0.05)
    _adam_steps(w, opt, 1, acarray)
    good = opt.state_dict()
    moment = opt.state[w]["exp_avg"].copy()

    def changed(state=None, groups=None):
        return {"state": good["state"] if state is None else state,
                "param_groups": good["param_groups"] if groups is None else groups}

    group = good["param_groups"][0]
    cases = [
        (changed(state={0: {**good["state"][0], "exp_avg": np.zeros((4, 3))}}), ValueError,
         r"state 'exp_avg' of parameter 0: expected shape \(3, 4\) \(the parameter's\), got \(4, 3\)"),
        (changed(groups=[group, group]), ValueError, r"different number of parameter groups \(2\) than this optimizer \(1\)"),
        (changed(groups=[{**group, "params": [0, 1]}]), ValueError, "group 0 has 2 parameters, this optimizer's has 1"),
        (changed(state={5: good["state"][0]}), ValueError, "parameter 5, which no parameter group lists"),
        (changed(state={0: [1, 2]}), TypeError, "the state of parameter 0 must be a dict"),
        (changed(groups=[{**group, "lr": -1.0}]), ValueError, "learning rate must be non-negative"),
        ({"state": {}}, ValueError, "no 'param_groups' entry"),
        ([good], TypeError, "expected a dict with 'state' and 'param_groups'"),
        (changed(groups=[[0]]), TypeError, "'param_groups' must be a list of dicts"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            opt.load_state_dict(bad)
        assert opt.param_groups[0]["lr"] == 0.05
        np.testing.assert_array_equal(opt.state[w]["exp_avg"], moment)


# -- copies ---------------------------------------------------------------------------------------


def _train(xp, model, opt, n, sched=None):
    for _ in range(n):
        opt.zero_grad()
        xp.sum(model(_x(xp)) ** 2).backward()
        opt.step()
        if sched is not None:
            sched.step()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_of_model_optimizer_and_scheduler_stay_together(xp, how):
    model = nn.Sequential(nn.Linear(4, 3, backend=xp), nn.Tanh(), nn.Linear(3, 2, backend=xp))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    _train(xp, model, opt, 2, sched)
    clone = copy.deepcopy if how == "deepcopy" else (lambda obj: pickle.loads(pickle.dumps(obj)))
    model2, opt2, sched2 = clone((model, opt, sched))
    assert opt2.param_groups[0]["params"][0] is model2[0].weight and sched2.optimizer is opt2
    assert all(p in opt2.state and opt2.state[p]["step"] == 2 for p in model2.parameters())
    original = [to_numpy(p).copy() for p in model.parameters()]
    _train(xp, model2, opt2, 2, sched2)  # the copy moves, the original stays
    for p, before in zip(model.parameters(), original):
        np.testing.assert_array_equal(to_numpy(p), before)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125) and opt2.param_groups[0]["lr"] == pytest.approx(0.003125)
    _train(xp, model, opt, 2, sched)  # the original, continued, follows the same path
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_allclose(to_numpy(p), to_numpy(q), rtol=1e-6)
    alone = clone(model)
    assert all(p is not q for p, q in zip(alone.parameters(), model.parameters()))
    np.testing.assert_array_equal(to_numpy(alone(_x(xp))), to_numpy(model(_x(xp))))


def test_deepcopy_keeps_tied_weights_tied():
    model = copy.deepcopy(Tied())
    assert model.decoder.weight is model.encoder.weight and len(model.parameters()) == 1


# -- gradients edited before step -------------------------------------------------------------------


def test_gradients_edited_in_place_are_the_ones_step_uses_and_zero_grad_keeps_arrays(xp):
    w0 = np.random.default_rng(5).standard_normal((3, 4))
    w = nn.Parameter(_x(xp, w0.copy()))
    tw = torch.tensor(w0.copy(), requires_grad=True)
    opt, topt = optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for k in range(3):
        opt.zero_grad(set_to_none=False)
        topt.zero_grad(set_to_none=False)
        xp.sum(xp.tanh(_x(xp, X.astype(np.float64)) @ w.T) ** 2).backward()
        torch.sum(torch.tanh(torch.tensor(X.astype(np.float64)) @ tw.T) ** 2).backward()
        grad = w.grad
        grad *= 0.5
        w.grad[0, 1] = 0.0
        tw.grad.mul_(0.5)
        tw.grad[0, 1] = 0.0
        if xp is acarray.namespace("torch"):
            w.grad.mul_(2.0)
            tw.grad.mul_(2.0)
        opt.step()
        topt.step()
        if k:
            assert w.grad is grad  # zero_grad(set_to_none=False) zeroed the array in place
    _same(w, tw, rtol=1e-10, atol=1e-12)
    opt.zero_grad()
    assert w.grad is None


# -- invalid options --------------------------------------------------------------------------------


def _w():
    return [nn.Parameter(acarray.ones(2))]


INVALID = [
    (lambda: nn.Linear(-1, 3), ValueError, "Linear: in_features must be non-negative, got -1"),
    (lambda: nn.Linear(2.5, 3), TypeError, r"Linear: in_features must be an int, got 2.5 \(float\)"),
    (lambda: nn.Conv2d(3, 0, 3), ValueError, "Conv2d: out_channels must be positive, got 0"),
    (lambda: nn.Conv2d(3, 3, 0), ValueError, "Conv2d: kernel_size must be positive, got 0"),
    (lambda: nn.Conv2d(3, 3, 3, stride=0), ValueError, "Conv2d: stride must be positive"),
    (lambda: nn.Conv2d(3, 3, 3, padding=-1), ValueError, "Conv2d: padding must be non-negative"),
    (lambda: nn.Conv2d(3, 3, 3, groups=0), ValueError, "Conv2d: groups must be positive"),
    (lambda: nn.Conv1d(3, 3, "3"), TypeError, "Conv1d: kernel_size must be an int"),
    (lambda: nn.ConvTranspose2d(3, 3, 3, output_padding=-1), ValueError, "output_padding must be non-negative"),
    (lambda: nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be positive"),
    (lambda: nn.Embedding(-1, 3), ValueError, "Embedding: num_embeddings must be non-negative"),
    (lambda: nn.BatchNorm1d(-1), ValueError, "BatchNorm1d: num_features must be positive"),
    (lambda: nn.BatchNorm1d(3, momentum=None), ValueError, "momentum=None"),
    (lambda: nn.LayerNorm(-1), ValueError, "LayerNorm: normalized_shape must be positive"),
    (lambda: nn.GRU(3, 0), ValueError, "GRU: hidden_size must be positive"),
    (lambda: nn.LSTM(3, 2, num_layers=0), ValueError, "LSTM: num_layers must be positive"),
    (lambda: nn.MultiHeadAttention(4, 0), ValueError, "num_heads must be positive"),
    (lambda: nn.Dropout(p=1.5), ValueError, "dropout probability p has to be between 0 and 1, but got 1.5"),
    (lambda: nn.Dropout(p="0.5"), TypeError, "Dropout: p must be a number"),
    (lambda: nn.Sequential(nn.Linear(2, 2), np.tanh), TypeError, "entry 1 is ufunc, not a Module"),
    (lambda: nn.Linear(2, 2).train("eval"), ValueError, "training mode is expected to be boolean"),
    (lambda: optim.SGD(_w(), lr=-0.1), ValueError, "Invalid learning rate: lr=-0.1"),
    (lambda: optim.SGD(_w(), lr="0.1"), TypeError, "SGD: lr must be a number"),
    (lambda: optim.SGD(_w(), lr=0.1, momentum=-0.9), ValueError, "Invalid momentum value: momentum=-0.9"),
    (lambda: optim.SGD(_w(), lr=0.1, weight_decay=-1), ValueError, "Invalid weight_decay value: weight_decay=-1"),
    (lambda: optim.SGD(_w(), lr=0.1, nesterov=True), ValueError, "requires a momentum and zero dampening"),
    (lambda: optim.SGD(_w(), lr=0.1, maximize=True), TypeError, r"unexpected options \['maximize'\].*it takes lr, momentum"),
    (lambda: optim.Adam(_w(), betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda: optim.Adam(_w(), betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (lambda: optim.Adam(_w(), betas=0.9), TypeError, "betas must be a pair of numbers"),
    (lambda: optim.AdamW(_w(), eps=-1e-8), ValueError, "Invalid epsilon value: eps=-1e-08"),
    (lambda: optim.Adam(_w(), weight_decay=-0.1), ValueError, "Invalid weight_decay value"),
    (lambda: optim.RMSprop(_w(), alpha=-1), ValueError, "Invalid alpha value: alpha=-1"),
    (lambda: optim.RMSprop(_w(), momentum=-1), ValueError, "Invalid momentum value"),
    (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "parameter group 0 has no 'params' entry"),
    (lambda: optim.lr_scheduler.StepLR(optim.SGD(_w(), lr=0.1), 0), ValueError, "StepLR: step_size must be positive, got 0"),
    (lambda: optim.lr_scheduler.StepLR(optim.SGD(_w(), lr=0.1), 1.5), TypeError, "StepLR: step_size must be an int"),
    (lambda: optim.lr_scheduler.CosineAnnealingLR(optim.SGD(_w(), lr=0.1), 0), ValueError, "CosineAnnealingLR: T_max must be at least 1"),
    (lambda: optim.lr_scheduler.StepLR(_w(), 1), TypeError, "StepLR: list is not an Optimizer"),
]


@pytest.mark.parametrize("make, error, message", INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_options_are_refused_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make()


# -- other habits ----------------------------------------------------------------------------------


def test_frozen_parameters_can_be_given_to_an_optimizer_as_in_torch():
    ours, theirs = Net(), TorchNet()
    _torch_copy(ours, theirs)
    ours.conv.requires_grad_(False)
    theirs.conv.requires_grad_(False)
    opt, topt = optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    frozen = to_numpy(ours.conv.weight).copy()
    for _ in range(2):
        opt.zero_grad()
        topt.zero_grad()
        acarray.sum(ours(acarray.asarray(IMAGES)) ** 2).backward()
        torch.sum(theirs(torch.tensor(IMAGES)) ** 2).backward()
        opt.step()
        topt.step()
    np.testing.assert_array_equal(to_numpy(ours.conv.weight), frozen)
    _same(ours.fc.weight, theirs.fc.weight)
    ours.conv.requires_grad_(True)  # unfrozen: updated from the next step on
    acarray.sum(ours(acarray.asarray(IMAGES))).backward()
    opt.step()
    assert not np.array_equal(to_numpy(ours.conv.weight), frozen)


def test_register_buffer_persistent_false_is_kept_out_of_the_state_dict_as_in_torch():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for m, lib in ((ours, acarray), (theirs, torch)):
        m.register_buffer("scale", lib.ones(2), persistent=False)
        m.register_buffer("shift", lib.zeros(2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias", "shift"]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()] == ["scale", "shift"]
    assert ours.load_state_dict(theirs.state_dict()) == ([], [])
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        ours.register_buffer("weight", acarray.ones(2))
    with pytest.raises(TypeError, match="Parameter or None required"):
        ours.register_parameter("extra", acarray.ones(2))


def test_train_and_eval_reach_every_module_once_shared_or_nested():
    drop = nn.Dropout(0.5)
    model = nn.Sequential(nn.ModuleList([drop, nn.Linear(2, 2)]), drop, nn.Sequential(nn.BatchNorm1d(2)))
    model.eval()
    assert not any(m.training for m in model.modules()) and len(list(model.modules())) == 6
    x = acarray.ones((4, 2))
    np.testing.assert_array_equal(to_numpy(drop(x)), to_numpy(x))
    model.train()
    assert all(m.training for m in model.modules())
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is drop
    assert isinstance(model[0][:1], nn.ModuleList) and model[0][-1] is model[0][1]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]


def test_pytorch_spellings_of_layer_options():
    x = np.random.default_rng(6).standard_normal((2, 3, 4)).astype(np.float32)
    pairs = [
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.Dropout(0.3, inplace=True).eval(), torch.nn.Dropout(0.3, inplace=True).eval()),
        (nn.Flatten(start_dim=1), torch.nn.Flatten(start_dim=1)),
    ]
    for ours, theirs in pairs:
        _same(ours(acarray.asarray(x)), theirs(torch.tensor(x)))


def test_optimizers_take_named_parameters_and_key_their_state_by_parameter():
    model, tmodel = nn.Linear(4, 2), torch.nn.Linear(4, 2)
    opt, topt = optim.Adam(model.named_parameters(), lr=0.1), torch.optim.Adam(tmodel.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"] == ["weight", "bias"]
    acarray.sum(model(acarray.asarray(X))).backward()
    opt.step()
    assert model.weight in opt.state and opt.state[model.weight]["exp_avg"].shape == (2, 4)
    assert list(opt.state) == model.parameters()
    assert opt.step(lambda: 1.5) == 1.5  # a closure's loss is returned


def test_next_of_parameters_and_torch_options_this_optimizer_lacks():
    model = nn.Linear(4, 2)
    assert next(model.parameters()) is model.weight and next(iter(model.buffers()), None) is None
    w, tw = _adam_pair()
    for ours, theirs, message in [
        (optim.Adam([w]), torch.optim.Adam([tw], amsgrad=True), "sets amsgrad=True, which Adam does not implement"),
        (optim.SGD([w]), torch.optim.SGD([tw], maximize=True), "sets maximize=True, which SGD does not implement"),
        (optim.Adam([w]), torch.optim.AdamW([tw]), "decoupled_weight_decay=True; load it into AdamW"),
    ]:
        with pytest.raises(ValueError, match=message):
            ours.load_state_dict(theirs.state_dict())
    optim.AdamW([w]).load_state_dict(torch.optim.AdamW([tw]).state_dict())
