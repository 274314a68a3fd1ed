"""The CLI skeleton: help lists every group, version prints, errors map to exit codes."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import Cli


def test_help_lists_every_group(cli: Cli) -> None:
    code, out, _ = cli("--help")
    assert code == 0
    for group in ("synth", "linkage", "convert", "durability", "disclosure", "run", "demo"):
        assert group in out


def test_version_via_module() -> None:
    """`python -m nbnb_cbs` works where the console script is not on PATH."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbnb_cbs", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("nbnb-cbs ")
