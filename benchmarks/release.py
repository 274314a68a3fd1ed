"""Whole-release protection at scale: ``python -m benchmarks.release --participants N``.

Generates a synthetic project of N participants, runs the chain, and reports for the release step
alone: the size of the model (atoms, constraints, sensitive quantities), the LPs solved, the time to
choose the suppressions (HiGHS, warm) and the time of the steward's independent audit of the
written export (its own LPs, from the files). Appends a row to benchmarks/release-results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import nbnb_cbs.export.tables as tables_module
from nbnb_cbs import synth
from nbnb_cbs.disclosure import check_export, load_profile, release_audit
from nbnb_cbs.pipeline import DEMO_MODELS, run_project
from nbnb_cbs.project import load_project

HERE = Path(__file__).parent


def _load() -> str:
    """The 1-minute load average (the machine is shared: it explains a slow run)."""
    return (
        Path("/proc/loadavg").read_text(encoding="ascii").split()[0]
        if Path("/proc/loadavg").exists()
        else ""
    )


def measure(participants: int, seed: int, root: Path, models: bool = False) -> dict[str, Any]:
    load_before = _load()
    options = synth.SynthOptions(
        participants=participants,
        seed=seed,
        population=max(int(participants * 1.4), participants + 200),
        format="parquet",
    )
    synth.write(synth.build(options), root / "data", "parquet")
    (root / "project.toml").write_text(
        '[project]\nname = "bench"\n[inputs]\nregistration = "data/registration.csv"\n'
        'register = "data/register"\njobs = "data/jobs.parquet"\nenrolments = "data/enrolments.parquet"\n'
        '[analysis]\nend = "2021-12"\nby = ["sectoral"]\n' + (DEMO_MODELS if models else ""),
        encoding="utf-8",
    )
    timings: dict[str, float] = {}
    original = tables_module.protect_release

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = original(*args, **kwargs)
        timings["protect_s"] = time.perf_counter() - start
        return out

    tables_module.protect_release = timed  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        result = run_project(load_project(root / "project.toml"))
        timings["run_s"] = time.perf_counter() - start
    finally:
        tables_module.protect_release = original  # type: ignore[assignment]
    # The check inside run already solved this export: clear that cache to time a fresh audit.
    release_audit._SOLVED.clear()
    start = time.perf_counter()
    check = check_export(root / "export", load_profile("cbs"))
    timings["audit_s"] = time.perf_counter() - start
    audit = result.release.audit
    return {
        "participants": participants,
        "seed": seed,
        # The demo's model (nbnb-cbs demo runs it): its N, outcome and persons per level are
        # rows of the release model, so protection and audit take them in.
        "models": len(result.models) + len(result.release.withheld_models),
        "atoms": audit["atoms"],
        "constraints": audit["constraints"],
        "sensitive_quantities": audit["sensitive_quantities"],
        "solves": audit["solves"],
        "secondary_suppressions": audit["secondary_suppressions"],
        "protect_s": round(timings["protect_s"], 2),
        "audit_s": round(timings["audit_s"], 2),
        "protect_plus_audit_s": round(timings["protect_s"] + timings["audit_s"], 2),
        "run_s": round(timings["run_s"], 2),
        "check": "pass" if check.clean else f"{len(check.findings)} findings",
        "load": f"{load_before} / {_load()}",
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=1012)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument(
        "--models", action="store_true", help="add the demo's model (as nbnb-cbs demo runs it)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        row = measure(args.participants, args.seed, Path(tmp), args.models)
    print(json.dumps(row))
    path = HERE / "release-results.json"
    rows = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps([*rows, row], indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
