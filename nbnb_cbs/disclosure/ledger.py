"""The release ledger: what earlier exports of the same project published, about which records.

Two exports that both pass can still disclose together: a rerun after one participant withdrew
consent gives that person's hours and wage as the difference of two published means. ``run``
keeps, in the work folder (inside RA), one ledger file per export: for every cell the record ids
of its sets, and whether it was published. A new export is compared with each earlier one: a cell
published in both whose records differ by 1..t-1 (in either direction) is a conflict. The new
export is refused, or, when the user asks, those cells are suppressed before the whole release is
protected. A cell an earlier release suppressed stays suppressed (``hidden_earlier``): shown now,
it would give the hidden value within the few records that changed (red team 59: a release after
three withdrawals showed the women's count that the first had hidden, and with the first's total
the persons of unknown sex and the withdrawn together were 7).

Ledgers written before the ``published`` column hold published cells only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

__all__ = [
    "Conflict",
    "cell_key",
    "compare",
    "hidden_earlier",
    "ledger_frame",
    "ledger_path",
    "read_ledgers",
]


@dataclass(frozen=True)
class Conflict:
    release: str
    table: str
    dims: str
    statistic: str
    difference: int


def cell_key(table: str, dims: dict[str, str], statistic: str) -> str:
    return json.dumps([table, sorted(dims.items()), statistic])


def ledger_frame(
    cells: list[tuple[str, dict[str, str], str, list[str], list[str]]],
) -> pl.DataFrame:
    """``(table, dims, statistic, counted ids, units ids)`` per cell (``published`` true: set it
    once the release is protected)."""
    return pl.DataFrame(
        {
            "key": [cell_key(t, d, s) for t, d, s, _, _ in cells],
            "num": [sorted(a) for *_, a, _ in cells],
            "den": [sorted(b) for *_, b in cells],
            "published": [True] * len(cells),
        },
        schema={
            "key": pl.String,
            "num": pl.List(pl.String),
            "den": pl.List(pl.String),
            "published": pl.Boolean,
        },
    )


def _published(frame: pl.DataFrame) -> pl.DataFrame:
    """The published cells of a ledger (all of an old one's)."""
    if "published" not in frame.columns:
        return frame.select("key", "num", "den")
    return frame.filter(pl.col("published")).select("key", "num", "den")


def hidden_earlier(earlier: dict[str, pl.DataFrame]) -> dict[str, str]:
    """Cells some earlier release suppressed, each with the first such release's name."""
    out: dict[str, str] = {}
    for name, frame in earlier.items():
        if "published" in frame.columns:
            for key in frame.filter(~pl.col("published"))["key"]:
                out.setdefault(key, name)
    return out


def read_ledgers(folder: Path) -> dict[str, pl.DataFrame]:
    """Earlier releases of this project, by file name (oldest first)."""
    if not folder.is_dir():
        return {}
    return {p.name: pl.read_parquet(p) for p in sorted(folder.glob("release-*.parquet"))}


def ledger_path(folder: Path, created: dt.datetime) -> Path:
    return folder / f"release-{created:%Y%m%dT%H%M%S}.parquet"


def compare(
    current: pl.DataFrame, earlier: dict[str, pl.DataFrame], threshold: int
) -> list[Conflict]:
    """Cells published now and in an earlier release whose records differ by 1..t-1."""
    conflicts: list[Conflict] = []
    now = {k: (set(a), set(b)) for k, a, b in _published(current).iter_rows()}
    for name, frame in earlier.items():
        for key, num, den in _published(frame).iter_rows():
            if key not in now:
                continue
            for old, new in ((set(num), now[key][0]), (set(den), now[key][1])):
                diff = len(old ^ new)
                if 0 < diff < threshold:
                    table, dims, statistic = json.loads(key)
                    conflicts.append(Conflict(name, table, json.dumps(dict(dims)), statistic, diff))
                    break
    return conflicts
