"""The pooled survival table: every published step meets the rule, and its curve is the
Kaplan-Meier estimate of the spells coarsened to the published intervals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.duration.survfunc import SurvfuncRight

from nbnb_cbs.survival import COLUMNS, STATISTICS, survival_table
from tests.strategies import survival_times


def _steps(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("statistic") == "step")


def _check_published(frame: pl.DataFrame, times: list[int], events: list[bool], t: int) -> None:
    """What an attacker reads from the file alone: at risk, events and censored per step."""
    steps = _steps(frame)
    if steps["status"].to_list() == ["suppressed"]:
        assert frame.drop("statistic", "status").null_count().row(0) == (frame.height,) * 7
        assert set(frame["status"]) == {"suppressed"}
        return
    at_risk, ev = steps["at_risk"].to_list(), steps["events"].to_list()
    censored = [a - b - e for a, b, e in zip(at_risk, [*at_risk[1:], 0], ev, strict=True)]
    for a, e, c in zip(at_risk, ev, censored, strict=True):
        assert a >= t and e >= t and (c == 0 or c >= t), (a, e, c)
    # The counts are the spells' own: at risk = time >= from; events within [from, to].
    x, d = np.asarray(times), np.asarray(events, dtype=bool)
    froms, tos = steps["from_month"].to_list(), steps["to_month"].to_list()
    assert all(v is not None for v in tos[:-1])
    # The last step is open (its end would be one person's time) unless it ends at 12 months.
    assert tos[-1] is None or (tos[-1] == 12 and x.max() <= 12)
    assert froms[0] == (0 if (x == 0).any() else 1)
    assert all(b + 1 == a for a, b in zip(froms[1:], tos[:-1], strict=True))
    for a, b, n, e in zip(froms, tos, at_risk, ev, strict=True):
        top = x.max() if b is None else b
        assert n == int((x >= a).sum())
        assert e == int((d & (x >= a) & (x <= top)).sum())
    # The curve is statsmodels' Kaplan-Meier of the times coarsened to their interval's end.
    ends = np.array([x.max() if b is None else b for b in tos])
    coarse = ends[np.searchsorted(ends, x, side="left")]
    ref = SurvfuncRight(coarse.astype(float), d.astype(float))
    np.testing.assert_allclose(
        steps["survival"].to_numpy(), ref.surv_prob, rtol=0, atol=5e-4 + 1e-9
    )


@given(survival_times(max_size=120), st.integers(2, 6))
def test_no_published_step_breaks_the_rule(data: tuple[list[int], list[bool]], t: int) -> None:
    """Generated spells: no step with fewer than t at risk or events, or 1..t-1 censored."""
    times, events = data
    table = survival_table(times, events, t)
    assert table.published.columns == list(COLUMNS)
    _check_published(table.published, times, events, t)


def test_hand_pooled_table() -> None:
    """Threshold 3: months pool until 3 events; censored inside a step are 0 or >= 3."""
    times = [1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 5, 6, 6, 6, 6]
    events = [1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]
    table = survival_table(times, events, 3)
    steps = _steps(table.published)
    # [1,1]: 16 at risk, 3 events -> 13/16. [2,3]: 2+1 events but 2 censored -> must grow;
    # [2,4]: 3 events, 3 censored -> 13 at risk. [5, on): 7 at risk, 6 events, 1 censored: the
    # open step fails (1 censored), so it joins [2, 4] -> [2, on): 13 at risk, 9 events, 4 cens.
    assert steps.select("from_month", "to_month", "at_risk", "events").rows() == [
        (1, 1, 16, 3),
        (2, None, 13, 9),
    ]
    assert steps["survival"].to_list() == [round(13 / 16, 3), round(13 / 16 * 4 / 13, 3)]
    assert steps["status"].to_list() == ["published", "pooled"]
    median = table.published.filter(pl.col("statistic") == "half_interval")
    assert median.select("from_month", "to_month").row(0) == (2, None)
    year = table.published.filter(pl.col("statistic") == STATISTICS[2])
    assert year["status"].to_list() == ["suppressed"] and year["survival"].to_list() == [None]


def test_twelve_months_is_a_step_when_it_can_be() -> None:
    """With enough spells on both sides of 12 months, a step ends at 12 and is repeated as the
    12-month survival with its limits; the median interval is where the curve reaches 0.5."""
    times = [m for m in range(1, 25) for _ in range(4)]
    events = [i % 4 != 0 for i in range(len(times))]
    table = survival_table(times, events, 3)
    steps = _steps(table.published)
    assert 12 in steps["to_month"].to_list()
    year = table.published.filter(pl.col("statistic") == "survival_12m").row(0, named=True)
    at12 = steps.filter(pl.col("to_month") == 12).row(0, named=True)
    assert (year["survival"], year["lower"], year["upper"]) == (
        at12["survival"], at12["lower"], at12["upper"],
    )  # fmt: skip
    assert year["lower"] < year["survival"] < year["upper"]
    median = table.published.filter(pl.col("statistic") == "half_interval").row(0, named=True)
    survival = steps["survival"].to_list()
    k = next(i for i, s in enumerate(survival) if s <= 0.5)
    assert (median["from_month"], median["to_month"]) == tuple(steps.row(k)[1:3])
    _check_published(table.published, times, events, 3)


@pytest.mark.parametrize(
    ("times", "events", "why"),
    [
        ([1, 2, 3, 4], [1, 1, 1, 1], "population_below_threshold"),
        ([1, 2, 3, 4, 5, 6], [1, 1, 0, 0, 0, 0], "cannot_pool"),  # 2 events in all
        ([1, 1, 1, 2, 2, 2, 9], [1, 1, 1, 1, 1, 1, 0], "cannot_pool"),  # 1 censored in all
    ],
)
def test_suppressed_whole(times: list[int], events: list[int], why: str) -> None:
    """A small population, or one the rule cannot be met for, publishes no number at all."""
    table = survival_table(times, [bool(e) for e in events], 5 if len(times) == 4 else 3)
    assert table.reason == why
    assert table.published["status"].to_list() == ["suppressed"] * 3
    assert table.published.drop("statistic", "status").null_count().row(0) == (3,) * 7


def test_start_population_suppressed_elsewhere() -> None:
    """When the release hides the population's size, the table hides everything too."""
    times = [m for m in range(1, 25) for _ in range(4)]
    table = survival_table(times, [True] * len(times), 3, start_suppressed=True)
    assert table.reason == "start_population_suppressed"
    assert set(table.published["status"]) == {"suppressed"}


@given(survival_times())
def test_release_summary_holds_for_the_spells(data: tuple[list[int], list[bool]]) -> None:
    """What the release model reads from a published table (population, events, the censored at
    12 months or more) holds for the spells behind it: the LP rows are true."""
    from nbnb_cbs.survival import release_summary

    times, events = data
    table = survival_table(times, events, 10)
    summary = release_summary(table.published)
    if table.reason is not None:
        assert summary is None
        return
    assert summary is not None
    assert summary["at_risk"] == len(times)
    assert summary["events"] == sum(events)
    late = sum(1 for t, e in zip(times, events, strict=True) if not e and t >= 12)
    low, high = summary["censored_from"]
    assert low <= late <= high
    # Exact when a step starts at 12 months; otherwise the censored within the step holding 12
    # (none or at least the threshold, by the rule) make the difference.
    starts = _steps(table.published)["from_month"].to_list()
    if 12 in starts or min(starts) > 12:
        assert low == high == late
    # Those followed 12 months or more (every time of 12 or more, ended or not) are at least
    # the at-risk count of the first step from 12 on, and exactly that when a step starts at 12.
    followed = sum(1 for t in times if t >= 12)
    least, most = summary["followed_from"]
    assert least <= followed <= most
    if 12 in starts:
        assert least == followed
