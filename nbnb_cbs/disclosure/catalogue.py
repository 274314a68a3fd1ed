"""The catalogue of table kinds: what every exported number is about, as a set of atoms.

One model of a release serves the protection (which knows the records) and the steward's check
(which reads only the export): the *universe* of atoms and the *definition* of every table row are
functions of the published dimension values alone, so both build the same linear program.

Records are described by shared dimensions (each breakdown, and ``ls``: not linked / linked and
not in work at the end month / linked and in work at the end month) and by factors, each a
partition of the records of one shared cell:

- ``cohort``: the durability groups of each anchor (``x`` exit, ``f`` first job: none, ew = exited
  to work only, w1 = worked at least one unit, o12 = and observed at least a year), their
  durability class (``dx``, ``df``: <0.9, [0.9, 1), 1), the distribution bin, and the education
  groups (``e``), class (``de``) and enrolment at the end (``ee``);
- ``snap``: the largest job's categories at the end month for those in work then;
- ``series``: the month of entry (or ``later``: after the end month or unknown);
- ``enrol`` (with the education_enrolment table): every linked record's exit destination and
  enrolment at the end;
- ``late`` (with both anchors): whether a record of the exit anchor's w1 / o12 group (``lx``)
  started its first job later than the month after its exit (``lt``: its exit window is longer
  than its first job's). Tied to the cohort by totals and by the months of the two windows (see
  release._month_rows), not crossed with its states.

Tables never cross factors, so an atom is (shared cell, factor, state) and the factors of one
shared cell hold the same records (``N`` variables couple them). The structural rules (the first
job anchor's groups nest in the exit anchor's, durability from the first job is at least that from
the exit, the two cohorts are disjoint, temp-agency jobs are flexible ...) are part of the model:
they are definitions an attacker knows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from nbnb_cbs.schemas import EXIT_DESTINATIONS

__all__ = [
    "ANCHOR_COLUMN",
    "BIN_CLASSES",
    "COV",
    "EDUCATION_GROUPS",
    "ENROL",
    "GROUPS",
    "KINDS",
    "LATE",
    "LEVEL_STATISTICS",
    "OTHER_LEVEL",
    "SNAPSHOT_CATEGORIES",
    "Domains",
    "ModelLevel",
    "RowSpec",
    "TableKind",
    "bin_bounds",
    "destination_classes",
    "release_destinations",
    "table_rows",
    "universe",
]

TOTAL = "Total"
GROUPS = ("exit_work", "worked_1m", "observed_12m")
# The education table's groups: the same states of the education cohort under their own names.
EDUCATION_GROUPS = ("exit_education", "enrolled_1m", "observed_12m")
ANCHOR_COLUMN = {"exit": "x", "first-job": "f"}
_GROUP_STATES = {
    "exit_work": ("ew", "w1", "o12"),
    "worked_1m": ("w1", "o12"),
    "observed_12m": ("o12",),
    "exit_education": ("ew", "w1", "o12"),
    "enrolled_1m": ("w1", "o12"),
}
_CLASSES = ("lt90", "ge90", "one")
_RANK = {"none": -1, "lt90": 0, "ge90": 1, "one": 2}
BIN_CLASSES = {"lt90": (0.0, 0.9), "ge90": (0.9, 1.0)}  # half-open; "one" is exactly 1
# The durability an atom's records can have, by class (records that never worked have exactly 0).
CLASS_RANGE = {"none": (0.0, 0.0), "lt90": (0.0, 0.9), "ge90": (0.9, 1.0), "one": (1.0, 1.0)}
SNAPSHOT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "jobs": ("1", "2+"),
    "hours_type": ("full_time", "part_time", "unknown"),
    "employment_type": ("temp_agency", "employment_contract", "other", "unknown"),
    "relation": ("flexible", "permanent", "unknown"),
}
COHORT = ("x", "f", "dx", "df", "bin", "e", "de", "ee", "dest")
SNAP = tuple(SNAPSHOT_CATEGORIES)
SERIES = ("entry",)
ENROL = ("ed", "en")  # every linked record's exit destination and enrolment at the end
LATE = ("lx", "lt")  # the exit anchor's w1 / o12 group, and a first job after the month after exit
# The models' factor: every linked record's exit destination class, its enrolment at the end (with
# the enrol factor) and its level of each categorical covariate (Domains.cov_columns).
COV = ("cd", "ce")
OTHER_LEVEL = "(other)"  # a covariate's values no published model's sample holds
TableKind = Literal[
    "linkage_yield",
    "durability",
    "durability_distribution",
    "education",
    "education_enrolment",
    "survival",
    "series_share_working",
    "series_inflow",
    "snapshot_working",
    "snapshot_category",
    "snapshot_amounts",
    "model_fit",
]
CellKind = Literal["count", "share", "mean", "magnitude", "pool"]
# Every table kind the tool exports; the steward's check knows them from here, not from the log.
KINDS: tuple[str, ...] = (
    "linkage_yield", "durability", "durability_distribution", "education", "education_enrolment",
    "series_share_working", "series_inflow", "survival", "snapshot_working", "snapshot_category",
    "snapshot_amounts", "model_fit",
)  # fmt: skip


@dataclass(frozen=True)
class Domains:
    """Everything the universe depends on; all of it is visible in the export."""

    breakdowns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    anchors: tuple[str, ...] = ("exit", "first-job")
    bins: tuple[str, ...] = ()
    months: tuple[str, ...] = ()
    education: bool = False
    snapshot: bool = True
    net_wage: bool = False  # the snapshot's amounts include a net wage (the jobs file has one)
    # Classes of exit destinations the models' samples tell apart ("dropout+other+work", ...);
    # empty: no model is published and the cohort has no destination dimension.
    destinations: tuple[str, ...] = ()
    # The education_enrolment table is published: every linked record's enrolment at the end
    # (``ee``) is a dimension (else only the education cohort's), and every exit destination is
    # a class of its own (see release_destinations).
    enrolment: bool = False
    unit: str = "month"  # the durability unit (the work groups' observable months or days)
    # The published models' categorical covariates, each with its finest levels (the values the
    # models' levels are made of, merged levels split) and the exit destinations of the models
    # that have it: the cov factor's cells. A record of those destinations holds one of the
    # levels; any other linked record holds OTHER_LEVEL (no model counts it).
    covariates: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()

    @property
    def shared(self) -> list[str]:
        return [f"b{i}" for i in range(len(self.breakdowns))]

    @property
    def cov_columns(self) -> list[str]:
        return [f"c{i}" for i in range(len(self.covariates))]


def destination_classes(samples: Sequence[Sequence[str]], every: Sequence[str]) -> tuple[str, ...]:
    """The partition of the exit destinations ``every`` that the samples ``samples`` (each the
    destinations one model keeps) tell apart: destinations kept by the same models form a class
    (labels are the sorted members joined by "+"). No samples: no classes."""
    if not samples:
        return ()
    groups: dict[tuple[bool, ...], list[str]] = {}
    for d in every:
        groups.setdefault(tuple(d in s for s in samples), []).append(d)
    return tuple(sorted("+".join(sorted(g)) for g in groups.values()))


def release_destinations(
    samples: Sequence[Sequence[str]], every: Sequence[str], enrolment: bool
) -> tuple[str, ...]:
    """The destination classes of a release: those the models tell apart, and with the
    education_enrolment table (which publishes every destination) each destination its own."""
    return destination_classes([*samples, *([d] for d in every if enrolment)], every)


def _dest_has(label: str, destination: str) -> bool:
    return destination in label.split("+")


def bin_bounds(label: str) -> tuple[float, float, bool]:
    """'[0.8, 0.9)' -> (0.8, 0.9, False); '[0.9, 1.0]' -> (0.9, 1.0, True); '1.0' -> (1, 1, True)."""
    if not label.startswith("["):
        value = float(label)
        return value, value, True
    lo, hi = label[1:-1].split(",")
    return float(lo), float(hi), label.endswith("]")


def _bin_fits(label: str, klass: str) -> bool:
    lo, hi, closed = bin_bounds(label)
    if klass == "one":
        return hi >= 1.0 and closed
    a, b = BIN_CLASSES[klass]
    return lo < b and hi > a


def _cohort_states(domains: Domains) -> pl.DataFrame:
    """The cohort factor's states, in the order of the product of their dimensions (x, f, dx,
    df, b, e, de, ee, dest): the rules below, each tested as soon as the dimensions it reads are
    chosen (the product holds about a million combinations with a model's destinations and
    education; testing every rule on every one took 0.8 s of each release model)."""
    has_x = "exit" in domains.anchors
    has_f = "first-job" in domains.anchors
    both = has_x and has_f
    xs = ("none", "ew", "w1", "o12") if has_x else ("none",)
    fs = ("none", "w1", "o12") if has_f else ("none",)
    classes = ("none", *_CLASSES)
    bins = ("none", *domains.bins)
    es = ("none", "coh", "ew", "w1", "o12") if domains.education else ("none",)
    ees = ("none", "no", "yes") if domains.education else ("none",)
    first = domains.anchors[0] if domains.anchors else None
    dests = domains.destinations or ("none",)
    # Leavers to work (either anchor's groups) and to education (its cohort) by definition.
    to_work = tuple(d for d in dests if not domains.destinations or _dest_has(d, "work"))
    to_education = tuple(d for d in dests if not domains.destinations or _dest_has(d, "education"))
    states = []
    for x, f in itertools.product(xs, fs):
        # Worked 1+ months after the exit exactly when the first job is known; 12 months
        # observed from the first job only when they are from the exit.
        if both and ((f != "none") != (x in ("w1", "o12")) or (f == "o12" and x != "o12")):
            continue
        for dx in classes:
            if (x == "none") != (dx == "none") or (x == "ew" and dx != "lt90"):
                continue
            for df in classes:
                if (f == "none") != (df == "none"):
                    continue
                if both:
                    if f != "none" and _RANK[df] < _RANK[dx]:
                        continue
                    # Worked every month after the exit: the first job starts the month after
                    # it, so both windows are one (same group, durability 1 from the first job).
                    if dx == "one" and (f != x or df != "one"):
                        continue
                anchor_state, anchor_class = (x, dx) if first == "exit" else (f, df)
                binned = anchor_state in ("w1", "o12") and bool(domains.bins)
                for b in bins:
                    if (b != "none") != binned or (b != "none" and not _bin_fits(b, anchor_class)):
                        continue
                    for e in es:
                        if e != "none" and (x != "none" or f != "none"):
                            continue
                        for de in classes:
                            if (e in ("none", "coh")) != (de == "none") or (
                                e == "ew" and de != "lt90"
                            ):
                                continue
                            for ee in ees:
                                # Enrolment at the end of the education cohort.
                                if (e == "none") != (ee == "none"):
                                    continue
                                if (e == "ew" and ee == "yes") or (de == "one" and ee != "yes"):
                                    continue
                                kept = dests
                                if domains.destinations and (x != "none" or f != "none"):
                                    kept = tuple(d for d in kept if d in to_work)
                                if domains.destinations and e != "none":
                                    kept = tuple(d for d in kept if d in to_education)
                                for dest in kept:
                                    # With every destination a class of its own, leavers to
                                    # education are that cohort.
                                    if dest == "education" and e == "none" and domains.education:
                                        continue
                                    states.append((x, f, dx, df, b, e, de, ee, dest))
    return pl.DataFrame(states, schema=list(COHORT), orient="row")


def _snap_states() -> pl.DataFrame:
    rows = [
        combo
        for combo in itertools.product(*SNAPSHOT_CATEGORIES.values())
        if not (combo[2] == "temp_agency" and combo[3] != "flexible")
    ]
    return pl.DataFrame(rows, schema=list(SNAP), orient="row")


def universe(domains: Domains) -> pl.DataFrame:
    """One row per atom: ``factor``, shared cell (b0.., ls) and the factor's state; row i is
    variable i of the release's linear program."""
    shared_values = [values for _, values in domains.breakdowns] + [("u", "n", "w")]
    shared = pl.DataFrame(
        list(itertools.product(*shared_values)), schema=[*domains.shared, "ls"], orient="row"
    )
    empty = {c: pl.lit("none") for c in (*COHORT, *SNAP, *SERIES, *ENROL, *LATE)}
    parts = [shared.with_columns(factor=pl.lit("N"), **empty)]
    states = _cohort_states(domains)
    if domains.destinations:  # unlinked records: no destination class (models hold linked ones)
        states = pl.concat([
            states,
            states.filter(pl.col("x") == "none", pl.col("f") == "none", pl.col("e") == "none")
            .with_columns(dest=pl.lit("none"), ee=pl.lit("none")).unique(maintain_order=True),
        ])  # fmt: skip
    cohort = shared.join(states, how="cross").filter(
        ((pl.col("ls") != "u") & ((pl.col("dest") != "none") | pl.lit(not domains.destinations)))
        | (  # records that are not linked belong to no cohort (round 8 found linked ones here:
            # linked records without a destination, so a model's N did not pin the linked total)
            (pl.col("ls") == "u")
            & (pl.col("x") == "none") & (pl.col("f") == "none") & (pl.col("e") == "none")
            & (pl.col("dest") == "none") & (pl.col("ee") == "none")
        )
    )  # fmt: skip
    parts.append(
        cohort.with_columns(
            factor=pl.lit("cohort"), **{c: pl.lit("none") for c in (*SNAP, *SERIES, *ENROL, *LATE)}
        )
    )
    if domains.snapshot:
        snap = shared.filter(pl.col("ls") == "w").join(_snap_states(), how="cross")
        none = shared.filter(pl.col("ls") != "w").with_columns(**{c: pl.lit("none") for c in SNAP})
        parts.append(
            pl.concat([snap, none], how="diagonal").with_columns(
                factor=pl.lit("snap"),
                **{c: pl.lit("none") for c in (*COHORT, *SERIES, *ENROL, *LATE)},
            )
        )
    if domains.months:
        entries = pl.DataFrame({"entry": [*domains.months, "later"]})
        linked = shared.filter(pl.col("ls") != "u").join(entries, how="cross")
        none = shared.filter(pl.col("ls") == "u").with_columns(entry=pl.lit("none"))
        parts.append(
            pl.concat([linked, none], how="diagonal").with_columns(
                factor=pl.lit("series"),
                **{c: pl.lit("none") for c in (*COHORT, *SNAP, *ENROL, *LATE)},
            )
        )
    if domains.enrolment:
        # Every linked record's exit destination and enrolment at the end: a factor of its own
        # (crossed with the cohort's groups it would double their atoms, and no table relates
        # them); linked to the cohort by its destination counts (see release._coupling).
        states = pl.DataFrame(
            list(itertools.product(EXIT_DESTINATIONS, ("no", "yes"))),
            schema=list(ENROL),
            orient="row",
        )
        linked = shared.filter(pl.col("ls") != "u").join(states, how="cross")
        none = shared.filter(pl.col("ls") == "u").with_columns(ed=pl.lit("none"), en=pl.lit("none"))
        parts.append(
            pl.concat([linked, none], how="diagonal").with_columns(
                factor=pl.lit("enrol"),
                **{c: pl.lit("none") for c in (*COHORT, *SNAP, *SERIES, *LATE)},
            )
        )
    if {"exit", "first-job"} <= set(domains.anchors):
        # Late first jobs (round 10 read 1..6 late starters from the two anchors' time-weighted
        # means of one group): a factor of its own, as the enrol factor (crossed with the cohort's
        # states it made 1,244 atoms of the demo's 900 and doubled its protection time).
        late = [("w1", "no"), ("w1", "yes"), ("o12", "no"), ("o12", "yes"), ("none", "none")]
        states = pl.DataFrame(late, schema=list(LATE), orient="row")
        linked = shared.filter(pl.col("ls") != "u").join(states, how="cross")
        none = shared.filter(pl.col("ls") == "u").with_columns(lx=pl.lit("none"), lt=pl.lit("none"))
        parts.append(
            pl.concat([linked, none], how="diagonal").with_columns(
                factor=pl.lit("late"),
                **{c: pl.lit("none") for c in (*COHORT, *SNAP, *SERIES, *ENROL)},
            )
        )
    cov_columns = domains.cov_columns
    if domains.covariates:
        # A model's estimates give its persons per level (and per interaction cell) with and
        # without the outcome (a saturated logit's B and SE exactly): two models whose samples
        # differ by a destination class differed by 3 women in work (red team 30's check). The
        # cov factor counts the linked records by destination class, enrolment at the end and
        # covariate cells; tied to the cohort's (and enrol factor's) counts (release._cov_links).
        cells = []
        for d in domains.destinations or ("none",):
            # Only states a record can be in: a structural zero pinned is no finding to act on.
            allowed = [
                levels if set(d.split("+")) <= set(kept) else (OTHER_LEVEL,)
                for _, levels, kept in domains.covariates
            ]
            cells += [(d, *combo) for combo in itertools.product(*allowed)]
        states = pl.DataFrame(cells, schema=["cd", *cov_columns], orient="row").join(
            pl.DataFrame({"ce": ["no", "yes"] if domains.enrolment else ["none"]}), how="cross"
        )
        linked = shared.filter(pl.col("ls") != "u").join(states, how="cross")
        none = shared.filter(pl.col("ls") == "u").with_columns(
            **{c: pl.lit("none") for c in (*COV, *cov_columns)}
        )
        parts.append(
            pl.concat([linked, none], how="diagonal").with_columns(
                factor=pl.lit("cov"),
                **{c: pl.lit("none") for c in (*COHORT, *SNAP, *SERIES, *ENROL, *LATE)},
            )
        )
    columns = ["factor", *domains.shared, "ls", *COHORT, *SNAP, *SERIES, *ENROL, *LATE]
    if cov_columns:
        columns += [*COV, *cov_columns]
    return pl.concat(
        [
            p.with_columns(
                **{
                    c: pl.lit("none")
                    for c in (*COV, *cov_columns)
                    if c in columns and c not in p.columns
                }
            ).select(columns)
            for p in parts
        ]
    ).with_row_index("var")


@dataclass(frozen=True)
class RowSpec:
    """What one published row is about: its dimensions, statistic, kind and sets.

    ``num`` is the counted set (count cells) or the numerator (shares); ``den`` the units behind
    the row (its ``n``). ``fate``: rows of one fate group are suppressed together. ``tier``: the
    order in which secondary suppression hides cells (low first)."""

    table: str
    dims: dict[str, str]
    statistic: str
    kind: CellKind
    num: pl.Expr | None
    den: pl.Expr | None
    fate: str
    tier: int
    pool: tuple[str, ...] = field(default=())
    rounding: int = 0
    precision: float | None = None  # shares: published to this many units (0.01 = whole percent)
    prefix: str = ""  # means: the release frame's value columns (dur_<prefix>, wk_, ob_)


Pred = Callable[[], pl.Expr]


# snapshot_amounts' categories tied by hourly_wage = total base_wage / total hours (one n).
WAGE_PER_HOUR = ("hours", "base_wage", "hourly_wage")


def _in(column: str, values: Sequence[str]) -> pl.Expr:
    return pl.col(column).is_in(list(values))


def _breakdown(domains: Domains, j: int | None, value: str) -> pl.Expr:
    if j is None or value == TOTAL:
        return pl.lit(True)
    return pl.col(f"b{j}") == value


def _cohort(expr: pl.Expr) -> pl.Expr:
    return (pl.col("factor") == "cohort") & expr


def _n(expr: pl.Expr) -> pl.Expr:
    return (pl.col("factor") == "N") & expr


def _values(domains: Domains, j: int | None) -> list[str]:
    return [TOTAL] if j is None else [TOTAL, *domains.breakdowns[j][1]]


def _dim(domains: Domains, j: int | None) -> str:
    return "breakdown" if j is None else domains.breakdowns[j][0]


_TIER = {"worked_1m": 4, "exit_work": 3, "enrolled_1m": 4, "exit_education": 3}


def _outcome_set(
    outcome: str, domains: Domains, linked: pl.Expr, kept: Sequence[str]
) -> pl.Expr | None:
    """A model's records with its outcome, as a set of the release model: in work at the end
    month is the shared "in work" status; enrolment at the end is the enrol factor's (there with
    every destination a class of its own). None: not a set the release model has."""
    work = pl.col("ls") == "w"
    if outcome == "in_work_at_end":
        return _cohort(linked & _in("dest", kept) & work)
    if not domains.enrolment or outcome not in ("enrolled_at_end", "work_or_education_at_end"):
        return None
    enrolled = pl.col("en") == "yes"
    either = enrolled if outcome == "enrolled_at_end" else (enrolled | work)
    return (pl.col("factor") == "enrol") & linked & _in("ed", kept) & either


# A model's level or cell: its label ("sex: woman", "sex: woman x age_group: <25"), per covariate
# the finest levels (Domains.covariates) it holds, and whether its persons with the outcome are
# given away too (a level or interaction cell with its own term; a main-effects model's cross-
# table gives its cells' persons only).
ModelLevel = tuple[str, Mapping[str, Sequence[str]], bool]
LEVEL_STATISTICS = ("level_n", "level_outcome")  # a model's rows per level (no file writes them)


def _cov_outcome(outcome: str, domains: Domains) -> pl.Expr | None:
    """A model's outcome as a state of the cov factor's records (None: it has no such state)."""
    if outcome == "in_work_at_end":
        return pl.col("ls") == "w"
    if not domains.enrolment or outcome not in ("enrolled_at_end", "work_or_education_at_end"):
        return None
    enrolled = pl.col("ce") == "yes"
    return enrolled if outcome == "enrolled_at_end" else (enrolled | (pl.col("ls") == "w"))


def table_rows(
    kind: TableKind, table: str, domains: Domains, *, j: int | None = None, anchor: str = "exit",
    rounding: int = 0, sample: Sequence[str] = (), outcome: str = "",
    levels: Sequence[ModelLevel] = (),
) -> list[RowSpec]:  # fmt: skip
    """The rows a table of ``kind`` publishes, each with the sets it is about (``sample``: the
    exit destinations a model keeps; ``levels``: its levels and interaction cells, each a label
    and per covariate the finest levels it holds)."""
    rows: list[RowSpec] = []
    dim = _dim(domains, j)
    linked = _in("ls", ("n", "w"))
    if kind == "model_fit":
        # A model's N: the linked records whose exit destination the model keeps (no other
        # restriction exists: a missing covariate is a level, never a dropped record).
        kept = [c for c in domains.destinations if set(c.split("+")) <= set(sample)]
        members = _cohort(linked & _in("dest", kept))
        # A model the researcher configured is hidden last (a hidden N withholds the model).
        rows.append(RowSpec(table, {}, "N", "count", members, members, f"{table}|N", 4))
        # Its records with the outcome (the estimates give that count away, round 8: a sex-only
        # model's cross-table summed to the snapshot's hidden count in work).
        ones = _outcome_set(outcome, domains, linked, kept)
        if ones is not None:
            rows.append(RowSpec(table, {}, "N_outcome", "count", ones, ones, f"{table}|N", 4))
        # Its records per level (and interaction cell), with the outcome too: what B and SE give.
        index = {name: i for i, (name, _, _) in enumerate(domains.covariates)}
        in_sample = (pl.col("factor") == "cov") & linked & _in("cd", kept)
        with_outcome = _cov_outcome(outcome, domains)
        for label, parts, outcome_too in levels:
            cell = in_sample
            for covariate, values in parts.items():
                cell = cell & _in(f"c{index[covariate]}", list(values))
            dims = {"level": label}
            # Tier 5: hidden after every table's cells (a hidden level withholds the model, and
            # an LP's binding rows may name a level's row where a table's cell would do).
            rows.append(RowSpec(table, dims, "level_n", "count", cell, cell, f"{table}|N", 5))
            if with_outcome is not None and outcome_too:
                ones = cell & with_outcome
                rows.append(
                    RowSpec(table, dims, "level_outcome", "count", ones, ones, f"{table}|N", 5)
                )
    if kind == "linkage_yield":
        for v in _values(domains, j):
            b = _breakdown(domains, j, v)
            tier = 3 if v == TOTAL else 2
            rec, lin = _n(b), _n(b & linked)
            rows += [
                RowSpec(table, {dim: v}, "records", "count", rec, rec, f"{table}|{v}|records", tier, rounding=rounding),
                RowSpec(table, {dim: v}, "linked", "count", lin, lin, f"{table}|{v}|linked", tier, rounding=rounding),
                RowSpec(table, {dim: v}, "share_linked", "share", lin, rec, f"{table}|{v}|share", 0, precision=0.01),
            ]  # fmt: skip
    elif kind in ("durability", "education"):
        column = "e" if kind == "education" else ANCHOR_COLUMN[anchor]
        klass = {"x": "dx", "f": "df", "e": "de"}[column]
        for group in EDUCATION_GROUPS if kind == "education" else GROUPS:
            for v in _values(domains, j):
                members = _cohort(_in(column, _GROUP_STATES[group]) & _breakdown(domains, j, v))
                fate = f"{table}|{group}|{v}"
                # The study's headline group (worked_1m, enrolled_1m) is hidden last.
                tier = _TIER.get(group, 2) if v == TOTAL else 2
                dims = {"group": group, dim: v}
                rows += [
                    RowSpec(table, dims, "n", "count", members, members, fate, tier, rounding=rounding),
                    RowSpec(table, dims, "mean", "mean", None, members, fate, tier, prefix=column),
                    RowSpec(table, dims, "weighted_mean", "mean", None, members, fate, tier, prefix=column),
                    RowSpec(table, dims, "share_100", "share", members & (pl.col(klass) == "one"),
                            members, f"{fate}|100", 0, precision=0.01),
                    RowSpec(table, dims, "share_ge_90", "share", members & _in(klass, ("ge90", "one")),
                            members, f"{fate}|90", 0, precision=0.01),
                ]  # fmt: skip
        if kind == "education":
            cohort = _cohort(pl.col("e") != "none")
            dims = {"group": "education_cohort", dim: TOTAL}
            rows.append(
                RowSpec(table, dims, "share_enrolled_at_end", "share", cohort & (pl.col("ee") == "yes"),
                        cohort, f"{table}|cohort", 0, precision=0.01)
            )  # fmt: skip
    elif kind == "survival":
        # A published survival table (month unit, exit anchor) repeats the sizes of sets the
        # release describes: the first step's at-risk count is its population, its events add up
        # to a group, and those censored at E are a group too (export/survival.py); rows hidden
        # first, and together (one hidden withholds the table).
        worked = _in("x", ("w1", "o12"))
        if table == "survival_to_first_job":  # a first worked month by E: worked_1m
            sets = {"at_risk": _cohort(pl.col("x") != "none"), "events": _cohort(worked)}
        else:  # the first spell is censored at E iff durability from the first job is 1
            sets = {
                "at_risk": _cohort(worked),
                "events": _cohort(worked & _in("df", ("lt90", "ge90"))),
                "censored_from": _cohort(worked & (pl.col("df") == "one") & (pl.col("f") == "o12")),
                # A spell followed 12 months or more was observable that long from the first
                # job: those at risk from month 12 on are of the first job's observed_12m.
                "followed_from": _cohort(worked & (pl.col("f") == "o12")),
            }
        for statistic, members in sets.items():
            rows.append(RowSpec(table, {}, statistic, "count", members, members, table, -1))
    elif kind == "education_enrolment":
        # Enrolled in the end month (count, and share of the linked records): every linked record
        # (Total) and per exit destination (category).
        for v in (TOTAL, *EXIT_DESTINATIONS):
            of = (
                (pl.col("factor") == "enrol")
                & linked
                & (pl.lit(True) if v == TOTAL else _in("ed", [v]))
            )
            enrolled = of & (pl.col("en") == "yes")
            tier = 1  # hidden before the study's own tables (yield, durability, snapshot)
            rows += [
                RowSpec(table, {"category": v}, "count", "count", enrolled, enrolled,
                        f"{table}|{v}|count", tier, rounding=rounding),
                RowSpec(table, {"category": v}, "share_enrolled_at_end", "share", enrolled, of,
                        f"{table}|{v}|share", 0, precision=0.01),
            ]  # fmt: skip
    elif kind == "durability_distribution":
        for label in domains.bins:
            members = _cohort(pl.col("bin") == label)
            rows.append(RowSpec(table, {"bin": label}, "count", "count", members, members,
                                f"{table}|{label}", 1, rounding=rounding))  # fmt: skip
    elif kind == "series_share_working":
        months = list(domains.months)
        for i, month in enumerate(months):
            entered = (pl.col("factor") == "series") & _in("entry", months[: i + 1])
            working = entered & (pl.col("ls") == "w") if i == len(months) - 1 else None
            rows.append(RowSpec(table, {"month": month}, "share_working", "share", working, entered,
                                f"{table}|{month}", 1, rounding=10, precision=0.01))  # fmt: skip
    elif kind == "series_inflow":
        for month in (*domains.months, "later"):
            members = (pl.col("factor") == "series") & (pl.col("entry") == month)
            rows.append(RowSpec(table, {"month": month}, "inflow", "pool", members, members,
                                f"{table}|{month}", 2, rounding=10))  # fmt: skip
    elif kind == "snapshot_working":
        for v in _values(domains, j):
            b = _breakdown(domains, j, v)
            tier = 3 if v == TOTAL else 2
            work, lin = _n(b & (pl.col("ls") == "w")), _n(b & linked)
            rows += [
                RowSpec(table, {dim: v}, "count_working", "count", work, work, f"{table}|{v}|count", tier, rounding=rounding),
                RowSpec(table, {dim: v}, "share_working", "share", work, lin, f"{table}|{v}|share", 0, precision=0.01),
            ]  # fmt: skip
    elif kind == "snapshot_category":
        column = table.removeprefix("snapshot_")
        working = _n(pl.col("ls") == "w")
        for category in (*SNAPSHOT_CATEGORIES[column], TOTAL):
            members = (
                working
                if category == TOTAL
                else (pl.col("factor") == "snap") & (pl.col(column) == category)
            )
            tier = 3 if category == TOTAL else 1
            rows.append(RowSpec(table, {"category": category}, "count", "count", members, members,
                                f"{table}|{category}", tier, rounding=rounding))  # fmt: skip
            if category != TOTAL:
                rows.append(RowSpec(table, {"category": category}, "share", "share", members,
                                    working, f"{table}|{category}|share", 0, precision=0.01))  # fmt: skip
    elif kind == "snapshot_amounts":
        working = _n(pl.col("ls") == "w")
        amounts = ("hours", "fulltime_days", "base_wage", "hourly_wage")
        for category in (*amounts, "net_wage") if domains.net_wage else amounts:
            statistic = "ratio" if category == "hourly_wage" else "mean"
            # The hourly wage is the total base wage over the total hours of the same persons:
            # of the two means and that ratio any two give the third, so they are hidden together
            # (red team 39 had the hidden mean base wage to 0.7% from the other two).
            fate = f"{table}|{'wage_per_hour' if category in WAGE_PER_HOUR else category}"
            rows.append(RowSpec(table, {"category": category}, statistic, "magnitude", None, working,
                                fate, 1))  # fmt: skip
    return rows
