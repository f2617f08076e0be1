"""README's detect_anomaly example: StandardScaler's NaN gradient traced to the line that makes it."""

from __future__ import annotations

import numpy as np
import pytest

import acarray

sklearn = pytest.importorskip("sklearn")


def test_detect_anomaly_points_at_standard_scalers_0_over_0():
    from sklearn.preprocessing import StandardScaler

    x = acarray.asarray(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    with sklearn.config_context(array_api_dispatch=True):
        y = StandardScaler().fit_transform(x)
        acarray.sum(y * y).backward()
        assert np.isnan(x.grad).all()  # without detect_anomaly: NaN, silently
        with acarray.autograd.detect_anomaly():
            y = StandardScaler().fit_transform(x)
            with pytest.raises(RuntimeError, match=r"(?s)Pow returned NaN.*extmath.py:\d+.*last_sum / last_over_new_count"):
                acarray.sum(y * y).backward()
