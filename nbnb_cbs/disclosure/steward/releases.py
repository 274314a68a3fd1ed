"""Across releases: the same table in an earlier export of the project, differenced cell by cell.

The whole-release audit will run the joint LP over all releases; until then this pass catches
the direct case: a count (or a cell's n) that changed by 1..threshold-1 between two exports
gives that many persons' cell away as the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import COUNT_STATISTICS
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["previous_pass"]

_MEASURES = ("value", "n", "total", "status", "pool")
_SHOWN = ("published", "pooled", "rounded")


def _counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Per cell key: its n and, for count statistics, its value, as numbers; with its line."""
    keys = [c for c in frame.columns if c not in _MEASURES]
    if "n" not in frame.columns or not keys:
        return pl.DataFrame()
    status = pl.col("status") if "status" in frame.columns else pl.lit("published")
    is_count = pl.col("statistic").is_in(COUNT_STATISTICS) if "statistic" in frame.columns else pl.lit(True)  # fmt: skip
    value = pl.col("value") if "value" in frame.columns else pl.lit(None, pl.String)
    return (
        frame.with_row_index("line", offset=2)
        .filter(status.is_in(_SHOWN))
        .select(
            pl.concat_str([pl.col(k).fill_null("") for k in keys], separator=" | ").alias("cell"),
            "line",
            n=pl.col("n").cast(pl.Float64, strict=False),
            count=pl.when(is_count).then(value.cast(pl.Float64, strict=False)),
        )
        .unique("cell", keep="first", maintain_order=True)
    )


def previous_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Count cells of same-named, same-kind tables that differ by 1..t-1 from an earlier export."""
    out: list[Finding] = []
    t = profile.threshold
    for earlier in previous:
        for rel, frame in export.tables.items():
            if rel not in earlier.tables or export.kind(rel) != earlier.kind(rel):
                continue
            now, then = _counts(frame), _counts(earlier.tables[rel])
            if now.is_empty() or then.is_empty():
                continue
            both = now.join(then, on="cell", suffix="_then")
            for column in ("n", "count"):
                diff = (pl.col(column) - pl.col(f"{column}_then")).abs()
                for row in both.filter(diff.is_between(1, t - 1, closed="both")).iter_rows(named=True):  # fmt: skip
                    out.append(Finding(rel, row["line"], "n" if column == "n" else "value", "release_difference",
                        f"cell [{row['cell']}]: {row[column]:g} here and {row[f'{column}_then']:g} in {earlier.root} "
                        f"(line {row['line_then']}): the difference, {abs(row[column] - row[f'{column}_then']):g} "
                        f"persons, is below {t}"))  # fmt: skip
    return out
