"""Model output (``model_<name>.csv`` and ``model_<name>_fit.csv``), checked from the files.

The residual degrees of freedom are re-checked from the published fit table against the
profile's ``dof_threshold`` (and must leave room for the published terms); N must reach the
threshold; no term may be about a project (fixed effects are estimated, never published, and
with them the intercept, which is the reference project's level); every model file is one the
log describes.

The persons in each covariate level (and interaction cell) with and without the outcome are what
a logit's B and SE give away (a red team read a level of 7 persons, 1 in work, from them), so
they are judged from the same numbers. At the maximum likelihood the score of a level's dummy
is zero, so its Fisher information, the sum of p(1-p) over the level's persons, is at most
min(with, without) persons; and SE^2 >= 1 / information. Hence min(with, without) >= 1 / SE^2:
where SE <= 1 / sqrt(threshold) the level is proven to hold enough persons of each outcome. Where
it is not, the attacker's own estimate is made: the cell's variance from the terms' SE by
inclusion-exclusion (exact for a saturated categorical model, close for main effects), its rate
from B, and min(with, without) ~ 1 / (variance x max(p, 1-p)). An estimate below the threshold
is a finding; one above it is listed as estimated, not proven.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.identifiers import identifier_in_text, organisation_in_text
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["models_pass"]

COEFFICIENTS = ["term", "B", "SE", "Exp(B)", "p"]
FIT = ["statistic", "value"]
FIT_STATISTICS = ("N", "N_outcome", "residual_dof", "pseudo_r2", "aic")
INTERCEPT = "(intercept)"


def _entries(export: ExportFiles) -> list[dict[str, Any]]:
    models = export.log.get("models", [])
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def _read(path: Any) -> pl.DataFrame | None:
    try:
        return pl.read_csv(path, separator=";", infer_schema=False, raise_if_empty=False)
    except Exception:
        return None


def models_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Findings for model files: unlogged, malformed, too few residual dof, project terms."""
    out: list[Finding] = []
    present = sorted(p.name for p in export.root.glob("model_*.csv") if p.is_file())
    entries = _entries(export)
    logged = {str(f): m for m in entries for f in (m.get("files") or []) if isinstance(f, str)}
    for name in present:
        if name not in logged:
            out.append(Finding(name, None, None, "model_not_logged", "the disclosure log does not describe this model file"))  # fmt: skip
    for name in sorted(set(logged) - set(present)):
        out.append(Finding("disclosure-log.json", None, name, "logged_model_missing", f"the log names {name!r}, which the export does not hold"))  # fmt: skip
    projects = export.projects()
    for entry in entries:
        files = [str(f) for f in entry.get("files") or []]
        coef = next((f for f in files if not f.endswith("_fit.csv")), None)
        fit = next((f for f in files if f.endswith("_fit.csv")), None)
        if coef is None or fit is None:
            out.append(Finding("disclosure-log.json", None, "models", "model_files", f"model {entry.get('name')!r} needs a coefficient and a fit file"))  # fmt: skip
            continue
        if coef not in present or fit not in present:
            continue
        out += _model(export, entry, coef, fit, projects, profile)
    return out


def _model(
    export: ExportFiles,
    entry: dict[str, Any],
    coef_name: str,
    fit_name: str,
    projects: list[str],
    profile: Profile,
) -> list[Finding]:
    out: list[Finding] = []
    coef, fit = _read(export.root / coef_name), _read(export.root / fit_name)
    if coef is None or coef.columns != COEFFICIENTS:
        return [Finding(coef_name, 1, None, "model_columns", f"a model table has exactly the columns {';'.join(COEFFICIENTS)}")]  # fmt: skip
    if fit is None or fit.columns != FIT:
        return [Finding(fit_name, 1, None, "model_columns", f"a fit table has exactly the columns {';'.join(FIT)}")]  # fmt: skip
    for line, row in enumerate(coef.iter_rows(named=True), start=2):
        term = str(row["term"] or "")
        covariate = term.split(":", 1)[0].strip()
        if profile.is_protected_dimension(covariate) or any(
            profile.is_protected_dimension(part.split(":", 1)[0].strip())
            for part in term.split(" x ")
        ):
            out.append(Finding(coef_name, line, "term", "project_term", f"term {term!r} is a project effect: results per project may not be published"))  # fmt: skip
        elif what := identifier_in_text(term) or organisation_in_text(
            term, projects, generic=False
        ):
            out.append(Finding(coef_name, line, "term", "identifier_value", f"term {term!r} holds {what}"))  # fmt: skip
        if term == INTERCEPT and entry.get("fixed_effects") is True:
            out.append(Finding(coef_name, line, "term", "project_term", "with project fixed effects the intercept is the reference project's level: it may not be published"))  # fmt: skip
        for column in COEFFICIENTS[1:]:
            text = (row[column] or "").strip()
            if text and _number(text) is None:
                out.append(Finding(coef_name, line, column, "not_a_number", f"{column} = {text!r} is not a number"))  # fmt: skip
    stats = {str(r["statistic"]): _number(str(r["value"] or "")) for r in fit.iter_rows(named=True)}
    missing = [s for s in FIT_STATISTICS if stats.get(s) is None]
    if missing or set(stats) - set(FIT_STATISTICS):
        return [*out, Finding(fit_name, None, "statistic", "model_fit", f"a fit table holds exactly {', '.join(FIT_STATISTICS)}, each a number")]  # fmt: skip
    n, dof = stats["N"] or 0.0, stats["residual_dof"] or 0.0  # both present (checked above)
    if n < profile.threshold:
        out.append(Finding(fit_name, None, "value", "small_n", f"a model of {n:g} units: fewer than {profile.threshold}"))  # fmt: skip
    if dof < profile.dof_threshold:
        out.append(Finding(fit_name, None, "value", "dof_below_threshold", f"{dof:g} residual degrees of freedom: fewer than dof_threshold {profile.dof_threshold}"))  # fmt: skip
    ones = stats["N_outcome"] or 0.0
    if 0 < ones < profile.threshold or 0 < n - ones < profile.threshold:
        out.append(Finding(fit_name, None, "value", "small_n", f"{ones:g} of {n:g} units with the outcome: a count or complement below {profile.threshold}"))  # fmt: skip
    if ones > n or ones != round(ones):
        out.append(Finding(fit_name, None, "value", "model_fit", f"N_outcome {ones:g} cannot belong to a model of {n:g} units"))  # fmt: skip
    if dof + coef.height > n or n != round(n) or dof != round(dof):
        out.append(Finding(fit_name, None, "value", "model_fit", f"N {n:g} and residual_dof {dof:g} cannot belong to a model with {coef.height} published terms"))  # fmt: skip
    if entry.get("kind") == "logit":
        out += _levels(export, coef_name, coef, profile)
    return out


def _parts(term: str) -> tuple[str, ...] | None:
    """'sex: woman x age_group: <25' -> its levels; None for a numeric covariate's term."""
    parts = tuple(p.strip() for p in term.split(" x "))
    return parts if all(": " in p for p in parts) else None


def _levels(
    export: ExportFiles, coef_name: str, coef: pl.DataFrame, profile: Profile
) -> list[Finding]:
    """Persons with and without the outcome per level, bounded or estimated from B and SE."""
    b: dict[tuple[str, ...], float] = {}
    se: dict[tuple[str, ...], float] = {}
    lines: dict[tuple[str, ...], int] = {}
    for line, row in enumerate(coef.iter_rows(named=True), start=2):
        term = str(row["term"] or "").strip()
        key = () if term == INTERCEPT else _parts(term)
        beta, error = _number(str(row["B"] or "")), _number(str(row["SE"] or ""))
        if key is None or beta is None or error is None or error <= 0:
            continue
        b[key], se[key], lines[key] = beta, error, line
    t, out, unproven = profile.threshold, [], []
    for key, error in se.items():
        if not key or 1 / error**2 >= t:
            continue  # the intercept (the whole sample, checked by N_outcome), or proven
        subsets = [s for r in range(len(key) + 1) for s in combinations(key, r)]
        if any(s not in se for s in subsets):  # no intercept (fixed effects) or a merged term
            unproven.append(f"{' x '.join(key)} (at least {1 / error**2:.1f})")
            continue
        variance = sum((-1) ** (len(key) - len(s)) * se[s] ** 2 for s in subsets)
        rate = 1 / (1 + math.exp(-sum(b[s] for s in subsets)))
        if variance <= 0:
            unproven.append(f"{' x '.join(key)} (at least {1 / error**2:.1f})")
            continue
        estimate = 1 / (variance * max(rate, 1 - rate))
        if estimate < t:
            out.append(Finding(coef_name, lines[key], "SE", "model_level_small", f"term {' x '.join(key)!r}: B and SE tell about {estimate:.0f} persons {'with' if rate < 0.5 else 'without'} the outcome in this level (the persons of the level and its rate follow from the published SE and B): fewer than {t}"))  # fmt: skip
        else:
            unproven.append(f"{' x '.join(key)} (about {estimate:.0f})")
    if unproven:
        export.notes.append(
            f"{coef_name}: persons per outcome value not proven from SE (<= 1/sqrt({t})) for "
            + "; ".join(unproven)
            + " (the fewer of with and without the outcome, from B and SE)"
        )
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
