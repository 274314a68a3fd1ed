"""Disclosure control on files: ``disclosure apply`` for one table, and the log header."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbnb_cbs import __version__
from nbnb_cbs.disclosure.apply import Applied, apply_table
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.io.writers import write_csv, write_json

__all__ = ["apply_file", "log_header"]


def log_header(profile: Profile) -> dict[str, Any]:
    """What every disclosure log starts with: the tool and the profile (name, hash, values)."""
    return {"tool": "nbnb-cbs", "version": __version__, "profile": profile.describe()}


def apply_file(
    table: Path,
    out: Path,
    profile: Profile,
    *,
    dims: list[str] | None = None,
    count: str = "n",
    margins: bool = False,
    pool_over: str | None = None,
    rounding: int = 0,
    total_label: str = "Total",
) -> Applied:
    """``disclosure apply``: read a long-format table, write the published table and its log."""
    frame = read_table(table).frame
    applied = apply_table(
        frame, profile, name=table.name, dims=dims, count=count, margins=margins,
        pool_over=pool_over, rounding=rounding, total_label=total_label,
    )  # fmt: skip
    log = log_header(profile) | {"tables": [applied.log | {"file": out.name}]}
    write_csv(applied.published, out)
    write_json(log, out.with_name(out.stem + ".log.json"))
    return applied
