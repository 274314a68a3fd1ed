"""Monthly series: entered, working, inflow and share working, from +1/-1 events and a cumsum."""

from __future__ import annotations

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
    entries = records.filter(pl.col("entry_date").is_not_null()).select(
        "record_id", "pid", m=to_unit(pl.col("entry_date"), "month")
    )
    first = entries.select(pl.col("m").min()).collect().item()
    if first is None or first > end_month:
        return pl.DataFrame(
            schema={
                "month": pl.String,
                "entered": pl.Int64,
                "working": pl.Int64,
                "inflow": pl.Int64,
                "share_working": pl.Float64,
            }
        )
    months = pl.LazyFrame(
        {"month_no": pl.int_range(first, end_month + 1, eager=True).cast(pl.Int32)}
    )
    inflow = (
        entries.filter(pl.col("m") <= end_month).group_by("m").agg(inflow=pl.len().cast(pl.Int64))
    )
    spans = (
        entries.join(merged_months, on="pid", how="inner")
        .select(
            a=pl.max_horizontal(pl.col("s"), pl.col("m")),
            b=pl.min_horizontal(pl.col("e"), pl.lit(end_month)),
        )
        .filter(pl.col("a") <= pl.col("b"))
    )
    events = (
        pl.concat(
            [
                spans.select(month_no=pl.col("a"), delta=pl.lit(1, pl.Int64)),
                spans.select(month_no=pl.col("b") + 1, delta=pl.lit(-1, pl.Int64)),
            ]
        )
        .group_by("month_no")
        .agg(pl.col("delta").sum())
    )
    out = (
        months.join(inflow, left_on="month_no", right_on="m", how="left")
        .join(events, on="month_no", how="left")
        .sort("month_no")
        .with_columns(
            inflow=pl.col("inflow").fill_null(0),
            working=pl.col("delta").fill_null(0).cum_sum(),
        )
        .with_columns(entered=pl.col("inflow").cum_sum())
        .select(
            month=_month_text(pl.col("month_no")),
            entered="entered",
            working="working",
            inflow="inflow",
            share_working=pl.col("working") / pl.col("entered"),
        )
    )
    return out.collect()
