"""``nbnb-cbs synth``: write synthetic CBS-like data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded

app = typer.Typer(rich_markup_mode="rich")


@app.command(
    "synth",
    epilog="Example: [bold]nbnb-cbs synth --out demo-data --seed 7[/bold]",
)
@guarded
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    participants: Annotated[int, typer.Option(help="Number of participants.")] = 1012,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives identical files.")
    ] = 2022,
    population: Annotated[
        int | None,
        typer.Option(help="Register size incl. participants (default 12 x participants)."),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="Format of register, jobs and enrolments: csv, parquet or sav."
        ),
    ] = "csv",
    messiness: Annotated[
        float, typer.Option(help="0 = clean registration, 1 = realistic errors and odd forms.")
    ] = 1.0,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size",
            help="Persons whose job rows are generated and written at once (bounds memory; "
            "the files do not depend on it).",
        ),
    ] = 100_000,
) -> None:
    """Write synthetic CBS-like data: a messy registration, a population register, SPOLISBUS-like
    jobs, enrolments, and truth.parquet (for tests only)."""
    from nbnb_cbs import synth as synthetic  # noqa: PLC0415

    options = synthetic.SynthOptions(
        participants,
        seed,
        population,
        messiness,
        fmt,  # type: ignore[arg-type]
        chunk_size,
    )
    options.check()
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415

    check_folder(out)
    with output.Steps() as steps:
        steps(
            f"generating and writing {participants} participants in a register of "
            f"{options.population_size}"
        )
        written = synthetic.generate(options, out)
    table = Table("file", "rows", title=f"Synthetic data in {out}")
    for path, rows in written:
        table.add_row(str(path), f"{rows:,}")
    output.out().print(table)
