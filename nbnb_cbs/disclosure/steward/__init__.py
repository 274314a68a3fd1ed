"""The data steward's check of an export folder, from its files alone."""

from __future__ import annotations

from nbnb_cbs.disclosure.steward.model import AuditPass, CheckResult, ExportFiles, Finding
from nbnb_cbs.disclosure.steward.run import NOT_CHECKABLE, PASSES, check_export
from nbnb_cbs.disclosure.steward.verdict import to_markdown, verdict_paths, write_verdict

__all__ = [
    "NOT_CHECKABLE",
    "PASSES",
    "AuditPass",
    "CheckResult",
    "ExportFiles",
    "Finding",
    "check_export",
    "to_markdown",
    "verdict_paths",
    "write_verdict",
]
