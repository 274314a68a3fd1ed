"""Stata 14+ files read from their fixed-width records (nbnb_cbs.io.stata) give polars-readstat's
values, column for column and type for type, including what a file may hold at the edges:
missing values of every storage type, NaN and infinities, dates and datetimes, empty text,
text after a NUL, invalid UTF-8; and files it does not read (long strings, other %t formats,
older releases) go to polars-readstat or pyreadstat."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import polars_readstat
import pyreadstat
import pytest

from nbnb_cbs.errors import InputFileError
from nbnb_cbs.io import stata
from nbnb_cbs.io.convert import convert_files, stat_engine


def _typed(path: Path) -> Path:
    n = 40
    frame = pl.DataFrame(
        {
            "i8": pl.Series([1, -5, None, 100, 7] * 8, dtype=pl.Int8),
            "i16": pl.Series([1, -300, None, 32000, 7] * 8, dtype=pl.Int16),
            "i32": pl.Series([1, -70000, None, 2_000_000_000, 7] * 8, dtype=pl.Int32),
            "f32": pl.Series([1.5, -2.25, None, 3e30, 7.0] * 8, dtype=pl.Float32),
            "f64": pl.Series([1.5, -2.25, None, 3e300, 7.0] * 8, dtype=pl.Float64),
            "d": [
                dt.date(2020, 1, 1),
                None,
                dt.date(1959, 12, 31),
                dt.date(2099, 12, 31),
                dt.date(1900, 1, 1),
            ]
            * 8,
            "ts": [
                dt.datetime(2020, 1, 1, 12, 30),
                None,
                dt.datetime(1959, 12, 31, 23, 59, 59),
                dt.datetime(2000, 1, 1),
                dt.datetime(1970, 1, 1),
            ]
            * 8,
            "s": ["", "a", None, "é€ü" * 5, "x"] * 8,
            "code": [f"{i:09d}" for i in range(n)],
        }
    )
    polars_readstat.write_readstat(frame, str(path))
    return path


def _patched(path: Path, target: Path, edits: dict[tuple[int, str], bytes]) -> Path:
    """``path`` with the bytes of some fields replaced: {(row, column): bytes}."""
    dta = stata.layout(path)
    assert dta is not None
    data = bytearray(path.read_bytes())
    for (row, column), raw in edits.items():
        at = dta.data_offset + row * dta.record.itemsize + dta.record.fields[column][1]
        data[at : at + len(raw)] = raw
    target.write_bytes(bytes(data))
    return target


def _same_as_readstat(path: Path, chunk_rows: int = 7) -> pl.DataFrame:
    dta = stata.layout(path)
    assert dta is not None and stata.supports(dta, list(dta.types))
    records = pl.concat(list(stata.read_chunks(path, dta, list(dta.types), chunk_rows)))
    expected = polars_readstat.scan_readstat(str(path)).collect()
    assert records.schema == expected.schema
    assert records.equals(expected), (records, expected)
    return records


def test_every_storage_type_as_polars_readstat_reads_it(tmp_path: Path) -> None:
    records = _same_as_readstat(_typed(tmp_path / "typed.dta"))
    assert records.schema["d"] == pl.Date and records.schema["ts"] == pl.Datetime("ms")
    assert records["i8"].null_count() == 8 and records["s"].to_list()[:4] == [
        "",
        "a",
        "",
        "é€ü" * 5,
    ]


def test_edge_values_as_polars_readstat_reads_them(tmp_path: Path) -> None:
    """Missing codes .a and above, -128 in a byte, NaN and infinities (a float's NaN and +inf
    are at or above its missing codes: null; a double's -inf is a value), text that goes on
    after a NUL (cut there) and invalid UTF-8 (U+FFFD per byte, as polars-readstat)."""
    path = _typed(tmp_path / "typed.dta")
    edits = {
        (0, "i8"): b"\x80", (1, "i8"): bytes([101]), (2, "i8"): bytes([127]),
        (0, "i16"): struct.pack("<h", 32741), (1, "i32"): struct.pack("<i", 2147483621),
        (0, "f32"): struct.pack("<f", float("nan")), (1, "f32"): struct.pack("<f", float("inf")),
        (0, "f64"): struct.pack("<d", float("nan")), (1, "f64"): struct.pack("<d", float("-inf")),
        (3, "ts"): struct.pack("<d", float("nan")),
        (0, "code"): b"12\x003", (1, "s"): b"\xff\xfe\x00", (4, "code"): b"\xe9abc",
    }  # fmt: skip
    records = _same_as_readstat(_patched(path, tmp_path / "edges.dta", edits))
    assert records["i8"][0] == -128 and records["i8"][1] is None and records["code"][0] == "12"
    assert records["f64"][1] == float("-inf") and records["f32"][0] is None
    assert records["s"][1] == "\ufffd\ufffd"


def test_a_large_file_in_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 30_000
    frame = pl.DataFrame(
        {
            "RINPERSOON": [f"{v:09d}" for v in rng.integers(0, 10**9, n)],
            "IKVID": [str(v) for v in rng.integers(0, 10**6, n)],
            "SBASISLOON": np.round(rng.uniform(0, 4000, n), 2),
            "SDATUM": [
                dt.date(2019, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 1500, n)
            ],
        }
    )
    path = tmp_path / "big.dta"
    polars_readstat.write_readstat(frame, str(path))
    _same_as_readstat(path, chunk_rows=4_096)


def test_files_it_does_not_read_go_to_readstat(tmp_path: Path) -> None:
    """A long string (strL), a %tm format or a Stata 13 file: convert reads them as before."""
    long_text = pd.DataFrame({"RINPERSOON": ["000000101", "000000102"], "note": ["x" * 3000, "y"]})
    strl = tmp_path / "strl.dta"
    pyreadstat.write_dta(long_text, str(strl))
    dta = stata.layout(strl)
    assert dta is not None and not stata.supports(dta, ["note"]) and stata.supports(dta, ["RINPERSOON"])  # fmt: skip
    typed = _typed(tmp_path / "typed.dta")
    monthly = tmp_path / "monthly.dta"
    monthly.write_bytes(typed.read_bytes().replace(b"%td\x00", b"%tm\x00", 1))
    dta = stata.layout(monthly)
    assert dta is not None and not stata.supports(dta, ["d"])
    old = tmp_path / "old.dta"
    pyreadstat.write_dta(long_text.head(1).assign(note="z"), str(old), version=13)
    assert stata.layout(old) is None and stat_engine(old) == "pyreadstat"
    cut = tmp_path / "cut.dta"
    cut.write_bytes(typed.read_bytes()[:-200])
    assert stata.layout(cut) is None
    with pytest.raises(InputFileError, match="not a readable Stata file"):
        convert_files([cut], tmp_path / "out.parquet")


@pytest.mark.parametrize("chunk_rows", [3, 1000])
def test_convert_through_records_equals_convert_through_polars_readstat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    """The whole convert (parsing, checks, sorting) from the records and from polars-readstat:
    the same Parquet file, row for row."""
    rng = np.random.default_rng(9)
    n = 500
    start = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, n)]
    frame = pd.DataFrame(
        {
            "RINPERSOONS": ["R"] * n,
            "RINPERSOON": [f"{v:09d}" for v in rng.integers(100, 160, n)],
            "IKVID": [str(v) for v in rng.integers(1, 5, n)],
            "SDATUMAANVANGIKO": [d.strftime("%Y%m%d") for d in start],
            "SDATUMEINDEIKO": [
                d + dt.timedelta(days=int(k))
                for d, k in zip(start, rng.integers(0, 300, n), strict=True)
            ],
            "SBASISUREN": rng.choice([0.0, 12.0, 38.0, np.nan], n),
            "SBASISLOON": np.round(rng.uniform(0, 3000, n), 2),
            "SCONTRACTSOORT": rng.choice(["O", "B", "N", "é€ü", ""], n),
        }
    )
    path = tmp_path / "jobs.dta"
    pyreadstat.write_dta(frame, str(path))
    assert stat_engine(path) == "Stata records"
    convert_files([path], tmp_path / "records.parquet", chunk_rows=chunk_rows)
    from nbnb_cbs.io import convert

    monkeypatch.setattr(convert.stata, "layout", lambda _: None)
    assert stat_engine(path) == "polars-readstat"
    convert_files([path], tmp_path / "readstat.parquet", chunk_rows=chunk_rows)
    records = pl.read_parquet(tmp_path / "records.parquet")
    assert records.height == n and records.equals(pl.read_parquet(tmp_path / "readstat.parquet"))
