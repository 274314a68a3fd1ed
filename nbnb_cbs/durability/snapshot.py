"""The snapshot at the end month E: who works, in how many jobs, in what kind of job, for what pay.

Amounts are monthly: each counted row contributes its hours, full-time days and wages in
proportion to the days of its period that fall in E (a row of 3 to 30 December counts fully, a row
of 31 December to 27 January counts 1/28), so a 4-weekly payee is not counted up to three times.
With a ``snapshot_date`` (the study's peildatum, 31 December) the snapshot instead takes the rows
whose period contains that date, each whole.

Categorical descriptions use each person's largest job (most prorated hours; ties: higher
prorated wage, then the smaller IKVID), read from that job's latest row; the contract classes are
the report's (``durability.contracts``). Hours, full-time days and wages
are summed over all of a person's jobs (as the source study did: about 1 in 18 had more than
one); the hourly wage is total wage over total hours. A net wage column in the jobs file
(``net_wage``) is summed the same way and reported beside the gross base wage.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import polars as pl

from nbnb_cbs.durability.contracts import INDICATORS, employment_type, relation
from nbnb_cbs.text import per_distinct

__all__ = ["AMOUNTS", "rows_at_end", "snapshot_cells", "snapshot_records", "working_persons"]

_COLUMNS = ("table", "category", "statistic", "value", "n", "total", "top1", "top2")
# Source column -> published amount; net_wage only when the jobs file carries it.
AMOUNTS = {
    "SBASISUREN": "hours",
    "SVOLTIJDDAGEN": "fulltime_days",
    "SBASISLOON": "base_wage",
    "net_wage": "net_wage",
}
_SHARE = "_snapshot_share"


def rows_at_end(
    counted_rows: pl.LazyFrame, end_month: int, snapshot_date: dt.date | None = None
) -> pl.LazyFrame:
    """The counted rows in the snapshot, each with the share of it that counts (``_snapshot_share``).

    Without a date: rows overlapping the end month, weighted by the share of their period's days
    that fall in it. With a date: rows whose period contains it, whole."""
    start, end = pl.col("SDATUMAANVANGIKO"), pl.col("SDATUMEINDEIKO")
    if snapshot_date is not None:
        day = pl.lit(snapshot_date)
        return counted_rows.filter((start <= day) & (end >= day)).with_columns(
            pl.lit(1.0).alias(_SHARE)
        )
    year, month = divmod(end_month, 12)
    first = dt.date(year, month + 1, 1)
    last = dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])
    period = (end - start).dt.total_days() + 1
    inside = (
        pl.min_horizontal(end, pl.lit(last)) - pl.max_horizontal(start, pl.lit(first))
    ).dt.total_days() + 1
    return counted_rows.filter((start <= pl.lit(last)) & (end >= pl.lit(first))).with_columns(
        (inside.cast(pl.Float64) / period.cast(pl.Float64)).alias(_SHARE)
    )


def _code(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()


def _prorated(column: str) -> pl.Expr:
    return (pl.col(column).fill_null(0.0) * pl.col(_SHARE)).sort().sum()


def _person_level(rows_in_e: pl.LazyFrame) -> pl.DataFrame:
    """One row per person working in E, with prorated sums and the largest job's categories."""
    present = set(rows_in_e.collect_schema().names())
    amounts = {source: name for source, name in AMOUNTS.items() if source in present}
    jobs = (
        # Stable: rows of one job and period keep their order in the file, so "the latest row"
        # is the same whether the rows come from the raw file or the one convert wrote.
        rows_in_e.sort("pid", "IKVID", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", maintain_order=True)
        .group_by("pid", "IKVID")
        .agg(
            *(pl.col(c).cast(pl.String).last() for c in INDICATORS),
            job_hours=_prorated("SBASISUREN"),
            job_wage=_prorated("SBASISLOON"),
            dienstverband=pl.col("SPOLISDIENSTVERBAND").last(),
            soortbaan=pl.col("SSOORTBAAN").last(),
            contract=pl.col("SCONTRACTSOORT").last(),
        )
        # The codes of the latest rows only are cleaned (the same as cleaning all, then last).
        .with_columns(_code(c) for c in ("dienstverband", "soortbaan", "contract"))
    )
    largest = (
        jobs.sort(["pid", "job_hours", "job_wage", "IKVID"], descending=[False, True, True, False])
        .group_by("pid", maintain_order=True)
        .first()
        .select("pid", "dienstverband", "soortbaan", "contract", *INDICATORS)
    )
    sums = rows_in_e.group_by("pid").agg(
        n_jobs=pl.col("IKVID").n_unique(),
        **{name: _prorated(source) for source, name in amounts.items()},
    )
    classes = {
        "hours_type": pl.col("dienstverband").replace_strict(
            {"1": "full_time", "2": "part_time"}, default="unknown", return_dtype=pl.String
        ),
        "employment_type": employment_type(),
        "relation": relation(),
    }
    keys = ["dienstverband", "soortbaan", "contract", *INDICATORS]
    persons = sums.join(largest, on="pid", how="left").with_columns(
        jobs=pl.when(pl.col("n_jobs") >= 2).then(pl.lit("2+")).otherwise(pl.lit("1"))
    )
    # The classes of each distinct combination of codes, once (a handful), then looked up.
    return per_distinct(persons.collect(), classes, keys)


def working_persons(
    counted_rows: pl.LazyFrame, end_month: int, snapshot_date: dt.date | None = None
) -> pl.DataFrame:
    """One row per person working at E (``pid``), with the snapshot's categories and amounts:
    worked out once, it serves the snapshot's cells, its records and the outcomes at E."""
    return _person_level(rows_at_end(counted_rows, end_month, snapshot_date))


def snapshot_records(
    records: pl.LazyFrame,
    counted_rows: pl.LazyFrame,
    end_month: int,
    snapshot_date: dt.date | None = None,
    *,
    persons: pl.DataFrame | None = None,
    joined: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per linked record in work at E: its categories and amounts (for the release).
    ``persons``: ``working_persons`` of the same rows, when the caller has it already;
    ``joined``: the records joined to those persons (inner, on pid), when it has that too."""
    if joined is None:
        if persons is None:
            persons = working_persons(counted_rows, end_month, snapshot_date)
        joined = records.select("record_id", "pid").collect().join(persons, on="pid", how="inner")
    return joined.select(
        "record_id",
        "jobs",
        "hours_type",
        "employment_type",
        "relation",
        *(a for a in AMOUNTS.values() if a in joined.columns),
    ).sort("record_id")


def snapshot_cells(
    records: pl.LazyFrame,
    counted_rows: pl.LazyFrame,
    end_month: int,
    sectoral: str | None = "sectoral",
    snapshot_date: dt.date | None = None,
    *,
    persons: pl.DataFrame | None = None,
    joined: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Snapshot cells for all linked records.

    ``records``: linked records (record_id, pid, optional ``sectoral``); ``counted_rows``: the
    counted job rows of those persons (SPOLISBUS period dates, amounts, categories);
    ``persons``: ``working_persons`` of those rows, when the caller has it already;
    ``joined``: ``records`` joined to them (inner, on pid), when it has that too.
    """
    if persons is None:
        persons = working_persons(counted_rows, end_month, snapshot_date)
    recs = records.collect()
    # The sums below are math.fsum (correctly rounded), so they do not depend on row order.
    working = recs.join(persons, on="pid", how="inner") if joined is None else joined
    n_linked, n_working = recs.height, working.height
    cells: list[dict[str, object]] = [
        {
            "table": "working",
            "category": "all",
            "statistic": "count",
            "value": float(n_working),
            "n": n_working,
        },
        {
            "table": "working",
            "category": "all",
            "statistic": "share",
            "value": n_working / n_linked if n_linked else None,
            "n": n_linked,
        },
    ]
    for table in ("jobs", "hours_type", "employment_type", "relation"):
        counts = working.group_by(table).len().sort(table)
        for category, count in counts.iter_rows():
            cells.append(
                {
                    "table": table,
                    "category": category,
                    "statistic": "count",
                    "value": float(count),
                    "n": count,
                }
            )
            cells.append(
                {
                    "table": table,
                    "category": category,
                    "statistic": "share",
                    "value": count / n_working,
                    "n": n_working,
                }
            )
    totals: dict[str, float] = {}
    tops: dict[str, list[float | None]] = {}
    for amount in (a for a in AMOUNTS.values() if a in working.columns):
        values = working[amount].fill_null(0.0)
        totals[amount] = math.fsum(values.to_list())
        tops[amount] = [*values.top_k(2).sort(descending=True).to_list(), None, None]
        cells.append(
            {
                "table": "amounts",
                "category": amount,
                "statistic": "mean",
                "value": totals[amount] / n_working if n_working else None,
                "n": n_working,
                "total": totals[amount],
                "top1": tops[amount][0],
                "top2": tops[amount][1],
            }
        )
    hours_total, wage_total, top = totals["hours"], totals["base_wage"], tops["base_wage"]
    cells.append(
        {
            "table": "amounts",
            "category": "hourly_wage",
            "statistic": "ratio",
            "value": wage_total / hours_total if hours_total else None,
            "n": n_working,
            "total": wage_total,
            "top1": top[0],
            "top2": top[1],
        }
    )
    if sectoral and sectoral in recs.columns:
        # A record works when its person does (the inner join above): its pid is in persons.
        flag = recs.with_columns(
            working=pl.col("pid").is_in(persons["pid"].implode()).fill_null(False),
            category=pl.col(sectoral).cast(pl.String).fill_null("unknown"),
        )
        for category, n, n_work in (
            flag.group_by("category")
            .agg(pl.len(), pl.col("working").sum())
            .sort("category")
            .iter_rows()
        ):
            cells.append(
                {
                    "table": "sectoral",
                    "category": category,
                    "statistic": "count_working",
                    "value": float(n_work),
                    "n": n_work,
                }
            )
            cells.append(
                {
                    "table": "sectoral",
                    "category": category,
                    "statistic": "share_working",
                    "value": n_work / n,
                    "n": n,
                }
            )
    schema = {
        "table": pl.String,
        "category": pl.String,
        "statistic": pl.String,
        "value": pl.Float64,
        "n": pl.Int64,
        "total": pl.Float64,
        "top1": pl.Float64,
        "top2": pl.Float64,
    }
    return pl.DataFrame([{c: cell.get(c) for c in _COLUMNS} for cell in cells], schema=schema)
