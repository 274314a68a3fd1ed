"""The report's models section in the reader's language: the model's title from its outcome and
kind, the sample and reference levels in words, term names through the label table ("sex: woman"
-> "geslacht: vrouw"), fit statistics by name, numbers with the language's decimal mark.

``model_<name>.csv`` and ``model_<name>_fit.csv`` keep their codes (the steward's check re-reads
them). The merges the model log records are sentences the model code writes; they are rendered
from their known forms, and a sentence of another form is shown as it is.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from nbnb_cbs.export.labels import LABELS, Language, format_number, heading, label, phrase

__all__ = ["coefficient_table", "fit_table", "model_notes", "model_title", "term_label"]

_INTERACTION = " x "
_COUNT_STATISTICS = ("N", "N_outcome", "residual_dof")
_MERGE_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("m_merged_reference", re.compile(
        r"(?P<column>\w+): levels (?P<levels>.+) merged into the reference (?P<target>'[^']*') "
        r"\(not a level of their own\)")),
    ("m_merged", re.compile(r"(?P<column>\w+): levels (?P<levels>.+) merged into (?P<target>'[^']*')")),
    ("m_filled", re.compile(r"(?P<column>\w+): the few unknown values filled with the mean \(no indicator\)")),
    ("m_cell_merged", re.compile(
        r"(?P<a_col>\w+) = (?P<a>'[^']*') x (?P<b_col>\w+) = (?P<b>'[^']*'): no term of its own; "
        r"merged into the reference \(no interaction term\)")),
)  # fmt: skip


def _level(code: str, language: Language) -> str:
    """A covariate level inside a sentence or term: a labelled word in lower case."""
    text = label(code, language)
    return text[:1].lower() + text[1:] if code in LABELS else text


def term_label(term: str, language: Language) -> str:
    """``sex: woman x age_group: <25`` -> ``geslacht: vrouw × leeftijdsgroep: <25``."""
    sides = []
    for side in term.split(_INTERACTION):
        column, sep, level = side.partition(": ")
        shown = _level(column, language)
        sides.append(f"{shown}: {_level(level, language)}" if sep else shown)
    text = " × ".join(sides)
    return text[:1].upper() + text[1:]


def model_title(entry: dict[str, Any], language: Language) -> str:
    return phrase(
        "m_title",
        language,
        outcome=heading(entry.get("outcome"), language),
        kind=label(entry.get("kind"), language),
        name=entry.get("name"),
    )


def _quoted(text: str, language: Language) -> str:
    return ", ".join(_level(v, language) for v in re.findall(r"'([^']*)'", text))


def _merge_note(line: str, language: Language) -> str:
    for key, form in _MERGE_FORMS:
        match = form.fullmatch(line)
        if match is None:
            continue
        found = match.groupdict()
        if key == "m_cell_merged":
            a = f"{_level(found['a_col'], language)} = {_quoted(found['a'], language)}"
            b = f"{_level(found['b_col'], language)} = {_quoted(found['b'], language)}"
            return phrase(key, language, a=a, b=b)
        return phrase(
            key,
            language,
            column=_level(found["column"], language),
            levels=_quoted(found.get("levels") or "", language),
            target=_quoted(found.get("target") or "", language),
        )
    return line


def model_notes(entry: dict[str, Any], language: Language) -> list[str]:
    """The model's sample, reference levels, fixed effects and merges in words."""
    excluded = [str(d) for d in entry.get("excluded_destinations") or []]
    sample = phrase("m_sample", language)
    if excluded:
        words = ", ".join(_level(d, language) for d in excluded)
        sample += phrase("m_excluded", language, destinations=words)
    notes = [sample]
    references = entry.get("reference_levels") or {}
    if references:
        levels = ", ".join(
            f"{_level(str(k), language)} = {_level(str(v), language)}"
            for k, v in references.items()
        )
        notes.append(phrase("m_references", language, levels=levels))
    if entry.get("fixed_effects"):
        notes.append(phrase("m_fixed_effects", language))
    notes += [_merge_note(str(m), language) for m in entry.get("merges", [])]
    return notes


def _decimal(value: Any, language: Language) -> str:
    if value is None:
        return "·"
    number = float(value)
    return format_number(number, 3 if abs(number) < 10 else 1, language)


def coefficient_table(
    coefficients: pl.DataFrame, language: Language
) -> tuple[list[str], list[list[str]]]:
    """term, B, SE, Exp(B), p: terms labelled, numbers at three decimals (p below 0.001 said so);
    a linear probability model has no odds ratios, so no Exp(B) column."""
    frame = coefficients
    if "Exp(B)" in frame.columns and frame["Exp(B)"].null_count() == frame.height:
        frame = frame.drop("Exp(B)")
    header = [heading(c, language) if c == "term" else c for c in frame.columns]
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for column, value in row.items():
            if column == "term":
                cells.append(term_label(str(value), language))
            elif column == "p" and value is not None and float(value) < 0.001:
                cells.append("< " + format_number(0.001, 3, language))
            else:
                cells.append(_decimal(value, language))
        rows.append(cells)
    return header, rows


def fit_table(fit: pl.DataFrame, language: Language) -> tuple[list[str], list[list[str]]]:
    """N, residual degrees of freedom (whole numbers), pseudo R² (four decimals), AIC (two)."""
    rows = []
    for row in fit.iter_rows(named=True):
        statistic, value = str(row["statistic"]), row["value"]
        if value is None:
            text = "·"
        elif statistic in _COUNT_STATISTICS:
            text = format_number(float(value), 0, language)
        else:
            text = format_number(float(value), 2 if statistic == "aic" else 4, language)
        rows.append([heading(statistic, language), text])
    return [heading("statistic", language), heading("value", language)], rows
