"""From the analysis data and the outcomes at E to a model's sample and design matrix.

The sample is every linked record whose exit destination the model keeps: nothing else. A
missing categorical value becomes the level ``unknown``; a missing number is filled with the
observed mean and flagged by a ``<covariate>: unknown`` indicator (as the study's "unknown"
indicators did), so no record is ever dropped and N is a sum of destination sets.

Disclosure checks on the sample (before anything is estimated): every level of every categorical
covariate and every cell of a categorical interaction, crossed with each outcome value, holds at
least ``threshold`` persons and the records of at least ``min_organisations`` projects; else the
model is refused naming the cells, or with ``merge_sparse_levels`` the sparse levels are merged
into ``other`` (and that into the reference when it is still sparse) and sparse interaction cells
into the reference cell, each merge logged.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.errors import ConfigError, DisclosureError, ValueParseError
from nbnb_cbs.models.spec import ModelSpec
from nbnb_cbs.schemas import exit_destination_expr

__all__ = [
    "INTERCEPT",
    "OTHER",
    "POOLED_PROJECTS",
    "UNKNOWN",
    "Design",
    "Sample",
    "build_design",
    "build_sample",
]

_log = logging.getLogger(__name__)

INTERCEPT = "(intercept)"
UNKNOWN = "unknown"
OTHER = "other"
POOLED_PROJECTS = "(pooled projects)"
AGE_GROUPS = ((25, "<25"), (30, "25-29"), (40, "30-39"), (1000, "40+"))
_Y = "_nbnb_outcome"
_PROJECT = "_nbnb_project"


@dataclass
class Sample:
    """The model's records (one row each) with the outcome as 0/1 and covariates prepared."""

    spec: ModelSpec
    frame: pl.DataFrame  # _Y, _PROJECT (when fixed effects), categorical as text, numeric as float
    levels: dict[str, list[str]]  # categorical covariate -> levels, reference first
    numeric: list[str]
    merges: list[str] = field(default_factory=list)  # what merge_sparse_levels did (logged)
    dropped_cells: set[tuple[str, str, str, str]] = field(default_factory=set)
    pooled_projects: int = 0
    # record_id and each categorical covariate's value before any merge, row for row with frame
    # (the release counts the model's persons per level: a merged level is made of these values).
    raw: pl.DataFrame | None = None

    @property
    def n(self) -> int:
        return self.frame.height


@dataclass
class Design:
    """The design matrix: columns in ``terms`` order; groups say which covariate (or
    interaction, or the project fixed effects) each column belongs to."""

    y: np.ndarray
    x: np.ndarray
    terms: list[str]
    groups: list[str]
    fixed_effect_terms: set[str]


def _age(frame: pl.DataFrame) -> pl.Expr:
    birth = pl.col("birth_year").cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
    entry = pl.col("entry_date")
    if frame.schema.get("entry_date") != pl.Date:
        from nbnb_cbs.dates import parse_date_expr  # noqa: PLC0415

        entry = parse_date_expr("entry_date")
    return (entry.dt.year().cast(pl.Int64) - birth).cast(pl.Float64)


def _age_group(age: pl.Expr) -> pl.Expr:
    expr: Any = pl.when(age.is_null()).then(pl.lit(None, pl.String))
    for upper, label in AGE_GROUPS:
        expr = expr.when(age < upper).then(pl.lit(label))
    out: pl.Expr = expr.otherwise(pl.lit(AGE_GROUPS[-1][1]))
    return out


def build_sample(
    spec: ModelSpec,
    analysis: pl.DataFrame,
    persons: pl.DataFrame,
    *,
    threshold: int,
    min_organisations: int = 1,
    where: str = "analysis data",
) -> Sample:
    """The model's sample with its disclosure checks applied (refused or merged as the spec
    says). ``persons`` is persons.parquet (record_id, RINPERSOON and the outcomes at E)."""
    numeric = [c for c in spec.covariates if c in spec.is_numeric]
    for column in numeric:
        if column != "age":  # checked on the whole file, so the row is the file's
            analysis = analysis.with_columns(_numeric(analysis, column, where))
    outcomes = persons.select(
        pl.col("record_id").cast(pl.String), "RINPERSOON", pl.col(spec.outcome).alias(_Y)
    )
    base = analysis.with_columns(pl.col("record_id").cast(pl.String)).join(
        outcomes, on="record_id", how="inner"
    )
    base = base.filter(
        pl.col("RINPERSOON").is_not_null()
        & ~exit_destination_expr(base.columns).is_in(list(spec.exclude_destinations))
    )
    if base.height == 0:
        raise DisclosureError(
            f"model {spec.name!r}: no linked records with the destinations it keeps; "
            "check exclude_destinations"
        )
    if base[_Y].null_count():
        raise ConfigError(
            f"model {spec.name!r}: outcome {spec.outcome!r} is unknown for "
            f"{base[_Y].null_count()} linked record(s): it needs enrolments; give [inputs] "
            "enrolments, or choose in_work_at_end"
        )
    columns: list[pl.Expr] = [pl.col(_Y).cast(pl.Int8)]
    if spec.fixed_effects or "project" in base.columns:
        columns.append(pl.col("project").cast(pl.String).fill_null(UNKNOWN).alias(_PROJECT))
    for column in spec.covariates:
        if column == "age":
            columns.append(_age(base).alias(column))
        elif column == "age_group":
            columns.append(_age_group(_age(base)).fill_null(UNKNOWN).alias(column))
        elif column in numeric:
            columns.append(pl.col(column))
        else:
            text = pl.col(column).cast(pl.String).str.strip_chars()
            columns.append(
                pl.when(text.is_null() | (text == ""))
                .then(pl.lit(UNKNOWN))
                .otherwise(text)
                .alias(column)
            )
    frame = base.select(columns)
    levels = {}
    for column in spec.covariates:
        if column in numeric:
            continue
        levels[column] = _ordered_levels(frame, column, spec)
    sample = Sample(spec, frame, levels, numeric)
    sample.raw = pl.concat([base.select("record_id"), frame.select(list(levels))], how="horizontal")
    _check_cells(sample, threshold, min_organisations)
    if spec.fixed_effects:
        _pool_projects(sample, threshold)
    return sample


def _numeric(base: pl.DataFrame, column: str, where: str) -> pl.Expr:
    raw = base[column]
    if raw.dtype.is_numeric():
        return pl.col(column).cast(pl.Float64)
    text = raw.cast(pl.String).str.strip_chars().str.replace(",", ".", literal=True)
    parsed = text.cast(pl.Float64, strict=False)
    bad = (parsed.is_null() & text.is_not_null() & (text != "")).arg_true()
    if len(bad):
        row = int(bad[0])
        raise ValueParseError(
            f"{where}: row {row + 1} (record {base['record_id'][row]}), column {column!r}: cannot "
            f"read {raw[row]!r} as a number; correct it, or drop {column!r} from numeric to use "
            "it as categories"
        )
    return pl.lit(parsed).alias(column)


def _ordered_levels(frame: pl.DataFrame, column: str, spec: ModelSpec) -> list[str]:
    counts = frame.group_by(column).len().sort(["len", column], descending=[True, False])
    levels = counts[column].to_list()
    wanted = spec.reference.get(column)
    if wanted is not None:
        if wanted not in levels:
            raise ConfigError(
                f"[[models]] {spec.name!r}: reference.{column} = {wanted!r} is not a level of "
                f"{column!r} in the model's sample; levels: {', '.join(sorted(levels))}"
            )
        reference = wanted
    else:
        reference = levels[0]  # the most frequent level
    return [reference, *sorted((v for v in levels if v != reference), key=_level_order)]


def _level_order(level: str) -> tuple[int, str]:
    """Age groups in age order, other levels alphabetically; 'other' and 'unknown' last."""
    ages = [label for _, label in AGE_GROUPS]
    if level in ages:
        return (0, f"{ages.index(level):03d}")
    return ({OTHER: 2, UNKNOWN: 3}.get(level, 1), level)


def _cell_table(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per combination of ``keys``: persons with outcome 0, with outcome 1, and projects."""
    has_project = _PROJECT in frame.columns
    return frame.group_by(keys).agg(
        n0=(pl.col(_Y) == 0).sum(),
        n1=(pl.col(_Y) == 1).sum(),
        projects=pl.col(_PROJECT).n_unique() if has_project else pl.lit(1_000_000),
    )


def _sparse(cells: pl.DataFrame, threshold: int, min_orgs: int) -> pl.DataFrame:
    return cells.filter(
        (pl.col("n0") < threshold) | (pl.col("n1") < threshold) | (pl.col("projects") < min_orgs)
    )


def _describe(keys: list[str], row: dict[str, object]) -> str:
    return " x ".join(f"{k} = {row[k]!r}" for k in keys)


def _check_cells(sample: Sample, threshold: int, min_orgs: int) -> None:
    spec = sample.spec
    merge = spec.merge_sparse_levels
    problems: list[str] = []
    for column in list(sample.levels):
        sparse = _sparse(_cell_table(sample.frame, [column]), threshold, min_orgs)
        if sparse.height == 0:
            continue
        if not merge:
            problems += [_describe([column], r) for r in sparse.iter_rows(named=True)]
            continue
        _merge_levels(sample, column, sparse[column].to_list(), threshold, min_orgs)
    for numeric in sample.numeric:
        groups = sample.frame.filter(pl.col(numeric).is_not_null())
        if groups[numeric].n_unique() <= 2:
            # A number with two values is a 0/1 term: the intercept is the one group's cell and
            # the rest is the other (red team 27: 6 months for 7 work_and_learn leavers, 0 for the
            # rest, gave them back from N). Both groups must hold enough of each outcome.
            sparse = _sparse(_cell_table(groups, [numeric]), threshold, min_orgs)
            if sparse.height:
                raise DisclosureError(
                    f"model {spec.name!r} refused: {numeric} takes two values, so each is a group "
                    f"whose persons the estimates give away, and {_describe([numeric], sparse.row(0, named=True))} "
                    f"holds fewer than {threshold} persons with an outcome value"
                    + (f" or records of fewer than {min_orgs} projects" if min_orgs > 1 else "")
                    + "; leave the covariate out or use a categorical one with larger groups"
                )
        missing = sample.frame.filter(pl.col(numeric).is_null())
        if missing.height == 0:
            continue
        cells = _sparse(
            _cell_table(missing.with_columns(pl.lit(UNKNOWN).alias("_k")), ["_k"]),
            threshold,
            min_orgs,
        )
        if cells.height:
            if not merge:
                problems.append(f"{numeric} = unknown")
                continue
            # Too few unknown values to show apart: fill them with the mean, no indicator.
            mean = sample.frame[numeric].mean()
            sample.frame = sample.frame.with_columns(pl.col(numeric).fill_null(mean))
            sample.merges.append(
                f"{numeric}: the few unknown values filled with the mean (no indicator)"
            )
    for a, b in spec.interactions:
        if a not in sample.levels or b not in sample.levels:
            continue  # with a number, the interaction's cells are those of the categorical side
        # With the interaction every cell of the a x b table is estimable, the reference
        # row and column included: all of them must hold enough persons.
        cells = _cell_table(sample.frame, [a, b])
        full = pl.DataFrame(
            [(la, lb) for la in sample.levels[a] for lb in sample.levels[b]],
            schema={a: pl.String, b: pl.String},
            orient="row",
        )
        every = full.join(cells, on=[a, b], how="left").fill_null(0)
        sparse = _sparse(every, threshold, min_orgs)
        if sparse.height == 0:
            continue
        on_reference = (pl.col(a) == sample.levels[a][0]) | (pl.col(b) == sample.levels[b][0])
        if not merge:
            problems += [_describe([a, b], r) for r in sparse.iter_rows(named=True)]
            continue
        for row in sparse.filter(on_reference).iter_rows(named=True):
            # No term of its own to merge away: its rate follows from the main effects.
            problems.append(
                _describe([a, b], row) + " (a reference level's cell: choose other reference "
                "levels or regroup)"
            )
        for row in sparse.filter(~on_reference).iter_rows(named=True):
            sample.dropped_cells.add((a, row[a], b, row[b]))
            sample.merges.append(
                f"{a} = {row[a]!r} x {b} = {row[b]!r}: no term of its own; "
                "merged into the reference (no interaction term)"
            )
    categorical = list(sample.levels)
    if not problems and len(categorical) >= 2:
        # A logit's coefficients, standard errors and likelihood determine the persons in every
        # cell of the categorical covariates' cross-table (a red team rebuilt a sex x age table
        # from a main-effects model): each cell, empty ones included, must hold enough persons.
        full = pl.DataFrame(
            list(itertools.product(*(sample.levels[c] for c in categorical))),
            schema=dict.fromkeys(categorical, pl.String),
            orient="row",
        )
        sizes = sample.frame.group_by(categorical).agg(persons=pl.len())
        every = full.join(sizes, on=categorical, how="left").fill_null(0)
        small = every.filter(pl.col("persons") < threshold)
        if small.height:
            shown = "; ".join(
                _describe(categorical, r) for r in small.head(5).iter_rows(named=True)
            )
            raise DisclosureError(
                f"model {spec.name!r} refused: its estimates give away the persons in each "
                f"combination of {', '.join(categorical)}, and {small.height} combination(s) hold "
                f"fewer than {threshold} (first: {shown}); leave out or regroup a covariate"
            )
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise DisclosureError(
            f"model {spec.name!r} refused: fewer than {threshold} persons with each outcome value"
            + (f", or records of fewer than {min_orgs} projects," if min_orgs > 1 else "")
            + f" in {shown}; set merge_sparse_levels = true, or leave out or regroup the covariate"
        )
    for line in sample.merges:
        _log.info("model %s: %s", spec.name, line)


def _merge_levels(
    sample: Sample, column: str, sparse: list[str], threshold: int, min_orgs: int
) -> None:
    levels = sample.levels[column]
    reference = levels[0]
    target = OTHER if reference not in sparse else reference
    movers = [lv for lv in sparse if lv != reference]
    if reference in sparse:
        raise DisclosureError(
            f"model {sample.spec.name!r} refused: the reference level {column} = {reference!r} "
            f"has fewer than {threshold} persons with an outcome value; choose another reference "
            f"under reference.{column}"
        )
    col = pl.col(column)
    frame = sample.frame.with_columns(
        pl.when(col.is_in(movers)).then(pl.lit(target)).otherwise(col).alias(column)
    )
    note = f"{column}: levels {', '.join(repr(m) for m in movers)} merged into {target!r}"
    rest = _sparse(_cell_table(frame, [column]), threshold, min_orgs)
    if target == OTHER and OTHER in rest[column].to_list():
        frame = frame.with_columns(
            pl.when(col == OTHER).then(pl.lit(reference)).otherwise(col).alias(column)
        )
        note = (
            f"{column}: levels {', '.join(repr(m) for m in movers)} merged into the reference "
            f"{reference!r} (not a level of their own)"
        )
    sample.frame = frame
    sample.merges.append(note)
    left = [lv for lv in levels if lv not in movers] + (
        [OTHER] if OTHER in frame[column].to_list() and OTHER not in levels else []
    )
    sample.levels[column] = [
        reference,
        *sorted((lv for lv in left if lv != reference), key=_level_order),
    ]
    if len(sample.levels[column]) < 2:
        raise DisclosureError(
            f"model {sample.spec.name!r} refused: after merging its sparse levels, {column!r} has "
            "one level left; leave it out of the model"
        )


def _pool_projects(sample: Sample, threshold: int) -> None:
    """Projects with fewer than ``threshold`` persons of either outcome value share one fixed
    effect: a project where (nearly) everybody has the same outcome has no finite effect."""
    cells = _cell_table(sample.frame, [_PROJECT])
    small = _sparse(cells, threshold, 0)[_PROJECT].to_list()
    if small:
        sample.frame = sample.frame.with_columns(
            pl.when(pl.col(_PROJECT).is_in(small))
            .then(pl.lit(POOLED_PROJECTS))
            .otherwise(pl.col(_PROJECT))
            .alias(_PROJECT)
        )
        sample.pooled_projects = len(small)
        _log.info(
            "model %s: %d project(s) with fewer than %d persons of an outcome value share one "
            "fixed effect",
            sample.spec.name,
            len(small),
            threshold,
        )


def build_design(sample: Sample, groups: list[str] | None = None) -> Design:
    """Columns: intercept, project fixed effects, covariates (dummies against the reference;
    numbers with their unknown indicator), interactions. ``groups`` keeps only those covariate
    and interaction groups (stepwise selection)."""
    spec = sample.spec
    frame = sample.frame
    cols: list[np.ndarray] = [np.ones(frame.height)]
    terms, owners = [INTERCEPT], [INTERCEPT]
    fe_terms: set[str] = set()
    if spec.fixed_effects:
        counts = frame.group_by(_PROJECT).len().sort(["len", _PROJECT], descending=[True, False])
        projects = [p for p in counts[_PROJECT].to_list() if p != POOLED_PROJECTS]
        order = [
            *projects[:1],  # the largest project is the reference
            *sorted(projects[1:]),
            *([POOLED_PROJECTS] if sample.pooled_projects else []),
        ]
        values = frame[_PROJECT].to_numpy()
        for project in order[1:]:
            cols.append((values == project).astype(float))
            term = f"project: {project}"
            terms.append(term)
            owners.append("project")
            fe_terms.add(term)
    keep = set(groups) if groups is not None else None

    def wanted(group: str) -> bool:
        return keep is None or group in keep

    main: dict[str, list[tuple[str, np.ndarray]]] = {}
    for column in spec.covariates:
        main[column] = _main_columns(sample, column)
        if wanted(column):
            for term, values in main[column]:
                cols.append(values)
                terms.append(term)
                owners.append(column)
    for a, b in spec.interactions:
        group = f"{a}*{b}"
        if not wanted(group):
            continue
        for ta, va in _interaction_side(sample, a, main[a]):
            for tb, vb in _interaction_side(sample, b, main[b]):
                if (a, ta, b, tb) in sample.dropped_cells:
                    continue
                cols.append(va * vb)
                terms.append(
                    f"{a}: {ta} x {b}: {tb}"
                    if ta and tb
                    else f"{a}{': ' + ta if ta else ''} x {b}{': ' + tb if tb else ''}"
                )
                owners.append(group)
    x = np.column_stack(cols)
    return Design(frame[_Y].to_numpy().astype(float), x, terms, owners, fe_terms)


def _main_columns(sample: Sample, column: str) -> list[tuple[str, np.ndarray]]:
    frame = sample.frame
    if column in sample.numeric:
        raw = frame[column]
        missing = raw.is_null().to_numpy()
        filled = raw.fill_null(raw.mean()).to_numpy().astype(float)
        out = [(column, filled)]
        if missing.any():
            out.append((f"{column}: {UNKNOWN}", missing.astype(float)))
        return out
    values = frame[column].to_numpy()
    return [
        (f"{column}: {level}", (values == level).astype(float))
        for level in sample.levels[column][1:]
    ]


def _interaction_side(
    sample: Sample, column: str, columns: list[tuple[str, np.ndarray]]
) -> list[tuple[str, np.ndarray]]:
    """A categorical side contributes one column per non-reference level (label = level); a
    number contributes itself (label empty; its unknown indicator is not interacted)."""
    if column in sample.numeric:
        return [("", columns[0][1])]
    values = sample.frame[column].to_numpy()
    return [(level, (values == level).astype(float)) for level in sample.levels[column][1:]]


def dependent_term(design: Design) -> str | None:
    """The first column that is a linear combination of the columns before it, if any."""
    rank = 0
    for i in range(design.x.shape[1]):
        new = int(np.linalg.matrix_rank(design.x[:, : i + 1]))
        if new == rank:
            return design.terms[i]
        rank = new
    return None
