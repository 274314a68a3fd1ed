"""``nbnb-cbs durability``: durability of work, monthly series and snapshot into a work folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from nbnb_cbs.cells import STATISTIC, VALUE
from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded
from nbnb_cbs.project import Settings, load_project, resolve

app = typer.Typer(rich_markup_mode="rich")

GROUP_LABELS = {
    "exit_work": "exited to work",
    "worked_1m": "exited to work and worked at least one month",
    "observed_12m": "exited to work at least a year before the end (and worked)",
}


def durability_table(cells: pl.DataFrame, title: str) -> Table:
    """The overall durability cells shaped like the report's Table 6.3 (· = suppressed)."""
    table = Table("group", "N", "mean", "time-weighted mean", "100%", ">= 90%", title=title)
    overall = cells.filter(pl.col("by") == "")
    for group, label in GROUP_LABELS.items():
        stats = dict(overall.filter(pl.col("group") == group).select(STATISTIC, VALUE).iter_rows())
        if not stats:
            continue

        def pct(name: str, stats: dict[str, float] = stats) -> str:
            value = stats.get(name)
            return "·" if value is None else f"{value:.0%}"

        table.add_row(
            label,
            "·" if stats.get("n") is None else f"{int(stats['n'])}",
            pct("mean"),
            pct("weighted_mean"),
            pct("share_100"),
            pct("share_ge_90"),
        )
    return table


@app.command(
    "durability",
    epilog=(
        "Example: [bold]nbnb-cbs durability --analysis linkage/analysis.parquet --linked linked.csv "
        "--jobs demo-data/jobs.csv --end 2021-12 --by sectoral --out work[/bold]"
    ),
)
@guarded
def durability(
    out: Annotated[
        Path | None, typer.Option("--out", help="Work folder (inside the secure environment).")
    ] = None,
    analysis: Annotated[
        Path | None, typer.Option("--analysis", help="analysis.parquet from 'linkage prepare'.")
    ] = None,
    linked: Annotated[Path | None, typer.Option("--linked", help="CBS's linked file.")] = None,
    jobs: Annotated[
        Path | None, typer.Option("--jobs", help="SPOLISBUS-like jobs (.sav, .csv, .parquet).")
    ] = None,
    enrolments: Annotated[
        Path | None, typer.Option("--enrolments", help="Enrolments, for education durability.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last observed month, inclusive: YYYY-MM.")
    ] = None,
    anchor: Annotated[
        str,
        typer.Option("--anchor", help="Window start: 'exit' (month after exit) or 'first-job'."),
    ] = "exit",
    unit: Annotated[str | None, typer.Option("--unit", help="Count months or days.")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Also break down by this analysis column (repeatable)."),
    ] = None,
    count_zero_rows: Annotated[
        bool,
        typer.Option("--count-zero-rows", help="Count job rows with zero hours and wage as work."),
    ] = False,
    snapshot_date: Annotated[
        str | None,
        typer.Option(
            "--snapshot-date",
            help="Snapshot on this day (YYYY-MM-DD, in the end month): rows containing it, whole. "
            "Default: the end month, each row prorated by its days in the month.",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="project.toml supplying inputs and settings.")
    ] = None,
) -> None:
    """Durability of work after exit (share of observable months or days in work), the monthly
    share in work and a snapshot at the end month. Results in the work folder are NOT
    disclosure-controlled: they stay inside the secure environment."""
    from nbnb_cbs.durability import DurabilityOptions, run_files  # noqa: PLC0415
    from nbnb_cbs.errors import ConfigError  # noqa: PLC0415
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415

    base = load_project(config) if config else Settings()
    if config is not None:
        from nbnb_cbs.preflight import check_inputs_exist  # noqa: PLC0415

        check_inputs_exist(base, config, ("analysis", "linked", "jobs", "enrolments"))
    settings = resolve(
        base, analysis=analysis, linked=linked, jobs=jobs, enrolments=enrolments, end=end,
        unit=unit, by=tuple(by) if by else None, count_zero_rows=count_zero_rows or None,
        anchors=(anchor,), work_dir=out, snapshot_date=snapshot_date,
    )  # fmt: skip
    for name in ("analysis", "linked", "jobs"):
        if getattr(settings, name) is None:
            raise ConfigError(f"--{name} is required (or give it in project.toml with --config)")
    if out is None and config is None:
        raise ConfigError("--out is required: the work folder for the results")
    assert settings.analysis and settings.linked and settings.jobs  # for the type checker
    check_folder(settings.work_dir)
    analysis_file = settings.analysis
    if settings.population.active:
        from nbnb_cbs.population import select_file  # noqa: PLC0415

        analysis_file, selection = select_file(
            settings.analysis, settings.population, settings.work_dir
        )
        output.out().print(f"Population: {selection.summary}")
    options = DurabilityOptions(
        end=settings.end_month, anchor=anchor, unit=settings.unit,  # type: ignore[arg-type]
        by=settings.by if by or config else (), count_zero_rows=settings.count_zero_rows,
        snapshot_date=settings.snapshot_day,
    )  # fmt: skip
    with output.Steps() as steps:
        result = run_files(
            analysis_file, settings.linked, settings.jobs, settings.work_dir, options,
            settings.enrolments, aliases=settings.aliases, progress=steps, rows=steps.rows,
        )  # fmt: skip
    for note in result.notes:
        output.warn(note)
    title = f"Durability of work (anchor {anchor}, unit {settings.unit}, end {settings.end}) - NOT disclosure-checked"
    output.out().print(durability_table(result.durability, title))
    output.out().print(
        f"Wrote persons.parquet, durability.csv, series.csv, snapshot.csv, exclusions.csv, data_quality.csv to {settings.work_dir}"
    )
