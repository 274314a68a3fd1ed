"""A cheap, chunked generator of SPOLISBUS-like job rows (benchmarks only).

``synth`` builds whole life courses and is far too heavy for tens of millions of rows; this
generator only needs rows that look like SPOLISBUS to a reader and to ``durability``: the
twelve columns with CBS's types (dates as YYYYMMDD text, codes as text), persons spread over a
9-digit RINPERSOON range, monthly pay periods in file order by month (not by person, as in the
real file), some second jobs, mid-month starts and ends, zero-hour correction rows and the odd
sentinel end date. Memory follows ``chunk_rows``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

COLUMNS = (
    "RINPERSOONS", "RINPERSOON", "IKVID", "SBEID", "SDATUMAANVANGIKO", "SDATUMEINDEIKO",
    "SBASISUREN", "SBASISLOON", "SVOLTIJDDAGEN", "SCONTRACTSOORT", "SSOORTBAAN",
    "SPOLISDIENSTVERBAND",
)  # fmt: skip
_STRIDE = 97  # RINPERSOON = _FIRST + person * _STRIDE: distinct 9-digit numbers


def rinpersoon(person: pl.Expr) -> pl.Expr:
    """The RINPERSOON text of a person number (the same for every chunk and every caller)."""
    return (person.cast(pl.Int64) * _STRIDE + 100_000_000).cast(pl.String)


def chunks(
    rows: int,
    persons: int,
    *,
    years: tuple[int, ...] = (2021,),
    chunk_rows: int = 2_000_000,
    seed: int = 1,
) -> Iterator[pl.DataFrame]:
    """``rows`` job rows of ``persons`` persons over ``years``, month by month, in chunks."""
    rng = np.random.default_rng(seed)
    months = [(y, m) for y in years for m in range(1, 13)]
    per_month = rows // len(months)
    for number, (year, month) in enumerate(months):
        month_rows = per_month if number < len(months) - 1 else rows - per_month * number
        first = np.datetime64(f"{year}-{month:02d}-01")
        days = int(
            ((first.astype("datetime64[M]") + 1).astype("datetime64[D]") - first).astype(int)
        )
        # Each row's start and end are days of this month: text from a table of its days.
        day_text = pl.Series(
            [str(d).replace("-", "") for d in first + np.arange(days).astype("timedelta64[D]")]
        )
        while month_rows > 0:
            n = min(chunk_rows, month_rows)
            month_rows -= n
            person = rng.integers(0, persons, n)
            job = rng.integers(0, 3, n, dtype=np.int64)
            start = np.where(rng.random(n) < 0.05, rng.integers(0, 27, n), 0)
            end = days - 1 - np.where(rng.random(n) < 0.05, rng.integers(0, 27, n), 0)
            end = np.maximum(start, end)
            hours = np.round(rng.uniform(10, 170, n), 0)
            hours[rng.random(n) < 0.01] = 0
            frame = pl.DataFrame(
                {
                    "_p": person,
                    "_j": job,
                    "_s": start.astype(np.int32),
                    "_e": end.astype(np.int32),
                    "_sentinel": rng.random(n) < 0.0005,
                    "SBASISUREN": hours,
                    "SBASISLOON": np.round(hours * rng.uniform(11.5, 30, n), 2),
                    "_c": rng.integers(0, 3, n, dtype=np.int8),
                    "_k": rng.integers(0, 6, n, dtype=np.int8),
                    "_d": rng.integers(1, 3, n, dtype=np.int8),
                }
            )
            yield frame.select(
                RINPERSOONS=pl.lit("R"),
                RINPERSOON=rinpersoon(pl.col("_p")),
                IKVID=(pl.col("_p") * 3 + pl.col("_j") + 1).cast(pl.String),
                SBEID=(900_000_000 + (pl.col("_p") * 7919 + pl.col("_j")) % 99_999_999).cast(
                    pl.String
                ),
                SDATUMAANVANGIKO=pl.lit(day_text).gather(pl.col("_s")),
                SDATUMEINDEIKO=pl.when(pl.col("_sentinel"))
                .then(pl.lit("99999999"))
                .otherwise(pl.lit(day_text).gather(pl.col("_e"))),
                SBASISUREN="SBASISUREN",
                SBASISLOON="SBASISLOON",
                SVOLTIJDDAGEN=(pl.col("SBASISUREN") / 8).round(1),
                SCONTRACTSOORT=pl.col("_c").replace_strict(
                    {0: "O", 1: "B", 2: "N"}, return_dtype=pl.String
                ),
                SSOORTBAAN=pl.col("_k").replace_strict(
                    {0: "9", 1: "5", 2: "4", 3: "1", 4: "2", 5: "3"}, return_dtype=pl.String
                ),
                SPOLISDIENSTVERBAND=pl.col("_d").cast(pl.String),
            )
