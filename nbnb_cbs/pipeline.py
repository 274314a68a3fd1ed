"""The chain from a project file: linkage (simulated or CBS's file), yield, durability.

Disclosure control and the export folder are added by the disclosure and report steps; until
then everything produced here is internal (``work/``) and must not leave the secure environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nbnb_cbs.config import PROJECT_TEMPLATE, Settings, load_project
from nbnb_cbs.errors import ConfigError
from nbnb_cbs.writers import write_text

__all__ = ["RunResult", "demo", "run_project"]

Progress = Callable[[str], None]


@dataclass
class RunResult:
    settings: Settings
    yield_cells: pl.DataFrame | None = None
    durability: dict[str, pl.DataFrame] = field(default_factory=dict)
    match_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _quiet(_: str) -> None:
    return None


def run_project(settings: Settings, progress: Progress = _quiet) -> RunResult:
    from nbnb_cbs.durability import DurabilityOptions, run_files  # noqa: PLC0415
    from nbnb_cbs.linkage import match_files, prepare_files, yield_files  # noqa: PLC0415

    work = settings.work_dir
    result = RunResult(settings)
    analysis, linked = settings.analysis, settings.linked
    if settings.registration is not None:
        progress("preparing linkage keys")
        prepared = prepare_files(
            settings.registration, work / "linkage", aliases=dict(settings.aliases)
        )
        result.notes += prepared.notes
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
                work / "linkage" / "keys.csv", settings.register, linked
            ).counts
    if analysis is None or linked is None or settings.jobs is None:
        raise ConfigError(
            "project.toml: [inputs] needs registration (+ register or linked), or analysis + linked; "
            "and jobs"
        )
    progress("linkage yield")
    by = "sectoral" if "sectoral" in settings.by else None
    result.yield_cells = yield_files(analysis, linked, by, work)
    for anchor in settings.anchors:
        progress(f"durability ({anchor} anchor)")
        options = DurabilityOptions(
            end=settings.end_month, anchor=anchor, unit=settings.unit,  # type: ignore[arg-type]
            by=settings.by, count_zero_rows=settings.count_zero_rows,
        )  # fmt: skip
        out = run_files(
            analysis, linked, settings.jobs, work / anchor, options, settings.enrolments
        )
        result.durability[anchor] = out.durability
        result.notes += out.notes
    return result


def demo(out: Path, seed: int = 2022, progress: Progress = _quiet) -> RunResult:
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
    write_text(PROJECT_TEMPLATE.format(name="demo", inputs=inputs, end="2021-12"), project)
    return run_project(load_project(project), progress)
