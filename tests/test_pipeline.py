"""The demo and run commands produce the internal results from one command."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.conftest import Cli


def test_demo_then_run(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("demo", "--out", tmp_path / "demo", "--seed", "3")
    assert code == 0, err
    assert "Durability of work, exit anchor" in out and "first-job anchor" in out
    for anchor in ("exit", "first-job"):
        cells = pl.read_csv(tmp_path / "demo" / "work" / anchor / "durability.csv", separator=";")
        assert set(cells["group"]) == {"exit_work", "worked_1m", "observed_12m"}
    assert not (tmp_path / "demo" / "work" / "export").exists()
    code, out, err = cli("run", tmp_path / "demo" / "project.toml")
    assert code == 0, err
    assert "Linkage yield" in out


def test_run_needs_inputs(cli: Cli, tmp_path: Path) -> None:
    project = tmp_path / "project.toml"
    project.write_text('[analysis]\nend = "2021-12"\n', encoding="utf-8")
    code, _, err = cli("run", project)
    assert code == 2 and "[inputs]" in err
