"""Linkage: normalise and validate keys, prepare files for CBS, simulate CBS's match, yield."""

from __future__ import annotations

from nbnb_cbs.linkage.files import match_files, prepare_files, summary_rows, yield_files
from nbnb_cbs.linkage.match import MatchResult
from nbnb_cbs.linkage.prepare import KEY_COLUMNS, REASONS, PrepareResult
from nbnb_cbs.linkage.yield_ import yield_cells

__all__ = [
    "KEY_COLUMNS",
    "REASONS",
    "MatchResult",
    "PrepareResult",
    "match_files",
    "prepare_files",
    "summary_rows",
    "yield_cells",
    "yield_files",
]
