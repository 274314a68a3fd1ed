"""Hardening: interrupted runs leave no partial files, nothing is lost, nothing identifying is
exported, the console survives cp1252, and parsers never fail with anything but NbnbError."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnb_cbs import synth
from nbnb_cbs.dates import parse_date_expr
from nbnb_cbs.errors import NbnbError
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.linkage.normalise import house_number_parts
from nbnb_cbs.schemas import JOBS, REGISTRATION
from tests.conftest import Cli


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hard")
    synth.write(synth.build(synth.SynthOptions(participants=150, seed=12)), folder / "data", "csv")
    return folder


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbnb_cbs", *map(str, args)],
        capture_output=True, text=True, check=False, env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_interrupted_prepare_leaves_no_partial_file_and_reruns(small: Path, tmp_path: Path) -> None:
    """Killed between writing keys.csv's temporary file and renaming it: no keys.csv, no temp."""
    out = tmp_path / "prep"
    killed = _cli("linkage", "prepare", small / "data" / "registration.csv", "--out", out,
                  env={"NBNB_FAULT_AFTER_TEMP": "keys.csv"})  # fmt: skip
    assert killed.returncode == 70
    assert not (out / "keys.csv").exists()  # at most a hidden .keys.csv.*.tmp, never the output
    again = _cli("linkage", "prepare", small / "data" / "registration.csv", "--out", out)
    assert again.returncode == 0, again.stderr
    assert (out / "keys.csv").exists() and (out / "summary.json").exists()
    assert not list(out.glob(".*.tmp"))  # the rerun cleared the killed run's temporary file


def test_interrupted_export_keeps_the_previous_export(
    small: Path, tmp_path: Path, cli: Cli
) -> None:
    """An export interrupted mid-write leaves the earlier, complete export in place."""
    project = tmp_path / "p"
    shutil.copytree(small / "data", project / "data")
    (project / "project.toml").write_text(
        '[inputs]\nregistration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.csv"\n[analysis]\nend = "2021-12"\nanchors = ["exit"]\n', encoding="utf-8")  # fmt: skip
    first = _cli("run", project / "project.toml")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in (project / "export").rglob("*") if p.is_file()}
    killed = _cli("run", project / "project.toml", env={"NBNB_FAULT_AFTER_TEMP": "report.html"})
    assert killed.returncode == 70
    after = {p.name: p.read_bytes() for p in (project / "export").rglob("*") if p.is_file()}
    assert after.keys() == before.keys()
    code, _, _ = cli("disclosure", "check", project / "export", "--report", tmp_path / "r.json")
    assert code == 0
    leftovers = [p for p in project.iterdir() if p.name.startswith(".export.")]
    assert len(leftovers) <= 1  # the killed run's staging folder, never inside export/
    assert _cli("run", project / "project.toml").returncode == 0
    assert not [
        p for p in project.iterdir() if p.name.startswith(".export.")
    ]  # cleared by the rerun


def test_match_and_durability_reconcile(small: Path, tmp_path: Path, cli: Cli) -> None:
    prep = tmp_path / "prep"
    assert cli("linkage", "prepare", small / "data" / "registration.csv", "--out", prep)[0] == 0
    assert cli("linkage", "match", prep / "keys.csv", "--register", small / "data" / "register",
               "--out", tmp_path / "linked.csv")[0] == 0  # fmt: skip
    keys = pl.read_csv(prep / "keys.csv", separator=";", infer_schema=False)
    linked = pl.read_csv(tmp_path / "linked.csv", separator=";", infer_schema=False)
    assert linked["record_id"].to_list() == keys["record_id"].to_list()
    code, _, err = cli("durability", "--analysis", prep / "analysis.parquet", "--linked", tmp_path / "linked.csv",
                       "--jobs", small / "data" / "jobs.csv", "--end", "2021-12", "--out", tmp_path / "w")  # fmt: skip
    assert code == 0, err
    exclusions = pl.read_csv(tmp_path / "w" / "exclusions.csv", separator=";")
    analysis = pl.read_parquet(prep / "analysis.parquet")
    assert exclusions["records"].sum() == analysis.height
    quality = dict(pl.read_csv(tmp_path / "w" / "data_quality.csv", separator=";").iter_rows())
    assert (
        quality["jobs rows_read"]
        == quality["jobs invalid_excluded"]
        + quality["jobs valid_not_work"]
        + quality["jobs counted_as_work"]
    )


def test_planted_identifiers_never_reach_the_export(small: Path, tmp_path: Path, cli: Cli) -> None:
    prep = tmp_path / "prep"
    assert cli("linkage", "prepare", small / "data" / "registration.csv", "--out", prep)[0] == 0
    assert cli("linkage", "match", prep / "keys.csv", "--register", small / "data" / "register",
               "--out", tmp_path / "linked.csv")[0] == 0  # fmt: skip
    analysis = pl.read_parquet(prep / "analysis.parquet").with_columns(
        RINPERSOON=pl.lit("123456789"), postcode=pl.lit("1234AB"), bsn=pl.lit("111222333"),
        house_number=pl.lit("12"), geboortedatum=pl.lit("01-01-1990"),
    )  # fmt: skip
    analysis.write_parquet(tmp_path / "analysis.parquet")
    project = tmp_path / "project.toml"
    project.write_text(
        f'[inputs]\nanalysis = "analysis.parquet"\nlinked = "linked.csv"\njobs = "{(small / "data" / "jobs.csv").as_posix()}"\n'
        '[analysis]\nend = "2021-12"\n', encoding="utf-8")  # fmt: skip
    code, _, err = cli("run", project)
    assert code == 0, err
    text = " ".join(p.read_text(encoding="utf-8", errors="ignore") for p in (tmp_path / "export").rglob("*")
                    if p.suffix in (".csv", ".json", ".md", ".html"))  # fmt: skip
    for planted in ("123456789", "1234AB", "111222333", "01-01-1990"):
        assert planted not in text
    # Breaking down by an identifier is refused, not exported.
    project.write_text(
        project.read_text(encoding="utf-8") + 'by = ["postcode"]\n', encoding="utf-8"
    )
    code, _, err = cli("run", project)
    assert code == 2 and "postcode" in err


def test_check_catches_each_doctored_leak(small: Path, tmp_path: Path, cli: Cli) -> None:
    project = tmp_path / "p"
    shutil.copytree(small / "data", project / "data")
    (project / "project.toml").write_text(
        '[inputs]\nregistration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.csv"\n[analysis]\nend = "2021-12"\nanchors = ["exit"]\n', encoding="utf-8")  # fmt: skip
    assert _cli("run", project / "project.toml").returncode == 0
    export = project / "export"
    leaks = {
        "forbidden_column": lambda: (export / "tables" / "persons.csv").write_text("RINPERSOON;n\n000000001;1\n", encoding="utf-8"),
        "checksum": lambda: (export / "report.md").write_text("changed", encoding="utf-8"),
        "threshold": lambda: (export / "tables" / "linkage_yield.csv").write_text(
            (export / "tables" / "linkage_yield.csv").read_text(encoding="utf-8") + "x;records;3.0;3;published\n", encoding="utf-8"),
        "suppressed_value_published": lambda: (export / "tables" / "snapshot_jobs.csv").write_text(
            "category;statistic;value;n;status\n2+;count;4.0;4;suppressed\n", encoding="utf-8"),
    }  # fmt: skip
    for rule, plant in leaks.items():
        shutil.copytree(export, tmp_path / "clean", dirs_exist_ok=True)
        plant()
        code, _, _ = cli("disclosure", "check", export, "--report", tmp_path / "r.json")
        found = {
            f["rule"]
            for f in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"]
        }
        assert code == 1 and rule in found, (rule, found)
        shutil.rmtree(export)
        shutil.copytree(tmp_path / "clean", export)
        shutil.rmtree(tmp_path / "clean")


def test_console_survives_cp1252(small: Path, tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": "cp1252", "COLUMNS": "100"}
    done = _cli(
        "linkage", "prepare", small / "data" / "registration.csv", "--out", tmp_path / "p", env=env
    )
    assert done.returncode == 0, done.stderr
    bad = _cli("linkage", "prepare", tmp_path / "missing.csv", "--out", tmp_path / "q", env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@settings(max_examples=150)
@given(st.binary(max_size=400))
def test_csv_reader_fuzz(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    """Arbitrary bytes as a CSV: a table or an NbnbError, never another exception."""
    path = tmp_path_factory.mktemp("fuzz") / "input.csv"
    path.write_bytes(data)
    for contract in (REGISTRATION, JOBS, None):
        with contextlib.suppress(NbnbError):  # an NbnbError is a fine answer; nothing else is
            read_table(path, contract)


@settings(max_examples=200)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_date_and_house_number_parsers_fuzz(values: list[str]) -> None:
    """Any text parses to a value or null; the parsers never raise."""
    frame = pl.DataFrame({"v": values})
    dates = frame.select(parse_date_expr("v"))["v"]
    assert dates.dtype == pl.Date and dates.len() == len(values)
    parts = frame.select(p=house_number_parts(pl.col("v"), pl.col("v"))).unnest("p")
    assert parts.height == len(values)
    numbers = parts["huisnummer"].drop_nulls()
    assert ((numbers >= 1) & (numbers <= 99999)).all()
