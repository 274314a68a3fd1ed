"""Export tables: the work folder's cell frames, reshaped and put through disclosure control.

Every table here is built from aggregates only and passes ``apply_table`` with the project's
profile before anything is written. Protections the generic rules cannot see are made explicit:

- all statistics of one group share its fate, and a group's sibling is hidden with it, because the
  overall row minus the sibling gives it back (``margins`` with ``strata``);
- nested groups (worked_1m inside exit_work, observed_12m inside worked_1m) may not differ by
  1..threshold-1 persons, since that difference is itself a count (``force_rule``);
- the monthly inflow is pooled as the source study did; the share in work is published with its
  denominator rounded to 10, because exact cumulative counts would give the pooled inflow back.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nbnb_cbs.disclosure import Applied, Profile, apply_table, pool_series
from nbnb_cbs.durability import DurabilityResult

__all__ = ["ExportTable", "build_tables"]

TOTAL = "Total"
_NESTED = (("exit_work", "worked_1m"), ("worked_1m", "observed_12m"))


@dataclass
class ExportTable:
    name: str
    title: str
    applied: Applied

    @property
    def file(self) -> str:
        return f"tables/{self.name}.csv"


def _yield_table(cells: pl.DataFrame, by: str | None, profile: Profile) -> Applied:
    if by and by in cells.columns:
        frame = cells.with_columns(pl.col(by).cast(pl.String))
        return apply_table(frame, profile, name="linkage_yield", dims=[by], margins=True)
    return apply_table(cells, profile, name="linkage_yield", dims=[])


def _nested_rule(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Mark groups whose difference from the group they are nested in is a small count."""
    sizes = frame.filter(pl.col("statistic") == "n").select("group", key, size=pl.col("n"))
    forced: list[dict[str, str]] = []
    for outer, inner in _NESTED:
        a = sizes.filter(pl.col("group") == outer).rename({"size": "a"}).drop("group")
        b = sizes.filter(pl.col("group") == inner).rename({"size": "b"}).drop("group")
        for row in a.join(b, on=key, how="full", coalesce=True).iter_rows(named=True):
            diff = (row["a"] or 0) - (row["b"] or 0)
            if 0 < diff < 10:
                forced.append(
                    {"group": inner, key: row[key], "force_rule": f"nested_difference_{outer}"}
                )
    if not forced:
        return frame.with_columns(force_rule=pl.lit(None, pl.String))
    marks = pl.DataFrame(forced).unique(["group", key])
    return frame.join(marks, on=["group", key], how="left")


def _durability_table(cells: pl.DataFrame, name: str, by: str | None, profile: Profile) -> Applied:
    """group x (by value or Total) x statistic, additive over the by values within each group."""
    overall = cells.filter(pl.col("by") == "")
    if by is None:
        frame = overall.drop("by", "by_value").with_columns(breakdown=pl.lit(TOTAL))
    else:
        frame = pl.concat(
            [
                overall.with_columns(breakdown=pl.lit(TOTAL)),
                cells.filter(pl.col("by") == by).with_columns(breakdown=pl.col("by_value")),
            ]
        ).drop("by", "by_value")
    frame = _nested_rule(frame, "breakdown").rename({"breakdown": by or "breakdown"})
    key = by or "breakdown"
    if by is None:
        return apply_table(
            frame, profile, name=name, dims=["group", key], forced="force_rule",
            no_dominance_risk=True,
        )  # fmt: skip
    # Durability means lie in [0, 1]: no person can dominate them.
    return apply_table(
        frame, profile, name=name, dims=["group", key], margins=True, strata=["group"],
        forced="force_rule", no_dominance_risk=True,
    )  # fmt: skip


def _series_tables(series: pl.DataFrame, profile: Profile) -> list[ExportTable]:
    shares = series.select(
        "month", statistic=pl.lit("share_working"), value="share_working", n="entered"
    )
    inflow = series.select("month", statistic=pl.lit("inflow"), value="inflow", n="inflow")
    share_applied = apply_table(
        shares, profile, name="series_share_working", dims=["month"], rounding=10
    )
    inflow_applied = apply_table(
        inflow, profile, name="series_inflow", dims=["month"], pool_over="month"
    )
    return [
        ExportTable(
            "series_share_working",
            "Share of entered participants in work, per month",
            share_applied,
        ),
        ExportTable(
            "series_inflow",
            "New participants per month (pooled where below the threshold)",
            inflow_applied,
        ),
    ]


def _snapshot_tables(
    snapshot: pl.DataFrame, by_sectoral: bool, profile: Profile
) -> list[ExportTable]:
    out: list[ExportTable] = []
    working = snapshot.filter(pl.col("table") == "working")
    rows = [
        working.filter(pl.col("statistic") == "count").select(
            sectoral=pl.lit(TOTAL), statistic=pl.lit("count_working"), value="value", n="n"
        ),
        working.filter(pl.col("statistic") == "share").select(
            sectoral=pl.lit(TOTAL), statistic=pl.lit("share_working"), value="value", n="n"
        ),
    ]
    sector = snapshot.filter(pl.col("table") == "sectoral")
    if by_sectoral and sector.height:
        rows.append(sector.select(sectoral="category", statistic="statistic", value="value", n="n"))
        frame = pl.concat(rows)
        applied = apply_table(
            frame, profile, name="snapshot_working", dims=["sectoral"], margins=True
        )
    else:
        applied = apply_table(pl.concat(rows), profile, name="snapshot_working", dims=["sectoral"])
    out.append(ExportTable("snapshot_working", "In work at the end month", applied))
    titles = {
        "jobs": "Number of jobs of those in work",
        "hours_type": "Full-time or part-time (largest job)",
        "employment_type": "Employment type (largest job)",
        "relation": "Flexible or permanent (largest job)",
    }
    for table, title in titles.items():
        part = snapshot.filter(pl.col("table") == table).select(
            "category", "statistic", "value", "n"
        )
        if part.height == 0:
            continue
        applied = apply_table(
            part, profile, name=f"snapshot_{table}", dims=["category"], margins=True
        )
        out.append(ExportTable(f"snapshot_{table}", title, applied))
    amounts = snapshot.filter(pl.col("table") == "amounts").select(
        "category", "statistic", "value", "n", "total", "top1", "top2"
    )
    out.append(
        ExportTable(
            "snapshot_amounts",
            "Hours, full-time days and wages of those in work (means; hourly wage = total wage / total hours)",
            apply_table(amounts, profile, name="snapshot_amounts", dims=["category"]),
        )
    )
    return out


def distribution_cells(persons: pl.DataFrame, threshold: int) -> pl.DataFrame:
    """Durability of the worked_1m group in tenths plus exactly 1.0, adjacent bins merged until
    each holds at least ``threshold`` persons. Labels use interval notation: [0.8, 0.9) is one
    tenth, 1.0 is exactly one, [0.9, 1.0] is both merged."""
    d = persons.filter(pl.col("worked_1m"))["durability"]
    bounds = [(i / 10, (i + 1) / 10) for i in range(10)]
    counts = [int(((d >= lo) & (d < hi)).sum()) for lo, hi in bounds]
    counts.append(int((d >= 1.0).sum()))
    bins, ns = [], []
    for pool in pool_series(counts, threshold):
        first, last = pool.members[0], pool.members[-1]
        if first == last == 10:
            label = "1.0"
        else:
            closing = "]" if last == 10 else ")"
            label = f"[{bounds[first][0]:.1f}, {bounds[min(last, 9)][1]:.1f}{closing}"
        bins.append(label)
        ns.append(int(pool.total))
    return pl.DataFrame(
        {"bin": bins, "statistic": "count", "value": [float(n) for n in ns], "n": ns}
    )


def build_tables(
    yield_cells: pl.DataFrame | None,
    durability: dict[str, DurabilityResult],
    profile: Profile,
    by: tuple[str, ...],
) -> list[ExportTable]:
    """Every export table, disclosure-controlled."""
    tables: list[ExportTable] = []
    breakdown = by[0] if by else None
    if yield_cells is not None:
        applied = _yield_table(yield_cells, breakdown, profile)
        tables.append(
            ExportTable("linkage_yield", "Linkage yield: records, linked, share linked", applied)
        )
    for anchor, result in durability.items():
        name = f"durability_{anchor.replace('-', '_')}"
        title = f"Durability of work after exit ({anchor} anchor)"
        tables.append(
            ExportTable(name, title, _durability_table(result.durability, name, breakdown, profile))
        )
    first = next(iter(durability.values()), None)
    if first is not None:
        tables += _series_tables(first.series, profile)
        tables += _snapshot_tables(first.snapshot, breakdown == "sectoral", profile)
        dist = distribution_cells(first.persons, profile.threshold)
        tables.append(
            ExportTable(
                "durability_distribution",
                "Distribution of durability (worked at least one month), bins merged to the threshold",
                apply_table(dist, profile, name="durability_distribution", dims=["bin"]),
            )
        )
        if first.education is not None:
            edu = first.education
            tables.append(ExportTable("education", "Durability of education after exit to education",
                                      _durability_table(edu, "education", breakdown, profile)))  # fmt: skip
    return tables
