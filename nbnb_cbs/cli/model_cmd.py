"""``nbnb-cbs model``: the project's ``[[models]]`` on the results of an earlier ``run``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded
from nbnb_cbs.errors import ConfigError
from nbnb_cbs.project import load_project

app = typer.Typer(rich_markup_mode="rich")


@app.command(
    "model",
    epilog="Example: [bold]nbnb-cbs model project.toml --name in_work[/bold]",
)
@guarded
def model(
    project: Annotated[
        Path, typer.Argument(help="The project file (project.toml) with \\[\\[models]] tables.")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Run only the model with this name.")
    ] = None,
) -> None:
    """Fit the project's models (logit or linear probability model) on the outcomes at the end
    month of an earlier run, with every disclosure check for model output: prints the checked
    tables and writes work/models/ (internal: all terms, VIF, ICC, stepwise log; and the checked
    model_<name>.csv and model_<name>_fit.csv, which [bold]run[/bold] puts into the export).
    A refused model exits 2 with the reason."""
    from nbnb_cbs.disclosure import load_profile  # noqa: PLC0415
    from nbnb_cbs.models import check_columns, export_tables, model_inputs, run_models  # noqa: PLC0415

    settings = load_project(project)
    specs = settings.models
    if not specs:
        raise ConfigError(f"{project}: no [[models]] tables; add one (see the README, Models)")
    if name is not None:
        specs = tuple(s for s in specs if s.name == name)
        if not specs:
            known = ", ".join(s.name for s in settings.models)
            raise ConfigError(f"{project}: no model named {name!r}; the project has {known}")
    profile = load_profile(
        settings.profile
        if settings.profile in ("cbs", "acro")
        else settings.base_dir / settings.profile
    )
    analysis, persons, analysis_path = model_inputs(settings)
    check_columns(specs, analysis.columns, profile, project)
    folder = settings.work_dir / "models"
    with output.Steps() as steps:
        steps("models")
        results = run_models(specs, analysis, persons, profile, folder, where=str(analysis_path))
    console = output.out()
    for result in results:
        tables = export_tables(result)
        coef, fit = tables.values()
        table = Table(
            *coef.columns,
            title=f"Model {result.spec.name}: {result.spec.outcome} ({result.spec.kind}; checked)",
        )
        for row in coef.iter_rows():
            table.add_row(
                *("" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v) for v in row)
            )
        console.print(table)
        console.print(
            "  "
            + ", ".join(f"{s} {v:g}" for s, v in fit.iter_rows())
            + (
                "; project fixed effects estimated, not published"
                if result.spec.fixed_effects
                else ""
            )
        )
        if result.references:
            console.print(
                "  reference levels: "
                + ", ".join(f"{k} = {v}" for k, v in result.references.items())
            )
        if result.icc is not None:
            console.print(f"  ICC of the project level (internal, not exported): {result.icc:.3f}")
        for note in result.notes():
            output.warn(note)
    console.print(
        f"Wrote {folder} (internal); 'nbnb-cbs run {project}' puts the checked tables in the export"
    )
