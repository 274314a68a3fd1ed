"""Durability per record and its statistics, exactly as the README's definitions say.

Exit anchor: observable units are those after the exit (months X+1..E, or the days after the
exit date through the last day of E). First-job anchor: from the first worked unit after the exit.
worked = units of the window covered by merged intervals; durability = worked / observable.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import polars as pl

from nbnb_cbs.durability.intervals import Unit, to_unit, window_lookup

__all__ = [
    "EDUCATION_GROUPS",
    "EXCLUSION_REASONS",
    "GROUPS",
    "STATISTICS",
    "durability_cells",
    "person_durability",
]

Anchor = Literal["exit", "first-job"]
EXCLUSION_REASONS = (
    "not_linked",
    "not_exit_to_work",
    "no_exit_date",
    "exit_after_end",
    "no_observable_time",
    "no_job_after_exit",
)
GROUPS = ("exit_work", "worked_1m", "observed_12m")
# The same groups of the education cohort, with their own names (durability of enrolment).
EDUCATION_GROUPS = ("exit_education", "enrolled_1m", "observed_12m")
STATISTICS = ("n", "mean", "weighted_mean", "share_100", "share_ge_90")


@functools.cache
def _month_texts() -> pl.Series:
    """'YYYY-MM' of every month of the years 0 to 9999, by month number."""
    m = pl.int_range(0, _MONTH_TEXTS, dtype=pl.Int32, eager=True)
    return pl.select(
        pl.format("{}-{}", m // 12, (m % 12 + 1).cast(pl.String).str.zfill(2))
    ).to_series()


_MONTH_TEXTS = 10_000 * 12


def _month_text(month_number: pl.Expr) -> pl.Expr:
    """Months since year 0 -> 'YYYY-MM' (looked up: formatting every row costs about thirty
    times more). Month numbers come from ``to_unit`` (1900-2099) or a checked end month, so
    they lie in the table; anything else would read as null."""
    inside = month_number.is_between(0, _MONTH_TEXTS - 1)
    index = month_number.clip(0, _MONTH_TEXTS - 1)
    return pl.when(inside).then(pl.lit(_month_texts()).gather(index))


def end_bounds(end: tuple[int, int], unit: Unit) -> int:
    """The last unit of the observation: month number of E, or the day number of its last day."""
    year, month = end
    if unit == "month":
        return year * 12 + month - 1
    nxt = pl.date(year + (month == 12), month % 12 + 1, 1)
    return int(pl.select((nxt - pl.duration(days=1)).cast(pl.Int32)).item())


def person_durability(
    records: pl.LazyFrame,
    merged: pl.LazyFrame,
    *,
    end: tuple[int, int],
    unit: Unit = "month",
    anchor: Anchor = "exit",
    destination: str = "work",
    min_long: int | None = None,
) -> pl.LazyFrame:
    """One row per record: window, observable, worked, durability, groups and exclusion reason.

    ``records`` needs record_id, pid (null when not linked), exit_date, exit_destination;
    ``merged`` holds merged intervals pid, s, e in the same unit.
    """
    e_unit = end_bounds(end, unit)
    e_month = end[0] * 12 + end[1] - 1
    exit_month = to_unit(pl.col("exit_date"), "month")
    exit_unit = to_unit(pl.col("exit_date"), unit)
    base = records.with_columns(
        _x=exit_month,
        _ws0=exit_unit + 1,
        _we=pl.lit(e_unit, dtype=pl.Int32),
    ).collect()
    intervals = merged.collect()
    # Binary search in the ordered intervals (intervals.window_lookup); a join where they are
    # not in merge_intervals' form. The units worked from the first worked one on are those
    # worked from the exit on, so both anchors take the same count.
    # Only records that can be measured are looked up: every other record is excluded before
    # its window counts (the reasons below), so its lookup would only be thrown away.
    candidate = (
        pl.col("pid").is_not_null()
        & (pl.col("exit_destination").fill_null("unknown") == destination)
        & pl.col("exit_date").is_not_null()
        & (pl.col("_x") <= e_month)
    )
    window_start = base.select(pl.when(candidate).then(pl.col("_ws0")))["_ws0"]
    found = window_lookup(base["pid"], window_start, base["_we"], intervals)
    if found is None:
        frame = _window_by_join(base.lazy(), intervals.lazy(), anchor).collect()
    else:
        first = found["first"] if anchor == "first-job" else pl.lit(None, pl.Int32)
        frame = base.with_columns(
            _worked=found["worked"],
            _first=first,
            _ws=first if anchor == "first-job" else pl.col("_ws0"),
        )
        if unit == "month":  # the survival spells' first month after the exit and its run
            frame = frame.with_columns(
                _first_month=found["first"], _first_run_end=found["first_end"]
            )
    observable_raw = pl.col("_we") - pl.coalesce(pl.col("_ws"), pl.col("_ws0")) + 1
    reason = (
        pl.when(pl.col("pid").is_null())
        .then(pl.lit("not_linked"))
        .when(pl.col("exit_destination").fill_null("unknown") != destination)
        .then(pl.lit("not_exit_to_work"))
        .when(pl.col("exit_date").is_null())
        .then(pl.lit("no_exit_date"))
        .when(pl.col("_x") > e_month)
        .then(pl.lit("exit_after_end"))
        .when((pl.col("_we") - pl.col("_ws0") + 1) <= 0)
        .then(pl.lit("no_observable_time"))
        .when(pl.col("_ws").is_null())
        .then(pl.lit("no_job_after_exit"))
    )
    long_from = min_long if min_long is not None else (12 if unit == "month" else 365)
    included = reason.is_null()
    anchor_month = pl.col("_ws") if unit == "month" else pl.col("_ws").cast(pl.Date)
    out = (
        frame.lazy()
        .with_columns(excluded_reason=reason)
        .with_columns(
            exit_month=_month_text(pl.col("_x")),
            anchor_month=pl.when(included).then(
                _month_text(anchor_month if unit == "month" else to_unit(anchor_month, "month"))
            ),
            observable=pl.when(included).then(observable_raw).cast(pl.Int32),
            worked=pl.when(included).then(pl.col("_worked").fill_null(0)).cast(pl.Int32),
        )
    )
    out = (
        out.with_columns(
            durability=pl.col("worked") / pl.col("observable"),
            exit_work=pl.col("excluded_reason").is_null(),
        )
        .with_columns(
            worked_1m=pl.col("exit_work") & (pl.col("worked") >= 1),
        )
        .with_columns(
            observed_12m=pl.col("worked_1m") & (pl.col("observable") >= long_from),
        )
    )
    return out.drop("_x", "_ws0", "_we", "_ws", "_first", "_worked")


def _window_by_join(base: pl.LazyFrame, merged: pl.LazyFrame, anchor: Anchor) -> pl.LazyFrame:
    """``_ws``, ``_first`` and ``_worked`` per record by joining each record to its person's
    intervals (for intervals not in ``merge_intervals``' ordered, disjoint form)."""
    base = base.with_row_index("_rk")
    if anchor == "first-job":
        pairs = base.select("_rk", "pid", "_ws0", "_we").join(merged, on="pid", how="inner")
        clipped_start = pl.max_horizontal(pl.col("s"), pl.col("_ws0"))
        firsts = (
            pairs.filter((pl.col("e") >= pl.col("_ws0")) & (clipped_start <= pl.col("_we")))
            .group_by("_rk")
            .agg(_first=clipped_start.min())
        )
        frame = base.join(firsts, on="_rk", how="left", maintain_order="left").with_columns(
            _ws=pl.col("_first")
        )
    else:
        frame = base.with_columns(_ws=pl.col("_ws0"), _first=pl.lit(None, pl.Int32))
    window = frame.select("_rk", "pid", "_ws", "_we").join(merged, on="pid", how="inner")
    overlap = (
        pl.min_horizontal(pl.col("e"), pl.col("_we"))
        - pl.max_horizontal(pl.col("s"), pl.col("_ws"))
        + 1
    ).clip(lower_bound=0)
    worked = window.group_by("_rk").agg(_worked=overlap.sum())
    return frame.join(worked, on="_rk", how="left", maintain_order="left").drop("_rk")


def _exact_means(values: pl.DataFrame) -> dict[tuple[str, str, str], float]:
    """The mean durability of each cell (``group, by, by_value``) from its distinct values and
    how often each occurs (``durability``, ``_c``): the correctly rounded sum (math.fsum) of its
    values over their number, so results do not depend on the order of the records.

    A value v occurring c times adds v * 2**i for each bit i of c: each such term is exact (a
    power of two scales without rounding), so fsum of them is the correctly rounded sum of all
    c copies. A cell of a few hundred thousand records holds a few hundred distinct values (in
    months), so this adds a few thousand terms instead of every record's value."""
    terms: dict[tuple[str, str, str], list[float]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for group, by, by_value, value, count in values.iter_rows():
        key = (group, by, by_value)
        counts[key] = counts.get(key, 0) + count
        pieces = terms.setdefault(key, [])
        pieces.extend(
            value * float(1 << bit) for bit in range(count.bit_length()) if count >> bit & 1
        )
    return {key: math.fsum(pieces) / counts[key] for key, pieces in terms.items()}


def durability_cells(
    persons: pl.LazyFrame, by: list[str], groups: tuple[str, ...] = GROUPS
) -> pl.DataFrame:
    """Cells ``group, by, by_value, statistic, value, n`` for every group (a boolean column of
    ``persons`` each), overall and per ``by``.

    The persons are read once: counted by their groups, ``by`` values and durability, with their
    worked and observable units summed (as 64-bit integers: a national cohort's days overflow
    32 bits). Every cell is then a sum over that small frame (a few thousand rows)."""
    keys = ["group", "by", "by_value"]
    flags = {f"_g{i}": pl.col(g).fill_null(False) for i, g in enumerate(groups)}
    values = {
        f"_b{j}": pl.col(column).cast(pl.String).fill_null("unknown") for j, column in enumerate(by)
    }
    counted = (
        persons.select(**flags, **values, durability="durability", _w="worked", _o="observable")
        .filter(pl.any_horizontal(list(flags)))
        .group_by([*flags, *values, "durability"])
        .agg(
            _c=pl.len().cast(pl.Int64),
            _w=pl.col("_w").cast(pl.Int64).sum(),
            _o=pl.col("_o").cast(pl.Int64).sum(),
        )
        .collect()
    )
    parts = []
    for i, group in enumerate(groups):
        members = counted.filter(pl.col(f"_g{i}"))
        parts.append(members.with_columns(group=pl.lit(group), by=pl.lit(""), by_value=pl.lit("")))
        for j, column in enumerate(by):
            parts.append(
                members.with_columns(
                    group=pl.lit(group), by=pl.lit(column), by_value=pl.col(f"_b{j}")
                )
            )
    # Per cell and distinct durability: how many records hold it (the exact means' terms).
    per_value = (
        pl.concat([p.select(*keys, "durability", "_c", "_w", "_o") for p in parts])
        .group_by([*keys, "durability"])
        .agg(pl.col("_c", "_w", "_o").sum())
    )
    d = pl.col("durability")
    wide = per_value.group_by(keys).agg(
        _n=pl.col("_c").sum(),
        _worked=pl.col("_w").sum(),
        _observable=pl.col("_o").sum(),
        _full=pl.col("_c").filter(d >= 1.0).sum(),
        _ge90=pl.col("_c").filter(d >= 0.9).sum(),
    )
    means = _exact_means(per_value.select(*keys, "durability", "_c"))
    mean = [means[key] for key in wide.select(keys).iter_rows()]
    n = pl.col("_n").cast(pl.Float64)
    wide = wide.select(
        *keys,
        "_n",
        n=n,
        mean=pl.Series("mean", mean, dtype=pl.Float64),
        weighted_mean=pl.col("_worked") / pl.col("_observable"),
        share_100=pl.col("_full").cast(pl.Float64) / n,
        share_ge_90=pl.col("_ge90").cast(pl.Float64) / n,
    )
    long = wide.unpivot(
        index=["group", "by", "by_value", "_n"], on=list(STATISTICS), variable_name="statistic"
    ).rename({"_n": "n"})
    order = {g: i for i, g in enumerate(groups)}
    stat_order = {s: i for i, s in enumerate(STATISTICS)}
    return (
        long.with_columns(
            _g=pl.col("group").replace_strict(order, return_dtype=pl.Int32),
            _s=pl.col("statistic").replace_strict(stat_order, return_dtype=pl.Int32),
        )
        .sort("_g", "by", "by_value", "_s")
        .select("group", "by", "by_value", "statistic", "value", "n")
    )
