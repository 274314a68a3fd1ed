"""Clean synthetic exports for the steward's check, built once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbnb_cbs import synth
from nbnb_cbs.pipeline import run_project
from nbnb_cbs.project import PROJECT_TEMPLATE, load_project

PROJECTS = ["Project 01", "Project 02", "Project 03", "Buurtwerk Noord"]


def make_export(folder: Path, participants: int, seed: int, by: list[str]) -> Path:
    """Synthetic data, a project file and ``run`` on it; return the export folder."""
    options = synth.SynthOptions(participants=participants, seed=seed, format="parquet")
    synth.write(synth.build(options), folder / "data", options.format)
    inputs = "\n".join([
        'registration = "data/registration.csv"', 'register = "data/register"',
        'jobs = "data/jobs.parquet"', 'enrolments = "data/enrolments.parquet"',
    ])  # fmt: skip
    text = PROJECT_TEMPLATE.format(name=f"synth seed{seed}", inputs=inputs, end="2021-12")
    text = text.replace('by = ["sectoral"]', f"by = {json.dumps(by)}")
    (folder / "project.toml").write_text(text, encoding="utf-8")
    run_project(load_project(folder / "project.toml"))
    review = folder / "export-review"
    review.mkdir(exist_ok=True)
    (review / "projects.json").write_text(json.dumps(PROJECTS), encoding="utf-8")
    return folder / "export"


@pytest.fixture(scope="session")
def clean_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small clean export (400 participants, breakdown by sectoral) that the corpus doctors."""
    return make_export(tmp_path_factory.mktemp("clean"), 400, 7, ["sectoral"])
