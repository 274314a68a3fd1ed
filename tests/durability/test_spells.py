"""Survival spells from job intervals, against a month-by-month reference in plain Python."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs.durability.intervals import merge_intervals
from nbnb_cbs.durability.measure import person_durability
from nbnb_cbs.durability.spells import survival_spells

END = (2021, 12)
E = 2021 * 12 + 11
BASE = 2019 * 12  # month number of 2019-01


def _spells(
    people: list[tuple[int, list[tuple[int, int]], str]], *, path: str = "persons"
) -> pl.DataFrame:
    """Spells as compute takes them (first months found by person_durability), by looking them
    up in the merged intervals ("lookup"), or by joining intervals out of order ("join")."""
    records = pl.DataFrame(
        {
            "record_id": [f"r{i:02d}" for i in range(len(people))],
            "pid": list(range(len(people))),
            "exit_date": [dt.date(2019 + (x // 12), x % 12 + 1, 15) for x, _, _ in people],
            "exit_destination": [d for _, _, d in people],
        }
    )
    rows = pl.DataFrame(
        [(i, BASE + s, BASE + e) for i, (_, jobs, _) in enumerate(people) for s, e in jobs],
        schema={"pid": pl.Int64, "s": pl.Int32, "e": pl.Int32},
        orient="row",
    )
    merged = merge_intervals(rows.lazy()).collect().lazy()
    persons = person_durability(records.lazy(), merged, end=END, unit="month").collect()
    if path != "persons":
        persons = persons.drop("_first_month", "_first_run_end")
    # Out of order, the intervals are joined rather than looked up (intervals.window_lookup).
    return survival_spells(persons, merged.reverse() if path == "join" else merged, END)


def _reference(x: int, jobs: list[tuple[int, int]]) -> tuple[int, bool, int | None, bool | None]:
    """Month by month: the first worked month after the exit, and the run of work from it."""
    worked = {BASE + m for s, e in jobs for m in range(s, e + 1)}
    exit_month = BASE + x
    first = next((m for m in range(exit_month + 1, E + 1) if m in worked), None)
    if first is None:
        return E - exit_month, False, None, None
    m = first
    while m + 1 <= E and m + 1 in worked:
        m += 1
    ended = m < E  # month m + 1 <= E has no work
    return first - exit_month, True, m - first + 1, ended


def test_spells_by_hand() -> None:
    """Exit in 2019-01: a job from month 3 to 5 then another from 6 to 8 is one spell of 6
    months that ended; a job running past the end month is censored at E; no job: censored."""
    people = [
        (0, [(2, 4), (5, 7)], "work"),  # months 2019-03..2019-08 (adjacent jobs merge)
        (0, [(30, 40)], "work"),  # 2021-07 .. beyond E: censored at E, 6 months
        (0, [], "work"),  # never worked: time to job censored at E - X
        (0, [(1, 1)], "education"),  # not in the exit_work group
        (5, [(0, 5), (9, 9)], "work"),  # worked through the exit month: first job is X+1 ... none
    ]
    out = _spells(people).to_dicts()
    assert [r["record_id"] for r in out] == ["r00", "r01", "r02", "r04"]
    assert (out[0]["to_job_months"], out[0]["spell_months"], out[0]["spell_event"]) == (2, 6, True)
    assert (out[1]["to_job_months"], out[1]["spell_months"], out[1]["spell_event"]) == (
        30,
        6,
        False,
    )
    assert (out[2]["to_job_months"], out[2]["to_job_event"], out[2]["spell_months"]) == (
        35,
        False,
        None,
    )
    assert (out[3]["to_job_months"], out[3]["spell_months"], out[3]["spell_event"]) == (4, 1, True)


jobs = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 6)).map(lambda p: (p[0], p[0] + p[1])), max_size=4
)


@given(st.lists(st.tuples(st.integers(0, 35), jobs), min_size=1, max_size=12))
def test_spells_match_month_by_month_reference(
    people: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """Generated jobs (overlapping, adjacent, past E): both spells equal the reference's; an exit
    in the end month leaves no observable month, so no spell."""
    out = _spells([(x, j, "work") for x, j in people])
    observed = [(x, j) for x, j in people if BASE + x < E]
    assert out.height == len(observed)
    for row, (x, j) in zip(out.iter_rows(named=True), observed, strict=True):
        ref = _reference(x, j)
        got = (row["to_job_months"], row["to_job_event"], row["spell_months"], row["spell_event"])
        assert got == ref
        assert row["worked_1m"] == ref[1]


@given(st.lists(st.tuples(st.integers(0, 35), jobs), min_size=2, max_size=8))
def test_spells_from_unordered_intervals_are_the_same(
    people: list[tuple[int, list[tuple[int, int]]]],
) -> None:
    """Spells looked up in the intervals, or joined to them out of order, are the ones
    person_durability's first months give."""
    cases = [(x, [*j, (41, 41)], "work") for x, j in people]  # at least two intervals
    spells = _spells(cases)
    assert spells.equals(_spells(cases, path="lookup"))
    assert spells.equals(_spells(cases, path="join"))
