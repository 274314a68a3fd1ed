"""Derived files re-rendered from the checked tables and compared byte for byte.

The workbook, the figures and both reports are drawn from the table CSVs by the same function
the bundle uses, so any sheet, picture or sentence the tables do not imply shows up as a
difference. Rendering depends on library versions; where the manifest's versions are not the
checker's, the files are flagged for review by eye, never passed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["render_cached", "rerender_pass"]

_DERIVED = re.compile(r"tables\.xlsx|report\.md|report\.html|figures/[^/]+")
_TABLE = re.compile(r"tables/[A-Za-z0-9_-]+\.csv")
_CACHE: dict[str, dict[str, bytes] | str] = {}  # inputs' digest -> rendered bytes, or the error


def _derived(export: ExportFiles) -> list[str]:
    return sorted(
        rel
        for p in export.root.rglob("*")
        if p.is_file() and _DERIVED.fullmatch(rel := p.relative_to(export.root).as_posix())
    )


def _digest(export: ExportFiles) -> str:
    digest = hashlib.sha256()
    keys = ("project", "parameters", "profile", "version", "created", "render")
    digest.update(json.dumps({k: export.manifest.get(k) for k in keys}, sort_keys=True, default=str).encode())  # fmt: skip
    digest.update(json.dumps(export.log, sort_keys=True, default=str).encode())
    for entry in export.table_meta.values():
        path = export.root / str(entry.get("file"))
        digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    for path in sorted(export.root.glob("model_*.csv")):  # the report's models section
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def render_cached(export: ExportFiles) -> dict[str, bytes] | str:
    """The derived files' bytes rendered from the export's tables (or why rendering failed);
    rendering is deterministic, so identical inputs are rendered once per process."""
    from nbnb_cbs.export.render import render_derived  # noqa: PLC0415  (export imports disclosure)

    key = _digest(export)
    if key not in _CACHE:
        if len(_CACHE) > 16:
            _CACHE.clear()
        with tempfile.TemporaryDirectory(prefix="nbnb-rerender-") as tmp:
            try:
                written = render_derived(export.root, Path(tmp), export.manifest, export.log)
                _CACHE[key] = {rel: (Path(tmp) / rel).read_bytes() for rel in written}
            except Exception as exc:
                _CACHE[key] = f"{type(exc).__name__}: {exc}"
    return _CACHE[key]


def rerender_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Each derived file equals its re-rendering from the checked tables, or is a finding."""
    from nbnb_cbs.export.render import library_versions  # noqa: PLC0415

    present = _derived(export)
    recorded = export.manifest.get("render")
    mine = library_versions()
    if recorded != mine:
        theirs = recorded if isinstance(recorded, dict) else {}
        why = ", ".join(f"{k} {theirs.get(k, 'unrecorded')} vs the checker's {v}" for k, v in mine.items() if theirs.get(k) != v)  # fmt: skip
        return [Finding(rel, None, None, "could_not_rerender", f"could not re-render, review by eye ({why})") for rel in present]  # fmt: skip
    files = [str(t.get("file")) for t in export.table_meta.values()]
    bad = [f for f in files if not _TABLE.fullmatch(f) or not (export.root / f).is_file()]
    rendered = (
        render_cached(export)
        if not bad
        else f"the log names tables the export does not hold: {bad}"
    )
    if isinstance(rendered, str):
        return [Finding(rel, None, None, "could_not_rerender", f"could not re-render from the tables, review by eye ({rendered})") for rel in present]  # fmt: skip
    out = []
    for rel in present:
        if rel not in rendered:
            out.append(Finding(rel, None, None, "not_rendered_from_tables", "nbnb-cbs does not draw this file from the export's tables"))  # fmt: skip
        elif (export.root / rel).read_bytes() != rendered[rel]:
            out.append(Finding(rel, None, None, "differs_from_tables", "differs from a re-rendering of the checked tables: it carries something they do not"))  # fmt: skip
    for rel in sorted(set(rendered) - set(present)):
        out.append(Finding(rel, None, None, "derived_file_missing", "the tables imply this file, but the export does not hold it"))  # fmt: skip
    return out
