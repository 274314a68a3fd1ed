"""Linkage on files: read a registration or keys, run the frame functions, write the outputs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.errors import NbnbError
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
from nbnb_cbs.schemas import LINKED, REGISTRATION, require_shared_records

__all__ = ["REJECTED_SHARE_LIMIT", "match_files", "prepare_files", "summary_rows", "yield_files"]

_log = logging.getLogger(__name__)

# A prepare that rejects this share of the rows (or every row) has almost surely misread the
# file - a column mapped wrongly, codes it does not know - and must not say "send keys.csv".
REJECTED_SHARE_LIMIT = 0.9
_MIN_ROWS_FOR_SHARE = 20
_REASON_HINTS = {
    "no_consent": "is consent coded ja/nee, yes/no or 1/0 (or labelled Ja/Nee)? map the right "
    "column under [columns] consent in project.toml",
    "sex_unknown": "sex must be M/V, man/vrouw or 1/2 (SPSS labels Man/Vrouw are read too); map "
    "the right column under [columns] sex",
    "birth_year_missing": "give geboortejaar (a year) or geboortedatum (DD-MM-YYYY)",
    "birth_year_implausible": "give geboortejaar as a year (1985) or geboortedatum as DD-MM-YYYY",
    "postcode_missing": "is the postcode column mapped? [columns] postcode in project.toml",
    "postcode_invalid": "postcodes must be PC6 like 1234AB",
    "house_number_missing": "is the house number column mapped? [columns] house_number",
    "house_number_invalid": "house numbers must start with the number (12, 12a, 12-2)",
    "reference_date_missing": "give peildatum or instroomdatum as DD-MM-YYYY or YYYYMMDD",
    "duplicate_participant": "participant ids must be unique: is participant_id mapped to the "
    "right column?",
    "ambiguous_key": "many rows share a complete key: check the columns, or use --keep-ambiguous",
}


class MostRowsRejected(NbnbError):
    """Nearly every registration row was rejected: the file was almost surely misread."""


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
    table = read_table(registration, REGISTRATION, aliases=aliases, parse=False, labels=True)
    _log.info(
        "%s: %s rows; columns used: %s",
        registration.name,
        f"{table.frame.height:,}",
        ", ".join(c for c in REGISTRATION.names if c in table.frame.columns),
    )
    if table.value_labels:
        _log.info("value labels read as values for: %s", ", ".join(sorted(table.value_labels)))
    crosswalk = read_crosswalk(out_dir / "crosswalk.csv")
    result = prepare_frames(table, keep_ambiguous=keep_ambiguous, crosswalk=crosswalk, seed=seed)
    result.summary["registration"] = str(registration)
    result.summary["notes"] = result.notes
    _refuse_if_most_rejected(result, registration, out_dir)
    write_csv(result.keys.select(KEY_COLUMNS), out_dir / "keys.csv")
    write_parquet(result.analysis, out_dir / "analysis.parquet")
    write_csv(result.crosswalk, out_dir / "crosswalk.csv")
    write_csv(result.rejects, out_dir / "rejects.csv")
    write_json(result.summary, out_dir / "summary.json")
    return result


def _refuse_if_most_rejected(result: PrepareResult, registration: Path, out_dir: Path) -> None:
    """Write rejects.csv and summary.json (so the reasons can be read) but no keys, and stop."""
    rows, rejected = result.summary["rows_read"], result.summary["rejected"]
    if result.summary["keys"] and (
        rows < _MIN_ROWS_FOR_SHARE or rejected < REJECTED_SHARE_LIMIT * rows
    ):
        return
    write_csv(result.rejects, out_dir / "rejects.csv")
    write_json(result.summary, out_dir / "summary.json")
    top = result.rejects.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
    reason = str(top["reason"][0])
    first = result.rejects.filter(pl.col("reason") == reason).row(0, named=True)
    raw = str(first["raw_values"] or "-")
    raw = raw if len(raw) <= 80 else raw[:77] + "..."
    raise MostRowsRejected(
        f"{registration}: {rejected} of {rows} rows rejected, most for {reason} "
        f"({int(top['len'][0])}; first at row {first['source_row']}: {raw}); "
        f"no keys.csv was written; {_REASON_HINTS.get(reason, 'see rejects.csv')} "
        f"(every row's reason: {out_dir / 'rejects.csv'})"
    )


def match_files(
    keys_path: Path, register: Path, out: Path, aliases: Mapping[str, list[str]] | None = None
) -> MatchResult:
    keys = read_table(keys_path, KEYS).frame
    persons, addresses = read_register(register, aliases)
    _log.info(
        "%s keys against %s register persons and %s address rows",
        f"{keys.height:,}",
        f"{persons.height:,}",
        f"{addresses.height:,}",
    )
    result = match_keys(keys, persons, addresses)
    write_csv(result.linked, out)
    return result


def yield_files(
    analysis: Path,
    linked: Path,
    by: str | None,
    out_dir: Path,
    aliases: Mapping[str, list[str]] | None = None,
) -> pl.DataFrame:
    frame = read_table(analysis).frame
    links = read_table(linked, LINKED, aliases=aliases).frame
    require_shared_records(frame, links, analysis, linked)
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
