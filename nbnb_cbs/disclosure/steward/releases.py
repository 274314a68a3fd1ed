"""Across releases: the same table in an earlier export of the project, differenced cell by cell.

The whole-release audit will run the joint LP over all releases; until then this pass catches
the direct cases: a count (or a cell's n) that changed by 1..threshold-1 between two exports
gives that many persons' cell away as the difference; and a cell the earlier export suppressed
that this one shows gives the hidden value within the persons who changed (red team 59: a
release after three withdrawals showed the women's count the first had hidden; with the
first's total and men, the persons of unknown sex and the withdrawn together were 7).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.catalogue import TOTAL
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import COUNT_STATISTICS
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["previous_pass"]

_MEASURES = ("value", "n", "total", "status", "pool")
_SHOWN = ("published", "pooled", "rounded")
_POOL_ROUNDING = 10  # a pool's total is rounded to 10 whatever the release's rounding


def _identity(export: ExportFiles, rel: str) -> tuple[str, ...]:
    """What a table is about, whatever its file is called: kind, anchor, breakdown, population."""
    meta = export.table_meta.get(rel, {})
    if not meta.get("kind"):
        return ("file", rel)
    return tuple(str(meta.get(k) or "") for k in ("kind", "anchor", "breakdown", "population"))


def _counts(frame: pl.DataFrame, base: int) -> pl.DataFrame:
    """Per cell (its dimensions and statistic, in any column order): the interval its n and, for
    count statistics, its value allow (a rounded or pooled number stands for its rounding range)."""
    keys = sorted(c for c in frame.columns if c not in _MEASURES)
    if "n" not in frame.columns or not keys:
        return pl.DataFrame()
    status = pl.col("status") if "status" in frame.columns else pl.lit("published")
    is_count = pl.col("statistic").is_in(COUNT_STATISTICS) if "statistic" in frame.columns else pl.lit(True)  # fmt: skip
    value = pl.col("value") if "value" in frame.columns else pl.lit(None, pl.String)
    half = pl.when(status == "rounded").then(base).when(status == "pooled").then(_POOL_ROUNDING).otherwise(0) / 2  # fmt: skip
    n = pl.col("n").cast(pl.Float64, strict=False)
    count = pl.when(is_count & (status != "pooled")).then(value.cast(pl.Float64, strict=False))
    return (
        frame.with_row_index("line", offset=2)
        .filter(status.is_in(_SHOWN))
        .select(
            pl.concat_str([pl.lit(f"{k}=") + pl.col(k).fill_null("") for k in keys], separator=" | ").alias("cell"),
            "line",
            n=n,
            n_low=(n - half).ceil(),  # the whole counts that round (half up) to the number
            n_high=pl.when(half > 0).then((n + half).ceil() - 1).otherwise(n),
            count=count,
            count_low=(count - half).ceil(),
            count_high=pl.when(half > 0).then((count + half).ceil() - 1).otherwise(count),
        )
        .unique("cell", keep="first", maintain_order=True)
    )  # fmt: skip


def _small(low: float, high: float, t: int) -> bool:
    """A difference known to lie within 1..t-1 (or -(t-1)..-1): that many persons moved."""
    return (low >= 1 and high <= t - 1) or (high <= -1 and low >= -(t - 1))


def previous_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Cells of the same table (same kind, anchor, breakdown) that differ by 1..t-1 from an
    earlier export, rounding taken into account; and models' N and N_outcome likewise."""
    out: list[Finding] = []
    t = profile.threshold
    for earlier in previous:
        # Every earlier table of the same identity: the snapshot's category tables share one
        # (kind, anchor, breakdown) and differ by their categories (red team 19).
        then_by_identity: dict[tuple[str, ...], list[str]] = {}
        for rel in earlier.tables:
            then_by_identity.setdefault(_identity(earlier, rel), []).append(rel)
        for rel, frame in export.tables.items():
            now = _counts(frame, _rounding(export, rel))
            for before in then_by_identity.get(_identity(export, rel), []):
                out += _differences(rel, now, earlier, before, t)
                out += _unhidden(rel, frame, earlier, before)
                out += _differences_of_differences(
                    rel, frame, _rounding(export, rel), earlier, before, t
                )
        out += _models(export, earlier, t)
    return out


def _differences(
    rel: str, now: pl.DataFrame, earlier: ExportFiles, before: str, t: int
) -> list[Finding]:
    """Cells of ``rel`` (``now``) whose counts moved by 1..t-1 from table ``before`` earlier."""
    then = _counts(earlier.tables[before], _rounding(earlier, before))
    if now.is_empty() or then.is_empty():
        return []
    out = []
    both = now.join(then, on="cell", suffix="_then")
    for column in ("n", "count"):
        present = pl.col(column).is_not_null() & pl.col(f"{column}_then").is_not_null()
        for row in both.filter(present).iter_rows(named=True):
            low = row[f"{column}_low"] - row[f"{column}_high_then"]
            high = row[f"{column}_high"] - row[f"{column}_low_then"]
            if _small(low, high, t):
                out.append(Finding(rel, row["line"], "n" if column == "n" else "value", "release_difference",
                    f"cell [{row['cell']}]: {row[column]:g} here and {row[f'{column}_then']:g} in {earlier.root} "
                    f"({before}, line {row['line_then']}): the difference lies within {low:g}..{high:g} "
                    f"persons, below {t}"))  # fmt: skip
    return out


_Interval = tuple[float, float]


def _count_items(frame: pl.DataFrame, base: int) -> dict[tuple[Any, ...], _Interval]:
    """Per shown count, keyed (dimensions, statistic, 'value' or 'n'): the whole numbers it may
    stand for (a rounded one its rounding range; a pooled one is no count of its own)."""
    dims = sorted(c for c in frame.columns if c not in _MEASURES and c != "statistic")
    out: dict[tuple[Any, ...], _Interval] = {}
    if "n" not in frame.columns or "statistic" not in frame.columns:
        return out
    for row in frame.iter_rows(named=True):
        status = str(row.get("status") or "published").strip()
        if status not in ("published", "rounded"):
            continue
        half = base / 2 if status == "rounded" else 0
        key = tuple((d, str(row[d] or "")) for d in dims)
        statistic = str(row["statistic"] or "").strip()
        numbers = [("n", row.get("n"))]
        if statistic in COUNT_STATISTICS:
            numbers.append(("value", row.get("value")))
        for which, text in numbers:
            try:
                value = float(str(text).replace(",", "."))
            except ValueError:
                continue
            low = math.ceil(value - half)
            high = math.ceil(value + half) - 1 if half else value
            out[(key, statistic, which)] = (low, high)
    return out


def _differences_of_differences(
    rel: str, frame: pl.DataFrame, base: int, earlier: ExportFiles, before: str, t: int
) -> list[Finding]:
    """Differences of differences (steward check 58b: records +14 and linked +11 between two
    releases, each past the cell-by-cell rule, gave 3 more persons not linked): two counts of
    the same group of a table whose changes differ by 1..t-1 (records and linked, linked and in
    work), and a table's Total whose change less its shown breakdown values' changes leaves
    1..t-1 for the values it hides."""
    now = _count_items(frame, base)
    then = _count_items(earlier.tables[before], _rounding(earlier, before))
    both = {k: (now[k][0] - then[k][1], now[k][1] - then[k][0]) for k in now if k in then}
    out: list[Finding] = []
    by_group: dict[tuple[Any, ...], list[tuple[tuple[Any, ...], _Interval]]] = {}
    for key, change in both.items():
        by_group.setdefault(key[0], []).append((key, change))
    for group, items in by_group.items():
        told: set[tuple[float, float]] = set()
        for (a, ca), (b, cb) in itertools.combinations(items, 2):
            low, high = ca[0] - cb[1], ca[1] - cb[0]
            same = (min(abs(low), abs(high)), max(abs(low), abs(high)))  # either order
            if _small(low, high, t) and same not in told:
                told.add(same)
                out.append(Finding(rel, None, "value", "release_difference", f"[{_name(group)}]: {a[1]} ({a[2]}) changed by {_span(ca)} and {b[1]} ({b[2]}) by {_span(cb)} since {earlier.root} ({before}): the persons in one and not the other changed by {low:g}..{high:g}, below {t}"))  # fmt: skip
    rows = _row_keys(frame) | _row_keys(earlier.tables[before])
    out += _total_less_values(rel, both, rows, earlier, before, t)
    return out


def _row_keys(frame: pl.DataFrame) -> set[tuple[Any, ...]]:
    """(dimensions, statistic) of every row, shown or not."""
    if "statistic" not in frame.columns:
        return set()
    dims = sorted(c for c in frame.columns if c not in _MEASURES and c != "statistic")
    return {
        (tuple((d, str(row[d] or "")) for d in dims), str(row["statistic"] or "").strip())
        for row in frame.iter_rows(named=True)
    }


def _total_less_values(
    rel: str,
    both: dict[tuple[Any, ...], _Interval],
    rows: set[tuple[Any, ...]],
    earlier: ExportFiles,
    before: str,
    t: int,
) -> list[Finding]:
    """A Total shown in both releases less its breakdown values shown in both: what the values
    hidden in either changed by."""
    out: list[Finding] = []
    for key, total in both.items():
        group, statistic, which = key
        for at, (column, value) in enumerate(group):
            if value != TOTAL:
                continue
            values = {
                g for g, st in rows
                if st == statistic and len(g) == len(group) and g[at][1] != TOTAL
                and all(i == at or g[i] == group[i] for i in range(len(group)))
            }  # fmt: skip
            shown = [k for k in ((g, statistic, which) for g in values) if k in both]
            if not shown or len(shown) == len(values):
                continue  # none shown, or none hidden: the Total is their sum
            low = total[0] - sum(both[k][1] for k in shown)
            high = total[1] - sum(both[k][0] for k in shown)
            if _small(low, high, t):
                parts = (sum(both[k][0] for k in shown), sum(both[k][1] for k in shown))
                out.append(Finding(rel, None, "value", "release_difference", f"[{_name(group)}] {statistic} ({which}) changed by {_span(total)} since {earlier.root} ({before}) and its {column} values shown in both by {_span(parts)}: the {column} values hidden in either changed by {low:g}..{high:g}, below {t}"))  # fmt: skip
    return out


def _name(group: tuple[Any, ...]) -> str:
    return " | ".join(f"{d}={v}" for d, v in group)


def _span(interval: _Interval) -> str:
    low, high = interval
    return f"{low:g}" if low == high else f"{low:g}..{high:g}"


def _cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Per row: its cell (dimensions and statistic, in any column order), line and status."""
    keys = sorted(c for c in frame.columns if c not in _MEASURES)
    if not keys or "status" not in frame.columns:
        return pl.DataFrame()
    return frame.with_row_index("line", offset=2).select(
        pl.concat_str([pl.lit(f"{k}=") + pl.col(k).fill_null("") for k in keys], separator=" | ").alias("cell"),
        "line",
        pl.col("status").cast(pl.String).str.strip_chars(),
    )  # fmt: skip


def _unhidden(rel: str, frame: pl.DataFrame, earlier: ExportFiles, before: str) -> list[Finding]:
    """Cells of ``rel`` shown now that table ``before`` of the earlier export suppressed."""
    now, then = _cells(frame), _cells(earlier.tables[before])
    if now.is_empty() or then.is_empty():
        return []
    hidden = then.filter(pl.col("status") == "suppressed").select("cell", line_then="line")
    shown = now.filter(pl.col("status").is_in(_SHOWN)).join(hidden, on="cell")
    out = []
    for row in shown.unique("cell", keep="first", maintain_order=True).iter_rows(named=True):
        out.append(Finding(rel, row["line"], "status", "release_difference",
                           f"cell [{row['cell']}] is shown here and was suppressed in {earlier.root} "
                           f"({before}, line {row['line_then']}): it gives the hidden value within "
                           "the persons who changed between the two; keep it suppressed"))  # fmt: skip
    return out


def _rounding(export: ExportFiles, rel: str) -> int:
    base = export.table_meta.get(rel, {}).get("rounding")
    if not isinstance(base, int) or base <= 0:
        params = export.manifest.get("parameters")
        base = params.get("rounding") if isinstance(params, dict) else 0
    return base if isinstance(base, int) and base > 0 else 0


def _fit(export: ExportFiles) -> dict[tuple[str, ...], tuple[str, dict[str, float]]]:
    """Per model (outcome, sample): its fit file and N, N_outcome."""
    models = export.log.get("models")
    out: dict[tuple[str, ...], tuple[str, dict[str, float]]] = {}
    for entry in models if isinstance(models, list) else []:
        if not isinstance(entry, dict):
            continue
        fits = [str(f) for f in entry.get("files") or [] if str(f).endswith("_fit.csv")]
        if not fits or not (export.root / fits[0]).is_file():
            continue
        try:
            frame = pl.read_csv(export.root / fits[0], separator=";", infer_schema=False)
            stats = {str(k): float(v) for k, v in frame.iter_rows() if k in ("N", "N_outcome")}
        except Exception:  # a malformed fit table is the models pass's finding
            continue
        sample = entry.get("sample_destinations") or []
        # N is the sample's size and N_outcome its count with the outcome, whatever the model's
        # kind (red team 19 switched logit to lpm between releases).
        # A set: a destination listed twice is the same sample (red team 51 hid a later
        # release's model from this comparison so; the models pass flags the list).
        key = (str(entry.get("outcome")), *sorted({str(d) for d in sample}))
        out[key] = (fits[0], stats)
    return out


def _models(export: ExportFiles, earlier: ExportFiles, t: int) -> list[Finding]:
    """A model refitted on a changed sample: its N or N_outcome moved by 1..t-1 persons (red
    team 18: one project's 6 records and 4 in work, read from two releases of one model); and
    its persons per level, with and without the outcome, as B and SE give them whole, against
    every earlier model of the same outcome whose sample holds this one's or lies in it (a
    later release dropping a small group from a level, red team 27 case 09)."""
    out = []
    then = _fit(earlier)
    for key, (file, stats) in _fit(export).items():
        if key not in then:
            continue
        before_file, before = then[key]
        for statistic, value in stats.items():
            old = before.get(statistic)
            if old is not None and _small(value - old, value - old, t):
                out.append(Finding(file, None, "value", "release_difference", f"{statistic}: {value:g} here and {old:g} in {earlier.root} ({before_file}): the difference, {abs(value - old):g} persons, is below {t}"))  # fmt: skip
    past = _level_counts(earlier)
    for (outcome, sample), (file, levels) in _level_counts(export).items():
        for (old_outcome, old_sample), (old_file, old_levels) in past.items():
            if old_outcome != outcome or not (sample <= old_sample or old_sample <= sample):
                continue
            for label, (ones, others) in levels.items():
                if label not in old_levels:
                    continue
                was = old_levels[label]
                for what, gap in (("with the outcome", ones - was[0]),
                                  ("without it", others - was[1]),
                                  ("in all", ones + others - sum(was))):  # fmt: skip
                    if _small(gap, gap, t):
                        out.append(Finding(file, None, "SE", "release_difference", f"level {label!r}: B and SE give {abs(gap):g} persons {what} more or fewer than {old_file} in {earlier.root} (a sample that holds the other): below {t}"))  # fmt: skip
                        break
    return out


def _level_counts(
    export: ExportFiles,
) -> dict[tuple[str, frozenset[str]], tuple[str, dict[str, tuple[int, int]]]]:
    """Per model (outcome, sample): its coefficient file and persons per level as B and SE give
    them whole (the joint audit's reading, release_audit._level_readings, of the levels the log
    lists)."""
    from nbnb_cbs.disclosure.release_audit import _level_readings, _levels  # noqa: PLC0415

    models = export.log.get("models")
    out: dict[tuple[str, frozenset[str]], tuple[str, dict[str, tuple[int, int]]]] = {}
    for entry in models if isinstance(models, list) else []:
        if not isinstance(entry, dict):
            continue
        counts = _level_readings(
            export.root, {"model": entry, "levels": _levels(entry.get("levels"))}
        )
        if counts:
            files = [str(f) for f in entry.get("files") or [] if not str(f).endswith("_fit.csv")]
            sample = frozenset(str(d) for d in entry.get("sample_destinations") or [])
            out[(str(entry.get("outcome")), sample)] = (files[0], counts)
    return out
