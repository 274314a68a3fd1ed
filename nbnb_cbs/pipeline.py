"""The chain from a project file: linkage (simulated or CBS's file), yield, durability, and the
disclosure-checked export bundle.

Everything person-level and every unchecked aggregate stays in the work folder; the export
folder receives only what passed disclosure control, and is re-checked after it is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.cells import SERIES_ROUNDING
from nbnb_cbs.errors import ConfigError, DisclosureError
from nbnb_cbs.io.writers import write_parquet, write_text
from nbnb_cbs.project import PROJECT_TEMPLATE, Settings, load_project

__all__ = ["RunResult", "demo", "run_project"]

Progress = Callable[[str], None]


@dataclass
class RunResult:
    settings: Settings
    yield_cells: pl.DataFrame | None = None
    durability: dict[str, Any] = field(default_factory=dict)
    match_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    bundle: Any = None
    release: Any = None
    population: Any = None
    models: list[Any] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


def _input(role: str, path: Path | None, rows: int | None) -> dict[str, Any] | None:
    """An input as the export names it: by its role and its kind of file ('jobs.sav'), never the
    researcher's own file name, which is free text (red team 36 wrote a count and a foundation's
    name into file names, and both reached the manifest)."""
    if path is None or not path.exists():
        return None
    size = (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        if path.is_dir()
        else path.stat().st_size
    )
    name = role if path.is_dir() else f"{role}{path.suffix.lower()}"
    return {"name": name, "bytes": size, "rows": rows}


def run_project(
    settings: Settings, progress: Progress = _quiet, *, make_zip: bool = False
) -> RunResult:
    from nbnb_cbs.disclosure import load_profile  # noqa: PLC0415
    from nbnb_cbs.disclosure.ledger import ledger_path, read_ledgers  # noqa: PLC0415
    from nbnb_cbs.durability import (  # noqa: PLC0415
        DurabilityOptions,
        compute,
        read_inputs,
        write_results,
    )
    from nbnb_cbs.export.bundle import write_bundle  # noqa: PLC0415
    from nbnb_cbs.export.release_frame import release_frame  # noqa: PLC0415
    from nbnb_cbs.export.tables import build_release  # noqa: PLC0415
    from nbnb_cbs.linkage import match_files, prepare_files, yield_files  # noqa: PLC0415

    profile = load_profile(
        settings.profile
        if settings.profile in ("cbs", "acro")
        else settings.base_dir / settings.profile
    )
    check_breakdowns(settings.by, profile)
    work = settings.work_dir
    result = RunResult(settings)
    analysis, linked = settings.analysis, settings.linked
    registration_rows = None
    if settings.registration is not None:
        progress("preparing linkage keys")
        prepared = prepare_files(
            settings.registration, work / "linkage", aliases=dict(settings.aliases)
        )
        result.notes += prepared.notes
        registration_rows = prepared.summary["rows_read"]
        analysis = work / "linkage" / "analysis.parquet"
        if linked is None:
            if settings.register is None:
                raise ConfigError(
                    "project.toml: give [inputs] linked (CBS's linked file) or register "
                    "(a register folder for the simulated match)"
                )
            progress("simulating CBS's match")
            linked = work / "linked.csv"
            result.match_counts = match_files(
                work / "linkage" / "keys.csv", settings.register, linked, settings.aliases
            ).counts
    if analysis is None or linked is None or settings.jobs is None:
        raise ConfigError(
            "project.toml: [inputs] needs registration (+ register or linked), or analysis + linked; "
            "and jobs"
        )
    from nbnb_cbs.population import select_file  # noqa: PLC0415

    progress("the study's population")
    analysis, result.population = select_file(analysis, settings.population, work)
    progress("linkage yield")
    by = settings.by[0] if settings.by else None
    result.yield_cells = yield_files(analysis, linked, by, work, settings.aliases)
    progress("reading jobs (cut to the linked persons)")
    inputs = read_inputs(  # once for all anchors
        analysis, linked, settings.jobs, settings.enrolments, aliases=settings.aliases
    )
    if settings.models:
        from nbnb_cbs.models import check_columns  # noqa: PLC0415
        from nbnb_cbs.models.spec import check_covariate_breakdowns  # noqa: PLC0415

        check_columns(settings.models, inputs.analysis.columns, profile, "project.toml")
        check_covariate_breakdowns(settings.models, settings.by, "project.toml")
    for anchor in settings.anchors:
        progress(f"durability ({anchor} anchor)")
        options = DurabilityOptions(
            end=settings.end_month, anchor=anchor, unit=settings.unit,  # type: ignore[arg-type]
            by=settings.by, count_zero_rows=settings.count_zero_rows,
            snapshot_date=settings.snapshot_day,
        )  # fmt: skip
        out = compute(inputs, options)
        write_results(out, work / anchor)
        result.durability[anchor] = out
        result.notes += out.notes
    quality = (
        dict(next(iter(result.durability.values())).data_quality.iter_rows())
        if result.durability
        else {}
    )
    result.inputs = [
        i for i in (
            _input("registration", settings.registration, registration_rows),
            _input("analysis", settings.analysis, None),
            _input("linked", settings.linked, None),
            _input("register", settings.register, None),
            _input("jobs", settings.jobs, quality.get("jobs rows_read")),
            _input("enrolments", settings.enrolments, quality.get("enrolments rows_read")),
        ) if i is not None
    ]  # fmt: skip
    first = next(iter(result.durability.values()), None)
    if settings.models and first is not None:
        from nbnb_cbs.models import run_models  # noqa: PLC0415

        progress("models")
        result.models = run_models(
            settings.models, inputs.analysis, first.persons, profile, work / "models",
            where=str(analysis),
        )  # fmt: skip
        result.notes += [note for model in result.models for note in model.notes()]
    progress("disclosure control (the whole release at once)")
    check_breakdowns(settings.by, profile, inputs.analysis)
    # Linked as the durability step saw it (one definition for every table).
    linked_ids = (
        first.persons.filter(pl.col("RINPERSOON").is_not_null())["record_id"].cast(pl.String)
        if first is not None
        else inputs.linked.filter(pl.col("RINPERSOON").is_not_null())["record_id"].cast(pl.String)
    )
    from nbnb_cbs.disclosure.catalogue import OTHER_LEVEL  # noqa: PLC0415
    from nbnb_cbs.export.tables import ModelCounts  # noqa: PLC0415
    from nbnb_cbs.models import sample_destinations  # noqa: PLC0415
    from nbnb_cbs.models.run import release_levels  # noqa: PLC0415

    covariates, levels, model_levels = release_levels(result.models, OTHER_LEVEL)
    for m, mine in zip(result.models, model_levels, strict=True):
        m.levels = mine
    fits = [
        ModelCounts(f"model_{m.spec.name}_fit", tuple(sorted(sample_destinations(m.spec))),
                    float(m.fit.n), m.spec.outcome, float(m.fit.n_outcome), mine)
        for m, mine in zip(result.models, model_levels, strict=True)
    ]  # fmt: skip
    frame, domains = release_frame(
        inputs.analysis, linked_ids, result.durability, settings.by, settings.end_month,
        profile.threshold, samples=[m.sample for m in fits], covariates=covariates,
        levels=levels,
    )  # fmt: skip
    domains = dataclasses.replace(domains, unit=settings.unit)
    ledgers = work / "release-ledger"
    from nbnb_cbs.export.survival import (  # noqa: PLC0415
        release_rows,
        survival_candidates,
        survival_export_tables,
    )

    candidates = survival_candidates(
        first.survival_spells if first is not None else None, profile,
        unit=settings.unit, anchors=settings.anchors, rounding=settings.rounding,
        projects=frame.select("record_id", "project") if "project" in frame.columns else None,
    )  # fmt: skip
    release = build_release(
        frame, domains, profile, rounding=settings.rounding,
        series=first.series if first is not None else None,
        earlier=read_ledgers(ledgers), on_difference=settings.previous, models=fits,
        survival=release_rows(candidates),
    )  # fmt: skip
    survival, survival_review = survival_export_tables(candidates, release, profile.threshold)
    release.tables += survival
    release.review += survival_review
    result.release = release
    if release.withheld_models:
        names = {f"model_{m.spec.name}_fit": m.spec.name for m in result.models}
        withheld = [names[w] for w in release.withheld_models]
        result.models = [m for m in result.models if m.spec.name not in withheld]
        result.notes.append(
            f"model(s) {', '.join(withheld)} withheld from the export: with everything else "
            "released, their N or their persons per level (which B and SE give away) would let "
            "a count below the threshold be derived"
        )
    progress("writing and checking the export")
    params = {
        "end": settings.end, "anchors": list(settings.anchors), "unit": settings.unit,
        "by": list(settings.by), "count_zero_rows": settings.count_zero_rows,
        "rounding": settings.rounding, "series_rounding": SERIES_ROUNDING,
        "threshold": profile.threshold,
        "snapshot": settings.snapshot_date or f"{settings.end} (amounts prorated by days)",
        "population": result.population.published,
        "language": settings.language,
    }  # fmt: skip
    projects = (
        sorted(frame["project"].drop_nulls().unique().to_list())
        if "project" in frame.columns
        else []
    )
    result.bundle = write_bundle(
        settings.export_dir, release.tables, profile, project=settings.name, params=params,
        inputs=result.inputs, make_zip=make_zip,
        review={"audit": release.audit, "cells": release.review, "projects": projects,
                "certificate": release.protection.certificate},
        # The log says how the release was audited, in words; its numbers (the model's size,
        # cells hidden secondarily, LPs) go to export-review/ with the reasons. The size is the
        # protection's, withheld models included, which no check rebuilds from the files: in
        # the export it was a number anyone could change unseen (red team 36: atoms 1572 ->
        # 1575 passed). The steward's verdict gives the size it rebuilds itself.
        release_audit={k: v for k, v in release.audit.items() if isinstance(v, str)},
        models=_model_exports(result.models),
        csv_format=settings.csv_format or settings.language,
    )  # fmt: skip
    if release.ledger is not None:
        # Only an export that passed is a release later exports must not be differenced with.
        write_parquet(release.ledger, ledger_path(ledgers, result.bundle.created))
    return result


def _model_exports(models: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    from nbnb_cbs.models import export_tables, log_entry  # noqa: PLC0415

    return [(export_tables(m), log_entry(m)) for m in models]


# A B1.8-style model (report annex): in work at the end month, leavers to education excluded.
# sectoral, the demo's breakdown, cannot be a covariate: the model's counts per level (which its
# estimates give away) would be differenced with the breakdown's tables.
DEMO_MODELS = """
[[models]]
name = "in_work"
outcome = "in_work_at_end"
covariates = ["sex", "age_group"]
reference = { sex = "man" }
interactions = ["sex*age_group"]
exclude_destinations = ["education"]
merge_sparse_levels = true
"""


# Columns the export tables publish themselves: a breakdown may not take their names.
RESERVED = (
    "group",
    "statistic",
    "value",
    "n",
    "status",
    "pool",
    "month",
    "category",
    "bin",
    "breakdown",
)


def check_breakdowns(
    by: tuple[str, ...], profile: Any, analysis: pl.DataFrame | None = None
) -> None:
    """Refuse breakdowns that identify people or organisations, or that would shadow a published
    column; with the analysis frame, also breakdowns whose values single out projects."""
    for column in by:
        if profile.is_forbidden_column(column):
            raise DisclosureError(
                f"project.toml: [analysis] by = {column!r} is an identifier or key the "
                f"{profile.name} profile forbids in output; remove it from by"
            )
        if profile.is_protected_dimension(column):
            raise DisclosureError(
                f"project.toml: [analysis] by = {column!r}: results per project or organisation "
                "may not be produced from CBS data; remove it from by"
            )
        if column.lower() in RESERVED or column.startswith("_"):
            raise DisclosureError(
                f"project.toml: [analysis] by = {column!r} would shadow a column the export "
                f"publishes; rename it with an alias under [columns] (e.g. {column}_value)"
            )
    if analysis is None or "project" not in analysis.columns:
        return
    for column in by:
        if column not in analysis.columns or column == "project":
            continue
        pairs = analysis.select(
            pl.col(column).cast(pl.String), pl.col("project").cast(pl.String)
        ).unique()
        values = pairs[column].n_unique()
        per_value = pairs.group_by(column).agg(pl.col("project").n_unique().alias("k"))
        if values > 1 and per_value["k"].max() == 1 and profile.min_organisations > 1:
            raise DisclosureError(
                f"project.toml: [analysis] by = {column!r}: every value of {column!r} holds the "
                "records of a single project, so it would publish results per project; remove it"
            )


def demo(
    out: Path, seed: int = 2022, progress: Progress = _quiet, language: str | None = None
) -> RunResult:
    """Synthetic data, a project file for it, and the chain run on it."""
    from nbnb_cbs import synth  # noqa: PLC0415

    progress("generating synthetic data")
    options = synth.SynthOptions(seed=seed, format="parquet")
    synth.write(synth.build(options), out / "data", options.format)
    inputs = "\n".join(
        [
            'registration = "data/registration.csv"',
            'register = "data/register"            # simulated CBS match (synthetic data only)',
            'jobs = "data/jobs.parquet"',
            'enrolments = "data/enrolments.parquet"',
        ]
    )
    project = out / "project.toml"
    text = PROJECT_TEMPLATE.format(name="demo", inputs=inputs, end="2021-12") + DEMO_MODELS
    if language is not None:
        text = text.replace('language = "nl"', f"language = {language!r}", 1)
    write_text(text, project)
    return run_project(load_project(project), progress)
