"""The benchmark harness: its correctness check catches wrong answers, and its timing loop runs
each implementation as often as it says."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks import instructions
from benchmarks.runner import checkpoint_memory, median_times, verify
from benchmarks.workloads import WORKLOADS, build_residual_mlp


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_acarray_matches_the_hand_written_step(workload):
    if workload.name == "mlp_digits":
        pytest.importorskip("sklearn")
    verify(workload.name, workload.build(np.random.default_rng(0)))


def _impls(loss, grad):
    return {"acarray": lambda: lambda: (loss, [grad]), "numpy": lambda: lambda: (1.0, [np.ones(3)])}


def test_verify_rejects_a_wrong_loss_or_gradient():
    verify("same", _impls(1.0, np.ones(3)))
    with pytest.raises(AssertionError, match="acarray's loss 1.5 differs"):
        verify("loss", _impls(1.5, np.ones(3)))
    with pytest.raises(AssertionError, match="gradient 0 of acarray differs"):
        verify("grad", _impls(1.0, np.array([1.0, 1.0, 1.1])))
    with pytest.raises(AssertionError, match="has shape"):
        verify("shape", _impls(1.0, np.ones(4)))


def test_median_times_runs_warm_up_then_untimed_and_timed_steps_in_turns():
    calls = {"a": 0, "b": 0}

    def counter(name):
        def step():
            calls[name] += 1

        return step

    medians = median_times({"a": counter("a"), "b": counter("b")}, min_time=0, run_length=3)
    assert set(medians) == {"a", "b"} and all(t >= 0 for t in medians.values())
    assert calls == {"a": 1 + 5 * 4, "b": 1 + 5 * 4}  # warm-up, then 5 rounds of 1 untimed + 3 timed


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_count_is_the_cost_of_one_step(monkeypatch):
    monkeypatch.setattr(instructions, "RUNS", (2, 4))
    hand = instructions.count("op_chain", "numpy")
    # 200 NumPy calls forward and about as many backward on 16 floats: thousands of instructions each.
    assert 200 * 2_000 < hand < 200 * 50_000


def test_checkpointed_residual_mlp_computes_the_same_step_in_less_memory():
    shape = {"depth": 6, "width": 32, "hidden": 128, "batch": 256}
    steps = [build_residual_mlp(np.random.default_rng(0), every, **shape)() for every in (None, 2, 1)]
    first = [step() for step in steps]
    for loss, grads in first[1:]:
        assert loss == pytest.approx(first[0][0], rel=1e-6)
        for g, g0 in zip(grads, first[0][1]):
            np.testing.assert_allclose(g, g0, rtol=1e-5, atol=1e-7)
    rows = checkpoint_memory(shape, every=(None, 1))
    assert [r["every"] for r in rows] == [None, 1]
    # Each block's hidden activations (4x wider) are not kept: 6 blocks' worth of them.
    assert rows[1]["peak"] < 0.7 * rows[0]["peak"]
