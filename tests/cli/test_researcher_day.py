"""A researcher's working day through the real CLI: mismatched runs, paths, project files,
aliases and progress options. Each test is a finding from trying the tool as a new user."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbnb_cbs import synth
from tests.conftest import Cli


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("day")
    synth.write(synth.build(synth.SynthOptions(participants=150, seed=21)), folder, "csv")
    return folder


@pytest.fixture(scope="module")
def prepared(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two prepare runs into two folders, and CBS's linked file for the first one's keys."""
    from nbnb_cbs.linkage import match_files, prepare_files

    folder = tmp_path_factory.mktemp("prep")
    prepare_files(data / "registration.csv", folder / "first")
    prepare_files(data / "registration.csv", folder / "second")
    match_files(folder / "first" / "keys.csv", data / "register", folder / "linked.csv")
    return folder


def test_linked_file_of_another_prepare_run_is_an_error(
    cli: Cli, data: Path, prepared: Path, tmp_path: Path
) -> None:
    """No record_id of the linked file in the analysis file: exit 2 with the likely cause."""
    wrong = prepared / "second" / "analysis.parquet"
    code, _, err = cli("durability", "--analysis", wrong, "--linked", prepared / "linked.csv",
                       "--jobs", data / "jobs.csv", "--end", "2021-12", "--out", tmp_path / "w")  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "prepared in another folder" in err and "keys.csv you sent" in err
    assert not (tmp_path / "w").exists()
    code, _, err = cli("linkage", "yield", "--analysis", wrong, "--linked", prepared / "linked.csv",
                       "--out", tmp_path / "y")  # fmt: skip
    assert code == 2 and "prepared in another folder" in err
    right = prepared / "first" / "analysis.parquet"
    code, _, err = cli("linkage", "yield", "--analysis", right, "--linked", prepared / "linked.csv",
                       "--out", tmp_path / "y")  # fmt: skip
    assert code == 0, err
