"""Linkage on files: read a registration or keys, run the frame functions, write the outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.io.readers import read_table
from nbnb_cbs.io.writers import write_csv, write_json, write_parquet
from nbnb_cbs.linkage.match import KEYS, MatchResult, match_keys, read_register
from nbnb_cbs.linkage.prepare import (
    KEY_COLUMNS,
    PrepareResult,
    prepare_frames,
    read_crosswalk,
)
from nbnb_cbs.linkage.yield_ import yield_cells
from nbnb_cbs.schemas import LINKED, REGISTRATION

__all__ = ["match_files", "prepare_files", "summary_rows", "yield_files"]


def prepare_files(
    registration: Path,
    out_dir: Path,
    *,
    aliases: dict[str, list[str]] | None = None,
    keep_ambiguous: bool = False,
    seed: int | None = None,
) -> PrepareResult:
    """Read a registration and write keys, analysis, crosswalk, rejects and summary to out_dir.

    Nothing is written unless every row is accounted for.
    """
    table = read_table(registration, REGISTRATION, aliases=aliases, parse=False)
    crosswalk = read_crosswalk(out_dir / "crosswalk.csv")
    result = prepare_frames(table, keep_ambiguous=keep_ambiguous, crosswalk=crosswalk, seed=seed)
    result.summary["registration"] = str(registration)
    result.summary["notes"] = result.notes
    write_csv(result.keys.select(KEY_COLUMNS), out_dir / "keys.csv")
    write_parquet(result.analysis, out_dir / "analysis.parquet")
    write_csv(result.crosswalk, out_dir / "crosswalk.csv")
    write_csv(result.rejects, out_dir / "rejects.csv")
    write_json(result.summary, out_dir / "summary.json")
    return result


def match_files(keys_path: Path, register: Path, out: Path) -> MatchResult:
    keys = read_table(keys_path, KEYS).frame
    persons, addresses = read_register(register)
    result = match_keys(keys, persons, addresses)
    write_csv(result.linked, out)
    return result


def yield_files(analysis: Path, linked: Path, by: str | None, out_dir: Path) -> pl.DataFrame:
    frame = read_table(analysis).frame
    links = read_table(linked, LINKED).frame
    cells = yield_cells(frame, links, by)
    write_csv(cells, out_dir / "yield.csv")
    return cells


def summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The prepare summary as (label, value) rows for display."""
    rows = [
        ("rows read", str(summary["rows_read"])),
        ("keys written", str(summary["keys"])),
        ("rows rejected", str(summary["rejected"])),
    ]
    rows += [(f"  {r}", str(n)) for r, n in summary["rejected_by_reason"].items() if n]
    rows.append(("keys with birth year only", str(summary["keys_birth_year_only"])))
    src = summary["peildatum_source"]
    rows.append(("peildatum from reference date", str(src["reference_date"])))
    rows.append(("peildatum from entry date", str(src["entry_date"])))
    return rows
