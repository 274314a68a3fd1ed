"""Benchmark steps for issue 15: convert at the speed of the file, durability against DuckDB,
and one SPOLISBUS year at national scale. Each step runs in its own process (see
``benchmarks.steps``); setup steps build data with the cheap generator in ``benchmarks.spolis``.

Durability data: ``participants`` records (95% linked, 70% exit to work, exits 2019-2021, entries
before the exit), about 12.5 job rows per linked person over 2019-2021, and as many rows again of
persons outside the project, so ``convert --cohort`` has something to cut.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks import spolis

END = (2021, 12)
END_MONTH = END[0] * 12 + END[1] - 1
ROWS_PER_PERSON = 12.5


def _cohort_pids(folder: Path) -> pl.Series:
    from nbnb_cbs.schemas import person_key

    linked = pl.read_csv(folder / "linked.csv", separator=";", infer_schema=False)
    return linked.select(person_key())["pid"].drop_nulls().unique()


# --- setup ------------------------------------------------------------------------------------


def dur_setup_step(folder: Path, participants: int) -> str:
    """analysis.parquet, linked.csv and jobs-raw.parquet (+ .csv) for ``participants``."""
    rng = np.random.default_rng(11)
    n = participants
    first = np.datetime64("2019-01-01")
    exit_day = first + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    entry_day = exit_day - rng.integers(30, 700, n).astype("timedelta64[D]")
    destination = np.where(rng.random(n) < 0.7, "work", "education")
    analysis = pl.DataFrame(
        {
            "record_id": [f"r{i:07d}" for i in range(n)],
            "exit_date": exit_day,
            "entry_date": entry_day,
            "exit_destination": destination,
            "sectoral": rng.random(n) < 0.4,
        }
    )
    analysis.write_parquet(folder / "analysis.parquet")
    linked = rng.random(n) < 0.95
    pl.DataFrame(
        {
            "record_id": analysis["record_id"],
            "RINPERSOONS": "R",
            "RINPERSOON": pl.select(spolis.rinpersoon(pl.lit(pl.Series(np.arange(n))))).to_series(),
        }
    ).filter(pl.Series(linked)).write_csv(folder / "linked.csv", separator=";")
    # Job rows: persons 0..n-1 are the participants, n..2n-1 others (the rows to cut away).
    rows = int(ROWS_PER_PERSON * n) * 2
    frames = list(
        spolis.chunks(rows, 2 * n, years=(2019, 2020, 2021), seed=12, chunk_rows=1_000_000)
    )
    jobs = pl.concat(frames)
    jobs.write_parquet(folder / "jobs-raw.parquet", row_group_size=100_000)
    jobs.write_csv(folder / "jobs-raw.csv", separator=";")
    return f"{n:,} participants ({int(linked.sum()):,} linked), {jobs.height:,} raw job rows"


def dur_convert_step(folder: Path, _: int) -> tuple[str, float]:
    """convert --cohort: the converted cohort jobs the durability comparison reads."""
    from nbnb_cbs.io.convert import convert_files

    result = convert_files(
        [folder / "jobs-raw.parquet"], folder / "jobs-cohort.parquet", cohort=folder / "linked.csv"
    )
    return (
        f"{result.rows_read:,} rows, {result.rows_written:,} of the cohort kept, "
        f"{result.rows_per_second:,.0f} rows/s",
        result.seconds,
    )


# --- durability: the toolkit's whole command and DuckDB ---------------------------------------


def _toolkit(folder: Path, jobs: str, out: str) -> tuple[str, float]:
    from nbnb_cbs.durability import DurabilityOptions, run_files

    start = time.perf_counter()
    result = run_files(
        folder / "analysis.parquet", folder / "linked.csv", folder / jobs, folder / out,
        DurabilityOptions(end=END),
    )  # fmt: skip
    took = time.perf_counter() - start
    included = result.persons.filter(pl.col("excluded_reason").is_null()).height
    return f"{result.persons.height:,} records ({included:,} measured), from {jobs}", took


def dur_tool_step(folder: Path, _: int) -> tuple[str, float]:
    """The durability command's work (read, compute everything, write the work folder)."""
    return _toolkit(folder, "jobs-cohort.parquet", "work")


def dur_raw_step(folder: Path, _: int) -> tuple[str, float]:
    """The same directly on the raw Parquet file (text dates, every person of the file)."""
    return _toolkit(folder, "jobs-raw.parquet", "work-raw")


def dur_csv_step(folder: Path, _: int) -> tuple[str, float]:
    """The same directly on the raw CSV file."""
    return _toolkit(folder, "jobs-raw.csv", "work-csv")


def duckdb_sql(folder: Path, jobs: str = "jobs-cohort.parquet") -> str:
    """The query a careful analyst writes for the core of the same work: the measure (month
    unit, exit anchor) for the cohort, and the monthly series over all linked records."""
    a, lk, j = folder / "analysis.parquet", folder / "linked.csv", folder / jobs
    return f"""
    CREATE TEMP TABLE rec AS
        SELECT a.record_id, a.exit_destination,
               year(a.exit_date) * 12 + month(a.exit_date) - 1 AS x,
               year(a.entry_date) * 12 + month(a.entry_date) - 1 AS entry_m,
               (CAST(ascii(upper(trim(l.RINPERSOONS))) AS BIGINT) * 1000000000 + CAST(trim(l.RINPERSOON) AS BIGINT)) AS pid
        FROM read_parquet('{a}') a
        JOIN read_csv('{lk}', delim=';', all_varchar=true) l USING (record_id);
    CREATE TEMP TABLE pm AS
        WITH counted AS (
            SELECT pid,
                   year(SDATUMAANVANGIKO) * 12 + month(SDATUMAANVANGIKO) - 1 AS ms,
                   year(SDATUMEINDEIKO) * 12 + month(SDATUMEINDEIKO) - 1 AS me
            FROM read_parquet('{j}')
            WHERE pid IN (SELECT pid FROM rec)
              AND SDATUMAANVANGIKO IS NOT NULL AND SDATUMEINDEIKO IS NOT NULL
              AND SDATUMEINDEIKO >= SDATUMAANVANGIKO
              AND (coalesce(SBASISUREN, 0) > 0 OR coalesce(SBASISLOON, 0) > 0)
        )
        SELECT DISTINCT pid, unnest(generate_series(ms, me)) AS m FROM counted;
    CREATE TEMP TABLE measure AS
        SELECT r.record_id, CAST({END_MONTH} - r.x AS INTEGER) AS observable,
               CAST(count(pm.m) FILTER (WHERE pm.m > r.x AND pm.m <= {END_MONTH}) AS INTEGER) AS worked
        FROM rec r LEFT JOIN pm USING (pid)
        WHERE r.exit_destination = 'work' AND r.x < {END_MONTH}
        GROUP BY r.record_id, r.x;
    CREATE TEMP TABLE series AS
        WITH months AS (
            SELECT unnest(generate_series((SELECT min(entry_m) FROM rec), {END_MONTH})) AS m
        ),
        entered AS (
            SELECT m.m, count(r.record_id) AS entered
            FROM months m LEFT JOIN rec r ON r.entry_m <= m.m GROUP BY m.m
        ),
        working AS (
            SELECT pm.m, count(*) AS working FROM rec r JOIN pm USING (pid)
            WHERE pm.m >= r.entry_m AND pm.m <= {END_MONTH} GROUP BY pm.m
        )
        SELECT e.m AS month_no, e.entered, coalesce(w.working, 0) AS working
        FROM entered e LEFT JOIN working w USING (m);
    """


def dur_duckdb_step(folder: Path, _: int) -> tuple[str, float]:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(duckdb_sql(folder))
    measure = con.sql("SELECT * FROM measure").pl()
    series = con.sql("SELECT * FROM series ORDER BY month_no").pl()
    took = time.perf_counter() - start
    measure.write_parquet(folder / "sql-measure.parquet")
    series.write_parquet(folder / "sql-series.parquet")
    return f"{measure.height:,} records measured, {series.height} months", took


def agree(folder: Path, work: str = "work") -> str:
    """Toolkit and DuckDB agree person by person and month by month, or SystemExit."""
    persons = pl.read_parquet(folder / work / "persons.parquet").filter(
        pl.col("excluded_reason").is_null()
    )
    sql = pl.read_parquet(folder / "sql-measure.parquet")
    joined = persons.select("record_id", "observable", "worked").join(
        sql, on="record_id", how="full", suffix="_sql"
    )
    bad = joined.filter(
        pl.col("record_id").is_null() | pl.col("record_id_sql").is_null()
        | (pl.col("observable") != pl.col("observable_sql"))
        | (pl.col("worked") != pl.col("worked_sql"))
    )  # fmt: skip
    if bad.height:
        raise SystemExit(f"durability: toolkit and DuckDB disagree on {bad.height} persons:\n{bad}")
    series = pl.read_csv(folder / work / "series.csv", separator=";")
    sql_series = pl.read_parquet(folder / "sql-series.parquet").with_columns(
        month=pl.format(
            "{}-{}",
            pl.col("month_no") // 12,
            (pl.col("month_no") % 12 + 1).cast(pl.String).str.zfill(2),
        )
    )
    months = series.select("month", "entered", "working").join(
        sql_series, on="month", how="full", suffix="_sql"
    )
    bad = months.filter(
        pl.col("month").is_null() | pl.col("month_sql").is_null()
        | (pl.col("entered") != pl.col("entered_sql")) | (pl.col("working") != pl.col("working_sql"))
    )  # fmt: skip
    if bad.height:
        raise SystemExit(f"series: toolkit and DuckDB disagree on {bad.height} months:\n{bad}")
    return (
        f"toolkit and DuckDB agree on observable and worked for {persons.height:,} persons and "
        f"on entered and working for {series.height} months"
    )


# --- convert ------------------------------------------------------------------------------------


def conv_setup_step(folder: Path, rows: int) -> str:
    """jobs.sav, jobs.dta (UTF-8, Stata 15), jobs.parquet and jobs.csv of ``rows`` rows."""
    import polars_readstat

    frame = pl.concat(list(spolis.chunks(rows, max(1000, rows // 12), seed=3)))
    polars_readstat.write_readstat(frame, str(folder / "conv.sav"))
    polars_readstat.write_readstat(frame, str(folder / "conv.dta"))
    frame.write_parquet(folder / "conv.parquet", row_group_size=100_000)
    frame.write_csv(folder / "conv.csv", separator=";")
    return f"{frame.height:,} rows as .sav, .dta, .parquet and .csv"


def _convert(folder: Path, suffix: str) -> tuple[str, float]:
    from nbnb_cbs.io.convert import convert_files, stat_engine

    path = folder / f"conv{suffix}"
    result = convert_files([path], folder / f"conv-out{suffix.replace('.', '-')}.parquet")
    engine = f" via {stat_engine(path)}" if suffix in (".sav", ".dta") else ""
    return (
        f"{result.rows_read:,} rows from {suffix}{engine}: {result.rows_per_second:,.0f} rows/s",
        result.seconds,
    )


def conv_sav_step(folder: Path, _: int) -> tuple[str, float]:
    return _convert(folder, ".sav")


def conv_dta_step(folder: Path, _: int) -> tuple[str, float]:
    return _convert(folder, ".dta")


def conv_parquet_step(folder: Path, _: int) -> tuple[str, float]:
    return _convert(folder, ".parquet")


def conv_csv_step(folder: Path, _: int) -> tuple[str, float]:
    return _convert(folder, ".csv")


def _bare(folder: Path, suffix: str) -> tuple[str, float]:
    import polars_readstat

    start = time.perf_counter()
    polars_readstat.scan_readstat(str(folder / f"conv{suffix}")).sort("RINPERSOON").sink_parquet(
        folder / "bare.parquet"
    )
    took = time.perf_counter() - start
    return f"polars-readstat scan + sort + sink of conv{suffix}", took


def bare_sav_step(folder: Path, _: int) -> tuple[str, float]:
    return _bare(folder, ".sav")


def bare_dta_step(folder: Path, _: int) -> tuple[str, float]:
    return _bare(folder, ".dta")


# --- national scale -----------------------------------------------------------------------------

NATIONAL_PERSONS_PER_ROW = 9.3 / 120  # one SPOLISBUS year: 120 M rows, 9.3 M persons


def nat_setup_step(folder: Path, rows: int) -> str:
    """One SPOLISBUS-like year of ``rows`` rows (persons in proportion), written in chunks to
    a .sav through polars-readstat's streaming writer, and the two cohorts' linked files."""
    import polars_readstat

    persons = int(rows * NATIONAL_PERSONS_PER_ROW)
    lazy = pl.LazyFrame(schema=dict.fromkeys(spolis.COLUMNS, pl.String))
    parts = folder / "nat-parts"
    parts.mkdir(exist_ok=True)
    for i, chunk in enumerate(spolis.chunks(rows, persons, seed=21, chunk_rows=2_000_000)):
        chunk.write_ipc(parts / f"{i:04d}.arrow", compression="uncompressed")
    lazy = pl.scan_ipc(sorted(parts.glob("*.arrow")))
    polars_readstat.write_readstat(lazy, str(folder / "nat.sav"))
    for f in parts.glob("*.arrow"):
        f.unlink()
    parts.rmdir()
    rng = np.random.default_rng(22)
    for size in (1000, 100_000):
        who = np.sort(rng.choice(persons, size=size, replace=False))
        pl.DataFrame(
            {
                "record_id": [f"n{i}" for i in range(size)],
                "RINPERSOONS": "R",
                "RINPERSOON": pl.select(spolis.rinpersoon(pl.lit(pl.Series(who)))).to_series(),
            }
        ).write_csv(folder / f"nat-linked-{size}.csv", separator=";")
    meta = {"rows": rows, "persons": persons}
    (folder / "nat.json").write_text(json.dumps(meta))
    return f"{rows:,} rows of {persons:,} persons in nat.sav"


def _nat_convert(folder: Path, size: int) -> tuple[str, float]:
    from nbnb_cbs.io.convert import convert_files

    result = convert_files(
        [folder / "nat.sav"], folder / f"nat-cut-{size}.parquet",
        cohort=folder / f"nat-linked-{size}.csv",
    )  # fmt: skip
    return (
        f"convert --cohort of {size:,} persons: {result.rows_read:,} rows read, "
        f"{result.rows_written:,} kept, {result.rows_per_second:,.0f} rows/s",
        result.seconds,
    )


def nat_cut_1000_step(folder: Path, _: int) -> tuple[str, float]:
    return _nat_convert(folder, 1000)


def nat_cut_100000_step(folder: Path, _: int) -> tuple[str, float]:
    return _nat_convert(folder, 100_000)


def nat_durability_step(folder: Path, _: int) -> tuple[str, float]:
    """durability on the 100,000-person cut (every linked record exits to work in 2020)."""
    from nbnb_cbs.durability import DurabilityOptions, run_files

    linked = pl.read_csv(folder / "nat-linked-100000.csv", separator=";", infer_schema=False)
    rng = np.random.default_rng(23)
    n = linked.height
    exit_day = np.datetime64("2021-01-01") + rng.integers(0, 300, n).astype("timedelta64[D]")
    pl.DataFrame(
        {
            "record_id": linked["record_id"],
            "exit_date": exit_day,
            "entry_date": exit_day - np.timedelta64(200, "D"),
            "exit_destination": "work",
        }
    ).write_parquet(folder / "nat-analysis.parquet")
    start = time.perf_counter()
    result = run_files(
        folder / "nat-analysis.parquet", folder / "nat-linked-100000.csv",
        folder / "nat-cut-100000.parquet", folder / "nat-work", DurabilityOptions(end=END),
    )  # fmt: skip
    took = time.perf_counter() - start
    return f"durability of {result.persons.height:,} records on the cut", took


STEPS = {
    "dur_setup": dur_setup_step,
    "dur_convert": dur_convert_step,
    "dur_tool": dur_tool_step,
    "dur_raw": dur_raw_step,
    "dur_csv": dur_csv_step,
    "dur_duckdb": dur_duckdb_step,
    "conv_setup": conv_setup_step,
    "conv_sav": conv_sav_step,
    "conv_dta": conv_dta_step,
    "conv_parquet": conv_parquet_step,
    "conv_csv": conv_csv_step,
    "bare_sav": bare_sav_step,
    "bare_dta": bare_dta_step,
    "nat_setup": nat_setup_step,
    "nat_cut_1000": nat_cut_1000_step,
    "nat_cut_100000": nat_cut_100000_step,
    "nat_durability": nat_durability_step,
}
