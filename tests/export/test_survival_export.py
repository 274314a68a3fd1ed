"""When an export's survival table is suppressed whole before its own pooling rule applies."""

from __future__ import annotations

import polars as pl
import pytest

from nbnb_cbs.export.survival import SURVIVAL_TABLES, blocked_reason, steps_span_organisations
from nbnb_cbs.survival import survival_table


@pytest.mark.parametrize(
    ("table", "unit", "anchors", "rounding", "why"),
    [
        (0, "month", ("exit", "first-job"), 0, None),
        (1, "month", ("exit",), 0, None),
        (1, "month", ("exit", "first-job"), 0, None),
        (
            0,
            "month",
            ("exit",),
            0,
            "groups_not_published",
        ),  # who is censored: the first job's class
        (0, "day", ("exit", "first-job"), 0, "groups_not_published"),
        (1, "month", ("first-job",), 0, "groups_not_published"),
        (1, "month", ("exit",), 5, "rounding"),
    ],
)
def test_blocked_reason(
    table: int, unit: str, anchors: tuple[str, ...], rounding: int, why: str | None
) -> None:
    """Only a month-unit run without rounding whose release model describes the sets a survival
    table sizes may publish it (the release then decides with everything else)."""
    assert blocked_reason(SURVIVAL_TABLES[table], unit, anchors, rounding) == why


def _spells(projects: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    months = [m for m in range(1, 13) for _ in range(10)]
    spells = pl.DataFrame(
        {
            "record_id": [f"r{i:03d}" for i in range(len(months))],
            "spell_months": months,
            "spell_event": [True] * len(months),
        }
    )
    owners = pl.DataFrame(
        {
            "record_id": spells["record_id"],
            "project": [projects[i % len(projects)] for i in range(len(months))],
        }
    )
    return spells, owners


def test_steps_need_records_of_two_projects() -> None:
    """A step whose at-risk or event set is one project's records fails min_organisations = 2."""
    spec = SURVIVAL_TABLES[0]
    spells, two = _spells(["A", "B"])
    table = survival_table(spells["spell_months"].to_numpy(), spells["spell_event"].to_numpy(), 10)
    assert table.reason is None and len(table.steps) > 1
    assert steps_span_organisations(table, spells, spec, two, 2)
    # The last months' spells all belong to project A: the last step's sets are one project.
    one = two.with_columns(
        project=pl.when(pl.int_range(pl.len()) >= 100).then(pl.lit("A")).otherwise("project")
    )
    assert not steps_span_organisations(table, spells, spec, one, 2)
    assert steps_span_organisations(table, spells, spec, one, 1)
    assert steps_span_organisations(table, spells, spec, None, 2)
