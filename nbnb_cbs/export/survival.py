"""The survival tables of the export: Kaplan-Meier of the first job spell after exit and of the
time from exit to the first job, pooled to the profile's threshold (``nbnb_cbs.survival``).

Each table starts from a set the release already publishes the size of: the exit anchor's
``worked_1m`` group (first job spell) and ``exit_work`` group (time to first job, whose events
add up to ``worked_1m``). Those sizes are the ``n`` of the ``durability_exit`` table's Total rows,
so a table is suppressed whole when the release suppresses either size, when the run cannot tie
them (a day unit or no exit anchor: the groups differ), or when counts are rounded (exact at-risk
counts would undo the rounding). Why a table was suppressed goes to the review records only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from nbnb_cbs.disclosure import Applied, Profile
from nbnb_cbs.export.tables import ExportTable, Release
from nbnb_cbs.survival import LANDMARK, SurvivalTable, survival_table

__all__ = [
    "SURVIVAL_KIND",
    "SURVIVAL_TABLES",
    "SurvivalSpec",
    "blocked_reason",
    "start_population_suppressed",
    "steps_span_organisations",
    "survival_export_tables",
]

SURVIVAL_KIND = "survival"


@dataclass(frozen=True)
class SurvivalSpec:
    name: str
    title: str
    population: str  # the exit anchor's group whose records are at risk at the start
    tied: tuple[str, ...]  # groups whose published sizes the table repeats
    time: str
    event: str


SURVIVAL_TABLES = (
    SurvivalSpec(
        "survival_first_spell",
        "Survival in work: months of the first job spell after exit until the first month "
        "without work (Kaplan-Meier; exited to work and worked at least one month)",
        "worked_1m", ("worked_1m",), "spell_months", "spell_event",
    ),
    SurvivalSpec(
        "survival_to_first_job",
        "Time from exit to the first job, in months (Kaplan-Meier; exited to work; "
        "survival = share not yet in work)",
        "exit_work", ("exit_work", "worked_1m"), "to_job_months", "to_job_event",
    ),
)  # fmt: skip


def start_population_suppressed(release: Release, groups: Sequence[str]) -> bool | None:
    """Whether the release suppresses the size of any of the exit anchor's ``groups`` (the ``n``
    of the ``durability_exit`` Total rows); None when it publishes no such row."""
    found: dict[str, bool] = {}
    for cell in release.model.cells:
        spec = cell.spec
        if spec.table != "durability_exit" or spec.statistic != "n":
            continue
        group = spec.dims.get("group")
        if group in groups and all(v == "Total" for k, v in spec.dims.items() if k != "group"):
            found[str(group)] = cell.suppressed
    if set(found) != set(groups):
        return None
    return any(found.values())


def blocked_reason(hidden: bool | None, unit: str, anchors: Sequence[str], rounding: int) -> str | None:  # fmt: skip
    """Why a survival table must be suppressed whole before its own rule is applied (or None).
    ``hidden``: ``start_population_suppressed`` of the groups the table repeats."""
    if unit != "month" or "exit" not in anchors:
        return "groups_not_published"  # the month-unit exit-anchor groups are not a published set
    if rounding:
        return "rounding"
    if hidden is None:
        return "groups_not_published"
    return "start_population_suppressed" if hidden else None


def steps_span_organisations(table: SurvivalTable, spells: pl.DataFrame, spec: SurvivalSpec,
                             projects: pl.DataFrame | None, minimum: int) -> bool:  # fmt: skip
    """Every step's at-risk set and event set hold records of at least ``minimum`` projects."""
    if projects is None or minimum <= 1 or not table.steps:
        return True
    frame = spells.join(projects, on="record_id", how="left")
    time, event = pl.col(spec.time), pl.col(spec.event)
    for step in table.steps:
        at_risk = frame.filter(time >= step.start)
        within = at_risk.filter(event & (True if step.end is None else time <= step.end))
        if min(at_risk["project"].n_unique(), within["project"].n_unique()) < minimum:
            return False
    return True


def survival_export_tables(
    spells: pl.DataFrame | None,
    release: Release,
    profile: Profile,
    *,
    unit: str,
    anchors: Sequence[str],
    rounding: int = 0,
    projects: pl.DataFrame | None = None,
) -> tuple[list[ExportTable], list[dict[str, Any]]]:
    """Both survival tables and their review records (``projects``: record_id, project)."""
    if spells is None:
        return [], []
    tables: list[ExportTable] = []
    review: list[dict[str, Any]] = []
    for spec in SURVIVAL_TABLES:
        members = spells.filter(pl.col(spec.population))
        hidden = start_population_suppressed(release, spec.tied)
        blocked = blocked_reason(hidden, unit, anchors, rounding)
        table = survival_table(
            members[spec.time].to_numpy(),
            members[spec.event].to_numpy(),
            profile.threshold,
            start_suppressed=blocked is not None,
        )
        reason = blocked or table.reason
        if reason is None and not steps_span_organisations(
            table, members, spec, projects, profile.min_organisations
        ):
            reason = "organisations"
            table = survival_table([], [], profile.threshold, start_suppressed=True)
        published = table.published
        counts = dict(sorted(published.group_by("status").len().iter_rows()))
        log = {
            "table": spec.name,
            "kind": SURVIVAL_KIND,
            "anchor": "exit",
            "population": spec.population,
            "landmark": LANDMARK,
            "rounding": None,
            "status_counts": counts,
        }
        tables.append(
            ExportTable(
                spec.name, spec.title, Applied(published, log, counts=counts), SURVIVAL_KIND
            )
        )
        review.append(
            {"table": spec.name, "statistic": "table", "status": "suppressed" if reason else "published",
             "reason": reason, "interval": None, "organisations": None}
        )  # fmt: skip
    return tables, review
