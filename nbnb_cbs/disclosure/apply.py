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
from nbnb_cbs.disclosure.rules import primary_rules
from nbnb_cbs.disclosure.secondary import AdditiveTable, protect
from nbnb_cbs.errors import DisclosureError

__all__ = ["CELL_COLUMNS", "Applied", "apply_table"]

CELL_COLUMNS = ("statistic", "value", "n", "total", "top1", "top2", "status", "rule", "pool")


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


def _margins(
    frame: pl.DataFrame, dims: list[str], total: str, name: str
) -> tuple[pl.DataFrame, AdditiveTable]:
    """Complete the table's margins (adding them when absent) and build its equations."""
    if not 1 <= len(dims) <= 2:
        raise DisclosureError(
            f"{name}: --margins needs one or two dimension columns, got {len(dims)}"
        )
    if frame.select(pl.struct(dims).is_duplicated().any()).item():
        raise DisclosureError(
            f"{name}: --margins needs one row per combination of {', '.join(dims)}"
        )
    text = frame.with_columns(pl.col(dims).cast(pl.String))
    values: dict[tuple[str, ...], float] = {
        tuple(row[:-1]): float(row[-1]) for row in text.select(*dims, "n").iter_rows()
    }
    levels = [sorted({k[i] for k in values if k[i] != total}) for i in range(len(dims))]
    equations: list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = []
    if len(dims) == 1:
        equations.append(((total,), tuple((v,) for v in levels[0])))
    else:
        rows, cols = levels
        equations += [((r, total), tuple((r, c) for c in cols)) for r in rows]
        equations += [((total, c), tuple((r, c) for r in rows)) for c in cols]
        equations.append(((total, total), tuple((r, total) for r in rows)))
        equations.append(((total, total), tuple((total, c) for c in cols)))
    given = {k for k in values if total in k}
    missing_interior = [
        k for _, children in equations for k in children if total not in k and k not in values
    ]
    if missing_interior:
        raise DisclosureError(
            f"{name}: cell {missing_interior[0]} is missing; an additive table needs every cell"
        )
    # Compute absent margins bottom-up (row/column totals before the grand total).
    for parent, children in sorted(equations, key=lambda e: e[0].count(total)):
        if parent not in values and all(c in values for c in children):
            values[parent] = sum(values[c] for c in children)
    table = AdditiveTable(values, equations, frozenset(k for k in values if total in k))
    if given:
        table.check()
    added = [
        k for k in values if k not in {tuple(r[:-1]) for r in text.select(*dims, "n").iter_rows()}
    ]
    if added:
        extra = pl.DataFrame([dict(zip(dims, k, strict=True)) | {"n": values[k]} for k in added])
        if "statistic" in frame.columns:
            extra = extra.with_columns(statistic=pl.lit(text["statistic"][0]))
        if "value" in frame.columns:
            extra = extra.with_columns(value=pl.col("n"))
        text = pl.concat([text, extra], how="diagonal_relaxed")
    return text, table


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
) -> Applied:
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
    table: AdditiveTable | None = None
    if margins:
        frame, table = _margins(frame, dims, total_label, name)
    pooled = pool_over is not None
    if pooled:
        if pool_over not in frame.columns:
            raise DisclosureError(f"{name}: --pool-over column {pool_over!r} not found")
        frame = _pool(frame, pool_over, profile)
    cells = primary_rules(frame, profile)
    if pooled:
        cells = cells.with_columns(
            status=pl.when(pl.col("status") == "published")
            .then(pl.col("pool_status"))
            .otherwise(pl.col("status"))
        ).drop("pool_status")
    intervals: dict[tuple[str, ...], tuple[float, float]] = {}
    if table is not None:
        if (cells["kind"] != "count").any():
            raise DisclosureError(
                f"{name}: --margins applies to count tables only (statistic count)"
            )
        keys = [tuple(r) for r in cells.select(pl.col(dims).cast(pl.String)).iter_rows()]
        primary = {k for k, s in zip(keys, cells["status"], strict=True) if s != "published"}
        suppressed, intervals = protect(table, primary, profile.protection_width)
        secondary = [k in suppressed and k not in primary for k in keys]
        cells = cells.with_columns(
            status=pl.when(pl.Series(secondary))
            .then(pl.lit("suppressed_secondary"))
            .otherwise(pl.col("status")),
            rule=pl.when(pl.Series(secondary))
            .then(pl.lit("complementary"))
            .otherwise(pl.col("rule")),
        )
    if rounding:
        rounded = (pl.col("status") == "published") & (pl.col("kind") == "count")
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
            updates["value"] = pl.when(rounded).then(to_base("value")).otherwise(pl.col("value"))
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
            if key in intervals:
                low, high = intervals[key]
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
        "additive": table is not None,
        "total_label": total_label if table is not None else None,
        "pooled_over": pool_over,
        "rounding": rounding,
        "status_counts": dict(sorted(counts.iter_rows())),
        "cells": log_cells,
    }
    return Applied(published, log, dict(counts.iter_rows()))
