"""``nbnb-cbs run`` and ``nbnb-cbs demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from nbnb_cbs.cells import PUBLISHED_COLUMNS, STATISTIC, TOTAL_LABEL
from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded
from nbnb_cbs.cli.durability_cmd import durability_table
from nbnb_cbs.export.labels import Language
from nbnb_cbs.pipeline import RunResult, demo, run_project
from nbnb_cbs.project import load_project, resolve

app = typer.Typer(rich_markup_mode="rich")


def _report(result: RunResult) -> None:
    for note in dict.fromkeys(result.notes):
        output.warn(note)
    console = output.out()
    if result.match_counts:
        table = Table("status", "keys", title="Simulated CBS match (internal)")
        for status, n in result.match_counts.items():
            table.add_row(status, str(n))
        console.print(table)
    bundle = result.bundle
    published = {t.name: t.applied.published for t in bundle.tables} if bundle is not None else {}
    if "linkage_yield" in published:
        cells = published["linkage_yield"].filter(pl.col(STATISTIC) == "share_linked")
        table = Table(
            *(c for c in cells.columns if c != STATISTIC),
            title="Linkage yield (share linked, checked)",
        )
        for row in cells.drop(STATISTIC).iter_rows():
            table.add_row(
                *("·" if v is None else f"{v:.1%}" if isinstance(v, float) else str(v) for v in row)
            )
        console.print(table)
    for name, frame in published.items():
        if name.startswith("durability_") and name != "durability_distribution":
            key = next(c for c in frame.columns if c not in ("group", *PUBLISHED_COLUMNS))
            overall = frame.filter(pl.col(key) == TOTAL_LABEL).with_columns(
                by=pl.lit(""), by_value=pl.lit("")
            )
            anchor = name.removeprefix("durability_").replace("_", "-")
            console.print(
                durability_table(
                    overall, f"Durability of work, {anchor} anchor (cf. report Table 6.3; checked)"
                )
            )
    for model in result.models:
        console.print(
            f"Model {model.spec.name} ({model.spec.outcome}, {model.spec.kind}): N {model.fit.n}, "
            f"residual dof {model.fit.df_resid} -> model_{model.spec.name}.csv (checked)"
        )
    if result.population is not None:
        console.print(
            f"Population (internal; the export names its rules only): {result.population.summary}"
        )
    console.print(
        f"Internal results (person level, NOT disclosure-checked, stay inside): {result.settings.work_dir}"
    )
    if bundle is not None:
        console.print(
            f"Export (disclosure-checked; the steward's check passed on {bundle.check.tables_checked} tables "
            f"and {bundle.check.cells_audited} audited suppressed cells): {bundle.export_dir}"
        )
        console.print(
            f"  report: {bundle.export_dir / 'report.html'}; log: disclosure-log.json; manifest: manifest.json"
        )
        if bundle.zip_path is not None:
            console.print(f"  zip for the output-check request: {bundle.zip_path}")


@app.command("run", epilog="Example: [bold]nbnb-cbs run project.toml[/bold]")
@guarded
def run(
    project: Annotated[Path, typer.Argument(help="The project file (project.toml).")],
    make_zip: Annotated[
        bool, typer.Option("--zip", help="Also write LIGHT_<project>_<date>.zip of the export.")
    ] = False,
    language: Annotated[
        Language | None,
        typer.Option(
            "--language",
            help="Report, figures and labels in nl (Dutch) or en (English); overrides [output] language.",
        ),
    ] = None,
) -> None:
    """Run the chain for a real project: linkage yield, durability (both anchors), monthly series,
    snapshot and education into work/, and a disclosure-checked export (tables, figures, report,
    log, manifest) into export/. Exits 1 if the export would not pass output checking."""
    from nbnb_cbs.preflight import check_project, stale_results  # noqa: PLC0415

    settings = resolve(load_project(project), language=language)
    check_project(settings, project)
    for path, why in stale_results(settings):
        path.unlink()
        output.info(f"removed {path}: a result of an earlier run ({why})")
    if (settings.export_dir / "manifest.json").is_file():
        output.info(f"replacing the export in {settings.export_dir} (an earlier run's)")
    with output.Steps() as steps:
        result = run_project(settings, steps, make_zip=make_zip)
    _report(result)


@app.command("demo", epilog="Example: [bold]nbnb-cbs demo --out demo-out --seed 7[/bold]")
@guarded
def demo_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the synthetic data and all results.")
    ] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Seed for the synthetic data.")] = 2022,
    language: Annotated[
        Language,
        typer.Option(
            "--language", help="Report, figures and labels in nl (Dutch) or en (English)."
        ),
    ] = "nl",
) -> None:
    """Generate synthetic data, prepare keys, simulate CBS's match, and run the chain on it:
    the one-command tour of nbnb-cbs."""
    from nbnb_cbs.io.writers import check_folder  # noqa: PLC0415

    check_folder(out)
    with output.Steps() as steps:
        result = demo(out, seed, steps, language=language)
    _report(result)
    output.out().print(f"Project file used: {out / 'project.toml'}")
