"""Each exported table names its kind; a table of unknown kind needs a human's review.

The catalogue of kinds (``disclosure/catalogue.py``, ``KINDS``) says how tables relate; this
pass only asks whether each table's kind is in it. Until the catalogue exists, exports name no
kind, and a table named like one nbnb-cbs writes today stands for its own kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Sequence
from pathlib import PurePosixPath

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["kinds_pass"]

_TODAY = frozenset({
    "linkage_yield", "durability_exit", "durability_first_job", "education", "series_share_working",
    "series_inflow", "snapshot_working", "snapshot_jobs", "snapshot_hours_type",
    "snapshot_employment_type", "snapshot_relation", "snapshot_amounts", "durability_distribution",
})  # fmt: skip


def known_kinds() -> Collection[str] | None:
    """The catalogue's kinds, or None while there is no catalogue."""
    try:
        module = importlib.import_module("nbnb_cbs.disclosure.catalogue")
    except ModuleNotFoundError as exc:
        if exc.name != "nbnb_cbs.disclosure.catalogue":
            raise
        return None
    kinds: Collection[str] = module.KINDS
    return kinds


def kinds_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """A finding for every table whose kind is absent or not in the catalogue."""
    catalogue = known_kinds()
    out = []
    for rel in export.tables:
        kind = export.kind(rel)
        if catalogue is None and kind is None:
            kind = PurePosixPath(rel).stem
        if kind is None or kind not in (_TODAY if catalogue is None else catalogue):
            out.append(Finding(rel, None, "kind", "unknown_kind", f"table kind {kind!r} is not in nbnb-cbs's catalogue: checked on its own only, it needs review for differencing against the rest"))  # fmt: skip
    return out
