"""The sheets of tables.xlsx in the reader's language: a contents sheet (sheet, title, note), then
each published table with its headers, groups, statistics and statuses labelled and its numbers
typed (counts as whole numbers, shares as fractions Excel can format), then each model's
coefficients and fit with their terms and statistics labelled.

The table CSVs keep their codes; the workbook is drawn from them (and re-drawn by the steward's
check), so it can carry nothing they do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from nbnb_cbs.cells import POOL, STATISTIC, TOTAL, VALUE, N
from nbnb_cbs.export.labels import Language, bin_label, heading, label, phrase
from nbnb_cbs.export.report import specific_name, table_title
from nbnb_cbs.export.report_models import model_title, term_label

__all__ = ["workbook_sheets"]

# Survival columns are read back as text; in the workbook they are numbers.
_SURVIVAL_COUNTS = ("from_month", "to_month", "at_risk", "events")
_SURVIVAL_SHARES = ("survival", "lower", "upper")
_NUMBERS = (VALUE, TOTAL, *_SURVIVAL_SHARES)


def _labelled(column: pl.Series, language: Language) -> pl.Series:
    values = column.cast(pl.String)
    mapping = {v: label(v, language) for v in values.drop_nulls().unique().to_list()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _pool(column: pl.Series, language: Language) -> pl.Series:
    """``2021-01..2021-03`` -> ``2021-01 t/m 2021-03`` (``later`` labelled)."""
    word = " t/m " if language == "nl" else " to "
    out: list[str | None] = []
    for value in column.cast(pl.String).to_list():
        if value is None:
            out.append(None)
            continue
        first, _, last = value.partition("..")
        out.append(label(first, language) + (word + label(last, language) if last else ""))
    return pl.Series(column.name, out, dtype=pl.String)


def _number(column: pl.Series) -> pl.Series:
    if column.dtype == pl.String:
        column = column.str.strip_chars().str.replace(",", ".", literal=True)
    return column.cast(pl.Float64, strict=False)


def _whole(column: pl.Series) -> pl.Series:
    """A count column as whole numbers (left as decimals if any value is not whole)."""
    number = _number(column)
    whole = number.drop_nulls()
    return number.cast(pl.Int64) if (whole == whole.round(0)).all() else number


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _table_sheet(frame: pl.DataFrame, kind: str, language: Language) -> pl.DataFrame:
    columns = []
    for name in frame.columns:
        column = frame[name]
        if name in (N, *_SURVIVAL_COUNTS):
            columns.append(_whole(column))
        elif name in _NUMBERS:
            columns.append(_number(column))
        elif name == POOL:
            columns.append(_pool(column, language))
        elif name == "bin":
            bins = column.cast(pl.String)
            mapping = {v: bin_label(v, language) for v in bins.drop_nulls().unique().to_list()}
            columns.append(bins.replace_strict(mapping, default=None, return_dtype=pl.String))
        elif name == STATISTIC:
            codes = column.cast(pl.String)
            mapping = {v: label(specific_name(kind, v), language) for v in codes.drop_nulls().unique().to_list()}  # fmt: skip
            columns.append(codes.replace_strict(mapping, default=None, return_dtype=pl.String))
        else:  # dimensions, status: codes to labels
            columns.append(_labelled(column, language))
    headers = _unique([heading(specific_name(kind, c), language) for c in frame.columns])
    return pl.DataFrame([c.alias(h) for c, h in zip(columns, headers, strict=True)])


def _model_sheets(
    entry: Mapping[str, Any], coefficients: pl.DataFrame, fit: pl.DataFrame, language: Language
) -> tuple[pl.DataFrame, pl.DataFrame]:
    terms = {t: term_label(t, language) for t in coefficients["term"].unique().to_list()}
    coef = coefficients.with_columns(pl.col("term").replace_strict(terms, return_dtype=pl.String))
    if "Exp(B)" in coef.columns and coef["Exp(B)"].null_count() == coef.height:
        coef = coef.drop("Exp(B)")
    coef = coef.rename({"term": heading("term", language)})
    shown = pl.DataFrame(
        {
            heading(STATISTIC, language): [heading(s, language) for s in fit[STATISTIC]],
            heading(VALUE, language): _number(fit[VALUE]),
        }
    )
    return coef, shown


def workbook_sheets(
    frames: Mapping[str, pl.DataFrame],
    logs: Mapping[str, Mapping[str, Any]],
    models: list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]],
    language: Language,
) -> dict[str, pl.DataFrame]:
    """Sheet name -> sheet: the contents first, then the tables (sheet named as its CSV file),
    then the models (sheet named as theirs)."""
    sheets: dict[str, pl.DataFrame] = {}
    names, titles = [], []
    for name, frame in frames.items():
        sheets[name] = _table_sheet(frame, str(logs.get(name, {}).get("kind", "")), language)
        names.append(name)
        titles.append(table_title(dict(logs.get(name, {})), language))
    for entry, coefficients, fit in models:
        model = str(entry.get("name"))
        coef, shown = _model_sheets(entry, coefficients, fit, language)
        sheets[f"model_{model}"], sheets[f"model_{model}_fit"] = coef, shown
        names += [f"model_{model}", f"model_{model}_fit"]
        titles += [model_title(entry, language)] * 2
    contents = pl.DataFrame(
        {
            phrase("x_sheet", language): names,
            phrase("x_title", language): titles,
            phrase("x_note", language): [phrase("x_note_text", language)] * len(names),
        },
        schema=dict.fromkeys(
            [phrase(k, language) for k in ("x_sheet", "x_title", "x_note")], pl.String
        ),
    )
    return {phrase("x_contents", language): contents, **sheets}
