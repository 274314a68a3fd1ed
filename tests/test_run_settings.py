"""Settings of ``run`` reach the export: rounding changes the published numbers, and a breakdown
named like a published column is refused before any work (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.pipeline import RESERVED
from tests.conftest import Cli


def _published(export: Path, name: str) -> pl.DataFrame:
    """A published table typed as the render and the checks read it (any CSV format)."""
    from nbnb_cbs.export.render import read_published

    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    return read_published(export / "tables" / f"{name}.csv", manifest)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nbnb_cbs import synth

    root = tmp_path_factory.mktemp("settings")
    options = synth.SynthOptions(participants=300, seed=9, format="parquet")
    synth.write(synth.build(options), root / "data", "parquet")
    return root


def _project(root: Path, extra: str) -> Path:
    project = root / "project.toml"
    project.write_text(
        '[inputs]\nregistration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.parquet"\n[analysis]\nend = "2021-12"\nanchors = ["exit"]\n' + extra,
        encoding="utf-8",
    )
    return project


def test_rounding_reaches_every_count(data: Path) -> None:
    """rounding = 10: every published count is a multiple of 10 and says 'rounded'."""
    code, out, err = Cli()("run", _project(data, "[disclosure]\nrounding = 10\n"))
    assert code == 0, err + out
    yld = _published(data / "export", "linkage_yield")
    counts = yld.filter(
        pl.col("statistic").is_in(["records", "linked"]) & (pl.col("status") != "suppressed")
    )
    assert counts.height and (counts["value"] % 10 == 0).all()
    assert set(counts["status"]) == {"rounded"}
    manifest = json.loads((data / "export" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["rounding"] == 10


@pytest.mark.parametrize("name", [*RESERVED, "_hidden"])
def test_reserved_breakdown_names_are_refused(data: Path, name: str) -> None:
    """A breakdown that would shadow a published column: exit 2 and one line naming it."""
    code, out, err = Cli()("run", _project(data, f'by = ["{name}"]\n'))
    assert code == 2, err + out
    assert name in err and len(err.strip().splitlines()) == 1, err


def test_model_with_unknown_covariate_refused_before_work(data: Path, tmp_path: Path) -> None:
    """[[models]] columns are checked with the project: exit 2, one line naming the covariate,
    and no work folder written."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "data").symlink_to(data / "data")
    models = (
        '[output]\nwork = "w"\nexport = "e"\n[[models]]\nname = "m"\noutcome = "in_work_at_end"\n'
        'covariates = ["sex", "woonsituatie"]\n'
    )
    code, out, err = Cli()("run", _project(root, models))
    assert code == 2, err + out
    assert "covariate 'woonsituatie' is not a column" in err and len(err.strip().splitlines()) == 1
    assert not (root / "w").exists()


def test_model_covariate_that_is_a_breakdown_refused_before_work(
    data: Path, tmp_path: Path
) -> None:
    """Its per-level counts (which the estimates give away) would meet the breakdown's tables."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "data").symlink_to(data / "data")
    models = (
        'by = ["sex"]\n[output]\nwork = "w"\nexport = "e"\n[[models]]\nname = "m"\n'
        'outcome = "in_work_at_end"\ncovariates = ["sex"]\n'
    )
    code, out, err = Cli()("run", _project(root, models))
    assert code == 2, err + out
    assert "covariate 'sex' is also a breakdown" in err and len(err.strip().splitlines()) == 1
    assert not (root / "w").exists()


def test_rounding_with_a_model_passes_its_own_audit(tmp_path: Path) -> None:
    """rounding = 10 with a model (red team 18 setup): the model's N and N_outcome are published
    exactly, so the protection must treat them as exact. Treated as rounded, the release was
    under-protected and the run failed its own audit (a month in a pool narrowed to 9.5 wide)."""
    from nbnb_cbs import synth

    options = synth.SynthOptions(participants=600, seed=1844, population=30000, format="parquet")
    synth.write(synth.build(options), tmp_path / "data", "parquet")
    models = (
        '[[models]]\nname = "m"\noutcome = "in_work_at_end"\ncovariates = ["sex", "age_group"]\n'
        "merge_sparse_levels = true\n"
    )
    project = tmp_path / "project.toml"
    project.write_text(
        '[inputs]\nregistration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.parquet"\nenrolments = "data/enrolments.parquet"\n'
        '[analysis]\nend = "2021-12"\nby = ["sectoral"]\n[disclosure]\nrounding = 10\n' + models,
        encoding="utf-8",
    )
    code, out, err = Cli()("run", project)
    assert code == 0, err + out
    fit = pl.read_csv(tmp_path / "export" / "model_m_fit.csv", separator=";")
    n = dict(fit.iter_rows())["N"]
    assert n >= 10 and n == int(n)  # written exactly, as the protection now models it
