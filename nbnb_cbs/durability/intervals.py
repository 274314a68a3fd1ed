"""From job (or enrolment) rows to merged per-person intervals, without exploding person-months.

Periods become integer intervals in the chosen unit (months since year 0, or days since 1970),
inclusive at both ends. Per person, sorted by start, a running maximum of the ends tells where a
new run begins (a start beyond the running end + 1); each run is one merged interval. Adjacent
and overlapping rows therefore merge, duplicates vanish, and every later step only sums interval
lengths or emits +1/-1 events at interval bounds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl

__all__ = ["Unit", "merge_intervals", "merge_intervals_batched", "to_unit"]

Unit = Literal["month", "day"]


# Month number (months since year 0) of every day from 1900-01-01 to 2099-12-31: looking a day
# up is about twice as fast as taking the date apart, and that runs on every job row.
_FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DAYS = np.arange(_FIRST_DAY, int(np.datetime64("2100-01-01", "D").astype(np.int64)))
_MONTHS = pl.Series(
    "month", (_DAYS.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12)
).cast(pl.Int32)


def to_unit(date: pl.Expr, unit: Unit) -> pl.Expr:
    """A date as an integer in the unit: months since year 0, or days since 1970-01-01.

    Months come from a table for 1900-2099; a date outside those years counts as the first or
    last month of that range, which lies outside every observation window the analysis allows.
    """
    if unit == "month":
        index = (date.cast(pl.Int32) - _FIRST_DAY).clip(0, _DAYS.size - 1)
        return pl.lit(_MONTHS).gather(index)
    return date.cast(pl.Int32)


def merge_intervals(rows: pl.LazyFrame, start: str = "s", end: str = "e") -> pl.LazyFrame:
    """Merge overlapping and adjacent intervals per ``pid``: returns ``pid, s, e`` (inclusive).

    Linear passes, no window functions and no group-by. Each interval becomes two keys,
    ``pid * 2**20 + 2**19 + s`` and the same with ``e``; in key order a global running maximum of
    the end keys is each person's own running end (an earlier person's keys are all smaller), and
    a run starts wherever a start key passes the previous running end by more than one - which
    also happens at every change of person. Each run's last row carries its running end; its
    start is carried forward from the run's first row. Input already in order, as ``convert``
    writes it, is not sorted again.
    """
    # A band of 2**20 units per person holds days from about 1435 years before to 1435 years
    # after 1970 (months far more); pid (at most ~9.1e10) times the band stays below 2**63.
    band, offset = 1 << 20, 1 << 19

    def unit(column: str) -> pl.Expr:
        return pl.col(column).cast(pl.Int64).clip(-offset, offset - 1) + offset

    keyed = rows.select(
        k=pl.col("pid").cast(pl.Int64) * band + unit(start),
        ek=pl.col("pid").cast(pl.Int64) * band + unit(end),
    ).collect()
    if not keyed.select((pl.col("k").diff() >= 0).all()).item():
        keyed = keyed.sort("k")
    running = pl.col("ek").cum_max()
    new_run = (pl.col("k") > running.shift(1) + 1).fill_null(True)
    runs = (
        keyed.lazy()
        .with_columns(_end=running, _new=new_run)
        .with_columns(_start=pl.when(pl.col("_new")).then(pl.col("k")).forward_fill())
    )
    pid = pl.col("_end") // band
    return runs.filter(pl.col("_new").shift(-1).fill_null(True)).select(
        pid=pid,
        s=(pl.col("_start") - pid * band - offset).cast(pl.Int32),
        e=(pl.col("_end") - pid * band - offset).cast(pl.Int32),
    )


def merge_intervals_batched(rows: pl.LazyFrame, batch_rows: int = 2_000_000) -> pl.LazyFrame:
    """``merge_intervals`` in batches of rows, for inputs ordered by person (as ``convert``
    writes them): each batch is merged on its own and the merged batches once more. Merging is
    associative, so the result is the same; memory follows the batch, not the input."""
    parts = [
        merge_intervals(batch.lazy()).collect()
        for batch in rows.select("pid", "s", "e").collect_batches(chunk_size=batch_rows)
    ]
    if not parts:
        return rows.select("pid", "s", "e").head(0)
    return merge_intervals(pl.concat(parts).lazy())
