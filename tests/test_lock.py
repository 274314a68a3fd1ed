"""The lock files for the RA package request and CI pin every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["test"], *extras["lint"]]]


def _pins(text: str) -> dict[str, str]:
    return {
        canonicalize_name(m.group(1)): m.group(2)
        for m in map(_PIN.match, text.splitlines())
        if m is not None
    }


@pytest.mark.parametrize("python", ["311", "312"])
def test_lock_pins_every_dependency_within_its_range(python: str) -> None:
    """Each runtime, test and lint dependency is pinned exactly, inside pyproject's range, with hashes."""
    text = (ROOT / f"requirements-lock-py{python}.txt").read_text(encoding="utf-8")
    pins = _pins(text)
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements-lock-py{python}.txt; run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}=={pins[name]} is outside {req.specifier}; run make lock"
        )
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [b.split()[0] for b in blocks if _PIN.match(b) and "--hash=sha256:" not in b]
    assert not unhashed, f"pinned without a hash: {unhashed}"
    assert "nbnb-cbs" not in pins


def test_lock_pins_no_python_forks() -> None:
    """One version per package per lock file: pip download --python-version cannot pick a line
    meant for another Python (markers are evaluated on the downloading machine)."""
    for python in ("311", "312"):
        text = (ROOT / f"requirements-lock-py{python}.txt").read_text(encoding="utf-8")
        names = [canonicalize_name(m.group(1)) for m in map(_PIN.match, text.splitlines()) if m]
        assert len(names) == len(set(names)), python
        assert "python_version" not in text and "python_full_version" not in text


def test_lock_catches_a_missing_dependency() -> None:
    """The check above can fail: a lock without numpy is reported."""
    text = (ROOT / "requirements-lock-py311.txt").read_text(encoding="utf-8")
    pins = _pins(re.sub(r"(?m)^numpy==.*$", "", text))
    assert "numpy" not in pins and "polars" in pins
