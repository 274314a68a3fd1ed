"""Education: durability of enrolment under its own group names, enrolment at the end month for
every linked record and by exit destination, and the programme type, against hand-counted cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nbnb_cbs.durability import DurabilityOptions, Inputs, compute

D = dt.date
END = (2021, 12)
# record: RINPERSOON (None: not linked), exit date, destination
PEOPLE = [
    ("000000001", D(2021, 3, 15), "education"),
    ("000000002", D(2021, 6, 15), "education"),
    ("000000003", D(2021, 1, 15), "work"),
    ("000000004", D(2021, 1, 15), "unknown"),
    (None, D(2021, 1, 15), "education"),
    ("000000006", D(2020, 6, 15), "education"),
]
# RINPERSOON, AANVINSCHR, EINDINSCHR (None: still enrolled), TYPEONDERWIJS
ENROLMENTS = [
    ("000000001", D(2021, 4, 1), None, "MBO"),
    ("000000002", D(2021, 7, 1), D(2021, 9, 30), "HBO"),
    ("000000003", D(2021, 11, 1), D(2022, 6, 30), None),
    ("000000003", D(2019, 9, 1), D(2020, 6, 30), "VO"),  # long over by the end month
    ("000000006", D(2020, 7, 1), D(2021, 12, 31), "WO"),
]


def _inputs(with_type: bool = True) -> Inputs:
    ids = [f"r{i}" for i in range(1, len(PEOPLE) + 1)]
    analysis = pl.DataFrame(
        {
            "record_id": ids,
            "exit_date": [p[1] for p in PEOPLE],
            "exit_destination": [p[2] for p in PEOPLE],
            "entry_date": [D(2020, 1, 1)] * len(PEOPLE),
        }
    )
    linked = pl.DataFrame(
        {"record_id": ids, "RINPERSOONS": ["R"] * len(PEOPLE), "RINPERSOON": [p[0] for p in PEOPLE]},
        schema={"record_id": pl.String, "RINPERSOONS": pl.String, "RINPERSOON": pl.String},
    )  # fmt: skip
    jobs = pl.DataFrame(
        {
            "RINPERSOONS": ["R"],
            "RINPERSOON": ["000000003"],
            "IKVID": ["1"],
            "SDATUMAANVANGIKO": [D(2021, 2, 1)],
            "SDATUMEINDEIKO": [D(2021, 2, 28)],
            "SBASISUREN": [100.0],
            "SBASISLOON": [1500.0],
        }
    )
    enrol = pl.DataFrame(
        ENROLMENTS,
        schema={"RINPERSOON": pl.String, "AANVINSCHR": pl.Date, "EINDINSCHR": pl.Date, "TYPEONDERWIJS": pl.String},
        orient="row",
    ).with_columns(RINPERSOONS=pl.lit("R"))  # fmt: skip
    if not with_type:
        enrol = enrol.drop("TYPEONDERWIJS")
    return Inputs(analysis, linked, jobs.lazy(), enrol.lazy())


def _cells(with_type: bool = True) -> dict[tuple[str, str, str, str], tuple[float | None, int]]:
    result = compute(_inputs(with_type), DurabilityOptions(END))
    assert result.education is not None
    return {
        (r["group"], r["by"], r["by_value"], r["statistic"]): (r["value"], r["n"])
        for r in result.education.iter_rows(named=True)
    }


def test_education_groups_have_their_own_names() -> None:
    cells = _cells()
    groups = {g for g, *_ in cells}
    assert {"exit_education", "enrolled_1m", "observed_12m"} <= groups
    assert not {"exit_work", "worked_1m"} & groups
    assert cells[("exit_education", "", "", "n")] == (3.0, 3)
    assert cells[("enrolled_1m", "", "", "n")] == (3.0, 3)
    assert cells[("observed_12m", "", "", "n")] == (1.0, 1)  # r6: 18 observable months
    # r1 enrolled April-December after a March exit: 9/9; r2 July-September after June: 3/6;
    # r6 July 2020 - December 2021 after June 2020: 18/18.
    assert cells[("exit_education", "", "", "mean")][0] == pytest.approx((1 + 0.5 + 1) / 3)
    assert cells[("exit_education", "", "", "weighted_mean")][0] == pytest.approx(30 / 33)


def test_enrolment_at_end_for_every_linked_record_and_by_destination() -> None:
    cells = _cells()
    assert cells[("education_cohort", "", "", "share_enrolled_at_end")] == (pytest.approx(2 / 3), 3)
    assert cells[("linked", "", "", "share_enrolled_at_end")] == (0.6, 5)  # r5 is not linked
    by = {k[2]: v for k, v in cells.items() if k[:2] == ("linked", "exit_destination")}
    assert by == {"education": (pytest.approx(2 / 3), 3), "unknown": (0.0, 1), "work": (1.0, 1)}


def test_programme_type_of_those_enrolled_at_end() -> None:
    cells = _cells()
    types = {
        (k[2], k[3]): v for k, v in cells.items() if k[:2] == ("enrolled_at_end", "programme_type")
    }
    assert types == {
        ("MBO", "count"): (1.0, 1), ("MBO", "share"): (pytest.approx(1 / 3), 3),
        ("WO", "count"): (1.0, 1), ("WO", "share"): (pytest.approx(1 / 3), 3),
        ("unknown", "count"): (1.0, 1), ("unknown", "share"): (pytest.approx(1 / 3), 3),  # r3: no type
    }  # fmt: skip
    without = _cells(with_type=False)
    assert not [k for k in without if k[1] == "programme_type"]


def test_work_groups_keep_their_names() -> None:
    result = compute(_inputs(), DurabilityOptions(END))
    assert result.durability["group"].unique().sort().to_list() == ["exit_work", "worked_1m"]  # r3
