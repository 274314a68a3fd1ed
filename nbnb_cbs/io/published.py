"""The export's table CSVs: written the way the researcher's spreadsheet reads them, read back in
one place by everything that checks or renders them.

Two formats, chosen by ``[output] csv_format`` (default: the report's language):

- ``nl``: ``;``-separated with a decimal comma (``0,77``), what Dutch Excel opens as numbers;
- ``en``: ``,``-separated with a decimal point (``0.77``).

Numbers are written at their published precision: counts and ``n`` as whole numbers, every
other value as the shortest text of the rounded number the release published (pooled values to
one decimal). The manifest records the format (``"csv": {"separator": ";", "decimal": ","}``);
an export without that record is the earlier format (``;`` with a decimal point).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from nbnb_cbs.cells import STATUS, TOTAL, VALUE, N
from nbnb_cbs.io.writers import write_csv

__all__ = [
    "CSV_FORMATS",
    "FRACTION_COLUMNS",
    "NUMBER_COLUMNS",
    "csv_format",
    "number_text",
    "published_text",
    "read_published_text",
    "write_published",
]

CSV_FORMATS: Final[dict[str, dict[str, str]]] = {
    "nl": {"separator": ";", "decimal": ","},
    "en": {"separator": ",", "decimal": "."},
}
_LEGACY: Final = {"separator": ";", "decimal": "."}
NUMBER_COLUMNS: Final = (VALUE, N, TOTAL)
# A survival table's estimate and limits: fractions, written with the format's decimal mark too
# (a Dutch spreadsheet reads "0.9" as text or a date).
FRACTION_COLUMNS: Final = ("survival", "lower", "upper")


def csv_format(manifest: Mapping[str, Any]) -> dict[str, str]:
    """The export's CSV format as its manifest records it (the earlier format when absent or
    not one nbnb-cbs writes)."""
    recorded = manifest.get("csv")
    if isinstance(recorded, Mapping):
        for known in CSV_FORMATS.values():
            if dict(recorded) == known:
                return dict(known)
    return dict(_LEGACY)


def number_text(value: float | None, decimals: int | None) -> str | None:
    """A published number's text: rounded to ``decimals`` (None: as it is), a whole number
    without decimals, any other at its shortest."""
    if value is None:
        return None
    number = round(value, decimals) if decimals is not None else value
    if number == int(number) and abs(number) < 2**53:
        return str(int(number))
    return repr(float(number))


def published_text(frame: pl.DataFrame, decimal: str) -> pl.DataFrame:
    """The published table with its number columns as text at their published precision, with
    the format's decimal mark."""
    pooled = (
        frame[STATUS].cast(pl.String).to_list()
        if STATUS in frame.columns
        else [None] * frame.height
    )
    out = frame
    for column in NUMBER_COLUMNS:
        if column not in frame.columns or frame.schema[column] == pl.String:
            continue
        values = frame[column].cast(pl.Float64).to_list()
        decimals = [0 if column == N else (1 if status == "pooled" else None) for status in pooled]
        texts = [number_text(v, d) for v, d in zip(values, decimals, strict=True)]
        if decimal != ".":
            texts = [None if t is None else t.replace(".", decimal) for t in texts]
        out = out.with_columns(pl.Series(column, texts, dtype=pl.String))
    for column in FRACTION_COLUMNS:
        if column not in frame.columns or not frame.schema[column].is_float():
            continue
        texts = [number_text(v, None) for v in frame[column].to_list()]
        if decimal != ".":
            texts = [None if t is None else t.replace(".", decimal) for t in texts]
        out = out.with_columns(pl.Series(column, texts, dtype=pl.String))
    return out


def write_published(frame: pl.DataFrame, path: Path, fmt: Mapping[str, str]) -> Path:
    """Write a published table in the export's CSV format (UTF-8, no BOM, atomic)."""
    return write_csv(published_text(frame, fmt["decimal"]), path, separator=fmt["separator"])


def read_published_text(path: Path, fmt: Mapping[str, str]) -> pl.DataFrame:
    """A published table as text, as the checks read it: every cell as written, except that in
    the number columns the format's decimal mark and a point trade places, so a number written
    as the format says reads with a point, and one written with the other mark reads with it
    (and is reported as malformed by the checks)."""
    frame = pl.read_csv(path, separator=fmt["separator"], infer_schema=False, raise_if_empty=False)
    if fmt["decimal"] == ".":
        return frame
    swap = [c for c in (*NUMBER_COLUMNS, *FRACTION_COLUMNS) if c in frame.columns]
    return frame.with_columns(
        pl.col(c)
        .str.replace_all(".", "\x00", literal=True)
        .str.replace_all(fmt["decimal"], ".", literal=True)
        .str.replace_all("\x00", fmt["decimal"], literal=True)
        for c in swap
    )
