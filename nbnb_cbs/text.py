"""Text normalisation shared by the parsers: digits of any script become ASCII digits.

Registrations typed on phones and copied from other documents carry Arabic-Indic, Persian,
Devanagari or full-width digits. Regular expressions count them as digits (``\\d`` is Unicode
aware), so a parser that then casts the text to a number would fail on them. Every parser that
reads numbers from text first maps them here; what is still not ASCII afterwards is simply not
a number, and the caller rejects it with its reason.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence

import polars as pl

__all__ = ["ascii_digits_expr", "per_distinct"]


# Every decimal digit Unicode defines lies in the first two planes.
_LAST_DIGIT_PLANE = 0x1FFFF


@functools.cache
def _decimal_digits() -> tuple[list[str], list[str]]:
    """Every Unicode decimal digit (category Nd) outside ASCII, and its ASCII digit."""
    # re's \d is exactly category Nd for str patterns; scanning one string is fast.
    found = re.findall(r"\d", "".join(map(chr, range(0x80, _LAST_DIGIT_PLANE + 1))))
    return found, [str(unicodedata.digit(ch)) for ch in found]


def ascii_digits_expr(expr: pl.Expr) -> pl.Expr:
    """The text with compatibility forms folded (NFKC: full-width letters and digits, ligatures)
    and every decimal digit of any script replaced by its ASCII digit."""
    digits, ascii_ = _decimal_digits()
    return expr.cast(pl.String).str.normalize("NFKC").str.replace_many(digits, ascii_)


def per_distinct(
    frame: pl.DataFrame, outputs: Mapping[str, pl.Expr], keys: Sequence[str]
) -> pl.DataFrame:
    """``frame`` with the ``outputs`` columns, each worked out once per distinct combination of
    the ``keys`` columns and looked up, in the frame's row order (nulls match nulls).

    Text parsing costs per value: a column of a million rows (dates, house numbers, exit
    destinations) holds a few thousand distinct values, or a handful."""
    lookup = frame.select(*keys).unique().with_columns(**outputs)
    return frame.join(lookup, on=list(keys), how="left", nulls_equal=True, maintain_order="left")
