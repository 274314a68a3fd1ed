"""Additive tables: which rows are margins, their equations, completing missing margins, and
protecting every count statistic of a table together."""

from __future__ import annotations

from typing import Any

import polars as pl

from nbnb_cbs.cells import MARGIN_LABELS, STATISTIC, TOTAL_LABEL, VALUE, CellKind, N
from nbnb_cbs.disclosure.secondary import AdditiveTable, protect
from nbnb_cbs.errors import DisclosureError

__all__ = ["additive_equations", "complete_margins", "protect_linked", "resolve_total_label"]

Key = tuple[str, ...]


def resolve_total_label(frame: pl.DataFrame, dims: list[str], given: str | None, name: str) -> str:
    """The margin label of ``frame``: ``given``, or the one recognised label the table uses.

    A recognised label other than the one given (``Totaal`` with ``--total-label Total``) would
    be taken for a category and its totals counted twice, so it is refused with a hint.
    """
    found: dict[str, str] = {}
    for dim in dims:
        values = frame.get_column(dim).cast(pl.String)
        for label in values.filter(values.is_in(MARGIN_LABELS)).unique().sort().to_list():
            found.setdefault(label, dim)
    if given is not None:
        others = {label: dim for label, dim in found.items() if label != given}
        if others:
            label, dim = next(iter(others.items()))
            raise DisclosureError(
                f"{name}: column {dim!r} has the value {label!r}, which reads as a margin, but the "
                f"margin label is {given!r}; pass --total-label {label} or rename the value"
            )
        return given
    if len(found) > 1:
        raise DisclosureError(
            f"{name}: the table uses more than one margin label ({', '.join(sorted(found))}); "
            "use one label for all margins and pass it with --total-label"
        )
    return next(iter(found), TOTAL_LABEL)


def additive_equations(
    keys: set[Key], dims: list[str], strata: list[str], total: str
) -> list[tuple[Key, tuple[Key, ...]]]:
    """Equations of an additive table over the non-strata dims, separately within each stratum."""
    pos = [i for i, d in enumerate(dims) if d not in strata]
    spos = [i for i, d in enumerate(dims) if d in strata]
    equations: list[tuple[Key, tuple[Key, ...]]] = []
    for stratum in sorted({tuple(k[i] for i in spos) for k in keys}):

        def key(parts: dict[int, str], stratum: Key = stratum) -> Key:
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


def complete_margins(
    frame: pl.DataFrame,
    dims: list[str],
    strata: list[str],
    total: str,
    name: str,
    kind: str,
    statistic: str,
) -> tuple[pl.DataFrame, dict[str, AdditiveTable]]:
    """Complete the margins of every count statistic (adding them when absent) and build one
    additive table per count statistic. ``frame`` has its cell kind in column ``kind`` and the
    statistic (possibly a helper column of nulls) in column ``statistic``."""
    free = [d for d in dims if d not in strata]
    if not 1 <= len(free) <= 2:
        raise DisclosureError(
            f"{name}: --margins needs one or two additive dimensions, got {len(free)}"
        )
    free_pos = [dims.index(d) for d in free]
    text = frame.with_columns(pl.col(dims).cast(pl.String))
    if text.select(pl.struct([*dims, statistic]).is_duplicated().any()).item():
        raise DisclosureError(
            f"{name}: --margins needs one row per combination of {', '.join(dims)}"
            + (" and statistic" if statistic == STATISTIC else "")
        )
    tables: dict[str, AdditiveTable] = {}
    extra_rows: list[dict[str, Any]] = []

    def is_margin(k: Key) -> bool:
        return any(k[i] == total for i in free_pos)

    counts = text.filter(pl.col(kind) == CellKind.COUNT.value)
    for (stat,), part in counts.group_by(statistic, maintain_order=True):
        values = {tuple(r[:-1]): float(r[-1]) for r in part.select(*dims, N).iter_rows()}
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
                    dict(zip(dims, parent, strict=True))
                    | {statistic: stat, N: values[parent], kind: CellKind.COUNT.value}
                    | ({STATISTIC: stat} if STATISTIC in text.columns else {})
                )
        table = AdditiveTable(values, equations, frozenset(k for k in values if is_margin(k)))
        if given:
            try:
                table.check()
            except DisclosureError as exc:
                raise DisclosureError(f"{name}: {exc}") from None
        tables[str(stat)] = table
    if extra_rows:
        extra = pl.DataFrame(
            extra_rows, schema_overrides={statistic: text.schema[statistic], kind: pl.String}
        )
        if VALUE in text.columns:
            extra = extra.with_columns(pl.col(N).cast(pl.Float64).alias(VALUE))
        text = pl.concat([text, extra], how="diagonal_relaxed")
    return text, tables


def protect_linked(
    tables: dict[str, AdditiveTable], primary: set[Key], width: float
) -> tuple[set[Key], dict[tuple[str, Key], tuple[float, float]]]:
    """Protect every count statistic; all statistics of a cell share its fate, so repeat until
    the suppressed set is the same for all of them."""
    suppressed = set(primary)
    while True:
        grown = set(suppressed)
        intervals: dict[tuple[str, Key], tuple[float, float]] = {}
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
