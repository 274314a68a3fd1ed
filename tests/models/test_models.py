"""Models: estimates against a direct statsmodels fit, and each disclosure check for model
output applied with the profile's values (dof, sparse levels, project terms)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS

from nbnb_cbs.disclosure import load_profile
from nbnb_cbs.errors import ConfigError, DisclosureError, ValueParseError
from nbnb_cbs.models import (
    ModelSpec,
    backward_stepwise,
    build_sample,
    check_columns,
    export_tables,
    parse_models,
    project_icc,
    run_model,
    sample_destinations,
    vif,
)
from nbnb_cbs.models.design import build_design
from nbnb_cbs.project import load_project

CBS = load_profile("cbs")
DESTINATIONS = ["work", "education", "dropout", "other"]


def _data(n: int = 2000, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    """analysis.parquet-like and persons.parquet-like frames with a known structure: six
    projects, sex, a region with a missing value now and then, age with a few unknown, and an
    outcome that depends on sex, region and age."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["man", "woman"], n, p=[0.6, 0.4])
    region = rng.choice(["north", "south", "east", None], n, p=[0.35, 0.3, 0.2, 0.15])
    project = rng.choice([f"P{i}" for i in range(6)], n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
    birth = rng.integers(1965, 2002, n)
    birth_text = [None if i % 11 == 0 else str(b) for i, b in enumerate(birth)]
    entry = [dt.date(2019, 1 + i % 12, 1) for i in range(n)]
    destination = rng.choice(DESTINATIONS, n, p=[0.35, 0.15, 0.3, 0.2])
    linked = rng.random(n) > 0.15
    age = np.array([2019 - b for b in birth], dtype=float)
    logit = -0.5 + 0.6 * (sex == "man") + 0.5 * (region == "south") - 0.03 * (age - 35)
    in_work = rng.random(n) < 1 / (1 + np.exp(-logit))
    enrolled = rng.random(n) < 0.2
    ids = [f"r{i:04d}" for i in range(n)]
    analysis = pl.DataFrame(
        {
            "record_id": ids,
            "exit_destination": destination,
            "project": project,
            "sex": sex,
            "region": region,
            "birth_year": birth_text,
            "entry_date": entry,
            "score": [None if i % 17 == 0 else f"{(i * 7) % 10},5" for i in range(n)],
        }
    )
    persons = pl.DataFrame(
        {
            "record_id": ids,
            "RINPERSOON": [f"{i:09d}" if ok else None for i, ok in enumerate(linked)],
            "in_work_at_end": [
                bool(w) if ok else None for w, ok in zip(in_work, linked, strict=True)
            ],
            "enrolled_at_end": [
                bool(e) if ok else None for e, ok in zip(enrolled, linked, strict=True)
            ],
        }
    ).with_columns(work_or_education_at_end=pl.col("in_work_at_end") | pl.col("enrolled_at_end"))
    return analysis, persons


def _spec(**kw: object) -> ModelSpec:
    base: dict[str, object] = {"name": "m", "outcome": "in_work_at_end", "covariates": ("sex",)}
    return ModelSpec(**(base | kw))  # type: ignore[arg-type]


def _direct_design(
    analysis: pl.DataFrame, persons: pl.DataFrame, fixed_effects: bool
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The design written out by hand, independently of nbnb_cbs: sample = linked, not leavers
    to education; sex (ref man), region (ref north; missing -> unknown), age = 2019 - birth year
    (missing -> mean, plus an indicator), sex x region, projects against the largest (P0)."""
    rows = (
        analysis.join(persons, on="record_id")
        .filter(pl.col("RINPERSOON").is_not_null() & (pl.col("exit_destination") != "education"))
        .to_dicts()
    )
    y = np.array([1.0 if r["in_work_at_end"] else 0.0 for r in rows])
    ages = [2019 - int(r["birth_year"]) if r["birth_year"] else None for r in rows]
    known = [a for a in ages if a is not None]
    mean = sum(known) / len(known)
    region = [r["region"] or "unknown" for r in rows]
    woman = np.array([1.0 if r["sex"] == "woman" else 0.0 for r in rows])
    cols: dict[str, np.ndarray] = {"(intercept)": np.ones(len(rows))}
    if fixed_effects:
        for p in ("P1", "P2", "P3", "P4", "P5"):
            cols[f"project: {p}"] = np.array([1.0 if r["project"] == p else 0.0 for r in rows])
    cols["sex: woman"] = woman
    for level in ("east", "south", "unknown"):
        cols[f"region: {level}"] = np.array([1.0 if v == level else 0.0 for v in region])
    cols["age"] = np.array([a if a is not None else mean for a in ages], dtype=float)
    cols["age: unknown"] = np.array([1.0 if a is None else 0.0 for a in ages])
    for level in ("east", "south", "unknown"):
        cols[f"sex: woman x region: {level}"] = woman * cols[f"region: {level}"]
    return y, cols


@pytest.mark.parametrize(
    ("kind", "fixed_effects"), [("logit", False), ("logit", True), ("lpm", True)]
)
def test_estimates_equal_a_direct_statsmodels_fit(kind: str, fixed_effects: bool) -> None:
    """B, SE, p, N, residual dof and AIC equal statsmodels on a hand-built design to 1e-6."""
    analysis, persons = _data()
    spec = _spec(
        kind=kind, covariates=("sex", "region", "age"), reference={"sex": "man", "region": "north"},
        interactions=(("sex", "region"),), exclude_destinations=("education",),
        fixed_effects=fixed_effects,
    )  # fmt: skip
    result = run_model(spec, analysis, persons, CBS)
    assert result.pooled_projects == 0 and not result.merges
    assert result.references == {"sex": "man", "region": "north"}
    y, cols = _direct_design(analysis, persons, fixed_effects)
    x = np.column_stack(list(cols.values()))
    direct = Logit(y, x).fit(disp=0) if kind == "logit" else OLS(y, x).fit()
    mine = result.fit.coefficients(published=False)
    assert mine["term"].to_list() == list(cols)
    np.testing.assert_allclose(mine["B"].to_numpy(), direct.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mine["SE"].to_numpy(), direct.bse, rtol=0, atol=1e-6)
    np.testing.assert_allclose(mine["p"].to_numpy(), direct.pvalues, rtol=0, atol=1e-6)
    fit = dict(result.fit.fit_table().iter_rows())
    assert fit["N"] == len(y) and fit["residual_dof"] == len(y) - x.shape[1]
    assert fit["N_outcome"] == y.sum()
    # What makes N_outcome public anyway: the fitted values add up to it.
    assert float(np.sum(direct.predict())) == pytest.approx(y.sum(), abs=1e-4)
    assert fit["aic"] == pytest.approx(direct.aic, abs=1e-6)
    r2 = direct.prsquared if kind == "logit" else direct.rsquared
    assert fit["pseudo_r2"] == pytest.approx(r2, abs=1e-6)
    if kind == "logit":
        np.testing.assert_allclose(mine["Exp(B)"].to_numpy(), np.exp(direct.params), rtol=1e-9)
    else:
        assert mine["Exp(B)"].null_count() == mine.height
    published = export_tables(result)["model_m.csv"]
    shown = dict(zip(published["term"], published["B"], strict=True))
    for term, b in zip(cols, direct.params, strict=True):
        if term in shown:
            assert shown[term] == pytest.approx(b, abs=5e-5)  # published to 4 decimals


def test_sample_is_a_union_of_destinations_and_no_record_is_dropped() -> None:
    """N = linked records with a kept destination, whatever is missing in the covariates."""
    analysis, persons = _data()
    spec = _spec(covariates=("region", "age"), exclude_destinations=("education", "other"))
    assert sample_destinations(spec) == {
        "work",
        "work_and_learn",
        "work_experience",
        "dropout",
        "unknown",
    }
    result = run_model(spec, analysis, persons, CBS)
    expected = analysis.join(persons, on="record_id").filter(
        pl.col("RINPERSOON").is_not_null()
        & pl.col("exit_destination").is_in(sorted(sample_destinations(spec)))
    )
    assert expected["region"].null_count() > 0 and expected["birth_year"].null_count() > 0
    assert result.fit.n == expected.height


def test_too_few_residual_degrees_of_freedom_refused() -> None:
    """dof_threshold from the profile: 20 persons and 12 estimated columns is refused under
    the CBS profile (10) and accepted when the profile asks for 5."""
    rng = np.random.default_rng(1)
    n = 20
    analysis = pl.DataFrame(
        {"record_id": [f"r{i}" for i in range(n)], "exit_destination": ["work"] * n,
         **{f"x{k}": rng.normal(size=n) for k in range(11)}}
    )  # fmt: skip
    persons = pl.DataFrame(
        {"record_id": [f"r{i}" for i in range(n)], "RINPERSOON": [f"{i:09d}" for i in range(n)],
         "in_work_at_end": [i % 2 == 0 for i in range(n)]}
    )  # fmt: skip
    xs = tuple(f"x{k}" for k in range(11))
    spec = _spec(covariates=xs, numeric=xs, kind="lpm")
    with pytest.raises(
        DisclosureError,
        match=r"8 residual degrees of freedom, fewer than the cbs profile's dof_threshold of 10",
    ):
        run_model(spec, analysis, persons, CBS)
    loose = dataclasses.replace(CBS, dof_threshold=5)
    assert run_model(spec, analysis, persons, loose).fit.df_resid == 8


def _with_sparse_region(analysis: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Region 'west' for four linked persons in work and four not (of projects P0 and P1)."""
    linked = persons.filter(pl.col("RINPERSOON").is_not_null()).join(analysis, on="record_id")
    west = pl.concat(
        [linked.filter((pl.col("in_work_at_end") == v) & (pl.col("project") == p)).head(2)
         for v in (True, False) for p in ("P0", "P1")]
    )["record_id"]  # fmt: skip
    return analysis.with_columns(
        region=pl.when(pl.col("record_id").is_in(west.implode()))
        .then(pl.lit("west"))
        .otherwise(pl.col("region"))
    )


def test_sparse_level_refused_naming_the_cell() -> None:
    analysis, persons = _data()
    spec = _spec(covariates=("sex", "region"))
    with pytest.raises(
        DisclosureError,
        match=r"refused: fewer than 10 persons with each outcome value.*region = 'west'",
    ):
        run_model(spec, _with_sparse_region(analysis, persons), persons, CBS)
    # The threshold is the profile's: at 3 the same level is published (alone: with sex, its
    # combinations with each sex would also need 3 persons).
    loose = dataclasses.replace(CBS, threshold=3)
    alone = _spec(covariates=("region",))
    terms = run_model(alone, _with_sparse_region(analysis, persons), persons, loose).fit.terms
    assert "region: west" in terms


def test_sparse_level_merged_when_asked() -> None:
    """merge_sparse_levels: 'west' joins 'other' (too small alone) and so the reference; the
    merge is logged and no term for 'west' exists; N is unchanged."""
    analysis, persons = _data()
    spec = _spec(
        covariates=("sex", "region"), merge_sparse_levels=True, reference={"region": "north"}
    )
    result = run_model(spec, _with_sparse_region(analysis, persons), persons, CBS)
    plain = run_model(_spec(covariates=("sex", "region")), analysis, persons, CBS)
    assert not any("west" in t or "other" in t for t in result.fit.terms)
    assert result.merges == [
        "region: levels 'west' merged into the reference 'north' (not a level of their own)"
    ]
    assert result.fit.n == plain.fit.n


def test_sparse_interaction_cell_refused_or_merged() -> None:
    analysis, persons = _data()
    # Few women in the east: the interaction cell is sparse, the main levels are not.
    sparse = analysis.with_columns(
        region=pl.when((pl.col("sex") == "woman") & (pl.col("region") == "east") & (pl.int_range(pl.len()) > 60))
        .then(pl.lit("north")).otherwise(pl.col("region"))
    )  # fmt: skip
    spec = _spec(
        covariates=("sex", "region"),
        interactions=(("sex", "region"),),
        reference={"sex": "man", "region": "north"},
    )
    with pytest.raises(DisclosureError, match=r"sex = 'woman' x region = 'east'"):
        run_model(spec, sparse, persons, CBS)
    # Merging the interaction term away does not hide the cell: the main effects' estimates
    # still give away how many persons it holds.
    with pytest.raises(DisclosureError, match=r"each combination of sex, region"):
        run_model(dataclasses.replace(spec, merge_sparse_levels=True), sparse, persons, CBS)
    # A cell with enough persons but few of one outcome value loses its own term only.
    few_working = persons.join(sparse, on="record_id").filter(
        (pl.col("sex") == "woman") & (pl.col("region") == "south") & pl.col("in_work_at_end")
    )["record_id"].head(-5)  # fmt: skip
    outcome_sparse = persons.with_columns(
        in_work_at_end=pl.when(pl.col("record_id").is_in(few_working.implode()))
        .then(pl.lit(False)).otherwise(pl.col("in_work_at_end"))
    )  # fmt: skip
    unsparse = analysis  # every combination holds enough persons here
    merged = run_model(dataclasses.replace(spec, merge_sparse_levels=True), unsparse,
                       outcome_sparse, CBS)  # fmt: skip
    assert "sex: woman x region: south" not in merged.fit.terms
    assert "sex: woman x region: east" in merged.fit.terms
    assert any("merged into the reference" in m for m in merged.merges)


def test_min_organisations_applies_to_levels() -> None:
    """A level whose records all come from one project is refused (results per organisation)."""
    analysis, persons = _data()
    one_project = analysis.with_columns(
        region=pl.when(pl.col("project") == "P0")
        .then(pl.lit("capital"))
        .otherwise(pl.col("region"))
    )
    spec = _spec(covariates=("region",), reference={"region": "north"})
    with pytest.raises(DisclosureError, match=r"fewer than 2 projects.*region = 'capital'"):
        run_model(spec, one_project, persons, CBS)
    loose = dataclasses.replace(CBS, min_organisations=1)
    assert "region: capital" in run_model(spec, one_project, persons, loose).fit.terms


def test_project_terms_and_intercept_never_published() -> None:
    analysis, persons = _data()
    result = run_model(_spec(covariates=("sex",), fixed_effects=True), analysis, persons, CBS)
    everything = result.fit.coefficients(published=False)["term"].to_list()
    assert sum(t.startswith("project: ") for t in everything) == 5 and "(intercept)" in everything
    for frame in export_tables(result).values():
        text = frame.write_csv()
        assert "project" not in text.lower() and "(intercept)" not in text
        assert not any(f"P{i}" in text for i in range(6))
    assert export_tables(result)["model_m.csv"]["term"].to_list() == ["sex: woman"]
    # Without fixed effects the intercept is an ordinary parameter and is published.
    plain = run_model(_spec(covariates=("sex",)), analysis, persons, CBS)
    assert export_tables(plain)["model_m.csv"]["term"].to_list() == ["(intercept)", "sex: woman"]


def test_small_projects_share_one_fixed_effect() -> None:
    """A project with (nearly) one outcome value has no finite effect: such projects are pooled."""
    analysis, persons = _data()
    tiny = pl.DataFrame({"project": ["P9"] * 8})
    analysis = analysis.with_columns(
        project=pl.when(pl.int_range(pl.len()) < 8).then(pl.lit("P9")).otherwise(pl.col("project"))
    )
    assert tiny.height == 8
    result = run_model(_spec(covariates=("sex",), fixed_effects=True), analysis, persons, CBS)
    assert result.pooled_projects == 1
    assert (
        "project: (pooled projects)" in result.fit.terms and "project: P9" not in result.fit.terms
    )


def test_project_feature_with_fixed_effects_refused() -> None:
    """A covariate constant within projects is absorbed by their fixed effects: refused by name."""
    analysis, persons = _data()
    analysis = analysis.with_columns(sectoral=pl.col("project").is_in(["P0", "P2", "P4"]))
    with pytest.raises(
        DisclosureError, match=r"'sectoral: (true|false)' is a combination of other terms"
    ):
        run_model(_spec(covariates=("sex", "sectoral"), fixed_effects=True), analysis, persons, CBS)


def test_outcome_without_enrolments_is_an_error() -> None:
    analysis, persons = _data()
    persons = persons.with_columns(pl.lit(None, pl.Boolean).alias("enrolled_at_end"))
    with pytest.raises(ConfigError, match="needs enrolments"):
        run_model(_spec(outcome="enrolled_at_end"), analysis, persons, CBS)


def test_numeric_covariate_unreadable_value_names_row_and_column() -> None:
    analysis, persons = _data()
    assert (
        run_model(_spec(covariates=("score",), numeric=("score",)), analysis, persons, CBS).fit.n
        > 0
    )
    bad = analysis.with_columns(
        score=pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("veel")).otherwise(pl.col("score"))
    )
    with pytest.raises(
        ValueParseError, match=r"row 5 \(record r0004\), column 'score': cannot read 'veel'"
    ):
        build_sample(_spec(covariates=("score",), numeric=("score",)), bad, persons, threshold=10)


def test_a_number_with_two_values_is_checked_as_levels() -> None:
    """Red team 27: a 'number' of 6 for a handful of records and 0 for the rest made the
    intercept the larger group's cell, and N gave the handful back. A number with two values is
    refused where either group is too small; with large groups it is fitted as a number."""
    analysis, persons = _data()
    few = persons.head(7)["record_id"]
    spec = _spec(covariates=("months",), numeric=("months",))
    two = analysis.with_columns(
        months=pl.when(pl.col("record_id").is_in(few.implode()))
        .then(pl.lit("6"))
        .otherwise(pl.lit("0"))
    )
    with pytest.raises(DisclosureError, match=r"months takes two values.*months = "):
        run_model(spec, two, persons, CBS)
    half = persons.filter(pl.int_range(pl.len()) % 2 == 0)["record_id"]
    large = analysis.with_columns(
        months=pl.when(pl.col("record_id").is_in(half.implode()))
        .then(pl.lit("6"))
        .otherwise(pl.lit("0"))
    )
    assert "months" in run_model(spec, large, persons, CBS).fit.terms


def test_icc_against_hand_computation() -> None:
    """Two projects of 4: y = [1,1,1,0] and [0,0,0,1]: MSB = 4 (1/4)^2 2 / 1 = 1/2, MSW = 1.5 / 6 = 1/4, n0 = 4,
    ICC = (1/2 - 1/4) / (1/2 + 3/4) = 1/5; outcome constant within projects gives 1."""
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1], dtype=float)
    projects = np.array(["a"] * 4 + ["b"] * 4)
    assert project_icc(y, projects) == pytest.approx(1 / 5)
    assert project_icc(
        np.array([1, 1, 0, 0], dtype=float), np.array(["a", "a", "b", "b"])
    ) == pytest.approx(1.0)
    assert project_icc(y, np.array(["a"] * 8)) is None


def test_vif_is_one_over_one_minus_r2() -> None:
    analysis, persons = _data()
    sample = build_sample(_spec(covariates=("age", "region")), analysis, persons, threshold=10)
    design = build_design(sample)
    table = dict(vif(design).select("term", "vif").iter_rows())
    assert set(table) == set(design.terms) - {"(intercept)"}
    for term in ("age", "region: south", "age: unknown"):
        i = design.terms.index(term)
        r2 = OLS(design.x[:, i], np.delete(design.x, i, axis=1)).fit().rsquared
        assert table[term] == pytest.approx(1 / (1 - r2), rel=1e-9)


def test_stepwise_drops_noise_keeps_signal_and_respects_interactions() -> None:
    analysis, persons = _data()
    # noise alternates within each (outcome, sex) group: it carries no information on the outcome.
    with_y = analysis.join(persons.select("record_id", "in_work_at_end"), on="record_id")
    analysis = with_y.with_columns(
        noise=pl.when(pl.int_range(pl.len()).over("in_work_at_end", "sex") % 2 == 0)
        .then(pl.lit("a")).otherwise(pl.lit("b"))
    ).drop("in_work_at_end")  # fmt: skip
    sample = build_sample(
        _spec(covariates=("sex", "age", "noise"), stepwise=True), analysis, persons, threshold=10
    )
    kept, steps = backward_stepwise(sample)
    assert "noise" not in kept and "sex" in kept
    aics = [s["aic"] for s in steps]
    assert aics == sorted(aics, reverse=True) and steps[0]["removed"] is None
    # A covariate in an interaction stays while the interaction does.
    spec = _spec(covariates=("sex", "noise"), interactions=(("sex", "noise"),), stepwise=True)
    kept2, steps2 = backward_stepwise(build_sample(spec, analysis, persons, threshold=10))
    removed = [s["removed"] for s in steps2[1:]]
    if "noise" in removed:
        assert removed.index("sex*noise") < removed.index("noise")
    else:
        assert "noise" in kept2


def _toml(tmp_path: Path, models: str) -> Path:
    path = tmp_path / "project.toml"
    path.write_text(f'[project]\nname = "t"\n{models}', encoding="utf-8")
    return path


def test_models_config_checked_before_work(tmp_path: Path) -> None:
    ok = _toml(tmp_path, '[[models]]\nname = "a"\noutcome = "in_work_at_end"\ncovariates = ["sex", "age_group"]\n'
                         'reference = { sex = "man" }\ninteractions = ["sex*age_group"]\nexclude_destinations = ["education"]\n')  # fmt: skip
    (spec,) = load_project(ok).models
    assert spec.interactions == (("sex", "age_group"),) and sample_destinations(spec) == {
        "work", "work_and_learn", "work_experience", "dropout", "other", "unknown"}  # fmt: skip
    cases = {
        'name = "a"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\ncovariate = ["x"]\n': r"unknown key 'covariate' - did you mean 'covariates'\?",
        'name = "a"\noutcome = "in_work"\ncovariates = ["sex"]\n': r"outcome 'in_work' is not one of",
        'name = "a"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\ninteractions = ["sex*age"]\n': r"'age' is not one of the covariates",
        'name = "a"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\nexclude_destinations = ["school"]\n': r"not an exit destination",
        'name = "a b"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\n': r"may hold only letters",
        'name = "wal6"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\n': r"no digits",
        'name = "a"\noutcome = "in_work_at_end"\ncovariates = "sex"\n': r"covariates must be a list",
        'name = "a"\noutcome = "in_work_at_end"\ncovariates = ["sex"]\nstepwise = "yes"\n': r"stepwise must be a bool",
    }
    for body, message in cases.items():
        with pytest.raises(ConfigError, match=message):
            load_project(_toml(tmp_path, "[[models]]\n" + body))


def test_covariate_columns_checked() -> None:
    (spec,) = parse_models(
        "p.toml", [{"name": "a", "outcome": "in_work_at_end", "covariates": ["sexe"]}]
    )
    with pytest.raises(
        ConfigError,
        match=r"covariate 'sexe' is not a column of the analysis data - did you mean 'sex'",
    ):
        check_columns([spec], ["record_id", "sex", "project"], CBS, "p.toml")
    (project,) = parse_models(
        "p.toml", [{"name": "a", "outcome": "in_work_at_end", "covariates": ["project"]}]
    )
    with pytest.raises(ConfigError, match="set fixed_effects = true instead"):
        check_columns([project], ["record_id", "sex", "project"], CBS, "p.toml")
    (age,) = parse_models(
        "p.toml", [{"name": "a", "outcome": "in_work_at_end", "covariates": ["age"]}]
    )
    with pytest.raises(ConfigError, match="computed from birth_year and entry_date"):
        check_columns([age], ["record_id", "sex", "birth_year"], CBS, "p.toml")


def test_model_command_before_run_explains(tmp_path: Path) -> None:
    """`nbnb-cbs model` without an earlier run: exit 2, one line saying to run first; a project
    without [[models]] says so too."""
    from tests.conftest import Cli

    project = _toml(
        tmp_path,
        '[output]\nwork = "w"\n[[models]]\nname = "a"\noutcome = "in_work_at_end"\n'
        'covariates = ["sex"]\n',
    )
    code, out, err = Cli()("model", project)
    assert code == 2, out
    assert "analysis.parquet not found" in err and "run it first" in err
    assert len(err.strip().splitlines()) == 1
    bare = tmp_path / "bare.toml"
    bare.write_text('[project]\nname = "t"\n', encoding="utf-8")
    code, _, err = Cli()("model", bare)
    assert code == 2 and "no [[models]] tables" in err


def test_results_of_a_model_no_longer_configured_are_stale(tmp_path: Path) -> None:
    """`run` removes work/models/ files of a model an earlier run fitted and the project no
    longer has, and keeps those of the models it still has."""
    from nbnb_cbs.preflight import stale_results

    project = _toml(
        tmp_path,
        '[output]\nwork = "w"\n[[models]]\nname = "a"\noutcome = "in_work_at_end"\n'
        'covariates = ["sex"]\n',
    )
    folder = tmp_path / "w" / "models"
    folder.mkdir(parents=True)
    for name in ("a", "old"):
        for file in (
            f"{name}.json",
            f"{name}_vif.csv",
            f"model_{name}.csv",
            f"model_{name}_fit.csv",
        ):
            (folder / file).write_text("x", encoding="utf-8")
    stale = stale_results(load_project(project))
    assert sorted(p.name for p, _ in stale) == [
        "model_old.csv",
        "model_old_fit.csv",
        "old.json",
        "old_vif.csv",
    ]
    assert all("model 'old' is not in [[models]]" in why for _, why in stale)


def test_notes_name_merges_pooled_projects_and_high_vif() -> None:
    """A near-copy of a covariate has a VIF far above 10: named in the notes, not dropped."""
    analysis, persons = _data()
    rng = np.random.default_rng(4)
    analysis = analysis.with_columns(
        twin=pl.Series([float(b or 1985) + rng.normal(0, 0.05) for b in analysis["birth_year"]]),
        project=pl.when(pl.int_range(pl.len()) < 8).then(pl.lit("P9")).otherwise(pl.col("project")),
    )
    spec = _spec(covariates=("age", "twin"), numeric=("twin",), fixed_effects=True)
    result = run_model(spec, analysis, persons, CBS)
    notes = result.notes()
    assert any("1 project(s) with too few persons" in n for n in notes)
    (high,) = [n for n in notes if "VIF above 10" in n]
    assert "age" in high and "twin" in high and "twin" in result.fit.terms


def test_interaction_cell_of_a_reference_level_is_checked_too() -> None:
    """Men in the east are few: the cell (reference sex x east) has no term of its own, but with
    the interaction its rate is estimable: refused, also with merge_sparse_levels."""
    analysis, persons = _data()
    sparse = analysis.with_columns(
        region=pl.when((pl.col("sex") == "man") & (pl.col("region") == "east") & (pl.int_range(pl.len()) > 60))
        .then(pl.lit("north")).otherwise(pl.col("region"))
    )  # fmt: skip
    spec = _spec(covariates=("sex", "region"), interactions=(("sex", "region"),),
                 reference={"sex": "man", "region": "north"}, merge_sparse_levels=True)  # fmt: skip
    with pytest.raises(
        DisclosureError, match=r"sex = 'man' x region = 'east' \(a reference level's cell"
    ):
        run_model(spec, sparse, persons, CBS)
    # Without the interaction the main effects still give away the persons per combination.
    with pytest.raises(DisclosureError, match=r"each combination of sex, region"):
        run_model(dataclasses.replace(spec, interactions=()), sparse, persons, CBS)


def test_small_differences_between_published_populations_refused() -> None:
    """Excluding a destination that holds 1..9 linked records, or two models whose samples
    differ by 1..9 records, would give that group away: refused; 0 or >= 10 is fine."""
    from nbnb_cbs.models import run_models

    analysis, persons = _data()
    linked = persons.filter(pl.col("RINPERSOON").is_not_null())["record_id"]
    few = analysis.filter(pl.col("record_id").is_in(linked.implode())).head(6)["record_id"]
    analysis = analysis.with_columns(
        exit_destination=pl.when(pl.col("record_id").is_in(few.implode()))
        .then(pl.lit("work_experience"))
        .when(pl.col("exit_destination") == "work_experience")
        .then(pl.lit("other"))
        .otherwise(pl.col("exit_destination"))
    )
    alone = _spec(name="a", exclude_destinations=("work_experience",))
    with pytest.raises(DisclosureError, match="the destinations it excludes hold fewer than 10"):
        run_models((alone,), analysis, persons, CBS)
    both = (_spec(name="a", exclude_destinations=("education",)),
            _spec(name="b", exclude_destinations=("education", "work_experience")))  # fmt: skip
    with pytest.raises(
        DisclosureError, match="model 'b' refused: its sample differs from model 'a'"
    ):
        run_models(both, analysis, persons, CBS)
    fine = (_spec(name="a", exclude_destinations=("education",)),
            _spec(name="b", exclude_destinations=("education", "dropout")))  # fmt: skip
    n_a, n_b = (r.fit.n for r in run_models(fine, analysis, persons, CBS))
    assert n_a - n_b >= 10


def test_sparse_combination_of_covariates_refused_without_an_interaction() -> None:
    """Each level is big enough, but women in the east are few: a main-effects logit's estimates
    determine the persons per combination (a red team rebuilt such a table), so it is refused."""
    analysis, persons = _data()
    linked = persons.filter(pl.col("RINPERSOON").is_not_null()).join(analysis, on="record_id")
    east_women = linked.filter((pl.col("sex") == "woman") & (pl.col("region") == "east"))
    moved = east_women["record_id"].head(east_women.height - 6)  # leave 6 women in the east
    analysis = analysis.with_columns(
        region=pl.when(pl.col("record_id").is_in(moved.implode()))
        .then(pl.lit("north"))
        .otherwise(pl.col("region"))
    )
    spec = _spec(covariates=("sex", "region"))
    with pytest.raises(DisclosureError, match=r"each combination of sex, region.*region = 'east'"):
        run_model(spec, analysis, persons, CBS)
    loose = dataclasses.replace(CBS, threshold=5)  # the profile's threshold decides
    assert "region: east" in run_model(spec, analysis, persons, loose).fit.terms
