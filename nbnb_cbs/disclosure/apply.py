"""Apply a rule profile to one long-format table: validate, pool, suppress, round, log.

The published table keeps the input's dimension columns, ``statistic``, ``value``, ``n`` and
``total`` (suppressed values empty), adds ``status`` (and ``pool`` for pooled periods), and never
carries ``top1``/``top2``: those are single units' values. The log records every decision; it
never contains a suppressed value, only the interval an attacker could derive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.pooling import pool_series
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import cell_kind_expr, primary_rules
from nbnb_cbs.disclosure.secondary import AdditiveTable, protect
from nbnb_cbs.errors import DisclosureError

__all__ = ["CELL_COLUMNS", "Applied", "apply_table"]

CELL_COLUMNS = (
    "statistic", "value", "n", "total", "top1", "top2", "status", "rule", "pool", "force_rule",
)  # fmt: skip


@dataclass
class Applied:
    published: pl.DataFrame
    log: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)


def _validate(frame: pl.DataFrame, profile: Profile, dims: list[str], name: str) -> pl.DataFrame:
    for column in frame.columns:
        if profile.is_forbidden_column(column) and column not in ("top1", "top2"):
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
    if "statistic" in frame.columns:
        bad = [
            s
            for s in frame["statistic"].drop_nulls().unique().to_list()
            if profile.is_forbidden_statistic(str(s))
        ]
        if bad:
            raise DisclosureError(
                f"{name}: statistic {bad[0]!r} is not released under the {profile.name} profile "
                "(minimum, maximum, percentiles and single values are forbidden)"
            )
    n = frame["n"].cast(pl.Float64, strict=False)
    broken = frame.with_row_index("_i").filter(n.is_null() & frame["n"].is_not_null())
    if broken.height:
        row = broken.row(0, named=True)
        raise DisclosureError(
            f"{name}: row {row['_i'] + 2}, column 'n': {row['n']!r} is not a number"
        )
    negative = frame.with_row_index("_i").filter(n < 0)
    if negative.height:
        row = negative.row(0, named=True)
        raise DisclosureError(
            f"{name}: row {row['_i'] + 2}, column 'n': negative count {row['n']}; counts cannot be negative"
        )
    numeric = {
        c: pl.col(c).cast(pl.Float64, strict=False)
        for c in ("value", "total", "top1", "top2")
        if c in frame.columns
    }
    return frame.with_columns(n=n, **numeric)


def additive_equations(
    keys: set[tuple[str, ...]], dims: list[str], strata: list[str], total: str
) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Equations of an additive table over the non-strata dims, separately within each stratum."""
    pos = [i for i, d in enumerate(dims) if d not in strata]
    spos = [i for i, d in enumerate(dims) if d in strata]
    equations: list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = []
    for stratum in sorted({tuple(k[i] for i in spos) for k in keys}):

        def key(parts: dict[int, str], stratum: tuple[str, ...] = stratum) -> tuple[str, ...]:
            values = dict(zip(spos, stratum, strict=True)) | parts
            return tuple(values[i] for i in range(len(dims)))

        inside = [k for k in keys if tuple(k[i] for i in spos) == stratum]
        levels = [sorted({k[i] for k in inside if k[i] != total}) for i in pos]
        if len(pos) == 1:
            (p0,) = pos
            equations.append((key({p0: total}), tuple(key({p0: v}) for v in levels[0])))
        else:
            p0, p1 = pos
            rows, cols = levels
            equations += [
                (key({p0: r, p1: total}), tuple(key({p0: r, p1: c}) for c in cols)) for r in rows
            ]
            equations += [
                (key({p0: total, p1: c}), tuple(key({p0: r, p1: c}) for r in rows)) for c in cols
            ]
            grand = key({p0: total, p1: total})
            equations.append((grand, tuple(key({p0: r, p1: total}) for r in rows)))
            equations.append((grand, tuple(key({p0: total, p1: c}) for c in cols)))
    return equations


def _margins(
    frame: pl.DataFrame, dims: list[str], strata: list[str], total: str, name: str
) -> tuple[pl.DataFrame, dict[str, AdditiveTable]]:
    """Complete the margins of every count statistic (adding them when absent) and build one
    additive table per count statistic."""
    free = [d for d in dims if d not in strata]
    if not 1 <= len(free) <= 2:
        raise DisclosureError(
            f"{name}: --margins needs one or two additive dimensions, got {len(free)}"
        )
    free_pos = [dims.index(d) for d in free]
    stat_col = "statistic" in frame.columns
    text = frame.with_columns(pl.col(dims).cast(pl.String))
    if not stat_col:
        text = text.with_columns(statistic=pl.lit(None, pl.String))
    if text.select(pl.struct([*dims, "statistic"]).is_duplicated().any()).item():
        raise DisclosureError(
            f"{name}: --margins needs one row per combination of {', '.join(dims)}"
        )
    kinds = text.with_columns(kind=cell_kind_expr(stat_col))
    tables: dict[str, AdditiveTable] = {}
    extra_rows: list[dict[str, Any]] = []

    def is_margin(k: tuple[str, ...]) -> bool:
        return any(k[i] == total for i in free_pos)

    for (stat,), part in kinds.filter(pl.col("kind") == "count").group_by(
        "statistic", maintain_order=True
    ):
        values = {tuple(r[:-1]): float(r[-1]) for r in part.select(*dims, "n").iter_rows()}
        equations = additive_equations(set(values), dims, strata, total)
        missing = [c for _, ch in equations for c in ch if c not in values and not is_margin(c)]
        if missing:
            raise DisclosureError(
                f"{name}: cell {missing[0]} is missing; an additive table needs every cell"
            )
        given = any(is_margin(k) for k in values)
        for parent, children in sorted(
            equations, key=lambda e: sum(e[0][i] == total for i in free_pos)
        ):
            if parent not in values and all(c in values for c in children):
                values[parent] = sum(values[c] for c in children)
                extra_rows.append(
                    dict(zip(dims, parent, strict=True)) | {"statistic": stat, "n": values[parent]}
                )
        table = AdditiveTable(values, equations, frozenset(k for k in values if is_margin(k)))
        if given:
            try:
                table.check()
            except DisclosureError as exc:
                raise DisclosureError(f"{name}: {exc}") from None
        tables[str(stat)] = table
    if extra_rows:
        extra = pl.DataFrame(extra_rows, schema_overrides={"statistic": pl.String})
        if "value" in text.columns:
            extra = extra.with_columns(value=pl.col("n").cast(pl.Float64))
        text = pl.concat([text, extra], how="diagonal_relaxed")
    return (text if stat_col else text.drop("statistic")), tables


def _protect_linked(
    tables: dict[str, AdditiveTable], primary: set[tuple[str, ...]], width: float
) -> tuple[set[tuple[str, ...]], dict[tuple[str, tuple[str, ...]], tuple[float, float]]]:
    """Protect every count statistic; all statistics of a cell share its fate, so repeat until
    the suppressed set is the same for all of them."""
    suppressed = set(primary)
    while True:
        grown = set(suppressed)
        intervals: dict[tuple[str, tuple[str, ...]], tuple[float, float]] = {}
        for stat, table in tables.items():
            mine = {k for k in suppressed if k in table.values}
            if not mine:
                continue
            hidden, found = protect(table, mine, width)
            grown |= hidden
            intervals |= {(stat, k): v for k, v in found.items()}
        if grown == suppressed:
            return suppressed, intervals
        suppressed = grown


def _pool(frame: pl.DataFrame, column: str, profile: Profile) -> pl.DataFrame:
    """Pool consecutive periods of count cells, within each combination of other dimensions."""
    keys = [c for c in frame.columns if c not in (*CELL_COLUMNS, column, "kind")]
    parts = []
    for _, group in (
        frame.sort(column).group_by(keys, maintain_order=True)
        if keys
        else [((), frame.sort(column))]
    ):
        counts = group["n"].fill_null(0).to_list()
        periods = group[column].cast(pl.String).to_list()
        value: list[float] = []
        n: list[float] = []
        label: list[str | None] = []
        status: list[str] = []
        for pool in pool_series(counts, profile.threshold):
            share = pool.total / len(pool.members)
            first, last = periods[pool.members[0]], periods[pool.members[-1]]
            for _ in pool.members:
                value.append(share if pool.pooled else pool.total)
                n.append(pool.total)
                label.append(f"{first}..{last}" if pool.pooled else None)
                status.append("pooled" if pool.pooled else "published")
        parts.append(group.with_columns(
            value=pl.Series(value, dtype=pl.Float64), n=pl.Series(n, dtype=pl.Float64),
            pool=pl.Series(label, dtype=pl.String), pool_status=pl.Series(status),
        ))  # fmt: skip
    return pl.concat(parts)


def apply_table(
    frame: pl.DataFrame,
    profile: Profile,
    *,
    name: str = "table",
    dims: list[str] | None = None,
    count: str = "n",
    margins: bool = False,
    pool_over: str | None = None,
    rounding: int = 0,
    total_label: str = "Total",
    strata: list[str] | None = None,
) -> Applied:
    """Apply ``profile`` to ``frame``. With ``margins`` the table is additive over its dims
    (within each combination of ``strata``, e.g. per group), rows whose dim is ``total_label``
    being its margins; all statistics of one dimension combination are suppressed together."""
    if count not in frame.columns:
        raise DisclosureError(
            f"{name}: the table has no count column {count!r}; every cell needs the number of units "
            "behind it (name the column with --count)"
        )
    frame = frame.rename({count: "n"}) if count != "n" else frame
    dims = dims if dims is not None else [c for c in frame.columns if c not in CELL_COLUMNS]
    missing = [d for d in dims if d not in frame.columns]
    if missing:
        raise DisclosureError(
            f"{name}: dimension column {missing[0]!r} not found; columns: {', '.join(frame.columns)}"
        )
    frame = _validate(
        frame.drop([c for c in ("status", "rule") if c in frame.columns]), profile, dims, name
    )
    tables: dict[str, AdditiveTable] = {}
    if margins:
        frame, tables = _margins(frame, dims, list(strata or []), total_label, name)
    pooled = pool_over is not None
    if pooled:
        if pool_over not in frame.columns:
            raise DisclosureError(f"{name}: --pool-over column {pool_over!r} not found")
        frame = _pool(frame, pool_over, profile)
    cells = primary_rules(frame, profile)
    if "force_rule" in cells.columns:
        # Rules the caller knows and the table cannot show (e.g. differences between nested groups).
        forced = pl.col("force_rule").is_not_null() & (pl.col("status") != "suppressed_primary")
        cells = cells.with_columns(
            rule=pl.when(forced).then(pl.col("force_rule")).otherwise(pl.col("rule")),
            status=pl.when(forced).then(pl.lit("suppressed_primary")).otherwise(pl.col("status")),
        ).drop("force_rule")
    if pooled:
        cells = cells.with_columns(
            status=pl.when(pl.col("status") == "published")
            .then(pl.col("pool_status"))
            .otherwise(pl.col("status"))
        ).drop("pool_status")
    intervals: dict[tuple[str, tuple[str, ...]], tuple[float, float]] = {}
    if margins:
        keys = [tuple(r) for r in cells.select(pl.col(dims).cast(pl.String)).iter_rows()]
        hidden_now = cells["status"].str.starts_with("suppressed").to_list()
        primary = {k for k, h in zip(keys, hidden_now, strict=True) if h}
        suppressed, intervals = _protect_linked(tables, primary, profile.protection_width)
        secondary = [k in suppressed and not h for k, h in zip(keys, hidden_now, strict=True)]
        cells = cells.with_columns(
            status=pl.when(pl.Series(secondary, dtype=pl.Boolean))
            .then(pl.lit("suppressed_secondary"))
            .otherwise(pl.col("status")),
            rule=pl.when(pl.Series(secondary, dtype=pl.Boolean))
            .then(pl.lit("complementary"))
            .otherwise(pl.col("rule")),
        )
    if rounding:
        # Published cells whose n (and, for counts, value) is rounded carry status "rounded".
        rounded = pl.col("status") == "published"
        base = float(rounding)

        def to_base(column: str) -> pl.Expr:
            return ((pl.col(column) / base) + 0.5).floor() * base

        updates = {
            "n": pl.when(pl.col("status").str.starts_with("suppressed"))
            .then(pl.col("n"))
            .otherwise(to_base("n")),
            "status": pl.when(rounded).then(pl.lit("rounded")).otherwise(pl.col("status")),
        }
        if "value" in cells.columns:
            updates["value"] = (
                pl.when(rounded & (pl.col("kind") == "count"))
                .then(to_base("value"))
                .otherwise(pl.col("value"))
            )
        cells = cells.with_columns(**updates)
    hidden = pl.col("status").str.starts_with("suppressed")
    blank = [c for c in ("value", "n", "total") if c in cells.columns]
    published = cells.with_columns(
        [pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in blank]
    )
    out_cols = [*dims, *(c for c in ("statistic", "value", "n", "total") if c in published.columns)]
    out_cols += [c for c in ("pool",) if c in published.columns] + ["status"]
    published = published.select(out_cols)
    whole = published["n"].drop_nulls()
    if whole.len() == 0 or (whole == whole.floor()).all():
        published = published.with_columns(pl.col("n").cast(pl.Int64))
    log_cells = []
    for row, key in zip(
        cells.iter_rows(named=True),
        [tuple(str(row[d]) for d in dims) for row in cells.iter_rows(named=True)],
        strict=True,
    ):
        entry: dict[str, Any] = {
            "dims": {d: row[d] for d in dims},
            "status": row["status"],
            "rule": row["rule"],
        }
        if "statistic" in row:
            entry["statistic"] = row["statistic"]
        if row["status"].startswith("suppressed"):
            stat_key = (str(row.get("statistic")), key)
            if stat_key in intervals:
                low, high = intervals[stat_key]
                entry["interval"] = [low, None if high == float("inf") else high]
        else:
            entry["n"] = row["n"]
        if row.get("pool"):
            entry["pool"] = row["pool"]
        log_cells.append(entry)
    counts = published.group_by("status").len()
    log = {
        "table": name,
        "dims": dims,
        "additive": margins,
        "strata": list(strata or []),
        "total_label": total_label if margins else None,
        "pooled_over": pool_over,
        "rounding": rounding,
        "status_counts": dict(sorted(counts.iter_rows())),
        "cells": log_cells,
    }
    return Applied(published, log, dict(counts.iter_rows()))
