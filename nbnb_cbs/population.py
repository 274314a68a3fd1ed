"""The study's population: which projects' records the analysis covers ([population] in project.toml).

The source study analysed the 19 projects finished in time (790 participants), two of which ran in
two tranches and were merged, giving 17. ``select`` applies the same kind of rules to the analysis
file: tranches are first renamed to their merged project (``merge``), then a record is out when its
project is excluded by name (``exclude``), not among the named projects (``include``), or not
finished by the date (``finished_by``: every record of the project has an exit date on or before
it; a project with a participant still in it, or without an exit date, is not finished). Every
record gets exactly one reason (the first that applies, in that order), so the reconciliation adds
up to the file. Yield, durability, series and snapshot then run over the records in the population.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nbnb_cbs.errors import ColumnError, ConfigError

__all__ = ["REASONS", "Population", "Selection", "select", "select_file"]

IN = "in_population"
# In the order they are tested; a record carries the first that applies.
REASONS = (IN, "project_excluded", "project_not_included", "project_not_finished")


@dataclass(frozen=True)
class Population:
    """[population] in project.toml; empty means every record of the analysis file."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    finished_by: dt.date | None = None
    merge: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude or self.finished_by or self.merge)

    def describe(self) -> str:
        """The rules in words (no project names: those stay inside)."""
        if not self.active:
            return "all records"
        parts = []
        if self.merge:
            tranches = sum(len(v) for v in self.merge.values())
            parts.append(f"{tranches} tranches merged into {len(self.merge)} projects")
        if self.include:
            parts.append(f"{len(self.include)} projects named")
        if self.exclude:
            parts.append(f"{len(self.exclude)} projects excluded by name")
        if self.finished_by:
            parts.append(f"projects finished by {self.finished_by.isoformat()}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Selection:
    """The analysis records in the population (project names merged) and the reconciliation."""

    analysis: pl.DataFrame
    reasons: pl.DataFrame  # record_id, project (merged), reason: one row per record of the file
    reconciliation: pl.DataFrame  # reason, records, projects
    summary: str  # the rules and the records kept of all: for the terminal and work/
    # The rules and the projects kept, without record counts: what the export states. The
    # records kept are the linkage table's total (which protection may hide), and the records
    # left out may be a handful of one project's.
    published: str


def _merge_map(population: Population) -> dict[str, str]:
    out: dict[str, str] = {}
    for merged, tranches in population.merge.items():
        for tranche in tranches:
            if tranche in out and out[tranche] != merged:
                raise ConfigError(
                    f"[population] merge: project {tranche!r} is a tranche of both "
                    f"{out[tranche]!r} and {merged!r}; list it under one project"
                )
            out[tranche] = merged
    return out


def select(analysis: pl.DataFrame, population: Population, column: str = "project") -> Selection:
    """Apply the population rules; every record of ``analysis`` is in or out with one reason."""
    if not population.active:
        reasons = analysis.select(
            pl.col("record_id").cast(pl.String),
            (
                pl.col(column).cast(pl.String)
                if column in analysis.columns
                else pl.lit(None, pl.String)
            ).alias("project"),
            reason=pl.lit(IN),
        )
        return Selection(analysis, reasons, _reconcile(reasons), *_summary(population, reasons))
    if column not in analysis.columns:
        raise ColumnError(
            f"analysis file: [population] selects projects but the file has no {column!r} column; "
            "give the registration a project column (projectnaam, organisatie) or remove "
            "[population]"
        )
    merge = _merge_map(population)
    names = analysis.select(pl.col(column).cast(pl.String).str.strip_chars())[column]
    known = set(names.drop_nulls().to_list())
    merged_names = known | set(population.merge)
    for key, listed in (("include", population.include), ("exclude", population.exclude)):
        unknown = [p for p in listed if p not in merged_names]
        if unknown:
            raise ConfigError(
                f"[population] {key}: project {unknown[0]!r} is not in the analysis file; "
                f"projects there: {', '.join(sorted(known)[:20])}"
            )
    tranches_missing = [t for t in merge if t not in known]
    if tranches_missing:
        raise ConfigError(
            f"[population] merge: tranche {tranches_missing[0]!r} is not a project in the "
            f"analysis file; projects there: {', '.join(sorted(known)[:20])}"
        )
    frame = analysis.with_columns(
        pl.col(column).cast(pl.String).str.strip_chars().replace(merge).alias(column)
    )
    project = pl.col(column)
    finished = pl.lit(True)
    if population.finished_by is not None:
        if "exit_date" not in frame.columns:
            raise ColumnError.missing("analysis file", "exit_date", frame.columns)
        done = pl.col("exit_date").is_not_null() & (
            pl.col("exit_date") <= pl.lit(population.finished_by)
        )
        finished = done.all().over(column)
    reason = (
        pl.when(project.is_in(list(population.exclude)).fill_null(False))
        .then(pl.lit("project_excluded"))
        .when(
            pl.lit(bool(population.include))
            & ~project.is_in(list(population.include)).fill_null(False)
        )
        .then(pl.lit("project_not_included"))
        .when(~finished)
        .then(pl.lit("project_not_finished"))
        .otherwise(pl.lit(IN))
    )
    frame = frame.with_columns(reason.alias("_population_reason"))
    reasons = frame.select(
        pl.col("record_id").cast(pl.String),
        pl.col(column).alias("project"),
        pl.col("_population_reason").alias("reason"),
    )
    kept = frame.filter(pl.col("_population_reason") == IN).drop("_population_reason")
    return Selection(kept, reasons, _reconcile(reasons), *_summary(population, reasons))


def _reconcile(reasons: pl.DataFrame) -> pl.DataFrame:
    got = reasons.group_by("reason").agg(
        records=pl.len(), projects=pl.col("project").drop_nulls().n_unique()
    )
    order = pl.DataFrame({"reason": list(REASONS)})
    table = order.join(got, on="reason", how="left").with_columns(
        pl.col("records", "projects").fill_null(0).cast(pl.Int64)
    )
    total = pl.DataFrame(
        {
            "reason": ["all_records"],
            "records": [reasons.height],
            "projects": [reasons["project"].drop_nulls().n_unique()],
        },
        schema=table.schema,
    )
    return pl.concat([table, total])


def _summary(population: Population, reasons: pl.DataFrame) -> tuple[str, str]:
    """The selection in words: with its record counts (``summary``) and without (``published``)."""
    kept = reasons.filter(pl.col("reason") == IN)
    projects = f"{kept['project'].drop_nulls().n_unique()} projects"
    counts = f"{kept.height} of {reasons.height} records"
    return f"{population.describe()}: {counts}, {projects}", f"{population.describe()}: {projects}"


def select_file(analysis: Path, population: Population, work: Path) -> tuple[Path, Selection]:
    """Select the population from an analysis file; write the reconciliation (population.csv)
    and each record's reason (population_records.csv, record level: stays in work/). Returns the
    analysis file to use from here on: the original when every record is in."""
    from nbnb_cbs.dates import parse_date_expr  # noqa: PLC0415
    from nbnb_cbs.io.readers import read_table  # noqa: PLC0415
    from nbnb_cbs.io.writers import write_csv, write_parquet  # noqa: PLC0415

    frame = read_table(analysis).frame
    if "record_id" not in frame.columns:
        raise ColumnError.missing(analysis, "record_id", frame.columns)
    if "exit_date" in frame.columns and frame.schema["exit_date"] != pl.Date:
        frame = frame.with_columns(parse_date_expr("exit_date"))
    selection = select(frame, population)
    write_csv(selection.reconciliation, work / "population.csv")
    write_csv(selection.reasons, work / "population_records.csv")
    if not population.active:
        return analysis, selection
    return write_parquet(selection.analysis, work / "population" / "analysis.parquet"), selection
