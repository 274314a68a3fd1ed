"""Several of a researcher's own tables released together: one model, one secondary suppression.

Tables that count the same persons (``disclosure apply a.csv b.csv``) are margins of one unknown
cross-classification: a column of the same name is the same variable in every table, and a row
whose value is a margin label (Total, Totaal, ...) counts every value of that column. The atoms
are the cells of the cross-classification of all the tables' dimensions; every published count is
an equality on the atoms it covers (``lp.Row``), exactly as in the release model of ``run``.

Each table first gets its primary rules (``apply_table``). Then, for all tables at once, a
suppressed cell must keep an interval at least the protection width wide, and no atom and no
difference of two nested published cells may be shown to hold 1..t-1 persons; the cheapest cell
whose row binds is suppressed (with every statistic of its row) until nothing is violated. The
result is audited afresh (``lp.audit_bounds``, not the protection's LP), as the steward's check
does.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.cells import MARGIN_LABELS, STATUS, TOTAL, VALUE, N, Reason, Status
from nbnb_cbs.disclosure.apply import Applied, apply_table
from nbnb_cbs.disclosure.lp import Form, Infeasible, Program, Row, audit_bounds, violated
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.errors import DisclosureError

__all__ = ["MAX_ATOMS", "JointCell", "apply_joint"]

MAX_ATOMS = 50_000


@dataclass
class JointCell:
    """One row of dimension values of one table (all its statistics share the cell's fate)."""

    table: int
    values: tuple[str, ...]
    n: float | None
    margin: bool
    mask: np.ndarray
    primary: bool
    secondary: bool = False
    interval: tuple[float, float] | None = None

    @property
    def suppressed(self) -> bool:
        return self.primary or self.secondary


def _is_margin(value: Any, label: str | None) -> bool:
    return value is not None and (str(value) == label if label else str(value) in MARGIN_LABELS)


def _form(mask: np.ndarray, kind: str, label: str, minus: np.ndarray | None = None) -> Form:
    coef = mask.astype(float) - (minus.astype(float) if minus is not None else 0.0)
    index = np.flatnonzero(coef)
    return Form(tuple(index.tolist()), tuple(coef[index].tolist()), kind, label)


def apply_joint(
    frames: Sequence[tuple[str, pl.DataFrame]],
    profile: Profile,
    *,
    statistic: str | None = None,
    total_label: str | None = None,
    no_dominance_risk: bool = False,
) -> tuple[list[Applied], dict[str, Any]]:
    """Protect tables that count the same persons as one release; the published tables (in the
    order given) and a summary of the joint model for the log."""
    applied = [
        apply_table(
            frame, profile, name=name, statistic=statistic, no_dominance_risk=no_dominance_risk
        )
        for name, frame in frames
    ]
    dims = [list(a.log["dims"]) for a in applied]
    names = list(dict.fromkeys(d for ds in dims for d in ds))
    domains: dict[str, list[str]] = {}
    for (_, frame), ds in zip(frames, dims, strict=True):
        for d in ds:
            values = {str(v) for v in frame[d].to_list() if v is not None}
            domains.setdefault(d, [])
            domains[d] = sorted(
                set(domains[d]) | {v for v in values if not _is_margin(v, total_label)}
            )
    sizes = [len(domains[d]) for d in names]
    n_atoms = int(np.prod(sizes)) if sizes else 1
    if n_atoms > MAX_ATOMS:
        raise DisclosureError(
            f"the tables' dimensions ({', '.join(f'{d}: {len(domains[d])}' for d in names)}) cross "
            f"into {n_atoms:,} cells, more than {MAX_ATOMS:,}: protect fewer tables together, or "
            "group values first"
        )
    cells: list[JointCell] = []
    for k, ((name, frame), ds, result) in enumerate(zip(frames, dims, applied, strict=True)):
        counts = frame.select(*ds, N)
        truth: dict[tuple[str, ...], float] = {}
        for row in counts.iter_rows():
            key = tuple(str(v) for v in row[:-1])
            if key in truth and truth[key] != row[-1]:
                raise DisclosureError(
                    f"{name}: the row {dict(zip(ds, key, strict=True))} has different counts in "
                    "its statistics; one row of dimension values counts one set of persons"
                )
            truth[key] = float(row[-1]) if row[-1] is not None else float("nan")
        hidden = {
            tuple(str(v) for v in r[:-1])
            for r in result.published.select(*ds, STATUS).iter_rows()
            if r[-1] == Status.SUPPRESSED.value
        }
        for key, n in truth.items():
            axes = []
            for d in names:
                if d in ds:
                    v = key[ds.index(d)]
                    axes.append(np.ones(len(domains[d]), bool) if _is_margin(v, total_label)
                                else np.array([x == v for x in domains[d]]))  # fmt: skip
                else:
                    axes.append(np.ones(len(domains[d]), bool))
            mask = np.ones(1, bool)
            for axis in axes:
                mask = np.logical_and.outer(mask, axis).ravel()
            margin = any(_is_margin(v, total_label) for v in key)
            cells.append(JointCell(k, key, n, margin, mask, key in hidden))
    rows = [
        Row(tuple(np.flatnonzero(c.mask).tolist()), (1.0,) * int(c.mask.sum()), c.n, c.n, cell=i)
        for i, c in enumerate(cells)
        if c.n is not None and not np.isnan(c.n)
    ]
    width, t = profile.protection_width, profile.threshold
    zeros = profile.suppress_zeros
    labels = [
        f"{frames[c.table][0]} {dict(zip(dims[c.table], c.values, strict=True))}" for c in cells
    ]
    small = _sensitive(cells, labels, n_atoms, names, domains)
    program = Program(n_atoms, rows)
    program.drop(i for i, c in enumerate(cells) if c.suppressed)
    try:
        program.explore(4)
    except RuntimeError:
        raise DisclosureError(
            "the tables do not count the same persons: no cross-classification gives all their "
            "published counts (check that shared columns and their margins agree)"
        ) from None

    def hidden_form(i: int) -> Form:
        return _form(cells[i].mask, "hidden", labels[i])

    def cost(i: int) -> tuple[bool, float, int]:
        return (cells[i].margin, cells[i].n or 0.0, i)

    owners: dict[int, list[tuple[float, float]]] = {}
    while True:
        added = 0
        owners = {}
        queue: list[tuple[Form, int | None]] = [(f, None) for f in small]
        queue += [(hidden_form(i), i) for i, c in enumerate(cells) if c.suppressed]
        while queue:
            form, owner = queue.pop()
            bad, low, high, binding = program.check(form, width, t, zeros)
            while bad:
                candidates = [c for c in binding if c not in program.dropped]
                if not candidates:
                    raise DisclosureError(
                        f"{form.label} cannot be protected: the published structure alone pins "
                        "it; publish fewer cells or group values"
                    )
                chosen = min(candidates, key=cost)
                cells[chosen].secondary = True
                program.drop([chosen])
                added += 1
                queue.append((hidden_form(chosen), chosen))
                bad, low, high, binding = program.check(form, width, t, zeros)
            if owner is not None:
                owners.setdefault(owner, []).append((low, high))
        if not added:
            break
    for i, found in owners.items():
        cells[i].interval = (min(lo for lo, _ in found), max(hi for _, hi in found))
    live = [r for r in rows if r.cell not in program.dropped]
    forms = small + [hidden_form(i) for i, c in enumerate(cells) if c.suppressed]
    try:
        audit = audit_bounds(n_atoms, live, forms, width=width, threshold=t, zeros=zeros)
    except Infeasible as exc:  # the published rows came from one feasible model
        raise DisclosureError(
            f"internal: the joint audit found the tables inconsistent ({exc})"
        ) from None
    left = [
        f.label
        for f, (lo, hi) in zip(forms, audit, strict=True)
        if violated(f, lo, hi, width, t, zeros)
    ]
    if left:
        raise DisclosureError(
            f"internal: the independent audit still narrows {len(left)} quantity(ies) "
            f"(first: {left[0]}); nothing was written"
        )
    out = [_publish(a, dims[k], [c for c in cells if c.table == k]) for k, a in enumerate(applied)]
    summary = {
        "relation": "shared margins: every table counts the same persons; columns of one name "
        "are one variable",
        "tables": [name for name, _ in frames],
        "atoms": n_atoms,
        "constraints": len(live),
        "sensitive_quantities": len(forms),
        "secondary_suppressions": sum(c.secondary for c in cells),
        "method": "linear programming over the cross-classification (LP bounds: integrality "
        "not used); audited afresh by an LP of its own",
    }
    return out, summary


def _sensitive(
    cells: list[JointCell],
    labels: list[str],
    n_atoms: int,
    names: list[str],
    domains: dict[str, list[str]],
) -> list[Form]:
    """Every atom, and every difference of two nested cells: none may hold 1..t-1 persons."""
    forms: list[Form] = []
    for a, combo in enumerate(itertools.product(*(domains[d] for d in names))):
        mask = np.zeros(n_atoms, bool)
        mask[a] = True
        forms.append(_form(mask, "small", f"persons with {dict(zip(names, combo, strict=True))}"))
    unique: dict[tuple[int, ...], int] = {}
    for i, c in enumerate(cells):
        unique.setdefault(tuple(np.flatnonzero(c.mask).tolist()), i)
    keys = list(unique.values())
    if keys:
        matrix = np.stack([cells[i].mask for i in keys]).astype(np.int32)
        inside = (matrix @ (1 - matrix).T) == 0  # inside[a, b]: a is inside b
        sizes = matrix.sum(axis=1)
        for a, b in zip(*np.nonzero(inside), strict=True):
            if a != b and sizes[a] < sizes[b]:
                i, j = keys[a], keys[b]
                forms.append(_form(cells[j].mask, "small", f"{labels[j]} minus {labels[i]}",
                                   cells[i].mask))  # fmt: skip
    seen: dict[tuple[tuple[int, ...], tuple[float, ...]], Form] = {}
    for form in forms:
        seen.setdefault((form.index, form.coef), form)
    return list(seen.values())


def _publish(applied: Applied, dims: list[str], cells: list[JointCell]) -> Applied:
    """The table with the joint secondary suppressions applied (every statistic of the row)."""
    hidden = {c.values for c in cells if c.secondary}
    frame = applied.published
    if hidden:
        key = pl.concat_str([pl.col(d).cast(pl.String) for d in dims], separator="\x1f")
        chosen = key.is_in(["\x1f".join(v) for v in hidden])
        blank = [c for c in (VALUE, N, TOTAL) if c in frame.columns]
        frame = frame.with_columns(
            *[pl.when(chosen).then(None).otherwise(pl.col(c)).alias(c) for c in blank],
            pl.when(chosen).then(pl.lit(Status.SUPPRESSED.value)).otherwise(pl.col(STATUS))
            .alias(STATUS),
        )  # fmt: skip
    counts = dict(frame.group_by(STATUS).len().sort(STATUS).iter_rows())
    intervals = {c.values: c.interval for c in cells if c.interval is not None}
    review_cells = []
    for original in applied.review.get("cells", []):
        entry = dict(original)
        values = tuple(str(entry["dims"][d]) for d in dims)
        if values in hidden:
            entry.pop("n", None)
            entry |= {"status": Status.SUPPRESSED.value, "rule": Reason.COMPLEMENTARY.value}
        if values in intervals and entry["status"] == Status.SUPPRESSED.value:
            low, high = intervals[values]
            entry["interval"] = [low, None if high == float("inf") else high]
        review_cells.append(entry)
    log = applied.log | {"additive": True, "joint": True, "status_counts": counts}
    review = applied.review | {"cells": review_cells}
    return Applied(frame, log, review, counts)
