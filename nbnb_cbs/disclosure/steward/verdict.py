"""The steward's verdict on disk: JSON for machines and Markdown for the output checker, both
beside the export (never inside it, never in the current folder)."""

from __future__ import annotations

from pathlib import Path

from nbnb_cbs.disclosure.steward.model import CheckResult
from nbnb_cbs.errors import ConfigError
from nbnb_cbs.io.writers import write_json, write_text

__all__ = ["verdict_paths", "write_verdict"]


def verdict_paths(export_dir: Path, report: Path | None = None) -> tuple[Path, Path]:
    """``<export>.check.json`` and ``.check.md`` beside the export, or ``report`` and its .md."""
    export = export_dir.resolve()
    json_path = report or export.with_name(f"{export.name}.check.json")
    md_path = json_path.with_suffix(".md")
    for path in (json_path, md_path):
        if path.resolve().is_relative_to(export):
            raise ConfigError(
                f"{path}: the verdict may not be written inside the export it judges; "
                "leave --report out (it goes beside the export) or give a path outside it"
            )
    return json_path, md_path


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(result: CheckResult) -> str:
    """A short human-readable verdict: every finding with file, row and cell, and the limits."""
    verdict = "PASS" if result.clean else f"FAIL: {len(result.findings)} finding(s)"
    lines = [
        f"# Output check of `{result.export_dir}`: {verdict}",
        "",
        f"Profile `{result.profile}`; {result.files_checked} files, {result.tables_checked} tables, "
        f"{result.cells_audited} suppressed cells audited; passes: {', '.join(result.passes)}.",
        "",
    ]
    if result.previous:
        lines += ["Earlier exports compared: " + ", ".join(f"`{p}`" for p in result.previous), ""]
    if result.findings:
        lines += ["| file | row | cell | rule | finding |", "|---|---|---|---|---|"]
        groups: dict[tuple[str, str | None, str, str], list[int | None]] = {}
        for f in result.findings:  # one line per finding, same finding in many rows folded
            groups.setdefault((f.file, f.column, f.rule, f.message), []).append(f.row)
        for (file, column, rule, message), rows in groups.items():
            shown = ", ".join(str(r) for r in rows[:8] if r is not None)
            more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
            lines.append(
                f"| {_cell(file)} | {shown}{more} | {_cell(column)} | {rule} | {_cell(message)} |"
            )
        lines.append("")
    lines += ["## What this check could not verify", ""]
    lines += [f"- {item}" for item in result.not_checkable]
    return "\n".join(lines) + "\n"


def write_verdict(result: CheckResult, json_path: Path, md_path: Path) -> None:
    write_json(result.report(), json_path)
    write_text(to_markdown(result), md_path)
