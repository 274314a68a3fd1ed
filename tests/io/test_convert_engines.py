"""convert reads SPSS/Stata through polars-readstat where that gives pyreadstat's values, and
through pyreadstat where it does not (text in an older Stata file's code page)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import polars_readstat
import pyreadstat
import pytest

from nbnb_cbs.errors import InputFileError, ValueParseError
from nbnb_cbs.io import stata
from nbnb_cbs.io.convert import convert_files, stat_engine
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.schemas import JOBS, person_key


def _jobs() -> pd.DataFrame:
    """Job rows with what CBS files carry: text and real dates, a sentinel, labelled codes,
    user-missing hours and text, non-ASCII text, a RINPERSOON without its leading zeros, and
    a row without RINPERSOON."""
    n = 40
    rng = np.random.default_rng(5)
    start = [dt.date(2020, 1 + i % 12, 1 + i % 27) for i in range(n)]
    return pd.DataFrame(
        {
            "RINPERSOONS": ["R"] * (n - 1) + ["r"],
            "RINPERSOON": [f"{100 + i % 9:09d}" for i in range(n - 3)] + ["105", " 000000106", ""],
            "IKVID": [float(1 + i % 4) for i in range(n)],
            "SDATUMAANVANGIKO": [d.strftime("%Y%m%d") for d in start],
            "SDATUMEINDEIKO": [d + dt.timedelta(days=int(k)) for d, k in zip(start, rng.integers(0, 300, n), strict=True)],
            "SBASISUREN": [99.0 if i % 7 == 0 else float(i) for i in range(n)],
            "SBASISLOON": np.round(rng.uniform(-50, 3000, n), 2),
            "SCONTRACTSOORT": ["O", "B", "N", "é€ü", "Ölçü", "ZZZ"] * 6 + ["O"] * 4,
            "SSOORTBAAN": [float(k) for k in rng.choice([1, 4, 5, 9], n)],
            "SPOLISDIENSTVERBAND": ["1", "2"] * (n // 2),
        }
    )  # fmt: skip


def _write(frame: pd.DataFrame, path: Path) -> Path:
    labels = {"SSOORTBAAN": {9.0: "overig", 5.0: "oproep", 4.0: "uitzend"}}
    if path.suffix == ".sav":
        pyreadstat.write_sav(
            frame, str(path), variable_value_labels=labels,
            missing_ranges={"SBASISUREN": [99.0], "SCONTRACTSOORT": ["ZZZ"]},
        )  # fmt: skip
    else:
        pyreadstat.write_dta(frame, str(path), variable_value_labels=labels)
    return path


def _expected(path: Path) -> pl.DataFrame:
    """What the pyreadstat-based reader (read_table) makes of the file, keyed and sorted; the
    contract's columns the file lacks are empty in convert's output."""
    frame = read_table(path, JOBS).frame.with_columns(person_key())
    kinds = {"str": pl.String, "float": pl.Float64}
    absent = [c for c in JOBS.columns if c.name not in frame.columns]
    frame = frame.with_columns(pl.lit(None, kinds[c.kind]).alias(c.name) for c in absent)
    order = ["pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "IKVID", "SBASISLOON"]
    return frame.filter(pl.col("pid").is_not_null()).sort(order)


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_polars_readstat_gives_pyreadstat_values(tmp_path: Path, suffix: str) -> None:
    path = _write(_jobs(), tmp_path / f"jobs{suffix}")
    assert stat_engine(path) == ("polars-readstat" if suffix == ".sav" else "Stata records")
    # The readers agree on the raw file: types, codes, user-missing as null, dates, text.
    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    raw, _ = reader(str(path), output_format="polars")
    assert polars_readstat.scan_readstat(str(path)).collect().equals(raw)
    if suffix == ".dta":
        dta = stata.layout(path)
        assert dta is not None
        records = pl.concat(list(stata.read_chunks(path, dta, raw.columns, 7)))
        assert records.equals(raw)
    result = convert_files([path], tmp_path / "out.parquet", chunk_rows=16, row_group_rows=10)
    out = pl.read_parquet(tmp_path / "out.parquet")
    expected = _expected(path)
    assert result.reconciles() and result.rows_without_rinpersoon == 1
    assert out["pid"].is_sorted()
    order = ["pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "IKVID", "SBASISLOON"]
    assert out.sort(order).equals(expected.select(out.columns))
    assert "é€ü" in out["SCONTRACTSOORT"].to_list() and "Ölçü" in out["SCONTRACTSOORT"].to_list()
    assert out.schema["SDATUMEINDEIKO"] == pl.Date
    if suffix == ".sav":  # user-missing values (declared in SPSS) read as empty
        assert out["SBASISUREN"].null_count() == 6 and "ZZZ" not in out["SCONTRACTSOORT"]
    # Leading zeros restored, the same person as the zero-padded rows.
    assert out.filter(pl.col("RINPERSOON") == "000000105").height == 5


def test_cp1252_stata_file_is_read_whole(tmp_path: Path) -> None:
    """A Stata 13 file (text in a code page): polars-readstat would cut 'é€ü' to 'é'; convert
    reads it through pyreadstat and keeps the whole value."""
    frame = _jobs()
    frame["SCONTRACTSOORT"] = ["XYZ"] + ["O"] * (len(frame) - 1)
    path = tmp_path / "old.dta"
    pyreadstat.write_dta(frame, str(path), version=13)
    data = path.read_bytes()
    assert data.count(b"XYZ") == 1
    path.write_bytes(data.replace(b"XYZ", "é€ü".encode("cp1252")))
    assert stat_engine(path) == "pyreadstat"
    convert_files([path], tmp_path / "out.parquet")
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert out.filter(pl.col("SCONTRACTSOORT") == "é€ü").height == 1
    sorted_out = out.sort("pid", "SDATUMAANVANGIKO", "SDATUMEINDEIKO", "IKVID", "SBASISLOON")
    assert sorted_out.equals(_expected(path).select(out.columns))


def test_errors_name_the_row_and_cohort_cut_reads_only_its_rows(tmp_path: Path) -> None:
    frame = _jobs()
    frame.loc[30, "RINPERSOON"] = "12X"
    path = _write(frame, tmp_path / "bad.sav")
    with pytest.raises(ValueParseError, match=r"row 31.*RINPERSOON"):
        convert_files([path], tmp_path / "out.parquet", chunk_rows=8)
    assert not (tmp_path / "out.parquet").exists()
    bad = tmp_path / "broken.sav"
    bad.write_bytes(b"not an SPSS file" * 10)
    with pytest.raises(InputFileError, match="not a readable SPSS file"):
        convert_files([bad], tmp_path / "out.parquet")
    # A cohort of two persons: only their rows are written, every other row is counted.
    good = _write(_jobs(), tmp_path / "good.sav")
    linked = tmp_path / "linked.csv"
    linked.write_text("record_id;RINPERSOONS;RINPERSOON\na;R;000000101\nb;R;102\n")
    result = convert_files([good], tmp_path / "cut.parquet", cohort=linked, chunk_rows=8)
    cut = pl.read_parquet(tmp_path / "cut.parquet")
    assert set(cut["RINPERSOON"]) == {"000000101", "000000102"}
    assert result.reconciles() and result.rows_outside_cohort == 39 - cut.height
    assert cut.sort(cut.columns).equals(
        _expected(good).filter(pl.col("RINPERSOON").is_in(["000000101", "000000102"]))
        .select(cut.columns).sort(cut.columns)
    )  # fmt: skip


def test_crowded_bucket_is_sorted_in_person_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Persons whose numbers cluster: spilled rows go to person ranges cut at the quantiles of
    the rows kept so far, a range that still gets too many rows is split in one more pass, and
    the file equals the one sorted in memory (ties in input order)."""
    from nbnb_cbs.io import convert
    from nbnb_cbs.io.convert import _cuts

    splits: list[int] = []

    def split(bucket: Path, count: int, limit: int) -> list[Path]:
        splits.append(count)
        return original(bucket, count, limit)

    original = convert._split
    monkeypatch.setattr(convert, "_split", split)

    rng = np.random.default_rng(9)
    n = 12_000
    frame = pl.DataFrame(
        {
            "RINPERSOONS": "R",
            "RINPERSOON": (100_000_000 + rng.integers(0, 900, n) * 7).astype(str),
            "SDATUMAANVANGIKO": "20210101",
            "SDATUMEINDEIKO": rng.choice(["20210131", "20210215", "99999999"], n),
            "SBASISUREN": rng.integers(0, 100, n).astype(float),
            "SBASISLOON": rng.integers(0, 900, n).astype(float),
        }
    )
    pids = frame["RINPERSOON"].cast(pl.Int64)
    cuts = _cuts(pids, 6)
    sizes = cuts.search_sorted(pids, side="right").value_counts()["count"]
    assert cuts.len() == 5 and sizes.min() > n / 6 - 100 and sizes.max() < n / 6 + 100
    # Sorted input (the worst case for cuts taken from the first rows): one range gets nearly
    # every row and is split again.
    # Sorted by person in two files (one sorted file would be written in runs, see below).
    ordered = frame.sort("RINPERSOON")
    ordered.head(n // 2).write_parquet(tmp_path / "ordered-1.parquet")
    ordered.slice(n // 2).write_parquet(tmp_path / "ordered-2.parquet")
    frame.write_parquet(tmp_path / "jobs-1.parquet")
    for name in ("jobs", "ordered"):
        sources = sorted(tmp_path.glob(f"{name}-*.parquet"))
        in_memory = convert_files(sources, tmp_path / "b.parquet")
        spilled = convert_files(sources, tmp_path / "a.parquet",
                                chunk_rows=1000, bucket_rows=2000, memory_bytes=0)  # fmt: skip
        a, b = pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")
        assert spilled.rows_written == in_memory.rows_written == n and spilled.reconciles()
        assert a["pid"].is_sorted() and a.equals(b)
        # Sorted input is the worst case for ranges cut at the first rows' quantiles: the last
        # range gets nearly every row and is split once more.
        assert (max(splits, default=0) > n / 2) == (name == "ordered")
        splits.clear()


def test_input_in_person_order_is_written_in_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file sorted by person (as CBS delivers them) is written run after run, each chunk
    sorted on its own and its last person carried into the next; when the order breaks after
    runs were written, they go to person ranges with the rest. Every way gives the file the
    in-memory sort gives (ties in input order)."""
    from nbnb_cbs.io import convert

    rng = np.random.default_rng(4)
    n = 9_000
    frame = pl.DataFrame(
        {
            "RINPERSOONS": "R",
            "RINPERSOON": (100_000_000 + np.sort(rng.integers(0, 700, n))).astype(str),
            "SDATUMAANVANGIKO": rng.choice(["20210101", "20210301", "20200701"], n),
            "SDATUMEINDEIKO": rng.choice(["20210131", "20210215", "99999999"], n),
            "SBASISUREN": rng.integers(0, 100, n).astype(float),
            "SBASISLOON": np.arange(n).astype(float),  # tells tied rows apart
        }
    )
    tail = frame.slice(6_000).sample(fraction=1.0, shuffle=True, seed=2)
    runs: list[int] = []
    original = convert._Runs.add

    def add(self: convert._Runs, rows: pl.DataFrame) -> None:
        runs.append(rows.height)
        original(self, rows)

    monkeypatch.setattr(convert._Runs, "add", add)
    for name, rows in (("ordered", frame), ("broken", pl.concat([frame.head(6_000), tail]))):
        source = tmp_path / f"{name}.parquet"
        rows.write_parquet(source)
        expected = convert_files([source], tmp_path / "memory.parquet")
        b = pl.read_parquet(tmp_path / "memory.parquet")
        runs.clear()
        result = convert_files([source], tmp_path / "a.parquet", chunk_rows=1000,
                               bucket_rows=2000, memory_bytes=0)  # fmt: skip
        a = pl.read_parquet(tmp_path / "a.parquet")
        assert result.reconciles() and result.rows_written == expected.rows_written == n
        assert len(runs) >= 6 and a["pid"].is_sorted() and a.equals(b), name
