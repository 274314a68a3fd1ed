"""Benchmark steps; each runs in its own process (``python -m benchmarks.steps STEP FOLDER SIZE``)
so that its wall time and peak memory are its own. Setup steps prepare the folder; measured
steps print one line describing what they did."""

from __future__ import annotations

# isort: off
# First, as the nbnb-cbs command imports it: its allocator settings (nbnb_cbs/_allocators.py)
# take effect only before polars is first imported, and apply to every step alike (DuckDB's and
# pandas' included).
import nbnb_cbs  # noqa: F401

# isort: on
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

END = (2021, 12)
END_MONTH = END[0] * 12 + END[1] - 1


# --- setup ------------------------------------------------------------------------------------


def synth_step(folder: Path, persons: int) -> str:
    from nbnb_cbs import synth

    options = synth.SynthOptions(
        participants=max(1012, persons // 100), population=persons, format="parquet"
    )
    data = synth.build(options)
    synth.write(data, folder, "parquet")
    return f"{data.jobs.height:,} job rows for {persons:,} persons"


def cohort_setup_step(folder: Path, _: int) -> str:
    """The durability cohort for the comparisons: every person in the jobs file, each with a
    seeded exit date in 2019-2021, so all job rows take part (the heaviest honest case)."""
    pids = (
        pl.scan_parquet(folder / "jobs-typed.parquet").select("pid").unique().collect().sort("pid")
    )
    rng = np.random.default_rng(7)
    days = rng.integers(
        0, (np.datetime64("2021-11-30") - np.datetime64("2019-01-01")).astype(int), pids.height
    )
    cohort = pids.with_columns(
        record_id=pl.format("r{}", pl.int_range(pl.len())),
        exit_date=pl.Series(np.datetime64("2019-01-01") + days.astype("timedelta64[D]")),
    ).select("record_id", "pid", "exit_date")
    cohort.write_parquet(folder / "cohort.parquet")
    return f"cohort of {cohort.height:,} persons"


def convert_step(folder: Path, _: int) -> str:
    from nbnb_cbs.io.convert import convert_files

    result = convert_files([folder / "jobs.parquet"], folder / "jobs-typed.parquet")
    return f"{result.rows_read:,} rows in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s), {result.row_groups} row groups"


def sav_setup_step(folder: Path, rows: int) -> str:
    """Write a .sav of ``rows`` job rows (setup for the convert-from-SPSS measurement)."""
    from nbnb_cbs.io.writers import write_sav

    frame = pl.scan_parquet(folder / "jobs.parquet").head(rows).collect()
    write_sav(frame, folder / "jobs.sav")
    return f"wrote {frame.height:,} rows to jobs.sav"


def convert_sav_step(folder: Path, _: int) -> str:
    from nbnb_cbs.io.convert import convert_files

    result = convert_files(
        [folder / "jobs.sav"], folder / "jobs-from-sav.parquet", chunk_rows=250_000
    )
    return f"{result.rows_read:,} rows from .sav in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)"


# --- cohort cut -----------------------------------------------------------------------------


def _thousand(folder: Path) -> pl.DataFrame:
    pids = pl.read_parquet(folder / "jobs-typed.parquet", columns=["pid"]).unique().sort("pid")
    rng = np.random.default_rng(1)
    return pids[np.sort(rng.choice(pids.height, size=min(1000, pids.height), replace=False))]


def scan_step(folder: Path, _: int) -> str:
    start = time.perf_counter()
    rins = pl.scan_parquet(folder / "jobs-typed.parquet").select("RINPERSOON").collect()
    return f"bare scan of RINPERSOON: {rins.height:,} values in {time.perf_counter() - start:.2f} s"


def cohort_step(folder: Path, _: int) -> tuple[str, float]:
    from nbnb_cbs.io.readers import read_parquet_for
    from nbnb_cbs.schemas import JOBS

    persons = _thousand(folder)
    start = time.perf_counter()
    table = read_parquet_for(folder / "jobs-typed.parquet", JOBS, persons)
    took = time.perf_counter() - start
    return (
        f"cohort of {persons.height:,} persons: {table.frame.height:,} rows in {took:.2f} s",
        took,
    )


# --- durability, four ways --------------------------------------------------------------------


def _counted(folder: Path) -> pl.LazyFrame:
    """Counted job rows of the cohort (same for every implementation)."""
    cohort = pl.read_parquet(folder / "cohort.parquet").select("pid").unique()
    return (
        pl.scan_parquet(folder / "jobs-typed.parquet")
        .select("pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "SBASISUREN", "SBASISLOON")
        .join(cohort.lazy(), on="pid", how="semi")
    )


def dur_toolkit_step(folder: Path, _: int) -> str:
    from nbnb_cbs.durability.intervals import merge_intervals_batched, to_unit
    from nbnb_cbs.durability.measure import person_durability

    start = time.perf_counter()
    cohort = pl.read_parquet(folder / "cohort.parquet")
    rows = _counted(folder).filter(
        pl.col("SDATUMAANVANGIKO").is_not_null() & pl.col("SDATUMEINDEIKO").is_not_null()
        & (pl.col("SDATUMEINDEIKO") >= pl.col("SDATUMAANVANGIKO"))
        & ((pl.col("SBASISUREN") > 0) | (pl.col("SBASISLOON") > 0))
    ).select("pid", s=to_unit(pl.col("SDATUMAANVANGIKO"), "month"), e=to_unit(pl.col("SDATUMEINDEIKO"), "month"))  # fmt: skip
    merged = merge_intervals_batched(rows).collect().lazy()
    records = cohort.lazy().with_columns(exit_destination=pl.lit("work"))
    out = (
        person_durability(records, merged, end=END)
        .select("record_id", "observable", "worked")
        .collect()
    )
    took = time.perf_counter() - start
    out.write_parquet(folder / "result-toolkit.parquet")
    return f"{out.height:,} persons in {took:.2f} s"


def dur_explode_step(folder: Path, _: int) -> str:
    """Straightforward polars: one row per person-month, then count."""
    start = time.perf_counter()
    cohort = pl.read_parquet(folder / "cohort.parquet").with_columns(
        x=pl.col("exit_date").dt.year() * 12 + pl.col("exit_date").dt.month() - 1
    )
    months = (
        _counted(folder)
        .filter(
            pl.col("SDATUMAANVANGIKO").is_not_null() & pl.col("SDATUMEINDEIKO").is_not_null()
            & (pl.col("SDATUMEINDEIKO") >= pl.col("SDATUMAANVANGIKO"))
            & ((pl.col("SBASISUREN") > 0) | (pl.col("SBASISLOON") > 0))
        )
        .select("pid", m=pl.int_ranges(
            pl.col("SDATUMAANVANGIKO").dt.year() * 12 + pl.col("SDATUMAANVANGIKO").dt.month() - 1,
            pl.col("SDATUMEINDEIKO").dt.year() * 12 + pl.col("SDATUMEINDEIKO").dt.month(),
        ))
        .explode("m")
        .unique()
        .collect()
    )  # fmt: skip
    out = (
        cohort.join(months, on="pid", how="left")
        .group_by("record_id", "x")
        .agg(worked=((pl.col("m") > pl.col("x")) & (pl.col("m") <= END_MONTH)).sum().cast(pl.Int32))
        .select("record_id", observable=(END_MONTH - pl.col("x")).cast(pl.Int32), worked="worked")
    )
    took = time.perf_counter() - start
    out.write_parquet(folder / "result-explode.parquet")
    return f"{out.height:,} persons, {months.height:,} person-months in {took:.2f} s"


def dur_pandas_step(folder: Path, _: int) -> str:
    """pandas as a careful analyst writes it: vectorised person-month expansion, no row loops."""
    import pandas as pd

    start = time.perf_counter()
    cohort = pd.read_parquet(folder / "cohort.parquet")
    jobs = pd.read_parquet(
        folder / "jobs-typed.parquet",
        columns=["pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "SBASISUREN", "SBASISLOON"],
        filters=[("pid", "in", cohort["pid"].unique().tolist())],
    )
    s = pd.to_datetime(jobs["SDATUMAANVANGIKO"])
    e = pd.to_datetime(jobs["SDATUMEINDEIKO"])
    ok = s.notna() & e.notna() & (e >= s) & ((jobs["SBASISUREN"] > 0) | (jobs["SBASISLOON"] > 0))
    jobs, s, e = jobs[ok], s[ok], e[ok]
    ms = (s.dt.year * 12 + s.dt.month - 1).to_numpy()
    me = (e.dt.year * 12 + e.dt.month - 1).to_numpy()
    lengths = me - ms + 1
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    months = pd.DataFrame({
        "pid": np.repeat(jobs["pid"].to_numpy(), lengths),
        "m": np.repeat(ms, lengths) + (np.arange(lengths.sum()) - starts),
    }).drop_duplicates()  # fmt: skip
    ed = pd.to_datetime(cohort["exit_date"])
    cohort = cohort.assign(x=ed.dt.year * 12 + ed.dt.month - 1)
    merged = cohort.merge(months, on="pid", how="left")
    merged["in_window"] = (merged["m"] > merged["x"]) & (merged["m"] <= END_MONTH)
    worked = merged.groupby("record_id")["in_window"].sum()
    out = cohort.set_index("record_id").assign(
        observable=END_MONTH - cohort.set_index("record_id")["x"]
    )
    out["worked"] = worked.reindex(out.index).fillna(0)
    took = time.perf_counter() - start
    result = pl.from_pandas(out.reset_index()[["record_id", "observable", "worked"]]).cast(
        {"observable": pl.Int32, "worked": pl.Int32}
    )
    result.write_parquet(folder / "result-pandas.parquet")
    return f"{result.height:,} persons in {took:.2f} s"


def dur_duckdb_step(folder: Path, _: int) -> str:
    """DuckDB SQL: generate_series per job row, distinct person-months, group by."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    jobs = str(folder / "jobs-typed.parquet")
    cohort = str(folder / "cohort.parquet")
    sql = f"""
        WITH cohort AS (
            SELECT record_id, pid, year(exit_date) * 12 + month(exit_date) - 1 AS x FROM read_parquet('{cohort}')
        ),
        counted AS (
            SELECT j.pid,
                   year(SDATUMAANVANGIKO) * 12 + month(SDATUMAANVANGIKO) - 1 AS ms,
                   year(SDATUMEINDEIKO) * 12 + month(SDATUMEINDEIKO) - 1 AS me
            FROM read_parquet('{jobs}') j SEMI JOIN cohort c ON j.pid = c.pid
            WHERE SDATUMAANVANGIKO IS NOT NULL AND SDATUMEINDEIKO IS NOT NULL
              AND SDATUMEINDEIKO >= SDATUMAANVANGIKO AND (SBASISUREN > 0 OR SBASISLOON > 0)
        ),
        months AS (SELECT DISTINCT pid, unnest(generate_series(ms, me)) AS m FROM counted)
        SELECT c.record_id, CAST({END_MONTH} - c.x AS INTEGER) AS observable,
               CAST(count(m.m) FILTER (WHERE m.m > c.x AND m.m <= {END_MONTH}) AS INTEGER) AS worked
        FROM cohort c LEFT JOIN months m ON c.pid = m.pid
        GROUP BY c.record_id, c.x
    """
    result = con.sql(sql).pl()
    took = time.perf_counter() - start
    result.write_parquet(folder / "result-duckdb.parquet")
    return f"{result.height:,} persons in {took:.2f} s"


def suppression_step(folder: Path, size: int) -> str:
    """Secondary suppression with audit of a size x size table with margins."""
    from nbnb_cbs.disclosure import apply_table, load_profile

    rng = np.random.default_rng(3)
    values = rng.choice([2, 5, 12, 15, 25, 40, 60, 80, 120, 200, 300, 500], size=size * size)
    table = pl.DataFrame({
        "r": [f"r{i:02d}" for i in range(size) for _ in range(size)],
        "c": [f"c{j:02d}" for _ in range(size) for j in range(size)],
        "n": values,
    })  # fmt: skip
    start = time.perf_counter()
    applied = apply_table(table, load_profile(), margins=True)
    took = time.perf_counter() - start
    counts = applied.counts
    return (
        f"{size}x{size} + margins: {counts.get('suppressed', 0)} suppressed (primary and "
        f"complementary), audited, in {took:.2f} s"
    )


def prepare_step(folder: Path, rows: int) -> tuple[str, float]:
    """linkage prepare on ``rows`` registration rows (the synthetic registration repeated)."""
    from nbnb_cbs.linkage import prepare_files

    reg = pl.read_csv(folder / "registration.csv", separator=";", infer_schema=False)
    big = pl.concat([reg] * (rows // reg.height + 1)).head(rows)
    # Copies of the same people would all share keys (and be rejected as ambiguous): give
    # every row its own postcode digits so keys are as varied as in a real registration.
    digits = (pl.int_range(pl.len()) * 7919 % 9000 + 1000).cast(pl.String)
    big = big.with_columns(
        deelnemer_id=pl.format("P{}", pl.int_range(pl.len())),
        postcode=digits + pl.col("postcode").str.replace_all(r"[\s0-9]", "").str.to_uppercase(),
    )
    path = folder / "registration-big.csv"
    big.write_csv(path, separator=";")
    start = time.perf_counter()
    result = prepare_files(path, folder / "prep-big", seed=1)
    took = time.perf_counter() - start
    return (
        f"{result.summary['rows_read']:,} rows in {took:.1f} s (reading, checking and writing all outputs)",
        took,
    )


STEPS = {
    "synth": synth_step,
    "cohort_setup": cohort_setup_step,
    "convert": convert_step,
    "sav_setup": sav_setup_step,
    "convert_sav": convert_sav_step,
    "scan": scan_step,
    "cohort": cohort_step,
    "dur_toolkit": dur_toolkit_step,
    "dur_explode": dur_explode_step,
    "dur_pandas": dur_pandas_step,
    "dur_duckdb": dur_duckdb_step,
    "suppression": suppression_step,
    "prepare": prepare_step,
}


def _perf_steps() -> None:
    from benchmarks.perf import STEPS as PERF

    STEPS.update(PERF)  # type: ignore[arg-type]


if __name__ == "__main__":
    _perf_steps()
    step, folder, size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    begin = time.perf_counter()
    result = STEPS[step](folder, size)
    # A step may return (text, seconds of its measured section); otherwise the whole step counts.
    what, took = result if isinstance(result, tuple) else (result, time.perf_counter() - begin)
    print(json.dumps({"what": what, "seconds": took}))
