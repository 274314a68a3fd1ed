"""Linkage yield as a cell frame: records, linked records and the share linked, per group."""

from __future__ import annotations

import polars as pl

from nbnb_cbs.errors import ColumnError

__all__ = ["yield_cells"]


def yield_cells(
    analysis: pl.DataFrame, linked: pl.DataFrame, by: str | None = None
) -> pl.DataFrame:
    """Cells ``[by,] statistic, value, n`` for statistics records, linked and share_linked.

    Every analysis record counts; a record is linked when CBS returned a RINPERSOON for it.
    """
    if by is not None and by not in analysis.columns:
        raise ColumnError.missing("analysis file", by, analysis.columns)
    got = linked.filter(pl.col("RINPERSOON").is_not_null()).select("record_id").unique()
    frame = analysis.select(
        "record_id", *([pl.col(by).cast(pl.String).fill_null("unknown")] if by else [])
    ).with_columns(is_linked=pl.col("record_id").is_in(got["record_id"].implode()))
    keys = [by] if by else []
    if keys:
        grouped = frame.group_by(keys).agg(records=pl.len(), linked=pl.col("is_linked").sum())
        total = frame.select(records=pl.len(), linked=pl.col("is_linked").sum()).with_columns(
            pl.lit("Total").alias(by or "")
        )
        grouped = pl.concat(
            [grouped.sort(by), total.select(grouped.columns)], how="vertical_relaxed"
        )
    else:
        grouped = frame.select(records=pl.len(), linked=pl.col("is_linked").sum())
    grouped = grouped.with_columns(pl.col("records", "linked").cast(pl.Int64))
    return pl.concat(
        [
            grouped.select(
                *keys,
                statistic=pl.lit("records"),
                value=pl.col("records").cast(pl.Float64),
                n=pl.col("records"),
            ),
            grouped.select(
                *keys,
                statistic=pl.lit("linked"),
                value=pl.col("linked").cast(pl.Float64),
                n=pl.col("linked"),
            ),
            grouped.select(
                *keys,
                statistic=pl.lit("share_linked"),
                value=pl.col("linked") / pl.col("records"),
                n=pl.col("records"),
            ),
        ]
    )
