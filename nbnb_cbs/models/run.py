"""Run a project's models: sample and checks, optional stepwise selection, the final fit, the
residual degrees of freedom check, and the tables (internal ones into work/models/, the
publishable ones for the export).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.catalogue import ModelLevel
from nbnb_cbs.errors import DisclosureError, InputFileError
from nbnb_cbs.io.writers import write_csv, write_json
from nbnb_cbs.models.design import _PROJECT, INTERCEPT, build_design, build_sample
from nbnb_cbs.models.fit import Fit, backward_stepwise, fit_design, project_icc, vif
from nbnb_cbs.models.spec import ModelSpec, sample_destinations
from nbnb_cbs.schemas import exit_destination_expr

__all__ = [
    "COEFFICIENT_COLUMNS",
    "ModelResult",
    "export_tables",
    "log_entry",
    "model_inputs",
    "run_model",
    "run_models",
]

_log = logging.getLogger(__name__)
COEFFICIENT_COLUMNS = ("term", "B", "SE", "Exp(B)", "p")
DECIMALS = 4  # published precision of B, SE, Exp(B), p and pseudo-R2
VIF_LIMIT = 10.0  # the study dropped covariates above it; here they are named, not dropped


@dataclass
class ModelResult:
    spec: ModelSpec
    fit: Fit
    merges: list[str]
    pooled_projects: int
    vif: pl.DataFrame
    icc: float | None
    stepwise: list[dict[str, Any]] | None = None
    references: dict[str, str] = field(default_factory=dict)  # categorical covariate -> level
    kept: list[str] = field(default_factory=list)
    # Per record of the sample: record_id, each kept categorical covariate's level as fitted
    # (merges applied) and, as "raw:<covariate>", its value before merging (release_levels).
    cells: pl.DataFrame | None = None
    # Interaction cells merged into the reference (no term of their own): (a, level, b, level).
    dropped: set[tuple[str, str, str, str]] = field(default_factory=set)
    # Its levels and interaction cells as the release counts them (release_levels), logged so
    # the steward's check rebuilds the same release model.
    levels: tuple[ModelLevel, ...] = ()

    def notes(self) -> list[str]:
        """What the researcher should know about the fit (printed by run and model)."""
        name = self.spec.name
        out = [f"model {name}: {line}" for line in self.merges]
        if self.pooled_projects:
            out.append(
                f"model {name}: {self.pooled_projects} project(s) with too few persons of an "
                "outcome value share one fixed effect"
            )
        high = self.vif.filter(pl.col("vif") > VIF_LIMIT)["term"].to_list()
        if high:
            out.append(
                f"model {name}: VIF above {VIF_LIMIT:g} (the study left such covariates out): "
                + ", ".join(high)
            )
        return out

    def summary(self) -> dict[str, Any]:
        """Internal record of the model (work/models/<name>.json): never exported."""
        return {
            "name": self.spec.name,
            "outcome": self.spec.outcome,
            "kind": self.spec.kind,
            "sample_destinations": sorted(sample_destinations(self.spec)),
            "covariates": list(self.spec.covariates),
            "kept_after_stepwise": self.kept if self.stepwise is not None else None,
            "interactions": [f"{a}*{b}" for a, b in self.spec.interactions],
            "fixed_effects": self.spec.fixed_effects,
            "projects_sharing_one_fixed_effect": self.pooled_projects,
            "merges": self.merges,
            "stepwise": self.stepwise,
            "icc_project": self.icc,
            "n": self.fit.n,
            "residual_dof": self.fit.df_resid,
        }


def run_model(
    spec: ModelSpec,
    analysis: pl.DataFrame,
    persons: pl.DataFrame,
    profile: Any,
    where: str = "analysis data",
) -> ModelResult:
    """One model, every disclosure check applied (``DisclosureError`` when refused)."""
    sample = build_sample(
        spec, analysis, persons, threshold=profile.threshold,
        min_organisations=profile.min_organisations, where=where,
    )  # fmt: skip
    outcome = sample.frame["_nbnb_outcome"]
    ones = int(outcome.sum())
    if min(ones, sample.n - ones) < profile.threshold:
        raise DisclosureError(
            f"model {spec.name!r} refused: fewer than {profile.threshold} persons in the sample "
            f"have outcome {spec.outcome} {'true' if ones < profile.threshold else 'false'}"
        )
    steps = None
    kept = [*spec.covariates, *(f"{a}*{b}" for a, b in spec.interactions)]
    if spec.stepwise:
        kept, steps = backward_stepwise(sample)
    design = build_design(sample, kept)
    fit = fit_design(design, spec.kind, spec.name)
    if fit.df_resid < profile.dof_threshold:
        raise DisclosureError(
            f"model {spec.name!r} refused: {fit.df_resid} residual degrees of freedom, fewer "
            f"than the {profile.name} profile's dof_threshold of {profile.dof_threshold}; use "
            "fewer covariates or levels (or fixed_effects = false)"
        )
    icc = (
        project_icc(design.y, sample.frame[_PROJECT].to_numpy())
        if _PROJECT in sample.frame.columns
        else None
    )
    references = {column: levels[0] for column, levels in sample.levels.items()}
    categorical = [c for c in sample.levels if c in kept]
    cells = (
        sample.raw.select(
            "record_id", *(pl.col(c).alias(f"raw:{c}") for c in categorical)
        ).with_columns(sample.frame.select(categorical))
        if sample.raw is not None
        else None
    )
    return ModelResult(
        spec, fit, sample.merges, sample.pooled_projects, vif(design), icc, steps,
        kept=kept, references=references, cells=cells, dropped=set(sample.dropped_cells),
    )  # fmt: skip


def release_levels(
    results: Sequence[ModelResult], other: str
) -> tuple[
    tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...],
    pl.DataFrame,
    list[tuple[ModelLevel, ...]],
]:
    """What the release needs of the models' levels (catalogue: Domains.covariates, the cov
    factor and each model's level rows).

    Returns each categorical covariate with its finest levels (the values before merging that
    the samples of the models that have it hold) and those models' exit destinations; every
    record of a sample with its finest level of each covariate (``c0``, ``c1`` ...; ``other``
    where no sample of a model with the covariate holds the record); and per model its levels
    and interaction cells, each a label as the coefficient table writes it and per covariate
    the finest levels it holds (a finest level its sample lacks goes to the reference level,
    where it adds no record)."""
    names: list[str] = []
    for result in results:
        for column in result.cells.columns if result.cells is not None else []:
            if column.startswith("raw:") and column[4:] not in names:
                names.append(column[4:])
    values: dict[str, set[str]] = {c: set() for c in names}
    kept: dict[str, set[str]] = {c: set() for c in names}
    records: pl.DataFrame | None = None
    for result in results:
        if result.cells is None:
            continue
        raw = [c for c in names if f"raw:{c}" in result.cells.columns]
        for c in raw:
            values[c] |= set(result.cells[f"raw:{c}"].cast(pl.String).to_list())
            kept[c] |= sample_destinations(result.spec)
        part = result.cells.select(
            pl.col("record_id").cast(pl.String),
            *(
                pl.col(f"raw:{c}").cast(pl.String).alias(f"c{names.index(c)}")
                if c in raw
                else pl.lit(None, pl.String).alias(f"c{names.index(c)}")
                for c in names
            ),
        )
        # A record in several samples has the same values in each (the same columns, derived
        # alike): the first sample that holds a covariate gives it.
        if records is None:
            records = part
        else:
            joined = records.join(part, on="record_id", how="full", coalesce=True, suffix="_r")
            records = joined.select(
                "record_id",
                *(pl.coalesce(f"c{i}", f"c{i}_r").alias(f"c{i}") for i in range(len(names))),
            )
    covariates = tuple((c, tuple(sorted(values[c])), tuple(sorted(kept[c]))) for c in names)
    if records is None:
        records = pl.DataFrame(schema={"record_id": pl.String})
    records = records.with_columns(pl.col(f"c{i}").fill_null(other) for i in range(len(names)))
    levels: list[tuple[ModelLevel, ...]] = []
    for result in results:
        mine: list[ModelLevel] = []
        cells = result.cells
        if cells is not None:
            columns = [c for c in names if c in cells.columns]
            members: dict[str, dict[str, tuple[str, ...]]] = {}
            for c in columns:
                found = {
                    str(level): set(group[f"raw:{c}"].cast(pl.String).to_list())
                    for (level,), group in cells.group_by(c)
                }
                reference = result.references.get(c)
                absent = values[c] - set().union(*found.values())
                if absent and reference in found:
                    found[reference] |= absent
                members[c] = {level: tuple(sorted(v)) for level, v in found.items()}
            for c in columns:
                mine += [(f"{c}: {lv}", {c: m}, True) for lv, m in sorted(members[c].items())]
            seen: set[tuple[str, ...]] = set()
            for a, b in result.spec.interactions:
                if a not in columns or b not in columns or f"{a}*{b}" not in result.kept:
                    continue
                pairs = cells.select(pl.col(a, b).cast(pl.String)).unique().sort(a, b).iter_rows()
                for la, lb in pairs:
                    # A cell merged into the reference has no term: its persons only.
                    own = (a, la, b, lb) not in result.dropped
                    mine.append(
                        (f"{a}: {la} x {b}: {lb}", {a: members[a][la], b: members[b][lb]}, own)
                    )
                    seen.add((f"{a}: {la}", f"{b}: {lb}"))
            if len(columns) >= 2:
                # The estimates give the persons in every cell of the covariates' cross-table
                # (design.py refuses a model where one is small): rows of the release too.
                combos = cells.select(pl.col(columns).cast(pl.String)).unique().sort(columns)
                for combo in combos.iter_rows():
                    parts = tuple(f"{c}: {lv}" for c, lv in zip(columns, combo, strict=True))
                    if parts in seen:
                        continue
                    holds = {c: members[c][lv] for c, lv in zip(columns, combo, strict=True)}
                    mine.append((" x ".join(parts), holds, False))
        levels.append(tuple(mine))
    return covariates, records, levels


def export_tables(result: ModelResult) -> dict[str, pl.DataFrame]:
    """The publishable tables: ``model_<name>.csv`` (term, B, SE, Exp(B), p; no project terms)
    and ``model_<name>_fit.csv`` (N, residual_dof, pseudo_r2, aic)."""
    name = result.spec.name
    coefficients = result.fit.coefficients(published=True).with_columns(
        pl.col("B", "SE", "Exp(B)", "p").round(DECIMALS)
    )
    fit = result.fit.fit_table().with_columns(
        pl.when(pl.col("statistic") == "aic")
        .then(pl.col("value").round(2))
        .otherwise(pl.col("value").round(DECIMALS))
        .alias("value")
    )
    return {f"model_{name}.csv": coefficients, f"model_{name}_fit.csv": fit}


def log_entry(result: ModelResult) -> dict[str, Any]:
    """The model's entry in disclosure-log.json: what the published tables are about."""
    spec = result.spec
    return {
        "name": spec.name,
        "outcome": spec.outcome,
        "kind": spec.kind,
        "files": list(export_tables(result)),
        "excluded_destinations": list(spec.exclude_destinations),
        "sample_destinations": sorted(sample_destinations(spec)),
        "covariates": list(spec.covariates),
        "reference_levels": dict(result.references),
        "interactions": [f"{a}*{b}" for a, b in spec.interactions],
        "fixed_effects": spec.fixed_effects,
        "stepwise": spec.stepwise,
        "merges": list(result.merges),
        # Per level and interaction cell, the values (before merging) it holds: the release
        # model's sets of the model's persons (catalogue.Domains.covariates).
        "levels": [
            {
                "level": label,
                "holds": {c: list(values) for c, values in parts.items()},
                "outcome": outcome_too,
            }
            for label, parts, outcome_too in result.levels
        ],
    }


def model_inputs(settings: Any) -> tuple[pl.DataFrame, pl.DataFrame, Path]:
    """analysis.parquet and persons.parquet of a project's earlier ``run`` (work folder)."""
    analysis = settings.analysis or settings.work_dir / "linkage" / "analysis.parquet"
    anchor = settings.anchors[0] if settings.anchors else "exit"
    persons = settings.work_dir / anchor / "persons.parquet"
    for path, what in ((analysis, "analysis.parquet"), (persons, "persons.parquet")):
        if not Path(path).is_file():
            raise InputFileError(
                f"{path}: {what} not found; models use the results of 'nbnb-cbs run "
                "project.toml': run it first (same project file)"
            )
    from nbnb_cbs.io.readers import read_table  # noqa: PLC0415

    frame = read_table(Path(analysis)).frame
    return frame, pl.read_parquet(persons), Path(analysis)


def _check_differences(
    result: ModelResult, earlier: list[ModelResult], linked: int, threshold: int
) -> None:
    """A model's N next to the published number of linked records (or another model's N) must
    not give away a group of 1..threshold-1 records: the destinations it leaves out, or the
    records by which two samples differ. (The whole-release model generalises this check.)"""
    name = result.spec.name
    if 0 < linked - result.fit.n < threshold:
        raise DisclosureError(
            f"model {name!r} refused: the destinations it excludes hold fewer than {threshold} "
            "linked records, which its N and the published number of linked records would give "
            "away; keep those destinations in the sample (exclude_destinations)"
        )
    for other in earlier:
        gap = abs(other.fit.n - result.fit.n)
        if 0 < gap < threshold:
            raise DisclosureError(
                f"model {name!r} refused: its sample differs from model {other.spec.name!r}'s by "
                f"fewer than {threshold} records, which the two N would give away; use the same "
                "exclude_destinations for both, or drop one"
            )


def _check_published_levels(
    result: ModelResult, tables: dict[str, pl.DataFrame], threshold: int
) -> None:
    """Refuse a model whose published B and SE make a level look smaller than the threshold:
    the steward's check estimates each level's persons from them as an attacker would (a main-
    effects model's estimate may fall below the counted cell), and an export it fails is lost."""
    from nbnb_cbs.disclosure.steward.models import level_estimates  # noqa: PLC0415

    name = result.spec.name
    coef = tables[f"model_{name}.csv"].with_columns(pl.col("B", "SE").cast(pl.String))
    stats = {str(k): (None if v is None else float(v)) for k, v in tables[f"model_{name}_fit.csv"].iter_rows()}  # fmt: skip
    small, _ = level_estimates(coef, result.spec.kind, stats, threshold)
    if small:
        _, term, estimate, ones = small[0]
        advice = (
            'choose larger groups as reference levels (reference = { covariate = "level" })'
            if term.startswith(INTERCEPT)
            else "merge or leave out that covariate (merge_sparse_levels = true), or drop the "
            "interaction"
        )
        raise DisclosureError(
            f"model {name!r} refused: its published B and SE tell about {estimate:.0f} persons "
            f"{'with' if ones else 'without'} the outcome in {term!r}, fewer than {threshold}; "
            + advice
        )


def run_models(
    specs: tuple[ModelSpec, ...],
    analysis: pl.DataFrame,
    persons: pl.DataFrame,
    profile: Any,
    workdir: Path | None = None,
    where: str = "analysis data",
) -> list[ModelResult]:
    """Every model; the internal results (all terms, fixed effects included; VIF; ICC; the
    stepwise log; merges) go to ``workdir`` (work/models/), which stays inside RA."""
    results: list[ModelResult] = []
    linked = (
        persons.filter(pl.col("RINPERSOON").is_not_null())
        .select(pl.col("record_id").cast(pl.String))
        .join(analysis.select(pl.col("record_id").cast(pl.String)), on="record_id")
        .height
    )
    # Linked records in work at the end month by the destination every population uses: a
    # model of that outcome gives away its sample's count in work (a logit's fitted values add up
    # to it), which next to the published count in work tells the excluded destinations' count.
    at_work = (
        persons.filter(
            pl.col("RINPERSOON").is_not_null() & pl.col("in_work_at_end").fill_null(False)
        )
        .select(pl.col("record_id").cast(pl.String))
        .join(analysis.with_columns(pl.col("record_id").cast(pl.String)), on="record_id")
    )
    destination = exit_destination_expr(at_work.columns)
    for spec in specs:
        result = run_model(spec, analysis, persons, profile, where)
        tables = export_tables(result)  # the published files, judged and then written
        _check_published_levels(result, tables, profile.threshold)
        _check_differences(result, results, linked, profile.threshold)
        if spec.outcome == "in_work_at_end" and spec.exclude_destinations:
            left = at_work.filter(destination.is_in(list(spec.exclude_destinations))).height
            if 0 < left < profile.threshold:
                raise DisclosureError(
                    f"model {spec.name!r} refused: fewer than {profile.threshold} of the records "
                    "it excludes are in work at the end month, which its estimates and the "
                    "published count in work would give away; keep those destinations in the "
                    "sample (exclude_destinations)"
                )
        results.append(result)
        _log.info("model %s: N %d, residual dof %d", spec.name, result.fit.n, result.fit.df_resid)
        if workdir is not None:
            name = spec.name
            write_csv(result.fit.coefficients(published=False), workdir / f"{name}_all_terms.csv")
            write_csv(result.vif, workdir / f"{name}_vif.csv")
            write_json(result.summary(), workdir / f"{name}.json")
            for file, table in tables.items():
                write_csv(table, workdir / file)
    return results
