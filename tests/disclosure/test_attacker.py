"""An attacker over generated cohorts: small, skewed projects where small cells are common.

Hypothesis draws the cohort (50 to 500 participants, a seed, one project thinned so that its cells
are small, the breakdown); ``run`` writes the export; the attacker reads only export/ and tries the
direct derivations of ``attacks`` and the joint LP over the release's atoms rebuilt from the files
(without the protection's certificate: every LP solved afresh). Nothing may give a count of 1..9
or narrow a suppressed cell below the protection width.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbnb_cbs import synth
from nbnb_cbs.disclosure import load_profile
from nbnb_cbs.disclosure.release_audit import audit_export
from nbnb_cbs.errors import DisclosureError
from nbnb_cbs.pipeline import run_project
from nbnb_cbs.project import load_project
from tests.disclosure.attacks import every_attack, late_bounds

pytestmark = pytest.mark.slow


def _cohort(root: Path, participants: int, seed: int, keep: float, by: str) -> Path:
    options = synth.SynthOptions(participants=participants, seed=seed, format="parquet")
    synth.write(synth.build(options), root / "data", "parquet")
    registration = root / "data" / "registration.csv"
    frame = pl.read_csv(registration, separator=";", infer_schema=False)
    # Thin one project: its cells (and the breakdown values it dominates) become small.
    thinned = sorted(frame["project"].drop_nulls().unique().to_list())[0]
    mine = frame.filter(pl.col("project") == thinned)
    kept = mine.sample(fraction=keep, seed=seed) if mine.height else mine
    frame = pl.concat([frame.filter(pl.col("project") != thinned), kept]).sort("deelnemer_id")
    frame.write_csv(registration, separator=";")
    (root / "project.toml").write_text(
        '[project]\nname = "cohort"\n[inputs]\nregistration = "data/registration.csv"\n'
        'register = "data/register"\njobs = "data/jobs.parquet"\n'
        'enrolments = "data/enrolments.parquet"\n'
        f'[analysis]\nend = "2021-12"\nby = ["{by}"]\n'
        # A B1.8-style model: its N joins the release (leavers to education left out).
        '[[models]]\nname = "in_work"\noutcome = "in_work_at_end"\ncovariates = ["age_group"]\n'
        'exclude_destinations = ["education"]\nmerge_sparse_levels = true\n',
        encoding="utf-8",
    )
    return root / "project.toml"


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    participants=st.integers(50, 500),
    seed=st.integers(0, 2**16),
    keep=st.floats(0.05, 1.0),
    by=st.sampled_from(["sectoral", "sex"]),
)
def test_no_small_count_is_derivable_from_a_generated_cohort(
    tmp_path_factory: pytest.TempPathFactory, participants: int, seed: int, keep: float, by: str
) -> None:
    root = tmp_path_factory.mktemp("cohort")
    project = _cohort(root, participants, seed, keep, by)
    try:
        run_project(load_project(project))
    except DisclosureError as exc:  # a cohort too small for the model: the rest is still attacked
        assert "model" in str(exc), exc
        text = project.read_text(encoding="utf-8")
        root = tmp_path_factory.mktemp("cohort")
        shutil.copytree(project.parent / "data", root / "data")
        project = root / "project.toml"
        project.write_text(text[: text.index("[[models]]")], encoding="utf-8")
        run_project(load_project(project))
    export = root / "export"
    assert every_attack(export, by) == []
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    findings, summary = audit_export(export, log, manifest, load_profile("cbs"), None)
    assert findings == [], findings[:5]
    assert summary["sensitive_quantities"] > 0 and summary["evidence"]["lps"] > 0


def test_the_late_start_derivation_finds_a_few_late_starters() -> None:
    # 100 records, exit and first-job time-weighted means 0.798 and 0.801, at most 12 months each:
    # the months before late first jobs are 0.3..6, so 1..6 late starters.
    low, high = late_bounds(100, 0.798, 0.801, 12)
    assert 0.0 < low < 1.0 and 1.0 < high < 9.5
    low, high = late_bounds(100, 0.800, 0.800, 12)  # equal means: maybe no late starter
    assert low == 0.0
