"""Atomic writers: a file appears whole under its final name or not at all.

Each writer writes to a temporary file in the target's own folder (so the final rename never
crosses a file system) and renames it into place. A crash or an error half-way leaves the old
file, or nothing, never a truncated table. Files that were read as input are never overwritten.
"""

from __future__ import annotations

import contextlib
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
    "mark_input",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text",
    "write_xlsx",
]

_INPUTS: set[Path] = set()
FAULT_ENV = "NBNB_FAULT_AFTER_TEMP"


def mark_input(path: Path) -> None:
    """Remember that ``path`` is an input of this run; writing to it is refused."""
    _INPUTS.add(path.resolve())


def _check_target(path: Path) -> None:
    if path.resolve() in _INPUTS:
        raise InputFileError(
            f"{path}: is an input of this run and will not be overwritten; choose another output"
        )
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory; give a file name for this output")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds."""
    path = Path(path)
    _check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if os.environ.get(FAULT_ENV) == path.name:
            # Fault injection for the interruption tests: die after the temporary file is
            # written and before it is renamed, as a killed process would.
            os._exit(70)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pl.DataFrame, path: str | Path, *, separator: str = ";") -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.write_csv(tmp, separator=separator, include_bom=False)
    return path


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


def write_xlsx(sheets: Mapping[str, pl.DataFrame], path: str | Path) -> Path:
    """One sheet per table (sheet names cut to Excel's 31 characters)."""
    import xlsxwriter  # noqa: PLC0415  (only needed for Excel output)

    path = Path(path)
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp))
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
