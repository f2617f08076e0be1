"""Each schedule gives PyTorch's lr sequence per group, and its state_dict round-trips."""

import pytest

import acarray
from acarray import nn, optim

torch = pytest.importorskip("torch")

S = optim.lr_scheduler
T = torch.optim.lr_scheduler


def _pair(momentum=0.0):
    a = [nn.Parameter(acarray.ones(2)), nn.Parameter(acarray.ones(3))]
    t = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    opt = optim.SGD([{"params": [a[0]], "lr": 0.5}, {"params": [a[1]], "lr": 0.03}], lr=0.1, momentum=momentum)
    topt = torch.optim.SGD([{"params": [t[0]], "lr": 0.5}, {"params": [t[1]], "lr": 0.03}], lr=0.1,
                           momentum=momentum)
    return opt, topt


def _seq(lib):
    def make(opt):
        m = S if lib == "a" else T
        return m.SequentialLR(opt, [m.LinearLR(opt, 0.1, total_iters=5), m.ExponentialLR(opt, 0.9),
                                    m.StepLR(opt, 4, 0.5)], milestones=[5, 20])
    return make


CASES = {
    "lambda": lambda m: lambda opt: m.LambdaLR(opt, [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)]),
    "multistep": lambda m: lambda opt: m.MultiStepLR(opt, [30, 10, 10, 25], gamma=0.3),
    "exponential": lambda m: lambda opt: m.ExponentialLR(opt, 0.93),
    "linear": lambda m: lambda opt: m.LinearLR(opt, total_iters=12),
    "linear_down": lambda m: lambda opt: m.LinearLR(opt, 1.0, 0.2, total_iters=30),
    "onecycle": lambda m: lambda opt: m.OneCycleLR(opt, [1.0, 0.1], total_steps=60),
    "onecycle_3": lambda m: lambda opt: m.OneCycleLR(opt, 2.0, epochs=6, steps_per_epoch=10, three_phase=True,
                                                      anneal_strategy="linear", cycle_momentum=False),
}


def _flat(rows):
    return [x for row in rows for pair in row for x in (pair if isinstance(pair, tuple) else (pair,))]


def _run(sched, opt, steps, momentum=False):
    out = []
    for _ in range(steps):
        sched.step()
        out.append([(g["lr"], g["momentum"]) if momentum else g["lr"] for g in opt.param_groups])
    return out


@pytest.mark.parametrize("name", [*CASES, "sequential"])
def test_matches_torch_and_round_trips(name):
    make = _seq("a") if name == "sequential" else CASES[name](S)
    tmake = _seq("t") if name == "sequential" else CASES[name](T)
    opt, topt = _pair(momentum=0.9)
    sched, tsched = make(opt), tmake(topt)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-15)
    mine, theirs = [], []
    for _ in range(50):
        topt.step()
        sched.step()
        tsched.step()
        mine.append([(g["lr"], g["momentum"]) for g in opt.param_groups])
        theirs.append([(g["lr"], g["momentum"]) for g in topt.param_groups])
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert _flat(mine) == pytest.approx(_flat(theirs), rel=1e-12, abs=1e-15)

    opt2, _ = _pair(momentum=0.9)
    first = make(opt2)
    head = _run(first, opt2, 20, momentum=True)
    state = first.state_dict()
    opt3, _ = _pair(momentum=0.9)
    opt3.load_state_dict(opt2.state_dict())
    fresh = make(opt3)
    fresh.load_state_dict(state)
    assert _flat(head + _run(fresh, opt3, 30, momentum=True)) == pytest.approx(_flat(mine), rel=1e-12, abs=1e-15)


METRICS = [5.0, 4.0, 4.0, 4.1, 3.99999, 4.2, 4.2, 4.2, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0] * 4


@pytest.mark.parametrize("kwargs", [
    {}, {"patience": 2}, {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.5, "min_lr": [0.1, 0.001]},
    {"patience": 0, "factor": 0.2, "min_lr": 0.01, "threshold_mode": "abs"},
])
def test_reduce_on_plateau(kwargs):
    opt, topt = _pair()
    sched, tsched = S.ReduceLROnPlateau(opt, **kwargs), T.ReduceLROnPlateau(topt, **kwargs)
    mine, theirs = [], []
    for m in METRICS[:50]:
        sched.step(m)
        tsched.step(m)
        mine.append(sched.get_last_lr())
        theirs.append(tsched.get_last_lr())
    assert _flat(mine) == pytest.approx(_flat(theirs), rel=1e-12)

    opt2, _ = _pair()
    first = S.ReduceLROnPlateau(opt2, **kwargs)
    for m in METRICS[:20]:
        first.step(m)
    opt3, _ = _pair()
    opt3.load_state_dict(opt2.state_dict())
    fresh = S.ReduceLROnPlateau(opt3, **kwargs)
    fresh.load_state_dict(first.state_dict())
    rest = []
    for m in METRICS[20:50]:
        fresh.step(m)
        rest.append(fresh.get_last_lr())
    assert _flat(rest) == pytest.approx(_flat(mine[20:]), rel=1e-12)


BAD = [
    ("LambdaLR", {"lr_lambda": [lambda e: 1.0]}, "lr_lambda"),
    ("LinearLR", {"start_factor": 0.0}, "start_factor"),
    ("LinearLR", {"start_factor": 1.5}, "start_factor"),
    ("LinearLR", {"end_factor": -0.1}, "end_factor"),
    ("OneCycleLR", {"max_lr": 1.0}, "total_steps"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 0}, "total_steps"),
    ("OneCycleLR", {"max_lr": 1.0, "epochs": 0, "steps_per_epoch": 3}, "epochs"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "pct_start": 1.5}, "pct_start"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "exp"}, "anneal_strategy"),
    ("OneCycleLR", {"max_lr": [1.0], "total_steps": 10}, "max_lr"),
    ("ReduceLROnPlateau", {"factor": 1.0}, "factor"),
    ("ReduceLROnPlateau", {"mode": "mean"}, "mode"),
    ("ReduceLROnPlateau", {"threshold_mode": "pct"}, "threshold mode"),
    ("ReduceLROnPlateau", {"min_lr": [0.1]}, "min_lr"),
]


@pytest.mark.parametrize("name,kwargs,word", BAD)
def test_bad_arguments(name, kwargs, word):
    opt, topt = _pair()
    with pytest.raises(ValueError) as theirs:
        getattr(T, name)(topt, **kwargs)
    with pytest.raises(type(theirs.value), match=f"^{name}: .*{word}"):
        getattr(S, name)(opt, **kwargs)


def test_sequential_and_onecycle_errors():
    opt, topt = _pair()
    other, _ = _pair()
    with pytest.raises(ValueError, match="SequentialLR: .*milestones"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9), S.ExponentialLR(opt, 0.8)], milestones=[])
    with pytest.raises(ValueError, match="SequentialLR: .*same optimizer"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9), S.ExponentialLR(other, 0.8)], milestones=[3])
    sched = S.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times"):
        sched.step()
    with pytest.raises(TypeError, match="ExponentialLR: list is not an Optimizer"):
        S.ExponentialLR([], 0.9)
    with pytest.raises(KeyError, match="initial_lr"):
        S.ExponentialLR(optim.SGD([nn.Parameter(acarray.ones(1))], lr=0.1), 0.9, last_epoch=3)


def test_onecycle_cycles_adam_betas():
    w, tw = nn.Parameter(acarray.ones(1)), torch.ones(1, requires_grad=True)
    opt, topt = optim.Adam([w], lr=0.1), torch.optim.Adam([tw], lr=0.1)
    sched, tsched = S.OneCycleLR(opt, 0.5, total_steps=20), T.OneCycleLR(topt, 0.5, total_steps=20)
    for _ in range(19):
        topt.step()
        sched.step()
        tsched.step()
        assert opt.param_groups[0]["betas"] == pytest.approx(topt.param_groups[0]["betas"], rel=1e-12)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
