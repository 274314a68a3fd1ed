"""The cell vocabulary: statuses say nothing about why, helper names never collide, shadowing is
refused with one line that says how to rename."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs import cells
from nbnb_cbs.errors import EXIT_USAGE, ColumnError


def test_released_statuses_never_say_why() -> None:
    """Released statuses are exactly published/suppressed/pooled/rounded."""
    assert {s.value for s in cells.Status} == {"published", "suppressed", "pooled", "rounded"}
    assert not {s.value for s in cells.Status} & {r.value for r in cells.Reason}


def test_margin_labels_recognised() -> None:
    """Total, Totaal, totaal, All and Alle are margins; ordinary values are not."""
    for label in ("Total", "Totaal", "totaal", "All", "Alle"):
        assert cells.is_margin_label(label)
    assert not cells.is_margin_label("north")


@given(st.lists(st.text(min_size=0, max_size=12), max_size=20), st.sampled_from(["kind", "rule"]))
def test_temporary_name_never_collides(columns: list[str], purpose: str) -> None:
    """A generated name is never one of the frame's columns, even when they mimic it."""
    columns += [f"__nbnb_{purpose}", f"__nbnb_{purpose}_"]
    assert cells.temporary_column_name(columns, purpose) not in columns


def test_temporary_names_distinct() -> None:
    """Several helper names for one frame are distinct from each other and the frame's columns."""
    names = cells.temporary_column_names(["__nbnb_a"], "a", "a", "b")
    assert len(set(names)) == 3 and "__nbnb_a" not in names


@pytest.mark.parametrize("column", ["status", "n", "value", "statistic", "pool", "top1"])
def test_shadowing_refused_with_rename_hint(column: str) -> None:
    """A column named like a published column is refused (exit 2), naming it and the fix."""
    with pytest.raises(ColumnError) as info:
        cells.refuse_shadowing(["region", column], "t.csv")
    message = str(info.value)
    assert info.value.exit_code == EXIT_USAGE and "\n" not in message
    assert f"'{column}'" in message and f"--rename {column}=" in message


def test_neutral_columns_pass() -> None:
    """Dimension names without a published meaning are accepted."""
    cells.refuse_shadowing(["kind", "rule", "group", "_i", "force_rule"], "t.csv")
