"""The published survival table: Kaplan-Meier over pooled month intervals.

Months are merged into intervals until every published step has at least ``threshold`` persons at
risk and ``threshold`` events, and the persons censored within it (derivable as the drop in those
at risk minus the events) are 0 or at least ``threshold``. The curve is then the Kaplan-Meier
estimate of the spells with their times coarsened to their interval's end, so every published
number follows from the published counts alone and nothing about the months inside an interval
can be recovered. The last interval is open ("from m on"): its end would be one person's time.

A boundary at the landmark (12 months) is kept when the rule can be met on both sides, so the
12-month survival is a published step; otherwise the 12-month row is suppressed. No median is
published (it would be one person's time): the interval in which the curve first reaches 0.5 is.
A population below the threshold, one the rule cannot be met for, or one whose size the release
suppresses elsewhere, gets a wholly suppressed table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from nbnb_cbs.survival.km import loglog_limits

__all__ = [
    "COLUMNS",
    "LANDMARK",
    "STATISTICS",
    "Step",
    "SurvivalTable",
    "pool_steps",
    "release_summary",
    "step_rule_holds",
    "survival_table",
]

LANDMARK = 12
STATISTICS = ("step", "half_interval", f"survival_{LANDMARK}m")
SCHEMA: dict[str, type[pl.DataType]] = {
    "statistic": pl.String,
    "from_month": pl.Int64,
    "to_month": pl.Int64,
    "at_risk": pl.Int64,
    "events": pl.Int64,
    "survival": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "status": pl.String,
}
COLUMNS = tuple(SCHEMA)


@dataclass(frozen=True)
class Step:
    """Months ``start..end`` (``end`` None: open, to the end of observation)."""

    start: int
    end: int | None
    at_risk: int
    events: int
    censored: int

    @property
    def months(self) -> int | None:
        return None if self.end is None else self.end - self.start + 1


@dataclass(frozen=True)
class SurvivalTable:
    published: pl.DataFrame
    population: int
    steps: tuple[Step, ...]
    reason: str | None  # why the table is suppressed whole (review only; never exported)
    landmark: bool  # whether the 12-month survival is published


def step_rule_holds(at_risk: int, events: int, censored: int, threshold: int) -> bool:
    """The rule every published step meets."""
    return at_risk >= threshold and events >= threshold and (censored == 0 or censored >= threshold)


def _month_counts(
    time: npt.NDArray[np.int64], event: npt.NDArray[np.bool_], first: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per month ``first..max(time)``: at risk (time >= m), events and censorings at m."""
    size = int(time.max()) - first + 1
    index = time - first
    events = np.bincount(index[event], minlength=size).astype(np.int64)
    censored = np.bincount(index[~event], minlength=size).astype(np.int64)
    leaving = events + censored
    at_risk = np.cumsum(leaving[::-1])[::-1]
    return at_risk, events, censored


def _pool_segment(
    lo: int,
    hi: int,
    at_risk: npt.NDArray[np.int64],
    events: npt.NDArray[np.int64],
    censored: npt.NDArray[np.int64],
    first: int,
    threshold: int,
) -> list[list[int]] | None:
    """Intervals [a, b] covering lo..hi that each meet the rule, or None. Greedy from the left;
    a remainder that cannot stand alone joins the interval before it, and so on backwards."""
    out: list[list[int]] = []
    a, d, c = lo, 0, 0
    for b in range(lo, hi + 1):
        d += int(events[b - first])
        c += int(censored[b - first])
        if step_rule_holds(int(at_risk[a - first]), d, c, threshold):
            out.append([a, b])
            a, d, c = b + 1, 0, 0
    if a <= hi:
        if not out:
            return None
        out[-1][1] = hi

    def holds(iv: list[int]) -> bool:
        s, e = iv[0] - first, iv[1] - first + 1
        return step_rule_holds(
            int(at_risk[s]), int(events[s:e].sum()), int(censored[s:e].sum()), threshold
        )

    while out and not holds(out[-1]):
        if len(out) == 1:
            return None
        last = out.pop()
        out[-1][1] = last[1]
    return out


def pool_steps(
    time: npt.ArrayLike, event: npt.ArrayLike, threshold: int, landmark: int | None = LANDMARK
) -> tuple[list[Step], bool] | None:
    """The pooled steps (and whether one ends at ``landmark``), or None when no pooling meets
    the rule. Times are whole months >= 0; the first interval starts at 0 if any time is 0,
    else at 1."""
    t = np.asarray(time, dtype=np.int64)
    e = np.asarray(event, dtype=bool)
    if t.size == 0 or t.size < threshold:
        return None
    if (t < 0).any():
        raise ValueError("survival times must be whole months >= 0")
    first = 0 if (t == 0).any() else 1
    last = int(t.max())
    at_risk, events, censored = _month_counts(t, e, first)
    plans: list[tuple[list[tuple[int, int]], bool]] = []
    if landmark is not None and first <= landmark <= last:
        plans.append(([(first, landmark), (landmark + 1, last)], True))
    plans.append(([(first, last)], False))
    for segments, split in plans:
        intervals: list[list[int]] = []
        ok = True
        for lo, hi in segments:
            if lo > hi:
                continue
            part = _pool_segment(lo, hi, at_risk, events, censored, first, threshold)
            if part is None:
                ok = False
                break
            intervals += part
        if not ok:
            continue
        steps = []
        for k, (a, b) in enumerate(intervals):
            s, stop = a - first, b - first + 1
            open_end = k == len(intervals) - 1 and not (split and b == landmark)
            steps.append(
                Step(a, None if open_end else b, int(at_risk[s]), int(events[s:stop].sum()),
                     int(censored[s:stop].sum()))
            )  # fmt: skip
        return steps, split
    return None


def _status(step: Step) -> str:
    return "published" if step.months == 1 else "pooled"


def _suppressed() -> pl.DataFrame:
    return pl.DataFrame(
        [{"statistic": s, "status": "suppressed"} for s in STATISTICS], schema=SCHEMA
    )


def survival_table(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    threshold: int,
    *,
    start_suppressed: bool = False,
    alpha: float = 0.05,
) -> SurvivalTable:
    """The published table of right-censored month ``time``s (``event``: the spell ended)."""
    t = np.asarray(time, dtype=np.int64)
    n = int(t.size)
    if start_suppressed:
        return SurvivalTable(_suppressed(), n, (), "start_population_suppressed", False)
    if n < threshold:
        return SurvivalTable(_suppressed(), n, (), "population_below_threshold", False)
    pooled = pool_steps(t, event, threshold)
    if pooled is None:
        return SurvivalTable(_suppressed(), n, (), "cannot_pool", False)
    steps, landmark = pooled
    at_risk = np.array([s.at_risk for s in steps], dtype=np.float64)
    events = np.array([s.events for s in steps], dtype=np.float64)
    survival = np.cumprod(1.0 - events / at_risk).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf)
    lower, upper = loglog_limits(survival, np.cumsum(terms), alpha)
    rows: list[dict[str, object]] = []
    for k, step in enumerate(steps):
        rows.append({
            "statistic": "step", "from_month": step.start, "to_month": step.end,
            "at_risk": step.at_risk, "events": step.events, "survival": round(float(survival[k]), 3),
            "lower": round(float(lower[k]), 3), "upper": round(float(upper[k]), 3),
            "status": _status(step),
        })  # fmt: skip
    crossing = next((k for k in range(len(steps)) if survival[k] <= 0.5), None)
    if crossing is None:  # not reached during follow-up: the row says so by its empty interval
        rows.append({"statistic": "half_interval", "status": "published"})
    else:
        step = steps[crossing]
        rows.append({"statistic": "half_interval", "from_month": step.start,
                     "to_month": step.end, "status": _status(step)})  # fmt: skip
    at_landmark = next((k for k, s in enumerate(steps) if s.end == LANDMARK), None)
    if landmark and at_landmark is not None:
        k = at_landmark
        rows.append({"statistic": STATISTICS[2], "from_month": steps[k].start, "to_month": LANDMARK,
                     "survival": rows[k]["survival"], "lower": rows[k]["lower"],
                     "upper": rows[k]["upper"], "status": _status(steps[k])})  # fmt: skip
    else:
        rows.append({"statistic": STATISTICS[2], "status": "suppressed"})
    frame = pl.DataFrame(rows, schema=SCHEMA)
    return SurvivalTable(frame, n, tuple(steps), None, bool(landmark))


def release_summary(published: pl.DataFrame, landmark: int = LANDMARK) -> dict[str, Any] | None:
    """What a published table says about the sizes of sets (None: no step is published).

    ``at_risk``: the first step's at-risk count (the whole population); ``events``: the events
    of all steps; ``censored_from``: bounds on the number censored at a time of ``landmark``
    months or more - the censored in steps from a start above it, up to those from the step
    that holds it (exact when a step starts there); ``followed_from``: bounds on the number
    with a time of ``landmark`` months or more - at least the at-risk count of the first step
    that starts there or later (each of them was followed that long: red team 46 read a hidden
    count of persons observable 12 months from the first job from it). Computed from the published rows alone, so
    the protection and the steward's audit read the same numbers (a step's censored are its
    at-risk minus its events minus the next step's at-risk)."""
    steps = published.filter(pl.col("statistic") == "step", pl.col("status") != "suppressed")
    if not steps.height:
        return None
    starts = [int(v) for v in steps["from_month"].cast(pl.Int64).to_list()]
    at_risk = [int(v) for v in steps["at_risk"].cast(pl.Int64).to_list()]
    events = [int(v) for v in steps["events"].cast(pl.Int64).to_list()]
    censored = [
        at_risk[k] - events[k] - (at_risk[k + 1] if k + 1 < len(at_risk) else 0)
        for k in range(len(at_risk))
    ]

    def from_step(k: int) -> int:
        return sum(censored[k:])

    later = [k for k, start in enumerate(starts) if start > landmark]
    held = [k for k, start in enumerate(starts) if start <= landmark]
    exact = [k for k, start in enumerate(starts) if start == landmark]
    if exact or not held:  # a step starts at the landmark, or every censored time is above it
        value = from_step(exact[0] if exact else 0)
        bounds = (value, value)
    else:
        bounds = (from_step(later[0]) if later else 0, from_step(held[-1]))
    followed = next((at_risk[k] for k, start in enumerate(starts) if start >= landmark), 0)
    return {
        "at_risk": at_risk[0],
        "events": sum(events),
        "censored_from": bounds,
        "followed_from": (followed, math.inf),
    }
