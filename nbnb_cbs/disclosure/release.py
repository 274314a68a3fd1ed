"""Whole-release disclosure control: one model of everything an export publishes.

``protect_release`` takes the person-level release frame (a row per record with every membership
a table uses, see ``catalogue``) and the rows the tables publish, applies the primary rules to
every cell, then chooses secondary suppressions for the whole release at once: every published
number is a row of one linear program over the atoms, and a cell is hidden whenever some sensitive
quantity (a suppressed cell, an atom, the difference of two nested sets) would otherwise be left
in an interval narrower than the profile's protection width while it may hold 1..t-1 records.
``audit_rows`` re-solves the same program along an independent path (``lp.audit_bounds``: its own
LP of the rows, not the protection's models) for the verdict;
the steward's check builds the program from the exported files alone and calls it too.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.disclosure.catalogue import (
    CLASS_RANGE,
    COHORT,
    COV,
    ENROL,
    LATE,
    SERIES,
    SNAP,
    TOTAL,
    Domains,
    RowSpec,
    bin_bounds,
    universe,
)
from nbnb_cbs.disclosure.lp import (
    Certificate,
    Form,
    Infeasible,
    Program,
    Row,
    audit_bounds,
    may_be_empty,
    prejudge,
    set_bounds,
    verdicts,
)
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.errors import DisclosureError

__all__ = ["Cell", "ReleaseModel", "audit_rows", "build_model", "protect_release"]


@dataclass
class Cell:
    """One published row: its definition, true values and what the protection decided."""

    spec: RowSpec
    value: float | None = None  # the statistic (count, share, mean ...)
    n: float | None = None  # units behind the row
    num: float | None = None  # numerator count of a share
    total: float | None = None  # magnitudes: sum, largest and second largest contribution
    top1: float | None = None
    top2: float | None = None
    pool_total: float | None = None
    pool_label: str | None = None
    organisations: int | None = None
    reason: str | None = None  # primary rule, "secondary", or None
    interval: tuple[float, float] | None = None

    @property
    def suppressed(self) -> bool:
        return self.reason is not None


@dataclass
class ReleaseModel:
    """The atoms (variables), every cell's LP rows and the sensitive forms."""

    domains: Domains
    atoms: pl.DataFrame
    cells: list[Cell]
    masks: dict[str | bytes, np.ndarray] = field(default_factory=dict)
    # Durability sums: one variable per (anchor column, atom) whose records are in a group; the
    # LP's columns are the atoms, then these.
    sums: dict[tuple[str, int], int] = field(default_factory=dict)
    sum_ranges: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    # Time-weighted means: per cohort state of the work groups (atoms that differ only in their
    # distribution bin), the months worked (W) and observable from the exit (Ox) and from the
    # first job (Of): variables after the sums (round 10 read 1..6 late starters from the two
    # anchors' time-weighted means of one group: Ox - Of are the months before the first job;
    # they are tied to the late factor's counts, see _month_rows).
    months: dict[tuple[Any, ...], dict[str, int]] = field(default_factory=dict)
    month_atoms: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    lifted: dict[tuple[int, ...], list[tuple[int, ...]]] = field(default_factory=dict)

    @property
    def n_vars(self) -> int:
        return self.atoms.height + len(self.sums) + sum(len(v) for v in self.months.values())

    def layout(self) -> tuple[np.ndarray, np.ndarray]:
        """Each atom's factor, and the id of its shared cell (the same in every factor)."""
        if "_factor" not in self.masks:
            keys = [*self.domains.shared, "ls"]
            ids = self.atoms.select(pl.struct(keys).rank("dense")).to_series().to_numpy()
            self.masks["_factor"] = self.atoms["factor"].to_numpy()
            self.masks["_shared"] = ids
        return self.masks["_factor"], self.masks["_shared"]

    def prime(self, exprs: Iterable[pl.Expr | None]) -> None:
        """Work out the masks of many expressions in one pass over the atoms (one at a time,
        the demo's cells took 440 passes)."""
        todo: dict[bytes, pl.Expr] = {}
        for expr in exprs:
            if expr is not None:
                key = expr.meta.serialize(format="binary")
                if key not in self.masks:
                    todo.setdefault(key, expr)
        if not todo:
            return
        frame = self.atoms.select(
            expr.fill_null(False).alias(f"m{k}") for k, expr in enumerate(todo.values())
        )
        for k, key in enumerate(todo):
            self.masks[key] = frame[f"m{k}"].to_numpy()

    def mask(self, expr: pl.Expr | None) -> np.ndarray:
        if expr is None:
            return np.zeros(self.atoms.height, dtype=bool)
        # The expression's own bytes, not its text: polars shortens long lists in the text
        # ('["dropout", "education", … "work_experience"]'), so two models' samples that
        # differed by one destination shared a mask, and the second model's N was the first's.
        key = expr.meta.serialize(format="binary")
        if key not in self.masks:
            self.masks[key] = self.atoms.select(expr.fill_null(False)).to_series().to_numpy()
        return self.masks[key]


def variable_labels(model: ReleaseModel) -> list[str]:
    """Every LP variable by what it is, not by its number: an atom by its columns' values (a
    column the other model lacks reads "none" in every atom, so "none" is left out), a
    durability sum by its anchor and atom, a months variable by its name and work-group state.
    The audit's model, rebuilt from the files, numbers them its own way (a withheld model leaves
    out its covariate atoms): the certificate is matched by these labels."""
    atoms = model.atoms.sort("var")
    columns = sorted(c for c in atoms.columns if c != "var")
    labels = [
        "|".join(f"{c}={v}" for c, v in zip(columns, row, strict=True) if v not in (None, "none"))
        for row in atoms.select(columns).iter_rows()
    ]
    out = [*labels, *[""] * (model.n_vars - len(labels))]
    for (prefix, a), v in model.sums.items():
        out[v] = f"sum {prefix} of {labels[a]}"
    for key, names in model.months.items():
        for name, v in names.items():
            out[v] = f"months {name} of {key!r}"
    return out


def row_keys(labels: Sequence[str], rows: Sequence[Row]) -> list[str]:
    """Each row by its content (its variables' labels, coefficients and bounds)."""
    out = []
    for row in rows:
        terms = sorted(zip((labels[i] for i in row.index), row.coef, strict=True))
        text = ";".join(f"{label}:{c!r}" for label, c in terms) + f"#{row.lower!r},{row.upper!r}"
        out.append(hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest())
    return out


def build_model(domains: Domains, specs: Sequence[RowSpec]) -> ReleaseModel:
    atoms = universe(domains)
    model = ReleaseModel(domains, atoms, [Cell(s) for s in specs])
    model.prime(e for s in specs for e in (s.num, s.den))
    first = {"exit": "x", "first-job": "f"}.get(domains.anchors[0]) if domains.anchors else None
    columns = atoms.select("factor", "x", "f", "e", "dx", "df", "de", "bin").rows()
    for a, (factor, *values) in enumerate(columns):
        if factor != "cohort":
            continue
        state = dict(zip(("x", "f", "e", "dx", "df", "de", "bin"), values, strict=True))
        for prefix in ("x", "f", "e"):
            if state[prefix] not in ("ew", "w1", "o12"):
                continue
            low, high = (0.0, 0.0) if state[prefix] == "ew" else CLASS_RANGE[state["d" + prefix]]
            if prefix == first and state["bin"] != "none":
                b_low, b_high, _ = bin_bounds(state["bin"])
                low, high = max(low, b_low), min(high, b_high)
            model.sums[(prefix, a)] = atoms.height + len(model.sums)
            model.sum_ranges[(prefix, a)] = (low, high)
    _month_variables(model)
    return model


_MONTH_KEYS = ("ls", "x", "f", "dx", "df")  # with the breakdowns: one state of the work groups


def _month_variables(model: ReleaseModel) -> None:
    """W, Ox, Of per cohort state of the work groups (see ReleaseModel.months)."""
    keys = [*model.domains.shared, *_MONTH_KEYS]
    work = model.atoms.filter(
        (pl.col("factor") == "cohort") & ((pl.col("x") != "none") | (pl.col("f") != "none"))
    )
    for key, part in work.group_by(keys, maintain_order=True):
        state = dict(zip(keys, key, strict=True))
        names = (
            ["W"]
            + (["Ox"] if state["x"] != "none" else [])
            + (["Of"] if state["f"] != "none" else [])
        )
        base = model.atoms.height + len(model.sums) + sum(len(v) for v in model.months.values())
        model.months[tuple(key)] = {name: base + k for k, name in enumerate(names)}
        model.month_atoms[tuple(key)] = [int(v) for v in part["var"].to_list()]


def _month_rows(model: ReleaseModel) -> list[Row]:
    """What holds for every record of a work-group state, summed over its records (n): at least
    one month worked (none for exit_work only), observable 12 or more months for observed_12m and
    at most 11 otherwise, at most the months from the first entry to E, worked within the
    observable months, from the exit at least as many as from the first job, and the durability
    class (1: all worked; >= 0.9; < 0.9).

    With both anchors, Ox - Of are the months before a late first job: none for a record that is
    not late, at least one for one that is. A state whose two groups or classes differ holds late
    records only; one whose exit class is 1 none. The late factor counts the late records of each
    shared cell and exit group (L): the group's Ox - Of is at least L and at most L windows."""
    domains = model.domains
    day = domains.unit == "day"
    long = 365.0 if day else 12.0
    top = float(len(domains.months) or 600) * (31.0 if day else 1.0)
    rows: list[Row] = []

    def add(terms: dict[int, float], low: float, high: float) -> None:
        index = tuple(terms)
        rows.append(Row(index, tuple(terms[i] for i in index), low, high))

    gaps: dict[tuple[Any, ...], dict[int, float]] = {}  # (shared cell, exit group): Ox - Of
    for key, var in model.months.items():
        state = dict(zip([*domains.shared, *_MONTH_KEYS], key, strict=True))
        atoms = model.month_atoms[key]

        def scaled(c: float, atoms: list[int] = atoms) -> dict[int, float]:
            return dict.fromkeys(atoms, c)

        w = var["W"]
        if state["x"] == "ew":
            add({w: 1.0}, 0.0, 0.0)
        else:
            add({w: 1.0, **scaled(-1.0)}, 0.0, math.inf)  # W >= n
        for name, column in (("Ox", "x"), ("Of", "f")):
            if name not in var:
                continue
            o = var[name]
            add({o: 1.0, **scaled(-1.0)}, 0.0, math.inf)  # O >= n
            add({o: 1.0, **scaled(-top)}, -math.inf, 0.0)  # O <= top n
            if state[column] == "o12":
                add({o: 1.0, **scaled(-long)}, 0.0, math.inf)
            elif state[column] == "w1":
                add({o: 1.0, **scaled(-(long - 1.0))}, -math.inf, 0.0)
            add({o: 1.0, w: -1.0}, 0.0, math.inf)  # W <= O
            klass = state["d" + column]
            if klass == "one":
                add({w: 1.0, o: -1.0}, 0.0, math.inf)
            elif klass == "ge90":
                add({w: 1.0, o: -0.9}, 0.0, math.inf)
            elif klass == "lt90":
                add({w: 1.0, o: -0.9}, -math.inf, 0.0)
            if state[column] in ("w1", "o12") and klass != "one":  # (1: W = O, above)
                # A record's durability is its months worked over its months observable, d = W / O,
                # with d in its class and O within its group's range: summed over the records, the
                # four McCormick inequalities of that product tie the durability sums (S) to the
                # months (round 14 bounded a group's months observable by its mean and
                # time-weighted mean, and from them its late starters to 1..9).
                d_lo, d_hi = CLASS_RANGE[klass]
                o_lo, o_hi = (long, top) if state[column] == "o12" else (1.0, long - 1.0)
                sums = [model.sums[(column, a)] for a in atoms]
                for d_o, o_o, up in ((d_lo, o_lo, False), (d_hi, o_hi, False),
                                     (d_hi, o_lo, True), (d_lo, o_hi, True)):  # fmt: skip
                    # W - d_o O - o_o S + d_o o_o n >= 0 (up: <= 0)
                    terms = {w: 1.0, o: -d_o, **dict.fromkeys(sums, -o_o), **scaled(d_o * o_o)}
                    add(terms, *((-math.inf, 0.0) if up else (0.0, math.inf)))
        if "Ox" in var and "Of" in var:
            # The exit window is the first job's plus the months before it.
            gap = {var["Ox"]: 1.0, var["Of"]: -1.0}
            if state["dx"] == "one":
                add(gap, 0.0, 0.0)  # worked every month after the exit: not late
            elif state["f"] != state["x"] or state["df"] != state["dx"]:
                add({**gap, **scaled(-1.0)}, 0.0, math.inf)  # late, every record
            else:
                add(gap, 0.0, math.inf)
            cell = (*key[: len(domains.shared) + 1], state["x"])
            gaps.setdefault(cell, {}).update(gap)  # each state's own two variables
    if not gaps:
        return rows
    late = {
        tuple(r[:-1]): r[-1]
        for r in model.atoms.filter((pl.col("factor") == "late") & (pl.col("lt") == "yes"))
        .select(*domains.shared, "ls", "lx", "var")
        .iter_rows()
    }
    for cell, gap in gaps.items():
        count = late[cell]
        add({**gap, count: -1.0}, 0.0, math.inf)  # at least a month per late record
        add({**gap, count: -top}, -math.inf, 0.0)  # at most a window per late record
    return rows


def _sum_rows(model: ReleaseModel) -> list[Row]:
    """Each atom's durability sum lies between its records' bounds; from the first job it is at
    least that from the exit (the same records, a window that starts later)."""
    rows: list[Row] = []
    for (prefix, a), v in model.sums.items():
        low, high = model.sum_ranges[(prefix, a)]
        rows.append(Row((a, v), (low, -1.0), -math.inf, 0.0))
        rows.append(Row((a, v), (-high, 1.0), -math.inf, 0.0))
        if prefix == "f" and ("x", a) in model.sums:
            rows.append(Row((v, model.sums[("x", a)]), (1.0, -1.0), 0.0, math.inf))
    return rows + _month_rows(model)


def _key(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(np.flatnonzero(mask).tolist())


def _form(mask: np.ndarray, kind: str, label: str, minus: np.ndarray | None = None) -> Form:
    coef = mask.astype(float) - (minus.astype(float) if minus is not None else 0.0)
    index = np.flatnonzero(coef)
    parts = (_key(mask), _key(minus) if minus is not None else ())
    return Form(tuple(index.tolist()), tuple(coef[index].tolist()), kind, label, parts)


def lifted_bounds(
    model: ReleaseModel, known: dict[tuple[int, ...], tuple[float, float]]
) -> dict[tuple[int, ...], tuple[float, float]]:
    """Published bounds of sets of shared cells hold for the same records in every factor."""
    out = dict(known)
    for key, bound in known.items():
        if key not in model.lifted:  # the same sets' lifts are asked for after every drop
            mask = np.zeros(model.atoms.height, dtype=bool)
            mask[[i for i in key if i < model.atoms.height]] = True
            model.lifted[key] = [_key(m) for m in _lift(model, mask)]
        for lifted in model.lifted[key]:
            out.setdefault(lifted, bound)
    return out


def _lift(model: ReleaseModel, mask: np.ndarray) -> list[np.ndarray]:
    factor, shared = model.layout()
    if not mask.any() or not (factor[mask] == "N").all():
        return []
    inside = np.isin(shared, shared[mask])
    return [
        (factor == f) & inside
        for f in ("cohort", "snap", "series", "enrol", "late", "cov")
        if ((factor == f) & inside).any()
    ]


def rounded_share_bounds(
    share: float, n: float, base: int, precision: float
) -> tuple[float, float]:
    """The numerator of a share of rounded counts, ``share = round(num_r / n, precision)``
    with ``num_r`` the numerator rounded (half up) to ``base``: the multiples of the base that
    give the share, widened by the rounding."""
    delta = precision / 2 + 1e-9
    low_r, high_r = (share - delta) * n, (share + delta) * n
    first, last = math.ceil(low_r / base - 1e-9), math.floor(high_r / base + 1e-9)
    if first <= last:
        low_r, high_r = float(first * base), float(last * base)
    return _interval(low_r, base)[0], _interval(high_r, base)[1]


def _interval(value: float, base: int) -> tuple[float, float]:
    """The whole counts that round (half up) to ``value``: 50 to base 10 is 45..54, to base 5
    48..52. Whole, not 44.5..54.5: the half a unit an LP would otherwise grant at each end adds
    up over a chain of groups (red team 18: four means times their rounded n, nested, bounded a
    group of never-workers to 0.18..8.7 with whole counts and to -0.02..8.9 without)."""
    if not base:
        return value, value
    return float(math.ceil(value - base / 2 - 1e-9)), float(math.ceil(value + base / 2 - 1e-9) - 1)


def _coupling(model: ReleaseModel) -> list[Row]:
    """Every factor partitions the records of each shared cell: its atoms sum to N."""
    atoms = model.atoms
    keys = [*model.domains.shared, "ls"]
    n_index = {
        tuple(r[:-1]): r[-1]
        for r in atoms.filter(pl.col("factor") == "N").select(*keys, "var").iter_rows()
    }
    rows: list[Row] = []
    for (factor, *key), part in atoms.filter(pl.col("factor") != "N").group_by(
        ["factor", *keys], maintain_order=True
    ):
        _ = factor
        index = (*part["var"].to_list(), n_index[tuple(key)])
        rows.append(Row(tuple(int(i) for i in index), (*[1.0] * part.height, -1.0), 0.0, 0.0))
    if model.domains.enrolment:
        rows += _enrol_links(model)
    if (model.atoms["factor"] == "late").any():
        rows += _late_links(model)
    if model.domains.covariates:
        rows += _cov_links(model)
    return rows


def _cov_links(model: ReleaseModel) -> list[Row]:
    """The cov factor and the cohort count the same linked records of a shared cell by exit
    destination class; with the enrol factor, by destination and enrolment at the end too."""
    rows: list[Row] = []
    for part in _linked_cells(model):
        cov = part.filter(pl.col("factor") == "cov")
        cohort = part.filter(pl.col("factor") == "cohort")
        enrol = part.filter(pl.col("factor") == "enrol")
        for d in cov["cd"].unique(maintain_order=True).to_list():
            mine = cov.filter(pl.col("cd") == d)
            rows.append(_tie(mine, cohort.filter(pl.col("dest") == d)))
            if model.domains.enrolment:  # those enrolled; with the tie above, the others follow
                rows.append(_tie(
                    mine.filter(pl.col("ce") == "yes"),
                    enrol.filter((pl.col("ed") == d) & (pl.col("en") == "yes")),
                ))  # fmt: skip
    return rows


def _linked_cells(model: ReleaseModel) -> Iterator[pl.DataFrame]:
    """The atoms of each shared cell of linked records (every factor's), cell by cell."""
    keys = [*model.domains.shared, "ls"]
    linked = model.atoms.filter(pl.col("ls") != "u")
    for _, part in linked.group_by(keys, maintain_order=True):
        yield part


def _tie(a: pl.DataFrame, b: pl.DataFrame, low: float = 0.0, high: float = 0.0) -> Row:
    """low <= (records of atoms a) - (records of atoms b) <= high."""
    index = (*a["var"].to_list(), *b["var"].to_list())
    coef = (*[1.0] * a.height, *[-1.0] * b.height)
    return Row(tuple(int(i) for i in index), coef, low, high)


def _late_links(model: ReleaseModel) -> list[Row]:
    """The late factor counts the records of each exit group w1 / o12 of a shared cell; its late
    ones are at least the cohort's states that can only hold late records (two groups or classes
    that differ) and at most those whose exit class is not 1."""
    rows: list[Row] = []
    for part in _linked_cells(model):
        late = part.filter(pl.col("factor") == "late")
        cohort = part.filter(pl.col("factor") == "cohort")
        for x in ("w1", "o12"):
            group = cohort.filter(pl.col("x") == x)
            yes = late.filter((pl.col("lx") == x) & (pl.col("lt") == "yes"))
            rows.append(_tie(late.filter(pl.col("lx") == x), group, 0.0, 0.0))
            forced = group.filter((pl.col("f") != pl.col("x")) | (pl.col("df") != pl.col("dx")))
            rows.append(_tie(yes, forced, 0.0, math.inf))
            rows.append(_tie(yes, group.filter(pl.col("dx") != "one"), -math.inf, 0.0))
    return rows


def _enrol_links(model: ReleaseModel) -> list[Row]:
    """The enrol factor and the cohort count the same linked records of a shared cell by exit
    destination, and the leavers to education enrolled at the end alike (catalogue.universe)."""
    rows: list[Row] = []
    for part in _linked_cells(model):
        enrol = part.filter(pl.col("factor") == "enrol")
        cohort = part.filter(pl.col("factor") == "cohort")
        for d in enrol["ed"].unique(maintain_order=True).to_list():
            rows.append(_tie(enrol.filter(pl.col("ed") == d), cohort.filter(pl.col("dest") == d)))
        if model.domains.education:
            rows.append(_tie(
                enrol.filter((pl.col("ed") == "education") & (pl.col("en") == "yes")),
                cohort.filter((pl.col("e") != "none") & (pl.col("ee") == "yes")),
            ))  # fmt: skip
    return rows


def cell_rows(model: ReleaseModel, i: int, published: dict[str, Any]) -> list[Row]:
    """The LP rows of cell ``i`` as published (``published``: value, n, rounding, pool)."""
    cell = model.cells[i]
    spec = cell.spec
    rows: list[Row] = []

    def add(mask: np.ndarray, low: float, high: float, minus: np.ndarray | None = None, scale: float = 1.0) -> None:  # fmt: skip
        coef = mask.astype(float) - (scale * minus.astype(float) if minus is not None else 0.0)
        index = np.flatnonzero(coef)
        rows.append(
            Row(tuple(int(j) for j in index), tuple(float(coef[j]) for j in index), low, high, i)
        )

    den = model.mask(spec.den)
    n = published.get("n")
    base = int(published.get("rounding") or 0)
    if spec.kind == "pool":
        if published.get("pool_first") and published.get("pool_total") is not None:
            members = np.zeros(model.atoms.height, dtype=bool)
            for month in published["pool_members"]:
                members |= model.mask((pl.col("factor") == "series") & (pl.col("entry") == month))
            total = float(published["pool_total"])
            add(members, *_interval(total, int(published.get("rounding") or 0)))
        return rows
    if n is not None and spec.den is not None:
        add(den, *_interval(float(n), base))
    value = published.get("value")
    if spec.kind == "mean" and spec.statistic == "weighted_mean" and value is not None:
        # worked / observable months of the group = the value, to its precision (W, Ox or Of).
        name = {"x": "Ox", "f": "Of"}.get(spec.prefix or "")
        delta = 0.0005 + 1e-9
        inside = set(np.flatnonzero(den).tolist())
        terms = [v for k, v in model.months.items() if set(model.month_atoms[k]) <= inside]
        if name is not None and terms and all(name in v for v in terms):
            index = tuple(i for v in terms for i in (v["W"], v[name]))
            for bound, low_b, high_b in ((float(value) + delta, -math.inf, 0.0),
                                         (float(value) - delta, 0.0, math.inf)):  # fmt: skip
                coef = tuple(c for _ in terms for c in (1.0, -bound))
                rows.append(Row(index, coef, low_b, high_b, i))
    if spec.kind == "mean" and spec.statistic == "mean" and value is not None and spec.prefix:
        # sum of durability over the group = mean x n, to the published precision.
        delta = 0.0005 + 1e-9
        group = [int(a) for a in np.flatnonzero(den)]
        sums = [model.sums[(spec.prefix, a)] for a in group if (spec.prefix, a) in model.sums]
        for bound, low_b, high_b in (
            (float(value) + delta, -math.inf, 0.0),
            (float(value) - delta, 0.0, math.inf),
        ):
            rows.append(
                Row(
                    (*sums, *group),
                    (*[1.0] * len(sums), *[-bound] * len(group)),
                    low_b,
                    high_b,
                    i,
                )
            )
    bounds = published.get("bounds")
    if spec.kind == "count" and bounds is not None and spec.num is not None:
        add(model.mask(spec.num), float(bounds[0]), float(bounds[1]))
    elif spec.kind == "count" and value is not None and spec.num is not None:
        add(model.mask(spec.num), *_interval(float(value), base))
    if spec.kind == "share" and value is not None and spec.num is not None:
        num = model.mask(spec.num)
        delta = (spec.precision or 0.0) / 2 + 1e-9
        if base and n is not None:
            # A share of rounded counts: s = round(num_r / n_r), num_r = num rounded to base,
            # so num_r is a multiple of the base within (s -+ d) x n_r: an attacker takes the
            # multiples only (red team 18: 0.62 of 80 is 50 exactly, so 45..54, where the
            # interval without them, 44.2..54.5, left a difference of 1..9 looking 10 wide).
            add(num, *rounded_share_bounds(float(value), float(n), base, spec.precision or 0.0))
        else:
            add(num, -math.inf, 0.0, den, float(value) + delta)
            add(num, 0.0, math.inf, den, float(value) - delta)
    return rows


def sensitive_forms(model: ReleaseModel) -> list[Form]:
    """Atoms and differences of nested sets: none may be pinned to 1..t-1 records."""
    atoms = model.atoms
    forms = [
        Form((int(v),), (1.0,), "small", f"atom {v}", ((int(v),), ()))
        for v in atoms["var"].to_list()
    ]
    forms += _summed_atoms(model)
    forms += _category_unions(model)
    # A month's inflow is published only inside its pool: it is a hidden value, and must be left
    # the protection width (a red team narrowed months to [0, 5] from the rounded running totals
    # of the series; as a mere set that may be empty, that passed).
    for cell in model.cells:
        if cell.spec.kind == "pool" and cell.spec.num is not None:
            mask = model.mask(cell.spec.num)
            if mask.any():
                forms.append(
                    _form(mask, "hidden", f"{cell.spec.table} {cell.spec.dims} (a month in a pool)")
                )
    sets: dict[tuple[int, ...], tuple[np.ndarray, str]] = {}
    for cell in model.cells:
        for name, expr in (("num", cell.spec.num), ("den", cell.spec.den)):
            mask = model.mask(expr)
            if not mask.any():
                continue
            label = f"{cell.spec.table} {cell.spec.dims} {cell.spec.statistic} ({name})"
            # A set of shared cells is the same records in every factor.
            variants = [mask, *_lift(model, mask)]
            for m in variants:
                sets.setdefault(_key(m), (m, label))
            if name == "num" and cell.spec.kind == "share" and cell.spec.den is not None:
                rest = model.mask(cell.spec.den) & ~mask
                if rest.any():
                    sets.setdefault(_key(rest), (rest, label + " complement"))
            if name == "num" and cell.spec.table.startswith("model_") and cell.spec.kind == "count":
                # The records a model leaves out (linked records with the other destinations).
                linked = (pl.col("factor") == "cohort") & pl.col("ls").is_in(["n", "w"])
                rest = model.mask(linked) & ~mask
                if rest.any():
                    sets.setdefault(_key(rest), (rest, label + " left out"))
    keys = list(sets)
    masks = [m for m, _ in sets.values()]
    labels = [lab for _, lab in sets.values()]
    if masks:
        # In floats (BLAS; whole counts up to 2^24 are exact): numpy multiplies integer
        # matrices in plain loops.
        matrix = np.stack(masks).astype(np.float32)
        outside = (matrix @ (1 - matrix).T) == 0  # outside[a, b]: a is inside b
        sizes = matrix.sum(axis=1)
        for a, b in zip(*np.nonzero(outside), strict=True):
            if a != b and sizes[a] < sizes[b]:
                # b minus a, a inside b: the atoms of b not in a, each with coefficient one
                # (``_form(masks[b], ..., masks[a])``, from the sets' keys).
                index = tuple(np.flatnonzero(masks[b] & ~masks[a]).tolist())
                label = f"{labels[b]} minus {labels[a]}"
                forms.append(Form(index, (1.0,) * len(index), "small", label, (keys[b], keys[a])))
    unique: dict[tuple[tuple[int, ...], tuple[float, ...]], Form] = {}
    for form in forms:
        key = (form.index, form.coef)
        if key not in unique or (form.kind == "hidden" and unique[key].kind != "hidden"):
            unique[key] = form  # the stricter rule wins (a month in a pool is also a set)
    return list(unique.values())


def _category_unions(model: ReleaseModel) -> list[Form]:
    """Unions of two or more (not all) of a table's categories or bins: two suppressed
    categories beside published ones are the total less those (red team 47: the 'other' and
    'unknown' employment types together 2..10, from the exact number in work a model gave). A
    table of more than eight categories is left to its atoms (2^8 unions)."""
    groups: dict[tuple[Any, ...], list[np.ndarray]] = {}
    for cell in model.cells:
        spec = cell.spec
        if spec.kind != "count" or spec.num is None:
            continue
        key = next((d for d in ("category", "bin") if d in spec.dims), None)
        if key is None or spec.dims[key] == TOTAL:
            continue
        rest = tuple(sorted((d, str(v)) for d, v in spec.dims.items() if d != key))
        groups.setdefault((spec.table, rest, spec.statistic), []).append(model.mask(spec.num))
    out: list[Form] = []
    for (table, rest, _), masks in groups.items():
        if not 3 <= len(masks) <= 8:
            continue
        for size in range(2, len(masks)):
            for combo in itertools.combinations(masks, size):
                union = np.logical_or.reduce(combo)
                if union.any():
                    out.append(
                        _form(union, "small", f"{table} {dict(rest)} {size} categories together")
                    )
    return out


def _summed_atoms(model: ReleaseModel) -> list[Form]:
    """Atoms of one factor state summed over breakdown values and over the linked statuses: a
    total can be pinned where none of its atoms is (e.g. linked leavers to education without an
    exit date = linked - a model's N - the education cohort)."""
    atoms = model.atoms
    shared = model.domains.shared
    state = [c for c in atoms.columns if c not in ("var", "factor", *shared, "ls")]
    out: list[Form] = []
    # The atoms of every factor but N, with the linked statuses apart and merged (worked out
    # once: the loops below group them 2 x 2^breakdowns x (1 + states) times).
    factored = atoms.filter(pl.col("factor") != "N")
    merged = {
        merge: factored.with_columns(
            (pl.col("ls").replace({"n": "linked", "w": "linked"}) if merge else pl.col("ls")).alias(
                "_ls"
            )
        )
        for merge in (False, True)
    }
    for keep in itertools.product((True, False), repeat=len(shared)):
        for merge_ls in (False, True):
            if all(keep) and not merge_ls:
                continue  # the atoms themselves
            keys = [*state, *(b for b, k in zip(shared, keep, strict=True) if k)]
            groups = (
                merged[merge_ls]
                .group_by(["factor", *keys, "_ls"], maintain_order=True)
                .agg(pl.col("var"))
                .filter(pl.col("var").list.len() > 1)
            )
            for members in groups["var"].to_list():
                index = tuple(sorted(int(v) for v in members))
                out.append(Form(index, (1.0,) * len(index), "small",
                                f"atoms {index[0]}.. summed over breakdowns", (index, ())))  # fmt: skip
            # One dimension's value summed over every other (all late first jobs, all leavers
            # to work enrolled at the end ...): round 10 bounded the late starters, spread over
            # many states, to 1..6.
            for column in state:
                margins = (
                    merged[merge_ls]
                    .filter(pl.col(column) != "none")
                    .group_by(["factor", column, *(b for b, k in zip(shared, keep, strict=True) if k), "_ls"], maintain_order=True)
                    .agg(pl.col("var"))
                    .filter(pl.col("var").list.len() > 1)
                )  # fmt: skip
                for members in margins["var"].to_list():
                    index = tuple(sorted(int(v) for v in members))
                    out.append(Form(index, (1.0,) * len(index), "small",
                                    f"{column} margin {index[0]}..", (index, ())))  # fmt: skip
    return out


def hidden_forms(model: ReleaseModel, i: int) -> list[Form]:
    """What a suppressed cell hides: the attacker must be left an interval of width w for each
    (a set that is empty by definition hides nothing)."""
    return [f for f in _hidden_forms(model, i) if f.index]


def _hidden_forms(model: ReleaseModel, i: int) -> list[Form]:
    spec = model.cells[i].spec
    label = f"{spec.table} {spec.dims} {spec.statistic}"
    if spec.table.startswith("survival_"):
        return []  # a withheld survival table hides no count: its sets are sized elsewhere or not at all
    if spec.kind in {"count", "pool"}:
        return [_form(model.mask(spec.num), "hidden", label)]
    if spec.kind == "share":
        out = []
        if spec.num is not None:
            num, den = model.mask(spec.num), model.mask(spec.den)
            a, b = _form(num, "hidden", label), _form(den & ~num, "hidden", label + " complement")
            out += [replace(a, sibling=(b.index, b.coef)), replace(b, sibling=(a.index, a.coef))]
        if spec.table.startswith("series_"):
            out.append(_form(model.mask(spec.den), "hidden", label + " n"))
        return out
    return []


def audit_rows(
    model: ReleaseModel,
    rows: Sequence[Row],
    forms: Sequence[Form],
    profile: Profile,
    certificate: Certificate | None = None,
    used: dict[str, int] | None = None,
) -> list[tuple[Form, float, float]]:
    """The independent audit: every form's interval solved anew by ``audit_bounds`` (evidence in a
    ``certificate`` is verified against these rows and saves LPs); the violations."""
    width = profile.protection_width
    known = lifted_bounds(model, set_bounds(rows))
    zeros = profile.suppress_zeros
    bounds = audit_bounds(
        model.n_vars, rows, forms, width=width, threshold=profile.threshold, known=known,
        certificate=certificate, used=used, zeros=zeros,
    )  # fmt: skip
    bad = verdicts(forms, bounds, width, profile.threshold, zeros)
    return [(f, lo, hi) for f, (lo, hi), b in zip(forms, bounds, bad, strict=True) if b]


@dataclass
class Protection:
    """The protection's outcome: LP size, solver effort and the final rows and forms."""

    rows: list[Row]
    forms: list[Form]
    n_vars: int
    solves: int
    secondary: int
    certificate: Certificate | None = None


def _fate_groups(model: ReleaseModel) -> dict[str, list[int]]:
    """Cells hidden together: a fate group (a table row's n and means), and every count of the
    same set. Two counts of one set are one number: hiding one while the other stays published
    hides nothing and leaves the hidden cell pinned, which then drags in the rows around it (a
    demo once lost its headline group that way). A group costs its most important row's tier.
    A survival table's rows hide no count (``hidden_forms``) and are not joined."""
    cells = model.cells
    groups: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(cell.spec.fate, []).append(i)
    parent = {fate: fate for fate in groups}

    def find(fate: str) -> str:
        while parent[fate] != fate:
            parent[fate] = parent[parent[fate]]
            fate = parent[fate]
        return fate

    first_of: dict[tuple[int, ...], str] = {}
    for cell in cells:
        spec = cell.spec
        if spec.kind != "count" or spec.num is None or spec.table.startswith("survival_"):
            continue
        key = tuple(np.flatnonzero(model.mask(spec.num)).tolist())
        if key:
            other = first_of.setdefault(key, spec.fate)
            parent[find(spec.fate)] = find(other)
    merged: dict[str, list[int]] = {}
    for fate, members in groups.items():
        merged.setdefault(find(fate), []).extend(members)
    return merged


def protect_release(
    model: ReleaseModel, published: list[dict[str, Any]], profile: Profile
) -> Protection:
    """Choose secondary suppressions for the whole release (cells' ``reason`` is set in place).

    ``published``: per cell what would be published (value, n, rounding, pool). Primary reasons
    must already be set. A cell is hidden together with its fate group."""
    cells = model.cells
    fates = _fate_groups(model)
    for members in fates.values():
        if any(cells[i].suppressed for i in members):
            for i in members:
                cells[i].reason = cells[i].reason or "fate"
    rows = _coupling(model) + _sum_rows(model)
    for i in range(len(cells)):
        rows += cell_rows(model, i, published[i])
    program = Program(model.n_vars, rows)
    unit_rows = [r for r in rows if r.cell >= 0 and all(c == 1.0 for c in r.coef)]  # set_bounds'
    program.drop(i for i, c in enumerate(cells) if c.suppressed)
    program.explore(2)  # random vertices: 2 x 2 LPs; more cost more than the LPs they save (demo)
    width, t = profile.protection_width, profile.threshold
    zeros = profile.suppress_zeros
    sensitive = sensitive_forms(model)
    queue: list[tuple[Form, int | None]] = [(f, None) for f in sensitive]
    for i, cell in enumerate(cells):
        if cell.suppressed:
            queue += [(f, i) for f in hidden_forms(model, i)]
    secondary = 0
    # Per suppressed cell, its hidden forms' intervals (by form), as last found.
    final: dict[int, dict[SafeKey, tuple[float, float]]] = {}
    known_for: set[int] | None = None
    known: dict[tuple[int, ...], tuple[float, float]] = {}
    passes = Passes(program, width, zeros)

    tier = {i: max(cells[j].spec.tier for j in group) for group in fates.values() for i in group}
    fate_of = {i: key for key, group in fates.items() for i in group}

    def cost(c: int) -> tuple[int, float, int]:
        cell = cells[c]
        return (tier[c], cell.n if cell.n is not None else 0.0, c)

    # Hiding a cell only widens intervals, but a set proved to hold at least t records may then
    # admit 1..t-1: passes repeat over the forms not safe for good until one adds no suppression.
    while True:
        added = 0
        pending = [f for f in sensitive if not passes.done(f)]
        wide = program.settle(pending, width, zeros)
        for k in wide:
            passes.found(pending[k], 0.0, math.inf)  # settled: may be empty, or wide
        queue = [(f, o) for f, o in queue if not passes.done(f)]
        while queue:
            form, owner = queue.pop()
            if passes.done(form):
                continue
            if known_for != program.dropped:
                known = lifted_bounds(model, set_bounds(unit_rows, program.dropped))
                known_for = set(program.dropped)
            if prejudge(form, known, width, t, zeros) is False:
                continue
            low, high = program.hull(form)
            if high - low >= width + 1e-7:
                passes.found(form, low, high)
                if owner is not None:
                    final.setdefault(owner, {})[_safe_key(form)] = (low, high)
                continue
            bad, low, high, binding = program.check(form, width, t, zeros)
            while bad:
                candidates = [c for c in binding if c not in program.dropped]
                if not candidates:
                    raise DisclosureError(
                        f"{form.label} cannot be protected: the published structure alone pins it; "
                        "publish fewer breakdowns or pool categories"
                    )
                chosen = min(_models_first(form, candidates, cells), key=cost)
                hide = fates[fate_of[chosen]]
                for j in hide:
                    if not cells[j].suppressed:
                        cells[j].reason = "secondary" if j == chosen else "fate"
                        secondary += 1
                        added += 1
                        queue += [(f, j) for f in hidden_forms(model, j)]
                program.drop(hide)
                bad, low, high, binding = program.check(form, width, t, zeros)
            passes.found(form, low, high)
            if owner is not None:
                final.setdefault(owner, {})[_safe_key(form)] = (low, high)
        if not added:
            break
        queue = [(f, None) for f in sensitive]
        queue += [
            (f, i) for i, c in enumerate(cells) if c.suppressed for f in hidden_forms(model, i)
        ]
    secondary -= _restore_models(model, program, rows, fates, sensitive, profile)
    for i, found in final.items():
        if not cells[i].suppressed:
            continue  # published again (_restore_models)
        lows, highs = zip(*found.values(), strict=True)
        cells[i].interval = (min(lows), min(highs))
    live = [r for r in rows if r.cell not in program.dropped]
    forms = sensitive + [
        f for i, c in enumerate(cells) if c.suppressed for f in hidden_forms(model, i)
    ]
    certificate = program.certificate(forms)
    certificate.labels = variable_labels(model)
    certificate.rows = row_keys(certificate.labels, live)
    return Protection(live, forms, model.n_vars, program.solves, secondary, certificate)


def _restore_models(
    model: ReleaseModel,
    program: Program,
    rows: Sequence[Row],
    fates: dict[str, list[int]],
    sensitive: Sequence[Form],
    profile: Profile,
) -> int:
    """Publish again the models the passes withheld where the release is safe without hiding
    them; returns the cells published again. Cells are hidden greedily, one violation at a time,
    so a model hidden early may be needed no longer once later cells are hidden too (a release
    whose survival table was hidden late lost both models where one had done). Each withheld
    model is tried back with the audit's own criterion (``audit_bounds``: every sensitive form
    and every hidden cell's forms over the rows then live), one model at a time."""
    cells = model.cells
    width, t, zeros = profile.protection_width, profile.threshold, profile.suppress_zeros
    back = 0
    for group in fates.values():
        if not any(cells[j].spec.table.startswith("model_") for j in group):
            continue
        if not all(cells[j].reason in ("secondary", "fate") for j in group):
            continue  # a primary rule holds it back
        kept = set(group)
        live = [r for r in rows if r.cell not in program.dropped - kept]
        forms = [*sensitive]
        for i, cell in enumerate(cells):
            if cell.suppressed and i not in kept:
                forms += hidden_forms(model, i)
        # The passes' feasible points as evidence: the audit keeps those that satisfy these rows.
        points = Certificate(program.feasible_points(), {})
        known = lifted_bounds(model, set_bounds(live))
        try:
            bounds = audit_bounds(model.n_vars, live, forms, width=width, threshold=t,
                                  known=known, certificate=points, zeros=zeros)  # fmt: skip
        except Infeasible:
            continue
        if any(verdicts(forms, bounds, width, t, zeros)):
            continue
        program.restore(group)
        for j in group:
            cells[j].reason = None
            cells[j].interval = None
        back += len(group)
    return back


SafeKey = tuple[str, tuple[int, ...], tuple[float, ...], object]


def _safe_key(form: Form) -> SafeKey:
    return (form.kind, form.index, form.coef, form.sibling)


class Passes:
    """What protection's passes remember of the forms they found not violated.

    Suppressing more only widens every interval: a set that may be empty, or whose interval is
    the protection width wide, stays so (safe for good). A form safe because it was proved to
    hold at least t records, or a suppressed share's side excused by that beside a wide sibling,
    stays safe while the proof holds (``Program.proved``). Forms are remembered by their rule
    and, for a share's side, its sibling: a count of the same set has no sibling to excuse it
    and needs the width (remembered alike, the count of one breakdown value's linked records,
    pinned by two published counts, once passed as its share's excused side)."""

    def __init__(self, program: Program, width: float, zeros: bool) -> None:
        self.program, self.width, self.zeros = program, width, zeros
        self.safe: set[SafeKey] = set()
        self.by_proof: set[SafeKey] = set()

    def found(self, form: Form, low: float, high: float) -> None:
        """``form`` was found not violated with interval [low, high]."""
        wide = high - low >= self.width - 1e-7
        empty = form.kind == "small" and bool(may_be_empty(low, high, self.zeros))
        (self.safe if wide or empty else self.by_proof).add(_safe_key(form))

    def done(self, form: Form) -> bool:
        """Whether ``form`` is known not violated under the current rows."""
        key = _safe_key(form)
        return key in self.safe or (key in self.by_proof and self.program.proved(form))


def _models_first(form: Form, candidates: list[int], cells: list[Cell]) -> list[int]:
    """Where a quantity is about models' sets alone (two models' persons per level differenced),
    the cells of those models: hiding a table's cell does not part them (round 30's check hid
    snapshot cells one by one, then both models, where withholding one model was enough)."""
    tables = {side.split(" ", 1)[0] for side in form.label.split(" minus ")}
    if not all(t.startswith("model_") for t in tables):
        return candidates
    return [c for c in candidates if cells[c].spec.table in tables] or candidates


def true_counts(model: ReleaseModel, frame: pl.DataFrame) -> np.ndarray:
    """Records per atom; every record must fall in exactly one atom of every factor."""
    atoms = model.atoms
    keys = [*model.domains.shared, "ls"]
    counts = np.zeros(atoms.height)
    factors = {"N": (), "cohort": COHORT, "snap": SNAP if model.domains.snapshot else (),
               "series": SERIES if model.domains.months else (),
               "enrol": ENROL if model.domains.enrolment else (),
               "late": LATE,
               "cov": (*COV, *model.domains.cov_columns) if model.domains.covariates else ()}  # fmt: skip
    for factor, comps in factors.items():
        part = atoms.filter(pl.col("factor") == factor)
        if part.height == 0:
            continue
        on = [*keys, *comps]
        joined = frame.group_by(on).len().join(part.select(*on, "var"), on=on, how="left")
        lost = joined.filter(pl.col("var").is_null())
        if lost.height:
            raise DisclosureError(
                f"internal: {int(lost['len'].sum())} record(s) fall outside the release model's "
                f"{factor} atoms (first: {lost.row(0, named=True)})"
            )
        counts[joined["var"].to_numpy()] += joined["len"].to_numpy()
    return counts
