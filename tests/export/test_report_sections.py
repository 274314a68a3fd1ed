"""The report's survival, models and settings sections in the reader's language: survival steps as
a study table, model terms and fit statistics labelled, the manifest's English setting texts said
again in Dutch; no internal code left in the text."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest

from nbnb_cbs.export.labels import Language
from nbnb_cbs.export.report import report_blocks, to_markdown
from nbnb_cbs.export.report_models import term_label
from nbnb_cbs.export.report_survival import survival_tables
from nbnb_cbs.survival import survival_table

# Codes of the survival and model files a reader must not see in the report.
CODES = ("at_risk", "from_month", "to_month", "half_interval", "survival_12m", "residual_dof",
         "pseudo_r2", "in_work_at_end", "(intercept)", "sex: woman", "logit", "pooled",
         "prorated", "all records")  # fmt: skip


def _as_read(frame: pl.DataFrame) -> pl.DataFrame:
    """The table as the render reads it back from its CSV: text, decimal comma (Dutch format)."""
    return frame.with_columns(pl.all().cast(pl.String).str.replace(".", ",", literal=True))


def _render(lang: Language, tables: list, models: list | None = None, **params: object) -> str:  # type: ignore[type-arg]
    base = {"end": "2021-12", "threshold": 10}
    return to_markdown(report_blocks("p", base | params, tables, [], lang, models=models))


def test_survival_steps_read_as_a_study_table() -> None:
    """Rows are steps in words, columns at risk, events, survival, its interval and the status as a
    word; a curve that never reaches 50% says so in words, a hidden row keeps the mark."""
    # 24 months, 10 spells ending in each: the curve falls below 0.5 within the follow-up.
    falling = survival_table([m for m in range(1, 25) for _ in range(10)], [True] * 240, 10)
    # Few events, most censored late: the curve stays above 0.5.
    flat = survival_table([3] * 12 + [30] * 200, [True] * 12 + [False] * 200, 10)
    (header, steps), (_, summary) = survival_tables(_as_read(falling.published),
                                                    "survival_first_spell", "nl")  # fmt: skip
    assert header == ["Periode", "Nog gevolgd", "Baan beëindigd", "Nog aan het werk",
                      "95%-interval", "Status"]  # fmt: skip
    first = falling.steps[0]
    assert steps[0][0] == (
        f"maand {first.start}" if first.months == 1 else f"maand {first.start} t/m {first.end}"
    )
    assert steps[0][1] == str(first.at_risk) == "240" and steps[0][2] == str(first.events)
    survival = falling.published["survival"][0]
    assert steps[0][3] == f"{survival * 100:.1f}%".replace(".", ",")
    assert steps[-1][0].endswith("en later")  # the open last step
    crossing = summary[0]
    assert crossing[0] == "Curve bereikt 50%" and crossing[1].startswith("maand ")
    _, (_, summary) = survival_tables(_as_read(flat.published), "survival_first_spell", "en")
    assert summary[0][:2] == ["Curve reaches 50%", "not reached (the curve stays above 50%)"]
    assert "·" not in summary[0]
    hidden = survival_table([1, 2, 3], [True] * 3, 10).published
    (_, steps), (_, summary) = survival_tables(_as_read(hidden), "survival_to_first_job", "en")
    assert steps == [["all steps", "·", "·", "·", "·", "not shown"]]
    assert [row[1] for row in summary] == ["·", "·"]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_survival_section_has_no_codes(language: Language) -> None:
    table = survival_table([m for m in range(1, 25) for _ in range(10)], [True] * 240, 10)
    log = {"kind": "survival", "table": "survival_first_spell", "status_counts": {"pooled": 3}}
    text = _render(language, [("tables/survival_first_spell.csv", _as_read(table.published), log)])
    assert ("Duur van werk" if language == "nl" else "Survival in work") in text
    leaked = [code for code in CODES if code in text]
    assert not leaked, leaked


def test_model_terms_labelled() -> None:
    assert term_label("sex: woman", "nl") == "Geslacht: vrouw"
    assert (
        term_label("sex: woman x age_group: <25", "nl") == "Geslacht: vrouw × leeftijdsgroep: <25"
    )
    assert term_label("age_group: unknown", "en") == "Age group: unknown"
    assert term_label("region: west", "nl") == "Region: west"  # a researcher's own column


@pytest.fixture(scope="module")
def merged_model() -> Any:
    """A model fitted by the models code whose sparse level 'west' was merged (its log says so)."""
    from nbnb_cbs.models import run_model
    from tests.models.test_models import CBS, _data, _spec, _with_sparse_region

    analysis, persons = _data()
    spec = _spec(covariates=("sex", "region"), merge_sparse_levels=True,
                 reference={"region": "north"}, exclude_destinations=("education",))  # fmt: skip
    return run_model(spec, _with_sparse_region(analysis, persons), persons, CBS)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_models_section_in_the_reports_language(language: Language, merged_model: Any) -> None:
    """A model with a merged level: title, sample, references, merge, terms and fit in words,
    the fit's N as a whole number in the language's format."""
    from nbnb_cbs.models import export_tables, log_entry

    result = merged_model
    files = export_tables(result)
    entry = log_entry(result)
    text = _render(language, [], models=[(entry, files["model_m.csv"], files["model_m_fit.csv"])])
    n = f"{result.fit.n:,}".replace(",", "." if language == "nl" else ",")
    if language == "nl":
        assert "### Aan het werk in de eindmaand (logistische regressie; model m)" in text
        assert "zonder de uitgestroomden naar onderwijs" in text
        assert "region: west samengevoegd met de referentiecategorie north" in text
        assert "| Geslacht: vrouw |" in text and f"| N | {n} |" in text
        assert "| Vrijheidsgraden (residu) |" in text
    else:
        assert "### In work in the end month (logistic regression; model m)" in text
        assert "region: west merged into the reference level north" in text
        assert "| Sex: woman |" in text and f"| N | {n} |" in text
    leaked = [code for code in CODES if code in text]
    assert not leaked, leaked
    # A merge sentence of a form the report does not know is shown as it is, never dropped.
    odd = dataclasses.replace(result, merges=["something new happened"])
    text = _render(language, [], models=[(log_entry(odd), files["model_m.csv"], files["model_m_fit.csv"])])  # fmt: skip
    assert "something new happened" in text


def test_settings_recorded_in_english_are_said_in_dutch() -> None:
    """The manifest's snapshot and population texts (written by the pipeline in English) read as
    Dutch settings rows; the population names its rules and projects, no record counts."""
    from nbnb_cbs.population import Population, select

    analysis = pl.DataFrame(
        {"record_id": [f"r{i}" for i in range(30)], "project": ["A", "B", "C"] * 10,
         "exit_date": [dt.date(2020, 1, 1)] * 30}
    )  # fmt: skip
    published = select(analysis, Population(exclude=("B",))).published
    text = _render("nl", [], snapshot="2021-12 (amounts prorated by days)", population=published)
    assert "| momentopname | 2021-12 (bedragen naar rato van de dagen in de maand) |" in text
    assert "| populatie | 1 projecten bij naam uitgesloten: 2 projecten |" in text
    everyone = select(analysis, Population()).published
    assert "| populatie | alle deelnemers: 3 projecten |" in _render("nl", [], population=everyone)
    assert "| snapshot date 2021-12-31 |" in _render("en", [], snapshot="2021-12-31")
    words = _render("nl", [], **{"unit": "month", "language": "nl"})
    assert "| eenheid | maand |" in words and "| taal | Nederlands |" in words
    assert not [code for code in CODES if code in text]


def test_education_tables_labelled_and_absent_cells_are_dashes() -> None:
    """Education groups in words; a statistic a row has no cell for is '-', a hidden one '·';
    the enrolment table's categories are exit destinations."""
    from nbnb_cbs.export.report import wide_table

    education = pl.DataFrame(
        {"group": ["enrolled_1m", "enrolled_1m", "education_cohort"], "sectoral": ["Total"] * 3,
         "statistic": ["n", "mean", "share_enrolled_at_end"], "value": [59.0, None, 0.4],
         "n": [59, None, 80], "status": ["published", "suppressed", "published"]}
    )  # fmt: skip
    header, rows = wide_table(education, "education", "nl")
    assert header[-1] == "Aandeel ingeschreven aan het eind"
    assert rows[0] == ["Ten minste één maand ingeschreven", "Totaal", "59", "·", "-"]
    assert rows[1] == ["Uitgestroomd naar onderwijs (alle gekoppelden)", "Totaal", "-", "-", "40%"]
    enrolment = pl.DataFrame(
        {"category": ["Total", "work_and_learn"], "statistic": ["share_enrolled_at_end"] * 2,
         "value": [0.21, 0.35], "n": [600, 40], "status": ["published"] * 2}
    )  # fmt: skip
    header, rows = wide_table(enrolment, "education_enrolment", "en")
    assert header == ["Exit destination", "Share enrolled at the end", "N"]
    assert rows == [["Total", "21%", "600"], ["Learning and working", "35%", "40"]]
    bins = pl.DataFrame({"bin": ["[0.0, 0.5)", "[0.9, 1.0)", "1.0"], "statistic": ["count"] * 3,
                         "value": [20.0, None, 12.0], "n": [20, None, 12],
                         "status": ["published", "suppressed", "published"]})  # fmt: skip
    _, rows = wide_table(bins, "durability_distribution", "nl")
    assert rows == [["0–50%", "20"], ["90–<100%", "·"], ["100%", "12"]]
    log = {"kind": "education_enrolment", "table": "education_enrolment", "status_counts": {}}
    text = _render("nl", [("tables/education_enrolment.csv", enrolment, log)])
    assert "### Ingeschreven in onderwijs in de eindmaand" in text and "work_and_learn" not in text
    counted = enrolment.with_columns(statistic=pl.lit("count"), value=pl.col("n").cast(pl.Float64))
    header, rows = wide_table(counted, "education_enrolment", "nl")
    assert header == ["Uitstroombestemming", "Ingeschreven"] and rows[1] == [
        "Leren en werken",
        "40",
    ]
