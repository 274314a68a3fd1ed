"""Writers are atomic: a failure leaves the old file, or none, and no temporary files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.errors import InputFileError
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.io.writers import atomic_path, write_csv, write_json, write_parquet, write_xlsx


def test_failure_inside_block_leaves_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_killed_process_leaves_no_partial_file(tmp_path: Path) -> None:
    """A process that dies between writing and renaming leaves no file under the final name."""
    target = tmp_path / "table.csv"
    code = (
        "import polars as pl, sys; from nbnb_cbs.io.writers import write_csv;"
        f"write_csv(pl.DataFrame({{'a': [1]}}), {str(target)!r})"
    )
    env = {**os.environ, "NBNB_FAULT_AFTER_TEMP": "table.csv"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    assert proc.returncode == 70
    assert not target.exists()
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == 0 and target.exists()


def test_round_trips(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": [1, 2], "b": ["x", "é"]})
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()[0] == "a;b"
    write_parquet(frame, tmp_path / "t.parquet")
    assert pl.read_parquet(tmp_path / "t.parquet").equals(frame)
    write_json({"k": "é"}, tmp_path / "t.json")
    assert '"é"' in (tmp_path / "t.json").read_text(encoding="utf-8")
    write_xlsx({"first": frame, "second": frame}, tmp_path / "t.xlsx")
    assert (tmp_path / "t.xlsx").read_bytes()[:2] == b"PK"


def test_inputs_are_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "linked.csv"
    source.write_text("record_id;RINPERSOONS;RINPERSOON\na;R;1\n", encoding="utf-8")
    read_table(source)
    with pytest.raises(InputFileError, match="will not be overwritten"):
        write_csv(pl.DataFrame({"a": [1]}), source)
