"""Estimation with statsmodels, and the study's helpers: VIF, the project ICC, AIC stepwise.

Logit: ``statsmodels.api.Logit(y, X).fit()`` (Newton, maximum likelihood); pseudo-R2 is
McFadden's. Linear probability model: ``statsmodels.api.OLS(y, X).fit()`` (classical standard
errors); its R2 is reported as pseudo_r2. Residual degrees of freedom: N minus the number of
estimated columns (fixed effects included).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.errors import DisclosureError
from nbnb_cbs.models.design import INTERCEPT, Design, Sample, build_design, dependent_term

__all__ = ["Fit", "backward_stepwise", "fit_design", "project_icc", "vif"]

_log = logging.getLogger(__name__)


@dataclass
class Fit:
    """Estimates for every column (fixed effects included) and the fit statistics."""

    kind: str
    terms: list[str]
    groups: list[str]
    params: np.ndarray
    se: np.ndarray
    p: np.ndarray
    n: int
    df_resid: int
    pseudo_r2: float
    aic: float
    fixed_effect_terms: set[str] = field(default_factory=set)
    # Records with the outcome: with an intercept (or fixed effects) the fitted values add up to
    # it, so the estimates give it away; the fit table says it, and the release model counts it.
    n_outcome: int = 0

    def coefficients(self, *, published: bool) -> pl.DataFrame:
        """term, B, SE, Exp(B), p; ``published`` leaves out the project fixed effects and,
        with them, the intercept (it is the reference project's level)."""
        frame = pl.DataFrame(
            {
                "term": self.terms,
                "B": self.params,
                "SE": self.se,
                "Exp(B)": np.exp(self.params) if self.kind == "logit" else [None] * len(self.terms),
                "p": self.p,
            },
            schema={
                "term": pl.String,
                "B": pl.Float64,
                "SE": pl.Float64,
                "Exp(B)": pl.Float64,
                "p": pl.Float64,
            },
        )
        if not published:
            return frame
        hidden = set(self.fixed_effect_terms)
        if self.fixed_effect_terms:
            hidden.add(INTERCEPT)
        return frame.filter(~pl.col("term").is_in(sorted(hidden)))

    def fit_table(self) -> pl.DataFrame:
        """The one place the published N and residual degrees of freedom live."""
        return pl.DataFrame(
            {
                "statistic": ["N", "N_outcome", "residual_dof", "pseudo_r2", "aic"],
                "value": [
                    float(self.n),
                    float(self.n_outcome),
                    float(self.df_resid),
                    self.pseudo_r2,
                    self.aic,
                ],
            }
        )


def _estimators() -> tuple[Any, Any]:
    # Slow to import; only models need them (statsmodels.api would import far more).
    from statsmodels.discrete.discrete_model import Logit  # noqa: PLC0415
    from statsmodels.regression.linear_model import OLS  # noqa: PLC0415

    return Logit, OLS


def fit_design(design: Design, kind: str, name: str = "model") -> Fit:
    """Fit the design; a rank-deficient design or a logit that does not converge is refused
    with the cause (never a silently dropped column)."""
    term = dependent_term(design) if np.linalg.matrix_rank(design.x) < design.x.shape[1] else None
    if term is not None:
        raise DisclosureError(
            f"model {name!r}: the term {term!r} is a combination of other terms (a project "
            "feature with project fixed effects, or a level that coincides with another); leave "
            "the covariate out or turn fixed_effects off"
        )
    logit, ols = _estimators()
    if kind == "logit":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = logit(design.y, design.x).fit(disp=0, maxiter=100)
        if not result.mle_retvals.get("converged", False) or not np.all(np.isfinite(result.bse)):
            raise DisclosureError(
                f"model {name!r}: the logit did not converge (an outcome that a covariate level "
                'predicts perfectly); merge or leave out that covariate, or use kind = "lpm"'
            )
        pseudo = float(result.prsquared)
    else:
        result = ols(design.y, design.x).fit()
        pseudo = float(result.rsquared)
    return Fit(
        kind=kind,
        terms=list(design.terms),
        groups=list(design.groups),
        params=np.asarray(result.params, dtype=float),
        se=np.asarray(result.bse, dtype=float),
        p=np.asarray(result.pvalues, dtype=float),
        n=int(design.x.shape[0]),
        df_resid=round(float(result.df_resid)),
        pseudo_r2=pseudo,
        aic=float(result.aic),
        fixed_effect_terms=set(design.fixed_effect_terms),
        n_outcome=round(float(np.asarray(design.y, dtype=float).sum())),
    )


def vif(design: Design) -> pl.DataFrame:
    """Variance inflation factor 1 / (1 - R2_j) of every column but the intercept (the study
    dropped > 10), R2_j from regressing column j on all the others with the intercept: with the
    columns centred, VIF_j = [(Xc'Xc)^-1]_jj (Xc'Xc)_jj, one inverse for all columns."""
    keep = [i for i, term in enumerate(design.terms) if term != INTERCEPT]
    xc = design.x[:, keep] - design.x[:, keep].mean(axis=0)
    gram = xc.T @ xc
    values = np.diag(np.linalg.pinv(gram)) * np.diag(gram)
    return pl.DataFrame(
        {
            "term": [design.terms[i] for i in keep],
            "covariate": [design.groups[i] for i in keep],
            "vif": values.astype(float),
        },
        schema={"term": pl.String, "covariate": pl.String, "vif": pl.Float64},
    )


def project_icc(y: np.ndarray, projects: np.ndarray) -> float | None:
    """One-way ANOVA intraclass correlation of the outcome between projects:
    (MSB - MSW) / (MSB + (n0 - 1) MSW), n0 = (N - sum n_j^2 / N) / (J - 1). None with fewer
    than two projects. The study looked for ICC > 0.05 before adding project fixed effects."""
    labels, index = np.unique(projects, return_inverse=True)
    groups = len(labels)
    n = len(y)
    if groups < 2 or n <= groups:
        return None
    sizes = np.bincount(index)
    means = np.bincount(index, weights=y) / sizes
    grand = y.mean()
    msb = float(np.sum(sizes * (means - grand) ** 2) / (groups - 1))
    msw = float(np.sum((y - means[index]) ** 2) / (n - groups))
    n0 = (n - float(np.sum(sizes**2)) / n) / (groups - 1)
    denominator = msb + (n0 - 1) * msw
    return (msb - msw) / denominator if denominator > 0 else None


def backward_stepwise(sample: Sample) -> tuple[list[str], list[dict[str, Any]]]:
    """Backward elimination by AIC on the linear probability model, whole covariates (all their
    dummies) at a time; a covariate stays while an interaction uses it; the intercept and the
    fixed effects always stay. Returns the kept groups and the steps (logged)."""
    spec = sample.spec
    groups = [*spec.covariates, *(f"{a}*{b}" for a, b in spec.interactions)]
    current = fit_design(build_design(sample, groups), "lpm", spec.name).aic
    steps: list[dict[str, Any]] = [{"step": 0, "removed": None, "aic": current}]
    while True:
        used = {part for g in groups if "*" in g for part in g.split("*")}
        candidates = [g for g in groups if g not in used]
        trials = []
        for group in candidates:
            rest = [g for g in groups if g != group]
            trials.append((fit_design(build_design(sample, rest), "lpm", spec.name).aic, group))
        if not trials:
            break
        best_aic, best = min(trials)
        if best_aic >= current:
            break
        groups.remove(best)
        current = best_aic
        steps.append({"step": len(steps), "removed": best, "aic": best_aic})
        _log.info("model %s: stepwise removed %s (LPM AIC %.2f)", spec.name, best, best_aic)
    return groups, steps
