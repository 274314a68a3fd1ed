"""Durability: spells -> employment per person, durability measures, monthly series, snapshot."""

from __future__ import annotations

from nbnb_cbs.durability.measure import EXCLUSION_REASONS
from nbnb_cbs.durability.run import (
    END_OUTCOMES,
    DurabilityOptions,
    DurabilityResult,
    Inputs,
    compute,
    read_inputs,
    run_files,
    write_results,
)

__all__ = [
    "END_OUTCOMES",
    "EXCLUSION_REASONS",
    "DurabilityOptions",
    "DurabilityResult",
    "Inputs",
    "compute",
    "read_inputs",
    "run_files",
    "write_results",
]
