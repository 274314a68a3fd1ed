"""What the steward's check works on and returns: the export's files, findings, audit passes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.errors import InputFileError
from nbnb_cbs.io.published import csv_format, read_published_text

__all__ = ["AuditPass", "CheckResult", "ExportFiles", "Finding", "load_export"]

REVIEW_DIR = "export-review"


@dataclass(frozen=True)
class Finding:
    """One reason the export cannot pass: where (file, row = line in the file, column) and why."""

    file: str
    row: int | None
    column: str | None
    rule: str
    message: str


@dataclass
class ExportFiles:
    """An export folder as read by the check: nothing here is taken from the run that made it."""

    root: Path
    manifest: dict[str, Any]
    log: dict[str, Any]
    tables: dict[str, pl.DataFrame]  # "tables/x.csv" -> every cell as text, as written
    review: Path | None
    unreadable: list[str] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # what a pass could only estimate, not prove

    @property
    def table_meta(self) -> dict[str, dict[str, Any]]:
        """The log's entry per table file (empty when the log does not describe the table)."""
        entries = self.log.get("tables", [])
        return {
            str(t.get("file")): t
            for t in (entries if isinstance(entries, list) else [])
            if isinstance(t, dict)
        }

    def kind(self, rel: str) -> str | None:
        """The table kind the log names for ``rel`` (None when absent)."""
        kind = self.table_meta.get(rel, {}).get("kind")
        return kind if isinstance(kind, str) and kind else None

    def projects(self) -> list[str]:
        """Project names from ``export-review/projects.json`` beside the export, if present."""
        if self.review is None or not (self.review / "projects.json").is_file():
            return []
        try:
            names = json.loads((self.review / "projects.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return []
        return [str(n) for n in names if str(n).strip()] if isinstance(names, list) else []


AuditPass = Callable[[ExportFiles, Sequence[ExportFiles], Profile], list[Finding]]
"""One pass of the check: (export, earlier exports of the project, profile) -> findings."""


@dataclass
class CheckResult:
    export_dir: Path
    profile: str
    findings: list[Finding] = field(default_factory=list)
    not_checkable: list[str] = field(default_factory=list)
    previous: list[str] = field(default_factory=list)
    passes: list[str] = field(default_factory=list)
    files_checked: int = 0
    tables_checked: int = 0
    cells_audited: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def report(self) -> dict[str, Any]:
        return {
            "export_dir": str(self.export_dir),
            "profile": self.profile,
            "verdict": "pass" if self.clean else "fail",
            "files_checked": self.files_checked,
            "tables_checked": self.tables_checked,
            "suppressed_cells_audited": self.cells_audited,
            "previous_exports": self.previous,
            "passes": self.passes,
            "findings": [asdict(f) for f in self.findings],
            "not_checkable": self.not_checkable,
        }


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(
            f"{path}: {what} is not readable JSON ({exc}); the folder is not a checkable export"
        ) from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: {what} is not a JSON object; not a checkable export")
    return data


def load_export(export_dir: Path) -> ExportFiles:
    """Read an export folder; a folder without a readable manifest is not an export (exit 2)."""
    if not export_dir.is_dir():
        raise InputFileError(f"{export_dir}: not a folder; give the export folder to check")
    manifest_path = export_dir / "manifest.json"
    if not manifest_path.is_file():
        raise InputFileError(
            f"{export_dir}: no manifest.json; not an nbnb-cbs export, so it cannot be checked"
        )
    manifest = _load_json(manifest_path, "manifest.json")
    log_path = export_dir / "disclosure-log.json"
    log = (
        _load_json(log_path, "disclosure-log.json")
        if log_path.is_file() and not log_path.is_symlink()
        else {}
    )
    tables: dict[str, pl.DataFrame] = {}
    unreadable: list[str] = []
    for path in sorted((export_dir / "tables").glob("*.csv")):
        if path.is_file() and not path.is_symlink():
            try:
                tables[f"tables/{path.name}"] = read_published_text(path, csv_format(manifest))
            except Exception:
                unreadable.append(f"tables/{path.name}")
    review = export_dir.resolve().parent / REVIEW_DIR
    return ExportFiles(
        export_dir, manifest, log, tables, review if review.is_dir() else None, unreadable
    )
