"""Durability against a pure-Python reference, its invariants, and the report's worked example."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import itertools
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs.durability import END_OUTCOMES, DurabilityOptions, Inputs, compute
from nbnb_cbs.schemas import JOBS, person_key
from tests.conftest import Cli
from tests.strategies import spells

END = (2021, 12)
JOB_COLUMNS = {
    "RINPERSOONS": pl.String, "RINPERSOON": pl.String, "IKVID": pl.String,
    "SDATUMAANVANGIKO": pl.Date, "SDATUMEINDEIKO": pl.Date, "SBASISUREN": pl.Float64,
    "SBASISLOON": pl.Float64, "SVOLTIJDDAGEN": pl.Float64, "SCONTRACTSOORT": pl.String,
    "SSOORTBAAN": pl.String, "SPOLISDIENSTVERBAND": pl.String,
}  # fmt: skip


def _jobs(rows: list[tuple[str, dt.date, dt.date, float, float]]) -> pl.LazyFrame:
    return pl.DataFrame(
        [
            {
                "RINPERSOONS": "R",
                "RINPERSOON": rin,
                "IKVID": f"{i % 3}",
                "SDATUMAANVANGIKO": s,
                "SDATUMEINDEIKO": e,
                "SBASISUREN": h,
                "SBASISLOON": w,
                "SVOLTIJDDAGEN": h / 8,
                "SCONTRACTSOORT": "B",
                "SSOORTBAAN": "9",
                "SPOLISDIENSTVERBAND": "1",
            }
            for i, (rin, s, e, h, w) in enumerate(rows)
        ],
        schema=JOB_COLUMNS,
    ).lazy()


def _inputs(people: list[tuple[str, dt.date | None, str]], jobs: pl.LazyFrame) -> Inputs:
    analysis = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(len(people))],
            "exit_date": [p[1] for p in people],
            "exit_destination": [p[2] for p in people],
            "entry_date": [dt.date(2019, 1, 15)] * len(people),
            "sectoral": [i % 2 == 0 for i in range(len(people))],
        },
        schema={
            "record_id": pl.String,
            "exit_date": pl.Date,
            "exit_destination": pl.String,
            "entry_date": pl.Date,
            "sectoral": pl.Boolean,
        },
    )
    linked = pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(len(people))],
            "RINPERSOONS": ["R"] * len(people),
            "RINPERSOON": [p[0] or None for p in people],
        },
        schema={"record_id": pl.String, "RINPERSOONS": pl.String, "RINPERSOON": pl.String},
    )
    return Inputs(analysis, linked, jobs)


def _reference(
    exit_date: dt.date,
    rows: list[tuple[dt.date, dt.date, float, float]],
    anchor: str,
    unit: str,
    zero_rows: bool = False,
) -> tuple[int, int] | str:
    """Obviously-correct reference: sets of months or days."""
    counted = [(s, e) for s, e, h, w in rows if e >= s and (zero_rows or h > 0 or w > 0)]
    end_day = dt.date(END[0], END[1], calendar.monthrange(*END)[1])
    if unit == "month":

        def months(s: dt.date, e: dt.date) -> set[int]:
            return set(range(s.year * 12 + s.month - 1, e.year * 12 + e.month))

        covered = set().union(*(months(s, e) for s, e in counted)) if counted else set()
        x = exit_date.year * 12 + exit_date.month - 1
        e_unit = END[0] * 12 + END[1] - 1
        start = x + 1
    else:
        covered = set()
        for s, e in counted:
            covered |= {s.toordinal() + k for k in range((e - s).days + 1)}
        x = exit_date.year * 12 + exit_date.month - 1
        e_unit = end_day.toordinal()
        start = exit_date.toordinal() + 1
    if x > END[0] * 12 + END[1] - 1:
        return "exit_after_end"
    if e_unit - start + 1 <= 0:
        return "no_observable_time"
    if anchor == "first-job":
        later = sorted(u for u in covered if start <= u <= e_unit)
        if not later:
            return "no_job_after_exit"
        start = later[0]
    window = set(range(start, e_unit + 1))
    return len(window), len(window & covered)


@st.composite
def person_cases(draw: st.DrawFn) -> tuple[dt.date, list[tuple[dt.date, dt.date, float, float]]]:
    exit_date = draw(st.dates(dt.date(2019, 1, 1), dt.date(2022, 3, 31)))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        s, e = draw(spells(dt.date(2018, 6, 1), 1400))
        if draw(st.booleans()):
            e, s = s, e  # some rows end before they start: invalid
        hours = draw(st.sampled_from([0.0, 40.0, 120.0]))
        wage = draw(st.sampled_from([-50.0, 0.0, 900.0]))
        rows.append((s, e, hours, wage))
    return exit_date, rows


@given(
    st.lists(person_cases(), min_size=1, max_size=5),
    st.sampled_from(["exit", "first-job"]),
    st.sampled_from(["month", "day"]),
)
def test_matches_reference(cases: list, anchor: str, unit: str) -> None:  # type: ignore[type-arg]
    """Polars durability equals the set-based reference for every person, anchor and unit."""
    people = [(f"{i:09d}", c[0], "work") for i, c in enumerate(cases)]
    rows = [(f"{i:09d}", s, e, h, w) for i, c in enumerate(cases) for s, e, h, w in c[1]]
    result = compute(_inputs(people, _jobs(rows)), DurabilityOptions(END, anchor, unit))  # type: ignore[arg-type]
    persons = result.persons.sort("record_id")
    for i, (exit_date, job_rows) in enumerate(cases):
        row = persons.filter(pl.col("record_id") == f"r{i}").row(0, named=True)
        expected = _reference(exit_date, job_rows, anchor, unit)
        if isinstance(expected, str):
            assert row["excluded_reason"] == expected
        else:
            assert row["excluded_reason"] is None
            assert (row["observable"], row["worked"]) == expected
            assert 0.0 <= row["durability"] <= 1.0


def test_report_worked_example() -> None:
    """Exit in October 2021, E = 2021-12, working both months: observable 2, durability 1."""
    people = [("000000001", dt.date(2021, 10, 20), "work")]
    jobs = _jobs([("000000001", dt.date(2021, 10, 25), dt.date(2021, 12, 31), 100.0, 1500.0)])
    row = compute(_inputs(people, jobs), DurabilityOptions(END)).persons.row(0, named=True)
    assert (row["observable"], row["worked"], row["durability"]) == (2, 2, 1.0)
    assert row["exit_month"] == "2021-10" and row["anchor_month"] == "2021-11"


BASE_ROWS = [
    ("000000001", dt.date(2020, 3, 1), dt.date(2020, 3, 31), 80.0, 1000.0),
    ("000000001", dt.date(2020, 4, 1), dt.date(2020, 9, 15), 80.0, 1000.0),
    ("000000001", dt.date(2021, 2, 1), dt.date(2021, 6, 30), 80.0, 1000.0),
]


def _durability_of(rows: list[tuple[str, dt.date, dt.date, float, float]]) -> tuple[int, int]:
    people = [("000000001", dt.date(2020, 1, 10), "work")]
    row = compute(_inputs(people, _jobs(rows)), DurabilityOptions(END)).persons.row(0, named=True)
    return row["observable"], row["worked"]


@pytest.mark.parametrize(
    "change",
    [
        lambda r: [
            *r[:1],
            ("000000001", dt.date(2020, 4, 1), dt.date(2020, 6, 30), 80.0, 1000.0),
            ("000000001", dt.date(2020, 7, 1), dt.date(2020, 9, 15), 80.0, 1000.0),
            r[2],
        ],
        lambda r: [*r, r[0]],
        lambda r: [*r, ("000000001", dt.date(2021, 9, 1), dt.date(2021, 9, 30), 0.0, 0.0)],
        lambda r: [*r, ("000000001", dt.date(2021, 9, 1), dt.date(2021, 9, 30), 0.0, -200.0)],
        lambda r: list(reversed(r)),
    ],
    ids=["split", "duplicate", "zero_row", "negative_wage", "shuffled"],
)
def test_invariants(change) -> None:  # type: ignore[no-untyped-def]
    """Splitting, duplicating, adding zero or correction rows, or shuffling changes nothing."""
    assert _durability_of(change(BASE_ROWS)) == _durability_of(BASE_ROWS) == (23, 12)


def test_exclusion_order_and_counts() -> None:
    people = [
        ("", dt.date(2020, 1, 1), "work"),
        ("000000002", dt.date(2020, 1, 1), "education"),
        ("000000003", None, "work"),
        ("000000004", dt.date(2022, 2, 1), "work"),
        ("000000005", dt.date(2021, 12, 5), "work"),
        ("000000006", dt.date(2021, 1, 5), "work"),
    ]
    first = compute(_inputs(people, _jobs([])), DurabilityOptions(END, anchor="first-job"))
    assert first.persons.sort("record_id")["excluded_reason"].to_list() == [
        "not_linked",
        "not_exit_to_work",
        "no_exit_date",
        "exit_after_end",
        "no_observable_time",
        "no_job_after_exit",
    ]
    counts = dict(first.exclusions.iter_rows())
    assert sum(counts.values()) == len(people) and counts["included"] == 0


def test_zero_rows_option_and_data_quality() -> None:
    people = [("000000001", dt.date(2021, 6, 10), "work")]
    rows = [
        ("000000001", dt.date(2021, 7, 1), dt.date(2021, 7, 31), 0.0, 0.0),
        ("000000001", dt.date(2021, 9, 1), dt.date(2021, 8, 1), 10.0, 10.0),
    ]
    plain = compute(_inputs(people, _jobs(rows)), DurabilityOptions(END))
    assert plain.persons["worked"].to_list() == [0]
    counted = compute(_inputs(people, _jobs(rows)), DurabilityOptions(END, count_zero_rows=True))
    assert counted.persons["worked"].to_list() == [1]
    quality = dict(plain.data_quality.iter_rows())
    assert quality["jobs end_before_start"] == 1 and quality["jobs valid_not_work"] == 1


def test_series_and_snapshot() -> None:
    people = [("000000001", dt.date(2021, 6, 10), "work"), ("000000002", None, "unknown")]
    rows = [
        ("000000001", dt.date(2021, 3, 1), dt.date(2021, 12, 31), 100.0, 1600.0),
        ("000000001", dt.date(2021, 12, 1), dt.date(2021, 12, 31), 20.0, 400.0),
        ("000000002", dt.date(2019, 1, 1), dt.date(2019, 2, 10), 50.0, 600.0),
    ]
    result = compute(_inputs(people, _jobs(rows)), DurabilityOptions(END))
    series = result.series
    assert series["month"][0] == "2019-01" and series["month"][-1] == "2021-12"
    assert series.filter(pl.col("month") == "2019-02")["working"].item() == 1
    assert series.filter(pl.col("month") == "2021-12")["working"].item() == 1
    assert (series["entered"] == 2).all()
    snap = result.snapshot
    jobs = snap.filter((pl.col("table") == "jobs") & (pl.col("statistic") == "count"))
    assert jobs["category"].to_list() == ["2+"]
    # The March-December row counts for its 31 of 306 days in December (monthly amounts).
    hours = snap.filter(pl.col("category") == "hours").row(0, named=True)
    expected = 100 * 31 / 306 + 20
    assert hours["value"] == hours["total"] == hours["top1"] == pytest.approx(expected)
    wage = snap.filter(pl.col("category") == "hourly_wage")["value"].item()
    assert wage == pytest.approx((1600 * 31 / 306 + 400) / expected)


def test_cli_bad_end_and_missing_rin(cli: Cli, tmp_path: Path) -> None:
    analysis = tmp_path / "analysis.parquet"
    pl.DataFrame(
        {"record_id": ["a"], "exit_date": [dt.date(2021, 1, 1)], "exit_destination": ["work"]}
    ).write_parquet(analysis)
    linked = tmp_path / "linked.csv"
    linked.write_text("record_id;RINPERSOONS;RINPERSOON\na;R;000000001\n", encoding="utf-8")
    jobs = tmp_path / "jobs.csv"
    jobs.write_text(
        "RINPERSOONS;SDATUMAANVANGIKO;SDATUMEINDEIKO;SBASISUREN;SBASISLOON\nR;20210101;20210131;1;1\n",
        encoding="utf-8",
    )
    args = [
        "durability",
        "--analysis",
        analysis,
        "--linked",
        linked,
        "--jobs",
        jobs,
        "--out",
        tmp_path / "w",
    ]
    code, _, err = cli(*args, "--end", "dec-2021")
    assert code == 2 and "YYYY-MM" in err
    code, _, err = cli(*args, "--end", "2021-12")
    assert code == 2 and "RINPERSOON" in err and str(jobs) in err
    assert not (tmp_path / "w").exists()


def test_parquet_cohort_cut_equals_full_read(tmp_path: Path) -> None:
    """Reading jobs from Parquet cuts the cohort while scanning; results equal a full CSV read."""
    from nbnb_cbs import synth
    from nbnb_cbs.durability import read_inputs
    from nbnb_cbs.linkage import match_files, prepare_files

    data = synth.build(synth.SynthOptions(participants=150, seed=4))
    # Values outside the canonical forms (the general parser's work) and text with spaces in
    # the columns read for the rows at E only: every path must clean them as convert does.
    i = pl.int_range(pl.len())
    padded = {c: pl.when(i % 3 == 0).then(pl.format(" {} ", c)).otherwise(c)
              for c in ("SCONTRACTSOORT", "SSOORTBAAN", "IKVID", "payroll")}  # fmt: skip
    data = dataclasses.replace(data, jobs=data.jobs.with_columns(
        **padded,
        SDATUMEINDEIKO=pl.when(i % 5 == 0).then(
            pl.col("SDATUMEINDEIKO").str.to_date("%Y%m%d", strict=False).dt.to_string("%Y-%m-%d")
        ).otherwise("SDATUMEINDEIKO"),
        RINPERSOON=pl.when(i % 7 == 0).then(pl.format(" {}", "RINPERSOON")).otherwise("RINPERSOON"),
        RINPERSOONS=pl.when(i % 11 == 0).then(pl.lit(" r")).otherwise("RINPERSOONS"),
    ))  # fmt: skip
    synth.write(data, tmp_path / "csv", "csv")
    synth.write(data, tmp_path / "pq", "parquet")
    prepare_files(tmp_path / "csv" / "registration.csv", tmp_path / "prep", seed=2)
    match_files(
        tmp_path / "prep" / "keys.csv", tmp_path / "csv" / "register", tmp_path / "linked.csv"
    )
    # A file convert wrote (cut to the cohort) is scanned lazily instead of read and parsed.
    from nbnb_cbs.io.convert import convert_files
    from nbnb_cbs.io.readers import scan_converted

    (tmp_path / "conv").mkdir()
    convert_files([tmp_path / "csv" / "jobs.csv"], tmp_path / "conv" / "jobs.parquet",
                  cohort=tmp_path / "linked.csv")  # fmt: skip
    linked = pl.read_csv(tmp_path / "linked.csv", separator=";", infer_schema=False)
    cohort = linked.filter(pl.col("RINPERSOON") != "").select(person_key())
    assert scan_converted(tmp_path / "conv" / "jobs.parquet", JOBS, cohort) is not None
    assert scan_converted(tmp_path / "pq" / "jobs.parquet", JOBS, cohort) is None
    # The file says whose rows it holds: scanned for exactly those persons, it is not cut again;
    # for others (here half of them) it is.
    from nbnb_cbs.io.readers import COHORT, CONVERT_PID, cohort_digest

    conv = tmp_path / "conv" / "jobs.parquet"
    assert pl.read_parquet_metadata(conv)[COHORT] == cohort_digest(cohort["pid"])
    whole = scan_converted(conv, JOBS, cohort)
    assert whole is not None and "is_in" not in whole[0].explain()
    assert whole[0].collect().height == pl.read_parquet(conv).height
    half = cohort.unique().sort("pid").gather_every(2)
    part = scan_converted(conv, JOBS, half)
    assert part is not None
    pids = part[0].collect()[CONVERT_PID]
    assert pids.len() < pl.read_parquet(conv).height and pids.is_in(half["pid"].implode()).all()
    results = {}
    for fmt, suffix, enrol in (("csv", ".csv", "csv/enrolments.csv"),
                               ("pq", ".parquet", "pq/enrolments.parquet"),
                               ("conv", ".parquet", "csv/enrolments.csv")):  # fmt: skip
        inputs = read_inputs(tmp_path / "prep" / "analysis.parquet", tmp_path / "linked.csv",
                             tmp_path / fmt / f"jobs{suffix}", tmp_path / enrol)  # fmt: skip
        results[fmt] = (inputs, compute(inputs, DurabilityOptions(END)))
    (_, csv_out), (pq_in, _) = results["csv"], results["pq"]
    assert pq_in.quality["jobs rows_in_file"] == data.jobs.height
    assert pq_in.jobs.collect().height < data.jobs.height / 5
    # A raw Parquet file's text columns wait for the rows at E, read apart (jobs_at); a CSV's are
    # read with the rest and cleaned in the rows at E only. A converted file was parsed whole.
    assert "IKVID" not in pq_in.jobs.collect_schema().names() and pq_in.jobs_at is not None
    csv_in = results["csv"][0]
    assert csv_in.jobs.select(pl.col("SCONTRACTSOORT").str.starts_with(" ").any()).collect().item()
    assert csv_in.jobs_at is not None and results["conv"][0].jobs_at is None
    assert all(c == c.strip() for c in csv_out.snapshot["category"].drop_nulls())
    for _, out in (results["pq"], results["conv"]):
        assert csv_out.persons.equals(out.persons)
        assert csv_out.durability.equals(out.durability)
        assert csv_out.series.equals(out.series)
        assert csv_out.snapshot.equals(out.snapshot)
        assert csv_out.working_at_end is not None
        assert csv_out.working_at_end.equals(out.working_at_end)


@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 40), st.integers(0, 8)), min_size=1, max_size=60),
       st.integers(1, 7))  # fmt: skip
def test_batched_merge_equals_single_merge(rows: list[tuple[int, int, int]], batch: int) -> None:
    """Merging batch by batch (persons split across batches included) gives the same intervals."""
    from nbnb_cbs.durability.intervals import merge_intervals, merge_intervals_batched

    frame = pl.DataFrame(
        [{"pid": p, "s": s, "e": s + length} for p, s, length in rows],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
    ).sort("pid", "s")
    whole = merge_intervals(frame.lazy()).collect().sort("pid", "s")
    batched = merge_intervals_batched(frame.lazy(), batch_rows=batch).collect().sort("pid", "s")
    assert whole.equals(batched)


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(-30, 40), st.integers(0, 12)), min_size=1, max_size=60),
       st.integers(1, 9))  # fmt: skip
def test_ordered_merge_in_batches_equals_sets(rows: list[tuple[int, int, int]], batch: int) -> None:
    """Rows in key order are merged batch by batch, a run still open at a batch's end carried
    into the next: each person's merged intervals are the maximal runs of the units its rows
    cover, as sets say, however the batches cut the rows; out of order, it declines."""
    from unittest import mock

    from nbnb_cbs.durability import intervals

    frame = pl.DataFrame(
        [{"pid": p, "s": s, "e": s + length} for p, s, length in rows],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
    ).sort("pid", "s")
    with mock.patch.object(intervals, "_BATCH", batch):
        merged = intervals._merge_ordered(frame)
        assert merged is not None
        shuffled = frame.sort("s", "pid", descending=True)
        key = pl.col("pid") * 2**20 + pl.col("s")
        in_order = shuffled.select((key.diff().fill_null(0) >= 0).all()).item()
        assert (intervals._merge_ordered(shuffled) is None) == (not in_order)
    assert merged.rows() == _maximal_runs([(p, s, s + n) for p, s, n in rows])


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(-30, 40), st.integers(0, 12), st.booleans()),
                min_size=1, max_size=60),
       st.booleans())  # fmt: skip
def test_merge_counted_equals_sets(rows: list[tuple[int, int, int, bool]], shuffle: bool) -> None:
    """Only the rows marked to count are merged: each person's merged intervals are the maximal
    runs of the units those rows cover, as sets say, in order of person and start, whether the
    rows come in key order (as convert writes them) or not."""
    from nbnb_cbs.durability.intervals import merge_counted

    frame = pl.DataFrame(
        [{"pid": p, "s": s, "e": s + length, "keep": keep} for p, s, length, keep in rows],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32, "keep": pl.Boolean},
    ).sort("pid", "s")
    merged = merge_counted(frame.reverse() if shuffle else frame, "keep")
    assert merged.rows() == _maximal_runs([(p, s, s + n) for p, s, n, keep in rows if keep])


def _maximal_runs(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Each person's covered units (``pid, first, last`` inclusive spans) in maximal runs of
    consecutive units, as sets say: ``pid, start, end`` in order of person and start."""
    runs = []
    for pid in sorted({p for p, _, _ in spans}):
        units = sorted({u for p, s, e in spans if p == pid for u in range(s, e + 1)})
        start = units[0]
        for previous, unit in itertools.pairwise([*units, None]):
            if unit is None or unit > previous + 1:
                runs.append((pid, start, previous))
                start = unit
    return runs


def test_cell_sums_do_not_overflow_32_bits() -> None:
    """A national cohort's days worked and observable add up beyond 2**31: the weighted mean
    divides the true sums (two records of 1.5e9 observable days, one fully worked: 0.5)."""
    from nbnb_cbs.durability.measure import durability_cells

    big = 1_500_000_000
    persons = pl.DataFrame(
        {
            "durability": [1.0, 0.0],
            "worked": pl.Series([big, 0], dtype=pl.Int32),
            "observable": pl.Series([big, big], dtype=pl.Int32),
            "exit_work": [True, True],
            "worked_1m": [True, False],
            "observed_12m": [True, False],
        }
    )
    cells = durability_cells(persons.lazy(), [])
    weighted = cells.filter(
        (pl.col("group") == "exit_work") & (pl.col("statistic") == "weighted_mean")
    )
    assert weighted["value"].to_list() == [0.5]


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(-20, 40), st.integers(0, 9)), max_size=40),
    st.lists(st.tuples(st.integers(0, 4), st.integers(-25, 50), st.integers(-3, 30)), min_size=1,
             max_size=12),
)  # fmt: skip
def test_window_lookup_equals_sets(
    rows: list[tuple[int, int, int]], windows: list[tuple[int, int, int]]
) -> None:
    """The binary-search lookup gives each window's covered units, first covered unit and the
    end of the merged interval holding it, as sets of units say (persons without rows, empty
    and reversed windows included)."""
    from nbnb_cbs.durability.intervals import merge_intervals, window_lookup

    frame = pl.DataFrame(
        [{"pid": p, "s": s, "e": s + length} for p, s, length in rows],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
    )
    merged = merge_intervals(frame.lazy()).collect()
    found = window_lookup(
        pl.Series([w[0] for w in windows], dtype=pl.Int64),
        pl.Series([w[1] for w in windows], dtype=pl.Int32),
        pl.Series([w[1] + w[2] for w in windows], dtype=pl.Int32),
        merged,
    )
    assert found is not None
    for (pid, a, length), got in zip(windows, found.iter_rows(named=True), strict=True):
        covered = {u for p, s, n in rows if p == pid for u in range(s, s + n + 1)}
        inside = sorted(u for u in covered if a <= u <= a + length)
        assert got["worked"] == (len(inside) or None)
        assert got["first"] == (inside[0] if inside else None)
        if inside:
            run_end = inside[0]
            while run_end + 1 in covered:
                run_end += 1
            assert got["first_end"] == run_end


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(0, 9)), min_size=1,
             max_size=30),
    st.sampled_from(["exit", "first-job"]),
)  # fmt: skip
def test_person_durability_joins_intervals_out_of_order(
    rows: list[tuple[int, int, int]], anchor: str
) -> None:
    """Merged intervals out of order are joined instead of looked up; the result is the same."""
    from nbnb_cbs.durability.intervals import merge_intervals, window_lookup
    from nbnb_cbs.durability.measure import person_durability

    records = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "pid": [0, 1, 2, None],
            "exit_date": [dt.date(2019, 3, 5), dt.date(2018, 12, 31), dt.date(2020, 7, 1), None],
            "exit_destination": ["work"] * 4,
        },
        schema_overrides={"pid": pl.Int64},
    )
    first = 2019 * 12  # month numbers from January 2019
    frame = pl.DataFrame(
        [
            {"pid": p, "s": first + s, "e": first + s + n}
            for p, s, n in [*rows, (0, 60, 1), (1, 70, 0)]
        ],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
    )
    merged = merge_intervals(frame.lazy()).collect()
    kw = {"end": END, "unit": "month", "anchor": anchor}
    fast = person_durability(records.lazy(), merged.lazy(), **kw).collect()  # type: ignore[arg-type]
    joined = person_durability(records.lazy(), merged.reverse().lazy(), **kw).collect()  # type: ignore[arg-type]
    assert fast.drop("_first_month", "_first_run_end").equals(joined)
    assert window_lookup(records["pid"], records["pid"], records["pid"], merged.reverse()) is None


@given(st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=50))
def test_month_table_equals_calendar(days: list[dt.date]) -> None:
    """The month lookup gives year * 12 + month - 1 for every date it covers."""
    from nbnb_cbs.durability.intervals import to_unit

    frame = pl.DataFrame({"d": days}, schema={"d": pl.Date})
    got = frame.select(m=to_unit(pl.col("d"), "month"))["m"].to_list()
    assert got == [d.year * 12 + d.month - 1 for d in days]


def _enrolments(rows: list[tuple[str, dt.date, dt.date | None]]) -> pl.LazyFrame:
    return pl.DataFrame(
        [
            {"RINPERSOONS": "R", "RINPERSOON": rin, "AANVINSCHR": s, "EINDINSCHR": e,
             "TYPEONDERWIJS": "1", "OPLNR": "1"}
            for rin, s, e in rows
        ],
        schema={"RINPERSOONS": pl.String, "RINPERSOON": pl.String, "AANVINSCHR": pl.Date,
                "EINDINSCHR": pl.Date, "TYPEONDERWIJS": pl.String, "OPLNR": pl.String},
    ).lazy()  # fmt: skip


def test_outcomes_at_the_end_month() -> None:
    """in_work_at_end / enrolled_at_end / work_or_education_at_end per record, hand-checked:
    a job or enrolment overlapping December 2021 by one day counts, one ending in November does
    not, a zero-hour zero-wage row does not, an open enrolment does; unlinked records are null."""
    d = dt.date
    people = [
        ("000000001", d(2020, 5, 3), "work"),  # job 1-12-2021 only: in work
        ("000000002", d(2020, 5, 3), "education"),  # open enrolment: enrolled
        ("000000003", d(2020, 5, 3), "dropout"),  # job ended 30-11, enrolment ended 30-11
        ("000000004", d(2020, 5, 3), "work"),  # works and enrolled
        ("000000005", None, "unknown"),  # zero row in E only: neither
        ("", d(2020, 5, 3), "work"),  # not linked
    ]
    jobs = _jobs(
        [
            ("000000001", d(2021, 12, 31), d(2022, 3, 1), 20.0, 500.0),
            ("000000003", d(2021, 1, 1), d(2021, 11, 30), 20.0, 500.0),
            ("000000004", d(2021, 6, 1), d(2021, 12, 1), 20.0, 500.0),
            ("000000005", d(2021, 12, 1), d(2021, 12, 31), 0.0, 0.0),
        ]
    )
    enrol = _enrolments(
        [
            ("000000002", d(2020, 9, 1), None),
            ("000000003", d(2020, 9, 1), d(2021, 11, 30)),
            ("000000004", d(2021, 9, 1), d(2022, 7, 31)),
            ("000000005", d(2022, 1, 1), d(2021, 1, 1)),  # ends before it starts: invalid
        ]
    )
    inputs = _inputs(people, jobs)
    with_enrol = Inputs(inputs.analysis, inputs.linked, jobs, enrol)
    persons = compute(with_enrol, DurabilityOptions(END)).persons.sort("record_id")
    assert persons["in_work_at_end"].to_list() == [True, False, False, True, False, None]
    assert persons["enrolled_at_end"].to_list() == [False, True, False, True, False, None]
    assert persons["work_or_education_at_end"].to_list() == [True, True, False, True, False, None]
    # Day unit and first-job anchor do not change the outcomes (they are about month E).
    day = compute(with_enrol, DurabilityOptions(END, "first-job", "day")).persons.sort("record_id")
    assert day.select(END_OUTCOMES).equals(persons.select(END_OUTCOMES))
    # Without enrolments, education is unknown (null), never false.
    plain = compute(inputs, DurabilityOptions(END)).persons.sort("record_id")
    assert plain["in_work_at_end"].to_list() == [True, False, False, True, False, None]
    assert plain["enrolled_at_end"].null_count() == plain.height
    assert plain["work_or_education_at_end"].null_count() == plain.height


@given(
    st.lists(st.one_of(st.none(), st.integers(1900 * 12, 9999 * 12 + 11)), min_size=1, max_size=40)
)
def test_month_text_lookup_equals_formatting(months: list[int | None]) -> None:
    """Month texts looked up in the table are 'YYYY-MM' of the month number, null for null."""
    from nbnb_cbs.durability.measure import _month_text

    got = pl.select(_month_text(pl.lit(pl.Series(months, dtype=pl.Int32)))).to_series().to_list()
    assert got == [None if m is None else f"{m // 12}-{m % 12 + 1:02d}" for m in months]


def test_rows_cut_to_the_cohort_count_as_read_whole() -> None:
    """Job rows cut to the linked persons while reading (jobs_cut_to) give the results of rows
    read whole; a cut to other persons than the records' is filtered again, not trusted."""
    from dataclasses import replace

    people = [
        ("000000001", dt.date(2020, 1, 10), "work"),
        ("000000002", dt.date(2020, 3, 1), "work"),
    ]
    rows = [
        ("000000001", dt.date(2020, 2, 1), dt.date(2020, 8, 31), 40.0, 900.0),
        ("000000002", dt.date(2021, 12, 1), dt.date(2021, 12, 31), 40.0, 900.0),
        ("000000003", dt.date(2020, 1, 1), dt.date(2021, 12, 31), 40.0, 900.0),  # not a record's
    ]
    inputs = _inputs(people, _jobs(rows))
    whole = compute(inputs, DurabilityOptions(END))
    pids = inputs.linked.select(person_key())["pid"]
    cut = replace(inputs, jobs=_jobs(rows[:2]), jobs_cut_to=pids)
    wider = replace(inputs, jobs_cut_to=pl.concat([pids, pids + 1]))
    for other in (compute(cut, DurabilityOptions(END)), compute(wider, DurabilityOptions(END))):
        assert other.persons.equals(whole.persons)
        assert other.series.equals(whole.series)
        assert other.snapshot.equals(whole.snapshot)
    counts = dict(compute(wider, DurabilityOptions(END)).data_quality.iter_rows())
    assert (counts["jobs rows_read"], counts["jobs cohort_rows"]) == (3, 2)


def test_record_twice_in_the_linked_file_takes_its_first_row() -> None:
    """A record_id the linked file holds twice is linked to the person of its first row, once."""
    people = [
        ("000000001", dt.date(2020, 1, 10), "work"),
        ("000000002", dt.date(2020, 3, 1), "work"),
    ]
    rows = [("000000002", dt.date(2020, 4, 1), dt.date(2020, 9, 30), 40.0, 900.0)]
    inputs = _inputs(people, _jobs(rows))
    twice = pl.concat(
        [inputs.linked, inputs.linked.head(1).with_columns(RINPERSOON=pl.lit("000000002"))]
    )
    for linked in (twice, twice.reverse()):
        persons = compute(
            Inputs(inputs.analysis, linked, inputs.jobs), DurabilityOptions(END)
        ).persons
        assert persons["record_id"].to_list() == ["r0", "r1"]
        first = linked.filter(pl.col("record_id") == "r0")["RINPERSOON"][0]
        assert persons["RINPERSOON"][0] == first
        assert persons["worked"][0] == (6 if first == "000000002" else 0)


def test_rows_that_may_overlap_a_period_are_kept_whatever_their_form() -> None:
    """Text dates in the canonical form outside the period are left out while reading; every
    other value (missing, another form, spaces) keeps its row for the parsed check."""
    import datetime as dt

    from nbnb_cbs.io.readers import _may_overlap

    starts = ["20211201", "20220101", "20211231", None, "2021-11-01", " 20211101", "20200101",
              "99999999", "20211101"]  # fmt: skip
    ends = ["20211231", "20220131", "20220101", "20211215", "20211215", "20211215", "20211130",
            "20211201", "2021-12-15"]  # fmt: skip
    frame = pl.DataFrame({"s": starts, "e": ends})
    december = (dt.date(2021, 12, 1), dt.date(2021, 12, 31))
    kept = frame.filter(_may_overlap(frame.schema, "s", "e", *december))
    assert kept["s"].to_list() == [
        "20211201", "20211231", None, "2021-11-01", " 20211101", "20211101"
    ]  # fmt: skip
    # Date columns are compared as dates (a missing one keeps its row).
    typed = frame.select(
        pl.col(c).str.to_date("%Y%m%d", strict=False).alias(c) for c in ("s", "e")
    ).with_columns(pl.col("e").cast(pl.Datetime))
    kept = typed.filter(_may_overlap(typed.schema, "s", "e", *december))
    expected = ["20211201", "20211231", None, None, "20211101", None, "20211101"]
    assert kept["s"].dt.to_string("%Y%m%d").to_list() == expected


@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(st.integers(-30, 60), st.integers(-(1 << 20), 1 << 20)),
            st.integers(0, 9),
        ),
        min_size=1,
        max_size=50,
    ),
    st.booleans(),
)
def test_merge_equals_unions_of_units(rows: list[tuple[int, int, int]], shuffle: bool) -> None:
    """Merged intervals are each person's covered units in maximal runs (adjacent and
    overlapping rows joined), whatever the rows' order; ends beyond the band (2**19 - 1 units
    below 0, 2**19 - 2 above) count at its edge, and two persons' runs at the edges stay apart."""
    from nbnb_cbs.durability.intervals import merge_intervals

    low, high = -(1 << 19) + 1, (1 << 19) - 2
    frame = pl.DataFrame(
        [{"pid": p, "s": s, "e": s + n} for p, s, n in rows],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
    )
    frame = frame.reverse() if shuffle else frame.sort("pid", "s")
    merged = merge_intervals(frame.lazy()).collect()
    expected = []
    for pid in sorted({p for p, _, _ in rows}):
        spans = sorted(
            (min(max(s, low), high), min(max(s + n, low), high)) for p, s, n in rows if p == pid
        )
        runs: list[list[int]] = []
        for s, e in spans:
            if runs and s <= runs[-1][1] + 1:
                runs[-1][1] = max(runs[-1][1], e)
            else:
                runs.append([s, e])
        expected += [(pid, s, e) for s, e in runs]
    assert merged.sort("pid", "s").rows() == expected


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 60), st.integers(1, 40)),
        min_size=1,
        max_size=30,
    )
)
def test_cell_means_are_the_correctly_rounded_mean(values: list[tuple[int, int, int]]) -> None:
    """The mean durability of a cell, summed from its distinct values and their counts, is
    math.fsum of every record's value over their number: the same float, whatever the order."""
    import math

    from nbnb_cbs.durability.measure import durability_cells

    durabilities = [min(w, o) / o for w, o, c in values for _ in range(c)]
    persons = pl.DataFrame(
        {
            "durability": durabilities,
            "worked": [min(w, o) for w, o, c in values for _ in range(c)],
            "observable": [o for _, o, c in values for _ in range(c)],
            "exit_work": [True] * len(durabilities),
            "worked_1m": [False] * len(durabilities),
            "observed_12m": [False] * len(durabilities),
        }
    )
    cells = durability_cells(persons.lazy(), [])
    mean = cells.filter((pl.col("group") == "exit_work") & (pl.col("statistic") == "mean"))
    assert mean["value"].to_list() == [math.fsum(durabilities) / len(durabilities)]


@given(
    st.lists(st.one_of(st.none(), st.sampled_from([f"r{i}" for i in range(12)])), max_size=25),
    st.lists(st.one_of(st.none(), st.sampled_from([f"r{i}" for i in range(12)])), max_size=25),
)
def test_records_find_their_first_linked_row(
    left: list[str | None], right: list[str | None]
) -> None:
    """Each record finds the first row of the linked file with its record_id (by hashes, then
    the texts compared; ids held twice and missing ids included), or none."""
    from nbnb_cbs.durability.run import _linked_rows

    first: dict[str, int] = {}
    for row, rid in enumerate(right):
        if rid is not None:
            first.setdefault(rid, row)
    frame = pl.DataFrame({"record_id": left}, schema={"record_id": pl.String})
    ids = pl.DataFrame({"record_id": right}, schema={"record_id": pl.String}).with_row_index("_l")
    expected = [None if rid is None else first.get(rid) for rid in left]
    assert _linked_rows(frame, ids).to_list() == expected


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**40)), max_size=30), st.randoms())
def test_cohort_digest_is_the_set(pids: list[int | None], rng: random.Random) -> None:
    """The same persons in any order, repeated or with nulls give one digest; one person more or
    less gives another."""
    from nbnb_cbs.io.readers import cohort_digest

    shuffled = [*pids, *pids[:3], None]
    rng.shuffle(shuffled)
    digest = cohort_digest(pl.Series(pids, dtype=pl.Int64))
    assert cohort_digest(pl.Series(shuffled, dtype=pl.Int64)) == digest
    persons = {p for p in pids if p is not None}
    other = persons ^ {2**41}
    assert cohort_digest(pl.Series(sorted(other), dtype=pl.Int64)) != digest
