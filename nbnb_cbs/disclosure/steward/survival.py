"""The survival tables re-checked from their files: the pooling rule, the curve, the summary rows.

From the published counts alone: every step has at least ``threshold`` persons at risk and
``threshold`` events; the persons censored within a step (at risk minus those at risk in the next
step minus events; in the last step, everyone left) are 0 or at least ``threshold``; steps are
contiguous month intervals, single months published and longer ones pooled; the survival and its
log-log limits follow from the counts (Kaplan-Meier, Greenwood); the half-survival interval and
the 12-month survival repeat a step. A table is suppressed whole or not at all. Written without
the code that made the tables, so a doctored or miscomputed file is found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["SURVIVAL_COLUMNS", "SURVIVAL_KINDS", "survival_pass"]

SURVIVAL_KINDS = ("survival",)
SURVIVAL_COLUMNS = (
    "statistic", "from_month", "to_month", "at_risk", "events", "survival", "lower", "upper",
    "status",
)  # fmt: skip
_INTEGERS = ("from_month", "to_month", "at_risk", "events")
_SHARES = ("survival", "lower", "upper")
_STATISTICS = ("step", "half_interval", "survival_12m")
_STATUSES = ("published", "pooled", "suppressed")
_TOLERANCE = 0.0006  # published to three decimals


def survival_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Every table the log calls a survival table, checked from its file."""
    out: list[Finding] = []
    for rel, frame in export.tables.items():
        if export.kind(rel) in SURVIVAL_KINDS:
            out += _table(rel, frame, profile.threshold)
    return out


def _number(text: Any, integer: bool) -> float | str | None:
    """The cell as a number, None when empty, or the text when it is not a number."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        return str(text)
    if not math.isfinite(value) or (integer and value != int(value)):
        return str(text)
    return value


def _table(rel: str, frame: pl.DataFrame, t: int) -> list[Finding]:
    out: list[Finding] = []
    for column in frame.columns:
        if column not in SURVIVAL_COLUMNS:
            out.append(Finding(rel, 1, column, "unexpected_column", f"column {column!r} is not one a survival table holds"))  # fmt: skip
    missing = [c for c in SURVIVAL_COLUMNS if c not in frame.columns]
    if missing:
        out.append(Finding(rel, 1, None, "missing_column", f"a survival table needs {', '.join(missing)}"))  # fmt: skip
        return out
    rows: list[dict[str, Any]] = []
    for line, raw in enumerate(frame.iter_rows(named=True), start=2):
        row: dict[str, Any] = {
            "_line": line,
            "statistic": raw["statistic"],
            "status": raw["status"],
        }
        if raw["statistic"] not in _STATISTICS:
            out.append(Finding(rel, line, "statistic", "unknown_statistic", f"statistic {raw['statistic']!r} is not one a survival table publishes"))  # fmt: skip
        if raw["status"] not in _STATUSES:
            out.append(Finding(rel, line, "status", "unknown_status", f"status {raw['status']!r} is not published, pooled or suppressed"))  # fmt: skip
        for column in (*_INTEGERS, *_SHARES):
            value = _number(raw[column], column in _INTEGERS)
            if isinstance(value, str):
                out.append(Finding(rel, line, column, "not_a_number", f"{column} = {value!r} is not a {'whole number' if column in _INTEGERS else 'number'}"))  # fmt: skip
                value = None
            elif value is not None and (value < 0 or (column in _SHARES and value > 1)):
                out.append(Finding(rel, line, column, "out_of_range", f"{column} = {value:g} is outside its range"))  # fmt: skip
            row[column] = value
        rows.append(row)
    hidden = [r for r in rows if r["status"] == "suppressed"]
    for r in hidden:
        shown = [c for c in (*_INTEGERS, *_SHARES) if r[c] is not None]
        if shown:
            out.append(Finding(rel, r["_line"], shown[0], "suppressed_value_published", "a suppressed row shows a number"))  # fmt: skip
    steps = [r for r in rows if r["statistic"] == "step"]
    if any(r["status"] == "suppressed" for r in steps):
        if len(hidden) != len(rows):
            out.append(Finding(rel, None, "status", "partial_suppression", "a survival table is suppressed whole or not at all: its other rows would give the hidden steps back"))  # fmt: skip
        return out
    if not steps:
        out.append(Finding(rel, None, "statistic", "missing_steps", "a survival table without steps"))  # fmt: skip
        return out
    out += _steps(rel, steps, t)
    out += _summaries(rel, rows, steps)
    return out


def _steps(rel: str, steps: list[dict[str, Any]], t: int) -> list[Finding]:
    out: list[Finding] = []
    z = NormalDist().inv_cdf(0.975)
    survival, greenwood = 1.0, 0.0
    for k, r in enumerate(steps):
        line, last = r["_line"], k == len(steps) - 1
        n, e = r["at_risk"], r["events"]
        a, b = r["from_month"], r["to_month"]
        if n is None or e is None or a is None:
            out.append(Finding(rel, line, "at_risk", "empty_published_cell", "a published step without its interval, at risk or events"))  # fmt: skip
            return out
        following = steps[k + 1]["at_risk"] if not last else 0.0
        censored = n - (following or 0.0) - e
        if n < t:
            out.append(Finding(rel, line, "at_risk", "small_at_risk", f"{n:g} at risk, fewer than {t}"))  # fmt: skip
        if e < t:
            out.append(Finding(rel, line, "events", "small_events", f"{e:g} events, fewer than {t}"))  # fmt: skip
        if censored < 0:
            out.append(Finding(rel, line, "at_risk", "inconsistent_counts", "fewer at risk than events plus those at risk in the next step"))  # fmt: skip
        elif 0 < censored < t:
            out.append(Finding(rel, line, "at_risk", "small_censored", f"{censored:g} persons censored within the step, between 1 and {t - 1}"))  # fmt: skip
        if k == 0 and a not in (0, 1):
            out.append(Finding(rel, line, "from_month", "interval", "the first step starts at month 0 or 1"))  # fmt: skip
        if k > 0 and steps[k - 1]["to_month"] is not None and a != steps[k - 1]["to_month"] + 1:
            out.append(Finding(rel, line, "from_month", "interval", "steps are not contiguous month intervals"))  # fmt: skip
        if (b is None and not last) or (b is not None and b < a):
            out.append(Finding(rel, line, "to_month", "interval", "only the last step is open, and a step ends after it starts"))  # fmt: skip
        single = b is not None and b == a
        if (r["status"] == "published") != single:
            out.append(Finding(rel, line, "status", "pool_label", "a step is 'published' exactly when it is one month, else 'pooled'"))  # fmt: skip
        if n > 0:
            survival *= 1 - e / n
            greenwood = greenwood + e / (n * (n - e)) if n > e else math.inf
        if 0 < survival < 1 and math.isfinite(greenwood):
            half = z * math.sqrt(greenwood) / abs(math.log(survival))
            lower, upper = survival ** math.exp(half), survival ** math.exp(-half)
        else:
            lower = upper = 1.0 if survival >= 1 else 0.0
        for column, expected in (("survival", survival), ("lower", lower), ("upper", upper)):
            if r[column] is None or abs(r[column] - expected) > _TOLERANCE:
                out.append(Finding(rel, line, column, "survival_differs", f"{column} = {r[column]} does not follow from the published counts ({expected:.3f})"))  # fmt: skip
    return out


def _summaries(rel: str, rows: list[dict[str, Any]], steps: list[dict[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    crossing = next((s for s in steps if s["survival"] is not None and s["survival"] <= 0.5), None)
    for r in rows:
        if r["statistic"] == "half_interval" and r["status"] != "suppressed":
            got = (r["from_month"], r["to_month"])
            expected = (crossing["from_month"], crossing["to_month"]) if crossing else (None, None)
            if got != expected or any(r[c] is not None for c in ("at_risk", "events", *_SHARES)):
                out.append(Finding(rel, r["_line"], "from_month", "summary_differs", "the half-survival interval is not the step in which the curve first reaches 0.5"))  # fmt: skip
        if r["statistic"] == "survival_12m" and r["status"] != "suppressed":
            step = next((s for s in steps if s["to_month"] == 12), None)
            same = step is not None and r["to_month"] == 12 and r["from_month"] == step["from_month"] and all(
                r[c] == step[c] for c in _SHARES
            ) and r["at_risk"] is None and r["events"] is None  # fmt: skip
            if not same:
                out.append(Finding(rel, r["_line"], "survival", "summary_differs", "the 12-month survival is not the step that ends at month 12"))  # fmt: skip
    return out
