"""Check a whole project before any work starts, and find results an earlier run left behind.

A run that reads a registration for a minute and then finds the jobs file missing wastes the
researcher's time and leaves half a work folder; so ``run`` checks the settings, that every input
exists, and that every input has its required columns (headers only, so this takes a moment),
before it starts.
"""

from __future__ import annotations

from pathlib import Path

from nbnb_cbs.errors import ColumnError, ConfigError, InputFileError
from nbnb_cbs.io.readers import check_columns, read_columns
from nbnb_cbs.project import ANCHORS, Settings
from nbnb_cbs.schemas import ANALYSIS_DROP, ENROLMENTS, JOBS, LINKED, REGISTRATION

__all__ = ["DURABILITY_FILES", "check_inputs_exist", "check_project", "stale_results"]

DURABILITY_FILES = (
    "persons.parquet",
    "durability.csv",
    "series.csv",
    "snapshot.csv",
    "exclusions.csv",
    "data_quality.csv",
    "education.csv",
)
_INPUTS = ("registration", "analysis", "linked", "register", "jobs", "enrolments")
_ANALYSIS_NEEDS = ("record_id", "exit_date", "exit_destination")


def check_project(settings: Settings, project: Path | str = "project.toml") -> None:
    """Raise the first problem with the settings or the inputs; return quietly when all is well."""
    _ = settings.end_month  # an end month is required and must be valid
    if settings.registration is None and (settings.analysis is None or settings.linked is None):
        raise ConfigError(
            f"{project}: [inputs] needs registration (your participant file), or analysis and "
            "linked (analysis.parquet from 'linkage prepare' and CBS's linked file)"
        )
    if settings.registration is not None and settings.linked is None and settings.register is None:
        raise ConfigError(
            f"{project}: [inputs] give linked (CBS's linked file) or register (a register folder "
            "for the simulated match, synthetic data only)"
        )
    if settings.jobs is None:
        raise ConfigError(f"{project}: [inputs] jobs is required (SPOLISBUS-like job records)")
    check_inputs_exist(settings, project)
    aliases = settings.aliases
    if settings.registration is not None:
        check_columns(settings.registration, REGISTRATION, aliases)
        research = [c for c in REGISTRATION.names if c not in ANALYSIS_DROP]
        _check_by(settings, project, [*research, *read_columns(settings.registration)])
        _check_models(settings, project, [*research, *read_columns(settings.registration)])
    if settings.analysis is not None and settings.registration is None:
        columns = read_columns(settings.analysis)
        for column in _ANALYSIS_NEEDS:
            if column not in columns:
                raise ColumnError.missing(settings.analysis, column, columns)
        _check_by(settings, project, columns)
        _check_models(settings, project, columns)
    if settings.linked is not None:
        check_columns(settings.linked, LINKED, aliases)
    if settings.register is not None and settings.linked is None:
        from nbnb_cbs.linkage.match import check_register  # noqa: PLC0415

        check_register(settings.register, aliases)
    check_columns(settings.jobs, JOBS, aliases)
    if settings.enrolments is not None:
        check_columns(settings.enrolments, ENROLMENTS, aliases)


def check_inputs_exist(
    settings: Settings, project: Path | str, names: tuple[str, ...] = _INPUTS
) -> None:
    """Every input named in the project file exists (paths explained from the project file)."""
    for name in names:
        path: Path | None = getattr(settings, name)
        if path is not None and not path.exists():
            raise InputFileError(
                f"{path}: [inputs] {name} not found; relative paths in {project} start at the "
                f"project file's folder ({settings.base_dir}); check the name and the folder"
            )


def _check_by(settings: Settings, project: Path | str, columns: list[str]) -> None:
    for column in settings.by:
        if column not in columns:
            raise ConfigError(
                f"{project}: [analysis] by = {column!r} is not a column of the analysis data; "
                f"available: {', '.join(c for c in columns if c != 'record_id')}"
            )


def _check_models(settings: Settings, project: Path | str, columns: list[str]) -> None:
    if not settings.models:
        return
    from nbnb_cbs.disclosure import load_profile  # noqa: PLC0415
    from nbnb_cbs.models.spec import check_columns, check_covariate_breakdowns  # noqa: PLC0415

    check_covariate_breakdowns(settings.models, settings.by, project)

    profile = load_profile(
        settings.profile
        if settings.profile in ("cbs", "acro")
        else settings.base_dir / settings.profile
    )
    check_columns(settings.models, columns, profile, project)


def stale_results(settings: Settings) -> list[tuple[Path, str]]:
    """Result files of an earlier run that this run will not write again, with the reason.

    Only names nbnb-cbs itself writes are listed, and never a file this run reads as input.
    """
    inputs = {path.resolve() for name in _INPUTS if (path := getattr(settings, name)) is not None}
    stale: list[tuple[Path, str]] = []
    for anchor in ANCHORS:
        folder = settings.work_dir / anchor
        if anchor not in settings.anchors:
            why = f"the {anchor} anchor is not in [analysis] anchors"
            stale += [(folder / name, why) for name in DURABILITY_FILES]
        elif settings.enrolments is None:
            stale.append((folder / "education.csv", "this run has no enrolments"))
    models = settings.work_dir / "models"
    configured = {spec.name for spec in settings.models}
    for summary in sorted(models.glob("*.json")):  # one per model an earlier run fitted
        name = summary.stem
        if name not in configured:
            why = f"model {name!r} is not in [[models]]"
            files = (f"{name}.json", f"{name}_all_terms.csv", f"{name}_vif.csv",
                     f"model_{name}.csv", f"model_{name}_fit.csv")  # fmt: skip
            stale += [(models / f, why) for f in files]
    return [(p, why) for p, why in stale if p.is_file() and p.resolve() not in inputs]
