"""Normalisers for linkage keys, as pure polars expressions (no row loops).

Each returns the normalised value, or null when the input cannot be used; the caller turns
nulls into reason codes. All are idempotent: normalising a normalised value changes nothing.
"""

from __future__ import annotations

import polars as pl

from nbnb_cbs.text import ascii_digits_expr

__all__ = [
    "POSTCODE_PATTERN",
    "house_number_parts",
    "postcode_expr",
    "postcode_valid_expr",
    "sex_expr",
    "sex_label_expr",
]

POSTCODE_PATTERN = r"^[1-9][0-9]{3}[A-Z]{2}$"
_MALE = ("M", "MAN", "MALE", "MANNELIJK", "1", "H")
_FEMALE = ("V", "VROUW", "F", "FEMALE", "VROUWELIJK", "W", "2")


def _text(expr: pl.Expr) -> pl.Expr:
    """Text with digits of any script as ASCII digits; null -> empty."""
    return ascii_digits_expr(expr).fill_null("")


def postcode_expr(expr: pl.Expr) -> pl.Expr:
    """All white space removed, upper case; empty -> null."""
    cleaned = _text(expr).str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.when(cleaned == "").then(pl.lit(None, dtype=pl.String)).otherwise(cleaned)


def postcode_valid_expr(normalised: pl.Expr) -> pl.Expr:
    """A PC6 postcode as PostNL issues them: 1234AB, never ending in SA, SD or SS."""
    return normalised.str.contains(POSTCODE_PATTERN) & ~normalised.str.slice(4, 2).is_in(
        ["SA", "SD", "SS"]
    )


def sex_expr(expr: pl.Expr) -> pl.Expr:
    """1 = man, 2 = woman (CBS's codes); anything else (X, anders, onbekend, empty) -> null."""
    text = _text(expr).str.strip_chars().str.to_uppercase()
    return (
        pl.when(text.is_in(_MALE))
        .then(pl.lit(1, dtype=pl.Int8))
        .when(text.is_in(_FEMALE))
        .then(pl.lit(2, dtype=pl.Int8))
        .otherwise(pl.lit(None, dtype=pl.Int8))
    )


def sex_label_expr(expr: pl.Expr) -> pl.Expr:
    """The analysis file's sex: ``man`` or ``woman`` (whatever form the registration used)."""
    return sex_expr(expr).replace_strict(
        {1: "man", 2: "woman"}, default=None, return_dtype=pl.String
    )


def house_number_parts(number: pl.Expr, addition: pl.Expr | None = None) -> pl.Expr:
    """Split a house-number field (and an optional addition field) into BAG parts.

    Returns a struct ``{huisnummer: Int32, huisletter: String, huisnummertoevoeging: String,
    empty: Boolean}``; ``huisnummer`` is null when the field cannot be read (no leading number,
    a "t/m" range, an addition longer than four characters), ``empty`` when nothing was given.

    Rules, in order: the leading 1-5 digits are the number; the words HOOG, ETAGE and
    VERDIEPING and an ordinal E after a digit are dropped ("1e etage" -> 1); HUIS becomes HS; a
    single letter directly after the number (optionally after a space, "-" or "/") is the
    huisletter; what remains, stripped of punctuation and spaces, is the huisnummertoevoeging.
    A single letter in the addition field is therefore read as a huisletter, as BAG does.
    """
    combined = _text(number) + " " + (_text(addition) if addition is not None else pl.lit(""))
    text = combined.str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    lead = text.str.extract(r"^([0-9]{1,5})(?:[^0-9]|$)", 1)
    rest = text.str.replace(r"^[0-9]{1,5}", "")
    rest = rest.str.replace_all(r"(?-u:\b)(HOOG|ETAGE|VERDIEPING)(?-u:\b)", " ")
    rest = rest.str.replace_all(r"([0-9])E(?-u:\b)", "$1")
    rest = rest.str.replace_all(r"(?-u:\b)HUIS(?-u:\b)", "HS")
    rest = rest.str.strip_chars(" -/.,")
    letter = rest.str.extract(r"^([A-Z])(?:[ \-/.,][ \-/.,]*.*|[0-9].*)?$", 1)
    remaining = (
        pl.when(letter.is_not_null()).then(rest.str.slice(1)).otherwise(rest)
    ).str.replace_all(r"[^A-Z0-9]", "")
    too_long = remaining.str.len_chars() > 4
    bad = (
        lead.is_null()
        | text.str.contains(r"T/M|T\.M\.|TOT EN MET")
        | too_long
        | rest.str.contains(r"[^\x00-\x7F]")  # a letter of another script: not a BAG letter
        | (lead.cast(pl.Int32, strict=False) == 0)
    )
    number_value = lead.cast(pl.Int32, strict=False)
    huisnummer = pl.when(bad).then(pl.lit(None, dtype=pl.Int32)).otherwise(number_value)
    return pl.struct(
        huisnummer=huisnummer,
        huisletter=pl.when(bad).then(pl.lit(None, dtype=pl.String)).otherwise(letter.fill_null("")),
        huisnummertoevoeging=pl.when(bad)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(remaining.fill_null("")),
        empty=text == "",
    )
