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


def _entries(text: str) -> dict[str, tuple[str, str | None, frozenset[str]]]:
    """name -> (version, marker, hashes) of each requirement of a pip-compile file."""
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
        first = block.split("\\")[0].strip()
        if not _PIN.match(first):
            continue
        req = Requirement(first)
        out[canonicalize_name(req.name)] = (
            str(req.specifier).removeprefix("=="),
            None if req.marker is None else str(req.marker),
            frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", block)),
        )
    return out


@pytest.mark.parametrize("python", ["311", "312"])
def test_windows_lock_is_the_lock_as_windows_reads_it(python: str) -> None:
    """requirements-lock-pyXY-win_amd64.txt (what the README's pip download uses on any machine)
    holds exactly the lock's packages whose markers hold on Windows CPython, at the same versions,
    without markers (pip would evaluate them on the downloading machine and skip colorama), and
    every hash it lists is one the lock lists."""
    from packaging.markers import Marker

    windows = {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
               "implementation_name": "cpython", "platform_python_implementation": "CPython",
               "python_version": f"{python[0]}.{python[1:]}", "platform_machine": "AMD64"}  # fmt: skip
    lock = _entries((ROOT / f"requirements-lock-py{python}.txt").read_text(encoding="utf-8"))
    win = _entries(
        (ROOT / f"requirements-lock-py{python}-win_amd64.txt").read_text(encoding="utf-8")
    )
    wanted = {n: v for n, v in lock.items() if v[1] is None or Marker(v[1]).evaluate(windows)}
    assert {"colorama", "cffi"} <= set(wanted), "the lock's Windows-only packages"
    assert {n: v[0] for n, v in win.items()} == {n: v[0] for n, v in wanted.items()}, "make lock"
    assert all(marker is None for _, marker, _ in win.values())
    assert all(hashes and hashes <= lock[n][2] for n, (_, _, hashes) in win.items())
