"""Every CSV byte for byte as nbnb-cbs writes it: read, written again by the tool's own writer
and compared. The same values written another way - ``10,0`` for ``10``, a line ending, quotes,
a trailing space, a comment line - say nothing nbnb-cbs says and can carry what it must not (red
team 36: a count's digits in the form of other numbers; such forms passed every other check).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding
from nbnb_cbs.io.published import FRACTION_COLUMNS, NUMBER_COLUMNS, csv_format, number_text
from nbnb_cbs.io.writers import csv_frame

__all__ = ["canonical_pass", "written_again"]

# The order in which nbnb-cbs writes the keys of its JSON files (export/bundle.py, pipeline.py):
# keys in another order carry something the values do not.
_ORDER: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "manifest.json": (
        ("tool", "version", "created", "project", "profile", "parameters", "inputs", "render",
         "csv", "files"),
        ("end", "anchors", "unit", "by", "count_zero_rows", "rounding", "series_rounding",
         "threshold", "snapshot", "population", "language"),
    ),
    "disclosure-log.json": (
        ("tool", "version", "profile", "created", "tables", "release_audit", "models"), ()
    ),
}  # fmt: skip


def canonical_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """A finding per CSV whose bytes differ from the same table written by nbnb-cbs."""
    fmt = csv_format(export.manifest)
    out: list[Finding] = []
    files = [
        *sorted((export.root / "tables").glob("*.csv")),
        *sorted(export.root.glob("model_*.csv")),
    ]
    for path in files:
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(export.root).as_posix()
        raw = path.read_bytes()
        model = path.parent == export.root
        again = written_again(raw, ";" if model else fmt["separator"], None if model else fmt["decimal"])  # fmt: skip
        if again is None or again == raw:
            continue  # unreadable tables are reported by the content pass
        line = _first_difference(raw, again)
        out.append(Finding(rel, line, None, "csv_form", f"line {line} is not written as nbnb-cbs writes it (number forms, quotes, spaces, line ends, lines of its own): the same values written another way can carry what the export must not"))  # fmt: skip
    for name, (top, parameters) in _ORDER.items():
        out += _json_form(export.root / name, name, top, parameters)
    return out


def _json_form(
    path: Path, name: str, top: tuple[str, ...], parameters: tuple[str, ...]
) -> list[Finding]:
    """A JSON file as nbnb-cbs writes it (indent 2, UTF-8 text, keys in its order)."""
    if not path.is_file() or path.is_symlink():
        return []
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []  # the inventory reports an unreadable file
    if not isinstance(document, dict):
        return []
    out = []
    again = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if again != text:
        line = _first_difference(text.encode("utf-8"), again.encode("utf-8"))
        out.append(Finding(name, line, None, "json_form", f"line {line} is not written as nbnb-cbs writes it (spacing, escapes, line ends): the same values written another way can carry what the export must not"))  # fmt: skip
    params = document.get("parameters")
    for where, keys, order in (
        ("", list(document), top),
        ("parameters", list(params) if isinstance(params, dict) and parameters else [], parameters),
    ):
        known = [k for k in keys if k in order]
        if known != sorted(known, key=order.index):
            out.append(Finding(name, None, where or None, "json_form", f"the keys{' of ' + where if where else ''} are not in the order nbnb-cbs writes them ({', '.join(k for k in order if k in known)}): an order can carry what the values do not"))  # fmt: skip
    return out


def written_again(raw: bytes, separator: str, decimal: str | None) -> bytes | None:
    """``raw`` read and written again as nbnb-cbs writes it; None when it is no readable table.

    ``decimal``: a published table's decimal mark (its number columns are read as numbers and
    written at their shortest); None: a model file (polars reads and writes its columns)."""
    try:
        if decimal is None:
            frame = pl.read_csv(io.BytesIO(raw), separator=separator, infer_schema_length=None)
        else:
            frame = pl.read_csv(
                io.BytesIO(raw), separator=separator, infer_schema=False, raise_if_empty=False
            )
            numbers = [c for c in (*NUMBER_COLUMNS, *FRACTION_COLUMNS) if c in frame.columns]
            frame = frame.with_columns(
                pl.Series(c, [_number(t, decimal) for t in frame[c].to_list()], dtype=pl.String)
                for c in numbers
            )
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        return None
    buffer = io.BytesIO()
    csv_frame(frame).write_csv(buffer, separator=separator, include_bom=False)
    return buffer.getvalue()


def _number(text: str | None, decimal: str) -> str | None:
    """A number's text as ``nbnb_cbs.io.published`` writes it (``number_text``); text that is no
    number stays as it is (the content pass reports it)."""
    if text is None:
        return None
    try:
        value = float(text.replace(decimal, ".") if decimal != "." else text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    shown = number_text(value, None) or ""
    return shown.replace(".", decimal) if decimal != "." else shown


def _first_difference(a: bytes, b: bytes) -> int:
    """The 1-based line where ``a`` and ``b`` first differ."""
    lines_a, lines_b = a.split(b"\n"), b.split(b"\n")
    pairs = zip(lines_a, lines_b, strict=False)
    return next((i for i, (x, y) in enumerate(pairs, 1) if x != y), min(len(lines_a), len(lines_b)))
