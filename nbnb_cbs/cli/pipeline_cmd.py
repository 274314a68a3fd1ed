"""``nbnb-cbs run`` and ``nbnb-cbs demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import app, guarded
from nbnb_cbs.cli.durability_cmd import durability_table
from nbnb_cbs.config import load_project
from nbnb_cbs.pipeline import RunResult, demo, run_project


def _report(result: RunResult) -> None:
    for note in dict.fromkeys(result.notes):
        output.warn(note)
    console = output.out()
    if result.match_counts:
        table = Table("status", "keys", title="Simulated CBS match")
        for status, n in result.match_counts.items():
            table.add_row(status, str(n))
        console.print(table)
    if result.yield_cells is not None:
        cells = result.yield_cells.filter(result.yield_cells["statistic"] == "share_linked")
        table = Table(
            *(c for c in cells.columns if c != "statistic"), title="Linkage yield (share linked)"
        )
        for row in cells.drop("statistic").iter_rows():
            table.add_row(*(f"{v:.1%}" if isinstance(v, float) else str(v) for v in row))
        console.print(table)
    for anchor, cells in result.durability.items():
        console.print(
            durability_table(cells, f"Durability of work, {anchor} anchor (cf. report Table 6.3)")
        )
    work = result.settings.work_dir
    console.print(f"Internal results (person level, NOT disclosure-checked): {work}")
    console.print(
        "No export folder is written yet: disclosure control is not part of this version, "
        "so nothing here may leave the secure environment."
    )


@app.command("run", epilog="Example: [bold]nbnb-cbs run project.toml[/bold]")
@guarded
def run(project: Annotated[Path, typer.Argument(help="The project file (project.toml).")]) -> None:
    """Run the chain for a real project from its project file: linkage yield, durability
    (both anchors), monthly series and snapshot into the work folder."""
    _report(run_project(load_project(project), output.info))


@app.command("demo", epilog="Example: [bold]nbnb-cbs demo --out demo-out --seed 7[/bold]")
@guarded
def demo_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the synthetic data and all results.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Seed for the synthetic data.")] = 2022,
) -> None:
    """Generate synthetic data, prepare keys, simulate CBS's match, and run the chain on it:
    the one-command tour of nbnb-cbs."""
    _report(demo(out, seed, output.info))
    output.out().print(f"Project file used: {out / 'project.toml'}")
