"""The steward's check: an export folder (and earlier exports of the project) through every pass.

Passes are plain functions ``(export, previous, profile) -> list[Finding]``. The whole-release
audit joins them as ``audit_release`` in ``nbnb_cbs/disclosure/release.py`` once that exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nbnb_cbs import __version__
from nbnb_cbs.disclosure.check import table_rules_pass
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.release_audit import audit_release
from nbnb_cbs.disclosure.steward.canonical import canonical_pass
from nbnb_cbs.disclosure.steward.content import content_pass
from nbnb_cbs.disclosure.steward.inventory import inventory_pass
from nbnb_cbs.disclosure.steward.kinds import kinds_pass
from nbnb_cbs.disclosure.steward.model import AuditPass, CheckResult, load_export
from nbnb_cbs.disclosure.steward.models import models_pass
from nbnb_cbs.disclosure.steward.releases import previous_pass
from nbnb_cbs.disclosure.steward.rerender import rerender_pass
from nbnb_cbs.disclosure.steward.survival import survival_pass

__all__ = ["NOT_CHECKABLE", "PASSES", "check_export"]

PASSES: tuple[tuple[str, AuditPass], ...] = (
    ("inventory", inventory_pass),
    ("content", content_pass),
    ("canonical", canonical_pass),
    ("rerender", rerender_pass),
    ("kinds", kinds_pass),
    ("tables", table_rules_pass),
    ("previous", previous_pass),
    ("models", models_pass),
    ("survival", survival_pass),
)
NO_JOINT_AUDIT = (
    "relations between tables (shared populations, nested groups, anchors, series vs snapshot) "
    "are not audited jointly: only each table's own margins are, and only where the log marks "
    "the table additive"
)
NOT_CHECKABLE = [
    "dominance (NK and p-ratio) of means needs the largest contributions, which are never published",
    "releases made outside nbnb-cbs, or exports not given with --previous, are unknown to the check",
    "across releases only count cells (and n) of same-named tables of the same kind are "
    "differenced; means and shares across releases are not",
    "identifiers are found by pattern: a value coded so no pattern matches (spelled out, split "
    "over cells) is not recognised",
    "a group that happens to be one project is not visible from the export; only names in "
    "export-review/projects.json and words such as project, organisation, gemeente are",
    "numerators and complements of shares whose n was rounded are bounded, not recovered",
    "model output: a logit's persons per outcome value in each covariate level and interaction "
    "cell are proven from B and SE where SE <= 1/sqrt(threshold), else estimated (a linear "
    "probability model's too, listed below); with a numeric covariate or project fixed effects "
    "they are only bounded, and the run's count before fitting is the guarantee; the model kind "
    "is the log's word (a linear model logged as a logit is read as one); the joint audit "
    "counts a logit's persons per level (with and without the outcome) where B and SE give them "
    "as whole numbers (one categorical covariate, or two with their interaction): other models' "
    "levels are unknowns of it, guarded by the run's protection, which counts them all",
    "derived files are proven equal to a re-rendering only on the library versions the manifest "
    "records; other versions mean review by eye",
]


def check_export(
    export_dir: Path,
    profile: Profile,
    previous: Sequence[Path] = (),
    passes: Sequence[tuple[str, AuditPass]] | None = None,
) -> CheckResult:
    """Every pass over the export; a folder without a readable manifest raises (exit 2)."""
    export = load_export(export_dir)
    earlier = [load_export(p) for p in previous]
    chosen = list(PASSES if passes is None else passes)
    if passes is None:
        chosen.append(("release", audit_release))
    result = CheckResult(export_dir, profile.name, previous=[str(p) for p in previous])
    for name, run in chosen:
        result.findings += run(export, earlier, profile)
        result.passes.append(name)
    result.files_checked = sum(1 for p in export_dir.rglob("*") if p.is_file())
    result.tables_checked = export.counters["tables_checked"]
    result.cells_audited = export.counters["cells_audited"]
    written = export.manifest.get("version")
    result.not_checkable = [
        *(
            []
            if written == __version__
            else [
                f"the export was written by nbnb-cbs {written}; this check is nbnb-cbs "
                f"{__version__}: a finding may be a form that version wrote (formats change "
                "between versions); check it with the version that wrote it"
            ]
        ),
        *([] if "release" in result.passes else [NO_JOINT_AUDIT]),
        *NOT_CHECKABLE,
        *export.notes,
    ]
    return result
