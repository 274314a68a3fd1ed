"""Run the benchmarks and write benchmarks/RESULTS.md.

Each step runs in a child process; its wall time and peak resident memory (from the OS's
accounting of that child) are reported. Sizes: ``--persons`` population members (jobs scale with
them, about 37 rows per person), ``--rows`` registration rows for linkage prepare.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(step: str, folder: Path, size: int) -> tuple[float, float, str]:
    """Run one step in a child process; its own peak RSS comes from wait4's rusage."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.steps", step, str(folder), str(size)],
            stdout=out, stderr=err, text=True,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark step {step} failed:\n{err.read()}")
        return wall, usage.ru_maxrss / 1024 / 1024, out.read().strip()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbnb-bench-") as tmp:
        folder = Path(tmp)
        for step, size in (("synth", args.persons), ("durability", 0), ("prepare", args.rows)):
            wall, peak, what = _run(step, folder, size)
            rows.append((step, f"{wall:.1f}", f"{peak:.2f}", what))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"# Benchmark results ({machine})",
        "",
        f"`python -m benchmarks --persons {args.persons} --rows {args.rows}`. Wall time of the whole",
        "step process (including imports and, for durability, the linkage it needs first); peak",
        "RSS of that process as the OS accounts it (wait4).",
        "",
        "| step | wall s | peak RSS GB | what |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (Path(__file__).parent / "RESULTS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
