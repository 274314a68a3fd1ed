"""The release's linear program: atom counts as variables, every published number as a row.

A release publishes numbers about sets of records. With the sets' atoms (the smallest sets the
release can tell apart) as non-negative variables, an exact count is an equality row, a count
rounded to base b an interval row, a share published at precision d two rows
``(s - d) * den <= num <= (s + d) * den``, a pooled period the equality of its sum. An attacker who
reads the release can bound any linear form of the atoms (a suppressed cell, a difference of two
nested sets, one atom) by minimising and maximising it subject to those rows: that interval is
what the release discloses about it.

``Program`` keeps HiGHS models warm (protection solves thousands of LPs that differ only in the
objective or in a dropped row); ``audit_bounds`` solves the LPs of the steward's independent
audit in HiGHS models of its own, built from the rows the audit rebuilt (scipy's linprog, cold,
for any LP they do not settle). Both are LP relaxations: integrality is not used, so an attacker with
integer programming may narrow an interval by less than one unit more (the log says so).

Before an LP is solved, the form is evaluated on every vertex found so far: if those feasible
points already spread the form over at least the protection width, it cannot be violated and no
LP is needed. Most forms are settled that way.

The protection hands its evidence to the audit as a ``Certificate``: feasible points (each a
release that agrees with everything published) and, for sets it proved hold at least t records,
row multipliers (an LP dual) that prove that lower bound. The audit trusts neither: it checks each
point against its own rows and each multiplier vector against its own matrix, uses what holds, and
solves an LP for every form the evidence does not settle. Evidence can only save LPs; a wrong or
foreign certificate changes no verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "INF",
    "Certificate",
    "Form",
    "Infeasible",
    "Program",
    "Row",
    "audit_bounds",
    "contradicting",
    "feasible",
    "prejudge",
    "set_bounds",
    "verdicts",
    "violated",
]

INF = float("inf")
_EPS = 1e-7
# A set's lower bound above this is a count of at least one (counts are whole); below it, solver
# tolerance (rows with coefficients up to the months of a window) rather than a record.
_WHOLE = 1e-3


def may_be_empty(low: Any, high: Any, zeros: bool) -> Any:
    """Whether a set (bounds, or arrays of them) may hold no record, so that it is not shown to
    hold 1..t-1; where zeros are disclosive it must also be able to hold one (else it is shown
    empty). One predicate for the protection's checks, its settling and the audit."""
    return (low <= _WHOLE) & ((high >= 1 - _EPS) | (not zeros))


_POINTS = 1500  # feasible points kept for hulls
# LPs ``settle`` solves at most (the demo: 6, 12, 20 and 40 rounds settled 687, 869, 955 and
# 1,071 of its 3,505 pending sets in 0.36, 0.58, 1.06 and 2.17 s, and its protection solved 806,
# 773, 752 and 756 LPs in all: past 12 the rounds cost more than the LPs they save).
_SETTLE_ROUNDS = 12


class Infeasible(RuntimeError):
    """The published numbers contradict each other: no set of records gives them all."""


@dataclass(frozen=True)
class Row:
    """``lower <= sum(coef[i] * x[i]) <= upper``, published by cell ``cell`` (-1: structural)."""

    index: tuple[int, ...]
    coef: tuple[float, ...]
    lower: float
    upper: float
    cell: int = -1


@dataclass(frozen=True)
class Form:
    """A linear form of the atoms an attacker must not pin down, and why it is sensitive."""

    index: tuple[int, ...]
    coef: tuple[float, ...]
    kind: str  # "hidden": a suppressed cell (needs width); "small": must not be pinned below t
    label: str
    parts: tuple[tuple[int, ...], tuple[int, ...]] | None = (
        None  # set A minus set B (B may be empty)
    )
    # A suppressed share's numerator and complement: either may be narrow where it holds at
    # least the threshold while the other is left the width (the share stays unknown, and the
    # side that may be small is protected).
    sibling: tuple[tuple[int, ...], tuple[float, ...]] | None = None

    def dense(self, n: int) -> np.ndarray:
        out = np.zeros(n)
        out[list(self.index)] = self.coef
        return out


FormKey = tuple[tuple[int, ...], tuple[float, ...]]


def form_key(form: Form) -> FormKey:
    return (form.index, form.coef)


@dataclass
class Certificate:
    """Evidence for the audit: feasible points (rows of ``points``) and, per form, row multipliers
    proving a lower bound (``proofs``: form key -> a vector over the release's published rows)."""

    points: np.ndarray
    proofs: dict[FormKey, np.ndarray]
    # What each variable (column of the points) and each row (entry of a proof) is, so that an
    # audit that numbers them otherwise can match them (``aligned``); None: numbered as the
    # audit's own.
    labels: list[str] | None = None
    rows: list[str] | None = None

    def save(self, path: Path) -> None:
        import json  # noqa: PLC0415

        keys = list(self.proofs)
        multipliers = np.stack([self.proofs[k] for k in keys]) if keys else np.zeros((0, 0))
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                points=self.points,
                proof_keys=np.array(json.dumps([[list(i), list(c)] for i, c in keys])),
                proofs=multipliers,
                names=np.array(json.dumps({"labels": self.labels, "rows": self.rows})),
            )

    @classmethod
    def load(cls, path: Path) -> Certificate:
        import json  # noqa: PLC0415

        with np.load(path, allow_pickle=False) as data:
            keys = json.loads(str(data["proof_keys"]))
            multipliers = np.asarray(data["proofs"], dtype=float)
            points = np.asarray(data["points"], dtype=float)
            names = json.loads(str(data["names"])) if "names" in data.files else {}
        proofs = {
            (tuple(int(v) for v in i), tuple(float(v) for v in c)): multipliers[k]
            for k, (i, c) in enumerate(keys)
        }
        labels, rows = names.get("labels"), names.get("rows")
        return cls(
            points,
            proofs,
            [str(v) for v in labels] if isinstance(labels, list) else None,
            [str(v) for v in rows] if isinstance(rows, list) else None,
        )

    def aligned(self, labels: Sequence[str], rows: Sequence[str]) -> Certificate:
        """The evidence renumbered to another model's variables and rows (matched by label):
        points need every one of its variables; a form or proof that names anything it lacks
        is left out. What is kept is still only used after verification."""
        if self.labels is None or self.rows is None:
            return self
        column = {label: k for k, label in enumerate(self.labels)}
        where = {label: k for k, label in enumerate(labels)}
        take = [column.get(label, -1) for label in labels]
        points = (
            self.points[:, np.array(take, dtype=np.int64)]
            if self.points.ndim == 2 and self.points.shape[1] == len(self.labels)
            and min(take, default=0) >= 0
            else np.zeros((0, len(labels)))
        )  # fmt: skip
        row_at = {key: r for r, key in reversed(list(enumerate(rows)))}
        proofs: dict[FormKey, np.ndarray] = {}
        for (index, coef), y in self.proofs.items():
            if y.shape != (len(self.rows),) or any(
                i >= len(self.labels) or self.labels[i] not in where for i in index
            ):
                continue
            terms = sorted((where[self.labels[i]], c) for i, c in zip(index, coef, strict=True))
            out = np.zeros(len(rows))
            for r in np.flatnonzero(y):
                target = row_at.get(self.rows[r])
                if target is None:
                    break
                out[target] += y[r]
            else:
                key = (tuple(i for i, _ in terms), tuple(c for _, c in terms))
                proofs[key] = out
        return Certificate(points, proofs, list(labels), list(rows))


def feasible_points(
    points: np.ndarray, matrix: Any, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """The rows of ``points`` that satisfy every row (and x >= 0), within solver tolerance."""
    if points.ndim != 2 or points.shape[0] == 0 or points.shape[1] != matrix.shape[1]:
        return np.zeros((0, matrix.shape[1]))
    values = (matrix @ points.T).T  # points x rows
    slack = 1e-6 + 1e-9 * np.maximum(
        np.abs(np.where(np.isfinite(lower), lower, 0)),
        np.abs(np.where(np.isfinite(upper), upper, 0)),
    )
    ok = (points >= -1e-7).all(axis=1)
    ok &= (values >= lower - slack).all(axis=1) & (values <= upper + slack).all(axis=1)
    out: np.ndarray = np.clip(points[ok], 0.0, None)
    return out


def proven_lower(
    cost: np.ndarray, multipliers: np.ndarray, matrix: Any, lower: np.ndarray, upper: np.ndarray
) -> float | None:
    """The lower bound on ``cost @ x`` that row multipliers ``y`` prove (weak LP duality), or None.

    For every x >= 0 with ``lower <= A x <= upper``: ``cost @ x = y @ (A x) + r @ x`` with
    ``r = cost - A.T y``; when r >= 0, ``cost @ x >= sum(y_i * (lower_i if y_i > 0 else upper_i))``.
    Reduced costs below zero by a solver's tolerance are charged at the largest published bound."""
    if multipliers.shape != lower.shape:
        return None
    y = np.where(np.abs(multipliers) > 1e-12, multipliers, 0.0)
    # A solver's tiny multiplier on the open side of a one-sided row proves nothing: drop it (the
    # reduced costs below then account for it, so the bound stays a proof).
    useless = ((y > 0) & ~np.isfinite(lower)) | ((y < 0) & ~np.isfinite(upper))
    y = np.where(useless & (np.abs(y) < 1e-7), 0.0, y)
    reduced = cost - matrix.T @ y
    if reduced.min(initial=0.0) < -1e-7:
        return None
    edge = np.where(y > 0, lower, np.where(y < 0, upper, 0.0))
    if not np.isfinite(edge[y != 0]).all():
        return None
    finite = np.concatenate([np.abs(lower[np.isfinite(lower)]), np.abs(upper[np.isfinite(upper)])])
    largest = float(finite.max(initial=1.0))
    return float(y @ edge) - float(np.clip(-reduced, 0.0, None).sum()) * largest


def set_bounds(
    rows: Sequence[Row], dropped: set[int] | frozenset[int] = frozenset()
) -> dict[tuple[int, ...], tuple[float, float]]:
    """Bounds that published rows put directly on sets (rows whose coefficients are all one)."""
    out: dict[tuple[int, ...], tuple[float, float]] = {}
    for row in rows:
        if row.cell in dropped or row.cell < 0 or any(c != 1.0 for c in row.coef):
            continue
        low, high = out.get(row.index, (-INF, INF))
        out[row.index] = (max(low, row.lower), min(high, row.upper))
    return out


def prejudge(
    form: Form,
    known: dict[tuple[int, ...], tuple[float, float]],
    width: float,
    threshold: float,
    zeros: bool = False,
) -> bool | None:
    """Decide a form from the sets' published bounds alone, where that is possible: the LP
    interval lies inside [low(A) - high(B), high(A) - low(B)]. None: an LP is needed."""
    if form.parts is None:
        return None
    a, b = form.parts
    if a not in known or (b and b not in known):
        return None
    la, ha = known[a]
    lb, hb = known[b] if b else (0.0, 0.0)
    low, high = la - hb, ha - lb
    if form.kind == "hidden":
        return True if high - low < width - _EPS else None
    if low >= threshold - _EPS or (high < 1 - _EPS and not zeros):
        return False
    return None


def excused(form: Form, low: float, threshold: float, sibling_violated: bool) -> bool:
    """A narrow side of a suppressed share that holds at least the threshold, beside a sibling
    that is left the width, discloses nothing (the share stays unknown)."""
    return form.sibling is not None and low >= threshold - _EPS and not sibling_violated


def verdicts(
    forms: Sequence[Form],
    bounds: Sequence[tuple[float, float]],
    width: float,
    threshold: float,
    zeros: bool = False,
) -> list[bool]:
    """Which forms disclose too much, given every form's interval (a suppressed share's side may
    be excused by its sibling, which must then be among the forms)."""
    pairs = list(zip(forms, bounds, strict=True))
    bad = [violated(f, lo, hi, width, threshold, zeros) for f, (lo, hi) in pairs]
    verdict = {form_key(f): b for (f, _), b in zip(pairs, bad, strict=True) if f.kind == "hidden"}
    return [
        b and not excused(f, lo, threshold, verdict.get(f.sibling, True) if f.sibling else True)
        for (f, (lo, _)), b in zip(pairs, bad, strict=True)
    ]


def violated(
    form: Form, low: float, high: float, width: float, threshold: float, zeros: bool = False
) -> bool:
    """Whether an attacker's interval [low, high] for ``form`` discloses too much.

    A suppressed cell ("hidden") must be left an interval at least ``width`` wide. Any other set
    ("small") must not be shown to hold 1..t-1 records: an interval that excludes 0, starts
    below the threshold and is narrower than ``width`` would say just that. An interval that
    admits 0 does not tell that anyone is in the set; with ``zeros`` (a profile that treats
    zeros as disclosive) it must not be shown to be empty either (an interval under 1)."""
    if high - low >= width - _EPS:
        return False
    if form.kind == "hidden":
        return True
    if zeros and high < 1 - _EPS:
        return True
    # A count is whole: a lower bound above 0 says at least one record (round 10: an LP bound of
    # 0.03 late starters meant 1 or more).
    return low > _WHOLE and low < threshold - _EPS


def _new_highs() -> Any:
    """A silent HiGHS model (``secondary.new_highs``) tuned for LPs that differ in the objective."""
    from nbnb_cbs.disclosure.secondary import new_highs  # noqa: PLC0415

    highs = new_highs()
    # Only the objective changes between LPs: primal simplex from the last optimal basis needs a
    # few iterations (about 4x faster than the default here); presolve would discard that basis.
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("simplex_strategy", 4)
    return highs


def _matrix(n: int, rows: Sequence[Row]) -> Any:
    from scipy import sparse  # noqa: PLC0415

    data: list[float] = []
    ri: list[int] = []
    ci: list[int] = []
    for r, row in enumerate(rows):
        ri += [r] * len(row.index)
        ci += list(row.index)
        data += list(row.coef)
    return sparse.csr_array((data, (ri, ci)), shape=(len(rows), n))


class Program:
    """The attacker's LP in warm HiGHS models; cells can be dropped (suppressed) in place."""

    def __init__(self, n: int, rows: Sequence[Row]) -> None:
        import highspy  # noqa: PLC0415

        self.n = n
        self.rows = list(rows)
        self.dropped: set[int] = set()
        self._by_cell: dict[int, list[int]] = {}
        for r, row in enumerate(self.rows):
            self._by_cell.setdefault(row.cell, []).append(r)
        matrix = _matrix(n, self.rows).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.num_row_ = len(self.rows)
        lp.row_lower_ = np.array([max(r.lower, -highspy.kHighsInf) for r in self.rows])
        lp.row_upper_ = np.array([min(r.upper, highspy.kHighsInf) for r in self.rows])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self._inf = highspy.kHighsInf
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._unbounded = (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        )
        # Two warm models of the same LP: minima of sets (costs that sum to 0 or more) in one,
        # maxima in the other. Each starts from the last optimum of its own direction, nearer
        # the next one's (the demo's settling LPs: 11 ms median instead of 44; its protection
        # 7.7-8.6 s instead of 8.9-9.1 s with one model, alternating runs, 1 December).
        self._models = [_new_highs(), _new_highs()]
        for model in self._models:
            model.passModel(lp)
        self.highs = self._models[0]
        self._warm = [False, False]
        self._columns = np.arange(n, dtype=np.int32)
        self.points: list[np.ndarray] = []
        self._bank = np.zeros((_POINTS, n))  # the points as rows, for hull products
        self.solves = 0
        self.evidence: list[np.ndarray] = []  # points of LPs solved once the bank is full
        # Form -> row multipliers proving its lower bound under the live rows (sparse: rows and
        # values). Dropping rows only forgets the proofs that used them: the others still hold.
        self._proofs: dict[FormKey, tuple[np.ndarray, np.ndarray]] = {}
        self._duals = np.zeros(len(self.rows))
        # Sets proved to hold at least the threshold under the current rows (their members as
        # rows of a 0/1 matrix), with the proofs' bounds and multipliers: a set that contains one
        # holds at least as many records, by the same multipliers (weak duality, x >= 0).
        self._proven = np.zeros((0, n), dtype=np.int8)
        self._proven_by: list[tuple[float, tuple[np.ndarray, np.ndarray]]] = []

    def drop(self, cells: Iterable[int]) -> None:
        """Suppress cells: their rows no longer constrain the attacker. Proofs that used any of
        those rows are forgotten; the others hold as they are (their multipliers are 0 there)."""
        gone: list[int] = []
        for cell in cells:
            if cell in self.dropped:
                continue
            self.dropped.add(cell)
            for r in self._by_cell.get(cell, []):
                for model in self._models:
                    model.changeRowBounds(r, -self._inf, self._inf)
                gone.append(r)
        if not gone:
            return
        rows = np.zeros(len(self.rows), dtype=bool)
        rows[gone] = True
        self._proofs = {k: p for k, p in self._proofs.items() if not rows[p[0]].any()}
        keep = [k for k, (_, p) in enumerate(self._proven_by) if not rows[p[0]].any()]
        self._proven = self._proven[keep]
        self._proven_by = [self._proven_by[k] for k in keep]

    def feasible_points(self) -> np.ndarray:
        """Every point found so far (feasible under the rows live when each was found)."""
        if not (self.points or self.evidence):
            return np.zeros((0, self.n))
        return np.vstack([self._bank[: len(self.points)], *self.evidence])

    def restore(self, cells: Iterable[int]) -> None:
        """Publish dropped cells again: their rows constrain the attacker once more. Feasible
        points found without them that break them are forgotten; proofs still hold (their
        multipliers on those rows are 0)."""
        back: list[int] = []
        for cell in cells:
            if cell not in self.dropped:
                continue
            self.dropped.discard(cell)
            for r in self._by_cell.get(cell, []):
                row = self.rows[r]
                for model in self._models:
                    model.changeRowBounds(r, max(row.lower, -self._inf), min(row.upper, self._inf))
                back.append(r)
        if not back:
            return
        points = self.feasible_points()
        keep = np.ones(points.shape[0], dtype=bool)
        for r in back:
            row = self.rows[r]
            values = points[:, list(row.index)] @ np.array(row.coef)
            keep &= (values >= row.lower - 1e-6) & (values <= row.upper + 1e-6)
        kept = points[keep]
        self.points, self.evidence = [], []
        for x in kept:
            if len(self.points) < _POINTS:
                self._bank[len(self.points)] = x
                self.points.append(self._bank[len(self.points)])
            else:
                self.evidence.append(x)
        self._proven = np.zeros((0, self.n), dtype=np.int8)  # re-proved as needed
        self._proven_by = []

    def proved(self, form: Form) -> bool:
        """Whether ``form`` has a lower-bound proof that holds under the live rows."""
        return form_key(form) in self._proofs

    def _prove(self, form: Form, proof: tuple[np.ndarray, np.ndarray]) -> None:
        self._proofs[form_key(form)] = proof

    def _contains_proven(self, form: Form) -> tuple[float, tuple[np.ndarray, np.ndarray]] | None:
        """A proof for a set inside ``form`` (a set: coefficients of one), if one is known."""
        if not self._proven_by or any(c != 1.0 for c in form.coef):
            return None
        # Counted in 32 bits: in the proofs' own 8 bits, a set with 256 members outside the form
        # wrapped to 0 and passed for one inside it (an atom pinned to 0 went unprotected as if it
        # held a proven 665 records, and a breakdown by city failed the run's own check).
        outside = np.ones(self.n, dtype=np.int32)
        outside[list(form.index)] = 0
        inside = np.flatnonzero((self._proven @ outside) == 0)
        return self._proven_by[int(inside[0])] if inside.size else None

    def _solve_afresh(self) -> Any:
        """Solve again without the warm start, then with presolve: after many changed row bounds
        HiGHS's simplex can end in an unknown status (a 150-participant release did, synth seed
        2502) that a cold start settles. Returns the model status."""
        status = self.highs.getModelStatus()
        for presolve in ("off", "on"):
            self.highs.clearSolver()
            self.highs.setOptionValue("presolve", presolve)
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == self._optimal or status in self._unbounded:
                break
        self.highs.setOptionValue("presolve", "off")  # warm starts again (see above)
        return status

    def _solve(self, cost: np.ndarray) -> tuple[float | None, set[int]]:
        """Minimise cost @ x; the optimum (None when unbounded) and the cells whose rows bind."""
        side = 0 if cost.sum() >= 0 else 1
        if not self._warm[side] and self._warm[1 - side]:
            # The first LP of a model starts from the other's optimum, not from scratch (the
            # demo's first LPs took 150 ms each).
            self._models[side].setBasis(self._models[1 - side].getBasis())
        self._warm[side] = True
        self.highs = self._models[side]
        self.highs.changeColsCost(self.n, self._columns, cost)
        self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != self._optimal and status not in self._unbounded:
            status = self._solve_afresh()
        if status != self._optimal:
            if status in self._unbounded:
                return None, set()
            raise RuntimeError(f"the release's LP could not be solved ({status})")
        solution = self.highs.getSolution()
        if len(self.points) < _POINTS:
            point = np.array(solution.col_value)
            self._bank[len(self.points)] = point
            self.points.append(point)
        elif len(self.evidence) < _POINTS:  # feasible under every later (fewer) rows
            self.evidence.append(np.array(solution.col_value))
        duals = np.asarray(solution.row_dual)
        self._duals = duals
        binding = {self.rows[r].cell for r in np.flatnonzero(np.abs(duals) > 1e-9)}
        return float(self.highs.getInfo().objective_function_value), binding - {-1}

    def hull(self, form: Form) -> tuple[float, float]:
        """The form's range over the feasible points found so far (inside its true interval)."""
        if not self.points:
            return INF, -INF
        values = self._bank[: len(self.points), list(form.index)] @ np.array(form.coef)
        return float(values.min()), float(values.max())

    def bounds(self, form: Form) -> tuple[float, float, set[int]]:
        """The attacker's interval for ``form`` and the published cells that make it narrow."""
        cost = form.dense(self.n)
        low, bind_low = self._solve(cost)
        high_neg, bind_high = self._solve(-cost)
        low_v = -INF if low is None else low
        high_v = INF if high_neg is None else -high_neg
        return low_v, high_v, bind_low | bind_high

    def check(
        self, form: Form, width: float, threshold: float, zeros: bool = False
    ) -> tuple[bool, float, float, set[int]]:
        """Whether ``form`` is violated, its interval (as far as computed) and the binding cells.

        For a set, the minimum comes first: a set that may be empty is never violated. For a
        suppressed cell, a maximum a protection width above a feasible value needs no second LP."""
        cost = form.dense(self.n)
        if form.kind == "small":
            hull_low, hull_high = self.hull(form)
            if may_be_empty(hull_low, hull_high, zeros):
                return False, hull_low, hull_high, set()  # feasible points show it may be empty
            proven = self._contains_proven(form)
            if proven is not None:  # it contains a set proved to hold at least the threshold
                self._prove(form, proven[1])
                return False, proven[0], max(hull_high, proven[0]), set()
            if zeros and hull_low <= _WHOLE:
                # Empty at a feasible point: only whether it can hold a record is open.
                high_neg, bind_high = self._solve(-cost)
                high = INF if high_neg is None else -high_neg
                return (
                    violated(form, hull_low, high, width, threshold, zeros),
                    hull_low,
                    high,
                    bind_high,
                )
            low_v, bind_low = self._solve(cost)
            low = -INF if low_v is None else low_v
            if low >= threshold - _EPS:
                duals = _sparse(self._duals)
                self._prove(form, duals)
                if min(form.coef) == 1.0 and max(form.coef) == 1.0:
                    member = np.zeros((1, self.n), dtype=np.int8)
                    member[0, list(form.index)] = 1
                    self._proven = np.vstack([self._proven, member])
                    self._proven_by.append((low, duals))
            if (
                may_be_empty(low, hull_high, zeros)
                or low >= threshold - _EPS
                or (hull_high - low >= width - _EPS)
            ):
                return False, low, max(hull_high, low), bind_low
            high_neg, bind_high = self._solve(-cost)
            high = INF if high_neg is None else -high_neg
            bad = violated(form, low, high, width, threshold, zeros)
            return bad, low, high, bind_low | bind_high
        high_neg, bind_high = self._solve(-cost)
        high = INF if high_neg is None else -high_neg
        hull_low, _ = self.hull(form)
        if high - hull_low >= width - _EPS:
            return False, hull_low, high, bind_high
        low_v, bind_low = self._solve(cost)
        low = -INF if low_v is None else low_v
        bad = violated(form, low, high, width, threshold)
        if bad and form.sibling is not None and low >= threshold - _EPS:
            duals = _sparse(self._duals)
            other = Form(*form.sibling, "hidden", form.label + " (other side)")
            other_bad, _, _, other_binding = self.check(other, width, threshold, zeros)
            if excused(form, low, threshold, other_bad):
                self._prove(form, duals)  # the audit's evidence: its lower bound (weak duality)
                return False, low, high, set()
            return True, low, high, bind_low | bind_high | other_binding
        return bad, low, high, bind_low | bind_high

    def certificate(self, forms: Sequence[Form]) -> Certificate:
        """The evidence for ``forms`` under the current rows: for each form the feasible points
        where it is smallest and largest, and the recorded proofs, over the live rows."""
        from scipy import sparse  # noqa: PLC0415

        live = [r for r, row in enumerate(self.rows) if row.cell not in self.dropped]
        candidates = np.vstack([self._bank[: len(self.points)], *self.evidence]) if (
            self.points or self.evidence) else np.zeros((0, self.n))  # fmt: skip
        chosen: set[int] = set()
        if candidates.shape[0] and forms:
            rows = [k for k, f in enumerate(forms) for _ in f.index]
            cols = [c for f in forms for c in f.index]
            data = [v for f in forms for v in f.coef]
            matrix = sparse.csr_array((data, (rows, cols)), shape=(len(forms), self.n))
            values = matrix @ candidates.T
            chosen = set(values.argmin(axis=1).tolist()) | set(values.argmax(axis=1).tolist())
        points = candidates[sorted(chosen)] if chosen else np.zeros((0, self.n))
        keys = {form_key(f) for f in forms}
        proofs = {}
        for k, (used, values) in self._proofs.items():
            if k in keys:
                y = np.zeros(len(self.rows))
                y[used] = values
                proofs[k] = y[live]
        return Certificate(points, proofs)

    def last_point(self) -> np.ndarray:
        return np.array(self.highs.getSolution().col_value)

    def settle(self, forms: Sequence[Form], width: float, zeros: bool = False) -> set[int]:
        """Settle most "small" set forms with a few LPs instead of one or two each.

        A set is settled when some feasible point gives it under one record (it may be empty), or
        when the feasible points found spread it over the protection width. Minimising, then
        maximising, the pending sets' records at once gives points that settle many together."""

        def solve(cost: np.ndarray) -> np.ndarray | None:
            value, _ = self._solve(cost)
            return None if value is None else self.last_point()

        return settle(forms, width, self.n, solve, self.points, zeros)

    def explore(self, samples: int, seed: int = 0) -> None:
        """Collect feasible vertices with random objectives, to settle most forms without LPs."""
        rng = np.random.default_rng(seed)
        for _ in range(samples):
            self._solve(rng.normal(size=self.n))
            self._solve(-np.abs(rng.normal(size=self.n)))


def _sparse(duals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row multipliers as (rows, values): those a proof uses (the audit reads smaller as 0)."""
    rows = np.flatnonzero(np.abs(duals) > 1e-12)
    return rows, duals[rows].copy()


def settle(
    forms: Sequence[Form],
    width: float,
    n: int,
    solve: Callable[[np.ndarray], np.ndarray | None],
    points: list[np.ndarray],
    zeros: bool = False,
) -> set[int]:
    """Settle most "small" set forms with a few LPs instead of two each.

    Minimising, then maximising, the pending sets' records all at once gives feasible points
    where many of them are small or large: a set under one record at a point may be empty, one
    whose values over the points found span the protection width is wide. Each atom counts as
    often as pending sets hold it. (Counted once, as the sets' union, the objective was the
    records of a published total whenever the sets covered one, the same at every point: the
    demo's 80 LPs here settled nothing. Counted by sets: 773 LPs for the demo's protection
    instead of 983, 10.3-10.5 s instead of 10.7-12.3 s in alternating runs, 1 December.)
    Rounds stop at ``_SETTLE_ROUNDS`` or when a minimum and a maximum settled nothing more:
    these objectives are dense, so each LP costs more than a form's (about 50 ms on the demo).
    Returns the positions of the forms settled (each may be empty, or is the width wide)."""
    from scipy import sparse  # noqa: PLC0415

    candidates = [k for k, f in enumerate(forms) if f.kind == "small" and min(f.coef) > 0]
    if not candidates:
        return set()
    rows = [r for k in candidates for r in [k] * len(forms[k].index)]
    cols = [c for k in candidates for c in forms[k].index]
    position = {k: i for i, k in enumerate(candidates)}
    matrix = sparse.csr_array(
        (np.ones(len(cols)), ([position[r] for r in rows], cols)), shape=(len(candidates), n)
    )
    low = np.full(len(candidates), INF)
    high = np.full(len(candidates), -INF)
    if points:
        values = matrix @ np.stack(points).T
        low, high = values.min(axis=1), values.max(axis=1)
    seen = len(points)
    left: list[int] = []  # pending sets after each round
    for round_ in range(_SETTLE_ROUNDS):
        for x in points[seen:]:
            v = matrix @ x
            low, high = np.minimum(low, v), np.maximum(high, v)
        seen = len(points)
        # A feasible point where the set holds under one record shows it may be empty (and,
        # where zeros are disclosive, another where it holds one that it may not be).
        pending = ~(may_be_empty(low, high, zeros) | ((high - low) >= width - _EPS))
        left.append(int(pending.sum()))
        if not left[-1] or (len(left) >= 3 and left[-1] == left[-3]):
            break
        weights = pending.astype(float) @ matrix
        # Alternately push the pending sets down (towards empty) and up (towards wide).
        optimum = solve(weights if round_ % 2 == 0 else -weights)
        if optimum is None:
            break
    for x in points[seen:]:
        v = matrix @ x
        low, high = np.minimum(low, v), np.maximum(high, v)
    done = may_be_empty(low, high, zeros) | ((high - low) >= width - _EPS)
    return {candidates[i] for i in np.flatnonzero(done)}


def _bounded(n: int, rows: Sequence[Row]) -> tuple[Any, np.ndarray, np.ndarray]:
    """The rows' matrix and bounds."""
    lower = np.array([r.lower for r in rows])
    return _matrix(n, rows), lower, np.array([r.upper for r in rows])


def _linprog_rows(matrix: Any, lower: np.ndarray, upper: np.ndarray) -> dict[str, Any]:
    """The rows as scipy's linprog takes them (equalities apart, each finite side of the others
    as a row of A_ub), with x >= 0."""
    from scipy import sparse  # noqa: PLC0415

    eq = np.isclose(lower, upper)
    up, low = ~eq & np.isfinite(upper), ~eq & np.isfinite(lower)
    b_ub = np.concatenate([upper[up], -lower[low]])
    return {
        "A_ub": sparse.vstack([matrix[up], -matrix[low]]).tocsr() if b_ub.size else None,
        "b_ub": b_ub if b_ub.size else None,
        "A_eq": matrix[eq] if eq.any() else None,
        "b_eq": lower[eq] if eq.any() else None,
        "bounds": (0, None),
        "method": "highs-ds",
    }


def feasible(n: int, rows: Sequence[Row]) -> bool:
    """Whether some set of records (x >= 0) satisfies every row: one scipy LP, no objective."""
    from scipy.optimize import linprog  # noqa: PLC0415

    return not rows or bool(linprog(np.zeros(n), **_linprog_rows(*_bounded(n, rows))).status != 2)


def contradicting(n: int, rows: Sequence[Row], group: Callable[[Row], str | None]) -> list[str]:
    """The fewest groups of rows (tables) whose numbers contradict each other, where all of them
    do: each group is left out in turn and stays out if the rest still contradict (a deletion
    filter: one LP a group). Rows of no group (structural) stay. [] if the structure alone
    contradicts, or the whole release does not."""
    fixed = [r for r in rows if group(r) is None]
    groups: dict[str, list[Row]] = {}
    for row in rows:
        name = group(row)
        if name is not None:
            groups.setdefault(name, []).append(row)
    if not feasible(n, fixed) or feasible(n, rows):
        return []
    kept = list(groups)
    for name in list(kept):
        trial = [g for g in kept if g != name]
        if not feasible(n, fixed + [r for g in trial for r in groups[g]]):
            kept = trial
    return kept


class _AuditLP:
    """The audit's own LP of the rows it rebuilt, in two HiGHS models of its own (not the
    protection's ``Program``): minima of sets in one, maxima in the other, each starting from the
    last optimum of its direction. The optimum does not depend on the start; only the time does
    (the 400-participant test export without evidence: 47 ms an LP cold through scipy's linprog,
    3 ms warm). Any status but optimal or unbounded is solved again cold by scipy's linprog, and so
    is an infeasible one before the release is called contradictory."""

    def __init__(self, n: int, matrix: Any, lower: np.ndarray, upper: np.ndarray) -> None:
        import highspy  # noqa: PLC0415

        from nbnb_cbs.disclosure.secondary import new_highs  # noqa: PLC0415

        self.n = n
        self._cold = (matrix, lower, upper)
        csc = matrix.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.num_row_ = len(lower)
        lp.row_lower_ = np.maximum(lower, -highspy.kHighsInf)
        lp.row_upper_ = np.minimum(upper, highspy.kHighsInf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        self._models = []
        for _ in range(2):
            highs = new_highs()
            highs.setOptionValue("presolve", "off")  # keeps the basis between LPs
            # Only the objective changes: the last optimum stays feasible, and primal simplex
            # goes on from it (the dual simplex, HiGHS's default, took 26 ms an LP here).
            highs.setOptionValue("simplex_strategy", 4)
            highs.passModel(lp)
            self._models.append(highs)
        self._columns = np.arange(n, dtype=np.int32)
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._unbounded = highspy.HighsModelStatus.kUnbounded

    def minimise(self, cost: np.ndarray) -> tuple[float, np.ndarray] | None:
        """The minimum of cost @ x and a point where it is reached; None if unbounded."""
        highs = self._models[0 if cost.sum() >= 0 else 1]
        highs.changeColsCost(self.n, self._columns, cost)
        highs.run()
        status = highs.getModelStatus()
        if status == self._optimal:
            x = np.array(highs.getSolution().col_value)
            return float(highs.getInfo().objective_function_value), x
        if status == self._unbounded:
            return None
        return self._linprog(cost)

    def _linprog(self, cost: np.ndarray) -> tuple[float, np.ndarray] | None:
        from scipy.optimize import linprog  # noqa: PLC0415

        res = linprog(cost, **_linprog_rows(*self._cold), options={"presolve": False})
        if res.status == 3:
            return None
        if res.status == 2:
            raise Infeasible(str(res.message))
        if res.status != 0:
            raise RuntimeError(f"the release's LP could not be solved ({res.message})")
        return float(res.fun), np.asarray(res.x)


def audit_bounds(
    n: int,
    rows: Sequence[Row],
    forms: Sequence[Form],
    width: float | None = None,
    threshold: float | None = None,
    known: dict[tuple[int, ...], tuple[float, float]] | None = None,
    certificate: Certificate | None = None,
    used: dict[str, int] | None = None,
    zeros: bool = False,
) -> list[tuple[float, float]]:
    """Every form's interval from LPs of these rows alone (the steward's independent path: its
    own HiGHS models, ``_AuditLP``, nothing of the protection's ``Program``).

    With ``width``, a form whose values over feasible points already found span ``width`` gets
    that span (a sub-interval of its true interval, enough to prove it wide) without an LP.
    A ``certificate``'s points that satisfy these rows join those points, and its proofs that hold
    for this matrix bound sets from below without an LP (``used`` counts what was taken)."""
    matrix, lower, upper = _bounded(n, rows)
    lps = _AuditLP(n, matrix, lower, upper)
    points: list[np.ndarray] = []
    bank = np.zeros((_POINTS, n))
    out: list[tuple[float, float]] = []

    def solve(cost: np.ndarray) -> float | None:
        tally["lps"] = tally.get("lps", 0) + 1
        found = lps.minimise(cost)
        if found is None:
            return None
        value, x = found
        if len(points) < _POINTS:
            bank[len(points)] = x
            points.append(bank[len(points)])
        return value

    tally = used if used is not None else {}
    tally.update(points_given=0, points_valid=0, proofs_given=0, proofs_valid=0, lps=0)
    if certificate is not None:
        valid = feasible_points(certificate.points, matrix, lower, upper)[:_POINTS]
        tally["points_given"] = int(certificate.points.shape[0])
        tally["points_valid"] = int(valid.shape[0])
        tally["proofs_given"] = len(certificate.proofs)
        for x in valid:
            bank[len(points)] = x
            points.append(bank[len(points)])
    known = known if known is not None else set_bounds(rows)
    # Forms decided without any LP: from the published sets' bounds, or by a verified proof.
    decided: dict[int, tuple[float, float]] = {}
    excusable: dict[int, np.ndarray] = {}
    valid_proofs: set[FormKey] = set()  # a form may be listed more than once (two cells, one set)
    for k, form in enumerate(forms):
        if width is None or threshold is None:
            break
        if prejudge(form, known, width, threshold, zeros) is False:
            decided[k] = (0.0, INF)  # settled without an LP: not narrow
            continue
        proof = certificate.proofs.get(form_key(form)) if certificate is not None else None
        if form.kind == "hidden" and form.sibling is not None and proof is not None:
            excusable[k] = proof  # decided below once the points are in
            continue
        if form.kind == "small" and proof is not None:
            proved = proven_lower(form.dense(n), proof, matrix, lower, upper)
            if proved is not None and proved >= threshold - _EPS:
                valid_proofs.add(form_key(form))
                decided[k] = (proved, INF)  # at least the threshold, by the proof
    rng = np.random.default_rng(1)
    for _ in range(24 if not points else 1):
        solve(rng.normal(size=n))
        solve(-np.abs(rng.normal(size=n)))
    wide: set[int] = set()
    if width is not None:

        def argmax(cost: np.ndarray) -> np.ndarray | None:
            return None if solve(cost) is None else points[-1]

        rest = [k for k in range(len(forms)) if k not in decided]
        settled = settle([forms[k] for k in rest], width, n, argmax, points, zeros)
        wide = {rest[k] for k in settled}
    for k, form in enumerate(forms):
        if (
            k in excusable
            and form.sibling is not None
            and width is not None
            and threshold is not None
        ):
            # A side of a suppressed share proved to hold at least the threshold, beside a
            # sibling that feasible points already spread over the width, is not a violation
            # whatever its own width (see excused): no LP.
            sib_index, sib_coef = form.sibling
            spread = bank[: len(points), list(sib_index)] @ np.array(sib_coef)
            proved = proven_lower(form.dense(n), excusable[k], matrix, lower, upper)
            if (
                spread.size
                and spread.max() - spread.min() >= width + _EPS
                and proved is not None
                and proved >= threshold - _EPS
            ):
                valid_proofs.add(form_key(form))
                out.append((proved, INF))
                continue
        if k in decided:
            out.append(decided[k])
            continue
        if k in wide:
            out.append((0.0, INF))  # feasible points already span the width
            continue
        coef = np.array(form.coef)
        hull_low = INF
        if points and width is not None:
            values = bank[: len(points), list(form.index)] @ coef
            hull_low = float(values.min())
            if values.max() - values.min() >= width + _EPS:
                out.append((hull_low, float(values.max())))
                continue
        cost = form.dense(n)
        if form.kind == "small" and width is not None and threshold is not None:
            low_v = solve(cost)
            low = -INF if low_v is None else low_v
            hull_high = (
                float((bank[: len(points), list(form.index)] @ coef).max()) if points else -INF
            )
            if may_be_empty(low, hull_high, zeros) or low >= threshold - _EPS:
                out.append(
                    (low, INF)
                )  # may be empty (and may hold some), or at least the threshold
                continue
            high_neg = solve(-cost)
            out.append((low, INF if high_neg is None else -high_neg))
            continue
        high_neg = solve(-cost)
        high = INF if high_neg is None else -high_neg
        if width is not None and high - hull_low >= width - _EPS:
            out.append((min(hull_low, high), high))
            continue
        low_hidden = solve(cost)
        out.append((-INF if low_hidden is None else low_hidden, high))
    tally["proofs_valid"] = len(valid_proofs)
    return out
