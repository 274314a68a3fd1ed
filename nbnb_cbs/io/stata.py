"""Stata 14+ files (.dta releases 118 and 119) read straight from their fixed-width records.

A .dta file of these releases holds its rows as fixed-width records (text as NUL-padded UTF-8 of
a fixed width, numbers in the file's byte order), so a chunk of rows is one slice of a memory
map and each column one strided view of it: no row-by-row decoding. The values are those
polars-readstat gives (tested side by side): Stata's missing values (``.`` and ``.a``-``.z``,
and any bit pattern at or above them) are null, ``%td`` is a date and ``%tc`` a datetime in
milliseconds, text stops at its first NUL and invalid UTF-8 becomes U+FFFD. Anything else (long
strings, strL; other ``%t`` formats; older releases, whose text is in a code page) returns None
from ``layout`` or ``supports``, and the caller reads the file with polars-readstat or pyreadstat.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DtaLayout", "layout", "read_chunks"]

# Stata's storage types (variable_types) for numbers: numpy type and the first bit pattern,
# read as a signed integer of the same width, that is a missing value (. .a ... .z and above).
_NUMBERS = {
    65526: ("f8", "i8", 0x7FE0000000000000),
    65527: ("f4", "i4", 0x7F000000),
    65528: ("i4", "i4", 2147483621),
    65529: ("i2", "i2", 32741),
    65530: ("i1", "i1", 101),
}
_STRL = 32768
_DAYS_1960 = -3653  # 1960-01-01 in days since 1970-01-01
_MS_1960 = _DAYS_1960 * 86_400_000


@dataclass(frozen=True)
class DtaLayout:
    """Where a .dta file's records are and how each column is stored."""

    rows: int
    data_offset: int
    record: np.dtype
    types: dict[str, int]
    formats: dict[str, str]


def layout(path: Path) -> DtaLayout | None:
    """The record layout of a release 118 or 119 file in little-endian order (as Stata writes
    on every current machine); None for any other file, release or order."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
            match = re.match(rb"<stata_dta><header><release>(11[89])</release>", head)
            if not match:
                return None
            release = int(match.group(1))
            if _tag(head, b"byteorder", 3) != b"LSF":
                return None  # a big-endian file: polars-readstat reads it
            order = "<"
            k_bytes = "I" if release == 119 else "H"
            k = struct.unpack(order + k_bytes, _tag(head, b"K", struct.calcsize(k_bytes)))[0]
            n = struct.unpack(order + "Q", _tag(head, b"N", 8))[0]
            offsets = struct.unpack(order + "14Q", _tag(head, b"map", 112))
            fh.seek(offsets[2] + len(b"<variable_types>"))
            types = np.frombuffer(fh.read(2 * k), dtype=order + "u2").tolist()
            fh.seek(offsets[3] + len(b"<varnames>"))
            names = [_text(fh.read(129)) for _ in range(k)]
            fh.seek(offsets[5] + len(b"<formats>"))
            formats = [_text(fh.read(57)) for _ in range(k)]
            fh.seek(offsets[9])
            if fh.read(6) != b"<data>":
                return None
    except (OSError, struct.error, ValueError, UnicodeDecodeError):
        return None
    fields: list[tuple[str, str]] = []
    for name, kind in zip(names, types, strict=True):
        if kind <= 2045:
            fields.append((name, f"S{kind}" if kind else "V0"))
        elif kind == _STRL:
            fields.append((name, "V8"))
        elif kind in _NUMBERS:
            fields.append((name, order + _NUMBERS[kind][0]))
        else:
            return None
    record = np.dtype(fields)
    if len(set(names)) != len(names) or path.stat().st_size < offsets[9] + 6 + n * record.itemsize:
        return None  # a cut-off file: polars-readstat's error names it
    return DtaLayout(
        rows=int(n),
        data_offset=offsets[9] + 6,
        record=record,
        types=dict(zip(names, types, strict=True)),
        formats=dict(zip(names, formats, strict=True)),
    )


def _tag(head: bytes, name: bytes, size: int) -> bytes:
    start = head.index(b"<" + name + b">") + len(name) + 2
    return head[start : start + size]


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8")


def supports(dta: DtaLayout, columns: list[str]) -> bool:
    """Whether every column is one this reader gives polars-readstat's values for."""
    for name in columns:
        kind, fmt = dta.types.get(name), dta.formats.get(name, "")
        if kind is None or kind == _STRL or (kind in _NUMBERS and _time_format(fmt) == "other"):
            return False
    return True


def _time_format(fmt: str) -> str | None:
    """'date' (%td), 'datetime' (%tc), 'other' for other %t formats (%tC among them) and the
    old %d dates, None for a number."""
    fmt = fmt.lstrip("%-")
    if fmt.startswith("td"):
        return "date"
    if fmt.startswith("tc"):
        return "datetime"
    return "other" if fmt.startswith(("t", "d")) else None


def read_chunks(
    path: Path, dta: DtaLayout, columns: list[str], chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """The ``columns`` of every record, ``chunk_rows`` records at a time, in file order."""
    if not dta.rows:
        return
    data = np.memmap(path, dtype=dta.record, mode="r", offset=dta.data_offset, shape=(dta.rows,))
    for low in range(0, dta.rows, chunk_rows):
        part = data[low : low + chunk_rows]
        yield pl.DataFrame([_column(dta, name, part[name]) for name in columns])


def _column(dta: DtaLayout, name: str, values: np.ndarray) -> pl.Series:
    kind = dta.types[name]
    if kind <= 2045:
        return _strings(name, values)
    _, bits, missing = _NUMBERS[kind]
    native = np.ascontiguousarray(values).astype(values.dtype.newbyteorder("="), copy=False)
    pattern = native.view(np.dtype(bits).newbyteorder("="))
    series = pl.Series(name, native)
    is_missing = pattern >= missing
    if is_missing.any():
        series = series.set(pl.Series(is_missing), None)
    when = _time_format(dta.formats.get(name, ""))
    if when == "date":
        return (series.cast(pl.Int32) + _DAYS_1960).cast(pl.Date)
    if when == "datetime":
        return (series.cast(pl.Int64) + _MS_1960).cast(pl.Datetime("ms"))
    return series


def _strings(name: str, values: np.ndarray) -> pl.Series:
    rows, width = values.shape[0], values.dtype.itemsize
    if width == 0:
        return pl.Series(name, [""] * rows, dtype=pl.String)
    raw = np.ascontiguousarray(values).view(np.uint8)
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), rows, [None, pa.py_buffer(raw)])
    # Viewed as text without a check here: the check follows, once the padding is gone.
    text = pc.cast(fixed, pa.binary()).view(pa.string())
    if raw.size and raw.min() == 0:
        # Shorter values end at their first NUL (Stata pads with NULs; what follows one, if
        # anything, is not part of the value).
        text = pc.ascii_rtrim(text, "\0")
        if pc.any(pc.match_substring(text, "\0")).as_py():
            cut = [v.split(b"\0", 1)[0] for v in text.view(pa.binary()).to_pylist()]
            text = pa.array(cut, pa.binary()).view(pa.string())
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        # As polars-readstat: each invalid byte becomes U+FFFD, and the text is cut to the
        # field's width in bytes (whole characters).
        values_ = text.view(pa.binary()).to_pylist()
        fixed_ = [_replaced(v, width) for v in values_]
        text = pa.array(fixed_, pa.string())
    return pl.Series(name, pl.from_arrow(text), dtype=pl.String)


def _replaced(raw: bytes, width: int) -> str:
    return raw.decode("utf-8", errors="replace").encode()[:width].decode("utf-8", errors="ignore")
