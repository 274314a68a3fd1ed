"""One entry point for every input table: CSV/TXT, Parquet, SPSS ``.sav`` and Stata ``.dta``.

CSV exports from the Remote Access desktop are the hard case: ``;`` or ``,`` delimited, UTF-8 with
or without a BOM or Windows-1252, decimal commas. We sniff all of that, resolve column names
against a contract (case-insensitively, through aliases), and parse each declared column.
Problems come back as ``NbnbError`` naming the file, the row (as a line number in the file for
text files, a record number otherwise) and the column.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.dates import is_sentinel_expr, parse_date_expr
from nbnb_cbs.errors import ColumnError, InputFileError, ValueParseError
from nbnb_cbs.io.writers import mark_input
from nbnb_cbs.schemas import (
    Col,
    Contract,
    normalise_name,
    person_key,
    person_key_lookup,
    person_key_of,
)

RowsProgress = Callable[[str, int, int | None], None]
"""Told ``(what, rows read so far, expected total or None)`` while a file is read."""
_PROGRESS_ROWS = 1_000_000

__all__ = [
    "CONVERT_PID",
    "Table",
    "check_columns",
    "parse_later",
    "read_columns",
    "read_parquet_for",
    "read_table",
    "read_text_for",
    "scan_converted",
    "sniff_text",
]

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_SNIFF_BYTES = 1 << 16
_CHUNK = 1 << 24
_ASCII_PIECE = 1 << 20
_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "date": "a date (YYYYMMDD, YYYY-MM-DD or DD-MM-YYYY)",
    "rin": "a RINPERSOON (digits only)",
}


@dataclass
class Table:
    """A parsed input table and what the reader noticed on the way."""

    frame: pl.DataFrame
    path: Path
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    first_data_row: int = 2
    encoding: str = "utf-8"
    delimiter: str | None = None
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    # When the frame holds only some of the file's rows: each row's position among them all.
    positions: pl.Series | None = None

    def row_number(self, index: int) -> int:
        """The row as a user finds it: line in a text file, record number otherwise."""
        if self.positions is not None:
            index = int(self.positions[index])
        return index + self.first_data_row


@dataclass(frozen=True)
class TextFormat:
    encoding: str
    delimiter: str
    header: list[str]


def read_table(
    path: str | Path,
    contract: Contract | None = None,
    *,
    aliases: Mapping[str, list[str]] | None = None,
    parse: bool = True,
    columns: list[str] | None = None,
    protect: bool = True,
    labels: bool = False,
    rows: RowsProgress | None = None,
) -> Table:
    """Read ``path`` and resolve it against ``contract``.

    With ``parse=False`` every contract column becomes text (linkage needs the raw values to
    explain rejects); numbers that are whole read as their integer text (SPSS's 1.0 -> "1").
    With ``labels`` an SPSS/Stata column's value labels replace its codes (a registration's
    ``geslacht`` 1/2 labelled Man/Vrouw reads as Man/Vrouw; unlabelled codes stay codes).
    ``columns`` limits the contract columns that are read. With ``protect`` (the default) the
    file is registered as an input that no writer may overwrite. ``rows`` is told
    ``(file name, rows read so far, None)`` while a text file is read in batches.
    """
    path = Path(path)
    _check_path(path)
    if protect:
        mark_input(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".xlsm", ".ods"):
        raise InputFileError.unsupported(
            path,
            "spreadsheets are not read directly: save the sheet as CSV (;-separated) and use that",
        )
    if suffix in TEXT_SUFFIXES:
        table = _read_text(path, rows)
    elif suffix == ".parquet":
        table = _read_parquet(path)
    elif suffix in (".sav", ".zsav", ".dta"):
        table = _read_stat(path)
    else:
        raise InputFileError.unsupported(
            path, "use .csv, .txt, .parquet, .sav or .dta (rename the file if it is one of these)"
        )
    if contract is not None:
        if labels:
            _apply_labels(table)
        _resolve(table, contract, aliases or {}, columns)
        if parse:
            _parse(table, contract)
        else:
            present = [c for c in contract.names if c in table.frame.columns]
            table.frame = table.frame.with_columns(_as_text(table.frame.schema, c) for c in present)
    return table


def read_columns(path: str | Path) -> list[str]:
    """A file's column names, from its header or metadata only (fast on any size)."""
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return [h.replace("\ufeff", "").strip() for h in sniff_text(path).header]
    if suffix == ".parquet":
        try:
            return list(pl.read_parquet_schema(path))
        except Exception as exc:  # polars raises several types for a corrupt file
            raise _unreadable_parquet(path, exc) from None
    if suffix in (".sav", ".zsav", ".dta"):
        reader, kind = stat_reader(path)
        try:
            _, meta = reader(str(path), metadataonly=True, output_format="polars")
        except Exception as exc:  # see unreadable_stat
            raise unreadable_stat(path, kind, exc) from None
        return list(meta.column_names)
    # Other kinds get read_table's own message.
    return read_table(path, protect=False).frame.columns


def check_columns(
    path: str | Path, contract: Contract, aliases: Mapping[str, list[str]] | None = None
) -> None:
    """Raise the error ``read_table`` would raise for a missing or ambiguous column, from the
    header alone."""
    path = Path(path)
    _renames(read_columns(path), path, contract, aliases or {}, None)


def _apply_labels(table: Table) -> None:
    """Codes with a value label become the label; other values keep their (integer) text."""
    exprs = [
        _as_text(table.frame.schema, name).replace(mapping)
        for name, mapping in table.value_labels.items()
        if name in table.frame.columns and mapping
    ]
    if exprs:
        table.frame = table.frame.with_columns(exprs)


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise InputFileError.not_a_file(path)
    if not path.exists():
        raise InputFileError.missing(path)
    if path.stat().st_size == 0:
        raise InputFileError(
            f"{path}: the file is empty; export it again with a header row and data"
        )


# --- text files -----------------------------------------------------------------------------


def sniff_text(path: Path) -> TextFormat:
    """Encoding, delimiter and header of a text table, from the file itself."""
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        raise InputFileError.unsupported(
            path, "this is a spreadsheet or zip renamed to text: save the sheet as CSV and use that"
        )
    if b"\x00" in head:
        raise InputFileError(
            f"{path}: contains NUL bytes, so it is not a plain-text table; export it again as CSV"
        )
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else _detect_encoding(path)
    text = head.decode(encoding, errors="ignore")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if not first_line.strip():
        raise InputFileError(
            f"{path}: the first line is empty; the file must start with a header row"
        )
    counts = {d: _count_outside_quotes(first_line, d) for d in (";", ",", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ";"
    elif delimiter == "|":
        raise InputFileError(
            f"{path}: columns are separated by '|'; export the file with ';' or ',' as separator"
        )
    header = next(csv.reader([first_line], delimiter=delimiter))
    return TextFormat(encoding, delimiter, header)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def _detect_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else Windows-1252 (RA desktop exports)."""
    # Pieces of pure ASCII (most files, wholly) are valid UTF-8 and end on a character boundary:
    # they are checked without being decoded into text (20 MB: 0.006 s against 0.03-0.05 s).
    # From the first other piece on, the decoder reads everything.
    decoder = None
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_ASCII_PIECE):
                if decoder is None and chunk.isascii():
                    continue
                decoder = decoder or codecs.getincrementaldecoder("utf-8")()
                decoder.decode(chunk)
            if decoder is not None:
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


@contextlib.contextmanager
def _utf8(path: Path, fmt: TextFormat) -> Iterator[Path]:
    """The text file itself when it is UTF-8, else a UTF-8 copy that lives while in use."""
    if fmt.encoding != "cp1252":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="nbnb-") as tmp:
        utf8 = Path(tmp) / "utf8.csv"
        _transcode(path, utf8)
        yield utf8


def _text_notes(path: Path, fmt: TextFormat) -> list[str]:
    return [f"{path.name}: read as Windows-1252 (not UTF-8)"] if fmt.encoding == "cp1252" else []


def _no_rows(path: Path) -> InputFileError:
    return InputFileError(
        f"{path}: the file has a header but no data rows; export it again with its data"
    )


def _read_text(path: Path, rows: RowsProgress | None = None) -> Table:
    fmt = sniff_text(path)
    _check_header(path, fmt.header)
    with _utf8(path, fmt) as source:
        frame = _polars_csv(path, source, fmt.delimiter, rows)
    if frame.height == 0:
        raise _no_rows(path)
    names = [h.replace("\ufeff", "").strip() for h in fmt.header]
    if len(names) == frame.width:
        frame.columns = names
    return Table(
        frame, path, encoding=fmt.encoding, delimiter=fmt.delimiter, notes=_text_notes(path, fmt)
    )


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, str] = {}
    for raw in header:
        name = raw.replace("\ufeff", "").strip()
        if not name:
            continue
        key = normalise_name(name)
        if key in seen:
            raise ColumnError.duplicated(path, name, [seen[key], name])
        seen[key] = name


def _transcode(src: Path, dst: Path) -> None:
    decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(_CHUNK):
            fout.write(decoder.decode(chunk))
        fout.write(decoder.decode(b"", final=True))


_CSV_OPTIONS: dict[str, Any] = {
    "infer_schema": False,
    "quote_char": '"',
    "null_values": [""],
    "raise_if_empty": True,
    "truncate_ragged_lines": False,
}


def _csv_error(shown: Path, delimiter: str, exc: Exception) -> InputFileError:
    if isinstance(exc, pl.exceptions.NoDataError):
        return InputFileError(f"{shown}: the file has no data; export it again")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputFileError(
        f"{shown}: not a well-formed {delimiter!r}-separated table ({first}); "
        "check that every row has as many fields as the header and quotes are closed"
    )


def _batches(
    shown: Path, scan: pl.LazyFrame, delimiter: str, batch_rows: int
) -> Iterator[pl.DataFrame]:
    """The rows of a scanned text table (every value as text) in batches of ``batch_rows``."""
    try:
        yield from scan.collect_batches(chunk_size=batch_rows)
    except pl.exceptions.PolarsError as exc:
        raise _csv_error(shown, delimiter, exc) from None


def _polars_csv(
    shown: Path, source: Path, delimiter: str, rows: RowsProgress | None = None
) -> pl.DataFrame:
    try:
        if rows is not None:
            # The same parse in batches, so a caller can show rows read on a large file.
            parts: list[pl.DataFrame] = []
            read = 0
            scan = pl.scan_csv(source, separator=delimiter, **_CSV_OPTIONS)
            for part in _batches(shown, scan, delimiter, _PROGRESS_ROWS):
                parts.append(part)
                read += part.height
                rows(shown.name, read, None)
            if parts:
                return pl.concat(parts)
        return pl.read_csv(source, separator=delimiter, **_CSV_OPTIONS)
    except pl.exceptions.PolarsError as exc:
        raise _csv_error(shown, delimiter, exc) from None


# --- binary formats -------------------------------------------------------------------------


def _unreadable_parquet(path: Path, exc: Exception) -> InputFileError:
    return InputFileError(
        f"{path}: not a readable Parquet file ({type(exc).__name__}); write it again"
    )


def _read_parquet(path: Path) -> Table:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        raise _unreadable_parquet(path, exc) from None
    return Table(frame, path, first_data_row=1)


def stat_reader(path: Path) -> tuple[Any, str]:
    """pyreadstat's reader for an SPSS (.sav, .zsav) or Stata (.dta) file, and the kind's name."""
    import pyreadstat  # noqa: PLC0415  (slow import, needed only for SPSS/Stata)

    if path.suffix.lower() == ".dta":
        return pyreadstat.read_dta, "Stata"
    return pyreadstat.read_sav, "SPSS"


def unreadable_stat(path: Path, kind: str, exc: Exception) -> InputFileError:
    """pyreadstat raises its own ReadstatError and OSError variants; all mean the same to a user."""
    return InputFileError(
        f"{path}: not a readable {kind} file ({type(exc).__name__}: {str(exc)[:80]}); "
        f"export it again from {kind}"
    )


def _read_stat(path: Path) -> Table:
    reader, kind = stat_reader(path)
    try:
        frame, meta = reader(str(path), output_format="polars")
    except Exception as exc:  # see unreadable_stat
        raise unreadable_stat(path, kind, exc) from None
    labels = {
        name: {_code_text(code): str(label) for code, label in mapping.items()}
        for name, mapping in (getattr(meta, "variable_value_labels", None) or {}).items()
    }
    return Table(frame, path, first_data_row=1, value_labels=labels)


def _code_text(code: object) -> str:
    """A value label's code as the column's text reads it: 1.0 -> "1"."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code).strip()


# --- contracts ------------------------------------------------------------------------------


def _resolve(
    table: Table, contract: Contract, aliases: Mapping[str, list[str]], only: list[str] | None
) -> None:
    """Rename columns to canonical names; raise for missing or ambiguous ones."""
    renames, clashes = _renames(table.frame.columns, table.path, contract, aliases, only)
    frame = table.frame.drop(clashes) if clashes else table.frame
    table.frame = frame.rename(renames)


def _renames(
    columns: list[str],
    path: Path,
    contract: Contract,
    aliases: Mapping[str, list[str]],
    only: list[str] | None,
) -> tuple[dict[str, str], list[str]]:
    """Canonical names for ``columns`` and the columns that would clash with them."""
    present = {normalise_name(c): c for c in columns}
    renames: dict[str, str] = {}
    wanted = [c for c in contract.columns if only is None or c.name in only]
    for col in wanted:
        accepted = [*col.accepted(), *aliases.get(col.name, [])]
        hits = sorted({present[k] for k in map(normalise_name, accepted) if k in present})
        if len(hits) > 1:
            raise ColumnError.duplicated(path, col.name, hits)
        if hits:
            renames[hits[0]] = col.name
        elif col.required:
            raise ColumnError.missing(path, col.name, columns, accepted)
    resolved = set(renames.values())
    for group in contract.one_of:
        if not resolved.intersection(group):
            raise ColumnError(
                f"{path}: needs at least one of the columns {', '.join(group)}; "
                f"columns present: {', '.join(columns)}"
            )
    clashes = [c for c in columns if c in resolved and c not in renames]
    return renames, clashes


# Parquet key-value metadata convert writes: the contract whose columns the file holds, parsed.
CONVERTED = "nbnb_cbs.convert"
# ... and, after a cut to a cohort (convert --cohort), cohort_digest of the persons it kept rows of.
COHORT = "nbnb_cbs.cohort"


def cohort_digest(pids: pl.Series) -> str:
    """SHA-256 of a set of person keys (``schemas.person_key``; nulls left out), distinct and
    sorted, as 64-bit integers: two sets give the same digest only when they are the same."""
    keys = pids.drop_nulls().unique().cast(pl.Int64).sort().to_numpy()
    return "sha256:" + hashlib.sha256(keys.astype("<i8", copy=False).tobytes()).hexdigest()


_CONVERTED_DTYPES = {
    "str": pl.String, "rin": pl.String, "float": pl.Float64, "int": pl.Int64, "date": pl.Date
}  # fmt: skip


def converted_dtype(col: Col) -> pl.DataType:
    """The type ``convert`` writes a contract column as (what ``_parse`` makes of it)."""
    return _CONVERTED_DTYPES.get(col.kind, pl.String)()


def _already_parsed(path: Path, contract: Contract, schema: Mapping[str, Any]) -> bool:
    """A file convert wrote for this contract, with the contract's columns in their parsed
    types: its values were parsed (and checked) when it was written."""
    try:
        marked = pl.read_parquet_metadata(path).get(CONVERTED) == contract.name
    except Exception:  # an unreadable footer is reported by the read itself
        return False
    return marked and all(
        schema[c.name] == converted_dtype(c) for c in contract.columns if c.name in schema
    )


# The person key a file written by ``convert`` carries, kept beside the rows read from it (under
# a name no CBS or user file has) so that callers need not work it out from the text again.
CONVERT_PID = "__nbnb_pid__"


def read_text_for(
    path: str | Path,
    contract: Contract,
    persons: pl.DataFrame,
    aliases: Mapping[str, list[str]] | None = None,
    rows: RowsProgress | None = None,
    *,
    keep_pid: bool = False,
    later: Collection[str] = (),
) -> Table:
    """Only the rows of ``persons`` (a frame with ``pid``) from a large CSV/TXT file (``rows``:
    progress of the rows read, as ``read_table`` reports it; ``keep_pid``: each row's person
    key as ``CONVERT_PID``, as ``read_parquet_for`` gives it; ``later``: text columns left as
    read, for the caller to parse (``parse_later``) in the rows it needs them for).

    The text is read in batches of ``_PROGRESS_ROWS`` rows, of which only RINPERSOONS and
    RINPERSOON are parsed for every row (a malformed RINPERSOON still stops the run, wherever it
    is) and only the contract's other columns of the rows kept are held; those are parsed once
    all are read. Memory follows one batch and the rows kept, not the file (a whole jobs CSV of
    7,500,000 rows peaked at 3.3 GB read whole). ``counts['rows_in_file']`` says how many rows
    the file holds.
    """
    path = Path(path)
    _check_path(path)
    mark_input(path)
    fmt = sniff_text(path)
    _check_header(path, fmt.header)
    header = [h.replace("\ufeff", "").strip() for h in fmt.header]
    cohort = persons["pid"].unique().implode()
    person_parts: list[pl.DataFrame] = []
    rest_parts: list[pl.DataFrame] = []
    positions: list[pl.Series] = []
    person_notes: list[str] = []
    person_counts: dict[str, int] = {}
    total = 0
    with _utf8(path, fmt) as source:
        scan = pl.scan_csv(source, separator=fmt.delimiter, **_CSV_OPTIONS)
        try:
            found = scan.collect_schema().names()
        except pl.exceptions.PolarsError as exc:
            raise _csv_error(path, fmt.delimiter, exc) from None
        columns = header if len(found) == len(header) else found
        renames, clashes = _renames(columns, path, contract, aliases or {}, None)
        # Only the contract's columns are parsed out of the text (by their place in the file).
        wanted = [i for i, c in enumerate(columns) if c in renames and c not in clashes]
        scan = scan.select(pl.nth(wanted)).rename({found[i]: renames[columns[i]] for i in wanted})
        names = [renames[columns[i]] for i in wanted]
        names = [c for c in names if c in ("RINPERSOONS", "RINPERSOON")]
        for frame in _batches(path, scan, fmt.delimiter, _PROGRESS_ROWS):
            where = pl.int_range(total, total + frame.height, dtype=pl.Int64, eager=True)
            person = Table(
                frame.select(names), path, encoding=fmt.encoding, delimiter=fmt.delimiter,
                positions=where,
            )  # fmt: skip
            _parse(person, contract)
            pid = person.frame.select(person_key_of(person.frame))["pid"]
            keep = pid.is_in(cohort).fill_null(False)
            person_parts.append(person.frame.filter(keep).with_columns(pid.filter(keep)))
            rest_parts.append(frame.drop(names).filter(keep))
            positions.append(where.filter(keep))
            person_notes += person.notes
            for key, n in person.counts.items():
                person_counts[key] = person_counts.get(key, 0) + n
            total += frame.height
            if rows is not None:
                rows(path.name, total, None)
    if total == 0:
        raise _no_rows(path)
    rest = Table(
        pl.concat(rest_parts), path, encoding=fmt.encoding, delimiter=fmt.delimiter,
        positions=pl.concat(positions),
    )  # fmt: skip
    _parse(rest, contract, later)
    kept = pl.concat(person_parts)
    out = Table(
        pl.concat([kept.drop("pid"), rest.frame], how="horizontal"), path,
        notes=[*_text_notes(path, fmt), *person_notes, *rest.notes], encoding=fmt.encoding,
        delimiter=fmt.delimiter,
    )  # fmt: skip
    for counts in (person_counts, rest.counts):
        for key, n in counts.items():
            out.counts[key] = out.counts.get(key, 0) + n
    out.counts["rows_in_file"] = total
    if keep_pid:
        out.frame = out.frame.with_columns(kept["pid"].alias(CONVERT_PID))
    return out


def scan_converted(
    path: str | Path, contract: Contract, persons: pl.DataFrame
) -> tuple[pl.LazyFrame, int] | None:
    """A file ``convert`` wrote for ``contract``, as a lazy scan of the rows of ``persons``
    (a frame with ``pid``), with its person key as ``CONVERT_PID``; and the rows in the file.
    None for any other file (read it with ``read_parquet_for``).

    Nothing is read yet: each later query decodes only the columns it uses, and a query that
    also filters on dates decodes the other columns only where the filter holds. The values
    were parsed and checked when the file was converted. A file cut to exactly these persons
    (its ``COHORT`` digest is theirs) holds no one else: its rows are not looked up in them
    (on 11.9 M rows that lookup took 0.3-0.4 s of the durability command's 6.5 s of CPU time,
    in both of its scans of the file).
    """
    path = Path(path)
    _check_path(path)
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        raise _unreadable_parquet(path, exc) from None
    if "pid" not in schema or not _already_parsed(path, contract, schema):
        return None
    mark_input(path)
    keep = [c.name for c in contract.columns if c.name in schema]
    total = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    scan = pl.scan_parquet(path).select([*keep, pl.col("pid").alias(CONVERT_PID)])
    if pl.read_parquet_metadata(path).get(COHORT) != cohort_digest(persons["pid"]):
        scan = scan.filter(pl.col(CONVERT_PID).is_in(persons["pid"].unique().implode()))
    return scan, total


def read_parquet_for(
    path: str | Path,
    contract: Contract,
    persons: pl.DataFrame,
    aliases: Mapping[str, list[str]] | None = None,
    *,
    keep_pid: bool = False,
    skip: Collection[str] = (),
    period: tuple[str, str, dt.date, dt.date] | None = None,
) -> Table:
    """Only the rows of ``persons`` (a frame with a ``pid`` column) from a large Parquet file.

    The file is scanned, not loaded: only the contract's columns are read (less those named in
    ``skip``, never the person columns), the person cut is a predicate (so row groups whose
    statistics exclude every cohort person are skipped), and only the kept rows are parsed.
    ``period`` (start column, end column, first day, last day) keeps, of those, only rows that may
    overlap the days: text dates in the canonical form are compared as text while reading, other
    rows are kept (callers compare the parsed dates). ``counts['rows_in_file']`` says how many
    rows the file holds.
    """
    path = Path(path)
    _check_path(path)
    mark_input(path)
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several types for a corrupt file
        raise _unreadable_parquet(path, exc) from None
    renames, clashes = _renames(list(schema), path, contract, aliases or {}, None)
    persons_columns = ("RINPERSOONS", "RINPERSOON")
    keep = [
        c for c in schema
        if c in renames and c not in clashes and (renames[c] not in skip or renames[c] in persons_columns)
    ]  # fmt: skip
    total = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    # The person columns are decoded first and the others only in the rows the cut keeps
    # (measured on 2,500,000 raw job rows, 1,187,917 kept: 0.18 s against 0.26 s letting polars
    # choose how to decode).
    scan = pl.scan_parquet(path, parallel="prefiltered")
    scan = scan.select([*keep, *(["pid"] if "pid" in schema else [])]).rename(renames)
    converted = "pid" in schema and "pid" not in renames
    if converted:
        # Files written by ``convert`` carry an integer pid: cut on it (row-group statistics).
        key = pl.col("pid")
    elif "RINPERSOONS" in renames.values():
        key = person_key_lookup(scan.select(pl.col("RINPERSOONS").unique()).collect().to_series())
    else:
        key = person_key()
    # A predicate (not a join) is pushed into the Parquet reader: row groups whose pid range
    # misses every cohort person are skipped, and other columns are decoded only where it holds.
    # The key is kept as a column (worked out once), and the kept rows' values are parsed in the
    # same pass (one pass instead of three, and no copy of the columns into one chunk: measured
    # on 2,500,000 raw job rows, 1,187,917 kept: 0.32-0.38 s against 0.50-0.68 s).
    plan = None
    if not (converted and _already_parsed(path, contract, schema)):
        plan = _ParsePlan.of(scan.collect_schema(), contract)
    # (The key is worked out again for the kept rows: a filter on a column made before it is
    # not pushed into the reader, which then decodes every column of every row: 0.2 s more, and
    # 0.3 GB more memory, on the rows above.)
    if period is not None:
        # The dates alone decide first (a month's rows are a small part of a file); the person
        # key is then worked out only for the rows they keep.
        scan = scan.filter(_may_overlap(scan.collect_schema(), *period)).collect().lazy()
    kept = scan.filter(key.is_in(persons["pid"].unique().implode())).with_columns(key.alias(_KEY))
    frame = kept.with_columns(plan.passes if plan else []).collect()
    table = Table(frame, path, first_data_row=1)
    if plan is not None:
        plan.finish(table, frame)
    pid = frame.get_column(_KEY)
    table.frame = table.frame.lazy().drop(_KEY, *(["pid"] if "pid" in schema else [])).collect()
    if keep_pid and not converted and "RINPERSOON" in table.frame.columns:
        # ``person_key`` of the parsed RINPERSOONS and RINPERSOON: the parsed letters are the
        # ones read, stripped (the key takes their first character, stripped and in capitals);
        # a parsed RINPERSOON is the digits read, stripped and zero-filled (the same number),
        # or empty where the general parser refused the text (a sign, ten digits): then no key.
        pid = pl.select(pl.when(table.frame["RINPERSOON"].is_not_null()).then(pid)).to_series()
    if keep_pid and (converted or "RINPERSOON" in table.frame.columns):
        table.frame = table.frame.lazy().with_columns(pid.alias(CONVERT_PID)).collect()
    table.counts["rows_in_file"] = total
    return table


def _may_overlap(
    schema: Mapping[str, pl.DataType], start: str, end: str, first: dt.date, last: dt.date
) -> pl.Expr:
    """Rows whose period may overlap ``first`` .. ``last``: a date column, or a text date in the
    canonical form (eight ASCII digits, YYYYMMDD, which orders as text does), leaves out those
    outside; any other value (missing, another form, a sentinel) keeps its row."""

    def side(name: str, holds: Callable[[pl.Expr, Any], pl.Expr], day: dt.date) -> pl.Expr:
        dtype = schema.get(name)
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            value = pl.col(name) if dtype == pl.Date else pl.col(name).dt.date()
            return holds(value, day).fill_null(True)
        if dtype != pl.String:
            return pl.lit(True)
        text = pl.col(name)
        canonical = (text.str.len_bytes() == 8) & (text.cast(pl.UInt32, strict=False) >= 10_000_000)
        return (~canonical | holds(text, day.strftime("%Y%m%d"))).fill_null(True)

    return side(start, lambda v, d: v <= d, last) & side(end, lambda v, d: v >= d, first)


def parse_later(
    frame: pl.DataFrame, path: Path, contract: Contract, names: Collection[str]
) -> pl.DataFrame:
    """``frame`` with its columns ``names`` (text columns a reader left as read: ``later``)
    parsed as ``contract`` says, as the reader would have; other columns as they are."""
    table = Table(frame, path)
    _parse(table, Contract(contract.name, tuple(c for c in contract.columns if c.name in names)))
    return table.frame


def _parse(table: Table, contract: Contract, later: Collection[str] = ()) -> None:
    """Parse ``table``'s contract columns in place (errors and notes as ``_parse_column``).

    Columns named in ``later`` are left as read: only text columns may wait (their clean-up
    cannot fail, so no error or note is lost or reported at another row).

    The canonical forms of every column (``_fast_value``) and the text columns' clean-up are one
    pass over the frame, column by column in parallel; only the values outside those forms then
    go through the general parser, column by column in the contract's order (so the first bad
    value reported is the same as parsing each column in turn). Measured on 2,000,000 job rows
    read from .sav in chunks of 250,000: 0.36 s, against 0.42 s parsing column by column.
    """
    plan = _ParsePlan.of(table.frame.schema, contract, later)
    done = table.frame.lazy().with_columns(plan.passes).collect() if plan.passes else table.frame
    plan.finish(table, done)


@dataclass
class _ParsePlan:
    """How ``_parse`` parses the contract's columns of a frame or scan with a given schema: the
    columns present (the contract's order, less those left for later), one pass of expressions
    over the rows (canonical forms with a flag of the values outside them and their text as
    read, text clean-up, columns already of their type), and what the general parser does after
    it (``finish``). A scan can take the pass in while reading (``read_parquet_for``)."""

    present: list[Col]
    passes: list[pl.Expr]
    fast: list[str]  # columns with canonical forms (their flags and text as read in the pass)
    settled: set[str]  # columns the pass parses whole

    @classmethod
    def of(
        cls, schema: Mapping[str, pl.DataType], contract: Contract, later: Collection[str] = ()
    ) -> _ParsePlan:
        waiting = [c for c in contract.columns if c.name in later and c.name in schema]
        if any(c.kind != "str" for c in waiting):
            raise ValueError(f"only text columns can be parsed later: {[c.name for c in waiting]}")
        present = [c for c in contract.columns if c.name in schema and c not in waiting]
        plan = cls(present, [], [], set())
        for col in present:
            name, dtype = col.name, schema[col.name]
            value = _fast_value(schema, col)
            if col.kind == "str":
                plan.passes.append(_as_text(schema, name))
            elif value is not None:
                slow = pl.col(name).is_not_null() & value.is_null()
                plan.fast.append(name)
                plan.passes += [value.alias(name), slow.alias(_SLOW + name)]
                plan.passes.append(pl.col(name).alias(_RAW + name))
                continue
            elif col.kind == "date" and isinstance(dtype, pl.Datetime):
                plan.passes.append(pl.col(name).dt.date())
            elif col.kind in ("float", "int") and dtype.is_numeric():
                target = pl.Float64 if col.kind == "float" else pl.Int64
                plan.passes.append(pl.col(name).cast(target, strict=False))
            elif not (col.kind == "date" and dtype == pl.Date):
                continue
            plan.settled.add(name)
        return plan

    def finish(self, table: Table, done: pl.DataFrame) -> None:
        """``table.frame`` from ``done`` (its rows after the pass), the values outside the
        canonical forms and the other columns parsed by the general parser."""
        helpers = [p + name for name in self.fast for p in (_SLOW, _RAW)]
        # Lazily: columns a pass made are one chunk and the others as read (a Parquet file's row
        # groups), and an eager drop would first copy every column into one chunk (0.02-0.09 s
        # of 1,187,917 job rows).
        table.frame = done.lazy().drop(helpers).collect()
        for col in self.present:
            if col.name in self.settled:
                continue
            if col.name not in self.fast:
                _parse_column(table, col)
                continue
            rest = done[_SLOW + col.name].arg_true()
            if rest.len():
                text = done.get_column(_RAW + col.name).alias(col.name).to_frame()
                _general_rows(table, text, col, rest)


def _general_rows(table: Table, text: pl.DataFrame, col: Col, rest: pl.Series) -> None:
    """The general parser (``_parse_column``) for the rows ``rest`` of ``text`` (one column as
    read), its values put in their place in ``table.frame``."""
    sub = Table(
        text[rest],
        table.path,
        first_data_row=table.first_data_row,
        delimiter=table.delimiter,
        positions=rest if table.positions is None else table.positions.gather(rest),
    )
    _parse_column(sub, col)
    for key, n in sub.counts.items():
        table.counts[key] = table.counts.get(key, 0) + n
    table.notes.extend(sub.notes)
    value = table.frame[col.name].scatter(rest, sub.frame[col.name])
    table.frame = table.frame.lazy().with_columns(value).collect()  # lazily: see _parse


def _as_text(schema: Mapping[str, pl.DataType], name: str) -> pl.Expr:
    dtype = schema[name]
    expr = pl.col(name)
    if dtype.is_float():
        whole = expr.cast(pl.Int64, strict=False).cast(pl.String)
        expr = pl.when(expr == expr.round(0)).then(whole)
        expr = expr.otherwise(pl.col(name).cast(pl.String))
    elif dtype != pl.String:
        expr = expr.cast(pl.String)
    return expr.str.strip_chars().alias(name)


# Text that is already in the canonical form parses without the general (and far slower) path:
# exactly eight ASCII digits as a date, nine as a RINPERSOON, a number without a comma. Other values (sentinels, other
# date forms, other scripts' digits, spaces, invalid dates) take the general path, so the result
# is the same value for value; only the work differs. An unsigned integer cast accepts only
# ASCII digits and a leading '+'; a byte length of eight with a value of at least 10**7 leaves
# no room for the sign, and a RINPERSOON starting with '+' is sent to the general path.
_FAST_KINDS = ("date", "rin", "float")


_SLOW = "__nbnb_slow__"  # a column's flag of values outside its canonical form, while parsing
_RAW = "__nbnb_raw__"  # a column's text as read, while parsing
_KEY = "__nbnb_key__"  # the person key of a row, while cutting a file to the cohort


def _fast_value(schema: Mapping[str, pl.DataType], col: Col) -> pl.Expr | None:
    """The parsed value of a text date, RINPERSOON or number column where its text is in the
    canonical form, null elsewhere; None when the column is not such a column."""
    name = col.name
    if col.kind not in _FAST_KINDS or schema[name] != pl.String:
        return None
    text = pl.col(name)
    number = text.cast(pl.UInt32, strict=False)
    if col.kind == "date":
        canonical = (text.str.len_bytes() == 8) & (number >= 10_000_000)
        return pl.when(canonical).then(text.str.to_date("%Y%m%d", strict=False))
    if col.kind == "rin":
        canonical = (text.str.len_bytes() == 9) & number.is_not_null() & ~text.str.starts_with("+")
        return pl.when(canonical).then(text)
    # A number without a comma (or spaces): the general path casts this very text.
    return pl.when(~text.str.contains(",", literal=True)).then(text.cast(pl.Float64, strict=False))


def _parse_column(table: Table, col: Col) -> None:
    """The general parser of one column (any text form a CBS or project file uses)."""
    frame, name = table.frame, col.name
    dtype = frame.schema[name]
    raw = _as_text(frame.schema, name)
    if col.kind == "date":
        if dtype == pl.Date:
            return
        if isinstance(dtype, pl.Datetime):
            table.frame = frame.with_columns(pl.col(name).dt.date())
            return
        parsed = parse_date_expr(name)
        sentinel = is_sentinel_expr(name)
    elif col.kind == "rin":
        text = raw.str.replace(r"^\s+|\s+$", "")
        parsed = pl.when(text.str.contains(r"^\d{1,9}$")).then(text.str.zfill(9))
        parsed = parsed.otherwise(pl.lit(None, dtype=pl.String))
        sentinel = pl.lit(False)
    elif col.kind in ("float", "int"):
        target = pl.Float64 if col.kind == "float" else pl.Int64
        if dtype.is_numeric():
            table.frame = frame.with_columns(pl.col(name).cast(target, strict=False))
            return
        text = raw
        if table.delimiter == ";":
            # Decimal comma; a dot is then a thousands separator ("1.618,50"). Without a comma a
            # dot stays the decimal point, so "16.02" is never read as 1602.
            comma = text.str.contains(",")
            text = pl.when(comma).then(text.str.replace_all(".", "", literal=True)).otherwise(text)
            text = text.str.replace(",", ".", literal=True)
        parsed = text.cast(pl.Float64, strict=False)
        if col.kind == "int":
            parsed = pl.when(parsed == parsed.round(0)).then(parsed.cast(pl.Int64))
        sentinel = pl.lit(False)
    else:
        return
    probe = frame.select(
        raw.alias("raw"), parsed.alias("parsed"), sentinel.alias("sentinel")
    ).with_row_index("i")
    bad = probe.filter(
        pl.col("raw").is_not_null()
        & (pl.col("raw") != "")
        & pl.col("parsed").is_null()
        & ~pl.col("sentinel")
    )
    n_sentinel = int(probe["sentinel"].sum())
    if n_sentinel:
        table.counts[f"{name}:sentinel"] = n_sentinel
        table.notes.append(
            f"{table.path.name}: {n_sentinel} sentinel value(s) in {name} read as empty"
        )
    if bad.height:
        if col.on_bad == "raise":
            first = bad.row(0, named=True)
            raise ValueParseError.at(
                table.path,
                table.row_number(int(first["i"])),
                name,
                first["raw"],
                _EXPECTED[col.kind],
            )
        table.counts[f"{name}:unparseable"] = bad.height
        example = bad["raw"][0]
        table.notes.append(
            f"{table.path.name}: {bad.height} value(s) in {name} could not be read "
            f"(first at row {table.row_number(int(bad['i'][0]))}: {example!r}) and count as empty"
        )
    table.frame = frame.with_columns(parsed.alias(name))
