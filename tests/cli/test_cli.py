"""The CLI skeleton: help lists every group, version prints, errors map to exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import Cli


def test_help_lists_every_group(cli: Cli) -> None:
    code, out, _ = cli("--help")
    assert code == 0
    for group in (
        "synth",
        "linkage",
        "convert",
        "durability",
        "disclosure",
        "run",
        "demo",
        "model",
    ):
        assert group in out


def test_version_via_module() -> None:
    """`python -m nbnb_cbs` works where the console script is not on PATH."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbnb_cbs", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("nbnb-cbs ")


def test_requirements_match_pyproject() -> None:
    """requirements.txt (for RA package requests) lists exactly the package's dependencies."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent.parent
    deps = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    lines = [
        line.strip()
        for line in (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == deps
