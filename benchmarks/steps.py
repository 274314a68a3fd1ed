"""Benchmark steps, each run in its own process so that peak memory is its own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl


def synth_step(folder: Path, persons: int) -> str:
    from nbnb_cbs import synth

    options = synth.SynthOptions(
        participants=max(1012, persons // 100), population=persons, format="parquet"
    )
    data = synth.build(options)
    synth.write(data, folder, "parquet")
    return f"{data.jobs.height:,} job rows for {persons:,} persons"


def prepare_step(folder: Path, rows: int) -> str:
    """linkage prepare on ``rows`` registration rows (the synthetic registration repeated)."""
    from nbnb_cbs.linkage import prepare_files

    reg = pl.read_csv(folder / "registration.csv", separator=";", infer_schema=False)
    big = pl.concat([reg] * (rows // reg.height + 1)).head(rows)
    # Copies of the same people would all share keys (and be rejected as ambiguous): give
    # every row its own postcode digits so keys are as varied as in a real registration.
    digits = (pl.int_range(pl.len()) * 7919 % 9000 + 1000).cast(pl.String)
    big = big.with_columns(
        deelnemer_id=pl.format("P{}", pl.int_range(pl.len())),
        postcode=digits + pl.col("postcode").str.replace_all(r"[\s0-9]", "").str.to_uppercase(),
    )
    path = folder / "registration-big.csv"
    big.write_csv(path, separator=";")
    start = time.perf_counter()
    result = prepare_files(path, folder / "prep-big", seed=1)
    took = time.perf_counter() - start
    return f"{result.summary['rows_read']:,} rows in {took:.1f} s (excluding writing the input)"


def durability_step(folder: Path) -> str:
    from nbnb_cbs.durability import DurabilityOptions, run_files
    from nbnb_cbs.linkage import match_files, prepare_files

    prepare_files(folder / "registration.csv", folder / "prep", seed=1)
    match_files(folder / "prep" / "keys.csv", folder / "register", folder / "linked.csv")
    start = time.perf_counter()
    result = run_files(
        folder / "prep" / "analysis.parquet", folder / "linked.csv", folder / "jobs.parquet",
        folder / "work", DurabilityOptions((2021, 12)),
    )  # fmt: skip
    took = time.perf_counter() - start
    return f"{result.persons.height:,} records, jobs file read and cut in {took:.1f} s"


if __name__ == "__main__":
    step, folder, size = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    if step == "synth":
        print(synth_step(folder, size))
    elif step == "prepare":
        print(prepare_step(folder, size))
    else:
        print(durability_step(folder))
