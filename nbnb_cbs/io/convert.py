"""Convert SPOLISBUS-size files (SPSS, Stata, CSV, Parquet) into one sorted, typed Parquet file.

Reading is chunked (pyreadstat's chunked reader for .sav/.dta, streaming batches for CSV and
Parquet), so memory follows the chunk size, not the file size. Each parsed chunk gets an integer
person id (``pid``) beside the RINPERSOON text, is cut to a cohort if one is given, and is
spilled to disk in person-range buckets. Each bucket is then sorted and appended as row groups,
so the output is sorted by person with min/max statistics per row group: a later cohort cut
reads the ``pid`` column first and decodes other columns only where it matches.

Peak memory is about one chunk plus one bucket (each bucket holds at most ``bucket_rows`` rows
of the expected total), whatever the size of the inputs.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nbnb_cbs.errors import InputFileError
from nbnb_cbs.io.readers import (
    TEXT_SUFFIXES,
    Table,
    _check_path,
    _parse,
    _renames,
    _transcode,
    sniff_text,
    stat_reader,
    unreadable_stat,
)
from nbnb_cbs.io.writers import atomic_path, check_folder, mark_input
from nbnb_cbs.schemas import JOBS, LINKED, Contract, person_key

__all__ = ["ConvertResult", "convert_files"]

# (file name, rows read so far, expected total rows or None)
Progress = Callable[[str, int, int | None], None]
_log = logging.getLogger(__name__)
_FILE = "__nbnb_file__"  # which input a row came from; never a column of a CBS file
# A job row is the same job in the same period when these agree (with pid for the person).
_JOB_IDENTITY = ("IKVID", "SDATUMAANVANGIKO", "SDATUMEINDEIKO")


@dataclass
class ConvertResult:
    out: Path
    rows_read: int = 0
    rows_written: int = 0
    rows_outside_cohort: int = 0
    rows_without_rinpersoon: int = 0
    row_groups: int = 0
    duplicate_rows: int = 0
    seconds: float = 0.0
    per_file: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def reconciles(self) -> bool:
        return self.rows_read == (
            self.rows_written
            + self.rows_outside_cohort
            + self.rows_without_rinpersoon
            + self.duplicate_rows
        )


def _estimate_rows(path: Path) -> int:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    if suffix in (".sav", ".zsav", ".dta"):
        reader, kind = stat_reader(path)
        try:
            _, meta = reader(str(path), metadataonly=True, output_format="polars")
        except Exception as exc:  # see readers.unreadable_stat
            raise unreadable_stat(path, kind, exc) from None
        return int(meta.number_rows or 0)
    with path.open("rb") as fh:
        sample = fh.read(1 << 20)
    lines = max(1, sample.count(b"\n"))
    return int(path.stat().st_size / (len(sample) / lines)) if sample else 0


def _chunks(path: Path, chunk_rows: int, work: Path) -> Iterator[tuple[pl.DataFrame, str | None]]:
    """Chunks of raw rows and the text delimiter (None for binary formats)."""
    suffix = path.suffix.lower()
    if suffix in (".sav", ".zsav", ".dta"):
        import pyreadstat  # noqa: PLC0415

        reader, kind = stat_reader(path)
        try:
            for frame, _ in pyreadstat.read_file_in_chunks(
                reader, str(path), chunksize=chunk_rows, output_format="polars"
            ):
                yield frame, None
        except Exception as exc:  # see readers.unreadable_stat
            raise unreadable_stat(path, kind, exc) from None
        return
    if suffix == ".parquet":
        for frame in pl.scan_parquet(path).collect_batches(chunk_size=chunk_rows):
            yield frame, None
        return
    if suffix in TEXT_SUFFIXES:
        fmt = sniff_text(path)
        source = path
        if fmt.encoding == "cp1252":
            source = work / "utf8.csv"
            _transcode(path, source)
        scan = pl.scan_csv(source, separator=fmt.delimiter, infer_schema=False, quote_char='"')
        for frame in scan.collect_batches(chunk_size=chunk_rows):
            yield frame, fmt.delimiter
        return
    raise InputFileError.unsupported(path, "use .sav, .dta, .csv or .parquet")


_DTYPES = {
    "str": pl.String,
    "rin": pl.String,
    "float": pl.Float64,
    "int": pl.Int64,
    "date": pl.Date,
}


def _schema(contract: Contract, wanted: list[str]) -> dict[str, pl.DataType]:
    """One schema for every chunk, so row groups from different chunks and files line up."""
    schema: dict[str, pl.DataType] = {"pid": pl.Int64()}
    for name in wanted:
        schema[name] = _DTYPES.get(contract.col(name).kind, pl.String)()
    return schema


def _bucket(pid: pl.Expr, buckets: int) -> pl.Expr:
    """Person-range bucket: RINPERSOONS 'R' spread over the buckets by number, others at the ends."""
    r_base = ord("R") * 1_000_000_000
    share = ((pid - r_base) * buckets // 1_000_000_000).clip(0, buckets - 1)
    return (
        pl.when(pid < r_base)
        .then(0)
        .when(pid >= r_base + 1_000_000_000)
        .then(buckets - 1)
        .otherwise(share)
    )


def convert_files(
    inputs: list[Path],
    out: Path,
    *,
    contract: Contract = JOBS,
    columns: list[str] | None = None,
    cohort: Path | None = None,
    chunk_rows: int = 500_000,
    bucket_rows: int = 1_500_000,
    row_group_rows: int = 100_000,
    progress: Progress | None = None,
    aliases: Mapping[str, list[str]] | None = None,
) -> ConvertResult:
    """Convert ``inputs`` (appended in order) into ``out``, sorted by person.

    A job row that an earlier input already holds (same person, IKVID and period: overlapping
    yearly versions such as V1 and V2 of a year) is kept once and counted in ``duplicate_rows``.
    """
    started = time.perf_counter()
    _refuse_repeated(inputs)
    check_folder(out.parent)
    for path in inputs:
        _check_path(path)
        mark_input(path)
    keep_pids: pl.DataFrame | None = None
    if cohort is not None:
        from nbnb_cbs.io.readers import read_table  # noqa: PLC0415

        links = read_table(cohort, LINKED, aliases=aliases).frame
        keep_pids = (
            links.filter(pl.col("RINPERSOON").is_not_null()).select(pid=person_key()).unique()
        )
    wanted = [
        c.name for c in contract.columns if columns is None or c.name in columns or c.required
    ]
    expected = sum(_estimate_rows(p) for p in inputs)
    _log.info("about %s rows in %d file(s)", f"{expected:,}", len(inputs))
    buckets = max(1, math.ceil(expected / bucket_rows))
    schema = _schema(contract, wanted)
    result = ConvertResult(out)
    work = Path(
        tempfile.mkdtemp(prefix="nbnb-convert-", dir=out.parent if out.parent.exists() else None)
    )
    try:
        part = 0
        for number, path in enumerate(inputs):
            offset = 0
            for raw, delimiter in _chunks(path, chunk_rows, work):
                renames, clashes = _renames(raw.columns, path, contract, aliases or {}, wanted)
                frame = (
                    raw.drop(clashes)
                    .rename(renames)
                    .select([c for c in wanted if c in renames.values()])
                )
                table = Table(
                    frame,
                    path,
                    first_data_row=(2 if delimiter else 1) + offset,
                    delimiter=delimiter,
                )
                _parse(table, contract)
                for key, n in table.counts.items():
                    result.counts[key] = result.counts.get(key, 0) + n
                rows = table.frame.with_columns(
                    pid=person_key()
                ).select([pl.col(c).cast(t) if c in table.frame.columns or c == "pid" else pl.lit(None, t).alias(c)
                          for c, t in schema.items()])  # fmt: skip
                missing = int(rows["pid"].null_count())
                rows = rows.filter(pl.col("pid").is_not_null())
                before = rows.height
                if keep_pids is not None:
                    rows = rows.join(keep_pids, on="pid", how="semi")
                result.rows_read += raw.height
                result.rows_without_rinpersoon += missing
                result.rows_outside_cohort += before - rows.height
                result.per_file[path.name] = result.per_file.get(path.name, 0) + raw.height
                offset += raw.height
                for (bucket,), piece in rows.with_columns(
                    pl.lit(number, pl.Int32).alias(_FILE), _b=_bucket(pl.col("pid"), buckets)
                ).group_by("_b"):
                    target = work / f"b{int(bucket):05d}"
                    target.mkdir(exist_ok=True)
                    piece.drop("_b").write_parquet(target / f"p{part:07d}.parquet")
                    part += 1
                if progress is not None:
                    progress(path.name, result.rows_read, expected or None)
            _log.info("%s: %s rows read", path.name, f"{result.per_file.get(path.name, 0):,}")
        dedupe = len(inputs) > 1 and all(c in schema for c in _JOB_IDENTITY)
        result.rows_written, result.duplicate_rows, result.row_groups = _write_sorted(
            work, out, row_group_rows, schema, dedupe=dedupe
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _refuse_repeated(inputs: list[Path]) -> None:
    """The same file twice would double every row (and every hour and wage) silently."""
    seen: dict[Path, Path] = {}
    for path in inputs:
        key = path.resolve()
        if key in seen:
            raise InputFileError(
                f"{path}: given twice (also as {seen[key]}); give each input file once"
            )
        seen[key] = path


def _first_file_only(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Rows of a job (person, IKVID, period) that an earlier input file already holds are
    dropped; rows within one file are all kept (corrections share a period legitimately)."""
    identity = ["pid", *_JOB_IDENTITY]
    first = pl.col(_FILE).min().over(identity)
    return frame.filter(pl.col("IKVID").is_null() | (pl.col(_FILE) == first))


def _write_sorted(
    work: Path,
    out: Path,
    row_group_rows: int,
    schema: dict[str, pl.DataType],
    *,
    dedupe: bool = False,
) -> tuple[int, int, int]:
    """Sort each bucket into its own file, then stream the sorted buckets, in order, into one
    Parquet file. Only one bucket is ever in memory. Returns rows written, duplicate rows
    dropped and row groups."""
    order = [
        c
        for c in ("pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "IKVID", "AANVINSCHR")
        if c in schema
    ]
    sorted_files: list[Path] = []
    written = duplicates = 0
    for bucket in sorted(p for p in work.iterdir() if p.is_dir()):
        target = work / f"{bucket.name}.sorted.parquet"
        parts = pl.scan_parquet(sorted(bucket.glob("*.parquet")))
        before = int(parts.select(pl.len()).collect().item())
        kept = _first_file_only(parts) if dedupe else parts
        kept.sort(order, nulls_last=True, maintain_order=True).drop(_FILE).sink_parquet(
            target, row_group_size=row_group_rows
        )
        rows = int(pl.scan_parquet(target).select(pl.len()).collect().item())
        written += rows
        duplicates += before - rows
        sorted_files.append(target)
        for part in bucket.glob("*.parquet"):
            part.unlink()
    with atomic_path(out) as tmp:
        if sorted_files:
            pl.scan_parquet(sorted_files).sink_parquet(
                tmp, row_group_size=row_group_rows, statistics=True, maintain_order=True
            )
        else:
            pl.DataFrame(schema=schema).write_parquet(tmp)
    import pyarrow.parquet as pq  # noqa: PLC0415

    return written, duplicates, int(pq.ParquetFile(out).metadata.num_row_groups)
