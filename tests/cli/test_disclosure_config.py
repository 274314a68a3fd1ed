"""``disclosure apply --config`` and ``disclosure check --config``: the project's aliases,
profile, rounding and export folder reach the command."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tests.conftest import Cli


def _project(tmp_path: Path, body: str) -> Path:
    project = tmp_path / "project.toml"
    project.write_text(body, encoding="utf-8")
    return project


def test_apply_reads_aliased_count_and_rounding_from_config(cli: Cli, tmp_path: Path) -> None:
    """A table whose count column is 'Aantal' is refused alone, and read through [columns]
    n = ["aantal"]; [disclosure] rounding = 5 rounds the published counts."""
    source = tmp_path / "t.csv"
    source.write_text("regio;Aantal\nnoord;23\nzuid;41\n", encoding="utf-8")
    code, _, err = cli("disclosure", "apply", source, "--out", tmp_path / "a.csv")
    assert code == 2 and "'n'" in err
    project = _project(tmp_path, '[columns]\nn = ["aantal"]\n[disclosure]\nrounding = 5\n')
    code, _, err = cli(
        "disclosure", "apply", source, "--out", tmp_path / "b.csv", "--config", project
    )
    assert code == 0, err
    out = pl.read_csv(tmp_path / "b.csv", separator=";")
    assert out["n"].to_list() == [25, 40] and "Aantal" not in out.columns
    log = json.loads((tmp_path / "b.log.json").read_text(encoding="utf-8"))["tables"][0]
    assert log["renamed"] == {"Aantal": "n"} and log["rounding"] == 5
    # A flag given on the command line wins over the project file.
    code, _, err = cli("disclosure", "apply", source, "--out", tmp_path / "c.csv",
                       "--config", project, "--rounding", "0")  # fmt: skip
    assert code == 0, err
    assert pl.read_csv(tmp_path / "c.csv", separator=";")["n"].to_list() == [23, 41]


def test_apply_config_profile_reaches_the_rules(cli: Cli, tmp_path: Path) -> None:
    """[disclosure] profile = "acro" is the profile the log names."""
    source = tmp_path / "t.csv"
    source.write_text("regio;n\nnoord;23\nzuid;41\n", encoding="utf-8")
    project = _project(tmp_path, '[disclosure]\nprofile = "acro"\n')
    code, _, err = cli(
        "disclosure", "apply", source, "--out", tmp_path / "b.csv", "--config", project
    )
    assert code == 0, err
    log = json.loads((tmp_path / "b.log.json").read_text(encoding="utf-8"))
    assert log["profile"]["name"] == "acro"


def test_check_takes_the_export_folder_from_config(cli: Cli, tmp_path: Path) -> None:
    """Without EXPORT_DIR, check looks at the project's [output] export folder (here: a folder
    that is no export, exit 2 naming it); without either it says what to give."""
    (tmp_path / "out" / "exp").mkdir(parents=True)
    project = _project(tmp_path, '[output]\nexport = "out/exp"\n')
    code, _, err = cli("disclosure", "check", "--config", project)
    assert code == 2 and "exp" in err and "manifest.json" in err
    code, _, err = cli("disclosure", "check")
    assert code == 2 and "--config" in err
