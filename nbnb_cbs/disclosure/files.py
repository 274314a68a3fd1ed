"""Disclosure control on files: ``disclosure apply`` for one table, and the log header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs import __version__
from nbnb_cbs.cells import TOP1, TOP2, TOTAL, VALUE, N, refuse_shadowing
from nbnb_cbs.disclosure.apply import Applied, apply_table
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.errors import ColumnError, ConfigError, ValueParseError
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.io.writers import write_csv, write_json
from nbnb_cbs.schemas import Col, Contract

__all__ = [
    "JOINT_LOG",
    "JOINT_REVIEW",
    "apply_file",
    "apply_files",
    "log_header",
    "log_path",
    "review_path",
]


def log_header(profile: Profile) -> dict[str, Any]:
    """What every disclosure log starts with: the tool and the profile (name, hash, values)."""
    return {"tool": "nbnb-cbs", "version": __version__, "profile": profile.describe()}


def log_path(out: Path) -> Path:
    """The released log beside a published table: profile, parameters, status counts."""
    return out.with_name(out.stem + ".log.json")


def review_path(out: Path) -> Path:
    """The output checker's file beside a published table: every cell's reason; stays inside."""
    return out.with_name(out.stem + ".review.json")


def _contract(count: str, rename: Mapping[str, str]) -> Contract:
    """The numeric cell columns under their names in the file, so that the readers parse them
    (decimal commas in ;-separated files included) before ``rename`` is applied."""
    source = {new: old for old, new in rename.items()}
    names = []
    for column in (count, VALUE, TOTAL, TOP1, TOP2):
        original = source.get(column, None if column in rename else column)
        if original is not None:
            names.append(original)
    return Contract("cell table", tuple(Col(name, "float") for name in dict.fromkeys(names)))


def _read_cells(table: Path, count: str, rename: Mapping[str, str] | None) -> pl.DataFrame:
    """A long-format table, numbers parsed, ``rename`` (old -> new) applied."""
    rename = dict(rename or {})
    try:
        frame = read_table(table, _contract(count, rename)).frame
    except ValueParseError as exc:
        column = exc.column or "COLUMN"
        raise ValueParseError(
            f"{exc.message}; if {column!r} is a dimension, rename it: --rename {column}=my_{column}"
        ) from None
    for old, new in rename.items():
        if old not in frame.columns:
            raise ColumnError.missing(table, old, frame.columns)
        if new in frame.columns and new not in rename:
            raise ColumnError(
                f"{table}: --rename {old}={new}: the table already has a column {new!r}; "
                "choose another name"
            )
    return frame.rename(rename)


def apply_files(
    tables: Sequence[Path],
    out: Path,
    profile: Profile,
    *,
    count: str = N,
    statistic: str | None = None,
    rename: Mapping[str, str] | None = None,
    total_label: str | None = None,
    no_dominance_risk: bool = False,
) -> tuple[list[Applied], dict[str, Any]]:
    """``disclosure apply a.csv b.csv ...``: tables that count the same persons, protected as one
    release (``joint.apply_joint``); each published under its own name in the folder ``out``,
    with one released log and one review file for all of them."""
    from nbnb_cbs.disclosure.joint import apply_joint  # noqa: PLC0415

    stems = [t.name for t in tables]
    if len(set(stems)) != len(stems):
        raise ConfigError(
            "two of the tables have the same file name; their published copies would overwrite "
            "each other in the output folder: rename one"
        )
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"--out {out}: several tables are written to a folder, and this is a file"
        )
    frames = []
    for table in tables:
        frame = _read_cells(table, count, rename)
        if count not in frame.columns:
            raise ColumnError.missing(table, count, frame.columns)
        if count != N:
            refuse_shadowing([c for c in frame.columns if c == N], table.name)
            frame = frame.rename({count: N})
        frames.append((table.name, frame))
    applied, summary = apply_joint(
        frames, profile, statistic=statistic, total_label=total_label,
        no_dominance_risk=no_dominance_risk,
    )  # fmt: skip
    header = log_header(profile)
    for table, result in zip(tables, applied, strict=True):
        write_csv(result.published, out / table.name)
    logs = [
        r.log | {"file": t.name, "source": t.name} for t, r in zip(tables, applied, strict=True)
    ]
    reviews = [r.review | {"file": t.name} for t, r in zip(tables, applied, strict=True)]
    write_json(header | {"joint": summary, "tables": logs}, out / JOINT_LOG)
    write_json(header | {"joint": summary, "tables": reviews}, out / JOINT_REVIEW)
    return applied, summary


JOINT_LOG = "release.log.json"
JOINT_REVIEW = "release.review.json"


def apply_file(
    table: Path,
    out: Path,
    profile: Profile,
    *,
    dims: list[str] | None = None,
    count: str = N,
    statistic: str | None = None,
    rename: Mapping[str, str] | None = None,
    margins: bool = False,
    pool_over: str | None = None,
    rounding: int = 0,
    total_label: str | None = None,
    no_dominance_risk: bool = False,
) -> Applied:
    """``disclosure apply``: read a long-format table, write the published table, its released
    log and the review file. ``rename`` (old -> new) is applied first; the other options name
    columns after renaming."""
    if dims:
        refuse_shadowing(dims, table.name)
    frame = _read_cells(table, count, rename)
    applied = apply_table(
        frame, profile, name=table.name, dims=dims, count=count, statistic=statistic,
        margins=margins, pool_over=pool_over, rounding=rounding, total_label=total_label,
        no_dominance_risk=no_dominance_risk,
    )  # fmt: skip
    header = log_header(profile)
    parameters = {"file": out.name, "source": table.name, "renamed": dict(rename or {})}
    write_csv(applied.published, out)
    write_json(header | {"tables": [applied.log | parameters]}, log_path(out))
    write_json(header | {"tables": [applied.review | parameters]}, review_path(out))
    return applied
