"""``nbnb-cbs linkage prepare|match|yield``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded
from nbnb_cbs.project import load_project

app = typer.Typer(
    help="Prepare CBS linkage keys, simulate CBS's match, report the linkage yield.",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@app.command(
    "prepare",
    epilog="Example: [bold]nbnb-cbs linkage prepare demo-data/registration.csv --out linkage[/bold]",
)
@guarded
def prepare(
    registration: Annotated[
        Path, typer.Argument(help="The participant registration (CSV, Parquet, SPSS).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for keys.csv, analysis.parquet, crosswalk.csv, rejects.csv, summary.json.",
        ),
    ],
    config: Annotated[
        Path | None, typer.Option("--config", help="project.toml with column aliases.")
    ] = None,
    keep_ambiguous: Annotated[
        bool,
        typer.Option("--keep-ambiguous", help="Send keys shared by several rows to CBS anyway."),
    ] = False,
) -> None:
    """Validate and normalise every registration row into CBS linkage keys; explain every reject."""
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415
    from nbnb_cbs.linkage import prepare_files, summary_rows  # noqa: PLC0415

    check_folder(out)
    aliases = dict(load_project(config).aliases) if config else None
    result = prepare_files(registration, out, aliases=aliases, keep_ambiguous=keep_ambiguous)
    for note in result.notes:
        output.warn(note)
    table = Table("", "count", title="Linkage keys prepared")
    for label, value in summary_rows(result.summary):
        table.add_row(label, value)
    output.out().print(table)
    s = result.summary
    if s["keys"] and s["keys_birth_year_only"]:
        output.out().print(
            f"{s['keys_birth_year_only']} of {s['keys']} keys carry only a birth year; full birth "
            "dates make CBS's match unique far more often."
        )
    if s["keys_ambiguous_kept"]:
        output.out().print(
            f"{s['keys_ambiguous_kept']} ambiguous keys were kept (--keep-ambiguous)."
        )
    output.out().print(
        f"Send {out / 'keys.csv'} to CBS; keep crosswalk.csv and rejects.csv yourself."
    )


@app.command(
    "match",
    epilog="Example: [bold]nbnb-cbs linkage match linkage/keys.csv --register demo-data/register --out linked.csv[/bold]",
)
@guarded
def match(
    keys: Annotated[Path, typer.Argument(help="keys.csv from 'linkage prepare'.")],
    register: Annotated[
        Path, typer.Option("--register", help="Folder with persons.* and addresses.*.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write linked.csv.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="project.toml with column aliases.")
    ] = None,
) -> None:
    """Simulate CBS's linkage desk on synthetic data (for development and CI, not real linkage):
    a key links when exactly one register person fits it on its peildatum."""
    from nbnb_cbs.linkage import match_files  # noqa: PLC0415

    aliases = dict(load_project(config).aliases) if config else None
    result = match_files(keys, register, out, aliases)
    table = Table("status", "keys", title="Simulated CBS match")
    for status, n in result.counts.items():
        table.add_row(status, str(n))
    output.out().print(table)
    output.out().print(f"Wrote {out}")


@app.command(
    "yield",
    epilog="Example: [bold]nbnb-cbs linkage yield --analysis linkage/analysis.parquet --linked linked.csv --by sectoral --out work[/bold]",
)
@guarded
def yield_(
    analysis: Annotated[
        Path, typer.Option("--analysis", help="analysis.parquet from 'linkage prepare'.")
    ],
    linked: Annotated[
        Path, typer.Option("--linked", help="CBS's linked file (record_id;RINPERSOONS;RINPERSOON).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write yield.csv (a cell frame) into.")
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="Break the yield down by this analysis column.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="project.toml with column aliases.")
    ] = None,
) -> None:
    """Linkage yield overall and per group, as a cell frame ready for disclosure control."""
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415
    from nbnb_cbs.linkage import yield_files  # noqa: PLC0415
    from nbnb_cbs.population import select_file  # noqa: PLC0415

    check_folder(out)
    project = load_project(config) if config else None
    aliases = dict(project.aliases) if project else None
    if project is not None and project.population.active:
        analysis, selection = select_file(analysis, project.population, out)
        output.out().print(f"Population: {selection.summary}")
    cells = yield_files(analysis, linked, by, out, aliases)
    table = Table(*(c for c in cells.columns), title="Linkage yield (not yet disclosure-checked)")
    for row in cells.iter_rows():
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    output.out().print(table)
    output.out().print(f"Wrote {out / 'yield.csv'}")
