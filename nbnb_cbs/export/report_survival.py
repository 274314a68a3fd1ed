"""A published survival table as a reader sees it in the report: a row per step ("maand 1 t/m 3"),
columns at risk, events, survival and its 95% interval, the step's status as a word; the curve's
50% step and the 12-month survival as two readable rows; notes in the report's language.

The CSV keeps its long layout and codes (the steward's check re-reads it); only this rendering
changes. An empty value that means "not applicable" (no 50% step: the curve stays above 0.5) is
said in words, never shown as the suppression mark.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nbnb_cbs.export.labels import Language, format_number, heading, label, phrase

__all__ = ["step_label", "survival_notes", "survival_tables"]

SUPPRESSED_MARK = "·"
EMPTY_MARK = "-"


def _number(value: Any) -> float | None:
    """A survival CSV cell as a number (either decimal mark), or None when empty."""
    if value is None:
        return None
    text = str(value).strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def step_label(start: Any, end: Any, language: Language) -> str:
    """Months ``start..end`` in words; an empty ``end`` is the open last step."""
    a, b = _whole(start), _whole(end)
    if a is None:
        return phrase("s_all_steps", language)
    if b is None:
        return phrase("s_months_open", language, a=a)
    if a == b:
        return phrase("s_month", language, a=a)
    return phrase("s_months", language, a=a, b=b)


def _percent(value: Any, language: Language) -> str | None:
    number = _number(value)
    return None if number is None else format_number(number * 100, 1, language) + "%"


def _interval(row: dict[str, Any], language: Language) -> str | None:
    low, high = _number(row.get("lower")), _number(row.get("upper"))
    if low is None or high is None:
        return None
    return f"{format_number(low * 100, 1, language)}–{format_number(high * 100, 1, language)}%"


def _words(table: str, language: Language) -> tuple[str, str]:
    """What the events and the survival of ``table`` are called (generic for a table the label
    table does not know)."""
    try:
        return phrase(f"s_events_{table}", language), phrase(f"s_survival_{table}", language)
    except KeyError:
        return heading("events", language), heading("survival", language)


def _status(row: dict[str, Any]) -> str:
    return str(row.get("status") or "published")


def survival_tables(
    frame: pl.DataFrame, table: str, language: Language
) -> list[tuple[list[str], list[list[str]]]]:
    """The steps table and the summary table (header, rows) of survival table ``table``."""
    events, survival = _words(table, language)
    steps_header = [
        heading("step", language),
        heading("at_risk", language),
        events,
        survival,
        phrase("s_interval", language),
        heading("status", language),
    ]
    steps: list[list[str]] = []
    summary: list[list[str]] = []
    for row in frame.iter_rows(named=True):
        status = _status(row)
        hidden = status.startswith("suppressed")
        statistic = str(row.get("statistic"))
        if statistic == "step":
            at_risk, ended = _whole(row.get("at_risk")), _whole(row.get("events"))
            cells = [
                format_number(at_risk, 0, language) if at_risk is not None else None,
                format_number(ended, 0, language) if ended is not None else None,
                _percent(row.get("survival"), language),
                _interval(row, language),
            ]
            steps.append(
                [step_label(row.get("from_month"), row.get("to_month"), language)]
                + [SUPPRESSED_MARK if hidden or c is None else c for c in cells]
                + [label(status, language)]
            )
        elif statistic == "half_interval":
            if hidden:
                value = SUPPRESSED_MARK
            elif _whole(row.get("from_month")) is None:
                value = phrase("s_not_reached", language)  # published, and empty: never reached
            else:
                value = step_label(row.get("from_month"), row.get("to_month"), language)
            summary.append(
                [heading(statistic, language), value, EMPTY_MARK, label(status, language)]
            )
        else:
            percent = _percent(row.get("survival"), language)
            interval = _interval(row, language)
            summary.append(
                [
                    heading(statistic, language)
                    + (f" ({survival.lower()})" if statistic.startswith("survival_") else ""),
                    SUPPRESSED_MARK if hidden or percent is None else percent,
                    SUPPRESSED_MARK if hidden or interval is None else interval,
                    label(status, language),
                ]
            )
    summary_header = [
        heading("statistic", language),
        heading("value", language),
        phrase("s_interval", language),
        heading("status", language),
    ]
    return [(steps_header, steps), (summary_header, summary)]


def survival_notes(
    counts: dict[str, int], table: str, threshold: Any, language: Language
) -> list[str]:
    """What the rows of a survival table mean, in the report's language."""
    if counts.get("suppressed", 0) and not counts.get("published") and not counts.get("pooled"):
        return [phrase("s_note_suppressed", language)]
    events, survival = _words(table, language)
    return [
        phrase("s_note_steps", language, events=events.lower(), survival=survival.lower()),
        phrase("s_note_pooled", language, t=threshold),
        phrase("s_note_summary", language),
    ]
