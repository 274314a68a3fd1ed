"""``nbnb-cbs disclosure apply|check``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from nbnb_cbs.cells import CELL_COLUMNS, MARGIN_LABELS, STATUS, TOTAL_LABEL, N, Status
from nbnb_cbs.cli import output
from nbnb_cbs.cli.app import guarded
from nbnb_cbs.errors import EXIT_VIOLATIONS
from nbnb_cbs.project import load_project

app = typer.Typer(
    help="Apply disclosure control to tables; re-check an export folder (for data stewards).",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


def _renames(pairs: list[str]) -> dict[str, str]:
    """``old=new`` options as a mapping."""
    from nbnb_cbs.errors import ConfigError  # noqa: PLC0415

    renames: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = (part.strip() for part in pair.partition("="))
        if not sep or not old or not new:
            raise ConfigError(
                f"--rename {pair!r}: write it as OLD=NEW, e.g. --rename status=employment_status"
            )
        renames[old] = new
    return renames


def _cell_aliases(
    table: Path, aliases: Mapping[str, list[str]], renames: dict[str, str]
) -> dict[str, str]:
    """[columns] aliases of the cell columns as renames: a table without ``n`` but with its
    alias ``aantal`` has that column renamed (an explicit --rename wins)."""
    from nbnb_cbs.io.readers import read_columns  # noqa: PLC0415

    columns = read_columns(table)
    lowered = {c.strip().lower(): c for c in columns}
    out = dict(renames)
    for canonical in CELL_COLUMNS:
        if canonical in columns or canonical in out.values():
            continue
        found = [
            lowered[a.strip().lower()]
            for a in aliases.get(canonical, [])
            if a.strip().lower() in lowered
        ]
        if found and found[0] not in out:
            out[found[0]] = canonical
    return out


@app.command(
    "apply",
    epilog="Example: [bold]nbnb-cbs disclosure apply counts.csv --out published.csv --dims sex,region --margins[/bold]",
)
@guarded
def apply(
    tables: Annotated[
        list[Path],
        typer.Argument(
            help="Long-format table(s): dimension columns, n, optional statistic, value, total, "
            "top1, top2. Several tables that count the same persons are protected together.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Published table (CSV); its log goes to OUT.log.json, per-cell reasons to "
            "OUT.review.json. With several tables: a folder for all of them.",
        ),
    ],
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Rule profile: cbs, acro, or a profile TOML path (default: --config's, else cbs).",
        ),
    ] = None,
    dims: Annotated[
        str | None,
        typer.Option("--dims", help="Dimension columns, comma-separated (default: all others)."),
    ] = None,
    count: Annotated[
        str, typer.Option("--count", help="The column with the units behind each cell.")
    ] = N,
    statistic: Annotated[
        str | None,
        typer.Option(
            "--statistic",
            help="What value is (count, share_..., mean_...) when the table has no statistic column.",
        ),
    ] = None,
    rename: Annotated[
        list[str] | None,
        typer.Option(
            "--rename",
            help="Rename a column first, OLD=NEW (repeatable), e.g. status=employment_status.",
        ),
    ] = None,
    margins: Annotated[
        bool,
        typer.Option("--margins", help="The table is additive: protect cells against subtraction."),
    ] = False,
    total_label: Annotated[
        str | None,
        typer.Option(
            "--total-label",
            help=f"Dimension value of margin rows (default: the one of {', '.join(MARGIN_LABELS)} the table uses, else {TOTAL_LABEL}).",
        ),
    ] = None,
    pool_over: Annotated[
        str | None,
        typer.Option(
            "--pool-over", help="Pool consecutive periods of this column instead of suppressing."
        ),
    ] = None,
    rounding: Annotated[
        int | None,
        typer.Option(
            "--rounding",
            help="Round published counts to 5 or 10 (0 = off; default: --config's, else 0).",
        ),
    ] = None,
    no_dominance_risk: Annotated[
        bool,
        typer.Option(
            "--no-dominance-risk",
            help="Allow magnitudes without top1/top2: no unit can dominate them (logged).",
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="project.toml: its [disclosure] profile and rounding, and [columns] aliases of n, "
            'value, statistic, total, top1, top2 (e.g. n = ["aantal"]).',
        ),
    ] = None,
) -> None:
    """Apply disclosure rules to a table: primary suppression, secondary suppression with an LP
    audit (--margins), pooling (--pool-over) and rounding; reasons go to the review file."""
    from nbnb_cbs.disclosure import apply_file, load_profile  # noqa: PLC0415
    from nbnb_cbs.disclosure.files import log_path, review_path  # noqa: PLC0415
    from nbnb_cbs.errors import ConfigError  # noqa: PLC0415

    settings = load_project(config) if config is not None else None
    if rounding is None:
        rounding = settings.rounding if settings is not None else 0
    if rounding not in (0, 5, 10):
        raise ConfigError(f"--rounding {rounding} must be 0, 5 or 10")
    rules = load_profile(profile or (settings.profile if settings is not None else "cbs"))
    renames = _renames(rename or [])
    if settings is not None:
        found = {str(t): _cell_aliases(t, settings.aliases, renames) for t in tables}
        if len({tuple(sorted(r.items())) for r in found.values()}) > 1:
            raise ConfigError(
                f"{config}: the [columns] aliases rename different columns in the tables "
                f"({'; '.join(f'{t}: {r}' for t, r in found.items())}); give the tables the same "
                "column names, or use --rename"
            )
        renames = next(iter(found.values()))
    if len(tables) > 1:
        _apply_joint(tables, out, rules, count=count, statistic=statistic, rename=renames,
                     dims=dims, pool_over=pool_over, rounding=rounding, total_label=total_label,
                     no_dominance_risk=no_dominance_risk)  # fmt: skip
        return
    table = tables[0]
    dim_list = [d.strip() for d in dims.split(",") if d.strip()] if dims else None
    applied = apply_file(
        table, out, rules, dims=dim_list, count=count, statistic=statistic,
        rename=renames, margins=margins, pool_over=pool_over, rounding=rounding,
        total_label=total_label, no_dominance_risk=no_dominance_risk,
    )  # fmt: skip
    summary = Table(STATUS, "cells", title=f"Disclosure control ({rules.name} profile)")
    for status, n in sorted(applied.counts.items()):
        summary.add_row(status, str(n))
    output.out().print(summary)
    output.out().print(
        f"Wrote {out}, {log_path(out)} and {review_path(out)} (keep the review inside)"
    )


def _apply_joint(
    tables: list[Path],
    out: Path,
    rules: Any,
    *,
    count: str,
    statistic: str | None,
    rename: dict[str, str],
    dims: str | None,
    pool_over: str | None,
    rounding: int,
    total_label: str | None,
    no_dominance_risk: bool,
) -> None:
    """Several tables that count the same persons: one release (``disclosure.joint``)."""
    from nbnb_cbs.disclosure.files import JOINT_LOG, JOINT_REVIEW, apply_files  # noqa: PLC0415
    from nbnb_cbs.errors import ConfigError  # noqa: PLC0415

    for flag, given in (("--dims", dims), ("--pool-over", pool_over), ("--rounding", rounding)):
        if given:
            raise ConfigError(
                f"{flag} applies to one table; with several tables every column but the cell "
                "columns is a dimension, and pooling and rounding are not modelled jointly: "
                f"leave out {flag}, or apply it to one table at a time"
            )
    applied, summary = apply_files(
        tables, out, rules, count=count, statistic=statistic, rename=rename,
        total_label=total_label, no_dominance_risk=no_dominance_risk,
    )  # fmt: skip
    summary_table = Table("table", *(s.value for s in Status), title=(
        f"Disclosure control ({rules.name} profile), {len(tables)} tables as one release: "
        f"{summary['atoms']} cells of their cross-classification"))  # fmt: skip
    for table, result in zip(tables, applied, strict=True):
        summary_table.add_row(table.name, *(str(result.counts.get(s.value, 0)) for s in Status))
    output.out().print(summary_table)
    output.out().print(
        f"Wrote {len(tables)} tables to {out}, with {out / JOINT_LOG} and {out / JOINT_REVIEW} "
        "(keep the review inside)"
    )


@app.command(
    "check",
    epilog="Example: [bold]nbnb-cbs disclosure check demo-out/export --previous old/export[/bold]",
)
@guarded
def check(
    export_dir: Annotated[
        Path | None,
        typer.Argument(help="The export folder to check (default: --config's [output] export)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="Rule profile to check against (default: --config's, else cbs)."
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Where to write the JSON verdict (default: EXPORT_DIR.check.json beside the "
            "export); the Markdown verdict goes beside it with .md.",
        ),
    ] = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option("--previous", help="An earlier export of the same project (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="project.toml: its [disclosure] profile, and its [output] export folder when "
            "EXPORT_DIR is not given.",
        ),
    ] = None,
) -> None:
    """Re-check an export folder from its files alone (for data stewards): every file against an
    allow-list and the manifest, derived files re-rendered from the tables, identifiers and
    organisations by pattern, malformed cells, thresholds, an independent LP audit of additive
    tables, and differences from earlier exports. Exit 0 pass, 1 findings, 2 not an export."""
    from nbnb_cbs.disclosure import check_export, load_profile, verdict_paths, write_verdict  # noqa: PLC0415  # noqa: PLC0415
    from nbnb_cbs.errors import ConfigError  # noqa: PLC0415

    settings = load_project(config) if config is not None else None
    if export_dir is None:
        if settings is None:
            raise ConfigError(
                "give the export folder to check (nbnb-cbs disclosure check EXPORT_DIR), or "
                "--config project.toml to check its [output] export folder"
            )
        export_dir = settings.export_dir
    rules = load_profile(profile or (settings.profile if settings is not None else "cbs"))
    json_path, md_path = verdict_paths(export_dir, report)
    # An earlier verdict beside the folder is not this check's: gone before it starts, so a
    # check that stops on an error leaves no verdict to be mistaken for its own.
    for stale in (json_path, md_path):
        stale.unlink(missing_ok=True)
    result = check_export(export_dir, rules, previous=previous or [])
    write_verdict(result, json_path, md_path)
    console = output.out()
    if result.clean:
        console.print(
            f"PASS: {result.files_checked} files, {result.tables_checked} tables, "
            f"{result.cells_audited} suppressed cells audited against the {result.profile} profile. "
            f"Verdict: {json_path} and {md_path}"
        )
        return
    table = Table(
        "file", "row", "column", "rule", "finding", title=f"FAIL: {len(result.findings)} finding(s)"
    )
    for f in result.findings:
        table.add_row(
            f.file, "" if f.row is None else str(f.row), f.column or "", f.rule, f.message
        )
    console.print(table)
    console.print(f"Verdict: {json_path} and {md_path}")
    raise typer.Exit(EXIT_VIOLATIONS)
