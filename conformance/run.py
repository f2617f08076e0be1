"""Running the checks of one table row on one backend: values and errors, gradients, second order."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import array_api_strict as strict
import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from acarray import Tensor
from acarray.testing import check_grads

from .case import Case
from .compare import Mismatch, assert_same
from .draw import FLOATING, Call, Env
from .targets import STRICT_ARRAY, Target, as_numpy, dtype_name


@dataclass
class Outcome:
    """What one check found: ``status`` is "ok", "FAIL", "skipped" or "n/a"."""

    status: str
    examples: int = 0
    detail: str = ""

    def cell(self) -> str:
        if self.status == "ok":
            return f"ok ({self.examples})"
        return self.status


@dataclass
class Row:
    name: str
    values: Outcome
    gradient: Outcome
    second: Outcome
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return "FAIL" in (self.values.status, self.gradient.status, self.second.status)

    @property
    def note(self) -> str:
        details = (o.detail for o in (self.values, self.gradient, self.second) if o.detail)
        return "; ".join(dict.fromkeys(details))  # a skip's reason once, not per check


NA = Outcome("n/a")


def _explore(body, max_examples: int, rng_seed: int) -> int:
    """Run ``body(draw)`` on up to ``max_examples`` drawn examples; returns how many counted."""
    counted = [0]

    @seed(rng_seed)
    @settings(max_examples=max_examples, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck), derandomize=False, print_blob=False)
    @given(st.data())
    def explore(data):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # NaN and overflow warnings: special values are drawn on purpose
            if body(data.draw):
                counted[0] += 1

    explore()
    return counted[0]


def _attempt(fn):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return True, fn()
    except Exception as e:  # an error is a result too: it must match array-api-strict's
        return False, e


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]


def _structure(ns, result, rename=None):
    """Dtype names and shapes of a result's arrays (what must match even when values need a canon)."""
    if isinstance(result, (Tensor, STRICT_ARRAY)):
        name = dtype_name(ns, result.dtype)
        return (rename or {}).get(name, name), tuple(result.shape)
    if isinstance(result, (tuple, list)):
        return tuple(_structure(ns, r, rename) for r in result)
    return None


def check_values(case: Case, target: Target, max_examples: int, rng_seed: int) -> Outcome:
    """Same inputs through acarray and array-api-strict: same values, or both raising."""
    agreed_errors = [0]

    def body(draw):
        call = case.draw(Env(draw, _dtypes(case, target), "values", backend=target.name))
        defaults = target.defaults if case.defaults and call.kwargs.get("dtype") is None else None
        ok_ref, ref = _attempt(lambda: case.reference(strict, *call.args, **call.kwargs))
        ok_mine, mine = _attempt(lambda: case.fn(target.ns, *target.convert(call.args), **target.convert(call.kwargs)))
        if not ok_ref:
            if ok_mine:
                raise Mismatch(f"array_api_strict raises {_error_text(ref)} but acarray returns a result "
                               f"for {case.name}{call!r}")
            agreed_errors[0] += 1
            return False
        if not ok_mine:
            raise Mismatch(f"acarray raises {_error_text(mine)} for {case.name}{call!r}") from mine
        try:
            if case.canon is not None:
                want = _structure(strict, ref, defaults)
                if _structure(target.ns, mine) != want:
                    raise Mismatch(f"result {_structure(target.ns, mine)}, expected {want}")
                mine, ref = case.canon(target.ns, mine), case.canon(strict, ref)
                ref = _as_canon(ref)
            assert_same(mine, ref, target.ns, tol=case.tol, mixes=case.mixes, defaults=defaults)
        except Mismatch as e:
            raise Mismatch(f"{e} for {case.name}{call!r}") from None
        return True

    n = _explore(body, max_examples, rng_seed)
    detail = f"{agreed_errors[0]} invalid inputs rejected as array_api_strict does" if agreed_errors[0] else ""
    return Outcome("ok", n, detail) if n else Outcome("FAIL", 0, "no valid example was drawn")


def _dtypes(case: Case, target: Target) -> tuple:
    """The dtypes drawn for ``case`` on ``target``: the backend's, less those the case leaves out there."""
    excluded = case.skip_dtypes.get(target.name, ((), ""))[0]
    return tuple(d for d in target.dtypes if d not in excluded)


def _as_canon(value):
    if isinstance(value, tuple):
        return tuple(_as_canon(v) for v in value)
    if isinstance(value, (STRICT_ARRAY, np.generic)):
        return as_numpy(value)
    return value


def _floating_leaves(value, out: dict):
    """Strict floating arrays inside ``value``, by identity (an array used twice counts once)."""
    if isinstance(value, STRICT_ARRAY):
        if strict.isdtype(value.dtype, FLOATING):
            out.setdefault(id(value), value)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _floating_leaves(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _floating_leaves(v, out)
    return out


def _rebuild(value, tensors: dict, target: Target, constants: dict):
    if isinstance(value, STRICT_ARRAY):
        if id(value) in tensors:
            return tensors[id(value)]
        if id(value) not in constants:
            constants[id(value)] = target.array(value)
        return constants[id(value)]
    if isinstance(value, tuple):
        return tuple(_rebuild(v, tensors, target, constants) for v in value)
    if isinstance(value, list):
        return [_rebuild(v, tensors, target, constants) for v in value]
    if isinstance(value, dict):
        return {k: _rebuild(v, tensors, target, constants) for k, v in value.items()}
    return target.convert(value)


def _differentiable_output(ns, case: Case, result):
    if case.project is not None:
        return case.project(ns, result)
    if isinstance(result, (tuple, list)):
        return ns.concat([ns.reshape(r, (-1,)) for r in result]) if len(result) != 1 else result[0]
    return result


def grad_function(case: Case, target: Target, call: Call):
    """``(f, inputs)``: ``f`` maps tensors for the floating arguments of ``call`` to the output."""
    leaves = _floating_leaves((call.args, call.kwargs), {})
    ids = list(leaves)
    constants: dict = {}

    def f(*ts):
        tensors = dict(zip(ids, ts))
        args = _rebuild(call.args, tensors, target, constants)
        kwargs = _rebuild(call.kwargs, tensors, target, constants)
        return _differentiable_output(target.ns, case, case.fn(target.ns, *args, **kwargs))

    return f, [target.array(leaves[i]) for i in ids]


def check_gradients(case: Case, target: Target, max_examples: int, rng_seed: int, order: int) -> Outcome:
    """VJPs from backward() against central finite differences (float64), at ``order`` 1 or 2."""

    def body(draw):
        call = case.draw(Env(draw, _dtypes(case, target), "grad", complex_grad=case.complex_grad, backend=target.name))
        f, inputs = grad_function(case, target, call)
        if not inputs:
            return False
        tol = case.grad_tol
        single = any(dtype_name(target.ns, x.dtype) in ("float32", "complex64") for x in inputs)
        rtol, atol, eps = (1e-2, 1e-3, 1e-3) if single else (1e-5, 1e-6, 1e-6)  # a backend without float64
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_grads(f, *inputs, order=order, rtol=rtol * tol, atol=atol * tol, eps=eps)
        except AssertionError as e:
            raise Mismatch(f"{str(e).splitlines()[0]} for {case.name}{call!r}") from None
        except Exception as e:
            raise Mismatch(f"{_error_text(e)} in the gradient of {case.name}{call!r}") from e
        return True

    n = _explore(body, max_examples, rng_seed)
    return Outcome("ok", n) if n else Outcome("FAIL", 0, "no example with a floating input was drawn")


def _guard(check, *args) -> Outcome:
    try:
        return check(*args)
    except (Mismatch, Unsatisfiable) as e:
        return Outcome("FAIL", 0, str(e).replace("\n", " ")[:600])
    except Exception as e:
        return Outcome("FAIL", 0, f"the check itself broke: {_error_text(e)}")


def run_case(case: Case, target: Target, max_examples: int, rng_seed: int = 0) -> Row:
    start = time.perf_counter()
    reason = case.skip.get(target.name)
    if reason:
        skipped = Outcome("skipped", 0, reason)
        return Row(case.name, skipped, skipped if case.grad else NA, NA)
    values = _guard(check_values, case, target, max_examples, rng_seed)
    limited = case.skip_dtypes.get(target.name)
    if limited and values.status == "ok":
        values.detail = "; ".join(filter(None, [values.detail, f"{', '.join(limited[0])} not drawn: {limited[1]}"]))
    gradient = second = NA
    if case.grad:
        reason = case.skip_grad.get(target.name)
        if reason:
            gradient = Outcome("skipped", 0, reason)
        else:
            gradient = _guard(check_gradients, case, target, max(2, max_examples // 2), rng_seed, 1)
            if case.order2:
                second = _guard(check_gradients, case, target, max(1, max_examples // 4), rng_seed, 2)
    return Row(case.name, values, gradient, second, time.perf_counter() - start)
