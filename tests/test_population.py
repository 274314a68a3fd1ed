"""The study's population ([population] in project.toml): merging tranches, include/exclude by
name, finished-by date; every record in or out with one reason; the run uses it end to end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.errors import ColumnError, ConfigError
from nbnb_cbs.population import REASONS, Population, select
from nbnb_cbs.project import load_project
from tests.conftest import Cli

D = dt.date
# project, exit date per record (None: still in the project)
RECORDS = [
    ("A 2019", D(2020, 1, 10)), ("A 2019", D(2020, 3, 1)),
    ("A 2020", D(2021, 6, 1)), ("A 2020", D(2021, 9, 30)),
    ("B", D(2021, 2, 1)), ("B", None),
    ("C", D(2021, 5, 1)), ("C", D(2022, 2, 1)),
    ("D", D(2020, 7, 1)),
    (None, D(2020, 7, 1)),
]  # fmt: skip


def _analysis() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(len(RECORDS))],
            "project": [p for p, _ in RECORDS],
            "exit_date": [e for _, e in RECORDS],
        },
        schema={"record_id": pl.String, "project": pl.String, "exit_date": pl.Date},
    )


def test_rules_give_each_record_one_reason() -> None:
    """Merge, exclude, include and finished_by, each record with the first reason that applies."""
    population = Population(
        include=("A", "B", "C"),
        exclude=("C",),
        finished_by=D(2021, 12, 31),
        merge={"A": ("A 2019", "A 2020")},
    )
    got = select(_analysis(), population)
    reasons = dict(got.reasons.select("record_id", "reason").iter_rows())
    assert reasons == {
        "r0": "in_population", "r1": "in_population", "r2": "in_population", "r3": "in_population",
        "r4": "project_not_finished", "r5": "project_not_finished",  # one participant still in B
        "r6": "project_excluded", "r7": "project_excluded",  # excluded before not finished
        "r8": "project_not_included", "r9": "project_not_included",  # no project: not named
    }  # fmt: skip
    assert got.analysis["record_id"].to_list() == ["r0", "r1", "r2", "r3"]
    assert got.analysis["project"].unique().to_list() == ["A"]  # the tranches are one project
    table = {
        r["reason"]: (r["records"], r["projects"]) for r in got.reconciliation.iter_rows(named=True)
    }
    assert table == {
        "in_population": (4, 1), "project_excluded": (2, 1), "project_not_included": (2, 1),
        "project_not_finished": (2, 1), "all_records": (10, 4),
    }  # fmt: skip
    assert sum(table[r][0] for r in REASONS) == table["all_records"][0] == len(RECORDS)
    assert got.summary.endswith("4 of 10 records, 1 projects")


def test_finished_by_alone_and_no_rules() -> None:
    """finished_by: a project counts when each of its records left on or before the date."""
    got = select(_analysis(), Population(finished_by=D(2021, 9, 30)))
    kept = set(got.analysis["project"].drop_nulls())
    assert kept == {"A 2019", "A 2020", "D"}  # A 2020's last exit is exactly the date
    assert got.analysis.height == 6  # also the record without a project (it left in 2020)
    everyone = select(_analysis(), Population())
    assert everyone.analysis.height == len(RECORDS)
    assert set(everyone.reasons["reason"]) == {"in_population"}


@pytest.mark.parametrize(
    ("population", "message"),
    [
        (Population(include=("Z",)), "include: project 'Z' is not in the analysis file"),
        (Population(exclude=("A",)), "exclude: project 'A' is not in the analysis file"),
        (Population(merge={"A": ("A 2021",)}), "tranche 'A 2021' is not a project"),
        (Population(merge={"A": ("B",), "E": ("B",)}), "'B' is a tranche of both"),
    ],
)
def test_names_that_match_nothing_are_errors(population: Population, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        select(_analysis(), population)


def test_population_needs_a_project_column() -> None:
    with pytest.raises(ColumnError, match="no 'project' column"):
        select(_analysis().drop("project"), Population(include=("A",)))


def test_project_file_population(tmp_path: Path) -> None:
    project = tmp_path / "project.toml"
    project.write_text(
        '[population]\ninclude = ["A", "B"]\nfinished_by = 2022-03-31\n'
        '[population.merge]\n"A" = ["A 2019", "A 2020"]\n',
        encoding="utf-8",
    )
    population = load_project(project).population
    assert population == Population(
        include=("A", "B"), finished_by=D(2022, 3, 31), merge={"A": ("A 2019", "A 2020")}
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('finished_by = "31-03-2022"', "finished_by must be a date"),
        ("include = [1]", "include must be a list of project names"),
        ('include = ["A"]\nexclude = ["A"]', "both included and excluded"),
        ('merge = ["A"]', "merge must map each merged project"),
        ('finishedby = "2022-03-31"', "did you mean 'finished_by'"),
    ],
)
def test_bad_population_settings(tmp_path: Path, body: str, fragment: str) -> None:
    project = tmp_path / "project.toml"
    project.write_text(f"[population]\n{body}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_project(project)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from nbnb_cbs import synth

    root = tmp_path_factory.mktemp("population")
    options = synth.SynthOptions(participants=150, seed=9, format="parquet")
    synth.write(synth.build(options), root / "data", "parquet")
    jobs = root / "data" / "jobs.parquet"
    frame = pl.read_parquet(jobs)
    frame.with_columns(nettoloon=pl.col("SBASISLOON") * 0.84).write_parquet(jobs)
    return root


def test_run_uses_the_population(data: Path) -> None:
    """yield and durability run over the population; the manifest states it; reasons add up.
    (The jobs file also carries a net wage: it reaches the export's snapshot amounts.)"""
    registration = pl.read_csv(
        data / "data" / "registration.csv", separator=";", infer_schema=False
    )
    column = next(c for c in registration.columns if c.lower() in ("project", "projectnaam"))
    projects = sorted(registration[column].drop_nulls().unique().to_list())
    dropped, first, second = projects[0], projects[1], projects[2]
    project = data / "project.toml"
    project.write_text(
        '[inputs]\nregistration = "data/registration.csv"\nregister = "data/register"\n'
        'jobs = "data/jobs.parquet"\n[analysis]\nend = "2021-12"\nanchors = ["exit"]\n'
        f'[population]\nexclude = ["{dropped}"]\n'
        f'[population.merge]\n"Tranches XY" = ["{first}", "{second}"]\n',
        encoding="utf-8",
    )
    code, out, err = Cli()("run", project)
    assert code == 0, err + out
    work = data / "work"
    reasons = pl.read_csv(work / "population_records.csv", separator=";")
    analysis = pl.read_parquet(work / "linkage" / "analysis.parquet")
    assert sorted(reasons["record_id"]) == sorted(analysis["record_id"])  # each record once
    kept = reasons.filter(pl.col("reason") == "in_population")
    out_ids = reasons.filter(pl.col("reason") == "project_excluded")["record_id"]
    assert out_ids.len() == (analysis["project"] == dropped).sum() > 0
    assert "Tranches XY" in set(kept["project"]) and first not in set(reasons["project"])
    persons = pl.read_parquet(work / "exit" / "persons.parquet")
    assert set(persons["record_id"]) == set(kept["record_id"])
    yld = pl.read_csv(work / "yield.csv", separator=";")
    records = yld.filter(pl.col("statistic") == "records")["n"].max()
    assert records == kept.height
    manifest = json.loads((data / "export" / "manifest.json").read_text(encoding="utf-8"))
    stated = manifest["parameters"]["population"]
    assert stated.startswith("2 tranches merged into 1 projects; 1 projects excluded by name")
    # The records kept (the linkage table's total, possibly hidden) and left out (possibly a
    # handful of one project's) stay out of the export; the terminal and work/ keep them.
    assert stated.endswith(f"{kept['project'].n_unique()} projects")
    assert not any(str(n) in stated for n in (kept.height, reasons.height, out_ids.len()))
    assert f"{kept.height} of {reasons.height} records" in out
    assert dropped not in json.dumps(manifest)  # project names stay inside
    from nbnb_cbs.export.render import read_published

    amounts = read_published(data / "export" / "tables" / "snapshot_amounts.csv", manifest)
    values = dict(amounts.select("category", "value").iter_rows())
    assert "net_wage" in values
    if values["net_wage"] is not None and values["base_wage"] is not None:
        assert values["net_wage"] == pytest.approx(0.84 * values["base_wage"], abs=0.1)
