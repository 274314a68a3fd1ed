"""Hypothesis strategies shared by the tests, with pinning arguments."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import strategies as st

SEX_FORMS = ["M", "V", "m", "v", "man", "vrouw", "1", "2", "X", "onbekend", ""]
HOUSE_FORMS = ["12", "12a", "12 A", "12-2", "12 bis", "t/m 4", "", "abc", "7-II", " 3 "]


@st.composite
def registrations(
    draw: st.DrawFn, max_rows: int = 30, error_rate: float | None = None
) -> pl.DataFrame:
    """Registration frames with raw text values, some invalid, some duplicated ids."""
    n = draw(st.integers(1, max_rows))
    ids = draw(st.lists(st.integers(1, max(1, n)), min_size=n, max_size=n))
    rows = []
    for pid in ids:
        valid = error_rate is None or draw(st.floats(0, 1)) >= error_rate
        year = draw(st.integers(1940, 2004))
        rows.append(
            {
                "deelnemer_id": f"P{pid}",
                "toestemming": draw(st.sampled_from(["ja", "nee", "", "1"])) if not valid else "ja",
                "geslacht": draw(st.sampled_from(SEX_FORMS)) if not valid else "M",
                "geboortejaar": draw(st.sampled_from([str(year), "", "18x0", "1850"]))
                if not valid
                else str(year),
                "postcode": draw(
                    st.sampled_from(["1234 AB", "1234ab", "0123AB", "1234SS", "", "9999 zz"])
                ),
                "huisnummer": draw(st.sampled_from(HOUSE_FORMS)),
                "peildatum": draw(st.sampled_from(["31-03-2022", "20220331", "", "31-02-2022"])),
                "instroomdatum": draw(st.sampled_from(["01-02-2020", ""])),
            }
        )
    return pl.DataFrame(rows)


@st.composite
def spells(
    draw: st.DrawFn, start: dt.date = dt.date(2019, 1, 1), days: int = 1200
) -> tuple[dt.date, dt.date]:
    """A (start, end) pair with start <= end inside a window."""
    a = draw(st.integers(0, days))
    b = draw(st.integers(a, min(days, a + 400)))
    return start + dt.timedelta(days=a), start + dt.timedelta(days=b)


RESERVED_AND_INTERNAL_NAMES = [
    "kind", "status", "value", "statistic", "total", "top1", "top2", "rule", "pool", "force_rule",
    "group", "by", "by_value", "month", "table", "category", "breakdown", "n", "_i", "_r", "_m",
    "_row", "__nbnb_kind", "__nbnb_reason", "__nbnb_statistic", "Total", "",
]  # fmt: skip


def column_names() -> st.SearchStrategy[str]:
    """Column names a researcher might bring: the tool's own words, helper-like names, any text."""
    return st.one_of(
        st.sampled_from(RESERVED_AND_INTERNAL_NAMES),
        st.text(min_size=1, max_size=12),
        st.from_regex(r"_{1,3}[a-z]{0,8}", fullmatch=True),
    )


@st.composite
def survival_times(
    draw: st.DrawFn, *, max_size: int = 80, max_month: int = 30, min_size: int = 0
) -> tuple[list[int], list[bool]]:
    """Whole-month times (0 = a zero-length spell) and whether each spell ended (else censored);
    few distinct months, so ties between events and censorings are common."""
    size = draw(st.integers(min_size, max_size))
    top = draw(st.integers(0, max_month))
    times = draw(st.lists(st.integers(0, top), min_size=size, max_size=size))
    events = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    return times, events
