"""Durability from files and frames: read the inputs, compute every result, write the work folder.

``compute`` works on frames (tests call it directly); ``run_files`` reads the inputs, computes
everything and writes the work folder. Results in the work folder are NOT disclosure-controlled.
"""

from __future__ import annotations

import calendar
import concurrent.futures
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nbnb_cbs.durability.contracts import INDICATORS
from nbnb_cbs.durability.intervals import Unit, merge_counted, merge_intervals, to_unit
from nbnb_cbs.durability.measure import (
    EDUCATION_GROUPS,
    EXCLUSION_REASONS,
    GROUPS,
    Anchor,
    durability_cells,
    end_bounds,
    person_durability,
)
from nbnb_cbs.durability.series import monthly_series
from nbnb_cbs.durability.snapshot import (
    AMOUNTS,
    snapshot_cells,
    snapshot_records,
    working_persons,
)
from nbnb_cbs.durability.spells import survival_spells
from nbnb_cbs.errors import ColumnError, ConfigError
from nbnb_cbs.io.readers import (
    CONVERT_PID,
    TEXT_SUFFIXES,
    RowsProgress,
    Table,
    parse_later,
    read_parquet_for,
    read_table,
    read_text_for,
    scan_converted,
)
from nbnb_cbs.io.writers import write_csv, write_parquet
from nbnb_cbs.schemas import (
    ENROLMENTS,
    JOBS,
    LINKED,
    Contract,
    destination_expr,
    person_key,
    person_key_of,
    require_shared_records,
)
from nbnb_cbs.text import per_distinct

__all__ = [
    "END_OUTCOMES",
    "EXCLUSION_REASONS",
    "DurabilityOptions",
    "DurabilityResult",
    "compute",
    "read_inputs",
    "run_files",
    "write_results",
]

Step = Callable[[str], None]
_log = logging.getLogger(__name__)

PERSON_COLUMNS = (
    "record_id", "RINPERSOONS", "RINPERSOON", "exit_date", "exit_month", "anchor_month",
    "observable", "worked", "durability", "exit_work", "worked_1m", "observed_12m", "excluded_reason",
    *("in_work_at_end", "enrolled_at_end", "work_or_education_at_end"),
)  # fmt: skip
END_OUTCOMES = ("in_work_at_end", "enrolled_at_end", "work_or_education_at_end")
# What the snapshot and the outcomes at E read of a job row (rows overlapping E only).
_SNAPSHOT_COLUMNS = frozenset(
    ("pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "IKVID", "SPOLISDIENSTVERBAND", "SSOORTBAAN")
)
_SNAPSHOT_COLUMNS |= {"SCONTRACTSOORT", *AMOUNTS, *INDICATORS}


@dataclass(frozen=True)
class DurabilityOptions:
    end: tuple[int, int]
    anchor: Anchor = "exit"
    unit: Unit = "month"
    by: tuple[str, ...] = ()
    count_zero_rows: bool = False
    # The snapshot's peildatum: rows whose period contains it, whole (default: the end month,
    # prorated by days).
    snapshot_date: dt.date | None = None


@dataclass
class Inputs:
    analysis: pl.DataFrame
    linked: pl.DataFrame
    jobs: pl.LazyFrame
    enrolments: pl.LazyFrame | None = None
    quality: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # The persons (pid) the job rows were cut to while reading; None when read whole.
    jobs_cut_to: pl.Series | None = None
    # Whole job rows (every column) that may overlap the days from .. to, when ``jobs`` holds
    # only the columns the measures use (a raw Parquet file: its text columns are decoded and
    # cleaned only for the rows the snapshot describes); None: ``jobs`` holds them all.
    jobs_at: Callable[[dt.date, dt.date], pl.LazyFrame] | None = None
    # The person key (schemas.person_key) of each row of ``linked``, when worked out already.
    linked_pid: pl.Series | None = None


@dataclass
class DurabilityResult:
    persons: pl.DataFrame
    durability: pl.DataFrame
    series: pl.DataFrame
    snapshot: pl.DataFrame
    exclusions: pl.DataFrame
    data_quality: pl.DataFrame
    education: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    # Record-level memberships for the release model (stay in memory; never exported).
    working_at_end: pl.DataFrame | None = None
    education_persons: pl.DataFrame | None = None
    # Spells for survival in work, per record of the exit anchor's exit_work group (durability/spells.py).
    survival_spells: pl.DataFrame | None = None
    # Seconds per phase of the run (reading, each computation, writing): where the time goes.
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    """Adds the seconds since the previous call to ``timings[phase]``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def read_inputs(
    analysis: Path,
    linked: Path,
    jobs: Path,
    enrolments: Path | None = None,
    *,
    aliases: Mapping[str, list[str]] | None = None,
    progress: Step | None = None,
    rows: RowsProgress | None = None,
) -> Inputs:
    """Read the analysis and linked files, and the jobs (and enrolments) cut to the linked
    persons. ``progress`` is told each step's name, ``rows`` the rows read so far of a large
    text file; ``aliases`` maps canonical column names to the files' own (from [columns] in
    project.toml)."""
    step = progress or _no_step
    step(f"reading {analysis.name} and {linked.name}")
    a = read_table(analysis)
    for column in ("record_id", "exit_date", "exit_destination"):
        if column not in a.frame.columns:
            raise ColumnError.missing(analysis, column, a.frame.columns)
    frame = a.frame.with_columns(
        pl.col("record_id").cast(pl.String), _destinations(a.frame["exit_destination"])
    )
    if frame.schema["exit_date"] != pl.Date:
        from nbnb_cbs.dates import parse_date_expr  # noqa: PLC0415

        frame = frame.with_columns(parse_date_expr("exit_date"))
        if "entry_date" in frame.columns:
            frame = frame.with_columns(parse_date_expr("entry_date"))
    links = read_table(linked, LINKED, aliases=aliases)
    require_shared_records(frame, links.frame, analysis, linked)
    # The person key of every linked row, once: the cohort's persons and the records' keys.
    linked_pid = links.frame.select(person_key_of(links.frame))["pid"]
    cohort = linked_pid.drop_nulls().unique().to_frame()
    step(f"reading {jobs.name} ({_size(jobs)}) for {cohort.height:,} linked persons")
    # A file convert wrote is scanned, not read: each result decodes only what it needs.
    converted = scan_converted(jobs, JOBS, cohort) if jobs.suffix.lower() == ".parquet" else None
    if converted is not None:
        job_rows, total = converted
        job_table = Table(pl.DataFrame(), jobs, counts={"rows_in_file": total})
        _log.info(
            "%s: converted file of %s rows, scanned for the linked persons", jobs.name, f"{total:,}"
        )
    else:
        job_table = _read_cut(jobs, JOBS, cohort, aliases, rows)
        job_rows = job_table.frame.lazy()
        if "rows_in_file" in job_table.counts:
            _log.info(
                "%s: %s rows read for the linked persons (of %s in the file)",
                jobs.name,
                f"{job_table.frame.height:,}",
                f"{job_table.counts['rows_in_file']:,}",
            )
        else:
            _log.info("%s: %s rows read", jobs.name, f"{job_table.frame.height:,}")
    job_columns = job_rows.collect_schema().names()
    if aliases and "net_wage" in aliases and "net_wage" not in job_columns:
        # [columns] net_wage names a column the file does not have: the amount would vanish.
        raise ColumnError.missing(jobs, "net_wage", job_columns, aliases["net_wage"])
    quality = {f"jobs {k.replace(':', ' ')}": v for k, v in job_table.counts.items()}
    notes = [*a.notes, *links.notes, *job_table.notes]
    enrol = None
    if enrolments is not None:
        step(f"reading {enrolments.name} ({_size(enrolments)})")
        e_table = _read_cut(enrolments, ENROLMENTS, cohort, aliases, rows)
        quality |= {f"enrolments {k.replace(':', ' ')}": v for k, v in e_table.counts.items()}
        notes += e_table.notes
        enrol = e_table.frame.lazy()
    cut = None if converted is None and jobs.suffix.lower() not in _CUT_SUFFIXES else cohort["pid"]
    jobs_at = None
    waiting = [c for c in _LATER if c in job_columns]
    if converted is None and jobs.suffix.lower() == ".parquet":

        def jobs_at(first: dt.date, last: dt.date) -> pl.LazyFrame:
            # Only the rows that may overlap first..last are read again, whole.
            period = ("SDATUMAANVANGIKO", "SDATUMEINDEIKO", first, last)
            table = read_parquet_for(
                jobs, JOBS, cohort, aliases, keep_pid=True, skip=_UNREAD, period=period
            )
            return table.frame.lazy()

    elif converted is None and waiting:
        kept = job_table.frame

        def jobs_at(first: dt.date, last: dt.date) -> pl.LazyFrame:
            # The rows overlapping first..last (their dates were parsed when read), with the text
            # columns that waited for them cleaned now.
            start, end = pl.col("SDATUMAANVANGIKO"), pl.col("SDATUMEINDEIKO")
            rows = kept.filter((start <= last) & (end >= first))
            return parse_later(rows, jobs, JOBS, waiting).lazy()

    return Inputs(frame, links.frame, job_rows, enrol, quality, notes, cut, jobs_at, linked_pid)


def _destinations(raw: pl.Series) -> pl.Series:
    """``destination_expr`` (unrecognised: unknown) of each distinct value once, then looked up:
    a column holds a handful of values, and its text work is the same for every row."""
    text = raw.cast(pl.String).to_frame("d")
    canonical = destination_expr("d").fill_null("unknown")
    return per_distinct(text, {"_d": canonical}, ["d"])["_d"].alias(raw.name)


def _no_step(_: str) -> None:
    return None


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


# Text columns of a raw jobs file that only the snapshot reads (rows at E, Inputs.jobs_at). A raw
# Parquet file's are decoded only for the rows that may overlap the end month, read apart; a CSV's
# (read whole anyway) are kept as read and cleaned only in the rows at E. Reading a Parquet file's
# with the rest was faster at 100,000 participants (2,500,000 raw rows: 1.19-1.30 s against
# 1.38-1.52 s for the path before, where reading them apart gave 1.41-1.51 s against 1.49-1.64 s
# in another series) but held them for every kept row (peak 0.64 GB against 0.48 GB; 1.51 GB
# against 1.08 GB at 300,000). Text columns nothing reads are not read from Parquet at all.
_TEXT = frozenset(c.name for c in JOBS.columns if c.kind == "str") - {"RINPERSOONS"}
_LATER = sorted(_TEXT & _SNAPSHOT_COLUMNS)
_UNREAD = _TEXT - _SNAPSHOT_COLUMNS
# Files _read_cut cuts to the cohort while reading (SPSS/Stata files are read whole).
_CUT_SUFFIXES = frozenset({".parquet", *TEXT_SUFFIXES})


def _read_cut(
    path: Path,
    contract: Contract,
    cohort: pl.DataFrame,
    aliases: Mapping[str, list[str]] | None,
    rows: RowsProgress | None = None,
) -> Table:
    """Parquet and text files are cut to the cohort before their values are parsed (they may
    hold a whole country); SPSS/Stata files are read whole (convert them first)."""
    later = _LATER if contract is JOBS else ()
    if path.suffix.lower() == ".parquet":
        skip = _TEXT if contract is JOBS else ()
        return read_parquet_for(path, contract, cohort, aliases, keep_pid=True, skip=skip)
    if path.suffix.lower() in TEXT_SUFFIXES:
        return read_text_for(path, contract, cohort, aliases, rows=rows, keep_pid=True, later=later)
    return read_table(path, contract, aliases=aliases, rows=rows)


def _records(
    analysis: pl.DataFrame, linked: pl.DataFrame, pid: pl.Series | None = None
) -> pl.LazyFrame:
    """The analysis file's records, each with its linked row's RINPERSOONS, RINPERSOON and
    person key ``pid`` (``pid``: the linked rows' keys when worked out already)."""
    key = person_key_of(linked) if pid is None else pl.lit(pid)
    links = linked.select(
        pl.col("record_id").cast(pl.String), "RINPERSOONS", "RINPERSOON", key.alias("pid")
    )
    # Only the keys are joined, then the linked columns gathered beside the analysis file's own
    # (which are neither copied nor reordered): records stay in the file's order (_order).
    ids = links.select("record_id").with_row_index("_l")
    left = analysis.select(pl.col("record_id").cast(pl.String))
    at = _linked_rows(left, ids)
    gathered = links.select(pl.col("RINPERSOONS", "RINPERSOON", "pid").gather(at))
    # The linked file's person columns are the ones that count (an analysis file has none).
    own = analysis.drop("RINPERSOONS", "RINPERSOON", "pid", strict=False)
    return (
        own.with_row_index("_order")
        .with_columns(pl.col("record_id").cast(pl.String))
        .hstack(gathered)
        .lazy()
    )


def _linked_rows(left: pl.DataFrame, ids: pl.DataFrame) -> pl.Series:
    """Per record of ``left`` (``record_id``), the row ``_l`` of ``ids`` (``record_id, _l``)
    with the same record_id; null when there is none. A record_id ``ids`` holds twice: its first
    row counts.

    The ids are joined by their 64-bit hashes, then each pair's texts are compared: a million
    records 0.17 s against 0.25 s for joining the texts. Any doubt (a hash that two different
    ids share, an id held twice, a missing id) and the texts are joined as before."""
    key = pl.col("record_id").hash()
    if not left["record_id"].null_count() and not ids["record_id"].null_count():
        found = left.select(_h=key).join(
            ids.select("_l", _h=key), on="_h", how="left", maintain_order="left"
        )
        if found.height == left.height:
            at = found["_l"]
            same = left["record_id"] == ids["record_id"].gather(at)
            if same.fill_null(True).all():  # null: no row of ids has that hash
                return at
    found = left.join(ids, on="record_id", how="left", maintain_order="left")
    if found.height != left.height:
        # A record_id the linked file holds twice: its first row counts. (Only then is the
        # linked file made unique: hashing every record_id once more costs as much as the join.)
        first = ids.unique("record_id", keep="first", maintain_order=True)
        found = left.join(first, on="record_id", how="left", maintain_order="left")
    return found["_l"]


def _job_rows(jobs: pl.LazyFrame, count_zero_rows: bool) -> pl.LazyFrame:
    """Jobs with pid, validity and whether each row counts as work. Optional SPOLISBUS columns
    a file lacks are added as empty (the snapshot then reports those categories as unknown); a
    missing net wage stays missing (the snapshot then has no net wage)."""
    start, end = pl.col("SDATUMAANVANGIKO"), pl.col("SDATUMEINDEIKO")
    present = {*jobs.collect_schema().names(), "net_wage"}
    optional = {c.name: c.kind for c in JOBS.columns if not c.required and c.name not in present}
    if optional:
        jobs = jobs.with_columns(
            pl.lit(None, pl.Float64 if kind == "float" else pl.String).alias(name)
            for name, kind in optional.items()
        )
    # A file written by convert brings its person key (the same expression, worked out once).
    pid = pl.col(CONVERT_PID) if CONVERT_PID in present else person_key()
    return jobs.with_columns(
        pid=pid,
        _missing_start=start.is_null(),
        _missing_end=end.is_null(),
        _end_before_start=end < start,
    ).with_columns(
        _valid=~(
            pl.col("_missing_start")
            | pl.col("_missing_end")
            | pl.col("_end_before_start").fill_null(False)
        )
        & pl.col("pid").is_not_null(),
        _work=pl.lit(True)
        if count_zero_rows
        else ((pl.col("SBASISUREN").fill_null(0) > 0) | (pl.col("SBASISLOON").fill_null(0) > 0)),
    )


def _quality(rows: pl.LazyFrame) -> dict[str, int]:
    """The job rows' data-quality counts, in one pass: of all rows read and of the rows of the
    cohort (``_in``)."""
    counted = pl.col("_valid") & pl.col("_work")
    totals = rows.select(
        rows_read=pl.len(),
        missing_rinpersoon=pl.col("pid").is_null().sum(),
        missing_or_sentinel_start=pl.col("_missing_start").sum(),
        missing_or_sentinel_end=pl.col("_missing_end").sum(),
        end_before_start=pl.col("_end_before_start").fill_null(False).sum(),
        invalid_excluded=(~pl.col("_valid")).sum(),
        valid_not_work=(pl.col("_valid") & ~pl.col("_work")).sum(),
        counted_as_work=counted.sum(),
        cohort_rows=pl.col("_in").sum(),
        cohort_counted=(pl.col("_in") & counted).sum(),
    ).collect()
    return {f"jobs {k}": int(v) for k, v in totals.row(0, named=True).items()}


def compute(
    inputs: Inputs, options: DurabilityOptions, timings: dict[str, float] | None = None
) -> DurabilityResult:
    """Every durability result from ``inputs``; ``timings`` (when given) receives the seconds
    each phase took."""
    day = options.snapshot_date
    if day is not None and (day.year, day.month) != options.end:
        raise ConfigError(
            f"snapshot date {day} is not in the end month {options.end[0]}-{options.end[1]:02d}: "
            "the snapshot describes the end month; move the date into it"
        )
    for column in options.by:
        if column not in inputs.analysis.columns:
            raise ColumnError.missing("analysis file", column, inputs.analysis.columns)
    lap = _Clock(timings if timings is not None else {})
    # Records and job rows are worked out once and kept in memory: every result reads them.
    # Records stay in the analysis file's order (_order), so per-record results line up by row.
    records_frame = _records(inputs.analysis, inputs.linked, inputs.linked_pid).collect()
    records = records_frame.lazy()
    linked_pids = records_frame["pid"].drop_nulls().unique()
    rows = _job_rows(inputs.jobs, options.count_zero_rows)
    at = None
    if inputs.jobs_at is not None:
        deferred = inputs.jobs_at

        def at(first: dt.date, last: dt.date) -> pl.LazyFrame:
            return _job_rows(deferred(first, last), options.count_zero_rows)

    in_cohort = pl.col("pid").is_in(linked_pids.implode())
    cut = inputs.jobs_cut_to
    # Both are sets of persons (unique): the same size and one inside the other is equality.
    if (
        cut is not None
        and cut.len() == linked_pids.len()
        and cut.is_in(linked_pids.implode()).all()
    ):
        in_cohort = pl.lit(True)  # the rows were cut to exactly these persons when read
    lap("records")
    # The snapshot and the outcomes at E read the columns they describe, only of rows
    # overlapping E. That chain needs nothing of the durability chain, so it runs in a second
    # thread meanwhile: polars and numpy release the GIL, and each chain has stretches on one
    # core (numpy's interval merging, Python's exact sums) that the other fills.
    end_month = end_bounds(options.end, "month")
    linked_records = records.filter(pl.col("pid").is_not_null())
    sectoral = "sectoral" in inputs.analysis.columns
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        at_e = pool.submit(_at_end, rows, in_cohort, linked_records, options, sectoral, at)
        chain = _durability_chain(records, rows, in_cohort, linked_records, options, lap, pool)
        working, snapshot, working_at_end, seconds = at_e.result()
        lap("waiting for the snapshot")
    finally:
        pool.shutdown(cancel_futures=True)
    persons_full, cells, spells, series, quality = chain
    quality |= inputs.quality
    if timings is not None:
        timings["snapshot (alongside)"] = seconds
    outcomes = _end_outcomes(records, working, inputs.enrolments, end_month)
    if outcomes.height != persons_full.height:  # one row per record on both sides, same order
        raise RuntimeError("durability: outcomes at E and durability have different records")
    persons = pl.concat([persons_full, outcomes.drop("record_id")], how="horizontal").select(
        PERSON_COLUMNS
    )
    lap("outcomes at E")
    reasons = persons.group_by("excluded_reason").len()
    counts = dict(
        zip(reasons["excluded_reason"].fill_null("included"), reasons["len"], strict=True)
    )
    exclusions = pl.DataFrame(
        {
            "reason": ["included", *EXCLUSION_REASONS],
            "records": [int(counts.get(r, 0)) for r in ("included", *EXCLUSION_REASONS)],
        }
    )
    education = education_persons = None
    if inputs.enrolments is not None:
        education, education_persons = _education(
            records, inputs.enrolments, options, quality, outcomes
        )
    lap("education")
    dq = pl.DataFrame({"check": list(quality), "rows": [int(v) for v in quality.values()]})
    return DurabilityResult(
        persons, cells, series, snapshot, exclusions, dq, education, list(inputs.notes),
        working_at_end, education_persons, spells, timings if timings is not None else {},
    )  # fmt: skip


def _durability_chain(
    records: pl.LazyFrame,
    rows: pl.LazyFrame,
    in_cohort: pl.Expr,
    linked_records: pl.LazyFrame,
    options: DurabilityOptions,
    lap: _Clock,
    pool: concurrent.futures.ThreadPoolExecutor | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, pl.DataFrame, dict[str, int]]:
    """Durability per record and its cells, the survival spells, the monthly series and the
    job rows' data-quality counts, from the counted job rows."""
    # The measures need only person, period and whether a row counts: read just those (a
    # scanned file decodes nothing else), once, for the quality counts and the counted rows.
    start, end = pl.col("SDATUMAANVANGIKO"), pl.col("SDATUMEINDEIKO")
    flags = ["_missing_start", "_missing_end", "_end_before_start", "_valid", "_work"]
    # A row without a start or end never counts (_valid): its units are 0, not null, so the
    # merge can take the columns as they lie (a null would make it copy them).
    month_units = {
        "ms": to_unit(start, "month").fill_null(0),
        "me": to_unit(end, "month").fill_null(0),
    }
    days = {"s": to_unit(start, "day").fill_null(0), "e": to_unit(end, "day").fill_null(0)}
    units = {"s": pl.col("ms"), "e": pl.col("me")} if options.unit == "month" else {}
    # A filter, not a semi-join: the same rows, and many times faster in polars 2. The dates
    # are read only into the units and flags (not kept as columns of their own).
    counts = pl.col("_in") & pl.col("_valid") & pl.col("_work")
    core = (
        rows.select("pid", *flags, _in=in_cohort, **month_units, **({} if units else days))
        .with_columns(**units)
        .with_columns(_counted=counts)
        .collect()
    )
    lap("job rows")
    quality = _quality(core.lazy())
    lap("quality counts")
    # The counted rows are merged where they lie in core (no filtered copy of them is made).
    merged = merge_counted(core, "_counted").lazy()
    merged_months = (
        merged if options.unit == "month" else merge_counted(core, "_counted", "ms", "me").lazy()
    )
    del core
    end_month = end_bounds(options.end, "month")
    series_job = None
    if pool is not None:  # the series needs only the merged months: the other thread takes it
        series_job = pool.submit(monthly_series, linked_records, merged_months, end_month)
    lap("merged intervals")
    persons_full = person_durability(
        records, merged, end=options.end, unit=options.unit, anchor=options.anchor
    ).collect()
    cells = durability_cells(persons_full.lazy(), list(options.by))
    lap("durability")
    exit_months = (
        persons_full
        if options.unit == "month" and options.anchor == "exit"
        else person_durability(records, merged_months, end=options.end, unit="month").collect()
    )
    spells = survival_spells(exit_months, merged_months, options.end)
    lap("survival spells")
    if series_job is not None:
        series = series_job.result()
    else:
        series = monthly_series(linked_records, merged_months, end_month)
    lap("monthly series")
    return persons_full, cells, spells, series, quality


def _at_end(
    rows: pl.LazyFrame,
    in_cohort: pl.Expr,
    linked_records: pl.LazyFrame,
    options: DurabilityOptions,
    sectoral: bool,
    rows_at: Callable[[dt.date, dt.date], pl.LazyFrame] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, float]:
    """The persons working at E (snapshot.working_persons), the snapshot's cells and its
    records, from the counted rows overlapping the end month (read whole by ``rows_at`` when
    ``rows`` holds only the measures' columns); and the seconds it took."""
    began = time.perf_counter()
    start, end = pl.col("SDATUMAANVANGIKO"), pl.col("SDATUMEINDEIKO")
    end_month = end_bounds(options.end, "month")
    year, month = divmod(end_month, 12)
    e_first = dt.date(year, month + 1, 1)
    e_last = dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1])
    if rows_at is not None:
        rows = rows_at(e_first, e_last)
    present = rows.collect_schema().names()
    at_end = (
        rows.filter((start <= e_last) & (end >= e_first))
        .filter(in_cohort & pl.col("_valid") & pl.col("_work"))
        .select(c for c in present if c in _SNAPSHOT_COLUMNS)
        .collect()
        .lazy()
    )
    working = working_persons(at_end, end_month, options.snapshot_date)
    # The linked records and their join to the working persons, once for cells and records.
    recs = linked_records.select("record_id", "pid", *(["sectoral"] if sectoral else []))
    recs_frame = recs.collect()
    joined = recs_frame.join(working, on="pid", how="inner")
    snapshot = snapshot_cells(
        recs_frame.lazy(),
        at_end,
        end_month,
        snapshot_date=options.snapshot_date,
        persons=working,
        joined=joined,
    )
    working_at_end = snapshot_records(
        recs_frame.lazy(), at_end, end_month, options.snapshot_date, joined=joined
    )
    return working, snapshot, working_at_end, time.perf_counter() - began


def _end_outcomes(
    records: pl.LazyFrame,
    working_at_end: pl.DataFrame,
    enrolments: pl.LazyFrame | None,
    end_month: int,
) -> pl.DataFrame:
    """Per record: in work, enrolled, and either, in the end month E (README: outcomes at E).

    In work at E: a counted job row overlaps E by at least a day, or with a snapshot date
    contains that day (the snapshot's own rows: one definition of working at the end). Enrolled
    at E: a valid enrolment period (EINDINSCHR empty or 99999999 = still enrolled) overlaps E.
    Records that are not linked get nulls; without an enrolments file ``enrolled_at_end`` and
    ``work_or_education_at_end`` are null (unknown), never false.
    """
    working = working_at_end.select("pid")  # snapshot.working_persons: one row per person
    linked = pl.col("pid").is_not_null()
    in_work = pl.when(linked).then(pl.col("pid").is_in(working["pid"].implode()))
    frame = records.select("record_id", "pid").collect()
    if enrolments is None:
        return frame.select(
            "record_id",
            in_work_at_end=in_work,
            enrolled_at_end=pl.lit(None, pl.Boolean),
            work_or_education_at_end=pl.lit(None, pl.Boolean),
        )
    far = pl.date(2099, 12, 31)  # still enrolled
    start = pl.col("AANVINSCHR")
    stop = pl.coalesce(pl.col("EINDINSCHR"), far)
    enrolled = (
        enrolments.with_columns(pid=person_key())
        .filter(start.is_not_null() & (stop >= start) & pl.col("pid").is_not_null())
        .filter((to_unit(start, "month") <= end_month) & (to_unit(stop, "month") >= end_month))
        .select("pid")
        .unique()
        .collect()
    )
    in_school = pl.when(linked).then(pl.col("pid").is_in(enrolled["pid"].implode()))
    return frame.select(
        "record_id", in_work_at_end=in_work, enrolled_at_end=in_school
    ).with_columns(work_or_education_at_end=pl.col("in_work_at_end") | pl.col("enrolled_at_end"))


def _education(
    records: pl.LazyFrame,
    enrolments: pl.LazyFrame,
    options: DurabilityOptions,
    quality: dict[str, int],
    outcomes: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Education cells and, per record of the education cohort, its groups, durability and
    enrolment in E.

    Cells: durability of education for those who left for education (groups ``exit_education``,
    ``enrolled_1m``, ``observed_12m``); the share of that cohort enrolled in E; the share of all
    linked records enrolled in E, overall and by exit destination; and the programme type
    (TYPEONDERWIJS of the latest-starting enrolment overlapping E) of those enrolled in E.
    Enrolment in E is ``enrolled_at_end`` of persons.parquet (``outcomes``): one definition.
    """
    far = pl.date(2099, 12, 31)  # "still enrolled": beyond any observation window (see to_unit)
    rows = enrolments.with_columns(
        pid=person_key(),
        _end=pl.coalesce(pl.col("EINDINSCHR"), far),
    )
    valid = (
        pl.col("AANVINSCHR").is_not_null()
        & (pl.col("_end") >= pl.col("AANVINSCHR"))
        & pl.col("pid").is_not_null()
    )
    counts = rows.select(total=pl.len(), bad=(~valid).sum()).collect().row(0, named=True)
    quality["enrolments rows_read"] = int(counts["total"])
    quality["enrolments invalid_excluded"] = int(counts["bad"])
    good = rows.filter(valid).with_columns(
        s=to_unit(pl.col("AANVINSCHR"), options.unit), e=to_unit(pl.col("_end"), options.unit)
    )
    merged = merge_intervals(good).collect().lazy()
    persons = person_durability(
        records, merged, end=options.end, unit=options.unit, anchor="exit", destination="education"
    )
    labelled = persons.rename(dict(zip(GROUPS, EDUCATION_GROUPS, strict=True)))
    cells = durability_cells(labelled, list(options.by), EDUCATION_GROUPS)
    linked = (
        records.filter(pl.col("pid").is_not_null())
        .select("record_id", "pid", "exit_destination", "exit_date")
        .collect()
        .join(outcomes.select("record_id", "enrolled_at_end"), on="record_id", how="left")
        .with_columns(pl.col("enrolled_at_end").fill_null(False))
    )
    cohort = linked.filter(
        (pl.col("exit_destination") == "education") & pl.col("exit_date").is_not_null()
    )
    members = (
        cohort.select("record_id", "enrolled_at_end")
        .join(
            persons.select("record_id", "exit_work", "worked_1m", "observed_12m", "durability", "worked", "observable").collect(),
            on="record_id", how="left",
        )
        .select("record_id", "exit_work", "worked_1m", "observed_12m", "durability", "worked", "observable", "enrolled_at_end")
    )  # fmt: skip
    extra = [_share_row("education_cohort", "", "", cohort)]
    extra.append(_share_row("linked", "", "", linked))
    for destination, part in sorted(
        linked.partition_by("exit_destination", as_dict=True).items(), key=lambda kv: str(kv[0])
    ):
        extra.append(_share_row("linked", "exit_destination", str(destination[0]), part))
    extra += _programme_rows(good, linked.filter(pl.col("enrolled_at_end")), options)
    return pl.concat([cells, pl.DataFrame(extra, schema=cells.schema)]), members


def _share_row(group: str, by: str, value: str, frame: pl.DataFrame) -> dict[str, object]:
    n = frame.height
    enrolled = int(frame["enrolled_at_end"].sum()) if n else 0
    return {"group": group, "by": by, "by_value": value, "statistic": "share_enrolled_at_end",
            "value": enrolled / n if n else None, "n": n}  # fmt: skip


def _programme_rows(
    enrolments: pl.LazyFrame, enrolled: pl.DataFrame, options: DurabilityOptions
) -> list[dict[str, object]]:
    """Those enrolled in E by programme type (TYPEONDERWIJS of their latest-starting enrolment
    overlapping E; ``unknown`` where the file has no type); nothing when the file has no
    TYPEONDERWIJS column."""
    if "TYPEONDERWIJS" not in enrolments.collect_schema().names() or not enrolled.height:
        return []
    e_unit = end_bounds(options.end, options.unit)
    first_of_e = to_unit(pl.date(options.end[0], options.end[1], 1), options.unit)
    types = (
        enrolments.filter((pl.col("s") <= e_unit) & (pl.col("e") >= first_of_e))
        .join(enrolled.lazy().select("record_id", "pid"), on="pid", how="inner")
        .sort("record_id", "AANVINSCHR", pl.col("TYPEONDERWIJS").cast(pl.String), nulls_last=False)
        .group_by("record_id")
        .agg(programme_type=pl.col("TYPEONDERWIJS").cast(pl.String).str.strip_chars().last())
        .collect()
    )
    frame = enrolled.select("record_id").join(types, on="record_id", how="left")
    frame = frame.with_columns(
        pl.when(pl.col("programme_type").is_null() | (pl.col("programme_type") == ""))
        .then(pl.lit("unknown"))
        .otherwise(pl.col("programme_type"))
        .alias("programme_type")
    )
    n = frame.height
    rows: list[dict[str, object]] = []
    for value, count in frame.group_by("programme_type").len().sort("programme_type").iter_rows():
        rows.append({"group": "enrolled_at_end", "by": "programme_type", "by_value": value,
                     "statistic": "count", "value": float(count), "n": int(count)})  # fmt: skip
        rows.append({"group": "enrolled_at_end", "by": "programme_type", "by_value": value,
                     "statistic": "share", "value": count / n, "n": n})  # fmt: skip
    return rows


def write_results(result: DurabilityResult, workdir: Path) -> list[Path]:
    paths = [
        write_parquet(result.persons, workdir / "persons.parquet"),
        write_csv(result.durability, workdir / "durability.csv"),
        write_csv(result.series, workdir / "series.csv"),
        write_csv(result.snapshot, workdir / "snapshot.csv"),
        write_csv(result.exclusions, workdir / "exclusions.csv"),
        write_csv(result.data_quality, workdir / "data_quality.csv"),
    ]
    if result.survival_spells is not None:
        paths.append(write_parquet(result.survival_spells, workdir / "survival_spells.parquet"))
    if result.education is not None:
        paths.append(write_csv(result.education, workdir / "education.csv"))
    else:
        # An earlier run with enrolments wrote one; it does not belong to these results.
        (workdir / "education.csv").unlink(missing_ok=True)
    return paths


def run_files(
    analysis: Path,
    linked: Path,
    jobs: Path,
    workdir: Path,
    options: DurabilityOptions,
    enrolments: Path | None = None,
    *,
    aliases: Mapping[str, list[str]] | None = None,
    progress: Step | None = None,
    rows: RowsProgress | None = None,
) -> DurabilityResult:
    step = progress or _no_step
    timings: dict[str, float] = {}
    lap = _Clock(timings)
    inputs = read_inputs(
        analysis, linked, jobs, enrolments, aliases=aliases, progress=step, rows=rows
    )
    lap("reading inputs")
    step(f"durability ({options.anchor} anchor), series and snapshot")
    result = compute(inputs, options, timings)
    lap = _Clock(timings)
    step(f"writing {workdir}")
    write_results(result, workdir)
    lap("writing the work folder")
    return result
