"""Write the export bundle: checked tables, workbook, figures, report, disclosure log, manifest.

The bundle is written into a staging folder beside the export folder and checked there by the
steward's check. Only an export that passes is swapped into place (with its verdict beside it,
``<export>.check.json``), so an export folder is always whole and checked; a failing one stays
in ``<export>.rejected/`` with its verdict beside it, no zip is made, and the run fails (exit 1).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbnb_cbs import __version__
from nbnb_cbs.disclosure import (
    CheckResult,
    Profile,
    check_export,
    log_header,
    verdict_paths,
    write_verdict,
)
from nbnb_cbs.errors import InputFileError, NbnbError
from nbnb_cbs.export.render import library_versions, render_derived
from nbnb_cbs.export.tables import ExportTable
from nbnb_cbs.io.published import CSV_FORMATS, write_published
from nbnb_cbs.io.writers import file_sha256, source_date, write_csv, write_json

__all__ = ["BundleResult", "ExportCheckFailed", "review_dir", "write_bundle", "write_review"]


class ExportCheckFailed(NbnbError):
    """The written export would not pass the steward's check."""

    exit_code = 1


@dataclass
class BundleResult:
    export_dir: Path
    files: list[str]
    check: CheckResult
    tables: list[ExportTable]
    zip_path: Path | None = None
    created: dt.datetime | None = None


def _stage_dir(export_dir: Path) -> Path:
    export_dir.parent.mkdir(parents=True, exist_ok=True)
    if export_dir.exists() and not export_dir.is_dir():
        raise InputFileError(f"{export_dir}: the export path is a file; give a folder")
    if (
        export_dir.is_dir()
        and any(export_dir.iterdir())
        and not (export_dir / "manifest.json").exists()
    ):
        raise InputFileError(
            f"{export_dir}: the export folder holds files nbnb-cbs did not write; choose an empty "
            "or new folder (an export may contain only checked output)"
        )
    _refuse_foreign_files(export_dir)
    # A run killed while writing leaves its staging (or swapped-out) folder behind: never the export.
    for stale in (
        *export_dir.parent.glob(f".{export_dir.name}.staging-*"),
        *export_dir.parent.glob(f".{export_dir.name}.old-*"),
    ):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f".{export_dir.name}.staging-", dir=export_dir.parent))


def _refuse_foreign_files(export_dir: Path) -> None:
    """The export folder is replaced as a whole: a file a user added to an earlier export (one
    its manifest does not list) would be deleted silently, so the run stops and names it."""
    manifest = export_dir / "manifest.json"
    if not manifest.is_file():
        return
    import json  # noqa: PLC0415

    try:
        listed = {f["path"] for f in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
    except (ValueError, KeyError, TypeError):
        listed = set()
    listed.add("manifest.json")
    foreign = sorted(
        p.relative_to(export_dir).as_posix()
        for p in export_dir.rglob("*")
        if p.is_file() and p.relative_to(export_dir).as_posix() not in listed
    )
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise InputFileError(
            f"{export_dir}: holds {shown}, which nbnb-cbs did not write; the export folder is "
            "replaced as a whole, so move those files elsewhere and run again"
        )


def _swap(stage: Path, export_dir: Path) -> None:
    old = None
    if export_dir.exists():
        old = export_dir.with_name(f".{export_dir.name}.old-{stage.name[-8:]}")
        export_dir.rename(old)
    stage.rename(export_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _input_entry(entry: dict[str, Any], threshold: int) -> dict[str, Any]:
    """An input as the manifest names it: its file name only. Its row count (even rounded to
    10) or size next to the records the tables count would bound the rows rejected or left out
    of the population: red teams read 3 from 151 rows and 148 records, then [0, 9] from 150
    (rounded) and 145. The run's terminal summary and work/ keep the exact counts."""
    _ = threshold
    return {"name": entry["name"]}


def _rejected_dir(export_dir: Path) -> Path:
    return export_dir.with_name(f"{export_dir.name}.rejected")


def _clear_rejected(export_dir: Path) -> None:
    """A passing export makes an earlier rejected one (and its verdict) stale."""
    rejected = _rejected_dir(export_dir)
    shutil.rmtree(rejected, ignore_errors=True)
    for path in verdict_paths(rejected):
        path.unlink(missing_ok=True)


def _reject(stage: Path, export_dir: Path, check: CheckResult) -> Path:
    """Keep a failing export visible in ``<export>.rejected/`` with its verdict beside it."""
    rejected = _rejected_dir(export_dir)
    shutil.rmtree(rejected, ignore_errors=True)
    stage.rename(rejected)
    check.export_dir = rejected
    write_verdict(check, *verdict_paths(rejected))
    return rejected


def write_bundle(
    export_dir: Path,
    tables: list[ExportTable],
    profile: Profile,
    *,
    project: str,
    params: dict[str, Any],
    inputs: list[dict[str, Any]],
    make_zip: bool = False,
    review: dict[str, Any] | None = None,
    release_audit: dict[str, Any] | None = None,
    models: list[tuple[dict[str, Any], dict[str, Any]]] | None = None,
    csv_format: str = "nl",
) -> BundleResult:
    """``models``: per model its export tables (file name -> frame, written at the export's
    top level) and its log entry (disclosure-log.json ``models``)."""
    created = source_date() or dt.datetime.now(tz=dt.UTC).replace(microsecond=0)
    stage = _stage_dir(export_dir)
    try:
        fmt = CSV_FORMATS[csv_format]
        for table in tables:
            write_published(table.applied.published, stage / table.file, fmt)
        log = log_header(profile) | {
            "created": created.isoformat(),
            "tables": [t.applied.log | {"file": t.file, "title": t.title} for t in tables],
        }
        if release_audit is not None:
            log["release_audit"] = release_audit
        if models:
            for model_files, _ in models:
                for file, frame in model_files.items():
                    write_csv(frame, stage / file)
            log["models"] = [entry for _, entry in models]
        write_json(log, stage / "disclosure-log.json")
        manifest: dict[str, Any] = {
            "tool": "nbnb-cbs",
            "version": __version__,
            "created": created.isoformat(),
            "project": project,
            "profile": {"name": profile.name, "sha256": profile.sha256},
            "parameters": params,
            "inputs": [_input_entry(i, profile.threshold) for i in inputs],
            "render": library_versions(),
            "csv": fmt,
        }
        render_derived(stage, stage, manifest, log)
        files = sorted(
            str(p.relative_to(stage)).replace("\\", "/") for p in stage.rglob("*") if p.is_file()
        )
        manifest["files"] = [
            {"path": f, "sha256": file_sha256(stage / f), "bytes": (stage / f).stat().st_size}
            for f in files
        ]
        write_json(manifest, stage / "manifest.json")
        # Checked where it was written; only an export that passes takes the export's place.
        if review is not None:
            write_review(export_dir, review)
        check = check_export(stage, profile)
        if not check.clean:
            rejected = _reject(stage, export_dir, check)
            first = check.findings[0]
            raise ExportCheckFailed(
                f"{export_dir}: the export did not pass output checking ({len(check.findings)} finding(s); "
                f"first: {first.file} {first.rule}: {first.message}); it stays in {rejected} with its "
                f"verdict beside it, and {export_dir} was not replaced"
            )
        _swap(stage, export_dir)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    check.export_dir = export_dir
    _clear_rejected(export_dir)
    write_verdict(check, *verdict_paths(export_dir))
    zip_path = _zip(export_dir, project, created) if make_zip else None
    return BundleResult(export_dir, [*files, "manifest.json"], check, tables, zip_path, created)


CERTIFICATE = "certificate.npz"


def review_dir(export_dir: Path) -> Path:
    """Per-cell reasons and intervals for the output checker: beside the export, never in it
    (``export-review/`` in the export's parent folder, where the steward's check looks)."""
    return export_dir.resolve().parent / "export-review"


def write_review(export_dir: Path, review: dict[str, Any]) -> Path:
    folder = review_dir(export_dir)
    write_json(
        {"export": export_dir.name, "audit": review.get("audit"), "cells": review.get("cells", [])},
        folder / "review.json",
    )
    write_json(review.get("projects", []), folder / "projects.json")
    # The protection's evidence (feasible points, lower-bound proofs): the steward's audit verifies
    # it against the model it rebuilds from the export and solves whatever it does not settle.
    target = folder / CERTIFICATE
    certificate = review.get("certificate")
    if certificate is None:
        target.unlink(missing_ok=True)
    else:
        tmp = target.with_name(f".{target.name}.tmp")
        certificate.save(tmp)
        tmp.replace(target)
    return folder


def _zip(export_dir: Path, project: str, created: dt.datetime) -> Path:
    """LIGHT_<project>_<date>.zip beside the export folder, with fixed entry times."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in project)
    target = export_dir.parent / f"LIGHT_{safe}_{created:%Y%m%d}.zip"
    stamp = (
        max(created.year, 1980),
        created.month,
        created.day,
        created.hour,
        created.minute,
        created.second,
    )
    with tempfile.NamedTemporaryFile(dir=export_dir.parent, suffix=".zip.tmp", delete=False) as fh:
        tmp = Path(fh.name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in export_dir.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(
                    f"{export_dir.name}/{path.relative_to(export_dir).as_posix()}", stamp
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
