"""Disclosure control: rule profiles, primary and secondary suppression, pooling, audit log,
and the steward's check of an export folder."""

from __future__ import annotations

from nbnb_cbs.disclosure.apply import Applied, apply_table
from nbnb_cbs.disclosure.files import apply_file, log_header
from nbnb_cbs.disclosure.pooling import pool_categories, pool_series, round_to_base
from nbnb_cbs.disclosure.profiles import Profile, load_profile
from nbnb_cbs.disclosure.secondary import AdditiveTable, audit, protect
from nbnb_cbs.disclosure.steward import (
    CheckResult,
    Finding,
    check_export,
    verdict_paths,
    write_verdict,
)

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
    "verdict_paths",
    "write_verdict",
]
