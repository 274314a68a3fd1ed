"""Run the benchmarks and write benchmarks/RESULTS.md (``make bench``).

Every step runs in a child process; its peak resident memory comes from the OS's accounting of
that process (wait4). Times are the step's own work measured inside the process (imports and
interpreter start excluded). The four durability implementations must agree on every person's
worked and observable months before any time is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl


def _run(step: str, folder: Path, size: int = 0) -> dict[str, float | str]:
    # Files the steps before wrote (synth's and convert's gigabytes) are flushed to disk first:
    # the kernel writing them back during a step slowed it by up to half (2 December: the
    # four-way durability 6.7 s right after synth and convert, 3.6-4.3 s when run again).
    os.sync()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.steps", step, str(folder), str(size)],
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"benchmark step {step} failed:\n{err.read()[-3000:]}")
        report = json.loads(out.read().strip().splitlines()[-1])
    report |= {"wall": wall, "peak_gb": usage.ru_maxrss / 1024 / 1024}
    print(
        f"{step}: {report['what']} ({report['seconds']:.1f} s, peak {report['peak_gb']:.2f} GB)",
        flush=True,
    )
    return report


def _agree(folder: Path) -> str:
    base = pl.read_parquet(folder / "result-toolkit.parquet").sort("record_id")
    for name in ("explode", "pandas", "duckdb"):
        other = pl.read_parquet(folder / f"result-{name}.parquet").sort("record_id")
        joined = base.join(other, on="record_id", how="full", suffix="_o")
        bad = joined.filter(
            (pl.col("observable") != pl.col("observable_o")) | (pl.col("worked") != pl.col("worked_o"))
            | pl.col("record_id").is_null() | pl.col("record_id_o").is_null()
        )  # fmt: skip
        if bad.height:
            raise SystemExit(
                f"durability implementations disagree: toolkit vs {name} on {bad.height} persons"
            )
    return f"all four agree on worked and observable for {base.height:,} persons"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--persons", type=int, default=200_000, help="population size")
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="registration rows for linkage prepare"
    )
    parser.add_argument(
        "--convert-rows",
        type=int,
        default=2_000_000,
        help="rows in the .sav, .dta, .parquet and .csv to convert",
    )
    parser.add_argument(
        "--participants",
        type=int,
        default=100_000,
        help="participants for durability against DuckDB (300,000 and 1,000,000 runs are kept)",
    )
    parser.add_argument(
        "--national-rows",
        type=int,
        default=0,
        help="rows of a SPOLISBUS year to build and cut (0: report the kept run)",
    )
    parser.add_argument(
        "--table", type=int, default=50, help="size of the square table for secondary suppression"
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="keep (and reuse) the generated data here"
    )
    args = parser.parse_args()
    r: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory(prefix="nbnb-bench-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "jobs-typed.parquet").exists():
            r["synth"] = _run("synth", folder, args.persons)
            r["convert"] = _run("convert", folder)
        else:
            print(f"reusing the data in {folder} (synth and convert not measured in this run)")
        r["cohort_setup"] = _run("cohort_setup", folder)
        for step in ("scan", "cohort", "dur_toolkit", "dur_explode", "dur_pandas", "dur_duckdb"):
            r[step] = _run(step, folder)
        agreement = _agree(folder)
        print(agreement)
        r["suppression"] = _run("suppression", folder, args.table)
        r["prepare"] = _run("prepare", folder, args.rows)
        # Saved before issue 15's report, which reads the suite's convert from it.
        _save(args, r)
        from benchmarks.perf import bench

        perf_steps, perf_goals, perf_lines = bench(
            folder, args.participants, args.convert_rows, args.national_rows
        )
    t = {k: float(v["seconds"]) for k, v in r.items()}
    m = {k: float(v["peak_gb"]) for k, v in r.items()}
    nan = float("nan")
    for skipped in ("synth", "convert"):
        t.setdefault(skipped, nan)
        m.setdefault(skipped, nan)
    goals = [
        ("synth: 1M persons, ~30M job rows in < 180 s", t["synth"] < 180, f"{t['synth']:.0f} s, {r.get('synth', {}).get('what', 'data reused')}"),
        ("linkage prepare: 1M rows in <= 10 s", t["prepare"] <= 10, f"{t['prepare']:.1f} s"),
        ("durability (toolkit) in <= 60 s and <= 8 GB", t["dur_toolkit"] <= 60 and m["dur_toolkit"] <= 8,
         f"{t['dur_toolkit']:.1f} s, {m['dur_toolkit']:.2f} GB"),
        ("durability >= 10x faster than pandas", t["dur_pandas"] >= 10 * t["dur_toolkit"],
         f"{t['dur_pandas'] / t['dur_toolkit']:.1f}x"),
        ("durability >= 1.5x faster than DuckDB SQL", t["dur_duckdb"] >= 1.5 * t["dur_toolkit"],
         f"{t['dur_duckdb'] / t['dur_toolkit']:.1f}x"),
        ("durability peak memory <= 1/4 of exploding polars", m["dur_toolkit"] <= m["dur_explode"] / 4,
         f"{m['dur_toolkit']:.2f} GB vs {m['dur_explode']:.2f} GB"),
        ("cohort cut within 3x of a bare RINPERSOON scan", t["cohort"] <= 3 * t["scan"],
         f"{t['cohort'] / t['scan']:.1f}x ({t['cohort']:.2f} s vs {t['scan']:.2f} s)"),
        ("secondary suppression of a 50x50 table with audit in <= 10 s", t["suppression"] <= 10,
         f"{t['suppression']:.1f} s"),
        *perf_goals,
    ]  # fmt: skip
    why = {
        "durability >= 10x faster than pandas": (
            "The pandas version is the careful one: fully vectorised with numpy (np.repeat to expand "
            "person-months, drop_duplicates, merge), no row loops, reading only the five needed "
            "columns with a pyarrow filter. All four implementations also share the cost of reading "
            "and decoding the same Parquet columns, which bounds any ratio from above."
        ),
        "durability peak memory <= 1/4 of exploding polars": (
            "Both versions hold the cohort's job rows as read from Parquet (five columns); the "
            "exploding version adds its person-months on top. The toolkit merges in batches, so its "
            "peak is mostly the read rows and polars' allocator reserve, which the ratio cannot go below."
        ),
        "cohort cut within 3x of a bare RINPERSOON scan": (
            "Every 100,000-row group holds at least one of 1,000 persons drawn at random, so row-group statistics cannot skip any group and the cut decodes all thirteen columns of almost every group, where the bare scan decodes one. Measured on this file: the pid column alone reads in 0.05 s and the pid predicate in 0.09 s; all columns with the predicate take 0.87 s. Writing 10,000-row groups brings the ratio to about 1.8x only by slowing the bare scan (0.54 s) while the cut stays at 0.9-1.0 s, so convert keeps 100,000-row groups."
        ),
    }
    from benchmarks.perf import why as perf_why

    missed = [
        (g, why.get(g) or perf_why(g) or "no explanation recorded")
        for g, ok, v in goals
        if not ok and "nan" not in v
    ]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, polars {pl.__version__}"
    rows = [
        f"| {name} | {float(v['seconds']):.2f} | {float(v['peak_gb']):.2f} | "
        + (f"{float(v['seconds']) / t['dur_toolkit']:.1f}x | " if name.startswith("dur_") else "| ")
        + f"{v['what']} |"
        for name, v in r.items()
    ]
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Machine: {machine}. Command: `python -m benchmarks --persons {args.persons} --rows {args.rows} "
        f"--convert-rows {args.convert_rows} --participants {args.participants} --national-rows {args.national_rows}`.",
        "",
        "Each step ran in its own process. *s* is the step's own work (imports and interpreter start",
        "excluded); *peak GB* is that process's peak resident memory (wait4), imports included.",
        f"Durability, month unit, exit anchor, end {2021}-12: {agreement}.",
        "",
        "| step | s | peak GB | time vs toolkit durability | what |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Goals",
        "",
        *(
            ["The goals are set at 1,000,000 persons; this run is smaller, so its verdicts are indicative only.", ""]
            if args.persons < 1_000_000
            else []
        ),
        "| goal | met | measured |",
        "|---|---|---|",
        *(f"| {g} | {'not run' if 'nan' in v else 'yes' if ok else 'NO'} | {v} |" for g, ok, v in goals),
        "",
        *(["## Why goals were missed", ""] if missed else []),
        *(f"- **{g}**: {reason}" for g, reason in missed),
        "",
        *perf_lines,
        "",
    ])  # fmt: skip
    print(text)
    here = Path(__file__).parent
    # Sections other benchmarks write by hand (whole-release protection) are kept.
    old = (
        (here / "RESULTS.md").read_text(encoding="utf-8") if (here / "RESULTS.md").exists() else ""
    )
    kept = old[old.index(_KEPT) :] if _KEPT in old else ""
    kept = kept.split("## Issue 15")[0].rstrip("\n") + "\n" if kept else ""  # written anew above
    (here / "RESULTS.md").write_text(text + ("\n" + kept if kept else ""), encoding="utf-8")
    _save(args, r | perf_steps)


def _save(args: argparse.Namespace, steps: dict[str, dict[str, float | str]]) -> None:
    """The run's arguments and steps as benchmarks/results.json."""
    (Path(__file__).parent / "results.json").write_text(
        json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "steps": steps}, indent=2),
        encoding="utf-8",
    )


_KEPT = "## Whole-release protection"


if __name__ == "__main__":
    main()
