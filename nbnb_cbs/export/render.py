"""Files derived from the published tables: the workbook, the figures and the report.

One function renders them from an export's table CSVs, its disclosure log and its manifest. The
bundle calls it to write them, and the steward's check calls it again and compares bytes, so a
workbook, picture or report can never carry a number the checked tables do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.cells import PUBLISHED_COLUMNS, STATISTIC, TOTAL, TOTAL_LABEL, VALUE, N
from nbnb_cbs.export.figures import (
    distribution_figure,
    series_figure,
    snapshot_figure,
    survival_figure,
)
from nbnb_cbs.export.labels import Language, phrase
from nbnb_cbs.export.report import report_blocks, to_html, to_markdown
from nbnb_cbs.export.workbook import workbook_sheets
from nbnb_cbs.io.published import csv_format, read_published_text
from nbnb_cbs.io.writers import atomic_path, write_text, write_xlsx

__all__ = ["RENDER_LIBRARIES", "library_versions", "read_published", "render_derived"]

RENDER_LIBRARIES = ("python", "polars", "matplotlib", "xlsxwriter")
_DRAWN: dict[str, bytes] = {}  # digest of a figure's tables -> its PNG bytes, per process
_SNAPSHOT = (
    "snapshot_jobs",
    "snapshot_hours_type",
    "snapshot_employment_type",
    "snapshot_relation",
)

_SURVIVAL = ("survival_first_spell", "survival_to_first_job")


def library_versions() -> dict[str, str]:
    """The versions rendering depends on, as recorded in the manifest."""
    versions = {"python": platform.python_version()}
    for name in RENDER_LIBRARIES[1:]:
        versions[name] = metadata.version(name)
    return versions


def read_published(path: Path, manifest: Mapping[str, Any]) -> pl.DataFrame:
    """A published table as both the bundle and the check read it back (in the CSV format the
    manifest records): the number columns numbers, even when every cell is empty."""
    frame = read_published_text(path, csv_format(manifest))
    numbers = [c for c in (VALUE, N, TOTAL) if c in frame.columns]
    return frame.with_columns(pl.col(numbers).str.strip_chars().cast(pl.Float64, strict=False))


def _report_params(manifest: Mapping[str, Any]) -> dict[str, Any]:
    profile = manifest.get("profile") or {}
    return {
        "project": manifest.get("project"),
        **(manifest.get("parameters") or {}),
        "profile": f"{profile.get('name')} ({str(profile.get('sha256'))[:12]})",
        "tool": f"nbnb-cbs {manifest.get('version')}",
        "created": manifest.get("created"),
    }


def _figure(draw: Callable[..., Path], tables: tuple[Any, ...], path: Path, **options: Any) -> Path:
    """Draw a figure, or write the bytes this process already drew from identical tables
    (drawing is deterministic and the slowest part; the steward's check re-renders often)."""
    digest = hashlib.sha256(f"{draw.__name__}|{path.name}|{sorted(options.items())}".encode())
    for table in tables:
        for name, frame in sorted(table.items()) if isinstance(table, dict) else [("", table)]:
            digest.update(f"{name}|{frame.schema}|{frame.write_csv()}".encode())
    key = digest.hexdigest()
    if key in _DRAWN:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(_DRAWN[key])
        return path
    draw(*tables, path, **options)
    if len(_DRAWN) > 64:
        _DRAWN.clear()
    _DRAWN[key] = path.read_bytes()
    return path


def _models(
    root: Path, log: Mapping[str, Any]
) -> list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]]:
    """Each logged model's entry with its coefficient and fit tables, read from the export."""
    out = []
    entries = log.get("models", [])
    for entry in entries if isinstance(entries, list) else []:
        files = [str(f) for f in entry.get("files", [])] if isinstance(entry, Mapping) else []
        coef = next((f for f in files if not f.endswith("_fit.csv")), None)
        fit = next((f for f in files if f.endswith("_fit.csv")), None)
        if coef is None or fit is None:
            continue
        read = [pl.read_csv(root / f, separator=";", infer_schema_length=None) for f in (coef, fit)]
        out.append((dict(entry), read[0], read[1]))
    return out


def render_derived(
    root: Path, target: Path, manifest: Mapping[str, Any], log: Mapping[str, Any]
) -> list[str]:
    """Render tables.xlsx, figures/*.png, report.md and report.html into ``target`` from the
    tables under ``root`` named in ``log``; return the written paths relative to ``target``."""
    entries = [t for t in log.get("tables", []) if isinstance(t, Mapping)]
    named = [(Path(str(t["file"])).stem, t) for t in entries]
    frames = {name: read_published(root / str(t["file"]), manifest) for name, t in named}
    created = dt.datetime.fromisoformat(str(manifest["created"]))
    language = _language(manifest)
    models = _models(root, log)
    logs = dict(named)
    write_xlsx(workbook_sheets(frames, logs, models, language), target / "tables.xlsx", created=created)  # fmt: skip
    written = ["tables.xlsx"]
    figures: list[tuple[str, Path]] = []
    if "series_share_working" in frames and "series_inflow" in frames:
        path = _figure(series_figure, (frames["series_share_working"], frames["series_inflow"]),
                       target / "figures" / "series.png", language=language)  # fmt: skip
        figures.append((phrase("f_series", language), path))
    if "durability_distribution" in frames:
        anchor = str(dict(named).get("durability_distribution", {}).get("anchor", "exit"))
        path = _figure(distribution_figure, (frames["durability_distribution"],),
                       target / "figures" / "durability_distribution.png", language=language,
                       n=_total_n(frames, f"durability_{anchor.replace('-', '_')}", "worked_1m", "n"),
                       anchor=anchor)  # fmt: skip
        figures.append((phrase("f_distribution", language), path))
    snap = {n: frames[n] for n in _SNAPSHOT if n in frames}
    if snap:
        path = _figure(snapshot_figure, (snap,), target / "figures" / "snapshot.png", language=language,
                       n=_total_n(frames, "snapshot_working", None, "count_working"))  # fmt: skip
        figures.append((phrase("f_snapshot", language), path))
    survival = {n: frames[n] for n in _SURVIVAL if n in frames}
    if survival:
        path = _figure(survival_figure, (survival,), target / "figures" / "survival.png",
                       language=language)  # fmt: skip
        figures.append((phrase("f_survival", language), path))
    written += [f"figures/{p.name}" for _, p in figures]
    project = str(manifest.get("project"))
    blocks = report_blocks(
        project,
        _report_params(manifest),
        [(str(t["file"]), frames[n], dict(t)) for n, t in named],
        figures,
        language,
        models=models,
    )
    write_text(to_markdown(blocks), target / "report.md")
    write_text(
        to_html(blocks, phrase("title", language, project=project), language),
        target / "report.html",
    )
    return [*written, "report.md", "report.html"]


def _language(manifest: Mapping[str, Any]) -> Language:
    """The report's language as the manifest records it (Dutch when not recorded)."""
    value = (manifest.get("parameters") or {}).get("language", "nl")
    return "en" if value == "en" else "nl"


def _total_n(
    frames: Mapping[str, pl.DataFrame], name: str, group: str | None, statistic: str
) -> float | None:
    """The published size of a figure's population (its Total row), for the figure's title."""
    frame = frames.get(name)
    if frame is None or STATISTIC not in frame.columns:
        return None
    rows = frame.filter(pl.col(STATISTIC) == statistic)
    if group is not None and "group" in rows.columns:
        rows = rows.filter(pl.col("group") == group)
    dims = [c for c in rows.columns if c not in PUBLISHED_COLUMNS and c != "group"]
    for dim in dims:
        rows = rows.filter(pl.col(dim).cast(pl.String) == TOTAL_LABEL)
    value = rows[N][0] if rows.height == 1 else None
    return float(value) if isinstance(value, int | float) else None
