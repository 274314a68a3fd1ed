"""The NBNB report's figures and the same figures measured on a synthetic chain.

``figures`` measures the default synthetic data the way the report states its numbers; the
calibration tests hold each within its margin of ``REPORT`` and the README's comparison table is
``markdown_table`` of the same measurement (``python -m benchmarks.calibration`` rewrites it).

Counts are compared after scaling to the report's population: the report counts over 591 linked
participants of finished projects, the demo over everyone it links, so a demo count is shown as
``count x 591 / linked``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nbnb_cbs.durability import DurabilityResult
from nbnb_cbs.schemas import EXIT_DESTINATIONS, destination_expr

__all__ = ["REPORT", "Figure", "figures", "markdown_table"]

REPORT_LINKED = 591


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    report: float
    kind: str  # "share" (margin 3 points), "count" (15%), "rise" or "info" (shown, no margin)
    note: str = ""

    def within(self, value: float) -> bool:
        if self.kind == "count":
            return abs(value - self.report) <= 0.15 * self.report
        if self.kind == "rise":
            return value >= self.report
        if self.kind == "info":
            raise ValueError(f"{self.key} is shown for comparison only; it has no margin")
        return abs(value - self.report) <= 0.03


REPORT = [
    Figure("linked", "linked (koppelrendement)", 0.75, "share", "591 of 790"),
    Figure("share_2019_02", "in work, February 2019", 0.14, "share", "Figure 6.32"),
    Figure("share_2021_12", "in work, December 2021", 0.43, "share", "Figure 6.32"),
    Figure(
        "spring_2019", "rise per month, February-June 2019, vs the average", 2.0, "rise",
        "steep rise (6.2): at least 2x",
    ),
    Figure(
        "spring_2021", "rise per month, February-June 2021, vs the average", 2.0, "rise",
        "steep rise (6.2): at least 2x",
    ),
    Figure("sector_end", "in work at the end, sector-focused projects", 0.61, "share", "6.3"),
    Figure("other_end", "in work at the end, other projects", 0.39, "share", "6.3"),
    Figure("two_jobs", "two or more jobs at the end (of those in work)", 1 / 18, "share", "1 in 18"),
    Figure("worked_1m_mean", "durability, worked >= 1 month: mean", 0.82, "share", "Table 6.3"),
    Figure("worked_1m_weighted", "durability, worked >= 1 month: time-weighted", 0.77, "share"),
    Figure("year_mean", "durability, at least a year: mean", 0.73, "share", "Table 6.3"),
    Figure("year_weighted", "durability, at least a year: time-weighted", 0.73, "share"),
    Figure("all_100", "exited to work: worked the whole period", 0.60, "info", "6.3"),
    Figure("all_90", "exited to work: worked >= 90%", 0.65, "info", "6.3"),
    Figure("n_entered_2019_02", "entered by February 2019 (scaled count)", 72, "count"),
    Figure("n_worked_1m", "worked >= 1 month (scaled count)", 110, "count", "Table 6.3"),
    Figure("n_year", "at least a year (scaled count)", 60, "count", "Table 6.3"),
    Figure("n_working_end", "in work at the end (scaled count)", 245, "count", "Table 6.2"),
    Figure("dest_work", "exit to paid work", 0.201, "share", "Figure 6.30, N=790"),
    Figure("dest_education", "exit to regular education", 0.080, "share"),
    Figure("dest_work_and_learn", "exit to work-and-learn", 0.009, "share"),
    Figure("dest_work_experience", "exit to a work-experience place", 0.054, "share"),
    Figure("dest_dropout", "dropped out", 0.127, "share"),
    Figure("dest_other", "other", 0.271, "share"),
    Figure("dest_unknown", "unknown", 0.258, "share"),
]  # fmt: skip


def _stat(result: DurabilityResult, group: str, statistic: str) -> float:
    frame = result.durability.filter(
        (pl.col("by") == "") & (pl.col("group") == group) & (pl.col("statistic") == statistic)
    )
    return float(frame["value"].item())


def _snapshot(result: DurabilityResult, table: str, category: str, statistic: str) -> float:
    frame = result.snapshot.filter(
        (pl.col("table") == table)
        & (pl.col("category") == category)
        & (pl.col("statistic") == statistic)
    )
    return float(frame["value"].item()) if frame.height else 0.0


def figures(
    registration: pl.DataFrame, linked: pl.DataFrame, result: DurabilityResult
) -> dict[str, float]:
    """Every figure of ``REPORT`` measured on one chain (registration, linked records, result)."""
    participants = registration.unique("deelnemer_id", keep="first", maintain_order=True)
    n_linked = int(linked["RINPERSOON"].is_not_null().sum())
    scale = REPORT_LINKED / n_linked
    series = dict(result.series.select("month", "share_working").iter_rows())
    entered = dict(result.series.select("month", "entered").iter_rows())

    def rate(first: str, last: str, months: int) -> float:
        return float(series[last] - series[first]) / months

    # Steep: at least twice the average monthly rise from February 2019 to December 2021.
    average = max(rate("2019-02", "2021-12", 34), 1e-3)
    dest = participants.select(destination_expr("uitstroom"))["uitstroom"]
    out = {
        "linked": n_linked / participants.height,
        "share_2019_02": series["2019-02"],
        "share_2021_12": series["2021-12"],
        "spring_2019": rate("2019-02", "2019-06", 4) / average,
        "spring_2021": rate("2021-02", "2021-06", 4) / average,
        "sector_end": _snapshot(result, "sectoral", "true", "share_working"),
        "other_end": _snapshot(result, "sectoral", "false", "share_working"),
        "two_jobs": _snapshot(result, "jobs", "2+", "share"),
        "worked_1m_mean": _stat(result, "worked_1m", "mean"),
        "worked_1m_weighted": _stat(result, "worked_1m", "weighted_mean"),
        "year_mean": _stat(result, "observed_12m", "mean"),
        "year_weighted": _stat(result, "observed_12m", "weighted_mean"),
        "all_100": _stat(result, "exit_work", "share_100"),
        "all_90": _stat(result, "exit_work", "share_ge_90"),
        "n_entered_2019_02": entered["2019-02"] * scale,
        "n_worked_1m": _stat(result, "worked_1m", "n") * scale,
        "n_year": _stat(result, "observed_12m", "n") * scale,
        "n_working_end": (
            _snapshot(result, "sectoral", "true", "count_working")
            + _snapshot(result, "sectoral", "false", "count_working")
        )
        * scale,
    }
    for name in EXIT_DESTINATIONS:
        out[f"dest_{name}"] = float((dest == name).mean())  # type: ignore[arg-type]
    return out


def _show(figure: Figure, value: float) -> str:
    if figure.kind == "count":
        return f"{value:,.0f}"
    if figure.kind == "rise":
        return f"{value:.1f}x"
    return f"{100 * value:.1f}%"


def markdown_table(measured: dict[str, float]) -> str:
    """The README's comparison of the demo with the report (one row per figure)."""
    rows = [
        "| figure | report | demo (seed 2022) | margin | within |",
        "|---|---|---|---|---|",
    ]
    margin = {"share": "3 points", "count": "15%", "rise": "at least", "info": "none"}
    for figure in REPORT:
        value = measured[figure.key]
        report = _show(figure, figure.report) + (f" ({figure.note})" if figure.note else "")
        rows.append(
            f"| {figure.label} | {report} | {_show(figure, value)} | {margin[figure.kind]} | "
            f"{'-' if figure.kind == 'info' else 'yes' if figure.within(value) else 'NO'} |"
        )
    return "\n".join(rows)
