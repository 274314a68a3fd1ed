"""The default synthetic data reproduces the NBNB report's figures within written tolerances."""

from __future__ import annotations

import polars as pl
import pytest

from nbnb_cbs.durability import DurabilityResult
from nbnb_cbs.synth import SynthOptions
from tests.chain import run_chain


@pytest.fixture(scope="module")
def chain() -> tuple[pl.DataFrame, DurabilityResult]:
    _, linked, result = run_chain(SynthOptions())
    return linked, result


def test_linkage_yield_band(chain: tuple[pl.DataFrame, DurabilityResult]) -> None:
    """Report: 75% linked; the default data must land in 70-80%."""
    linked, _ = chain
    share = linked["RINPERSOON"].is_not_null().sum() / 1012
    assert 0.70 <= share <= 0.80


def test_durability_band(chain: tuple[pl.DataFrame, DurabilityResult]) -> None:
    """Report Table 6.3: worked at least one month, mean 82%, time-weighted 77%."""
    _, result = chain
    stats = dict(
        result.durability.filter((pl.col("by") == "") & (pl.col("group") == "worked_1m"))
        .select("statistic", "value")
        .iter_rows()
    )
    assert 0.75 <= stats["mean"] <= 0.90
    assert 0.70 <= stats["weighted_mean"] <= 0.85
    assert stats["n"] >= 60


def test_series_rises(chain: tuple[pl.DataFrame, DurabilityResult]) -> None:
    """Figure 6.32: about 14% in work in early 2019, about 43% at the end of 2021."""
    _, result = chain
    share = dict(result.series.select("month", "share_working").iter_rows())
    assert 0.08 <= share["2019-02"] <= 0.25
    assert 0.32 <= share["2021-12"] <= 0.48
    assert share["2021-12"] - share["2019-02"] >= 0.15


def test_sector_focus_works_more_at_end(chain: tuple[pl.DataFrame, DurabilityResult]) -> None:
    """Report: 61% of sector-focused participants in work at the end date, 39% of others."""
    _, result = chain
    shares = dict(
        result.snapshot.filter(
            (pl.col("table") == "sectoral") & (pl.col("statistic") == "share_working")
        )
        .select("category", "value")
        .iter_rows()
    )
    assert shares["true"] >= shares["false"] + 0.08
