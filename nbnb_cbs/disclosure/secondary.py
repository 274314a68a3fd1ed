"""Secondary suppression for additive count tables, with a linear-programming audit.

An additive table is a set of cells and equations "children sum to parent" (1-D: the cells sum
to the total; 2-D: every row and column sums to its margin, the margins to the grand total). An
attacker who knows the published cells, the equations and that counts are non-negative can
bound every suppressed cell: the audit computes that interval by minimising and maximising the
cell with the HiGHS solver. ``protect`` keeps one HiGHS model warm and only swaps objectives
(thousands of small LPs in a second or two); ``audit`` solves each LP afresh through scipy's
``linprog``, so the steward's check re-verifies intervals along an independent code path. Complementary cells are added (small interior cells first, totals
last) until every suppressed cell's interval is at least ``protection_width`` wide.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nbnb_cbs.errors import DisclosureError

__all__ = ["AdditiveTable", "audit", "protect"]

Key = tuple[Any, ...]


@dataclass(frozen=True)
class AdditiveTable:
    """Cell values and equations ``(parent, children)`` meaning sum(children) == parent."""

    values: Mapping[Key, float]
    equations: Sequence[tuple[Key, tuple[Key, ...]]]
    margins: frozenset[Key] = frozenset()

    def check(self, tolerance: float = 1e-6) -> None:
        for parent, children in self.equations:
            total = sum(self.values[c] for c in children)
            if abs(total - self.values[parent]) > tolerance:
                raise DisclosureError(
                    f"margins are not additive: {parent!r} is {self.values[parent]:g} but its cells "
                    f"sum to {total:g}; give correct totals or leave them out so they are computed"
                )


class _Auditor:
    """The attacker's linear program for one set of suppressed cells, built once."""

    def __init__(self, table: AdditiveTable, suppressed: set[Key]) -> None:
        from scipy import sparse  # noqa: PLC0415  (scipy is slow to import)

        self.unknown = sorted(suppressed, key=repr)
        self.index = {k: i for i, k in enumerate(self.unknown)}
        data: list[float] = []
        row_ids: list[int] = []
        col_ids: list[int] = []
        rhs: list[float] = []
        for parent, children in table.equations:
            known = 0.0
            entries: dict[int, float] = {}
            for cell, sign in [*((c, 1.0) for c in children), (parent, -1.0)]:
                if cell in self.index:
                    entries[self.index[cell]] = entries.get(self.index[cell], 0.0) + sign
                else:
                    known += sign * table.values[cell]
            if entries:
                for col, val in entries.items():
                    row_ids.append(len(rhs))
                    col_ids.append(col)
                    data.append(val)
                rhs.append(-known)
        shape = (len(rhs), len(self.unknown))
        self.a_eq = sparse.csr_array((data, (row_ids, col_ids)), shape=shape) if rhs else None
        self.b_eq = np.array(rhs) if rhs else None

    def _solve(self, cell: Key, sign: float) -> tuple[int, float]:
        from scipy.optimize import linprog  # noqa: PLC0415

        objective = np.zeros(len(self.unknown))
        objective[self.index[cell]] = sign
        res = linprog(objective, A_eq=self.a_eq, b_eq=self.b_eq, bounds=(0, None), method="highs")
        return int(res.status), float(res.fun) if res.status == 0 else 0.0

    def high(self, cell: Key) -> float:
        status, fun = self._solve(cell, -1.0)
        return -fun if status == 0 else float("inf")

    def low(self, cell: Key) -> float:
        status, fun = self._solve(cell, 1.0)
        return max(fun, 0.0) if status == 0 else 0.0


def new_highs() -> Any:
    """A silent HiGHS instance. HiGHS prints a banner on stdout when its first instance is made,
    before any option can be set; stdout's descriptor is pointed at the null device meanwhile so
    that command output stays clean."""
    import highspy  # noqa: PLC0415

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:  # noqa: PTH123
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


class _WarmAuditor:
    """The same program as ``_Auditor`` in one HiGHS model; each bound only changes the objective,
    so the solver starts from the previous basis."""

    def __init__(self, table: AdditiveTable, suppressed: set[Key]) -> None:
        import highspy  # noqa: PLC0415

        base = _Auditor(table, suppressed)
        self.unknown, self.index = base.unknown, base.index
        n = len(self.unknown)
        self.highs = new_highs()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        if base.a_eq is not None and base.b_eq is not None:
            matrix = base.a_eq.tocsc()
            lp.num_row_ = matrix.shape[0]
            lp.row_lower_ = base.b_eq
            lp.row_upper_ = base.b_eq
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.start_ = matrix.indptr
            lp.a_matrix_.index_ = matrix.indices
            lp.a_matrix_.value_ = matrix.data
        self.highs.passModel(lp)
        self._columns = np.arange(n, dtype=np.int32)
        self._optimal = highspy.HighsModelStatus.kOptimal

    def _solve(self, cell: Key, sign: float) -> float | None:
        cost = np.zeros(len(self.unknown))
        cost[self.index[cell]] = sign
        self.highs.changeColsCost(len(self.unknown), self._columns, cost)
        self.highs.run()
        if self.highs.getModelStatus() != self._optimal:
            return None
        return float(self.highs.getInfo().objective_function_value)

    def high(self, cell: Key) -> float:
        fun = self._solve(cell, -1.0)
        return float("inf") if fun is None else -fun

    def low(self, cell: Key) -> float:
        fun = self._solve(cell, 1.0)
        return 0.0 if fun is None else max(fun, 0.0)


def audit(
    table: AdditiveTable, suppressed: set[Key], cells: Sequence[Key] | None = None
) -> dict[Key, tuple[float, float]]:
    """Interval ``(low, high)`` an attacker can derive for each suppressed cell (high may be inf)."""
    auditor = _Auditor(table, suppressed)
    return {
        c: (auditor.low(c), auditor.high(c))
        for c in (cells if cells is not None else auditor.unknown)
    }


def _cost(table: AdditiveTable, cell: Key, width: float) -> tuple[bool, bool, float]:
    """Prefer interior cells, then cells big enough to hide a cell by themselves (a cycle is only
    as loose as its smallest member), then the smallest such cell (least information lost)."""
    value = table.values[cell]
    return (cell in table.margins, value < width, value)


def _choose(
    table: AdditiveTable,
    cell: Key,
    suppressed: set[Key],
    members: dict[Key, list[int]],
    width: float,
) -> Key | None:
    own = [table.equations[i] for i in members.get(cell, [])]
    groups = [(p, *ch) for p, ch in own]
    # An equation whose other suppressed cells hold too little to hide the cell caps its interval
    # whatever happens elsewhere (with no other unknown it gives the cell away): widen it first.
    for group in groups:
        held = sum(table.values[c] for c in group if c in suppressed)
        if held < width or not any(c in suppressed for c in group if c != cell):
            free = [c for c in group if c not in suppressed]
            if free:
                return min(free, key=lambda c: _cost(table, c, width))
    # Otherwise close a cycle: published cells in equations of the cell's suppressed partners.
    partners = {c for g in groups for c in g if c in suppressed and c != cell}
    reach = {
        c
        for p in partners
        for i in members.get(p, [])
        for c in (table.equations[i][0], *table.equations[i][1])
        if c not in suppressed
    }
    near = {c for g in groups for c in g if c not in suppressed}
    for pool in (reach - near, near, reach):
        if pool:
            return min(pool, key=lambda c: _cost(table, c, width))
    return None


def protect(
    table: AdditiveTable, primary: set[Key], width: float
) -> tuple[set[Key], dict[Key, tuple[float, float]]]:
    """Add complementary suppressions until every suppressed cell's interval is >= ``width``.

    Returns all suppressed cells and the final audit. Adding a suppression never narrows another
    cell's interval, so each cell needs to be brought up to width only once.
    """
    table.check()
    suppressed = set(primary)
    members: dict[Key, list[int]] = {}
    for i, (parent, children) in enumerate(table.equations):
        for cell in (parent, *children):
            members.setdefault(cell, []).append(i)
    queue = sorted(suppressed, key=repr)
    done: set[Key] = set()
    auditor: _WarmAuditor | None = None
    while queue:
        cell = queue.pop(0)
        if cell in done:
            continue
        while True:
            if auditor is None:
                auditor = _WarmAuditor(table, suppressed)
            # The true value lies in the interval, so high - value >= width proves the width
            # with one LP; only otherwise is the low end needed.
            high = auditor.high(cell)
            if high - table.values[cell] >= width or high - auditor.low(cell) >= width:
                break
            extra = _choose(table, cell, suppressed, members, width)
            if extra is None:
                raise DisclosureError(
                    f"cell {cell!r} cannot be protected: every cell that could hide it is already "
                    "suppressed; pool categories or periods instead"
                )
            suppressed.add(extra)
            auditor = None
            queue.append(extra)
        done.add(cell)
    final = auditor if auditor is not None else _WarmAuditor(table, suppressed)
    return suppressed, {c: (final.low(c), final.high(c)) for c in final.unknown}
