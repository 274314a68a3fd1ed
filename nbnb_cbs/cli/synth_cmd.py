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
) -> None:
    """Write synthetic CBS-like data: a messy registration, a population register, SPOLISBUS-like
    jobs, enrolments, and truth.parquet (for tests only)."""
    from nbnb_cbs import synth as synthetic  # noqa: PLC0415

    options = synthetic.SynthOptions(participants, seed, population, messiness, fmt)  # type: ignore[arg-type]
    options.check()
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415

    check_folder(out)
    with output.Steps() as steps:
        steps(f"generating {participants} participants in a register of {options.population_size}")
        data = synthetic.build(options)
        steps(f"writing {out}")
        paths = synthetic.write(data, out, options.format)
    table = Table("file", "rows", title=f"Synthetic data in {out}")
    rows = [data.registration, data.persons, data.addresses, data.jobs, data.enrolments, data.truth]
    for path, frame in zip(paths, rows, strict=True):
        table.add_row(str(path), f"{frame.height:,}")
    output.out().print(table)
