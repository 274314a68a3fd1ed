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

import itertools
import math
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.identifiers import (
    identifier_in_text,
    non_latin,
    number_in_name,
    organisation_in_name,
    organisation_in_text,
    small_number_in,
)
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding
from nbnb_cbs.durability.run import END_OUTCOMES
from nbnb_cbs.schemas import EXIT_DESTINATIONS

__all__ = ["level_counts", "models_pass"]

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
        if any(char.isdigit() for char in str(entry.get("name"))):
            # nbnb-cbs refuses digits in model names: glued to a word ('logit_wal6', red team
            # 23) a count escapes the log's number check.
            out.append(Finding("disclosure-log.json", None, "models.name", "number_in_text", f"model name {entry.get('name')!r} holds a digit: nbnb-cbs's model names are letters, '_' and '-'"))  # fmt: skip
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
    stats = {str(r["statistic"]): _number(str(r["value"] or "")) for r in fit.iter_rows(named=True)}
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
            value = _number(text)
            needed = column != "Exp(B)" or entry.get("kind") == "logit"
            if (text or needed) and (value is None or not math.isfinite(value)):
                # A blank or 'nan' SE hides nothing: |B| / z(p/2) gives it back (red team 18).
                out.append(Finding(coef_name, line, column, "not_a_number", f"{column} = {text!r} is not a number"))  # fmt: skip
        out += _term_syntax(coef_name, line, term, entry)
        out += _consistent(coef_name, line, row, str(entry.get("kind")), stats)
    terms = [str(t or "").strip() for t in coef["term"].to_list()]
    for line, term in enumerate(terms, start=2):
        parts = [p.strip() for p in term.split(" x ")]
        missing = [p for p in parts if len(parts) > 1 and p not in terms]
        if missing:  # nbnb-cbs writes every main effect of an interaction (red team 19)
            out.append(Finding(coef_name, line, "term", "model_term", f"interaction {term!r} without its main effect {missing[0]!r}: its cell's persons would be read from B and SE with no check"))  # fmt: skip
        if terms.index(term) != line - 2:
            out.append(Finding(coef_name, line, "term", "duplicate_term", f"term {term!r} appears more than once"))  # fmt: skip
    out += _logged_levels(coef_name, entry, terms)
    if INTERCEPT not in terms and entry.get("fixed_effects") is not True:
        out.append(Finding(coef_name, None, "term", "model_intercept", "a model without project fixed effects publishes its intercept: without it the levels' persons cannot be checked from B and SE"))  # fmt: skip
    sample, excluded = entry.get("sample_destinations"), entry.get("excluded_destinations")
    if not (
        isinstance(sample, list)
        and isinstance(excluded, list)
        and len(set(map(str, sample))) == len(sample)
        and set(map(str, excluded)) <= set(EXIT_DESTINATIONS)
        and set(map(str, sample)) == set(EXIT_DESTINATIONS) - set(map(str, excluded))
    ):
        # The audit counts a model's N over its sample_destinations; nbnb-cbs writes them as the
        # destinations less those excluded, each once (red team 51: a sample said to leave out
        # 'other' beside excluded_destinations = [] read 7 dropouts from two models).
        out.append(Finding("disclosure-log.json", None, "models.sample_destinations", "model_sample", f"model {entry.get('name')!r}: sample_destinations {sample!r} are not the exit destinations less excluded_destinations {excluded!r}, each once: the model's N cannot be audited with the release"))  # fmt: skip
    if entry.get("outcome") not in END_OUTCOMES:
        out.append(Finding("disclosure-log.json", None, "models.outcome", "model_outcome", f"outcome {entry.get('outcome')!r} is not one nbnb-cbs models ({', '.join(END_OUTCOMES)}): its count cannot be audited with the tables"))  # fmt: skip
    if entry.get("kind") not in ("logit", "lpm"):
        out.append(Finding("disclosure-log.json", None, "models.kind", "model_kind", f"model kind {entry.get('kind')!r} is not logit or lpm"))  # fmt: skip
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
    kind = str(entry.get("kind"))
    if kind == "lpm" and entry.get("fixed_effects") is not True:  # FE: k unpublished
        from_r2, from_aic = _ssr(stats, coef.height)
        if from_r2 and from_aic and abs(from_r2 - from_aic) > 0.01 * from_r2 + 0.05:
            out.append(Finding(fit_name, None, "value", "model_fit", f"the AIC ({stats.get('aic')}) does not belong to a linear model with this R2, N and N_outcome (residual sum of squares {from_aic:.2f} against {from_r2:.2f})"))  # fmt: skip
    if kind == "logit" and entry.get("fixed_effects") is not True:  # FE: k unpublished
        # A linear model logged as a logit would pass the logit's bound on its far smaller SEs.
        from_r2, from_aic, slack = _logit_llf(stats, coef.height)
        if from_r2 is not None and from_aic is not None and abs(from_r2 - from_aic) > slack:
            out.append(Finding(fit_name, None, "value", "model_fit", f"the AIC ({stats.get('aic')}) and pseudo_r2 ({stats.get('pseudo_r2')}) do not belong to a logit with this N and N_outcome (log-likelihood {from_aic:.2f} from the AIC against {from_r2:.2f} from pseudo_r2): is the model logged as a logit a logit?"))  # fmt: skip
    if kind in ("logit", "lpm"):
        out += _levels(export, coef_name, coef, kind, stats, profile)
        # Whatever the log says of fixed effects: a published intercept makes the combinations
        # solvable (steward check 58b: "fixed_effects: true" in the log switched this off).
        out += _cross_cells(coef_name, coef, entry, kind, stats, profile)
    return out


def _cross_cells(
    coef_name: str,
    coef: pl.DataFrame,
    entry: dict[str, Any],
    kind: str,
    stats: dict[str, float | None],
    profile: Profile,
) -> list[Finding]:
    """The persons in every combination of the covariates' levels, solved from B, SE, N and
    N_outcome as an attacker would, where they are a model's only unknowns (steward check 58:
    planted main-effects logits on sex and age group, with a combination of 7 persons and a
    level of 9 in work, passed as levels 'about 12' and 'about 16').

    With B the rate of each combination is known; the persons in them, n, then give N (their
    sum), N_outcome (their rates' sum: the intercept's score) and each SE (the diagonal of the
    inverse information, sum of n p (1 - p) x x' for a logit, or the residual variance times
    the inverse of sum of n x x' for a linear model). Where those equations are at least as
    many as the combinations they are solved from several starts; any table of whole persons
    that gives every published SE to its 4 decimals is one the attacker finds, and a
    combination of fewer than the threshold in it, or a level with fewer than the threshold
    persons with or without the outcome, is a finding."""
    found = [_term_key(str(t or "")) for t in coef["term"].to_list()]
    keys = [k for k in found if k is not None]
    if len(keys) < len(found) or () not in keys:
        return []  # a numeric covariate's row, or no intercept: not a categorical model's cells
    b = np.array([_number(str(v or "")) or 0.0 for v in coef["B"].to_list()])
    se = np.array([_number(str(v or "")) or 0.0 for v in coef["SE"].to_list()])
    n_units, ones = stats.get("N"), stats.get("N_outcome")
    if not n_units or ones is None or not (se > 0).all():
        return []
    levels = _all_levels(keys, entry)
    if levels is None or len(levels) < 2:
        return []  # one covariate: its levels are read exactly elsewhere (level_counts)
    cells = list(itertools.product(*levels.values()))
    if len(cells) > len(keys) + 2 or len(cells) > 64:
        return []  # more combinations than equations: B and SE do not pin them one by one
    design = np.array(
        [
            [float(all(p in _cell_parts(levels, cell) for p in key)) for key in keys]
            for cell in cells
        ]
    )
    linear = design @ b
    if kind == "logit":
        rate = 1 / (1 + np.exp(-linear))
        weight = rate * (1 - rate)
    else:
        scale = _residual_variance(kind, stats, coef.height)
        if not scale:
            return []
        rate, weight = linear, np.full(len(cells), 1 / scale)
    t = profile.threshold
    out: list[Finding] = []
    names = list(levels)
    for solved in _solve_cells(design, rate, weight, se, float(n_units), float(ones)):
        table = ", ".join(f"{v:.0f}" for v in solved)
        said = f"(a table of whole persons per combination, {table}, gives every published SE)"
        for cell, persons in zip(cells, solved, strict=True):
            if 0 < persons < t:
                label = " x ".join(f"{c}: {v}" for c, v in zip(names, cell, strict=True))
                out.append(Finding(coef_name, None, "SE", "model_level_small", f"B, SE, N and N_outcome give {persons:.0f} persons in the combination {label!r} {said}: fewer than {t}"))  # fmt: skip
        for covariate, values in levels.items():
            at = names.index(covariate)
            for value in values:
                mask = np.array([cell[at] == value for cell in cells])
                with_ = float((solved * rate)[mask].sum())
                without = float(solved[mask].sum()) - with_
                fewer = min(with_, without)
                if 0.5 <= fewer < t - 0.5:
                    out.append(Finding(coef_name, None, "SE", "model_level_small", f"B, SE, N and N_outcome give {fewer:.0f} persons {'with' if with_ <= without else 'without'} the outcome in level '{covariate}: {value}' {said}: fewer than {t}"))  # fmt: skip
    return out


def _term_key(term: str) -> tuple[str, ...] | None:
    term = term.strip()
    return () if term == INTERCEPT else _parts(term)


def _all_levels(keys: list[tuple[str, ...]], entry: dict[str, Any]) -> dict[str, list[str]] | None:
    """Each covariate's levels, its reference first: the levels with a term, and the one level
    the log lists without one (the log's reference_levels where its list does not say)."""
    per = _levels_with_terms(keys)
    logged = entry.get("levels")
    listed = [
        str(item.get("level")).partition(": ")
        for item in (logged if isinstance(logged, list) else [])
        if isinstance(item, dict) and " x " not in str(item.get("level"))
    ]
    said = entry.get("reference_levels")
    said = said if isinstance(said, dict) else {}
    for covariate, values in per.items():
        without = [lv for name, _, lv in listed if name == covariate and lv not in values]
        if len(without) == 1:
            values.insert(0, without[0])
        elif isinstance(said.get(covariate), str) and said[covariate] not in values:
            values.insert(0, said[covariate])
        else:
            return None
    return per


def _levels_with_terms(keys: Iterable[tuple[str, ...]]) -> dict[str, list[str]]:
    """Each covariate's levels that have a term (``covariate: level`` parts of the terms'
    keys), in the order they come."""
    per: dict[str, list[str]] = {}
    for key in keys:
        for part in key:
            covariate, _, level = part.partition(": ")
            per.setdefault(covariate, [])
            if level not in per[covariate]:
                per[covariate].append(level)
    return per


def _cell_parts(levels: dict[str, list[str]], cell: tuple[str, ...]) -> set[str]:
    return {f"{c}: {v}" for c, v in zip(levels, cell, strict=True)}


def _solve_cells(
    design: np.ndarray,
    rate: np.ndarray,
    weight: np.ndarray,
    se: np.ndarray,
    n_units: float,
    ones: float,
) -> list[np.ndarray]:
    """Tables of whole persons per combination that give N, N_outcome and every SE (to its 4
    decimals), found from several starts. The equations can have several real solutions (a
    planted model had one of whole persons and one of fractions): an attacker keeps the whole."""
    from scipy.optimize import least_squares  # noqa: PLC0415

    cells = design.shape[0]

    def residuals(persons: np.ndarray) -> np.ndarray:
        info = (design * (persons * weight)[:, None]).T @ design
        try:
            variance = np.diag(np.linalg.inv(info))
        except np.linalg.LinAlgError:
            return np.full(2 + se.size, 1e3)
        fitted = np.sqrt(np.clip(variance, 0, None))
        return np.concatenate(
            [[persons.sum() - n_units, persons @ rate - ones], (fitted - se) / 5e-5]
        )

    def fits(persons: np.ndarray) -> bool:
        r = residuals(persons)
        return bool(abs(r[0]) < 0.5 and abs(r[1]) < 0.5 and (np.abs(r[2:]) <= 1.2).all())

    rng = np.random.default_rng(58)
    starts = [np.full(cells, n_units / cells)]
    starts += [rng.dirichlet(np.ones(cells)) * n_units for _ in range(30)]
    found: dict[tuple[int, ...], np.ndarray] = {}
    for start in starts:
        try:
            fit = least_squares(residuals, start, bounds=(1e-6, n_units), xtol=1e-12, ftol=1e-12)
        except (ValueError, np.linalg.LinAlgError):
            continue
        whole = np.round(fit.x)
        if fits(fit.x) and fits(whole) and whole.sum() == n_units:
            found.setdefault(tuple(int(v) for v in whole), whole)
    return list(found.values())


def _consistent(
    coef_name: str, line: int, row: dict[str, Any], kind: str, stats: dict[str, float | None]
) -> list[Finding]:
    """Exp(B) and p are what B and SE give (within their 4 decimals): a logit's Exp(B) is
    exp(B), a linear model has none, p is the two-sided test of B / SE (normal for a logit,
    t with the residual degrees of freedom for a linear model). Otherwise they carry something
    else - the true SE behind a shrunken one (red team 23), or a count."""
    from scipy import stats as st  # noqa: PLC0415

    b, se = _number(str(row["B"] or "")), _number(str(row["SE"] or ""))
    if b is None or se is None or not (math.isfinite(b) and math.isfinite(se)) or se < 0:
        return []  # reported as not_a_number
    out = []
    exp_text = str(row["Exp(B)"] or "").strip()
    if kind == "lpm" and exp_text:
        out.append(Finding(coef_name, line, "Exp(B)", "model_inconsistent", f"Exp(B) = {exp_text!r} in a linear probability model, which has none (nbnb-cbs leaves it blank)"))  # fmt: skip
    elif kind == "logit" and (value := _number(exp_text)) is not None and b < 700:
        low, high = math.exp(b - 5e-5) - 5e-5, math.exp(b + 5e-5) + 5e-5
        if not low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
            out.append(Finding(coef_name, line, "Exp(B)", "model_inconsistent", f"Exp(B) = {exp_text} is not exp(B) for B = {row['B']}"))  # fmt: skip
    units = stats.get("N")
    term = str(row["term"] or "").strip()
    # A 0/1 term's information in a logit is at most a quarter of its units, so its SE is at
    # least 2 / sqrt(N). A linear model's SEs are far smaller: logged as a logit, with a fit table
    # invented to match (red team 23), it is told apart here.
    dummy = term == INTERCEPT or _parts(term) is not None
    if kind == "logit" and units and dummy and se + 5e-5 < 2 / math.sqrt(units):
        out.append(Finding(coef_name, line, "SE", "model_inconsistent", f"SE = {row['SE']} is below 2/sqrt(N) = {2 / math.sqrt(units):.4f}, the least a logit of N = {units:g} units can have for a 0/1 term: is the model logged as a logit a logit?"))  # fmt: skip
    p = _number(str(row["p"] or ""))
    if p is None or kind not in ("logit", "lpm"):
        return out
    df = stats.get("residual_dof")

    def two_sided(z: float) -> float:
        if kind == "lpm" and df:
            return float(2 * st.t.sf(z, df))
        return float(2 * st.norm.sf(z))

    if se == 0:
        return out
    # |B| / SE over the corners of their rounding: p lies between the p's of the extremes.
    high_z = (abs(b) + 5e-5) / max(se - 5e-5, 1e-12)
    low_z = max(abs(b) - 5e-5, 0.0) / (se + 5e-5)
    if not two_sided(high_z) - 5e-5 - 1e-9 <= p <= two_sided(low_z) + 5e-5 + 1e-9:
        out.append(Finding(coef_name, line, "p", "model_inconsistent", f"p = {row['p']} is not the test of B / SE ({row['B']} / {row['SE']}): p would tell another SE"))  # fmt: skip
    return out


def _logged_levels(coef_name: str, entry: dict[str, Any], terms: list[str]) -> list[Finding]:
    """The log lists every level the terms name (and each reference level), as nbnb-cbs logs
    them: the joint audit counts a model's persons per level from that list, and a model whose
    levels were left out of it would be audited as if it gave none (two models' persons per
    level differenced to 3 women in work, red team 30's check)."""
    named = {p for t in terms if (parts := _parts(t)) for p in parts}
    with_term = set(named)
    references = entry.get("reference_levels")
    if isinstance(references, dict):
        categorical = {p.partition(": ")[0] for p in named}
        named |= {f"{c}: {level}" for c, level in references.items() if c in categorical}
    if not named:
        return []
    logged = entry.get("levels")
    labels = {
        str(item.get("level"))
        for item in (logged if isinstance(logged, list) else [])
        if isinstance(item, dict)
    }
    for item in logged if isinstance(logged, list) else []:
        if not isinstance(item, dict):
            continue
        named_in = {p.partition(": ")[0].strip() for p in str(item.get("level")).split(" x ")}
        holds = item.get("holds")
        if not isinstance(holds, dict) or set(map(str, holds)) != named_in:
            # The release model sets a level's persons by what it holds (red team 50: levels
            # 'sex: woman' holding 'gender' values were audited as another variable's).
            return [Finding("disclosure-log.json", None, "models.levels", "model_levels", f"model {entry.get('name')!r}: level {item.get('level')!r} holds values of {sorted(map(str, holds)) if isinstance(holds, dict) else holds!r}, not of the covariates its label names ({', '.join(sorted(named_in))}): its persons cannot be audited with the release")]  # fmt: skip
    missing = sorted(named - labels)
    if missing:
        return [Finding("disclosure-log.json", None, "models.levels", "model_levels", f"model {entry.get('name')!r}: the log does not list level {missing[0]!r} of its terms ({len(missing)} missing): the model's persons per level cannot be audited with the release")]  # fmt: skip
    # Each categorical covariate's reference: the one level the log lists without a term, and
    # the log's reference_levels says so (red team 46: a log with no reference levels and the
    # reference left out of its list was audited as if the model gave no level's persons).
    out = []
    for covariate in sorted({p.partition(": ")[0] for p in with_term}):
        bare = sorted(lv for lv in labels if " x " not in lv
                      and lv.partition(": ")[0] == covariate and lv not in with_term)  # fmt: skip
        said = references.get(covariate) if isinstance(references, dict) else None
        if len(bare) != 1 or bare[0] != f"{covariate}: {said}":
            out.append(Finding("disclosure-log.json", None, "models.reference_levels", "model_levels", f"model {entry.get('name')!r}: covariate {covariate!r} needs one reference level, listed among its levels without a term and named in reference_levels (the log lists {len(bare)} such level(s); reference_levels says {said!r}): the model's persons per level cannot be audited with the release"))  # fmt: skip
    return out


def _term_syntax(coef_name: str, line: int, term: str, entry: dict[str, Any]) -> list[Finding]:
    """A term as nbnb-cbs writes it: '(intercept)', a numeric covariate's name, 'covariate:
    level', or such parts joined by ' x ', each covariate one the log names; in Latin letters."""
    covariates = [str(c) for c in entry.get("covariates") or []]
    out = []
    if term != INTERCEPT:
        for part in term.split(" x "):
            covariate, colon, level = part.partition(": ")
            known = covariate in covariates and (bool(colon) == bool(level.strip()))
            if not known or part != part.strip():
                out.append(Finding(coef_name, line, "term", "model_term", f"term {term!r} is not written as nbnb-cbs writes terms ('covariate: level' of a covariate the log names, or such parts joined by ' x '): its level cannot be checked"))  # fmt: skip
                break
    for covariate in covariates:
        if organisation_in_name(covariate):
            out.append(Finding(coef_name, line, "term", "project_term", f"covariate {covariate!r} names projects or organisations: no results per project"))  # fmt: skip
    if small := small_number_in(term.replace(" x ", " "), 10) or number_in_name(term):
        out.append(Finding(coef_name, line, "term", "number_in_label", f"term {term!r} holds {small}: a count written into a term"))  # fmt: skip
    if foreign := non_latin(term):
        out.append(Finding(coef_name, line, "term", "non_latin_letter", f"term {term!r} holds {foreign}: a name spelled to escape the checks"))  # fmt: skip
    return out


def _parts(term: str) -> tuple[str, ...] | None:
    """'sex: woman x age_group: <25' -> its levels; None for a numeric covariate's term."""
    parts = tuple(p.strip() for p in term.split(" x "))
    return parts if all(": " in p for p in parts) else None


def _ssr(stats: dict[str, float | None], terms: int) -> tuple[float | None, float | None]:
    """A linear probability model's residual sum of squares twice: from R2 (published as
    pseudo_r2) with N and N_outcome (a 0/1 outcome's total sum of squares is N p (1 - p)), and
    from the AIC (-2 llf + 2 k, llf = -N/2 (log(2 pi SSR / N) + 1))."""
    n, ones, r2, aic = (stats.get(k) for k in ("N", "N_outcome", "pseudo_r2", "aic"))
    from_r2 = (
        (1 - r2) * ones * (n - ones) / n if n and ones is not None and r2 is not None else None
    )
    from_aic = None
    if n and aic is not None:
        llf = -(aic - 2 * terms) / 2
        from_aic = n * math.exp(-2 * llf / n - math.log(2 * math.pi) - 1)
    return from_r2, from_aic


def _logit_llf(
    stats: dict[str, float | None], terms: int
) -> tuple[float | None, float | None, float]:
    """A logit's log-likelihood twice: from its pseudo_r2 (McFadden's, 1 - llf / llnull, with
    llnull the intercept-only model's, which N and N_outcome give) and from its AIC (-2 llf +
    2 k); and how far apart the published decimals (4 and 2) let them be."""
    n, ones, r2, aic = (stats.get(k) for k in ("N", "N_outcome", "pseudo_r2", "aic"))
    if not n or ones is None or not 0 < ones < n or r2 is None or aic is None:
        return None, None, 0.0
    rate = ones / n
    llnull = ones * math.log(rate) + (n - ones) * math.log(1 - rate)
    slack = 0.5e-4 * abs(llnull) * 1.01 + 0.01
    return (1 - r2) * llnull, -(aic - 2 * terms) / 2, slack


def _residual_variance(kind: str, stats: dict[str, float | None], terms: int) -> float | None:
    """A linear model's residual variance (statsmodels' scale, SSR / residual dof): from R2, N
    and N_outcome (an AIC can be doctored, red team 19; the models pass compares the two)."""
    dof = stats.get("residual_dof")
    if kind != "lpm" or not dof:
        return None
    from_r2, from_aic = _ssr(stats, terms)
    ssr = from_r2 if from_r2 is not None else from_aic
    return None if ssr is None else ssr / dof


def level_estimates(
    coef: pl.DataFrame, kind: str, stats: dict[str, float | None], threshold: int
) -> tuple[list[tuple[int | None, str, float, bool]], list[str]]:
    """Per covariate level (and interaction cell) of a logit or linear probability model, the
    fewer of its persons with and without the outcome, as B and SE give them away.

    Returns the levels estimated below ``threshold`` (line in the file, term, estimate, whether
    the fewer are those with the outcome) and a note per level neither proven nor estimated
    below it. B and SE are published to 4 decimals: a cell of exactly ``threshold`` persons
    may be estimated a hair below it, so an estimate counts as small below ``threshold - 0.5``.
    """
    b: dict[tuple[str, ...], float] = {}
    se: dict[tuple[str, ...], float] = {}
    lines: dict[tuple[str, ...], int] = {}
    for line, row in enumerate(coef.iter_rows(named=True), start=2):
        term = str(row["term"] or "").strip()
        key = () if term == INTERCEPT else _parts(term)
        beta, error = _number(str(row["B"] or "")), _number(str(row["SE"] or ""))
        if key is None or beta is None or error is None or not error > 0:
            continue
        b[key], se[key], lines[key] = beta, error, line
    scale = _residual_variance(kind, stats, coef.height)
    small: list[tuple[int | None, str, float, bool]] = []
    unproven: list[str] = []
    terms = [str(t or "").strip() for t in coef["term"].to_list()]
    # With a numeric covariate the intercept and every level's B are at that number's zero (a
    # birth year of 0, an age of 0): the cells' rates and variances cannot be read from them, and
    # reading them so failed legitimate sex*age models (red team 19). Only the bound remains.
    extra = sum(t != INTERCEPT and _parts(t) is None for t in terms)  # numeric rows
    numeric = extra > 0
    # A linear model's residual variance as if its numeric rows were not there (their degrees of
    # freedom given back) and as published: an invented numeric row leaves the former exact.
    scales = _scale_ranges(kind, stats, coef.height, extra) if numeric else []
    weak = any(1 / (error + 5e-5) ** 2 < threshold for key, error in se.items() if key)
    if INTERCEPT not in terms and kind == "logit" and not numeric and weak:
        # Fixed effects keep the intercept back. If the levels' numbers are a categorical
        # model's all the same (no effects were fitted: red team 23, cases 05-07), one reference
        # cell of whole persons makes every level's whole too; an attacker can search for it.
        found = _reference_cells(b, se, stats)
        if found:
            for key, (ones, others) in found.items():
                name = (
                    " x ".join(key) if key else f"{INTERCEPT} (the reference levels, unpublished)"
                )
                if min(ones, others) < threshold:
                    small.append((lines.get(key), name, float(min(ones, others)), ones <= others))
            if small:
                return small, unproven
    for key, error in se.items():
        # The intercept is the reference levels' cell (red team 23: a small group made the
        # reference was read from it). The bound below holds for levels only: the intercept's
        # information is the whole sample's.
        bound = 1 / (error + 5e-5) ** 2  # min(with, without) for a logit (see the module)
        if kind == "logit" and bound >= threshold and key:
            continue
        name = " x ".join(key) if key else f"{INTERCEPT} (the reference levels)"
        subsets = [s for r in range(len(key) + 1) for s in combinations(key, r)]
        variance = (
            sum((-1) ** (len(key) - len(s)) * se[s] ** 2 for s in subsets)
            if all(s in se for s in subsets)
            else 0.0
        )
        if numeric and variance > 0 and (exact := _whole_cell(b, se, subsets, kind, scales)):
            # The numbers are a categorical model's, exactly: a numeric row beside them changes
            # nothing (red team 23, case 04b: one invented row switched the estimates off).
            if min(exact) < threshold:
                small.append((lines[key], name, float(min(exact)), exact[0] <= exact[1]))
            else:
                unproven.append(f"{name} (exactly {exact[0]} with and {exact[1]} without)")
            # The rest of the sample is N and N_outcome less the cell (red team 27: a number
            # with two values made the intercept the larger group's cell; the smaller followed).
            units, outcome = stats.get("N"), stats.get("N_outcome")
            if units is not None and outcome is not None:
                rest = (outcome - exact[0], units - outcome - exact[1])
                if any(0 < side < threshold for side in rest):
                    fewer = min(side for side in rest if side > 0)
                    label = f"the sample beside {name}"
                    small.append((lines[key], label, float(fewer), rest[0] == fewer))
            continue
        if numeric or variance <= 0 or (kind == "lpm" and scale is None):
            # No intercept (fixed effects) or a merged term: only the logit's bound is known.
            unproven.append(f"{name} (at least {bound:.1f})" if kind == "logit" else name)
            continue
        linear = sum(b[s] for s in subsets)
        if kind == "logit":
            rate = 1 / (1 + math.exp(-linear))
            estimate = 1 / (variance * max(rate, 1 - rate))
        else:  # a linear probability model: variance = scale / persons in the cell
            rate = min(max(linear, 0.0), 1.0)
            estimate = (scale or 0.0) / variance * min(rate, 1 - rate)
        if estimate < threshold - 0.5:
            small.append((lines[key], name, estimate, rate < 0.5))
        else:
            unproven.append(f"{name} (about {estimate:.0f})")
    return small, unproven


def _scale_ranges(
    kind: str, stats: dict[str, float | None], terms: int, extra: int
) -> list[tuple[float, float]]:
    """A linear model's residual variance, low and high over the decimals of R2 (or the AIC),
    as if its ``extra`` numeric rows were not there (their degrees of freedom given back) and as
    published: an invented numeric row leaves the former exact."""
    dof = stats.get("residual_dof")
    if kind != "lpm" or not dof:
        return []
    n, ones, r2 = stats.get("N") or 0.0, stats.get("N_outcome"), stats.get("pseudo_r2")
    from_r2, from_aic = _ssr(stats, terms)
    if from_r2 is not None and ones is not None and r2 is not None:
        wiggle = 5e-5 * ones * (n - ones) / n
        ssr = (from_r2 - wiggle, from_r2 + wiggle)
    elif from_aic is not None:
        ssr = (from_aic * math.exp(-0.01 / n), from_aic * math.exp(0.01 / n))
    else:
        return []
    return [(ssr[0] / (dof + k), ssr[1] / (dof + k)) for k in (extra, 0)]


def _whole_cell(
    b: dict[tuple[str, ...], float],
    se: dict[tuple[str, ...], float],
    subsets: list[tuple[str, ...]],
    kind: str,
    scales: list[tuple[float, float]],
) -> tuple[int, int] | None:
    """Persons with and without the outcome of a cell, when B and SE (4 decimals) are exactly
    those of a categorical model's cell of whole persons: in a logit the cell's variance is
    1 / (with x without / persons) and its rate with / persons, in a linear model the variance
    is the residual variance / persons. Each count is worked out over the corners of the
    published decimals; None unless one pair of whole numbers fits them all (``_one_pair``; a
    model with a real numeric covariate does not give whole persons: its intercept is at the
    number's zero)."""
    if not all(s in se and s in b for s in subsets):
        return None
    half = 5e-5 * len(subsets)
    linear = sum(b[s] for s in subsets)
    signs = [(-1) ** (len(subsets[-1]) - len(s)) for s in subsets]
    low = sum(
        sg * (se[s] + (-5e-5 if sg > 0 else 5e-5)) ** 2
        for sg, s in zip(signs, subsets, strict=True)
    )
    high = sum(
        sg * (se[s] + (5e-5 if sg > 0 else -5e-5)) ** 2
        for sg, s in zip(signs, subsets, strict=True)
    )
    if low <= 0 or abs(linear) > 30:
        return None
    if kind == "logit":
        rate = (1 / (1 + math.exp(-(linear - half))), 1 / (1 + math.exp(-(linear + half))))
        # with = 1 / (variance (1 - rate)), without = 1 / (variance rate)
        ranges = [
            (1 / (high * (1 - rate[0])), 1 / (low * (1 - rate[1]))),
            (1 / (high * rate[1]), 1 / (low * rate[0])),
        ]
        return _one_pair(ranges, rate, (1 / high, 1 / low))
    rate = (linear - half, linear + half)
    if not (rate[0] > 0 and rate[1] < 1):
        return None
    for scale in scales:  # persons = scale / variance; with = persons x rate
        persons = (scale[0] / high, scale[1] / low)
        ranges = [
            (persons[0] * rate[0], persons[1] * rate[1]),
            (persons[0] * (1 - rate[1]), persons[1] * (1 - rate[0])),
        ]
        if found := _one_pair(ranges, rate, None, persons):
            return found
    return None


def _one_pair(
    ranges: list[tuple[float, float]],
    rate: tuple[float, float],
    information: tuple[float, float] | None,
    persons: tuple[float, float] | None = None,
) -> tuple[int, int] | None:
    """The one pair of whole numbers (with, without) inside ``ranges`` whose rate, persons and
    (a logit's) information with x without / persons lie in their ranges too; None if there is
    no such pair or more than one (the decimals then leave the cell open)."""

    def whole(low: float, high: float) -> range:
        first = max(1, math.ceil(low * (1 - 1e-6) - 1e-6))
        return range(first, math.floor(high * (1 + 1e-6) + 1e-6) + 1)

    withs, withouts = whole(*ranges[0]), whole(*ranges[1])
    if len(withs) * len(withouts) > 2_500:
        return None  # too wide to tell
    found = []
    for w in withs:
        for wo in withouts:
            n = w + wo
            if not rate[0] - 1e-9 <= w / n <= rate[1] + 1e-9:
                continue
            if persons is not None and not persons[0] - 1e-6 <= n <= persons[1] + 1e-6:
                continue
            if information is not None:
                info = w * wo / n
                if not information[0] * (1 - 1e-6) <= info <= information[1] * (1 + 1e-6):
                    continue
            found.append((w, wo))
    return found[0] if len(found) == 1 else None


def _reference_cells(
    b: dict[tuple[str, ...], float],
    se: dict[tuple[str, ...], float],
    stats: dict[str, float | None],
) -> dict[tuple[str, ...], tuple[int, int]]:
    """A logit without its intercept: the reference cells (persons with and without the
    outcome, at most N in all) for which every level's B and SE are those of a categorical
    model's cell of whole persons. Of those, the ones whose cells add up to N and N_outcome (a
    saturated model's do) if any; returned are the cells every such candidate agrees on (an
    attacker knows them without knowing which candidate is true). With one level beside the
    reference, only candidates whose two cells add up to N and N_outcome are kept (one level
    alone leaves too many; red team 46 read a sex-only model logged with fixed effects so).
    (Searched only where a level is not proven large by its SE: the search takes seconds at
    N = 5,000.)"""
    units = stats.get("N") or 0.0
    keys = [k for k in se if k and all(s in se for s in _subsets(k) if s)]
    if not keys or not 2 <= units <= 20_000:
        return {}
    if len(keys) == 1 and stats.get("N_outcome") is None:
        return {}
    candidates: list[tuple[int, int]] = []
    for persons in range(2, int(units) + 1):
        ones = np.arange(1, persons, dtype=np.float64)
        # The candidate reference cell's variance and log-odds, exactly (no decimals).
        variance, odds = persons / (ones * (persons - ones)), np.log(ones / (persons - ones))
        alive = np.ones(ones.size, dtype=bool)
        for key in keys:
            whole = _whole_cells(b, se, key, variance[alive], odds[alive])
            if whole is None:
                alive[:] = False
                break
            alive[alive] = whole[0] > 0
            if len(keys) == 1:  # the level is the rest of the sample
                kept = np.flatnonzero(alive)
                level_ones, level_others = whole[0][whole[0] > 0], whole[1][whole[0] > 0]
                all_ones = float(stats.get("N_outcome") or 0.0)
                alive[kept] = (ones[kept] + level_ones == all_ones) & (
                    persons + level_ones + level_others == units
                )
        candidates += [(int(k), persons - int(k)) for k in ones[alive]]
        if len(candidates) > 100:
            return {}
    readings = []
    for with_, without in candidates:
        variance = np.array([(with_ + without) / (with_ * without)])
        odds = np.array([math.log(with_ / without)])
        cells: dict[tuple[str, ...], tuple[int, int]] = {(): (with_, without)}
        for key in keys:
            whole = _whole_cells(b, se, key, variance, odds)
            if whole is not None:
                cells[key] = (int(whole[0][0]), int(whole[1][0]))
        readings.append(cells)
    ones_total = stats.get("N_outcome")
    adding_up = [
        cells
        for cells in readings
        if sum(w + wo for w, wo in cells.values()) == units
        and (ones_total is None or sum(w for w, _ in cells.values()) == ones_total)
    ]
    readings = adding_up or readings
    if not readings:
        return {}
    return {
        key: cell
        for key, cell in readings[0].items()
        if all(other.get(key) == cell for other in readings[1:])
    }


def _subsets(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [s for r in range(len(key) + 1) for s in combinations(key, r)]


def _whole_cells(
    b: dict[tuple[str, ...], float],
    se: dict[tuple[str, ...], float],
    key: tuple[str, ...],
    variance: np.ndarray,
    odds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``_whole_cell`` of a logit's ``key`` for many candidate reference cells at once (their
    variance and log-odds, exact): per candidate, the cell's whole persons with and without the
    outcome, 0 where they are not whole; None where no candidate gives whole persons."""
    others = [s for s in _subsets(key) if s]
    sign = (-1) ** len(key)  # the reference cell's sign in the inclusion-exclusion
    low = sign * variance + sum(
        sg * (se[s] - sg * 5e-5) ** 2 for s in others for sg in [(-1) ** (len(key) - len(s))]
    )
    high = sign * variance + sum(
        sg * (se[s] + sg * 5e-5) ** 2 for s in others for sg in [(-1) ** (len(key) - len(s))]
    )
    half = 5e-5 * len(others)
    linear = odds + sum(b[s] for s in others)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_low, rate_high = 1 / (1 + np.exp(-(linear - half))), 1 / (1 + np.exp(-(linear + half)))
        ranges = [
            (1 / (high * (1 - rate_low)), 1 / (low * (1 - rate_high))),
            (1 / (high * rate_high), 1 / (low * rate_low)),
        ]
        whole = []
        for bottom, top in ranges:
            first = np.ceil(bottom * (1 - 1e-6) - 1e-6)
            top_ = top * (1 + 1e-6) + 1e-6
            ok = (low > 0) & (first >= 1) & (first <= top_) & (first + 1 > top_)
            whole.append(np.where(ok, first, 0.0))
    if not (whole[0] > 0).any() or not ((whole[0] > 0) & (whole[1] > 0)).any():
        return None
    both = (whole[0] > 0) & (whole[1] > 0)
    return np.where(both, whole[0], 0.0), np.where(both, whole[1], 0.0)


def _levels(
    export: ExportFiles,
    coef_name: str,
    coef: pl.DataFrame,
    kind: str,
    stats: dict[str, float | None],
    profile: Profile,
) -> list[Finding]:
    """Persons with and without the outcome per level, bounded or estimated from B and SE."""
    t = profile.threshold
    small, unproven = level_estimates(coef, kind, stats, t)
    out = []
    for line, term, estimate, ones in small:
        out.append(Finding(coef_name, line, "SE", "model_level_small", f"term {term!r}: B and SE tell about {estimate:.0f} persons {'with' if ones else 'without'} the outcome in this level (the persons of the level and its rate follow from the published SE and B): fewer than {t}"))  # fmt: skip
    if unproven:
        export.notes.append(
            f"{coef_name}: persons per outcome value not proven from SE (<= 1/sqrt({t})) for "
            + "; ".join(unproven)
            + " (the fewer of with and without the outcome, from B and SE)"
        )
    return out


def level_counts(
    coef: pl.DataFrame,
    entry: dict[str, Any],
    levels: Sequence[tuple[str, Any, bool]],
    stats: dict[str, float | None] | None = None,
) -> dict[str, tuple[int, int]]:
    """Per level and interaction cell the log lists (``levels``: label, ...), its persons with
    and without the outcome, where B and SE give them as whole numbers: a logit (or a linear
    probability model, with its residual variance from ``stats``) on categorical covariates
    whose every cell has its terms (one covariate, or two with their interaction),
    each cell read by ``_whole_cell`` and a level the sum of its cells. Empty for any other
    model, or where a cell is not read exactly (the joint audit then leaves them unknown).

    Read from the published numbers, not from what the log says of them (red team 46: a log
    that marked a model as having fixed effects, or gave no reference levels, left two models'
    women in work to be differenced to 3): each covariate's reference is the level the log
    lists that has no term (the log's ``reference_levels`` only where the list does not say),
    and without an intercept the reference cell is searched for (``_reference_cells``, with
    the fit's ``stats``) as an attacker would."""
    kind = entry.get("kind")
    if kind not in ("logit", "lpm") or coef.columns != COEFFICIENTS:
        return {}
    # A linear probability model's cells: persons = residual variance / the cell's variance
    # (red team 50: a second, linear model beside the logit gave 3 women left out, 1 in work).
    scales = _scale_ranges("lpm", stats or {}, coef.height, 0) if kind == "lpm" else []
    if kind == "lpm" and not scales:
        return {}
    b: dict[tuple[str, ...], float] = {}
    se: dict[tuple[str, ...], float] = {}
    for row in coef.iter_rows(named=True):
        term = str(row["term"] or "").strip()
        key = () if term == INTERCEPT else _parts(term)
        beta, error = _number(str(row["B"] or "")), _number(str(row["SE"] or ""))
        if key is None or beta is None or error is None or not error > 0:
            return {}  # a numeric covariate's row, or a number that is none
        b[key], se[key] = beta, error
    per = _levels_with_terms(b)
    covariates = list(per)
    if not 1 <= len(covariates) <= 2:
        return {}
    listed = [str(label).partition(": ") for label, _, _ in levels if " x " not in str(label)]
    said = entry.get("reference_levels")
    said = said if isinstance(said, dict) else {}
    for c in covariates:
        without_term = [lv for name, _, lv in listed if name == c and lv not in per[c]]
        if len(without_term) == 1:
            reference = without_term[0]
        elif str(said.get(c)) in without_term:
            reference = str(said[c])
        else:
            return {}
        per[c].insert(0, reference)
    found: dict[tuple[str, ...], tuple[int, int]] = {}
    if () not in b:
        if kind != "logit":
            return {}
        found = _reference_cells(b, se, stats or {})
        if () not in found:
            return {}
    cells: dict[tuple[str, ...], tuple[int, int]] = {}
    for combo in itertools.product(*(per[c] for c in covariates)):
        key = tuple(
            f"{c}: {level}" for c, level in zip(covariates, combo, strict=True)
            if level != per[c][0]
        )  # fmt: skip
        subsets = _subsets(key)
        if not all(s in b or s == () for s in subsets):
            return {}  # not every cell has its terms: cells are not read one by one
        cell = found.get(key) if () not in b else _whole_cell(b, se, subsets, str(kind), scales)
        if cell is None:
            return {}
        cells[combo] = cell
    out: dict[str, tuple[int, int]] = {}
    for label, _, _ in levels:
        wanted = dict(part.partition(": ")[::2] for part in str(label).split(" x "))
        if not set(wanted) <= set(covariates):
            continue
        hit = [
            pair for combo, pair in cells.items()
            if all(combo[covariates.index(c)] == level for c, level in wanted.items())
        ]  # fmt: skip
        if hit:
            out[str(label)] = (sum(w for w, _ in hit), sum(o for _, o in hit))
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
