"""One default synthetic build and chain, shared by every test in tests/synth."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from nbnb_cbs import synth
from nbnb_cbs.durability import DurabilityResult
from tests.chain import run_chain


@dataclass
class DefaultChain:
    data: synth.SynthData
    linked: pl.DataFrame
    result: DurabilityResult


@pytest.fixture(scope="session")
def default_chain() -> DefaultChain:
    data, linked, result = run_chain(synth.SynthOptions())
    return DefaultChain(data, linked, result)


@pytest.fixture(scope="session")
def default_data(default_chain: DefaultChain) -> synth.SynthData:
    return default_chain.data
