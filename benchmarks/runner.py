"""Checking, timing and reporting the workloads of ``benchmarks/workloads.py``."""

from __future__ import annotations

import gc
import json
import platform
import random
import statistics
import time
import tracemalloc

import numpy as np

from .workloads import CHECKPOINT_EVERY, CHECKPOINT_SHAPE, WORKLOADS, build_mlp_large, build_residual_mlp, to_host


def _torch(threads):
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: its column is skipped")
        return None
    torch.set_num_threads(threads)
    return torch


def verify(name, impls):
    """Every implementation's first step must give the hand-written loss and gradients (float32
    tolerance): acarray's, PyTorch's and any other in ``impls``, each built afresh.

    Gradients are compared by relative norm of the difference: with ReLU, an output within
    rounding of 0 may fall on either side of it in two correct float32 computations. In
    conv_step one such output moves the input gradient by about 1e-3 relative, while a wrong
    rule (a missed term, a flipped kernel) moves it by O(1)."""
    loss_n, grads_n = impls["numpy"]()()
    for impl, factory in impls.items():
        if impl == "numpy" or (impl == "torch" and _torch_module() is None):
            continue
        loss_a, grads_a = factory()()
        if not np.allclose(to_host(loss_a), to_host(loss_n), rtol=1e-4, atol=1e-4):
            raise AssertionError(f"{name}: {impl}'s loss {loss_a} differs from the hand-written {loss_n}")
        if len(grads_a) != len(grads_n):
            raise AssertionError(f"{name}: {impl} gives {len(grads_a)} gradients, the hand-written step {len(grads_n)}")
        for i, (ga, gn) in enumerate(zip(grads_a, grads_n)):
            ga, gn = to_host(ga).astype(np.float64), to_host(gn).astype(np.float64)
            if ga.shape != gn.shape:
                raise AssertionError(f"{name}: gradient {i} of {impl} has shape {ga.shape}, not {gn.shape}")
            error = np.linalg.norm(ga - gn) / max(np.linalg.norm(gn), 1e-12)
            if not error <= 1e-2:
                raise AssertionError(f"{name}: gradient {i} of {impl} differs from the hand-written one "
                                     f"(relative error {error:.2e})")


def _torch_module():
    try:
        import torch
    except ImportError:
        return None
    return torch


def median_times(steps, min_time, run_length=3):
    """Median wall time of each step of ``steps`` (name -> step) after a warm-up.

    The steps take turns in rounds, in a shuffled order, for at least 5 rounds and
    ``min_time`` seconds (at most 200 rounds), so that a slow spell of a shared machine slows
    all of them alike and their ratios stay meaningful.  A turn is one untimed step and then
    ``run_length`` timed ones: the first step after another implementation's pays for the
    memory that one handed back to the system (thousands of page faults in mlp_large) and is
    not what a training loop sees.  Every step ends by reading its loss as a Python number,
    which waits for a GPU to finish.  The objects alive before timing are frozen out of the
    garbage collector's reach (a full collection of the libraries loaded here takes about
    0.1 s); what the steps allocate is collected as it would be in a training loop."""
    for step in steps.values():
        step()
    times = {name: [] for name in steps}
    order = list(steps)
    shuffle = random.Random(0).shuffle
    gc.collect()
    gc.freeze()
    try:
        start = time.perf_counter()
        rounds = 0
        while rounds < 5 or (time.perf_counter() - start < min_time and rounds < 200):
            shuffle(order)
            for name in order:
                step = steps[name]
                step()
                for _ in range(run_length):
                    t = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - t)
            rounds += 1
    finally:
        gc.unfreeze()
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_memory(step):
    """Peak bytes allocated (tracemalloc sees NumPy's buffers) during one call of ``step``."""
    step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def checkpoint_memory(shape=None, every=CHECKPOINT_EVERY) -> list:
    """Peak memory (and the shorter time of two steps, outside tracemalloc) of a training step of the deep
    residual MLP of ``build_residual_mlp`` without and with ``acarray.checkpoint``, one row per
    segment length of ``every``.  Before anything is measured, each variant's first step must give
    the loss and gradients of the one without checkpoint."""
    shape = CHECKPOINT_SHAPE if shape is None else shape
    rows, plain = [], None
    for n in every:
        step = build_residual_mlp(np.random.default_rng(0), n, **shape)()
        loss, grads = step()
        if plain is None:
            plain = (loss, [to_host(g) for g in grads])
        else:
            verify(f"checkpoint every {n}", {"acarray": lambda loss=loss, grads=grads: lambda: (loss, grads),
                                             "numpy": lambda: lambda: plain})
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - start)
        rows.append({"every": n, "peak": peak_memory(step), "seconds": min(seconds)})
    return rows


def _format_checkpoint(rows, shape=None) -> str:
    shape = CHECKPOINT_SHAPE if shape is None else shape
    lines = [f"checkpoint: one SGD step of {shape['depth']} residual blocks {shape['width']}-{shape['hidden']}-"
             f"{shape['width']}, batch {shape['batch']}, float32, NumPy"]
    base = rows[0]["peak"]
    for r in rows:
        what = "no checkpoint" if r["every"] is None else f"checkpoint every {r['every']} block{'s' * (r['every'] > 1)}"
        lines.append(f"  {what:<26} peak {r['peak'] / 2**20:7.1f} MiB ({r['peak'] / base:4.2f}x)   "
                     f"step {r['seconds'] * 1e3:6.0f} ms")
    return "\n".join(lines)


def run_gpu(args):
    """mlp_large on CuPy against PyTorch CUDA, in one run (target: at least 0.8x PyTorch's speed)."""
    import acarray

    torch = _torch(args.threads)
    ns = acarray.namespace("cupy")
    impls = build_mlp_large(np.random.default_rng(0), ns=ns, torch_device="cuda")
    verify("mlp_large (GPU)", {"acarray": impls["acarray"], "numpy": impls["torch"]})
    medians = median_times({"acarray": impls["acarray"](), "torch": impls["torch"]()}, args.min_time)
    t_a, t_t = medians["acarray"], medians["torch"]
    speed = t_t / t_a
    print(f"mlp_large on GPU: acarray/CuPy {t_a * 1e3:.2f} ms/step, PyTorch CUDA {t_t * 1e3:.2f} ms/step, "
          f"acarray's speed {speed:.2f}x PyTorch's (target >= 0.80)")
    with open(args.out, "w") as f:
        json.dump({"meta": {"device": torch.cuda.get_device_name()}, "results": [
            {"workload": "mlp_large_gpu", "acarray": t_a, "torch": t_t, "speed_vs_torch": speed}]}, f, indent=2)


def run(args):
    if args.gpu:
        return run_gpu(args)
    torch = _torch(args.threads)
    rng = np.random.default_rng(0)
    rows = []
    for w in WORKLOADS:
        if args.only and w.name not in args.only:
            continue
        impls = w.build(rng)
        verify(w.name, impls)
        row = {"workload": w.name, "description": w.description, "target": w.target}
        medians = median_times({impl: impls[impl]() for impl in ("numpy", "acarray")}, args.min_time)
        if torch is not None:
            # Timed apart: PyTorch's OpenMP threads keep spinning after its step and made the
            # NumPy step that followed it several times slower.
            medians.update(median_times({"torch": impls["torch"]()}, args.min_time))
        for impl, t in medians.items():
            row[impl] = t / w.unit_ops
        row["ratio"] = row["acarray"] / row["numpy"]
        if "torch" in row:
            row["torch_ratio"] = row["torch"] / row["numpy"]
        rows.append(row)
        print(_format_row(row, w.unit_ops), flush=True)
    if not args.only or "memory" in args.only:
        impls = build_mlp_large(rng)
        mem = {"workload": "memory", "description": "peak memory of one mlp_large training step", "target": 1.10}
        mem["numpy"] = peak_memory(impls["numpy"]())
        mem["acarray"] = peak_memory(impls["acarray"]())
        mem["ratio"] = mem["acarray"] / mem["numpy"]
        rows.append(mem)
        print(f"{'memory':<11} hand-written {mem['numpy'] / 2**20:8.1f} MiB   acarray {mem['acarray'] / 2**20:8.1f} MiB"
              f"   ratio {mem['ratio']:.2f} (target <= {mem['target']:.2f})", flush=True)
    checkpoint_rows = []
    if not args.only or "checkpoint" in args.only:
        checkpoint_rows = checkpoint_memory()
        print(_format_checkpoint(checkpoint_rows), flush=True)
    print()
    print(table(rows))
    meta = {"python": platform.python_version(), "numpy": np.__version__, "threads": args.threads,
            "machine": platform.machine(), "torch": getattr(torch, "__version__", None)}
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": rows, "checkpoint": checkpoint_rows}, f, indent=2)
    print(f"\nwritten to {args.out}")


def _format_row(row, unit_ops):
    unit = "us/op" if unit_ops > 1 else "ms/step"
    scale = 1e6 if unit_ops > 1 else 1e3
    text = f"{row['workload']:<11} numpy {row['numpy'] * scale:8.2f} {unit}  acarray {row['acarray'] * scale:8.2f}"
    if "torch" in row:
        text += f"  torch {row['torch'] * scale:8.2f}"
    return text + f"  ratio {row['ratio']:.2f} (target <= {row['target']:.2f})"


def table(rows) -> str:
    """The results as a Markdown table (times per op for op_chain, per step otherwise)."""
    lines = [
        "| workload | hand-written NumPy | acarray | PyTorch eager | acarray / NumPy | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["workload"] == "memory":
            fmt = lambda v: f"{v / 2**20:.1f} MiB"  # noqa: E731
        elif r["workload"] == "op_chain":
            fmt = lambda v: f"{v * 1e6:.2f} µs/op"  # noqa: E731
        else:
            fmt = lambda v: f"{v * 1e3:.2f} ms"  # noqa: E731
        torch_cell = fmt(r["torch"]) if "torch" in r else "—"
        ok = "✓" if r["ratio"] <= r["target"] else "✗"
        lines.append(f"| {r['workload']} | {fmt(r['numpy'])} | {fmt(r['acarray'])} | {torch_cell} | "
                     f"{r['ratio']:.2f} {ok} | ≤ {r['target']:.2f} |")
    return "\n".join(lines)
