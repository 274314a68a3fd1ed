"""Atomic writers: a file appears whole under its final name or not at all.

Each writer writes to a temporary file in the target's own folder (so the final rename never
crosses a file system) and renames it into place. A crash or an error half-way leaves the old
file, or nothing, never a truncated table. Files that were read as input are never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.errors import InputFileError

__all__ = [
    "atomic_path",
    "check_folder",
    "csv_frame",
    "ensure_folder",
    "file_sha256",
    "forget_inputs",
    "mark_input",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_sav",
    "write_text",
    "write_xlsx",
]

_INPUTS: set[Path] = set()
FAULT_ENV = "NBNB_FAULT_AFTER_TEMP"


def mark_input(path: Path) -> None:
    """Remember that ``path`` is an input of this run; writing to it is refused."""
    _INPUTS.add(path.resolve())


def forget_inputs() -> None:
    """Start a new run: no files are registered as inputs."""
    _INPUTS.clear()


def _check_target(path: Path) -> None:
    if path.resolve() in _INPUTS:
        raise InputFileError(
            f"{path}: is an input of this run and will not be overwritten; choose another output"
        )
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory; give a file name for this output")


def check_folder(folder: Path) -> None:
    """Refuse, before any work, an output folder that is (or lies inside) an existing file."""
    blocking = next((p for p in (folder, *folder.parents) if p.is_file()), None)
    if blocking is not None:
        raise InputFileError(
            f"{blocking}: is a file, but {folder} must be a folder; give a folder (a new or "
            "existing one) for the output, or move the file away"
        )


def ensure_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents); a file in the way is a one-line error, not a crash."""
    check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)


def _default_mode() -> int:
    """The permissions a normally created file gets: 0o666 minus the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary file is created private (mkstemp's 0600); the output gets the permissions any
    other program's file would get (the umask), so colleagues with access to the folder can read it.
    """
    path = Path(path)
    _check_target(path)
    ensure_folder(path.parent)
    # A killed earlier run may have left its temporary file behind: it was never the output.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if os.environ.get(FAULT_ENV) == path.name:
            # Fault injection for the interruption tests: die after the temporary file is
            # written and before it is renamed, as a killed process would.
            os._exit(70)
        with contextlib.suppress(OSError):  # e.g. a file system without permissions
            tmp.chmod(_default_mode())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB pieces (exports can hold large workbooks and figures)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_csv(frame: pl.DataFrame, path: str | Path, *, separator: str = ";") -> Path:
    """CSV, ``;``-separated by default (Dutch Excel opens it). Empty text is written as an empty
    field, not ``""``: CSV cannot tell empty from missing, so we do not pretend it can."""
    path = Path(path)
    with atomic_path(path) as tmp:
        csv_frame(frame).write_csv(tmp, separator=separator, include_bom=False)
    return path


def csv_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as write_csv writes it: empty text as an empty field (for writers that append)."""
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(pl.col(strings).replace("", None)) if strings else frame


def write_parquet(frame: pl.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp, statistics=True)
    return path


def write_text(text: str, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_json(obj: Any, path: str | Path) -> Path:
    return write_text(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n", path)


def write_xlsx(
    sheets: Mapping[str, pl.DataFrame], path: str | Path, *, created: dt.datetime | None = None
) -> Path:
    """One sheet per table (sheet names cut to Excel's 31 characters). The document's creation
    time is ``created`` (or SOURCE_DATE_EPOCH) when given, so the same tables give the same file."""
    import xlsxwriter  # noqa: PLC0415  (only needed for Excel output)

    path = Path(path)
    created = created or source_date()
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp))
        if created is not None:
            workbook.set_properties({"created": created.replace(tzinfo=None)})
        try:
            used: set[str] = set()
            for name, frame in sheets.items():
                sheet = name[:31]
                i = 1
                while sheet in used:
                    i += 1
                    sheet = f"{name[:28]}_{i}"
                used.add(sheet)
                frame.write_excel(workbook, worksheet=sheet, autofit=True)
        finally:
            workbook.close()
    return path


_SAV_STAMP = slice(92, 109)  # "dd Mon yy" + "hh:mm:ss" in the SPSS file header


def source_date() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC datetime, when set (reproducible builds convention)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip().isdigit():
        return None
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)


def write_sav(
    frame: pl.DataFrame | pl.LazyFrame, path: str | Path, *, stamp: dt.datetime | None = None
) -> Path:
    """SPSS .sav (uncompressed) through polars-readstat, which streams a LazyFrame and measured
    7x faster than pyreadstat (benchmarks/RESULTS.md); both read its files back identically.
    SPSS headers carry a creation time; it is set from ``stamp`` or SOURCE_DATE_EPOCH when
    given, so the same data gives the same bytes."""
    import polars_readstat  # noqa: PLC0415

    path = Path(path)
    stamp = stamp or source_date()
    with atomic_path(path) as tmp:
        # polars-readstat picks the format by the file's extension.
        named = tmp.with_suffix(".sav")
        try:
            polars_readstat.write_readstat(frame, str(named), format="sav")
            named.replace(tmp)
        finally:
            named.unlink(missing_ok=True)
        if stamp is not None:
            text = stamp.strftime("%d %b %y") + stamp.strftime("%H:%M:%S")
            with tmp.open("r+b") as fh:
                fh.seek(_SAV_STAMP.start)
                fh.write(text.encode("ascii"))
    return path
