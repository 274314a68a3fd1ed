"""Primary disclosure rules on cell frames.

A cell's kind follows from its ``statistic``: counts (no statistic, or count-like names), shares
(share*, proportion*, rate*: value in [0, 1] of ``n`` units; numerator = value x n) and all other
statistics (means, ratios, totals), which need ``n`` units and, where ``total``/``top1``/``top2``
are given, must pass the dominance rules. Every decision names the rule that fired.
"""

from __future__ import annotations

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile

__all__ = ["COUNT_STATISTICS", "cell_kind_expr", "primary_rules"]

COUNT_STATISTICS = (
    "count", "n", "records", "linked", "entered", "working", "inflow", "count_working", "frequency",
    "units", "persons",
)  # fmt: skip
_SHARE_PREFIXES = ("share", "proportion", "rate", "pct", "percentage")


def cell_kind_expr(has_statistic: bool) -> pl.Expr:
    """'count', 'share' or 'magnitude' per cell."""
    if not has_statistic:
        return pl.lit("count")
    stat = pl.col("statistic").cast(pl.String).str.to_lowercase().fill_null("count")
    is_share = pl.any_horizontal([stat.str.starts_with(p) for p in _SHARE_PREFIXES])
    return (
        pl.when(stat.is_in(COUNT_STATISTICS) | stat.str.starts_with("count"))
        .then(pl.lit("count"))
        .when(is_share)
        .then(pl.lit("share"))
        .otherwise(pl.lit("magnitude"))
    )


def primary_rules(cells: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    """Add ``kind``, ``status`` (published / suppressed_primary) and ``rule`` to every cell."""
    has_stat = "statistic" in cells.columns
    t = profile.threshold
    frame = cells.with_columns(kind=cell_kind_expr(has_stat))
    n = pl.col("n").cast(pl.Float64)
    value = pl.col("value").cast(pl.Float64) if "value" in frame.columns else n
    # A pooled period publishes its share of the pool; the units behind it are the pool's total.
    pooled = pl.col("pool").is_not_null() if "pool" in frame.columns else pl.lit(False)
    count = pl.when(pl.col("kind") == "count").then(
        pl.when(pooled).then(n).otherwise(pl.coalesce(value, n))
    )
    numerator = (value * n).round(0)
    complement = n - numerator
    has_mag = all(c in frame.columns for c in ("total", "top1", "top2"))
    total = pl.col("total").cast(pl.Float64) if has_mag else pl.lit(None, pl.Float64)
    top1 = pl.col("top1").cast(pl.Float64).fill_null(0) if has_mag else pl.lit(0.0)
    top2 = pl.col("top2").cast(pl.Float64).fill_null(0) if has_mag else pl.lit(0.0)
    kind = pl.col("kind")
    rule = (
        pl.when(n.is_null() & value.is_null())
        .then(pl.lit("no_count"))
        .when((kind == "count") & (count == 0) & pl.lit(profile.suppress_zeros))
        .then(pl.lit("zero"))
        .when((kind == "count") & (count > 0) & (count < t))
        .then(pl.lit("threshold"))
        .when((kind != "count") & (n < t))
        .then(pl.lit("threshold_n"))
        .when((kind == "share") & (numerator == 0) & pl.lit(profile.suppress_zeros))
        .then(pl.lit("zero"))
        .when((kind == "share") & (numerator > 0) & (numerator < t))
        .then(pl.lit("share_numerator"))
        .when((kind == "share") & pl.lit(profile.complement) & (complement < t))
        .then(pl.lit("share_complement"))
        .when((kind == "magnitude") & total.is_not_null() & (total <= 0))
        .then(pl.lit("magnitude_nonpositive"))
        .when((kind == "magnitude") & total.is_not_null() & ((top1 + top2) > profile.nk_k * total))
        .then(pl.lit("dominance_nk"))
        .when(
            (kind == "magnitude")
            & total.is_not_null()
            & (top1 > 0)
            & (((total - top1 - top2) / top1) < profile.p_ratio)
        )
        .then(pl.lit("dominance_p"))
    )
    return frame.with_columns(rule=rule).with_columns(
        status=pl.when(pl.col("rule").is_null())
        .then(pl.lit("published"))
        .otherwise(pl.lit("suppressed_primary"))
    )
