"""``[[models]]`` in project.toml: one frozen spec per model, checked before any work.

Every key is checked here (unknown keys and wrong types name the key, with a "did you mean");
column names are checked against the analysis data by ``check_columns`` as soon as its columns
are known (before durability runs).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nbnb_cbs.durability.run import END_OUTCOMES
from nbnb_cbs.errors import ConfigError
from nbnb_cbs.schemas import EXIT_DESTINATIONS

__all__ = [
    "DERIVED",
    "KINDS",
    "ModelSpec",
    "check_columns",
    "check_covariate_breakdowns",
    "parse_models",
    "sample_destinations",
]

Kind = Literal["logit", "lpm"]
KINDS: tuple[Kind, ...] = ("logit", "lpm")
# Covariates computed from the analysis data (not columns of it): name -> what it needs.
DERIVED = {"age": ("birth_year", "entry_date"), "age_group": ("birth_year", "entry_date")}
# No digits: the steward's check reads a digit in a released name as a possible count.
_NAME = re.compile(r"[A-Za-z_-]{1,40}")

# key -> (accepted python type, what to write)
_KEYS: dict[str, tuple[type, str]] = {
    "name": (str, 'a name in double quotes (letters, "_" or "-")'),
    "outcome": (str, f"one of {', '.join(END_OUTCOMES)}"),
    "kind": (str, '"logit" or "lpm"'),
    "covariates": (list, 'a list of column names, like ["sex", "age_group"]'),
    "numeric": (list, "a list of covariates read as numbers"),
    "reference": (dict, 'a table of covariate = "level", like { sex = "man" }'),
    "interactions": (list, 'a list like ["sex*age_group"]'),
    "exclude_destinations": (list, 'a list of exit destinations, like ["education"]'),
    "fixed_effects": (bool, "true or false (project fixed effects)"),
    "stepwise": (bool, "true or false"),
    "merge_sparse_levels": (bool, "true or false"),
}


@dataclass(frozen=True)
class ModelSpec:
    """One model of ``[[models]]``; see the README (Models) for what each field does."""

    name: str
    outcome: str
    covariates: tuple[str, ...]
    kind: Kind = "logit"
    numeric: tuple[str, ...] = ()
    reference: Mapping[str, str] = field(default_factory=dict)
    interactions: tuple[tuple[str, str], ...] = ()
    exclude_destinations: tuple[str, ...] = ()
    fixed_effects: bool = False
    stepwise: bool = False
    merge_sparse_levels: bool = False

    @property
    def is_numeric(self) -> frozenset[str]:
        return frozenset({*self.numeric, "age"} & set(self.covariates))


def sample_destinations(spec: ModelSpec) -> set[str]:
    """The exit destinations whose linked records form the model's sample (a destination without
    an exit date counts as "unknown": ``schemas.exit_destination_expr``); a model's N is the
    number of linked records with one of these destinations (no other restriction exists, and no
    record is dropped for a missing covariate), so the release model can join it."""
    return set(EXIT_DESTINATIONS) - set(spec.exclude_destinations)


def _where(path: Path | str, index: int, name: str | None) -> str:
    label = f"[[models]] #{index + 1}" + (f" ({name!r})" if name else "")
    return f"{path}: {label}"


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" - did you mean {close[0]!r}?" if close else ""


def parse_models(path: Path | str, body: object) -> tuple[ModelSpec, ...]:
    """The ``[[models]]`` array of tables -> specs; every key and value checked."""
    if not isinstance(body, list) or not all(isinstance(m, dict) for m in body):
        raise ConfigError(
            f'{path}: models must be written as [[models]] tables (name = "...", outcome = ...)'
        )
    specs: list[ModelSpec] = []
    for index, table in enumerate(body):
        specs.append(_parse_one(path, index, table))
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: two [[models]] share the name {dupes[0]!r}; give each its own")
    return tuple(specs)


def _parse_one(path: Path | str, index: int, table: dict[str, Any]) -> ModelSpec:
    raw_name = table.get("name")
    where = _where(path, index, raw_name if isinstance(raw_name, str) else None)
    for key, value in table.items():
        if key not in _KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}{_did_you_mean(key, _KEYS)}; known: {', '.join(_KEYS)}"
            )
        want, how = _KEYS[key]
        if not isinstance(value, want) or (isinstance(value, bool) and want is not bool):
            raise ConfigError(
                f"{where}: {key} must be a {want.__name__}, not {type(value).__name__} "
                f"({value!r}); write {how}"
            )
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must list text values in double quotes; write {how}")
    for key in ("name", "outcome", "covariates"):
        if key not in table:
            raise ConfigError(f"{where}: {key} is required; write {key} = {_KEYS[key][1]}")
    name = table["name"]
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: name {name!r} may hold only letters, '_' and '-' (1-40; no digits, which "
            "the steward's check would read as counts); it names the export files model_<name>.csv"
        )
    outcome = table["outcome"]
    if outcome not in END_OUTCOMES:
        raise ConfigError(
            f"{where}: outcome {outcome!r} is not one of {', '.join(END_OUTCOMES)}"
            f"{_did_you_mean(outcome, END_OUTCOMES)}"
        )
    kind = table.get("kind", "logit")
    if kind not in KINDS:
        raise ConfigError(f'{where}: kind {kind!r} must be "logit" or "lpm"')
    covariates = tuple(table["covariates"])
    if not covariates:
        raise ConfigError(f"{where}: covariates is empty; name at least one column")
    if len(set(covariates)) != len(covariates):
        raise ConfigError(f"{where}: covariates names a column twice")
    numeric = tuple(table.get("numeric", []))
    for column in numeric:
        if column not in covariates:
            raise ConfigError(f"{where}: numeric = {column!r} is not one of the covariates")
    if "age_group" in numeric:
        raise ConfigError(f"{where}: age_group is categorical; use age for age in years")
    reference = dict(table.get("reference", {}))
    for column, level in reference.items():
        if column not in covariates:
            raise ConfigError(
                f"{where}: reference.{column} is not one of the covariates"
                f"{_did_you_mean(column, covariates)}"
            )
        if not isinstance(level, str):
            raise ConfigError(
                f"{where}: reference.{column} must be a level in double quotes, not {level!r}"
            )
        if column in numeric or column == "age":
            raise ConfigError(f"{where}: reference.{column}: a numeric covariate has no levels")
    interactions = tuple(
        _interaction(where, text, covariates) for text in table.get("interactions", [])
    )
    exclude = tuple(table.get("exclude_destinations", []))
    for destination in exclude:
        if destination not in EXIT_DESTINATIONS:
            raise ConfigError(
                f"{where}: exclude_destinations = {destination!r} is not an exit destination"
                f"{_did_you_mean(destination, EXIT_DESTINATIONS)}; known: {', '.join(EXIT_DESTINATIONS)}"
            )
    if set(EXIT_DESTINATIONS) <= set(exclude):
        raise ConfigError(f"{where}: exclude_destinations excludes every record")
    return ModelSpec(
        name=name,
        outcome=outcome,
        covariates=covariates,
        kind=kind,
        numeric=numeric,
        reference=reference,
        interactions=interactions,
        exclude_destinations=exclude,
        fixed_effects=bool(table.get("fixed_effects", False)),
        stepwise=bool(table.get("stepwise", False)),
        merge_sparse_levels=bool(table.get("merge_sparse_levels", False)),
    )


def _interaction(where: str, text: str, covariates: tuple[str, ...]) -> tuple[str, str]:
    parts = [p.strip() for p in text.split("*")]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise ConfigError(
            f"{where}: interactions = {text!r} must be two different covariates joined by '*', "
            'like "sex*age_group"'
        )
    for part in parts:
        if part not in covariates:
            raise ConfigError(
                f"{where}: interactions = {text!r}: {part!r} is not one of the covariates"
                f"{_did_you_mean(part, covariates)}"
            )
    return parts[0], parts[1]


def check_covariate_breakdowns(
    specs: Iterable[ModelSpec], by: Iterable[str], where: Path | str
) -> None:
    """A breakdown may not be a covariate: a model's estimates give away its counts per level
    (a logit's fitted values add up to each level's outcome count), which next to the
    breakdown's own tables would tell the records it excludes per level."""
    breakdowns = set(by)
    for spec in specs:
        shared = [c for c in spec.covariates if c in breakdowns]
        if shared:
            raise ConfigError(
                f"{where}: [[models]] {spec.name!r}: covariate {shared[0]!r} is also a breakdown "
                "(by); the model's estimates give away its counts per level, which next to the "
                "breakdown's tables can tell a group below the threshold; drop the covariate or "
                "the breakdown"
            )


def check_columns(
    specs: Iterable[ModelSpec], columns: Iterable[str], profile: Any, where: Path | str
) -> None:
    """Every covariate is a column of the analysis data (or a derived one whose inputs are), is
    not an identifier, and is not the project (project effects may not be published; use
    fixed_effects); fixed effects need a project column."""
    have = set(columns)
    for spec in specs:
        label = f"{where}: [[models]] {spec.name!r}"
        for column in spec.covariates:
            if column in DERIVED:
                missing = [c for c in DERIVED[column] if c not in have]
                if missing:
                    raise ConfigError(
                        f"{label}: covariate {column!r} is computed from {' and '.join(DERIVED[column])}; "
                        f"the analysis data has no {missing[0]!r}"
                    )
                continue
            if column not in have:
                known = sorted(c for c in have if c != "record_id")
                raise ConfigError(
                    f"{label}: covariate {column!r} is not a column of the analysis data"
                    f"{_did_you_mean(column, [*known, *DERIVED])}; available: "
                    f"{', '.join([*known, *DERIVED])}"
                )
            if profile.is_protected_dimension(column):
                raise ConfigError(
                    f"{label}: covariate {column!r}: effects of single projects may not be "
                    "published from CBS data; remove it and set fixed_effects = true instead"
                )
            if profile.is_forbidden_column(column) or column == "record_id":
                raise ConfigError(
                    f"{label}: covariate {column!r} is an identifier the {profile.name} profile "
                    "forbids in output; remove it"
                )
        if spec.fixed_effects and "project" not in have:
            raise ConfigError(
                f"{label}: fixed_effects = true needs a 'project' column in the analysis data"
            )
