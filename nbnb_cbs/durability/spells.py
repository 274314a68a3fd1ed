"""Spells for survival in work, in months, from the exit anchor's person-level results.

Two spells per person who left for work (the exit anchor's ``exit_work`` group, in months):

- time to the first job: from the exit month X to the first worked month F after it (``F - X``;
  1 = working in the month after the exit), censored at ``E - X`` for those who never worked;
- the first job spell, for the ``worked_1m`` group (those with an F): the run of consecutive
  worked months starting at F (merged job intervals, so adjacent jobs continue the spell); it
  ends with the first month without work (event, duration ``e - F + 1`` months worked) or is
  censored at E (``E - F + 1``).

The groups are always the month-unit exit anchor's, whatever anchor or unit the durability run
uses; with the month unit and the exit anchor they are exactly the durability table's groups.
"""

from __future__ import annotations

import polars as pl

from nbnb_cbs.durability.intervals import to_unit, window_lookup

__all__ = ["SPELL_COLUMNS", "survival_spells"]

SPELL_COLUMNS = (
    "record_id", "exit_work", "worked_1m", "to_job_months", "to_job_event", "spell_months", "spell_event",
)  # fmt: skip


def survival_spells(
    exit_persons: pl.DataFrame, merged_months: pl.LazyFrame, end: tuple[int, int]
) -> pl.DataFrame:
    """One row per record of the exit anchor's ``exit_work`` group (month unit): both spells.

    ``exit_persons``: ``person_durability`` output (anchor exit, unit month) with record_id, pid,
    exit_date, exit_work, worked_1m; ``merged_months``: merged work intervals pid, s, e in months.
    """
    e_month = end[0] * 12 + end[1] - 1
    base = (
        exit_persons.lazy()
        .filter(pl.col("exit_work"))
        .select(
            "record_id", "pid", "exit_work", "worked_1m", _x=to_unit(pl.col("exit_date"), "month")
        )
    )
    if {"_first_month", "_first_run_end"} <= set(exit_persons.columns):
        # person_durability found them already (the same window, X+1 to E, in months).
        firsts = (
            exit_persons.lazy()
            .filter(pl.col("exit_work"))
            .select(
                "record_id",
                "pid",
                "exit_work",
                "worked_1m",
                _x=to_unit(pl.col("exit_date"), "month"),
                _f="_first_month",
                _end="_first_run_end",
            )
        )
        return _spells(firsts, e_month)
    members = base.collect()
    # Binary search in the ordered intervals (intervals.window_lookup); a join when they are not.
    found = window_lookup(
        members["pid"],
        members["_x"] + 1,
        pl.repeat(e_month, members.height, dtype=pl.Int32, eager=True),
        merged_months.collect(),
    )
    if found is not None:
        firsts = members.with_columns(_f=found["first"], _end=found["first_end"]).lazy()
    else:
        window_start = pl.max_horizontal(pl.col("s"), pl.col("_x") + 1)
        earliest = (
            base.join(merged_months, on="pid", how="inner")
            .filter((pl.col("e") >= pl.col("_x") + 1) & (window_start <= e_month))
            .group_by("record_id")
            # Merged intervals are disjoint and never adjacent: the earliest one holds F and its
            # end is where the first spell's run of worked months stops.
            .agg(_f=window_start.min(), _end=pl.col("e").sort_by(window_start).first())
        )
        firsts = base.join(earliest, on="record_id", how="left")
    return _spells(firsts, e_month)


def _spells(firsts: pl.LazyFrame, e_month: int) -> pl.DataFrame:
    """Both spells from each record's exit month ``_x``, first worked month ``_f`` and the end of
    the run of work from it ``_end``."""
    out = (
        firsts.with_columns(
            to_job_months=pl.coalesce(pl.col("_f"), pl.lit(e_month)) - pl.col("_x"),
            to_job_event=pl.col("_f").is_not_null(),
            spell_months=pl.min_horizontal(pl.col("_end"), pl.lit(e_month)) - pl.col("_f") + 1,
            spell_event=pl.col("_end") < e_month,
        )
        .select(SPELL_COLUMNS)
        .collect()
    )
    if not out.select((pl.col("worked_1m") == pl.col("to_job_event")).all()).item():
        raise RuntimeError("survival spells: a first worked month must exist exactly for worked_1m")
    return out.with_columns(pl.col("to_job_months", "spell_months").cast(pl.Int32)).sort(
        "record_id"
    )
