"""``nbnb-cbs convert``: SPOLISBUS-size files into one sorted, typed Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded

app = typer.Typer(rich_markup_mode="rich")


@app.command(
    "convert",
    epilog=(
        "Example: [bold]nbnb-cbs convert SPOLISBUS2020V1.sav SPOLISBUS2021V1.sav --out jobs.parquet "
        "--cohort linked.csv[/bold]"
    ),
)
@guarded
def convert(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="One or more .sav, .dta, .csv or .parquet files (appended)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="The Parquet file to write.")],
    cohort: Annotated[
        Path | None, typer.Option("--cohort", help="CBS's linked file: keep only its persons.")
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--columns", help="Extra jobs columns to keep (required ones are always kept)."
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help="File contract: jobs or enrolments.")
    ] = "jobs",
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read at a time.")] = 250_000,
    config: Annotated[
        Path | None, typer.Option("--config", help="project.toml with column aliases.")
    ] = None,
) -> None:
    """Stream large CBS files into one Parquet file sorted by person, with a pid column beside
    RINPERSOON and parsed dates. Memory is bounded by --chunk-rows plus one person bucket of at
    most 1.5 million rows (under 1 GB), not by the size of the inputs."""
    from nbnb_cbs.errors import ConfigError, InputFileError  # noqa: PLC0415
    from nbnb_cbs.io.convert import convert_files  # noqa: PLC0415
    from nbnb_cbs.project import load_project  # noqa: PLC0415
    from nbnb_cbs.schemas import ENROLMENTS, JOBS  # noqa: PLC0415

    contracts = {"jobs": JOBS, "enrolments": ENROLMENTS}
    if kind not in contracts:
        raise ConfigError(f"--kind {kind!r} must be jobs or enrolments")
    if chunk_rows < 1000:
        raise ConfigError("--chunk-rows must be at least 1000")
    aliases = dict(load_project(config).aliases) if config else None
    with output.rows_progress("converting") as progress:
        result = convert_files(
            inputs, out, contract=contracts[kind], columns=columns, cohort=cohort,
            chunk_rows=chunk_rows, progress=progress, aliases=aliases,
        )  # fmt: skip
    for key, n in result.counts.items():
        output.warn(f"{n:,} value(s) {key.replace(':', ': ')} (read as empty)")
    if result.duplicate_rows:
        output.warn(
            f"{result.duplicate_rows:,} job row(s) were already in an earlier input file (same "
            "person, IKVID and period, e.g. V1 and V2 of a year) and were kept once"
        )
    table = Table("", "rows", title=f"Converted into {out}")
    for name, n in result.per_file.items():
        table.add_row(f"read from {name}", f"{n:,}")
    table.add_row("written", f"{result.rows_written:,}")
    table.add_row("outside the cohort (dropped)", f"{result.rows_outside_cohort:,}")
    table.add_row("without RINPERSOON (dropped)", f"{result.rows_without_rinpersoon:,}")
    if len(inputs) > 1:
        table.add_row("duplicate of an earlier file (dropped)", f"{result.duplicate_rows:,}")
    output.out().print(table)
    output.out().print(
        f"{result.row_groups} row groups, {result.seconds:.1f} s, {result.rows_per_second:,.0f} rows/s; "
        f"every row read is written or counted as dropped: {result.reconciles()}"
    )
    if not result.rows_written:
        # An empty file would pass for a converted one in every later step: nothing is kept.
        out.unlink(missing_ok=True)
        cause = (
            f"none of its {result.rows_read:,} rows belongs to a person of {cohort.name}; check "
            "that --cohort is the linked file for these inputs"
            if cohort is not None and result.rows_outside_cohort
            else f"the input holds no rows with a RINPERSOON ({result.rows_read:,} rows read)"
        )
        raise InputFileError(f"{', '.join(str(p) for p in inputs)}: nothing to convert: {cause}")
