"""The steward's check solves a main-effects model's combinations of levels from B, SE, N and
N_outcome as an attacker would (steward check 58: planted logits on sex and age group with a
combination of 7 persons, and a level of 9 in work, passed)."""

from __future__ import annotations

import numpy as np
import polars as pl
import statsmodels.api as sm

from nbnb_cbs.disclosure import load_profile
from nbnb_cbs.disclosure.steward.models import _cross_cells

SEX, AGE = ("man", "woman"), ("30-39", "<25", "other")


def _model(cells: dict[tuple[str, str], tuple[int, int]]) -> tuple[pl.DataFrame, dict[str, float | None]]:  # fmt: skip
    """A logit on sex + age_group (main effects) fitted to persons (in work, not) per
    combination, written as nbnb-cbs writes its model files (B and SE to 4 decimals)."""
    rows = [(s, a, y) for (s, a), (ones, others) in cells.items()
            for y, k in ((1, ones), (0, others)) for _ in range(k)]  # fmt: skip
    sex = np.array([r[0] == "woman" for r in rows], dtype=float)
    young = np.array([r[1] == "<25" for r in rows], dtype=float)
    other = np.array([r[1] == "other" for r in rows], dtype=float)
    y = np.array([r[2] for r in rows], dtype=float)
    x = np.column_stack([np.ones(len(rows)), sex, young, other])
    fit = sm.Logit(y, x).fit(disp=0)
    terms = ["(intercept)", "sex: woman", "age_group: <25", "age_group: other"]
    coef = pl.DataFrame(
        {
            "term": terms,
            "B": [f"{v:.4f}" for v in fit.params],
            "SE": [f"{v:.4f}" for v in fit.bse],
            "Exp(B)": [f"{np.exp(v):.4f}" for v in fit.params],
            "p": [f"{v:.4f}" for v in fit.pvalues],
        }
    )
    stats = {"N": float(len(rows)), "N_outcome": float(y.sum()), "residual_dof": len(rows) - 4.0}
    return coef, stats


ENTRY = {
    "kind": "logit",
    "covariates": ["sex", "age_group"],
    "reference_levels": {"sex": "man", "age_group": "30-39"},
    "levels": [{"level": f"sex: {s}"} for s in SEX] + [{"level": f"age_group: {a}"} for a in AGE],
}


def test_a_small_combination_of_a_main_effects_logit_is_found() -> None:
    cells = {("man", "30-39"): (10, 10), ("man", "<25"): (3, 4), ("man", "other"): (11, 11),
             ("woman", "30-39"): (10, 10), ("woman", "<25"): (8, 12), ("woman", "other"): (6, 15)}  # fmt: skip
    coef, stats = _model(cells)
    found = _cross_cells("model_m.csv", coef, ENTRY, "logit", stats, load_profile("cbs"))
    messages = [f.message for f in found]
    assert any("7 persons in the combination 'sex: man x age_group: <25'" in m for m in messages)
    # A log that claims fixed effects beside a published intercept changes nothing.
    lied = _cross_cells("model_m.csv", coef, ENTRY | {"fixed_effects": True}, "logit", stats,
                        load_profile("cbs"))  # fmt: skip
    assert [f.message for f in lied] == messages


def test_a_level_with_few_in_work_is_found() -> None:
    cells = {("man", "30-39"): (14, 6), ("man", "<25"): (1, 9), ("man", "other"): (16, 8),
             ("woman", "30-39"): (4, 10), ("woman", "<25"): (8, 16), ("woman", "other"): (5, 13)}  # fmt: skip
    coef, stats = _model(cells)
    found = _cross_cells("model_m.csv", coef, ENTRY, "logit", stats, load_profile("cbs"))
    assert any("9 persons with the outcome in level 'age_group: <25'" in f.message for f in found)


def test_combinations_of_ten_or_more_are_no_finding() -> None:
    cells = {("man", "30-39"): (15, 15), ("man", "<25"): (6, 8), ("man", "other"): (8, 10),
             ("woman", "30-39"): (10, 12), ("woman", "<25"): (5, 8), ("woman", "other"): (4, 9)}  # fmt: skip
    coef, stats = _model(cells)
    assert _cross_cells("model_m.csv", coef, ENTRY, "logit", stats, load_profile("cbs")) == []
