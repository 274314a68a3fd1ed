"""Whole-release disclosure control: what an attacker who reads only export/ can derive.

The attacks here are written apart from the protection code: each reads the published CSVs and
applies one derivation class found against earlier versions (two anchors, the distribution, two
shares of one cell, nested groups, the series' precision, statuses, tables that share persons,
organisations). None may give a count of 1..9 persons or pin a suppressed cell.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import Cli
from tests.disclosure import attacks

T = 10


def _project(root: Path, participants: int, seed: int, by: str = '["sectoral"]') -> Path:
    from nbnb_cbs import synth

    options = synth.SynthOptions(participants=participants, seed=seed, format="parquet")
    synth.write(synth.build(options), root / "data", "parquet")
    project = root / "project.toml"
    project.write_text(
        '[project]\nname = "p"\n[inputs]\nregistration = "data/registration.csv"\n'
        'register = "data/register"\njobs = "data/jobs.parquet"\nenrolments = "data/enrolments.parquet"\n'
        f'[analysis]\nend = "2021-12"\nby = {by}\n',
        encoding="utf-8",
    )
    return project


@pytest.fixture(scope="module", params=[(150, 11), (300, 5)], ids=["150-seed11", "300-seed5"])
def export(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    participants, seed = request.param
    root = tmp_path_factory.mktemp(f"rel{participants}")
    code, out, err = Cli()("run", _project(root, participants, seed))
    assert code == 0, err + out
    return root / "export"


def test_statuses_and_log_reveal_no_reasons(export: Path) -> None:
    """Class 6: released statuses are plain words; the log names no per-cell rule."""
    assert attacks.statuses_and_log(export) == []
    assert (export.parent / "export-review" / "review.json").is_file()


def test_anchors_do_not_differ_by_a_small_count(export: Path) -> None:
    """Classes 2 and 5: exit worked_1m is first-job exit_work; observed_12m of both anchors."""
    assert attacks.anchors(export, "sectoral") == []


def test_distribution_does_not_give_back_a_hidden_group(export: Path) -> None:
    """Class 3: the bins add up to the distribution anchor's worked_1m group."""
    assert attacks.distribution(export) == []


def test_two_shares_of_one_cell_give_no_small_count(export: Path) -> None:
    """Class 4: (share_ge_90 - share_100) x n must not pin a count of 1..9."""
    assert attacks.two_shares(export, "sectoral") == []


def test_series_precision_does_not_undo_pooling(export: Path) -> None:
    """Class 1: shares to whole percents, denominators rounded to 10, pooled inflow."""
    assert attacks.series(export) == []


def test_tables_that_share_persons(export: Path) -> None:
    """Class 7: hidden linked counts are not published as snapshot denominators."""
    assert attacks.shared_persons(export, "sectoral") == []


def test_no_published_count_below_the_threshold(export: Path) -> None:
    assert attacks.small_counts(export) == []


def test_steward_check_agrees(export: Path, tmp_path: Path) -> None:
    """The steward's joint audit, from the export alone, finds nothing."""
    code, out, _ = Cli()("disclosure", "check", export, "--report", tmp_path / "r.json")
    assert code == 0, out


def test_the_audit_does_not_depend_on_the_logs_table_order(export: Path) -> None:
    """Red team 36: the log's tables listed in reverse made the audit tie the distribution's bins
    to the first-job anchor and claim a hidden bin within [28.8, 29.4]. The bins' anchor is the
    one the distribution's entry names: the same verdict and model in either order."""
    import json

    from nbnb_cbs.disclosure import load_profile
    from nbnb_cbs.disclosure.release_audit import audit_export

    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    profile = load_profile("cbs")
    found, summary = audit_export(export, log, manifest, profile)
    reversed_log = log | {"tables": log["tables"][::-1]}
    found_r, summary_r = audit_export(export, reversed_log, manifest, profile)
    assert found == found_r == []
    assert summary["atoms"] == summary_r["atoms"]
    assert summary["constraints"] == summary_r["constraints"]


def test_a_table_kind_the_tool_does_not_define_is_a_finding(export: Path, tmp_path: Path) -> None:
    """Steward 58: a planted snapshot_sex table (kind snapshot_category, a category nbnb-cbs has
    no categories for) stopped the check with an internal error and no verdict."""
    import json

    from nbnb_cbs.disclosure import load_profile
    from nbnb_cbs.disclosure.release_audit import audit_export

    copy = tmp_path / "export"
    shutil.copytree(export, copy)
    jobs = pl.read_csv(copy / "tables" / "snapshot_jobs.csv", separator=";", infer_schema=False)
    jobs.write_csv(copy / "tables" / "snapshot_sex.csv", separator=";")
    log = json.loads((copy / "disclosure-log.json").read_text(encoding="utf-8"))
    entry = next(t for t in log["tables"] if t.get("table") == "snapshot_jobs")
    log["tables"].append(entry | {"file": "tables/snapshot_sex.csv", "table": "snapshot_sex"})
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    found, _ = audit_export(copy, log, manifest, load_profile("cbs"))
    assert ("tables/snapshot_sex.csv", "unknown_table") in {(f[0], f[2]) for f in found}


def test_breakdown_that_identifies_projects_is_refused(tmp_path: Path) -> None:
    """Class 9: results per organisation, whatever the column is called, are refused."""
    project = _project(tmp_path, 150, 3, by='["organisatie"]')
    reg = tmp_path / "data" / "registration.csv"
    text = reg.read_text(encoding="utf-8").splitlines()
    header = text[0].split(";")
    col = next(i for i, h in enumerate(header) if h.lower() in ("project", "projectnaam"))
    text = [text[0] + ";org_code"] + [line + ";" + line.split(";")[col] for line in text[1:]]
    reg.write_text("\n".join(text) + "\n", encoding="utf-8")
    project.write_text(project.read_text(encoding="utf-8").replace('"organisatie"', '"org_code"'),
                       encoding="utf-8")  # fmt: skip
    code, _, err = Cli()("run", project)
    assert code == 2 and "project" in err, err


def test_a_rerun_after_one_withdrawal_is_refused_or_suppressed(tmp_path: Path) -> None:
    """Class 8: two releases that differ by one person must not both leave. A cell the first
    release hid stays hidden in the second (red team 59: shown, the women's count gave the
    persons of unknown sex and the withdrawn together against the first's total)."""
    project = _project(tmp_path, 300, 5)
    cli = Cli()
    code, out, err = cli("run", project)
    assert code == 0, err + out
    first = tmp_path / "first" / "export"
    shutil.copytree(tmp_path / "export", first)
    reg = tmp_path / "data" / "registration.csv"
    lines = reg.read_text(encoding="utf-8").splitlines()
    header = [h.lower() for h in lines[0].split(";")]
    consent = header.index("toestemming")
    # The first consenting participant withdraws.
    for k in range(1, len(lines)):
        fields = lines[k].split(";")
        if fields[consent].lower() in ("ja", "j", "yes", "1"):
            fields[consent] = "nee"
            lines[k] = ";".join(fields)
            break
    reg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = cli("run", project)
    assert code == 2 and "earlier release" in err, err
    project.write_text(
        project.read_text(encoding="utf-8") + '[disclosure]\nprevious = "suppress"\n',
        encoding="utf-8",
    )
    code, out, err = cli("run", project)
    assert code == 0, err + out
    yld = attacks.table(tmp_path / "export", "linkage_yield")
    assert yld is not None
    records = yld.filter((pl.col("statistic") == "records") & (pl.col("sectoral") == "Total"))
    assert records["status"][0] == "suppressed"
    for path in sorted((first / "tables").glob("*.csv")):
        before = pl.read_csv(path, separator=";", infer_schema=False)
        now = pl.read_csv(tmp_path / "export" / "tables" / path.name, separator=";",
                          infer_schema=False)  # fmt: skip
        cell = [c for c in before.columns if c not in ("value", "n", "status", "pool")]
        hidden = before.filter(pl.col("status") == "suppressed").select(cell)
        assert now.join(hidden, on=cell).filter(pl.col("status") != "suppressed").is_empty(), path
    code, out, _ = cli("disclosure", "check", tmp_path / "export", "--previous", first)
    assert code == 0, out


def test_a_release_whose_lp_stalls_warm_is_solved_cold(tmp_path: Path) -> None:
    """150 participants of synth seed 2502 with a logit on sex: after many suppressions HiGHS's
    warm-started simplex ended in an unknown status and the run stopped with an internal error
    (red team 25's export could not be made). A cold start settles it; the run passes its own
    steward's check."""
    project = _project(tmp_path, 150, 2502)
    with project.open("a", encoding="utf-8") as fh:
        fh.write('[disclosure]\nrounding = 0\n[[models]]\nname = "m"\noutcome = "in_work_at_end"\n'
                 'covariates = ["sex"]\nmerge_sparse_levels = true\n')  # fmt: skip
    code, out, err = Cli()("run", project)
    assert code == 0, err + out
    assert (tmp_path / "export" / "manifest.json").exists()


@pytest.mark.parametrize("zeros", [False, True])
def test_a_proof_for_a_large_set_does_not_pass_for_a_set_it_does_not_lie_in(zeros: bool) -> None:
    """A set proved to hold at least the threshold saves the LPs of the sets that contain it.
    Containment was counted in 8 bits: a proven set of 257 atoms, 256 of them outside a one-atom
    set, wrapped to 0 and passed for one inside it, so an atom pinned to 4 records (or to 0,
    where zeros are disclosive) went unprotected as if it held the proven 665 (a breakdown by a
    4-valued city then failed the run's own check, 267 atoms found narrow)."""
    from nbnb_cbs.disclosure.lp import Form, Program, Row

    n = 257
    pinned = 0.0 if zeros else 4.0
    rows = [Row(tuple(range(n)), (1.0,) * n, 665.0, 665.0, 0), Row((0,), (1.0,), pinned, pinned, 1)]
    program = Program(n, rows)
    everything = Form(tuple(range(n)), (1.0,) * n, "small", "all atoms", ((tuple(range(n))), ()))
    bad, low, _, _ = program.check(everything, 10.0, 10.0, zeros)
    assert not bad and low == pytest.approx(665.0)  # proved, and the proof kept
    one = Form((0,), (1.0,), "small", "atom 0", ((0,), ()))
    bad, low, high, _ = program.check(one, 10.0, 10.0, zeros)
    assert bad and low == pytest.approx(pinned) and high == pytest.approx(pinned)


def test_sets_whose_text_polars_shortens_alike_are_told_apart() -> None:
    """Two models keeping all destinations but one: polars writes both samples' lists shortened
    alike ('["dropout", "education", … "work_experience"]'), and sets were told apart by that
    text, so the second model's N was counted as the first's (a run with two such models
    stopped on 'its N is 396 but the release model counts 537'; a set so confused is also
    protected and audited as the wrong set)."""
    from nbnb_cbs.disclosure.catalogue import Domains, release_destinations
    from nbnb_cbs.disclosure.release import build_model
    from nbnb_cbs.schemas import EXIT_DESTINATIONS

    every = sorted(EXIT_DESTINATIONS)
    fewer = [d for d in every if d != "other"]
    domains = Domains(
        anchors=("exit",),
        destinations=release_destinations([every, fewer], EXIT_DESTINATIONS, True),
    )
    model = build_model(domains, [])
    a, b = pl.col("dest").is_in(every), pl.col("dest").is_in(fewer)
    assert str(a) == str(b)  # the text polars gives both (what the masks were keyed on)
    other = model.mask(pl.col("dest") == "other")
    assert other.any()
    assert (model.mask(a) & ~model.mask(b) == other).all()


def _model_cells(export: Path, name: str) -> dict[str, tuple[float, float]] | None:
    """An attacker's reading of a published logit on one categorical covariate: per level, its
    persons and those with the outcome, from B and SE (the intercept is the reference level's
    cell; a level's variance is its SE squared less the intercept's)."""
    import math

    path = export / f"model_{name}.csv"
    if not path.is_file():
        return None
    coef = pl.read_csv(path, separator=";")
    b0, s0 = coef.row(0)[1], coef.row(0)[2]
    out = {"(reference)": (1 / (s0**2 * _p(b0) * (1 - _p(b0))), 0.0)}
    out["(reference)"] = (out["(reference)"][0], out["(reference)"][0] * _p(b0))
    for term, b, se, *_ in coef.iter_rows():
        if term == "(intercept)":
            continue
        p = _p(b0 + b)
        persons = 1 / ((se**2 - s0**2) * p * (1 - p))
        out[term] = (persons, persons * p)
    assert all(math.isfinite(v) for pair in out.values() for v in pair)
    return out


def _p(x: float) -> float:
    import math

    return 1 / (1 + math.exp(-x))


MODELS = {"alle": (), "zonder": ("education",)}  # name: exit destinations left out


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """700 participants of synth seed 3002, no breakdown, two logits on sex, one leaving out the
    leavers to education: the project's folder and what `run` printed."""
    root = tmp_path_factory.mktemp("two_models")
    project = _project(root, 700, 3002, by="[]")
    with project.open("a", encoding="utf-8") as fh:
        for name, left_out in MODELS.items():
            extra = f"exclude_destinations = {list(left_out)!r}\n".replace("'", '"')
            fh.write(f'[[models]]\nname = "{name}"\noutcome = "in_work_at_end"\n'
                     f'covariates = ["sex"]\nreference = {{ sex = "man" }}\n{extra}')  # fmt: skip
    code, out, err = Cli()("run", project)
    assert code == 0, err + out
    return root, out + err


def test_two_models_whose_samples_differ_by_a_destination_give_no_small_group(
    two_models: tuple[Path, str],
) -> None:
    """Each model alone is safe, and N, N_outcome and their differences are all at least 10,
    but B and SE give each model's persons per sex with and without the outcome, and the women
    leaving to education in work at the end were 3 (the release counted only N and N_outcome,
    and published both). Either model may be withheld; what is published must not difference to
    1..9."""
    root, said = two_models
    # The leak is there to be had: the women leaving to education, in work at the end.
    work = root / "work"
    analysis = pl.read_parquet(work / "linkage" / "analysis.parquet")
    persons = pl.read_parquet(work / "exit" / "persons.parquet").filter(
        pl.col("RINPERSOON").is_not_null()
    )
    women = (
        analysis.with_columns(pl.col("record_id").cast(pl.String))
        .join(persons.select(pl.col("record_id").cast(pl.String), "in_work_at_end"), on="record_id")
        .filter((pl.col("sex") == "woman") & (pl.col("exit_destination") == "education"))
    )
    assert 0 < int(women["in_work_at_end"].sum()) < T
    export = root / "export"
    first, second = _model_cells(export, "alle"), _model_cells(export, "zonder")
    if first is None or second is None:
        assert "withheld" in said and (first, second) != (None, None)
        return
    for level, (persons_in, ones) in first.items():
        other_persons, other_ones = second[level]
        for difference in (persons_in - other_persons, ones - other_ones,
                           (persons_in - ones) - (other_persons - other_ones)):  # fmt: skip
            assert not 0.5 < abs(difference) < T - 0.5, (level, difference)


def test_the_steward_audits_a_planted_models_persons_per_level(
    two_models: tuple[Path, str], tmp_path: Path
) -> None:
    """The export above with one model, and the withheld model's files put into it by hand
    (fitted on the same work data, its levels logged as nbnb-cbs logs them): the joint audit
    reads both models' persons per sex from B and SE and finds the 3 women; the planted model
    alone in a later release is found against the earlier one; a log without the planted
    model's levels is a finding of its own (red team 27, cases 02, 03, 09)."""
    import dataclasses
    import json

    from nbnb_cbs.disclosure import load_profile
    from nbnb_cbs.disclosure.catalogue import OTHER_LEVEL
    from nbnb_cbs.disclosure.release_audit import audit_export
    from nbnb_cbs.disclosure.steward.model import load_export
    from nbnb_cbs.disclosure.steward.models import models_pass
    from nbnb_cbs.disclosure.steward.releases import previous_pass
    from nbnb_cbs.models import export_tables, log_entry, parse_models
    from nbnb_cbs.models.run import release_levels, run_model

    root, _ = two_models
    export = tmp_path / "export"
    shutil.copytree(root / "export", export)
    shutil.copytree(root / "export", tmp_path / "earlier")
    log_path = export / "disclosure-log.json"
    log = json.loads(log_path.read_text(encoding="utf-8"))
    # The release as the run wrote it: one model, its levels logged.
    assert len(log["models"]) == 1 and log["models"][0]["levels"]
    kept = log["models"][0]["name"]
    planted = next(name for name in MODELS if name != kept)
    profile = load_profile("cbs")
    base = parse_models("project.toml", [{"name": kept, "outcome": "in_work_at_end",
                                          "covariates": ["sex"], "reference": {"sex": "man"}}])[0]  # fmt: skip
    specs = [dataclasses.replace(base, name=n, exclude_destinations=MODELS[n]) for n in (kept, planted)]  # fmt: skip
    analysis = pl.read_parquet(root / "work" / "linkage" / "analysis.parquet")
    persons = pl.read_parquet(root / "work" / "exit" / "persons.parquet")
    first, second = (run_model(s, analysis, persons, profile) for s in specs)
    _, _, levels = release_levels([first, second], OTHER_LEVEL)
    first.levels, second.levels = levels
    for name, table in export_tables(second).items():
        table.write_csv(export / name, separator=";")
    log["models"] = [log_entry(first), log_entry(second)]
    log_path.write_text(json.dumps(log), encoding="utf-8")
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    found, _ = audit_export(export, log, manifest, profile)
    narrow = [cell for _, cell, rule, _ in found if rule == "narrow_interval"]
    assert any("{'level': 'sex: woman'}" in str(cell) for cell in narrow), found
    # What the log says of the planted model's numbers is not taken on trust (red team 46):
    # its levels marked without their outcome, its reference levels left out, or fixed effects
    # claimed with its intercept taken out of the file; B and SE still give the 3 women.
    coef_file = export / f"model_{planted}.csv"
    plain = coef_file.read_text(encoding="utf-8")
    without_intercept = "\n".join(
        line for line in plain.split("\n") if not line.startswith("(intercept)")
    )
    for doctored, text in (
        ({"levels": [{**lv, "outcome": False} for lv in log_entry(second)["levels"]]}, plain),
        ({"reference_levels": {}}, plain),
        ({"fixed_effects": True}, without_intercept),
    ):
        assert without_intercept != plain
        coef_file.write_text(text, encoding="utf-8")
        log["models"] = [log_entry(first), {**log_entry(second), **doctored}]
        found, _ = audit_export(export, log, manifest, profile)
        narrow = [cell for _, cell, rule, _ in found if rule == "narrow_interval"]
        assert any("{'level': 'sex: woman'}" in str(cell) for cell in narrow), (doctored, found)
    coef_file.write_text(plain, encoding="utf-8")
    # The planted model as a linear probability model: B, SE and the residual variance give its
    # persons per level as well (red team 50).
    linear = run_model(dataclasses.replace(specs[1], kind="lpm"), analysis, persons, profile)
    linear.levels = second.levels
    for name, table in export_tables(linear).items():
        table.write_csv(export / name, separator=";")
    log["models"] = [log_entry(first), log_entry(linear)]
    found, _ = audit_export(export, log, manifest, profile)
    narrow = [cell for _, cell, rule, _ in found if rule == "narrow_interval"]
    assert any("{'level': 'sex: woman'}" in str(cell) for cell in narrow), found
    for name, table in export_tables(second).items():
        table.write_csv(export / name, separator=";")
    # A sample said otherwise than its exclusions, or a destination listed twice (red team 51).
    for sample in (
        [d for d in log_entry(second)["sample_destinations"] if d != "other"],
        [*log_entry(second)["sample_destinations"], "work"],
    ):
        log["models"] = [log_entry(first), {**log_entry(second), "sample_destinations": sample}]
        log_path.write_text(json.dumps(log), encoding="utf-8")
        assert "model_sample" in {f.rule for f in models_pass(load_export(export), [], profile)}
    # A level whose values are another covariate's is a finding (red team 50).
    log["models"] = [log_entry(first), log_entry(second)]
    for level in log["models"][1]["levels"]:
        level["holds"] = {"gender": level["holds"]["sex"]}
    log_path.write_text(json.dumps(log), encoding="utf-8")
    assert "model_levels" in {f.rule for f in models_pass(load_export(export), [], profile)}
    # A log whose reference level is neither listed nor named is a finding of its own.
    log["models"] = [log_entry(first), log_entry(second)]
    log["models"][1]["reference_levels"] = {}
    log["models"][1]["levels"] = [
        lv for lv in log["models"][1]["levels"] if lv["level"] != "sex: man"
    ]
    log_path.write_text(json.dumps(log), encoding="utf-8")
    assert "model_levels" in {f.rule for f in models_pass(load_export(export), [], profile)}
    # The planted model alone in a later release, the other in the earlier one (case 09).
    log["models"] = [log_entry(second)]
    log_path.write_text(json.dumps(log), encoding="utf-8")
    later = previous_pass(load_export(export), [load_export(tmp_path / "earlier")], profile)
    assert any(f.rule == "release_difference" and "'sex: woman'" in f.message for f in later)
    log["models"] = [log_entry(first), log_entry(second)]
    del log["models"][1]["levels"]
    log_path.write_text(json.dumps(log), encoding="utf-8")
    assert "model_levels" in {f.rule for f in models_pass(load_export(export), [], profile)}


def test_the_audits_cache_key_holds_the_models_files(tmp_path: Path) -> None:
    """The joint audit is solved once per process per content: keyed on the tables alone, a
    model file doctored after the clean export was checked in the same process got the clean
    verdict (found writing the planted-model test above)."""
    from nbnb_cbs.disclosure import load_profile
    from nbnb_cbs.disclosure.release_audit import _content_key

    log = {"tables": [], "models": [{"name": "m", "files": ["model_m.csv", "model_m_fit.csv"]}]}
    (tmp_path / "model_m.csv").write_text("term;B;SE;Exp(B);p\n(intercept);0.1;0.2;1.1052;0.6171\n")
    (tmp_path / "model_m_fit.csv").write_text("statistic;value\nN;100.0\n")
    profile = load_profile("cbs")
    key = _content_key(tmp_path, log, {}, profile)
    (tmp_path / "model_m.csv").write_text("term;B;SE;Exp(B);p\n(intercept);0.1;0.3;1.1052;0.7389\n")
    assert _content_key(tmp_path, log, {}, profile) != key
    log["models"][0]["levels"] = [{"level": "sex: woman", "holds": {"sex": ["woman"]}}]
    assert len({key, _content_key(tmp_path, log, {}, profile)}) == 2


def test_the_wage_per_hour_cells_are_hidden_together() -> None:
    """hourly_wage = total base_wage / total hours of the same persons: hiding one of the three
    while two stay published hides nothing (red team 39), so they are one fate group."""
    from nbnb_cbs.disclosure.catalogue import WAGE_PER_HOUR, Domains, table_rows
    from nbnb_cbs.disclosure.release import _fate_groups, build_model

    domains = Domains(anchors=("exit",))
    model = build_model(domains, table_rows("snapshot_amounts", "snapshot_amounts", domains))
    category = {i: c.spec.dims["category"] for i, c in enumerate(model.cells)}
    groups = [sorted(category[i] for i in g) for g in _fate_groups(model).values()]
    assert sorted(WAGE_PER_HOUR) in groups and ["fulltime_days"] in groups


def test_unions_of_a_tables_categories_are_sensitive(export: Path) -> None:
    """Two suppressed categories beside published ones are the total less those: every union of
    two or more (not all) of a table's categories is a set that may not be pinned to 1..9 (red
    team 47: the 'other' and 'unknown' employment types together 2..10 beside an exact total)."""
    import itertools
    import json

    import numpy as np

    import nbnb_cbs.disclosure.release_audit as audit
    from nbnb_cbs.disclosure import load_profile
    from nbnb_cbs.disclosure.release import sensitive_forms

    seen = {}

    def spy(model, rows, forms, profile, certificate=None, used=None):  # type: ignore[no-untyped-def]
        seen["model"] = model
        return []

    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    original = audit.audit_rows
    audit.audit_rows = spy
    try:
        audit.audit_export(export, log, manifest, load_profile("cbs"))
    finally:
        audit.audit_rows = original
    model = seen["model"]
    table = "snapshot_employment_type"
    members = [
        model.mask(c.spec.num) for c in model.cells
        if c.spec.table == table and c.spec.statistic == "count" and c.spec.dims["category"] != "Total"
    ]  # fmt: skip
    assert len(members) == 4
    found = {f.index for f in sensitive_forms(model) if f.kind == "small"}
    for size in (2, 3):
        for combo in itertools.combinations(members, size):
            union = tuple(np.flatnonzero(np.logical_or.reduce(combo)).tolist())
            assert union in found, (size, union)
