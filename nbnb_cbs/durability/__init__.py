"""Durability: spells -> employment per person, durability measures, monthly series, snapshot."""

from __future__ import annotations

from nbnb_cbs.durability.measure import EXCLUSION_REASONS
from nbnb_cbs.durability.run import (
    DurabilityOptions,
    DurabilityResult,
    Inputs,
    compute,
    read_inputs,
    run_files,
    write_results,
)

__all__ = [
    "EXCLUSION_REASONS",
    "DurabilityOptions",
    "DurabilityResult",
    "Inputs",
    "compute",
    "read_inputs",
    "run_files",
    "write_results",
]
