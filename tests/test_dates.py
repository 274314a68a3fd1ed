"""The date parser accepts CBS, ISO and Dutch forms and never guesses an impossible date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs.dates import is_sentinel_expr, parse_date_column, parse_date_expr, parse_month


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20210331", dt.date(2021, 3, 31)),
        ("2021-03-31", dt.date(2021, 3, 31)),
        ("2021-03-31 00:00:00", dt.date(2021, 3, 31)),
        ("31-03-2021", dt.date(2021, 3, 31)),
        ("1-3-2021", dt.date(2021, 3, 1)),
        ("31/03/2021", dt.date(2021, 3, 31)),
        ("31.03.2021", dt.date(2021, 3, 31)),
        ("31-02-2021", None),
        ("20210231", None),
        ("88888888", None),
        ("99999999", None),
        ("", None),
        ("maart", None),
    ],
)
def test_parse_date(raw: str, expected: dt.date | None) -> None:
    out = pl.DataFrame({"d": [raw]}).select(parse_date_expr("d"))
    assert out["d"][0] == expected


def test_integer_dates_and_sentinels() -> None:
    frame = pl.DataFrame({"d": [20210331, 99999999, 88888888]})
    out = frame.select(parse_date_expr("d"), is_sentinel_expr("d").alias("s"))
    assert out["d"].to_list() == [dt.date(2021, 3, 31), None, None]
    assert out["s"].to_list() == [False, True, True]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_real_date_round_trips_in_three_forms(day: dt.date) -> None:
    forms = [day.strftime("%Y%m%d"), day.isoformat(), day.strftime("%d-%m-%Y")]
    out = pl.DataFrame({"d": forms}).select(parse_date_expr("d"))
    assert out["d"].to_list() == [day, day, day]


def test_parse_month() -> None:
    assert parse_month("2021-12") == (2021, 12)
    assert parse_month("2021-13") is None
    assert parse_month("202112") is None
    assert parse_month("dec 2021") is None


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(["20210131", "2021-01-31", "31-01-2021", "31/1/2021", "99999999", ""]),
            st.from_regex(r"[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4}", fullmatch=True),
            st.text(max_size=10),
        ),
        max_size=30,
    )
)
def test_parse_date_column_is_parse_date_expr(values: list[str | None]) -> None:
    """Each distinct value parsed once and looked up: the same dates, in the same rows."""
    frame = pl.DataFrame({"d": values}, schema={"d": pl.String})
    expected = frame.select(parse_date_expr("d"))["d"]
    assert parse_date_column(frame, "d").equals(expected)
