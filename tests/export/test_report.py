"""The report's tables: laid out like the source study, labelled in Dutch or English, counts as
whole numbers, shares as percents, hidden and merged cells marked, every code labelled."""

from __future__ import annotations

import polars as pl
import pytest

from nbnb_cbs.export.labels import LABELS, label, phrase
from nbnb_cbs.export.report import format_number, report_blocks, to_html, to_markdown, wide_table

STATS = ["n", "mean", "weighted_mean", "share_100", "share_ge_90"]


def _durability() -> pl.DataFrame:
    rows = []
    for group, values in (("exit_work", [141.0, 0.776, 0.759, None, 0.58]),
                          ("worked_1m", [1280.0, 0.855, 0.818, 0.65, None])):  # fmt: skip
        for stat, value in zip(STATS, values, strict=True):
            rows.append({"group": group, "sectoral": "Total", "statistic": stat, "value": value,
                         "n": None if value is None else 141,
                         "status": "suppressed" if value is None else "published"})  # fmt: skip
    return pl.DataFrame(rows)


def test_durability_table_rows_are_groups_columns_statistics() -> None:
    """Rows = groups, columns = N, mean, time-weighted mean, 100%, >= 90%, as in Tabel 6.3."""
    header, rows = wide_table(_durability(), "durability", "nl")
    assert header == ["Groep", "Sectorale insteek", "N", "Gemiddelde", "Gemiddelde gewogen naar tijd",
                      "100% van de tijd", "≥ 90% van de tijd"]  # fmt: skip
    assert rows[0] == ["Uitgestroomd naar werk", "Totaal", "141", "77,6%", "75,9%", "·", "58%"]
    assert rows[1] == [
        "Ten minste één maand gewerkt",
        "Totaal",
        "1.280",
        "85,5%",
        "81,8%",
        "65%",
        "·",
    ]
    header, rows = wide_table(_durability(), "durability", "en")
    assert header[4] == "Time-weighted mean"
    assert rows[1][:4] == ["Worked at least one month", "Total", "1,280", "85.5%"]


def test_pooled_cells_are_marked_and_explained() -> None:
    """A merged period carries * and one sentence naming the merged months and their size."""
    months = ["2021-01", "2021-02", "2021-03"]
    inflow = pl.DataFrame({"month": months, "statistic": "inflow", "value": [14.0 + 2 / 3] * 3,
                           "n": [44] * 3, "pool": ["2021-01..2021-03"] * 3, "status": "pooled"})  # fmt: skip
    header, rows = wide_table(inflow, "series_inflow", "en")
    assert header == ["Month", "Inflow"] and rows[0] == ["2021-01", "14.7*"]
    log = {"kind": "series_inflow", "table": "series_inflow", "status_counts": {"pooled": 3}}
    blocks = report_blocks("p", {"end": "2021-12", "threshold": 10},
                           [("tables/series_inflow.csv", inflow, log)], [], "nl")  # fmt: skip
    text = to_markdown(blocks)
    assert "2021-01 t/m 2021-03 zijn samengevoegd (*): samen 44 personen" in text
    assert text.count("samengevoegd (*)") == 1
    assert "<html lang='nl'>" in to_html(blocks, "t", "nl")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_rounded_pool_and_halves_are_said(language: str) -> None:
    """A pooled total of a rounded table is said to be rounded (red team 30 took "samen 20
    personen" for exact and narrowed the next month to 0..9), and which way halves go is said
    (an attacker assuming half to even takes 9-value ranges for 10-value ones)."""
    months = ["2021-01", "2021-02", "2021-03"]
    inflow = pl.DataFrame({"month": months, "statistic": "inflow", "value": [20 / 3] * 3,
                           "n": [20] * 3, "pool": ["2021-01..2021-03"] * 3, "status": "pooled"})  # fmt: skip
    log = {"kind": "series_inflow", "table": "series_inflow", "rounding": 10,
           "status_counts": {"pooled": 3}}  # fmt: skip
    blocks = report_blocks("p", {"end": "2021-12", "threshold": 10},
                           [("tables/series_inflow.csv", inflow, log)], [], language)  # fmt: skip
    text = to_markdown(blocks)
    if language == "nl":
        assert "samen 20 personen (afgerond op 10)" in text
        assert "afgerond op 10, precies halverwege naar boven (15 wordt 20)" in text
    else:
        assert "20 persons together (rounded to 10)" in text
        assert "rounded to 10, exact halves up (15 becomes 20)" in text
    # Rounded to 5, no whole count lies halfway: nothing to say about halves.
    blocks = report_blocks("p", {"end": "2021-12", "threshold": 10},
                           [("tables/series_inflow.csv", inflow, log | {"rounding": 5})], [],
                           language)  # fmt: skip
    text = to_markdown(blocks)
    assert ("afgerond op 5;" if language == "nl" else "rounded to 5;") in text
    assert "halverwege" not in text and "halves" not in text


def test_suppression_sentence_names_threshold_and_count() -> None:
    log = {"kind": "durability", "table": "durability_exit", "anchor": "first-job",
           "breakdown": "sectoral", "status_counts": {"published": 8, "suppressed": 2}}  # fmt: skip
    md = to_markdown(report_blocks("p", {"end": "2021-12", "threshold": 10},
                                   [("tables/durability_exit.csv", _durability(), log)], [], "en"))  # fmt: skip
    assert "2 figure(s) not shown (·): they concern fewer than 10 persons" in md
    assert "Durability of work after exit (from first job), by sector-focused project" in md
    for code in (
        "exit_work",
        "share_ge_90",
        "weighted_mean",
        "first-job",
        "suppressed",
        "durability_exit",
    ):
        assert code not in md, code


@pytest.mark.parametrize(("language", "expected"), [("nl", "1.234,6"), ("en", "1,234.6")])
def test_number_format_follows_the_language(language: str, expected: str) -> None:
    assert format_number(1234.56, 1, language) == expected  # type: ignore[arg-type]


def test_every_published_code_has_both_labels() -> None:
    """The vocabulary the export tables carry is in the one label table, in both languages."""
    from nbnb_cbs.cells import Status

    codes = ["exit_work", "worked_1m", "observed_12m", "exit_education", "enrolled_1m",
             "education_cohort", *STATS, "records", "at_risk", "events", "survival", "from_month",
             "to_month", "lower", "upper", "half_interval", "survival_12m", "residual_dof",
             "pseudo_r2", "in_work_at_end", "enrolled_at_end", "work_or_education_at_end",
             "linked", "share_linked", "count_working", "share_working", "share_enrolled_at_end",
             "inflow", "count", "share", "ratio", "temp_agency", "employment_contract", "full_time",
             "part_time", "flexible", "permanent", "hours", "fulltime_days", "base_wage",
             "hourly_wage", *(s.value for s in Status)]  # fmt: skip
    for code in codes:
        nl, en = LABELS[code]
        assert label(code, "nl") == nl and label(code, "en") == en and "_" not in nl + en
    assert label("Amsterdam", "nl") == "Amsterdam"  # a researcher's own value is kept
    assert phrase("title", "en", project="x") == "Durability of work: x"


@pytest.mark.parametrize(
    ("language", "rounding", "shown"),
    [
        ("nl", 0, "| afronding | geen |"),
        ("en", 0, "| rounding | none |"),
        ("nl", 5, "| afronding | 5 |"),
    ],
)
def test_settings_say_the_series_is_rounded(language: str, rounding: int, shown: str) -> None:
    """The settings table says no rounding in words, and that the monthly series is rounded
    to 10 whatever the setting (a bare 'rounding 0' beside a series rounded to 10 misleads)."""
    params = {"end": "2021-12", "rounding": rounding, "series_rounding": 10, "threshold": 10}
    md = to_markdown(report_blocks("p", params, [], [], language))  # type: ignore[arg-type]
    assert shown in md
    fixed = "| afronding maandreeks (vast) | 10 |" if language == "nl" else "| rounding of the monthly series (fixed) | 10 |"  # fmt: skip
    assert fixed in md
