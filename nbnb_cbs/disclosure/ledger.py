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
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

__all__ = [
    "Conflict",
    "cell_key",
    "compare",
    "hidden_earlier",
    "ledger_frame",
    "ledger_path",
    "pinned_changes",
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


def pinned_changes(
    current: pl.DataFrame,
    earlier: dict[str, pl.DataFrame],
    threshold: int,
    shown: set[str],
) -> list[Conflict]:
    """Cells to hide so that no set of the records that changed since an earlier release
    (joined, left, or moved between cells) is pinned to 1..t-1 by the changes of the cells both
    releases show (``shown``: the cells this release may show).

    Differences of differences: each cell published in both gives its change, the records that
    entered it less those that left it. The changed records fall into groups by how they
    changed (every cell each entered or left, shown or not); an attacker knows the shown
    cells' changes and solves for the groups' sizes. The sets told about are those of a cell's
    entrants and of its leavers: each, where it holds 1..t-1 records, is bounded by linear
    programming (its fewest and most, the groups' sizes at least 0, every shown change met); a
    set pinned within 1..t-1 hides the shown cell its records moved with the smallest change,
    and the sets are bounded again until none is pinned. Example: 15 men join and 3 persons of
    unknown sex withdraw; the total (+12) and the men (+15) each changed by at least 10
    records, the women by none: the unknown's 3 leavers are pinned, and the total is hidden."""
    from scipy.optimize import linprog  # noqa: PLC0415

    now = {k: (set(a), set(b)) for k, a, b in current.select("key", "num", "den").iter_rows()}
    found: list[Conflict] = []
    hidden: set[str] = set()
    for name, frame in earlier.items():
        then = {k: (set(a), set(b)) for k, a, b in frame.select("key", "num", "den").iter_rows()}
        public = set(_published(frame)["key"])
        sets = [(k, i) for k in sorted(set(then) & set(now)) for i in (0, 1)]
        moves: dict[str, dict[int, int]] = {}  # record -> {set: +1 entered, -1 left}
        for j, (key, i) in enumerate(sets):
            old, new = then[key][i], now[key][i]
            for record in new - old:
                moves.setdefault(record, {})[j] = 1
            for record in old - new:
                moves.setdefault(record, {})[j] = -1
        groups: dict[tuple[tuple[int, int], ...], int] = {}
        for change in moves.values():
            pattern = tuple(sorted(change.items()))
            groups[pattern] = groups.get(pattern, 0) + 1
        if not groups:
            continue
        patterns = list(groups)
        sizes = np.array([groups[p] for p in patterns], dtype=float)
        moved = np.zeros((len(sets), len(patterns)))
        for g, pattern in enumerate(patterns):
            for j, sign in pattern:
                moved[j, g] = sign
        change_of = moved @ sizes
        # The sets to bound: each cell's entrants and leavers holding 1..t-1 records, once each
        # (many cells share them). Hiding a cell only drops an equation, which can only widen a
        # bound: a set found loose stays loose, so later rounds bound only those pinned before.
        forms: dict[bytes, np.ndarray] = {}
        for j in range(len(sets)):
            for sign in (1, -1):
                form = (moved[j] == sign).astype(float)
                if 0 < form @ sizes < threshold:
                    forms.setdefault(form.tobytes(), form)
        todo = list(forms.values())
        while todo:
            rows = [j for j, (key, _) in enumerate(sets)
                    if key in shown and key in public and key not in hidden]  # fmt: skip
            if not rows:
                break
            a, b = moved[rows], change_of[rows]
            pinned: list[tuple[np.ndarray, int]] = []
            for form in todo:
                low = linprog(form, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
                high = linprog(-form, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
                if low.status != 0 or high.status != 0:
                    continue  # no bound above: not pinned
                # Whole persons: a bound of 0.4 leaves 0 possible, 0.6 does not.
                least, most = math.ceil(low.fun - 1e-6), math.floor(-high.fun + 1e-6)
                if least >= 1 and most <= threshold - 1:
                    pinned.append((form, most))
            todo = []
            for form, most in pinned:
                # The shown cells the set's records moved: hide the one with the smallest
                # change, unless this round hid one of them already (then bound it again).
                touched = [r for r in rows if (np.abs(moved[r]) * form).any()]
                if not touched:  # bounded by no shown change: cannot be (kept as a guard)
                    continue
                if any(sets[r][0] in hidden for r in touched):
                    todo.append(form)
                    continue
                j = min(touched, key=lambda r: (abs(change_of[r]), r))
                key = sets[j][0]
                hidden.add(key)
                todo.append(form)
                table, dims, statistic = json.loads(key)
                found.append(Conflict(name, table, json.dumps(dict(dims)), statistic, most))
    return found
