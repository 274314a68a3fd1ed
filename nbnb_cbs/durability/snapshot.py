"""The snapshot at the end month E: who works, in how many jobs, in what kind of job, for what pay.

Categorical descriptions use each person's largest job (most hours in E; ties: higher wage, then
the smaller IKVID), read from that job's latest row in E. Hours, full-time days and wages are
summed over all of a person's jobs (as the source study did: about 1 in 18 had more than one).
"""

from __future__ import annotations

import math

import polars as pl

__all__ = ["snapshot_cells", "snapshot_records"]

_COLUMNS = ("table", "category", "statistic", "value", "n", "total", "top1", "top2")


def _code(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()


def _person_level(rows_in_e: pl.LazyFrame) -> pl.LazyFrame:
    """One row per person working in E, with sums and the largest job's categories."""
    jobs = (
        rows_in_e.sort("pid", "IKVID", "SDATUMAANVANGIKO", "SDATUMEINDEIKO")
        .group_by("pid", "IKVID")
        .agg(
            job_hours=pl.col("SBASISUREN").sort().sum(),
            job_wage=pl.col("SBASISLOON").sort().sum(),
            dienstverband=_code("SPOLISDIENSTVERBAND").last(),
            soortbaan=_code("SSOORTBAAN").last(),
            contract=_code("SCONTRACTSOORT").last(),
        )
    )
    largest = (
        jobs.sort(["pid", "job_hours", "job_wage", "IKVID"], descending=[False, True, True, False])
        .group_by("pid", maintain_order=True)
        .first()
        .select("pid", "dienstverband", "soortbaan", "contract")
    )
    sums = rows_in_e.group_by("pid").agg(
        n_jobs=pl.col("IKVID").n_unique(),
        hours=pl.col("SBASISUREN").sort().sum(),
        fulltime_days=pl.col("SVOLTIJDDAGEN").sort().sum(),
        base_wage=pl.col("SBASISLOON").sort().sum(),
    )
    return sums.join(largest, on="pid", how="left").with_columns(
        jobs=pl.when(pl.col("n_jobs") >= 2).then(pl.lit("2+")).otherwise(pl.lit("1")),
        hours_type=pl.col("dienstverband").replace_strict(
            {"1": "full_time", "2": "part_time"}, default="unknown", return_dtype=pl.String
        ),
        employment_type=pl.col("soortbaan").replace_strict(
            {
                "4": "temp_agency",
                "1": "other",
                "2": "other",
                "3": "other",
                "5": "employment_contract",
                "9": "employment_contract",
            },
            default="unknown",
            return_dtype=pl.String,
        ),
        relation=pl.when(pl.col("soortbaan").is_in(["4", "5"]) | (pl.col("contract") == "B"))
        .then(pl.lit("flexible"))
        .when(pl.col("contract") == "O")
        .then(pl.lit("permanent"))
        .otherwise(pl.lit("unknown")),
    )


def snapshot_records(
    records: pl.LazyFrame, counted_rows: pl.LazyFrame, end_month: int
) -> pl.DataFrame:
    """One row per linked record in work at E: its categories and amounts (for the release)."""
    in_e = counted_rows.filter((pl.col("ms") <= end_month) & (pl.col("me") >= end_month))
    persons = _person_level(in_e).collect()
    return (
        records.select("record_id", "pid")
        .collect()
        .join(persons, on="pid", how="inner")
        .select(
            "record_id",
            "jobs",
            "hours_type",
            "employment_type",
            "relation",
            "hours",
            "fulltime_days",
            "base_wage",
        )
        .sort("record_id")
    )


def snapshot_cells(
    records: pl.LazyFrame,
    counted_rows: pl.LazyFrame,
    end_month: int,
    sectoral: str | None = "sectoral",
) -> pl.DataFrame:
    """Snapshot cells for all linked records.

    ``records``: linked records (record_id, pid, optional ``sectoral``); ``counted_rows``: the
    counted job rows of those persons with month numbers ``ms``/``me``.
    """
    in_e = counted_rows.filter((pl.col("ms") <= end_month) & (pl.col("me") >= end_month))
    persons = _person_level(in_e).collect()
    recs = records.collect()
    # A fixed row order keeps the floating-point sums below identical from run to run.
    working = recs.join(persons, on="pid", how="inner").sort("record_id")
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
    for amount in ("hours", "fulltime_days", "base_wage"):
        values = working[amount].fill_null(0.0)
        top = [*values.sort(descending=True).head(2).to_list(), None, None]
        cells.append(
            {
                "table": "amounts",
                "category": amount,
                "statistic": "mean",
                "value": math.fsum(values.to_list()) / n_working if n_working else None,
                "n": n_working,
                "total": math.fsum(values.to_list()),
                "top1": top[0],
                "top2": top[1],
            }
        )
    # math.fsum is correctly rounded, so totals do not depend on row order.
    hours_total = math.fsum(working["hours"].fill_null(0).to_list())
    wage = working["base_wage"].fill_null(0.0)
    wage_total = math.fsum(wage.to_list())
    top = [*wage.sort(descending=True).head(2).to_list(), None, None]
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
        flag = recs.with_columns(
            working=pl.col("record_id").is_in(working["record_id"].implode()),
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
