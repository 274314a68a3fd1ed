"""Primary disclosure rules on cell frames.

A cell's kind follows from its ``statistic``: counts (no statistic, or count-like names), shares
(share*, proportion*, rate*: value in [0, 1] of ``n`` units; numerator = value x n) and
magnitudes (means, ratios, sums), which need ``n`` units and must pass the dominance rules on
``total``/``top1``/``top2``. The threshold is always tested on ``n``, the units behind the cell.
Every decision names the ``Reason`` that fired; released tables only say ``suppressed``.
"""

from __future__ import annotations

import polars as pl

from nbnb_cbs.cells import POOL, STATISTIC, TOP1, TOP2, TOTAL, VALUE, CellKind, N, Reason
from nbnb_cbs.disclosure.profiles import Profile

__all__ = [
    "COUNT_STATISTICS",
    "cell_kind_expr",
    "known_statistics",
    "primary_rules",
    "statistic_kind_expr",
]

COUNT_STATISTICS = (
    "count", "n", "records", "linked", "entered", "working", "inflow", "outflow", "count_working",
    "frequency", "units", "persons",
)  # fmt: skip
_COUNT_PREFIXES = ("count",)
_SHARE_PREFIXES = ("share", "proportion", "rate", "pct", "percentage")
_MAGNITUDE_PREFIXES = ("mean", "weighted_mean", "average", "sum", "total", "ratio")


def known_statistics() -> str:
    """The statistic names nbnb-cbs knows how to protect, for error messages."""
    return (
        f"counts: {', '.join(COUNT_STATISTICS)}, count*; "
        f"shares: {', '.join(p + '*' for p in _SHARE_PREFIXES)}; "
        f"magnitudes: {', '.join(p + '*' for p in _MAGNITUDE_PREFIXES)}"
    )


def _starts(stat: pl.Expr, prefixes: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal([stat.str.starts_with(p) for p in prefixes])


def statistic_kind_expr(column: str = STATISTIC) -> pl.Expr:
    """The ``CellKind`` of a statistic name (null counts), or null for an unknown name."""
    stat = pl.col(column).cast(pl.String).str.to_lowercase().str.strip_chars().fill_null("count")
    return (
        pl.when(stat.is_in(COUNT_STATISTICS) | _starts(stat, _COUNT_PREFIXES))
        .then(pl.lit(CellKind.COUNT.value))
        .when(_starts(stat, _SHARE_PREFIXES))
        .then(pl.lit(CellKind.SHARE.value))
        .when(_starts(stat, _MAGNITUDE_PREFIXES))
        .then(pl.lit(CellKind.MAGNITUDE.value))
    )


def cell_kind_expr(has_statistic: bool, column: str = STATISTIC) -> pl.Expr:
    """'count', 'share' or 'magnitude' per cell; an unknown statistic is treated as a magnitude."""
    if not has_statistic:
        return pl.lit(CellKind.COUNT.value)
    return statistic_kind_expr(column).fill_null(pl.lit(CellKind.MAGNITUDE.value))


def _reason(name: Reason) -> pl.Expr:
    return pl.lit(name.value)


def primary_rules(
    cells: pl.DataFrame,
    profile: Profile,
    *,
    kind: str = "kind",
    rule: str = "rule",
    pooled: str | None = POOL,
) -> pl.DataFrame:
    """Add the cell's kind (column ``kind``) and the reason it must be suppressed (column
    ``rule``, null when the cell may be published). Rows whose ``pooled`` column is set publish
    a share of a pool: their ``n`` is the pool's total and their value is not a count."""
    frame = cells
    if kind not in frame.columns:
        frame = frame.with_columns(cell_kind_expr(STATISTIC in frame.columns).alias(kind))
    t = profile.threshold
    n = pl.col(N).cast(pl.Float64)
    value = pl.col(VALUE).cast(pl.Float64) if VALUE in frame.columns else n
    is_pooled = (
        pl.col(pooled).is_not_null() if pooled and pooled in frame.columns else pl.lit(False)
    )
    # A count's value must be a count too (unless pooled, when it is a share of the pool).
    count_value = pl.when(is_pooled).then(n).otherwise(pl.coalesce(value, n))
    numerator = (value * n).round(0)
    complement = n - numerator
    has_mag = TOTAL in frame.columns and TOP1 in frame.columns
    total = pl.col(TOTAL).cast(pl.Float64) if has_mag else pl.lit(None, pl.Float64)
    top1 = pl.col(TOP1).cast(pl.Float64).fill_null(0) if has_mag else pl.lit(0.0)
    top2 = (
        pl.col(TOP2).cast(pl.Float64).fill_null(0)
        if has_mag and TOP2 in frame.columns
        else pl.lit(0.0)
    )
    # NK rule: the nk_n largest contributions (cells carry the two largest) exceed nk_k of the total.
    largest = top1 if profile.nk_n == 1 else top1 + top2
    k = pl.col(kind)
    is_count, is_share = k == CellKind.COUNT.value, k == CellKind.SHARE.value
    is_magnitude = k == CellKind.MAGNITUDE.value
    zeros = pl.lit(profile.suppress_zeros)
    reason = (
        pl.when(n.is_null())
        .then(_reason(Reason.NO_COUNT))
        .when(is_count & ((n == 0) | (count_value == 0)) & zeros)
        .then(_reason(Reason.ZERO))
        .when(is_count & (((n > 0) & (n < t)) | ((count_value > 0) & (count_value < t))))
        .then(_reason(Reason.THRESHOLD))
        .when(~is_count & (n < t))
        .then(_reason(Reason.THRESHOLD_N))
        .when(is_share & (numerator == 0) & zeros)
        .then(_reason(Reason.ZERO))
        .when(is_share & (numerator > 0) & (numerator < t))
        .then(_reason(Reason.SHARE_NUMERATOR))
        .when(is_share & pl.lit(profile.complement) & (complement < t))
        .then(_reason(Reason.SHARE_COMPLEMENT))
        .when(is_magnitude & total.is_not_null() & (total <= 0))
        .then(_reason(Reason.MAGNITUDE_NONPOSITIVE))
        .when(is_magnitude & total.is_not_null() & (largest > profile.nk_k * total))
        .then(_reason(Reason.DOMINANCE_NK))
        .when(
            is_magnitude
            & total.is_not_null()
            & (top1 > 0)
            & (((total - top1 - top2) / top1) < profile.p_ratio)
        )
        .then(_reason(Reason.DOMINANCE_P))
    )
    return frame.with_columns(reason.alias(rule))
