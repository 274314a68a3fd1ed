"""A researcher's working day through the real CLI: mismatched runs, paths, project files,
aliases and progress options. Each test is a finding from trying the tool as a new user."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
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


def _project(folder: Path, data: Path, extra: str = "", inputs: str = "") -> Path:
    """A project folder with the data copied in and a project.toml using relative paths."""
    if not (folder / "data").exists():
        shutil.copytree(data, folder / "data")
    project = folder / "project.toml"
    project.write_text(
        "[inputs]\n"
        + (
            inputs
            or 'registration = "data/registration.csv"\nregister = "data/register"\n'
            'jobs = "data/jobs.csv"\n'
        )
        + '[analysis]\nend = "2021-12"\nanchors = ["exit"]\n'
        + extra,
        encoding="utf-8",
    )
    return project


@pytest.mark.parametrize(
    "command",
    [
        ["linkage", "prepare", "{data}/registration.csv", "--out", "{file}"],
        ["synth", "--participants", "20", "--out", "{file}"],
        ["convert", "{data}/enrolments.csv", "--kind", "enrolments", "--out", "{file}/e.parquet"],
        ["durability", "--analysis", "{prep}/first/analysis.parquet", "--linked",
         "{prep}/linked.csv", "--jobs", "{data}/jobs.csv", "--end", "2021-12", "--out", "{file}/w"],
        ["linkage", "yield", "--analysis", "{prep}/first/analysis.parquet", "--linked",
         "{prep}/linked.csv", "--out", "{file}"],
    ],
)  # fmt: skip
def test_existing_file_as_out_folder(
    cli: Cli, data: Path, prepared: Path, tmp_path: Path, command: list[str]
) -> None:
    """An existing file where a folder is wanted: exit 2, one line naming it, nothing written."""
    file = tmp_path / "results.txt"
    file.write_text("my notes\n", encoding="utf-8")
    args = [a.format(data=data, prep=prepared, file=file) for a in command]
    code, _, err = cli(*args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "is a file" in err and str(file) in err
    assert file.read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('registration = "data\\registration.csv"', "forward slashes"),
        ('registration = "data\\new.csv"', "single quotes"),
    ],
)
def test_windows_backslashes_get_a_hint(cli: Cli, tmp_path: Path, line: str, fragment: str) -> None:
    project = tmp_path / "project.toml"
    project.write_text(f"[inputs]\n{line}\n", encoding="utf-8")
    code, _, err = cli("run", project)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert fragment in err


def test_unknown_canonical_column_is_refused(cli: Cli, data: Path, tmp_path: Path) -> None:
    project = _project(tmp_path, data, '[columns]\nSBASISUREM = ["uren"]\n')
    code, _, err = cli("run", project)
    assert code == 2 and "'SBASISUREM'" in err and "did you mean 'SBASISUREN'" in err


def test_run_checks_every_input_before_any_work(cli: Cli, data: Path, tmp_path: Path) -> None:
    """A missing jobs file is found before linkage runs, explained relative to the project file."""
    inputs = 'registration = "data/registration.csv"\nregister = "data/register"\njobs = "data/SPOLISBUS2021.sav"\n'
    project = _project(tmp_path, data, inputs=inputs)
    code, _, err = cli("run", project)
    assert code == 2 and "SPOLISBUS2021.sav" in err
    assert "project file's folder" in err and str(tmp_path) in err
    assert not (tmp_path / "work").exists()
    # A jobs file without a required column, also before any work.
    jobs = pl.read_csv(data / "jobs.csv", separator=";", infer_schema=False)
    jobs.drop("SBASISUREN").write_csv(tmp_path / "data" / "jobs_bad.csv", separator=";")
    project = _project(tmp_path, data, inputs=inputs.replace("SPOLISBUS2021.sav", "jobs_bad.csv"))
    code, _, err = cli("run", project)
    assert code == 2 and "SBASISUREN" in err
    assert not (tmp_path / "work").exists()


def test_aliases_reach_jobs_and_enrolments(cli: Cli, data: Path, tmp_path: Path) -> None:
    """[columns] renames jobs and enrolments columns for run, durability and convert."""
    renamed = tmp_path / "data"
    shutil.copytree(data, renamed)
    jobs = pl.read_csv(data / "jobs.csv", separator=";", infer_schema=False)
    jobs.rename({"SBASISUREN": "uren", "SDATUMAANVANGIKO": "begin"}).write_csv(
        renamed / "jobs.csv", separator=";"
    )
    enrol = pl.read_csv(data / "enrolments.csv", separator=";", infer_schema=False)
    enrol.rename({"AANVINSCHR": "start_inschrijving"}).write_csv(
        renamed / "enrolments.csv", separator=";"
    )
    columns = (
        '[columns]\nSBASISUREN = ["uren"]\nSDATUMAANVANGIKO = "begin"\n'
        'AANVINSCHR = ["start_inschrijving"]\n'
    )
    inputs = (
        'registration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.csv"\nenrolments = "data/enrolments.csv"\n'
    )
    project = _project(tmp_path, data, columns, inputs=inputs)
    code, _, err = cli("run", project)
    assert code == 0, err
    assert (tmp_path / "work" / "exit" / "education.csv").exists()
    code, _, err = cli("convert", renamed / "jobs.csv", "--out", tmp_path / "jobs.parquet",
                       "--config", project)  # fmt: skip
    assert code == 0, err
    assert "SBASISUREN" in pl.read_parquet_schema(tmp_path / "jobs.parquet")
    code, _, err = cli("convert", renamed / "jobs.csv", "--out", tmp_path / "jobs2.parquet")
    assert code == 2 and "SDATUMAANVANGIKO" in err and "[columns]" in err
    # Stale results: a later run without enrolments removes education.csv and says so.
    _project(tmp_path, data, columns)
    code, _, err = cli("run", project)
    assert code == 0, err
    assert not (tmp_path / "work" / "exit" / "education.csv").exists()
    assert "education.csv" in err and "no enrolments" in err


def test_run_never_deletes_a_users_file_in_the_export(cli: Cli, data: Path, tmp_path: Path) -> None:
    project = _project(tmp_path, data)
    assert cli("run", project)[0] == 0
    notes = tmp_path / "export" / "my-notes.txt"
    notes.write_text("for the checker\n", encoding="utf-8")
    code, _, err = cli("run", project)
    assert code == 2 and "my-notes.txt" in err and "move" in err
    assert notes.read_text(encoding="utf-8") == "for the checker\n"


def test_outputs_get_normal_permissions(cli: Cli, data: Path, tmp_path: Path) -> None:
    """Files are created as any program creates them (0666 minus the umask), not 0600."""
    import os

    old = os.umask(0o022)
    try:
        code, _, err = cli("linkage", "prepare", data / "registration.csv", "--out", tmp_path / "p")
    finally:
        os.umask(old)
    assert code == 0, err
    for name in ("keys.csv", "analysis.parquet", "summary.json"):
        assert (tmp_path / "p" / name).stat().st_mode & 0o777 == 0o644


def test_convert_refuses_a_file_twice_and_counts_duplicates(
    cli: Cli, data: Path, tmp_path: Path
) -> None:
    code, _, err = cli(
        "convert", data / "jobs.csv", data / "jobs.csv", "--out", tmp_path / "j.parquet"
    )
    assert code == 2 and "given twice" in err
    # V1 and V2 of a year: the second holds every row of the first and some rows of its own.
    jobs = pl.read_csv(data / "jobs.csv", separator=";", infer_schema=False)
    first = jobs.head(jobs.height // 2)
    first.write_csv(tmp_path / "V1.csv", separator=";")
    jobs.write_csv(tmp_path / "V2.csv", separator=";")
    code, out, err = cli(
        "convert", tmp_path / "V1.csv", tmp_path / "V2.csv", "--out", tmp_path / "j.parquet"
    )
    assert code == 0, err
    written = pl.read_parquet(tmp_path / "j.parquet")
    assert written.height == jobs.height
    assert f"{first.height:,}" in out and "duplicate" in out and "kept once" in err


def test_global_options_after_the_command(
    cli: Cli, data: Path, prepared: Path, tmp_path: Path
) -> None:
    """-q and -v work after the command too; -v shows per-step detail; -q prints nothing."""
    args = ["durability", "--analysis", prepared / "first" / "analysis.parquet", "--linked",
            prepared / "linked.csv", "--jobs", data / "jobs.csv", "--end", "2021-12",
            "--out", tmp_path / "w"]  # fmt: skip
    code, out, err = cli(*args, "-v")
    assert code == 0, err
    assert "rows read" in err and "reading jobs.csv" in err and " s\n" in err
    code, out, err = cli(*args, "-q")
    assert code == 0 and out == "" and err == ""
    # Not a terminal: step lines, but no live progress (no spinner or bar characters).
    code, out, err = cli(*args)
    assert code == 0 and "rows read" not in err
    assert not set(err) & set("⠋⠙⠹⠸━")


def test_run_with_spss_registration_and_jobs(cli: Cli, data: Path, tmp_path: Path) -> None:
    """The whole chain from SPSS files: the project check reads their headers, run completes."""
    import pyreadstat

    folder = tmp_path / "data"
    folder.mkdir()
    reg = pl.read_csv(data / "registration.csv", separator=";", infer_schema=False)
    pyreadstat.write_sav(reg, str(folder / "registration.sav"))
    jobs = pl.read_csv(data / "jobs.csv", separator=";", infer_schema=False).with_columns(
        pl.col("SBASISUREN", "SBASISLOON", "SVOLTIJDDAGEN").cast(pl.Float64)
    )
    pyreadstat.write_sav(jobs, str(folder / "SPOLISBUS2021V1.sav"))
    shutil.copytree(data / "register", folder / "register")
    inputs = (
        "registration = 'data\\registration.sav'\n"  # a Windows path in single quotes
        'register = "data/register"\njobs = "data/SPOLISBUS2021V1.sav"\n'
    )
    project = _project(tmp_path, data, inputs=inputs)
    code, _, err = cli("run", project)
    assert code == 0, err
    assert (tmp_path / "export" / "manifest.json").exists()


def test_durability_config_paths_start_at_the_project_file(
    cli: Cli, data: Path, tmp_path: Path
) -> None:
    inputs = 'analysis = "a.parquet"\nlinked = "linked.csv"\njobs = "data/jobs.csv"\n'
    project = _project(tmp_path, data, inputs=inputs)
    code, _, err = cli("durability", "--config", project, "--out", tmp_path / "w")
    assert code == 2 and "a.parquet" in err and "project file's folder" in err


def test_convert_that_keeps_nothing_is_an_error(cli: Cli, data: Path, tmp_path: Path) -> None:
    """A cohort file of other people (or a file without RINPERSOON values) converts to nothing:
    exit 2 with the cause, and no empty file a later step would take for converted jobs."""
    strangers = tmp_path / "strangers.csv"
    strangers.write_text(
        "record_id;RINPERSOONS;RINPERSOON\nK1;R;999999998\nK2;R;999999997\n", encoding="utf-8"
    )
    out = tmp_path / "jobs.parquet"
    code, stdout, err = cli("convert", data / "jobs.csv", "--out", out, "--cohort", strangers)
    assert code == 2 and "nothing to convert" in err and "strangers.csv" in err, err
    assert "outside the cohort" in stdout and not out.exists()
    header = (data / "jobs.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "empty.csv").write_text(header + "\n", encoding="utf-8")
    code, _, err = cli("convert", tmp_path / "empty.csv", "--out", out)
    assert code == 2 and "no rows with a RINPERSOON" in err and not out.exists(), err
