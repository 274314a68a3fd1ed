"""The survival tables of the export: Kaplan-Meier of the first job spell after exit and of the
time from exit to the first job, pooled to the profile's threshold (``nbnb_cbs.survival``).

A table sizes sets the release model describes: its population is the exit anchor's ``worked_1m``
group (first job spell) or ``exit_work`` group (time to first job); its events add up to the
records whose durability from the first job is below 1 (a spell is censored at E exactly when the
first job's durability is 1) or to ``worked_1m``; the first spell's censored at 12 months or more
are bounded by its steps (``release_summary``). These are rows of the release's LP (catalogue kind
``survival``), hidden first: a table whose rows would narrow a hidden number elsewhere is
suppressed whole by the release. Its own rules suppress it whole when the run cannot tie it to
those sets (a day unit, no exit anchor, or for the first spell no first-job anchor), when counts
are rounded (exact at-risk counts would undo the rounding), or when its steps cannot be pooled
to the threshold. Why a table was suppressed goes to the review records only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from nbnb_cbs.disclosure import Applied, Profile
from nbnb_cbs.export.tables import ExportTable, Release
from nbnb_cbs.survival import LANDMARK, SurvivalTable, release_summary, survival_table

__all__ = [
    "SURVIVAL_KIND",
    "SURVIVAL_TABLES",
    "Candidate",
    "SurvivalSpec",
    "blocked_reason",
    "release_rows",
    "steps_span_organisations",
    "survival_candidates",
    "survival_export_tables",
]

SURVIVAL_KIND = "survival"


@dataclass(frozen=True)
class SurvivalSpec:
    name: str
    title: str
    population: str  # the exit anchor's group whose records are at risk at the start
    anchors: tuple[str, ...]  # anchors whose groups the release model needs to size it
    time: str
    event: str


SURVIVAL_TABLES = (
    SurvivalSpec(
        "survival_first_spell",
        "Survival in work: months of the first job spell after exit until the first month "
        "without work (Kaplan-Meier; exited to work and worked at least one month)",
        "worked_1m", ("exit", "first-job"), "spell_months", "spell_event",
    ),
    SurvivalSpec(
        "survival_to_first_job",
        "Time from exit to the first job, in months (Kaplan-Meier; exited to work; "
        "survival = share not yet in work)",
        "exit_work", ("exit",), "to_job_months", "to_job_event",
    ),
)  # fmt: skip


def blocked_reason(spec: SurvivalSpec, unit: str, anchors: Sequence[str], rounding: int) -> str | None:  # fmt: skip
    """Why a survival table must be suppressed whole before its own rule is applied (or None):
    the release model must describe the sets it sizes (month unit, the exit anchor's groups, and
    for the first spell the first job's durability class, which says who is censored at E), and
    exact at-risk counts would undo rounding."""
    if unit != "month" or not set(spec.anchors) <= set(anchors):
        return "groups_not_published"
    if rounding:
        return "rounding"
    return None


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


@dataclass(frozen=True)
class Candidate:
    """A survival table as its own rules leave it, before the release decides."""

    spec: SurvivalSpec
    table: SurvivalTable
    reason: str | None  # why its own rules suppress it whole


def survival_candidates(
    spells: pl.DataFrame | None,
    profile: Profile,
    *,
    unit: str,
    anchors: Sequence[str],
    rounding: int = 0,
    projects: pl.DataFrame | None = None,
) -> list[Candidate]:
    """Both survival tables under their own rules (``projects``: record_id, project)."""
    if spells is None:
        return []
    out: list[Candidate] = []
    for spec in SURVIVAL_TABLES:
        members = spells.filter(pl.col(spec.population))
        blocked = blocked_reason(spec, unit, anchors, rounding)
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
        if reason is not None:
            table = survival_table([], [], profile.threshold, start_suppressed=True)
        out.append(Candidate(spec, table, reason))
    return out


def release_rows(candidates: Sequence[Candidate]) -> dict[str, dict[str, Any]]:
    """What each table its own rules publish says about set sizes (``build_release``'s
    ``survival``): the same summary the steward's audit reads from the file."""
    out: dict[str, dict[str, Any]] = {}
    for c in candidates:
        summary = release_summary(c.table.published) if c.reason is None else None
        if summary is None:
            continue
        summary["censored_from"] = tuple(summary["censored_from"])
        if c.spec.name == "survival_to_first_job":  # the catalogue's sets: first spell only
            summary.pop("censored_from")
            summary.pop("followed_from")
        out[c.spec.name] = summary
    return out


def survival_export_tables(
    candidates: Sequence[Candidate], release: Release, threshold: int
) -> tuple[list[ExportTable], list[dict[str, Any]]]:
    """The survival tables as exported: hidden whole where their own rules or the release (a row
    that would narrow a hidden number elsewhere) say so; review records say which."""
    tables: list[ExportTable] = []
    review: list[dict[str, Any]] = []
    for c in candidates:
        reason = c.reason or ("release" if c.spec.name in release.hidden_survival else None)
        table = c.table
        if reason is not None and c.reason is None:
            table = survival_table([], [], threshold, start_suppressed=True)
        published = table.published
        counts = dict(sorted(published.group_by("status").len().iter_rows()))
        log = {
            "table": c.spec.name,
            "kind": SURVIVAL_KIND,
            "anchor": "exit",
            "population": c.spec.population,
            "landmark": LANDMARK,
            "rounding": None,
            "status_counts": counts,
        }
        tables.append(
            ExportTable(
                c.spec.name, c.spec.title, Applied(published, log, counts=counts), SURVIVAL_KIND
            )
        )
        review.append(
            {"table": c.spec.name, "statistic": "table", "status": "suppressed" if reason else "published",
             "reason": reason, "interval": None, "organisations": None}
        )  # fmt: skip
    return tables, review
