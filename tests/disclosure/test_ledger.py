"""Across releases: the sets of changed records that the shown cells' changes pin
(differences of differences), and cells an earlier release hid."""

from __future__ import annotations

import polars as pl

from nbnb_cbs.disclosure.ledger import hidden_earlier, ledger_frame, pinned_changes


def _ledger(cells: dict[str, set[int]], hidden: frozenset[str] = frozenset()) -> pl.DataFrame:
    frame = ledger_frame(
        [
            ("yield", {"sex": name}, "records", [str(i) for i in ids], [str(i) for i in ids])
            for name, ids in cells.items()
        ]
    )
    keys = [k for k, name in zip(frame["key"], cells, strict=True) if name in hidden]
    return frame.with_columns(published=~pl.col("key").is_in(keys))


def _key(frame: pl.DataFrame, name: str) -> str:
    return next(k for k in frame["key"] if f'"{name}"' in k)


def test_three_leavers_pinned_by_two_large_changes_hide_a_cell() -> None:
    # 15 men join, 3 of unknown sex leave: the total changes by 12 and the men by 15 (both at
    # least 10), the women by none; total - men - women gives the 3 leavers.
    old = {"Total": set(range(1, 31)), "man": set(range(1, 16)), "woman": set(range(16, 28)),
           "unknown": {28, 29, 30}}  # fmt: skip
    new = {"Total": set(range(1, 28)) | set(range(31, 46)), "man": set(range(1, 16)) | set(range(31, 46)),
           "woman": set(range(16, 28)), "unknown": set()}  # fmt: skip
    before, now = _ledger(old, frozenset({"unknown"})), _ledger(new)
    shown = {_key(now, n) for n in ("Total", "man", "woman")}
    found = pinned_changes(now, {"r1": before}, 10, shown)
    assert [c.dims for c in found] == ['{"sex": "Total"}'] and found[0].difference == 3
    # With the total hidden, nothing more is pinned.
    assert pinned_changes(now, {"r1": before}, 10, shown - {_key(now, "Total")}) == []


def test_changes_that_pin_nothing_small_hide_nothing() -> None:
    # 15 men and 12 women join: every set of changed records holds 12 or more.
    old = {"Total": set(range(1, 31)), "man": set(range(1, 16)), "woman": set(range(16, 31))}
    new = {"Total": set(range(1, 58)), "man": set(range(1, 16)) | set(range(31, 46)),
           "woman": set(range(16, 31)) | set(range(46, 58))}  # fmt: skip
    before, now = _ledger(old), _ledger(new)
    assert pinned_changes(now, {"r1": before}, 10, set(now["key"])) == []


def test_hidden_cells_of_earlier_releases_are_listed_with_the_release() -> None:
    before = _ledger({"Total": {1, 2}, "man": {1}}, frozenset({"man"}))
    assert hidden_earlier({"r1": before}) == {_key(before, "man"): "r1"}
    old_style = before.filter(pl.col("published")).drop("published")  # before the flag
    assert hidden_earlier({"r0": old_style}) == {}
