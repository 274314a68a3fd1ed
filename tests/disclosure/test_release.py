"""Whole-release disclosure control: what an attacker who reads only export/ can derive.

The attacks here are written apart from the protection code: each reads the published CSVs and
applies one derivation class found against earlier versions (two anchors, the distribution, two
shares of one cell, nested groups, the series' precision, statuses, tables that share persons,
organisations). None may give a count of 1..9 persons or pin a suppressed cell.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import Cli

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


def _table(export: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(export / "tables" / f"{name}.csv", separator=";", infer_schema=False)


def _n(frame: pl.DataFrame, **where: str) -> float | None:
    """The published n of the row matching ``where`` (None when suppressed or absent)."""
    row = frame.filter(pl.all_horizontal([pl.col(k) == v for k, v in where.items()]))
    if row.height != 1 or row["status"][0] == "suppressed" or row["n"][0] is None:
        return None
    return float(row["n"][0])


def _small(x: float | None) -> bool:
    return x is not None and 0.5 < x < T - 0.5


def test_statuses_and_log_reveal_no_reasons(export: Path) -> None:
    """Class 6: released statuses are plain words; the log names no per-cell rule."""
    for path in (export / "tables").glob("*.csv"):
        statuses = set(pl.read_csv(path, separator=";", infer_schema=False)["status"].to_list())
        assert statuses <= {"published", "suppressed", "pooled", "rounded"}, path.name
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    text = json.dumps(log["tables"])
    for word in ("suppressed_primary", "suppressed_secondary", '"rule"', "threshold_n", "interval"):
        assert word not in text
    assert (export.parent / "export-review" / "review.json").is_file()


def test_anchors_do_not_differ_by_a_small_count(export: Path) -> None:
    """Classes 2 and 5: exit worked_1m is first-job exit_work; observed_12m of both anchors."""
    ex, fj = _table(export, "durability_exit"), _table(export, "durability_first_job")
    values = set(ex["sectoral"].to_list())
    for v in values:
        ew = _n(ex, group="exit_work", sectoral=v, statistic="n")
        w1 = _n(ex, group="worked_1m", sectoral=v, statistic="n")
        fj_ew = _n(fj, group="exit_work", sectoral=v, statistic="n")
        for outer, inner in ((ew, w1), (ew, fj_ew)):
            if outer is not None and inner is not None:
                assert not _small(outer - inner), (v, outer, inner)
        a, b = (
            _n(ex, group="observed_12m", sectoral=v, statistic="n"),
            _n(fj, group="observed_12m", sectoral=v, statistic="n"),
        )
        if a is not None and b is not None:
            assert not _small(a - b), (v, a, b)


def test_distribution_does_not_give_back_a_hidden_group(export: Path) -> None:
    """Class 3: the bins add up to the distribution anchor's worked_1m group."""
    dist, ex = _table(export, "durability_distribution"), _table(export, "durability_exit")
    shown = dist.filter(pl.col("status") != "suppressed")
    total = _n(ex, group="worked_1m", sectoral="Total", statistic="n")
    if shown.height == dist.height:
        bins = float(shown["n"].cast(pl.Float64).sum())
        assert total is not None and bins == total
        ew = _n(ex, group="exit_work", sectoral="Total", statistic="n")
        if ew is not None:
            assert not _small(ew - bins)


def test_two_shares_of_one_cell_give_no_small_count(export: Path) -> None:
    """Class 4: (share_ge_90 - share_100) x n must not pin a count of 1..9."""
    for name in ("durability_exit", "durability_first_job"):
        frame = _table(export, name)
        for (group, v), part in frame.group_by("group", "sectoral"):
            rows = {r["statistic"]: r for r in part.iter_rows(named=True)}
            s100, s90 = rows.get("share_100"), rows.get("share_ge_90")
            if not s100 or not s90 or "suppressed" in (s100["status"], s90["status"]):
                continue
            n = float(s90["n"])
            diff = (float(s90["value"]) - float(s100["value"])) * n
            low, high = diff - 0.01 * n, diff + 0.01 * n
            assert not (low > 0.5 and high < T - 0.5), (name, group, v, low, high)


def test_series_precision_does_not_undo_pooling(export: Path) -> None:
    """Class 1: shares to whole percents, denominators rounded to 10, pooled inflow."""
    share = _table(export, "series_share_working").filter(pl.col("status") != "suppressed")
    for value, n in share.select("value", "n").iter_rows():
        assert len(value.split(".")[-1]) <= 2 and float(n) % 10 == 0
    inflow = _table(export, "series_inflow").filter(pl.col("status") != "suppressed")
    for value in inflow["n"].cast(pl.Float64).to_list():
        assert value >= T


def test_tables_that_share_persons(export: Path) -> None:
    """Class 7: hidden linked counts are not published as snapshot denominators."""
    yld, snap = _table(export, "linkage_yield"), _table(export, "snapshot_working")
    for v in set(yld["sectoral"].to_list()):
        linked = yld.filter((pl.col("sectoral") == v) & (pl.col("statistic") == "linked"))
        if linked.height and linked["status"][0] == "suppressed":
            assert _n(snap, sectoral=v, statistic="share_working") is None


def test_steward_check_agrees(export: Path, tmp_path: Path) -> None:
    """The steward's joint audit, from the export alone, finds nothing."""
    code, out, _ = Cli()("disclosure", "check", export, "--report", tmp_path / "r.json")
    assert code == 0, out


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
    """Class 8: two releases that differ by one person must not both leave."""
    project = _project(tmp_path, 300, 5)
    cli = Cli()
    code, out, err = cli("run", project)
    assert code == 0, err + out
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
    yld = _table(tmp_path / "export", "linkage_yield")
    records = yld.filter((pl.col("statistic") == "records") & (pl.col("sectoral") == "Total"))
    assert records["status"][0] == "suppressed"
