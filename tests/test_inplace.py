"""In-place semantics: recorded updates, leaf protection, setitem gradients and version checks."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("view", [lambda xp, x: xp.reshape(x, (3,)), lambda xp, x: x[0:2]], ids=["reshape", "slice"])
def test_writing_the_source_of_a_saved_view_is_detected(xp, view):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)  # no grad: views of it are not recorded
    y = view(xp, x)
    w = xp.ones(y.shape, dtype=xp.float64)
    w.requires_grad_(True)
    z = xp.sum(w * y)  # multiply saves y
    x += 10.0
    with pytest.raises(RuntimeError, match="Multiply"):
        z.backward()
