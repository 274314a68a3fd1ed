"""From job (or enrolment) rows to merged per-person intervals, without exploding person-months.

Periods become integer intervals in the chosen unit (months since year 0, or days since 1970),
inclusive at both ends. Per person, sorted by start, a running maximum of the ends tells where a
new run begins (a start beyond the running end + 1); each run is one merged interval. Adjacent
and overlapping rows therefore merge, duplicates vanish, and every later step only sums interval
lengths or emits +1/-1 events at interval bounds.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

__all__ = ["Unit", "merge_intervals", "merge_intervals_batched", "person_key", "to_unit"]

Unit = Literal["month", "day"]


def person_key(rinpersoons: str = "RINPERSOONS", rinpersoon: str = "RINPERSOON") -> pl.Expr:
    """One integer per person: RINPERSOONS's letter code above the 9-digit RINPERSOON.

    Both sides of every join use this same expression, so RINPERSOON is compared as an integer
    consistently (the text form keeps its leading zeros elsewhere).
    """
    letter = pl.col(rinpersoons).cast(pl.String).str.strip_chars().str.to_uppercase().fill_null("R")
    code = (
        letter.str.encode("hex").str.slice(0, 2).str.to_integer(base=16, strict=False).fill_null(0)
    )
    number = pl.col(rinpersoon).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
    return (code.cast(pl.Int64) * 1_000_000_000 + number).alias("pid")


def to_unit(date: pl.Expr, unit: Unit) -> pl.Expr:
    """A date as an integer in the unit: months since year 0, or days since 1970-01-01."""
    if unit == "month":
        return (date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1).cast(
            pl.Int32
        )
    return date.cast(pl.Int32)


def merge_intervals(rows: pl.LazyFrame, start: str = "s", end: str = "e") -> pl.LazyFrame:
    """Merge overlapping and adjacent intervals per ``pid``: returns ``pid, s, e`` (inclusive).

    Linear passes, no window functions and no group-by: in (pid, s) order, a global running
    maximum of ``pid * 2**32 + e`` is each person's own running maximum of ``e`` (every earlier
    person's values are smaller). A run starts where the person changes or ``s`` passes the
    previous running end by more than one unit; each run's last row carries its running end,
    and its start is carried forward from the run's first row. Input already in (pid, s) order,
    as ``convert`` writes it, is not sorted again.
    """
    shift, offset = 1 << 32, 1 << 31  # offset keeps negative units inside the person's band
    frame = rows.select("pid", pl.col(start).alias("s"), pl.col(end).alias("e")).collect()
    in_order = frame.select(
        ((pl.col("pid").diff() > 0) | ((pl.col("pid").diff() == 0) & (pl.col("s").diff() >= 0)))
        .fill_null(True)
        .all()
    ).item()
    if not in_order:
        frame = frame.sort("pid", "s")
    pid = pl.col("pid").cast(pl.Int64)
    running_end = (
        (pid * shift + pl.col("e").cast(pl.Int64) + offset).cum_max() - pid * shift - offset
    )
    new_run = (pl.col("pid") != pl.col("pid").shift(1)).fill_null(True) | (
        pl.col("s").cast(pl.Int64) > running_end.shift(1) + 1
    )
    return (
        frame.lazy()
        .with_columns(_end=running_end, _new=new_run)
        .with_columns(_first_s=pl.when(pl.col("_new")).then(pl.col("s")).forward_fill())
        .filter(pl.col("_new").shift(-1).fill_null(True))
        .select("pid", s=pl.col("_first_s").cast(pl.Int32), e=pl.col("_end").cast(pl.Int32))
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
