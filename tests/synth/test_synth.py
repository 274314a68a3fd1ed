"""The synthetic generator: deterministic, calibrated to the NBNB report, every file written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nbnb_cbs import synth
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.schemas import JOBS, REGISTRATION, destination_expr
from tests.conftest import Cli


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["csv", "parquet", "sav"])
def test_same_seed_same_bytes(tmp_path: Path, fmt: str) -> None:
    options = synth.SynthOptions(participants=120, seed=5, format=fmt)  # type: ignore[arg-type]
    for name in ("a", "b"):
        synth.write(synth.build(options), tmp_path / name, options.format)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    other = synth.build(synth.SynthOptions(participants=120, seed=6))
    assert not other.registration.equals(synth.build(options).registration)


def test_sav_files_read_back(tmp_path: Path) -> None:
    """--format sav writes real SPSS files that the .sav reader path accepts."""
    options = synth.SynthOptions(participants=60, seed=3, format="sav")
    data = synth.build(options)
    synth.write(data, tmp_path, "sav")
    jobs = read_table(tmp_path / "jobs.sav", JOBS).frame
    assert jobs.height > 0 and jobs["RINPERSOON"].str.len_chars().eq(9).all()
    # Written by polars-readstat; both readers give back exactly the frame that was written.
    import polars_readstat
    import pyreadstat

    by_pyreadstat, meta = pyreadstat.read_sav(str(tmp_path / "jobs.sav"), output_format="polars")
    assert by_pyreadstat.equals(data.jobs) and meta.file_encoding == "UTF-8"
    assert polars_readstat.read_readstat(str(tmp_path / "jobs.sav")).equals(data.jobs)
    persons = pyreadstat.read_sav(
        str(tmp_path / "register" / "persons.sav"), output_format="polars"
    )
    assert persons[0].equals(data.persons)


def test_participants_calibration(default_data: synth.SynthData) -> None:
    """Participants, projects, sex and exit destinations in the report's proportions."""
    reg = default_data.registration.unique("deelnemer_id")
    assert reg.height == 1012
    sizes = reg.group_by("project").len()["len"]
    assert 15 <= sizes.len() <= 25 and sizes.min() >= 4 and sizes.max() <= 140  # type: ignore[operator]
    assert (reg["sectorale_insteek"] == "ja").any() and (reg["sectorale_insteek"] == "nee").any()
    male = reg["geslacht"].str.to_uppercase().is_in(["M", "MAN", "1"]).mean()
    assert 0.60 <= male <= 0.72  # type: ignore[operator]
    dest = reg.select(destination_expr("uitstroom"))["uitstroom"].value_counts(normalize=True)
    share = dict(zip(dest["uitstroom"], dest["proportion"], strict=True))
    expected = {
        "work": 0.20,
        "education": 0.08,
        "work_experience": 0.054,
        "dropout": 0.127,
        "other": 0.271,
        "unknown": 0.258,
    }
    for key, value in expected.items():
        assert abs(share[key] - value) < 0.03, (key, share[key])
    no_consent = (reg["toestemming"] == "nee").mean()
    assert 0.01 <= no_consent <= 0.035  # type: ignore[operator]
    entry = reg.select(pl.col("instroomdatum").str.to_date("%d-%m-%Y"))["instroomdatum"]
    assert str(entry.min()) >= "2019-01-01" and str(entry.max()) <= "2022-03-31"


def test_registration_is_messy_and_dutch(default_data: synth.SynthData, tmp_path: Path) -> None:
    reg = default_data.registration
    assert reg["postcode"].str.contains(" ").any()
    assert reg["postcode"].str.contains("[a-z]").any()
    assert reg["huisnummer"].str.contains(r"\d[a-zA-Z]").any()
    assert reg["huisnummer"].str.contains(r"\d[-/ ]").any()
    assert (reg["geboortejaar"] == "").any()
    assert reg["instroomdatum"].str.contains(r"^\d{2}-\d{2}-\d{4}$").all()
    path = tmp_path / "registration.csv"
    synth.write(default_data, tmp_path, "csv")
    assert path.read_text(encoding="utf-8").splitlines()[0].startswith("deelnemer_id;")
    assert read_table(path, REGISTRATION, parse=False).frame.height == reg.height


def test_jobs_pitfalls_and_population(default_data: synth.SynthData) -> None:
    jobs = default_data.jobs
    truth_rins = set(default_data.truth["RINPERSOON"].to_list())
    assert jobs["RINPERSOON"].n_unique() > 3 * len(truth_rins)  # a cohort must be cut out
    assert (jobs["SBASISLOON"] < 0).any() and (jobs["SBASISUREN"] == 0).any()
    assert (jobs["SDATUMEINDEIKO"] == "99999999").any()
    assert jobs["SCONTRACTSOORT"].is_in(["o", "b", "n"]).any()
    assert jobs["RINPERSOON"].str.starts_with("0").any()
    enrol = default_data.enrolments
    assert (enrol["EINDINSCHR"] == "99999999").any()


def test_cli_writes_every_file(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli(
        "synth", "--out", tmp_path / "d", "--participants", "80", "--format", "parquet"
    )
    assert code == 0, out
    names = {str(p.relative_to(tmp_path / "d")) for p in (tmp_path / "d").rglob("*") if p.is_file()}
    assert names == {
        "registration.csv",
        "register/persons.parquet",
        "register/addresses.parquet",
        "jobs.parquet",
        "enrolments.parquet",
        "truth.parquet",
    }


def test_bad_options(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("synth", "--out", tmp_path, "--messiness", "2")
    assert code == 2 and "messiness" in err
    code, _, err = cli("synth", "--out", tmp_path, "--format", "xlsx")
    assert code == 2 and "--format" in err


@pytest.mark.parametrize("participants", [1, 7, 50, 3000, 10_000])
def test_project_sizes_any_participant_count(participants: int) -> None:
    """Projects hold 4-140 participants whatever the participant count (no endless balancing)."""
    from nbnb_cbs.synth.people import make_participants

    people = make_participants(np.random.default_rng(1), participants)
    sizes = np.bincount(people.project)[1:]
    assert sizes.sum() == participants
    if participants >= 8:
        assert sizes.min() >= 4 and sizes.max() <= 140


@pytest.mark.parametrize("fmt", ["csv", "parquet", "sav"])
def test_chunked_generation_gives_the_same_files(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streaming the job rows in chunks of a few blocks gives the bytes of the in-memory build:
    the chunk size bounds memory and changes nothing else (small blocks and row groups here so
    that several chunks and row groups occur)."""
    monkeypatch.setattr(synth, "BLOCK", 300)
    monkeypatch.setattr(synth, "ROW_GROUP", 7_000)
    options = synth.SynthOptions(participants=100, population=1_500, seed=9, format=fmt)  # type: ignore[arg-type]
    synth.write(synth.build(options), tmp_path / "whole", options.format)
    written = synth.generate(
        synth.SynthOptions(participants=100, population=1_500, seed=9, format=fmt, chunk_size=600),  # type: ignore[arg-type]
        tmp_path / "chunked",
    )
    assert _digest(tmp_path / "whole") == _digest(tmp_path / "chunked")
    jobs = read_table(next(p for p, _ in written if p.stem == "jobs"), JOBS, parse=False).frame
    assert jobs.height == {p.stem: n for p, n in written}["jobs"]
    assert jobs["RINPERSOON"].is_sorted()  # sorted like the real files, across chunks
    # A job id belongs to one person, across blocks.
    assert jobs.group_by("IKVID").agg(pl.col("RINPERSOON").n_unique().alias("k"))["k"].max() == 1


def test_chunk_size_too_small(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("synth", "--out", tmp_path / "d", "--chunk-size", "10")
    assert code == 2 and "--chunk-size" in err
