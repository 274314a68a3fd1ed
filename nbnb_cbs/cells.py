"""The published cell vocabulary: column names, statuses, reasons and margin labels, in one place.

A cell frame holds a table's dimension columns (any names the researcher chose) and the cell
columns below. Released tables say only whether a cell is published, suppressed, pooled or
rounded; why a cell was suppressed (a ``Reason``) goes to review files that stay inside CBS.
Helper columns the tool adds while computing get generated names that cannot collide with a
researcher's columns; a researcher's column that would shadow a published one is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Final

from nbnb_cbs.errors import ColumnError

__all__ = [
    "CELL_COLUMNS",
    "MARGIN_LABELS",
    "POOL",
    "PUBLISHED_COLUMNS",
    "RESERVED_COLUMNS",
    "SERIES_ROUNDING",
    "STATISTIC",
    "STATUS",
    "TOP1",
    "TOP2",
    "TOTAL",
    "TOTAL_LABEL",
    "VALUE",
    "CellKind",
    "N",
    "Reason",
    "Status",
    "is_margin_label",
    "is_pattern",
    "refuse_shadowing",
    "temporary_column_name",
    "temporary_column_names",
]

# The monthly series' running totals and the inflow's quarterly pools are rounded to this base
# whatever the release's rounding setting (their month-to-month precision would tell the
# entrants of one month); the manifest records it as series_rounding.
SERIES_ROUNDING: Final = 10

STATISTIC: Final = "statistic"
"""What ``value`` is (count, share_working, mean_hours, ...)."""
VALUE: Final = "value"
"""The published number."""
N: Final = "n"
"""The number of units behind the cell; the threshold is always tested on it."""
TOTAL: Final = "total"
"""For magnitude statistics: the sum of the units' contributions."""
TOP1: Final = "top1"
"""The largest single contribution (input only, never published)."""
TOP2: Final = "top2"
"""The second largest contribution (input only, never published)."""
STATUS: Final = "status"
"""A released cell's ``Status``."""
POOL: Final = "pool"
"""The periods a pooled cell's value was spread over (``2021-01..2021-03``)."""

CELL_COLUMNS: Final = (STATISTIC, VALUE, N, TOTAL, TOP1, TOP2)
"""Columns a cell frame may bring besides its dimensions."""
PUBLISHED_COLUMNS: Final = (STATISTIC, VALUE, N, TOTAL, POOL, STATUS)
"""Columns a released table may carry besides its dimensions, in this order."""
RESERVED_COLUMNS: Final = (*CELL_COLUMNS, POOL, STATUS)
"""Names no dimension may have: they mean something in a cell frame or a released table."""

TOTAL_LABEL: Final = "Total"
"""The margin label nbnb-cbs writes."""
MARGIN_LABELS: Final = ("Total", "Totaal", "totaal", "All", "Alle")
"""Dimension values recognised as margins when a researcher's table brings its own totals."""


class Status(StrEnum):
    """What a released table says about a cell; never why it was suppressed."""

    PUBLISHED = "published"
    SUPPRESSED = "suppressed"
    POOLED = "pooled"
    ROUNDED = "rounded"


class CellKind(StrEnum):
    """How a cell's statistic is protected: a count, a share of n units, or a magnitude."""

    COUNT = "count"
    SHARE = "share"
    MAGNITUDE = "magnitude"


class Reason(StrEnum):
    """Why a cell was suppressed: for logs and review files, never for released tables."""

    NO_COUNT = "no_count"
    ZERO = "zero"
    THRESHOLD = "threshold"
    THRESHOLD_N = "threshold_n"
    SHARE_NUMERATOR = "share_numerator"
    SHARE_COMPLEMENT = "share_complement"
    MAGNITUDE_NONPOSITIVE = "magnitude_nonpositive"
    DOMINANCE_NK = "dominance_nk"
    DOMINANCE_P = "dominance_p"
    COMPLEMENTARY = "complementary"


def is_margin_label(value: str) -> bool:
    """Whether a dimension value is one of the recognised margin labels."""
    return value in MARGIN_LABELS


def temporary_column_name(columns: Collection[str], purpose: str = "tmp") -> str:
    """A column name not in ``columns`` (after narwhals' ``generate_temporary_column_name``).

    The name is deterministic (``__nbnb_<purpose>``, lengthened with underscores until it is
    free) so plans and error messages are reproducible, and it never equals a researcher's column.
    """
    name = f"__nbnb_{purpose}"
    taken = set(columns)
    while name in taken:
        name += "_"
    return name


def temporary_column_names(columns: Iterable[str], *purposes: str) -> tuple[str, ...]:
    """One free, mutually distinct column name per purpose."""
    taken = set(columns)
    names: list[str] = []
    for purpose in purposes:
        name = temporary_column_name(taken, purpose)
        taken.add(name)
        names.append(name)
    return tuple(names)


def is_pattern(column: str) -> bool:
    """Whether polars reads this column name as a pattern of names ("*", "^...$")."""
    return column == "*" or (column.startswith("^") and column.endswith("$"))


def refuse_shadowing(
    columns: Iterable[str],
    where: str,
    *,
    reserved: Collection[str] = RESERVED_COLUMNS,
    hint: str = "--rename {column}=NEW_NAME (e.g. --rename {column}=my_{column})",
) -> None:
    """Raise ``ColumnError`` (exit 2) naming the first column that would shadow a reserved one.

    ``hint`` says how to rename; ``{column}`` in it is replaced by the column's name.
    """
    for column in columns:
        if is_pattern(column):
            raise ColumnError.pattern(where, column, hint.format(column=column))
        if column in reserved:
            raise ColumnError.shadowing(where, column, hint.format(column=column))
