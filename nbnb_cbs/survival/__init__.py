"""Survival in work: Kaplan-Meier estimates and their disclosure-checked, pooled tables."""

from __future__ import annotations

from nbnb_cbs.survival.km import Curve, kaplan_meier, loglog_limits
from nbnb_cbs.survival.table import (
    COLUMNS,
    LANDMARK,
    STATISTICS,
    Step,
    SurvivalTable,
    pool_steps,
    release_summary,
    step_rule_holds,
    survival_table,
)

__all__ = [
    "COLUMNS",
    "LANDMARK",
    "STATISTICS",
    "Curve",
    "Step",
    "SurvivalTable",
    "kaplan_meier",
    "loglog_limits",
    "pool_steps",
    "release_summary",
    "step_rule_holds",
    "survival_table",
]
