"""Apply a rule profile to one long-format table: validate, pool, suppress, round, log.

The published table keeps the input's dimension columns, ``statistic``, ``value``, ``n`` and
``total`` (suppressed values empty), adds ``status`` (and ``pool`` for pooled periods), and never
carries ``top1``/``top2``: those are single units' values. Statuses say ``suppressed``, never
why: the reasons go to the review (per cell, with the interval an attacker could derive), the
log keeps the parameters and the status counts. Any column name works as a dimension except the
cell vocabulary's own (``nbnb_cbs.cells``); helper columns get generated names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from nbnb_cbs.cells import (
    CELL_COLUMNS,
    POOL,
    STATISTIC,
    STATUS,
    TOP1,
    TOP2,
    TOTAL,
    VALUE,
    CellKind,
    N,
    Reason,
    Status,
    refuse_shadowing,
    temporary_column_names,
)
from nbnb_cbs.disclosure.margins import (
    additive_equations,
    complete_margins,
    protect_linked,
    resolve_total_label,
)
from nbnb_cbs.disclosure.pooling import pool_series
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import known_statistics, primary_rules, statistic_kind_expr
from nbnb_cbs.disclosure.secondary import AdditiveTable
from nbnb_cbs.errors import ColumnError, DisclosureError

__all__ = ["Applied", "additive_equations", "apply_table"]

_NUMERIC = (VALUE, TOTAL, TOP1, TOP2)


@dataclass
class Applied:
    """The published table, its released log (no per-cell reasons) and the per-cell review."""

    published: pl.DataFrame
    log: dict[str, Any]
    review: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _row_of(frame: pl.DataFrame, mask: pl.Expr, column: str) -> tuple[int, Any] | None:
    """The file row (header = row 1) and value of ``column`` in the first row where ``mask``."""
    hit = frame.select(pl.col(column), _m=mask).with_row_index("_r").filter(pl.col("_m")).head(1)
    if hit.height == 0:
        return None
    return int(hit["_r"][0]) + 2, hit[column][0]


def _numbers(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Cast ``n``, ``value``, ``total``, ``top1``, ``top2`` to numbers; refuse text and negative n."""
    casts = {}
    for column in (N, *_NUMERIC):
        if column not in frame.columns:
            continue
        parsed = pl.col(column).cast(pl.Float64, strict=False)
        bad = _row_of(frame, parsed.is_null() & pl.col(column).is_not_null(), column)
        if bad is not None:
            hint = (
                "give the number of units behind each cell"
                if column == N
                else f"if {column!r} is a dimension, rename it (--rename {column}=my_{column})"
            )
            raise DisclosureError(
                f"{name}: row {bad[0]}, column {column!r}: {bad[1]!r} is not a number; {hint}"
            )
        casts[column] = parsed
    frame = frame.with_columns(**casts)
    negative = _row_of(frame, pl.col(N) < 0, N)
    if negative is not None:
        raise DisclosureError(
            f"{name}: row {negative[0]}, column 'n': negative count {negative[1]:g}; "
            "counts cannot be negative"
        )
    return frame


def _check_policy(frame: pl.DataFrame, profile: Profile, dims: list[str], name: str) -> None:
    """Forbidden columns and statistics and protected dimensions of the profile."""
    for column in frame.columns:
        if profile.is_forbidden_column(column) and column not in (TOP1, TOP2):
            raise DisclosureError(
                f"{name}: column {column!r} is an identifier or key the {profile.name} profile forbids "
                "in output; remove it from the table"
            )
    for column in dims:
        if profile.is_protected_dimension(column):
            raise DisclosureError(
                f"{name}: results per {column!r} are not allowed by the {profile.name} profile "
                "(no results about individual organisations); aggregate over it"
            )
    if STATISTIC in frame.columns:
        bad = [
            s
            for s in frame[STATISTIC].drop_nulls().unique().sort().to_list()
            if profile.is_forbidden_statistic(str(s))
        ]
        if bad:
            raise DisclosureError(
                f"{name}: statistic {bad[0]!r} is not released under the {profile.name} profile "
                "(minimum, maximum, percentiles and single values are forbidden)"
            )


def _check_statistics(
    frame: pl.DataFrame, kind: str, stat: str, profile: Profile, name: str, no_dominance_risk: bool
) -> None:
    """Every cell says what its value is, names a known statistic, and can be checked."""
    if STATISTIC not in frame.columns and VALUE in frame.columns:
        differs = _row_of(frame, pl.col(VALUE) != pl.col(N), VALUE)
        if differs is not None:
            raise DisclosureError(
                f"{name}: row {differs[0]}: value {differs[1]:g} differs from n and the table does "
                "not say what value is; add a 'statistic' column or pass --statistic NAME "
                f"(known statistics: {known_statistics()})"
            )
    unknown = _row_of(frame, pl.col(kind).is_null(), stat)
    if unknown is not None:
        raise DisclosureError(
            f"{name}: row {unknown[0]}: statistic {unknown[1]!r} is unknown, so nbnb-cbs cannot "
            f"tell which rules protect it; use one of the known statistics ({known_statistics()})"
        )
    if no_dominance_risk:
        return
    magnitude = (pl.col(kind) == CellKind.MAGNITUDE.value) & (pl.col(N) >= profile.threshold)
    if not all(c in frame.columns for c in (TOTAL, TOP1, TOP2)):
        lacking = _row_of(frame, magnitude, stat)
    else:
        lacking = _row_of(frame, magnitude & pl.any_horizontal(pl.col(TOTAL, TOP1).is_null()), stat)  # fmt: skip
    if lacking is not None:
        raise DisclosureError(
            f"{name}: row {lacking[0]}: statistic {lacking[1]!r} is a magnitude but the row has no "
            "total, top1 and top2 (its sum and two largest contributions), so dominance cannot be "
            "checked; add them, or pass --no-dominance-risk if no unit can dominate (it is logged)"
        )


def _dimensions(
    frame: pl.DataFrame, dims: list[str] | None, forced: str | None, name: str
) -> list[str]:
    if dims is None:
        dims = [c for c in frame.columns if c not in CELL_COLUMNS and c != forced]
        refuse_shadowing(dims, name, reserved=())  # names polars reads as patterns
        return dims
    refuse_shadowing(dims, name)
    for d in dims:
        if d not in frame.columns:
            raise ColumnError.missing(name, d, frame.columns)
    return list(dims)


def _pool(
    frame: pl.DataFrame, column: str, keys: list[str], kind: str, threshold: float
) -> pl.DataFrame:
    """Pool consecutive periods of count cells, within each statistic and combination of the
    other dimensions; other cells are left to the rules."""
    counts = frame.filter(pl.col(kind) == CellKind.COUNT.value)
    parts = [frame.filter(pl.col(kind) != CellKind.COUNT.value).with_columns(pl.lit(None, pl.String).alias(POOL))]  # fmt: skip
    groups = (
        counts.sort(column).group_by(keys, maintain_order=True)
        if keys
        else [((), counts.sort(column))]
    )
    for _, group in groups:
        periods = group[column].cast(pl.String).to_list()
        value: list[float] = []
        n: list[float] = []
        label: list[str | None] = []
        for pool in pool_series(group[N].fill_null(0).to_list(), threshold):
            first, last = periods[pool.members[0]], periods[pool.members[-1]]
            for _ in pool.members:
                value.append(pool.total / len(pool.members) if pool.pooled else pool.total)
                n.append(pool.total)
                label.append(f"{first}..{last}" if pool.pooled else None)
        parts.append(group.with_columns(
            pl.Series(VALUE, value, dtype=pl.Float64), pl.Series(N, n, dtype=pl.Float64),
            pl.Series(POOL, label, dtype=pl.String),
        ))  # fmt: skip
    return pl.concat(parts, how="diagonal_relaxed")


def _round(cells: pl.DataFrame, rounding: int, kind: str) -> pl.DataFrame:
    """Round n of every shown cell, and the value of published counts, to ``rounding``;
    published cells become ``rounded``."""
    base = float(rounding)
    shown = pl.col(STATUS) != Status.SUPPRESSED.value
    published = pl.col(STATUS) == Status.PUBLISHED.value

    def to_base(column: str) -> pl.Expr:
        return ((pl.col(column) / base) + 0.5).floor() * base

    updates = {
        N: pl.when(shown).then(to_base(N)).otherwise(pl.col(N)),
        STATUS: pl.when(published).then(pl.lit(Status.ROUNDED.value)).otherwise(pl.col(STATUS)),
    }
    if VALUE in cells.columns:
        is_count = pl.col(kind) == CellKind.COUNT.value
        updates[VALUE] = pl.when(published & is_count).then(to_base(VALUE)).otherwise(pl.col(VALUE))
    return cells.with_columns(**updates)


def apply_table(
    frame: pl.DataFrame,
    profile: Profile,
    *,
    name: str = "table",
    dims: list[str] | None = None,
    count: str = N,
    statistic: str | None = None,
    margins: bool = False,
    pool_over: str | None = None,
    rounding: int = 0,
    total_label: str | None = None,
    strata: list[str] | None = None,
    forced: str | None = None,
    no_dominance_risk: bool = False,
) -> Applied:
    """Apply ``profile`` to ``frame``.

    With ``margins`` the table is additive over its dims (within each combination of
    ``strata``), rows whose dim is the margin label (``total_label``, or the one of
    ``cells.MARGIN_LABELS`` the table uses) being its margins; all statistics of one dimension
    combination are suppressed together. ``statistic`` names what ``value`` is when the table
    has no statistic column. ``forced`` names a column of reasons the caller knows and the table
    cannot show (e.g. differences between nested groups): those cells are suppressed.
    ``no_dominance_risk`` lets magnitudes without top1/top2 through (and is logged).
    """
    if count not in frame.columns:
        raise DisclosureError(
            f"{name}: the table has no count column {count!r}; every cell needs the number of units "
            "behind it (name the column with --count)"
        )
    if count != N:
        refuse_shadowing([c for c in frame.columns if c == N], name)
        frame = frame.rename({count: N})
    refuse_shadowing([c for c in frame.columns if c in (STATUS, POOL)], name)
    if statistic is not None:
        if STATISTIC in frame.columns:
            raise DisclosureError(
                f"{name}: the table has a 'statistic' column and --statistic {statistic} was given; "
                "use one of them"
            )
        frame = frame.with_columns(pl.lit(statistic).alias(STATISTIC))
    dims = _dimensions(frame, dims, forced, name)
    strata = list(strata or [])
    kind, reason, stat = temporary_column_names(frame.columns, "kind", "reason", "statistic")
    has_stat = STATISTIC in frame.columns
    keep = [*dims, *(c for c in CELL_COLUMNS if c in frame.columns)]
    work = frame.select(*keep, *([forced] if forced else []))
    _check_policy(work, profile, dims, name)
    work = _numbers(work, name).with_columns(
        (pl.col(STATISTIC) if has_stat else pl.lit(None, pl.String)).alias(stat)
    )
    work = work.with_columns(statistic_kind_expr(stat).alias(kind))
    _check_statistics(work, kind, stat, profile, name, no_dominance_risk)
    tables: dict[str, AdditiveTable] = {}
    label: str | None = None
    if margins:
        label = resolve_total_label(work, [d for d in dims if d not in strata], total_label, name)
        work, tables = complete_margins(work, dims, strata, label, name, kind, stat)
    if pool_over is not None:
        if pool_over not in dims:
            raise DisclosureError(
                f"{name}: --pool-over column {pool_over!r} is not a dimension of the table; "
                f"dimensions: {', '.join(dims)}"
            )
        work = _pool(work, pool_over, [*(d for d in dims if d != pool_over), stat], kind, profile.threshold)  # fmt: skip
    cells = primary_rules(work, profile, kind=kind, rule=reason, pooled=POOL)
    if forced:
        cells = cells.with_columns(pl.coalesce(reason, forced).alias(reason))
    cells = cells.with_columns(
        pl.when(pl.col(reason).is_not_null())
        .then(pl.lit(Status.SUPPRESSED.value))
        .when(pl.col(POOL).is_not_null() if POOL in cells.columns else pl.lit(False))
        .then(pl.lit(Status.POOLED.value))
        .otherwise(pl.lit(Status.PUBLISHED.value))
        .alias(STATUS)
    )
    intervals: dict[tuple[str, tuple[str, ...]], tuple[float, float]] = {}
    if margins:
        keys = [tuple(r) for r in cells.select(pl.col(dims).cast(pl.String)).iter_rows()]
        hidden_now = (cells[STATUS] == Status.SUPPRESSED.value).to_list()
        primary = {k for k, h in zip(keys, hidden_now, strict=True) if h}
        suppressed, intervals = protect_linked(tables, primary, profile.protection_width)
        secondary = pl.Series([k in suppressed and not h for k, h in zip(keys, hidden_now, strict=True)], dtype=pl.Boolean)  # fmt: skip
        cells = cells.with_columns(
            pl.when(secondary).then(pl.lit(Status.SUPPRESSED.value)).otherwise(pl.col(STATUS)).alias(STATUS),
            pl.when(secondary).then(pl.lit(Reason.COMPLEMENTARY.value)).otherwise(pl.col(reason)).alias(reason),
        )  # fmt: skip
    if rounding:
        cells = _round(cells, rounding, kind)
    hidden = pl.col(STATUS) == Status.SUPPRESSED.value
    blank = [c for c in (VALUE, N, TOTAL) if c in cells.columns]
    published = cells.with_columns(
        [pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in blank]
    )
    out_cols = [*dims, *(c for c in (STATISTIC, VALUE, N, TOTAL, POOL) if c in published.columns)]
    published = published.select(*out_cols, STATUS)
    whole = published[N].drop_nulls()
    if whole.len() == 0 or (whole == whole.floor()).all():
        published = published.with_columns(pl.col(N).cast(pl.Int64))
    counts = dict(published.group_by(STATUS).len().sort(STATUS).iter_rows())
    log = {
        "table": name,
        "dims": dims,
        "additive": margins,
        "strata": strata,
        "total_label": label,
        "pooled_over": pool_over,
        "rounding": rounding,
        "statistic": statistic,
        "no_dominance_risk": no_dominance_risk,
        "status_counts": counts,
    }
    review = {"table": name, "cells": _review_cells(cells, dims, has_stat, reason, stat, intervals)}
    return Applied(published, log, review, counts)


def _review_cells(
    cells: pl.DataFrame,
    dims: list[str],
    has_stat: bool,
    reason: str,
    stat: str,
    intervals: dict[tuple[str, tuple[str, ...]], tuple[float, float]],
) -> list[dict[str, Any]]:
    """Per-cell decisions for the output checker: status, reason, n or the attacker's interval."""
    entries = []
    pooled = POOL in cells.columns
    for row in cells.iter_rows(named=True):
        entry: dict[str, Any] = {
            "dims": {d: row[d] for d in dims},
            "status": row[STATUS],
            "rule": row[reason],
        }
        if has_stat:
            entry["statistic"] = row[STATISTIC]
        if row[STATUS] == Status.SUPPRESSED.value:
            found = intervals.get((str(row[stat]), tuple(str(row[d]) for d in dims)))
            if found is not None:
                low, high = found
                entry["interval"] = [low, None if high == float("inf") else high]
        else:
            entry["n"] = row[N]
        if pooled and row[POOL]:
            entry["pool"] = row[POOL]
        entries.append(entry)
    return entries
