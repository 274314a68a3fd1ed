"""Models on the outcomes at the end month: logistic regression and the linear probability model
(statsmodels), with the study's helpers and disclosure checks for model output."""

from __future__ import annotations

from nbnb_cbs.models.design import Design, Sample, build_design, build_sample
from nbnb_cbs.models.fit import Fit, backward_stepwise, fit_design, project_icc, vif
from nbnb_cbs.models.run import (
    ModelResult,
    export_tables,
    log_entry,
    model_inputs,
    run_model,
    run_models,
)
from nbnb_cbs.models.spec import ModelSpec, check_columns, parse_models, sample_destinations

__all__ = [
    "Design",
    "Fit",
    "ModelResult",
    "ModelSpec",
    "Sample",
    "backward_stepwise",
    "build_design",
    "build_sample",
    "check_columns",
    "export_tables",
    "fit_design",
    "log_entry",
    "model_inputs",
    "parse_models",
    "project_icc",
    "run_model",
    "run_models",
    "sample_destinations",
    "vif",
]
