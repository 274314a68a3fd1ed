"""convert: every format gives the same sorted, typed Parquet; cohorts cut; nothing lost."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from nbnb_cbs import synth
from nbnb_cbs.io.convert import convert_files
from tests.conftest import Cli


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, synth.SynthData]:
    folder = tmp_path_factory.mktemp("convert")
    built = synth.build(synth.SynthOptions(participants=60, population=900, seed=8))
    for fmt in ("csv", "parquet", "sav"):
        synth.write(built, folder / fmt, fmt)  # type: ignore[arg-type]
    return folder, built


def test_formats_agree_sorted_and_reconciled(
    data: tuple[Path, synth.SynthData], tmp_path: Path
) -> None:
    folder, built = data
    frames = {}
    for fmt in ("csv", "parquet", "sav"):
        out = tmp_path / f"{fmt}.parquet"
        result = convert_files(
            [folder / fmt / f"jobs.{fmt}"],
            out,
            chunk_rows=5000,
            bucket_rows=8000,
            memory_bytes=0,
            row_group_rows=2000,
        )
        assert result.reconciles() and result.rows_read == built.jobs.height
        assert (
            result.counts["SDATUMEINDEIKO:sentinel"]
            == (built.jobs["SDATUMEINDEIKO"] == "99999999").sum()
        )
        frame = pl.read_parquet(out)
        assert frame["pid"].is_sorted()
        assert (
            frame.schema["SDATUMAANVANGIKO"] == pl.Date and frame.schema["RINPERSOON"] == pl.String
        )
        assert pq.ParquetFile(out).metadata.num_row_groups == result.row_groups > 1
        frames[fmt] = frame.sort("pid", "SDATUMAANVANGIKO", "IKVID", "SBASISLOON")
    assert frames["csv"].equals(frames["parquet"])
    assert frames["csv"].equals(frames["sav"])


def test_cohort_cut_and_append(data: tuple[Path, synth.SynthData], tmp_path: Path) -> None:
    folder, built = data
    cohort = (
        built.truth.select("RINPERSOON")
        .head(25)
        .with_columns(record_id=pl.lit("x"), RINPERSOONS=pl.lit("R"))
    )
    cohort.select("record_id", "RINPERSOONS", "RINPERSOON").write_csv(
        tmp_path / "linked.csv", separator=";"
    )
    paths = [folder / "csv" / "jobs.csv", folder / "parquet" / "jobs.parquet"]
    result = convert_files(
        paths, tmp_path / "cut.parquet", cohort=tmp_path / "linked.csv", chunk_rows=3000
    )
    assert result.reconciles() and result.rows_read == 2 * built.jobs.height
    cut = pl.read_parquet(tmp_path / "cut.parquet")
    assert set(cut["RINPERSOON"]) <= set(cohort["RINPERSOON"])
    expected = built.jobs.filter(pl.col("RINPERSOON").is_in(cohort["RINPERSOON"].implode())).height
    # The Parquet file holds the CSV's rows again: each job row is kept once, and counted.
    assert cut.height == expected and result.duplicate_rows == expected


def test_convert_cli(cli: Cli, data: tuple[Path, synth.SynthData], tmp_path: Path) -> None:
    folder, _ = data
    code, out, err = cli("convert", folder / "sav" / "jobs.sav", "--out", tmp_path / "jobs.parquet")
    assert code == 0, err
    assert "rows/s" in out and "True" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "RINPERSOONS;RINPERSOON;SDATUMAANVANGIKO;SDATUMEINDEIKO;SBASISUREN;SBASISLOON\nR;12X;20210101;20210131;1;1\n",
        encoding="utf-8",
    )
    code, _, err = cli("convert", bad, "--out", tmp_path / "bad.parquet")
    assert code == 2 and "row 2" in err and "RINPERSOON" in err
    assert not (tmp_path / "bad.parquet").exists()
    code, _, err = cli("convert", tmp_path / "missing.sav", "--out", tmp_path / "x.parquet")
    assert code == 2 and "not found" in err


@pytest.mark.parametrize("dates", [1, 2])
def test_sort_keys_order_rows_as_sorting_the_columns(dates: int) -> None:
    """convert sorts on packed integer keys (person, two dates in one); the order must be the
    columns' order with missing dates last and ties in input order, extreme dates included."""
    import numpy as np

    from nbnb_cbs.io.convert import _sorted

    rng = np.random.default_rng(dates)
    n = 5000
    frame = pl.DataFrame(
        {
            "pid": rng.integers(0, 40, n),
            "a": pl.Series(rng.integers(-719_528, 2_932_896, n), dtype=pl.Int32).cast(pl.Date),
            "b": pl.Series(rng.integers(-3, 3, n), dtype=pl.Int32).cast(pl.Date),
            "row": np.arange(n),
        }
    ).with_columns(
        a=pl.when(pl.col("row") % 7 == 0).then(None).otherwise(pl.col("a")),
        b=pl.when(pl.col("row") % 5 == 0).then(None).otherwise(pl.col("b")),
    )
    order = ["pid", "a", "b"][: 1 + dates]
    expected = frame.sort(order, nulls_last=True, maintain_order=True)
    assert _sorted(frame, order).equals(expected)
    # A date outside 0000..9999 does not fit the packed key: the columns are sorted instead.
    wide = frame.with_columns(pl.col("a").cast(pl.Int32).cast(pl.Int64) * 9)
    wide = wide.with_columns(pl.col("a").cast(pl.Int32).cast(pl.Date))
    assert _sorted(wide, order).equals(wide.sort(order, nulls_last=True, maintain_order=True))
