"""The default synthetic data reproduces the NBNB report's figures within the issue's margins:
shares within 3 percentage points, counts (scaled to the report's 591 linked) within 15%, and
the spring rises of 2019 and 2021 at least twice the average monthly rise."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from nbnb_cbs.synth.calibration import REPORT, Figure, figures, markdown_table
from tests.synth.conftest import DefaultChain

README = Path(__file__).parents[2] / "README.md"


@pytest.fixture(scope="module")
def measured(default_chain: DefaultChain) -> dict[str, float]:
    return figures(default_chain.data.registration, default_chain.linked, default_chain.result)


CALIBRATED = [f for f in REPORT if f.kind != "info"]


@pytest.mark.parametrize("figure", CALIBRATED, ids=[f.key for f in CALIBRATED])
def test_figure_within_margin(figure: Figure, measured: dict[str, float]) -> None:
    assert figure.within(measured[figure.key]), (figure.label, measured[figure.key], figure.report)


def test_margins_are_the_issues() -> None:
    share = Figure("x", "x", 0.43, "share")
    assert share.within(0.459) and share.within(0.401)
    assert not share.within(0.461) and not share.within(0.399)
    count = Figure("x", "x", 100, "count")
    assert count.within(115) and count.within(85) and not count.within(116) and not count.within(84)
    assert not Figure("x", "x", 2.0, "rise").within(1.9)


def test_series_shape(default_chain: DefaultChain) -> None:
    """Figure 6.32: the share rises in spring 2019 and spring 2021 (months rise, not fall)."""
    share = dict(default_chain.result.series.select("month", "share_working").iter_rows())
    for year in (2019, 2021):
        months = [share[f"{year}-{m:02d}"] for m in range(2, 7)]
        assert all(b >= a - 0.01 for a, b in itertools.pairwise(months)), (year, months)
        assert months[-1] - months[0] >= 0.08, (year, months)


def test_readme_table_is_measured(measured: dict[str, float]) -> None:
    """The README's comparison table is this measurement (``python -m benchmarks.calibration``)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- calibration -->\n(.*?)\n<!-- /calibration -->", text, re.S)
    assert found, "README has no calibration table between its markers"
    assert found.group(1).strip() == markdown_table(measured)
