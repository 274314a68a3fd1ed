"""Kaplan-Meier with Greenwood limits: against statsmodels' SurvfuncRight and a hand computation."""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from statsmodels.duration.survfunc import SurvfuncRight

from nbnb_cbs.survival import kaplan_meier
from tests.strategies import survival_times


def test_curve_computed_by_hand() -> None:
    """Seven spells with ties of events and censorings give the product-limit values by hand."""
    curve = kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 0, 1, 0])
    s = [Fraction(6, 7)]
    s.append(s[-1] * Fraction(5, 6))  # t=2: 6 at risk (the censored one still counts), 1 event
    s.append(s[-1] * Fraction(3, 4))  # t=3: 4 at risk
    s.append(s[-1] * Fraction(2, 3))  # t=4: 3 at risk, 1 event, 1 censored
    assert curve.time.tolist() == [1, 2, 3, 4]
    assert curve.at_risk.tolist() == [7, 6, 4, 3]
    assert curve.events.tolist() == [1, 1, 1, 1]
    assert curve.survival.tolist() == pytest.approx([float(v) for v in s], abs=1e-12)
    assert s[-1] == Fraction(5, 14)
    greenwood = np.cumsum([1 / 42, 1 / 30, 1 / 12, 1 / 6])
    assert curve.se.tolist() == pytest.approx(
        [float(v) * math.sqrt(g) for v, g in zip(s, greenwood, strict=True)], abs=1e-12
    )
    z = NormalDist().inv_cdf(0.975)
    last, g = float(s[-1]), greenwood[-1]
    half = z * math.sqrt(g) / abs(math.log(last))
    assert curve.lower[-1] == pytest.approx(last ** math.exp(half), abs=1e-12)
    assert curve.upper[-1] == pytest.approx(last ** math.exp(-half), abs=1e-12)
    assert curve.at(4.5) == (curve.survival[-1], curve.lower[-1], curve.upper[-1])
    assert curve.at(0.5) == (1.0, 1.0, 1.0)


def _compare(times: list[int] | list[float], events: list[bool] | list[int]) -> None:
    curve = kaplan_meier(times, events)
    if not any(events):
        assert curve.time.size == 0
        return
    ref = SurvfuncRight(np.asarray(times, dtype=float), np.asarray(events, dtype=float))
    assert curve.time.tolist() == ref.surv_times.tolist()
    assert curve.at_risk.tolist() == ref.n_risk.tolist()
    assert curve.events.tolist() == ref.n_events.tolist()
    np.testing.assert_allclose(curve.survival, ref.surv_prob, rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve.se, ref.surv_prob_se, rtol=1e-9, atol=1e-12, equal_nan=True)
    assert ((curve.lower <= curve.survival + 1e-12) & (curve.survival <= curve.upper + 1e-12)).all()
    assert ((curve.lower >= 0) & (curve.upper <= 1)).all()


def test_against_statsmodels_on_fixed_spells() -> None:
    """A spell set with a zero-length spell, ties and a curve that reaches 0 matches statsmodels."""
    _compare([0, 0, 1, 1, 1, 2, 3, 3, 5, 5, 8], [1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1])


@given(survival_times())
def test_against_statsmodels_on_generated_spells(data: tuple[list[int], list[bool]]) -> None:
    """Generated spells (censoring, ties, zero-length spells): the same curve and Greenwood SE."""
    _compare(*data)


def test_refuses_bad_times() -> None:
    """Negative or missing times are an error, never a curve."""
    with pytest.raises(ValueError, match="not negative"):
        kaplan_meier([1, -1], [True, True])
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [True])
