"""Each exported table names its kind; a table of unknown kind needs a human's review.

The catalogue of kinds (``disclosure/catalogue.py``, ``KINDS``) says how tables relate; this
pass only asks whether each table's kind is in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from nbnb_cbs.disclosure.catalogue import KINDS
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding
from nbnb_cbs.disclosure.steward.survival import SURVIVAL_KINDS

__all__ = ["kinds_pass"]


def kinds_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """A finding for every table whose kind is absent or not in the catalogue."""
    out = []
    for rel in export.tables:
        kind = export.kind(rel)
        if kind is None or kind not in (*KINDS, *SURVIVAL_KINDS) or kind == "model_fit":
            out.append(Finding(rel, None, "kind", "unknown_kind", f"table kind {kind!r} is not in nbnb-cbs's catalogue: checked on its own only, it needs review for differencing against the rest"))  # fmt: skip
    return out
