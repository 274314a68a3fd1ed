"""Disclosure control: rule profiles, primary and secondary suppression, pooling, audit log,
and the steward's check of an export folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbnb_cbs import __version__
from nbnb_cbs.disclosure.apply import Applied, apply_table
from nbnb_cbs.disclosure.check import CheckResult, Finding, check_export
from nbnb_cbs.disclosure.pooling import pool_categories, pool_series, round_to_base
from nbnb_cbs.disclosure.profiles import Profile, load_profile
from nbnb_cbs.disclosure.secondary import AdditiveTable, audit, protect
from nbnb_cbs.readers import read_table
from nbnb_cbs.writers import write_csv, write_json

__all__ = [
    "AdditiveTable",
    "Applied",
    "CheckResult",
    "Finding",
    "Profile",
    "apply_file",
    "apply_table",
    "audit",
    "check_export",
    "load_profile",
    "log_header",
    "pool_categories",
    "pool_series",
    "protect",
    "round_to_base",
]


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
