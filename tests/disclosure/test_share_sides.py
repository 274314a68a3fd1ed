"""A suppressed share's two sides: the numerator and the complement of its denominator.

Variables: a (the share's numerator, e.g. in work with an unknown employment type) and b (its
complement, those with a known one); the denominator a + b is hidden. The side that may hold
fewer than the threshold must be left the protection width; a side of at least the threshold may
be pinned (b = 299 is the sum of published categories) while the other side is left the width:
the share stays unknown. Both sides pinned give the share back."""

from __future__ import annotations

import math

from nbnb_cbs.disclosure.lp import Form, Program, Row, verdicts

A, B = (0,), (1,)


def _sides() -> tuple[Form, Form]:
    num = Form(A, (1.0,), "hidden", "share", sibling=(B, (1.0,)))
    rest = Form(B, (1.0,), "hidden", "share complement", sibling=(A, (1.0,)))
    return num, rest


def _check(rows: list[Row]) -> list[bool]:
    program = Program(2, rows)
    return [program.check(f, 10.0, 10.0)[0] for f in _sides()]


def test_a_large_side_may_be_pinned_while_the_other_is_left_the_width() -> None:
    rows = [Row(B, (1.0,), 299.0, 299.0, 0), Row(A, (1.0,), 0.0, 40.0, 1)]
    assert _check(rows) == [False, False]
    num, rest = _sides()
    assert verdicts([num, rest], [(0.0, 40.0), (299.0, 299.0)], 10.0, 10.0) == [False, False]


def test_both_sides_pinned_give_the_share_back() -> None:
    rows = [Row(B, (1.0,), 299.0, 299.0, 0), Row((0, 1), (1.0, 1.0), 304.0, 304.0, 1)]
    assert _check(rows) == [True, True]
    num, rest = _sides()
    assert verdicts([num, rest], [(5.0, 5.0), (299.0, 299.0)], 10.0, 10.0) == [True, True]


def test_a_side_that_may_be_small_must_be_left_the_width() -> None:
    rows = [Row(B, (1.0,), 4.0, 6.0, 0), Row(A, (1.0,), 0.0, math.inf, 1)]
    assert _check(rows) == [False, True]
    num, rest = _sides()
    assert verdicts([num, rest], [(0.0, math.inf), (4.0, 6.0)], 10.0, 10.0) == [False, True]
    # A sibling missing from the forms excuses nothing.
    assert verdicts([rest], [(299.0, 299.0)], 10.0, 10.0) == [True]


def test_a_share_of_rounded_counts_gives_a_multiple_of_the_base() -> None:
    """Red team 18: 0.62 of a rounded 80 is a rounded numerator of 50 exactly (40/80 and 60/80
    are 0.50 and 0.75), so the count lies in 45..54, not 44.2..54.5 (whole counts); two such shares of one
    group then left a difference of 1..9 that the looser rows called 10 wide."""
    from nbnb_cbs.disclosure.release import rounded_share_bounds

    assert rounded_share_bounds(0.62, 80, 10, 0.01) == (45.0, 54.0)
    assert rounded_share_bounds(0.5, 40, 10, 0.01) == (15.0, 24.0)
    assert rounded_share_bounds(0.75, 40, 10, 0.01) == (25.0, 34.0)
    assert rounded_share_bounds(0.33, 300, 10, 0.01) == (95.0, 104.0)  # 97.5..100.5: 100
    # No multiple fits (a share no release gives): the interval without them is kept.
    low, high = rounded_share_bounds(0.34, 300, 10, 0.01)
    assert (low, high) == (96.0, 108.0)  # whole counts around 100.5..103.5
    # With base 5, 0.5 of 20 is 10 exactly: 8..12.
    assert rounded_share_bounds(0.5, 20, 5, 0.01) == (8.0, 12.0)


def test_a_rounded_count_stands_for_whole_counts() -> None:
    """Red team 18: half a unit at each end of every rounded n, over a chain of four means of
    nested groups, let a group of never-workers admit 0 (-0.02..8.9) where whole counts pin it
    to 1..8. 50 rounded (half up) to 10 is 45..54; 10 to 5 is 8..12; unrounded is itself."""
    from nbnb_cbs.disclosure.release import _interval

    assert _interval(50.0, 10) == (45.0, 54.0)
    assert _interval(10.0, 5) == (8.0, 12.0)
    assert _interval(37.0, 0) == (37.0, 37.0)
