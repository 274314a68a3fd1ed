"""Monthly series: entered, working, inflow and share working, from +1/-1 events and a cumsum."""

from __future__ import annotations

import numpy as np
import polars as pl

from nbnb_cbs.durability.intervals import to_unit
from nbnb_cbs.durability.measure import _month_text

__all__ = ["monthly_series"]


def monthly_series(
    records: pl.LazyFrame, merged_months: pl.LazyFrame, end_month: int
) -> pl.DataFrame:
    """``month, entered, working, inflow, share_working`` from the first entry month through E.

    ``records``: linked records (record_id, pid, entry_date); ``merged_months``: pid, s, e in
    month numbers. A record counts as entered from its entry month on, and as working in a
    month when it has entered and one of its person's intervals covers that month.
    """
    entries = (
        records.filter(pl.col("entry_date").is_not_null())
        .select("pid", m=to_unit(pl.col("entry_date"), "month"))
        .collect()
    )
    lowest = entries["m"].min()
    if lowest is None or int(lowest) > end_month:  # type: ignore[arg-type]
        return pl.DataFrame(
            schema={
                "month": pl.String,
                "entered": pl.Int64,
                "working": pl.Int64,
                "inflow": pl.Int64,
                "share_working": pl.Float64,
            }
        )
    first = int(lowest)  # type: ignore[arg-type]
    size = end_month - first + 1
    month = entries["m"].to_numpy()
    inflow = np.bincount(month[month <= end_month] - first, minlength=size)
    # A record without a person (none are passed in) enters but has no intervals.
    persons = entries.filter(pl.col("pid").is_not_null())
    merged = merged_months.select("pid", "s", "e").collect()
    delta = _events(persons, merged, first, end_month)
    out = pl.DataFrame(
        {
            "month_no": np.arange(first, end_month + 1, dtype=np.int32),
            "inflow": inflow.astype(np.int64),
            "working": np.cumsum(delta[:size]),
        }
    )
    return out.select(
        month=_month_text(pl.col("month_no")),
        entered=pl.col("inflow").cum_sum(),
        working="working",
        inflow="inflow",
        share_working=pl.col("working") / pl.col("inflow").cum_sum(),
    )


def _events(entries: pl.DataFrame, merged: pl.DataFrame, first: int, end_month: int) -> np.ndarray:
    """Per month from ``first`` through ``end_month + 1``: records starting to work (+1) less
    records stopping (-1), over every pair of a record (``pid``, entry month ``m``) and an
    interval of its person (``pid, s, e`` in months) that overlaps the months from its entry
    through E. (A person's merged intervals are disjoint: a record counts once a month.)"""
    pairs = (
        entries.lazy()
        .join(merged.lazy(), on="pid", how="inner")
        .select(
            a=pl.max_horizontal(pl.col("s"), pl.col("m")).cast(pl.Int64),
            b=pl.min_horizontal(pl.col("e"), pl.lit(end_month)).cast(pl.Int64),
        )
        .filter(pl.col("a") <= pl.col("b"))
        .collect()
    )
    size = end_month - first + 2
    up = np.bincount(pairs["a"].to_numpy() - first, minlength=size)
    down = np.bincount(pairs["b"].to_numpy() + 1 - first, minlength=size)
    return up - down
