"""Monthly snapshot amounts: rows prorated by their days in the end month, against hand-computed
rows; the snapshot date alternative; the largest job on prorated hours; the net wage column."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnb_cbs.durability import DurabilityOptions, Inputs, compute, read_inputs
from nbnb_cbs.errors import ColumnError, ConfigError

END = (2021, 12)
D = dt.date
SCHEMA = {
    "RINPERSOONS": pl.String, "RINPERSOON": pl.String, "IKVID": pl.String,
    "SDATUMAANVANGIKO": pl.Date, "SDATUMEINDEIKO": pl.Date, "SBASISUREN": pl.Float64,
    "SBASISLOON": pl.Float64, "SVOLTIJDDAGEN": pl.Float64, "SCONTRACTSOORT": pl.String,
    "SSOORTBAAN": pl.String, "SPOLISDIENSTVERBAND": pl.String,
}  # fmt: skip
# (person, job, start, end, hours, wage, full-time days, SSOORTBAAN)
Row = tuple[str, str, dt.date, dt.date, float, float, float, str]


def _inputs(rows: list[Row], persons: int, net: list[float] | None = None) -> Inputs:
    values = [("R", rin, job, s, e, h, w, f, "B", sb, "1") for rin, job, s, e, h, w, f, sb in rows]
    jobs = pl.DataFrame(values, schema=SCHEMA, orient="row")
    if net is not None:
        jobs = jobs.with_columns(net_wage=pl.Series(net, dtype=pl.Float64))
    ids = [f"r{i}" for i in range(1, persons + 1)]
    analysis = pl.DataFrame(
        {
            "record_id": ids,
            "exit_date": [D(2021, 1, 15)] * persons,
            "entry_date": [D(2020, 1, 15)] * persons,
            "exit_destination": ["work"] * persons,
        }
    )
    linked = pl.DataFrame(
        {"record_id": ids, "RINPERSOONS": ["R"] * persons, "RINPERSOON": [f"{i:09d}" for i in range(1, persons + 1)]}
    )  # fmt: skip
    return Inputs(analysis, linked, jobs.lazy())


def _working(rows: list[Row], persons: int, day: dt.date | None = None) -> dict[str, dict]:  # type: ignore[type-arg]
    result = compute(_inputs(rows, persons), DurabilityOptions(END, snapshot_date=day))
    assert result.working_at_end is not None
    return {r["record_id"]: r for r in result.working_at_end.iter_rows(named=True)}


P1, P2, P3 = "000000001", "000000002", "000000003"
ROWS: list[Row] = [
    # person 1: monthly, December whole
    (P1, "a", D(2021, 12, 1), D(2021, 12, 31), 160.0, 2400.0, 20.0, "9"),
    # person 2: 4-weekly across both month boundaries: 5/28 and 26/28 of the two rows fall in December
    (P2, "b", D(2021, 11, 8), D(2021, 12, 5), 140.0, 1400.0, 20.0, "4"),
    (P2, "b", D(2021, 12, 6), D(2022, 1, 2), 140.0, 1400.0, 20.0, "4"),
    # person 3: a monthly row and an overlapping correction (16 of its 31 days in December)
    (P3, "c", D(2021, 12, 1), D(2021, 12, 31), 100.0, 1000.0, 12.0, "9"),
    (P3, "c", D(2021, 12, 16), D(2022, 1, 15), 31.0, -62.0, 0.0, "9"),
]


def test_monthly_amounts_hand_computed() -> None:
    """Each row counts in proportion to its days in December."""
    got = _working(ROWS, 3)
    assert got["r1"]["hours"] == pytest.approx(160.0)
    assert got["r1"]["base_wage"] == pytest.approx(2400.0)
    assert got["r2"]["hours"] == pytest.approx(140 * 5 / 28 + 140 * 26 / 28)  # 155
    assert got["r2"]["base_wage"] == pytest.approx(1550.0)
    assert got["r2"]["fulltime_days"] == pytest.approx(20 * 31 / 28)
    assert got["r3"]["hours"] == pytest.approx(100 + 31 * 16 / 31)  # 116
    assert got["r3"]["base_wage"] == pytest.approx(1000 - 62 * 16 / 31)  # 968
    assert got["r3"]["fulltime_days"] == pytest.approx(12.0)


def test_report_examples_whole_and_one_28th() -> None:
    """The issue's examples: 3-30 December counts fully, 31 December-27 January counts 1/28."""
    rows: list[Row] = [
        (P1, "a", D(2021, 12, 3), D(2021, 12, 30), 120.0, 1800.0, 18.0, "9"),
        (P1, "a", D(2021, 12, 31), D(2022, 1, 27), 140.0, 2800.0, 20.0, "9"),
    ]
    got = _working(rows, 1)["r1"]
    assert got["hours"] == pytest.approx(120 + 5.0)
    assert got["base_wage"] == pytest.approx(1800 + 100.0)
    assert got["fulltime_days"] == pytest.approx(18 + 20 / 28)


def test_snapshot_cells_mean_and_hourly_wage() -> None:
    """Means over those in work and hourly wage = total prorated wage / total prorated hours."""
    result = compute(_inputs(ROWS, 3), DurabilityOptions(END))
    amounts = {
        r["category"]: r for r in result.snapshot.filter(pl.col("table") == "amounts").iter_rows(named=True)
    }  # fmt: skip
    hours = 160 + 155 + 116
    wage = 2400 + 1550 + 968
    assert amounts["hours"]["value"] == pytest.approx(hours / 3)
    assert amounts["hours"]["top1"] == pytest.approx(160.0)
    assert amounts["base_wage"]["total"] == pytest.approx(wage)
    assert amounts["hourly_wage"]["value"] == pytest.approx(wage / hours)
    assert "net_wage" not in amounts  # the file has no net wage: no row for it


def test_largest_job_on_prorated_hours() -> None:
    """A 4-weekly job with more hours in its rows but fewer in December is not the largest."""
    rows: list[Row] = [
        (P1, "x", D(2021, 11, 29), D(2021, 12, 26), 100.0, 1000.0, 14.0, "9"),  # 26/28
        (P1, "x", D(2021, 12, 27), D(2022, 1, 23), 100.0, 1000.0, 14.0, "9"),  # 5/28
        (P1, "y", D(2021, 12, 1), D(2021, 12, 31), 120.0, 1200.0, 15.0, "4"),
    ]
    got = _working(rows, 1)["r1"]
    assert got["employment_type"] == "temp_agency"  # job y: 120 > 110.7 prorated hours of x
    assert got["jobs"] == "2+"
    assert got["hours"] == pytest.approx(100 * 31 / 28 + 120)


def test_largest_job_ties() -> None:
    """Equal prorated hours: the higher prorated wage; equal wage too: the smaller IKVID."""
    wage_tie: list[Row] = [
        (P1, "a", D(2021, 12, 1), D(2021, 12, 31), 80.0, 900.0, 10.0, "9"),
        (P1, "b", D(2021, 12, 1), D(2021, 12, 31), 80.0, 1000.0, 10.0, "4"),
    ]
    assert _working(wage_tie, 1)["r1"]["employment_type"] == "temp_agency"
    id_tie: list[Row] = [
        (P1, "b", D(2021, 12, 1), D(2021, 12, 31), 80.0, 1000.0, 10.0, "9"),
        (P1, "a", D(2021, 12, 1), D(2021, 12, 31), 80.0, 1000.0, 10.0, "4"),
    ]
    assert _working(id_tie, 1)["r1"]["employment_type"] == "temp_agency"


def test_snapshot_date_takes_rows_containing_it_whole() -> None:
    """With a peildatum, rows containing that day count whole and others not at all."""
    got = _working(ROWS, 3, D(2021, 12, 31))
    assert got["r1"]["hours"] == pytest.approx(160.0)
    assert got["r2"]["hours"] == pytest.approx(140.0)  # only the row of 6 Dec - 2 Jan
    assert got["r3"]["hours"] == pytest.approx(131.0)  # both rows, whole
    early = _working(ROWS, 3, D(2021, 12, 2))
    assert set(early) == {"r1", "r2", "r3"}
    assert early["r2"]["hours"] == pytest.approx(140.0)  # the row of 8 Nov - 5 Dec
    assert early["r3"]["hours"] == pytest.approx(100.0)  # the correction starts 16 Dec
    gap: list[Row] = [(P1, "a", D(2021, 12, 1), D(2021, 12, 10), 40.0, 400.0, 5.0, "9")]
    assert _working(gap, 1, D(2021, 12, 31)) == {}  # worked in December, not on the 31st


def test_snapshot_date_outside_end_month_is_refused() -> None:
    with pytest.raises(ConfigError, match="not in the end month"):
        compute(_inputs(ROWS, 3), DurabilityOptions(END, snapshot_date=D(2022, 1, 1)))


def test_net_wage_prorated_and_reported() -> None:
    """A net wage column is prorated like the base wage and gets its own mean."""
    net = [1800.0, 1100.0, 1100.0, 800.0, -31.0]
    result = compute(_inputs(ROWS, 3, net), DurabilityOptions(END))
    assert result.working_at_end is not None
    got = {r["record_id"]: r["net_wage"] for r in result.working_at_end.iter_rows(named=True)}
    assert got["r1"] == pytest.approx(1800.0)
    assert got["r2"] == pytest.approx(1100 * 31 / 28)
    assert got["r3"] == pytest.approx(800 - 16.0)
    cell = result.snapshot.filter(pl.col("category") == "net_wage").row(0, named=True)
    assert cell["value"] == pytest.approx(sum(got.values()) / 3)


@st.composite
def _periods(draw: st.DrawFn) -> list[tuple[dt.date, dt.date, float]]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        start = D(2021, 10, 15) + dt.timedelta(days=draw(st.integers(0, 90)))
        out.append(
            (
                start,
                start + dt.timedelta(days=draw(st.integers(0, 40))),
                draw(st.sampled_from([8.0, 40.0, 173.0])),
            )
        )
    return out  # fmt: skip


@settings(max_examples=30)
@given(_periods())
def test_proration_matches_day_by_day_reference(
    periods: list[tuple[dt.date, dt.date, float]],
) -> None:
    """Prorated hours equal a day-by-day sum of each row's hours spread evenly over its days."""
    rows: list[Row] = [
        (P1, f"j{i}", s, e, h, h * 15, h / 8, "9") for i, (s, e, h) in enumerate(periods)
    ]
    expected = 0.0
    for s, e, h in periods:
        days = [s + dt.timedelta(days=k) for k in range((e - s).days + 1)]
        expected += math.fsum(h / len(days) for d in days if (d.year, d.month) == END)
    got = _working(rows, 1)
    if expected == 0:
        assert got == {}
    else:
        assert got["r1"]["hours"] == pytest.approx(expected)
        assert got["r1"]["base_wage"] / got["r1"]["hours"] == pytest.approx(15.0)


def test_net_wage_alias_must_exist(tmp_path: Path) -> None:
    """[columns] net_wage naming a column the jobs file lacks is an error, not a silent no-op."""
    inputs = _inputs(ROWS, 3)
    analysis, linked, jobs = tmp_path / "a.parquet", tmp_path / "l.csv", tmp_path / "j.csv"
    inputs.analysis.write_parquet(analysis)
    inputs.linked.write_csv(linked, separator=";")
    inputs.jobs.collect().write_csv(jobs, separator=";")
    with pytest.raises(ColumnError, match=r"'net_wage'.*netto"):
        read_inputs(analysis, linked, jobs, aliases={"net_wage": ["netto"]})
    pl.read_csv(jobs, separator=";").with_columns(netto=pl.lit(900.0)).write_csv(
        jobs, separator=";"
    )
    got = read_inputs(analysis, linked, jobs, aliases={"net_wage": ["netto"]})
    assert got.jobs.collect()["net_wage"].to_list() == [900.0] * len(ROWS)


def test_in_work_at_end_follows_the_snapshot_date() -> None:
    """persons.parquet's in_work_at_end is the snapshot's working set, with or without a date."""
    gap: list[Row] = [
        (P1, "a", D(2021, 12, 1), D(2021, 12, 10), 40.0, 400.0, 5.0, "9"),
        (P2, "b", D(2021, 12, 1), D(2021, 12, 31), 160.0, 2400.0, 20.0, "9"),
    ]
    for day, working in ((None, [True, True]), (D(2021, 12, 31), [False, True])):
        result = compute(_inputs(gap, 2), DurabilityOptions(END, snapshot_date=day))
        assert result.persons["in_work_at_end"].to_list() == working
        assert result.working_at_end is not None
        assert sorted(result.working_at_end["record_id"]) == [
            r for r, w in zip(["r1", "r2"], working, strict=True) if w
        ]
