"""The project file (``project.toml``) and CLI flags, resolved once into one frozen object.

Relative paths in the project file are taken from the project file's own folder, so a project
folder can be moved (or copied into Remote Access) as a whole. Unknown keys and wrong types are
errors that name the key: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from nbnb_cbs.dates import parse_month
from nbnb_cbs.errors import ConfigError, InputFileError

__all__ = ["PROJECT_TEMPLATE", "Settings", "load_project", "resolve"]

ANCHORS = ("exit", "first-job")
UNITS = ("month", "day")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs, resolved from project.toml and CLI flags."""

    name: str = "project"
    base_dir: Path = field(default_factory=Path.cwd)
    registration: Path | None = None
    analysis: Path | None = None
    linked: Path | None = None
    register: Path | None = None
    jobs: Path | None = None
    enrolments: Path | None = None
    aliases: Mapping[str, list[str]] = field(default_factory=dict)
    end: str | None = None
    anchors: tuple[str, ...] = ANCHORS
    unit: str = "month"
    by: tuple[str, ...] = ("sectoral",)
    count_zero_rows: bool = False
    profile: str = "cbs"
    rounding: int = 0
    work_dir: Path = Path("work")
    export_dir: Path = Path("export")

    @property
    def end_month(self) -> tuple[int, int]:
        if self.end is None:
            raise ConfigError('no observation end month: set [analysis] end = "YYYY-MM" or --end')
        parsed = parse_month(self.end)
        if parsed is None:
            raise ConfigError(f"end month {self.end!r} is not YYYY-MM (for example 2021-12)")
        return parsed


# section -> key -> (accepted python types, Settings field)
_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], str]]] = {
    "project": {"name": ((str,), "name")},
    "inputs": {
        "registration": ((str,), "registration"),
        "analysis": ((str,), "analysis"),
        "linked": ((str,), "linked"),
        "register": ((str,), "register"),
        "jobs": ((str,), "jobs"),
        "enrolments": ((str,), "enrolments"),
    },
    "analysis": {
        "end": ((str,), "end"),
        "anchors": ((list,), "anchors"),
        "unit": ((str,), "unit"),
        "by": ((list,), "by"),
        "count_zero_rows": ((bool,), "count_zero_rows"),
    },
    "disclosure": {"profile": ((str,), "profile"), "rounding": ((int,), "rounding")},
    "output": {"work": ((str,), "work_dir"), "export": ((str,), "export_dir")},
}
_PATH_FIELDS = {f.name for f in fields(Settings) if "Path" in str(f.type) and f.name != "base_dir"}

PROJECT_TEMPLATE = """\
# nbnb-cbs project file. Paths are relative to this file's folder.
[project]
name = "{name}"

[inputs]
{inputs}

[analysis]
end = "{end}"                   # last observed month, inclusive
anchors = ["exit", "first-job"]  # durability windows to compute
unit = "month"                   # or "day"
by = ["sectoral"]                # breakdowns of the durability table

[disclosure]
profile = "cbs"                  # or "acro", or a path to your own profile TOML
rounding = 0                     # 0 = no rounding; 5 or 10 rounds published counts

[output]
work = "work"                    # stays inside the secure environment
export = "export"                # what you submit for output checking
"""


def load_project(path: str | Path) -> Settings:
    """Read and check ``project.toml``."""
    path = Path(path)
    if path.is_dir():
        raise InputFileError.not_a_file(path)
    if not path.exists():
        raise InputFileError.missing(path, "project file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the project file as UTF-8") from None
    values: dict[str, Any] = {"base_dir": path.parent.resolve()}
    for section, body in data.items():
        if section == "columns":
            values["aliases"] = _aliases(path, body)
            continue
        if section not in _SCHEMA:
            raise ConfigError(_unknown(path, section, [*_SCHEMA, "columns"], "section"))
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of keys")
        for key, value in body.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                raise ConfigError(_unknown(path, f"{section}.{key}", list(_SCHEMA[section]), "key"))
            types, target = spec
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                want = " or ".join(t.__name__ for t in types)
                how = {
                    "str": "put it in double quotes",
                    "list": 'write a list like ["a", "b"]',
                    "bool": "write true or false",
                    "int": "write a whole number",
                }[types[0].__name__]
                raise ConfigError(
                    f"{path}: [{section}] {key} must be a {want}, not {type(value).__name__} "
                    f"({value!r}); {how}"
                )
            values[target] = tuple(value) if isinstance(value, list) else value
    values.setdefault("work_dir", "work")
    values.setdefault("export_dir", "export")
    return resolve(Settings(**_paths(values)))


def _aliases(path: Path, body: object) -> dict[str, list[str]]:
    if not isinstance(body, dict):
        raise ConfigError(
            f"{path}: [columns] must map canonical names to lists of your column names"
        )
    out: dict[str, list[str]] = {}
    for key, value in body.items():
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
            raise ConfigError(f"{path}: [columns] {key} must be a column name or a list of names")
        out[key] = names
    return out


def _unknown(path: Path, key: str, known: list[str], what: str) -> str:
    import difflib  # noqa: PLC0415

    last = key.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(last, known, n=1)
    hint = f" - did you mean {close[0]!r}?" if close else ""
    return f"{path}: unknown {what} {key!r}{hint}; known: {', '.join(known)}"


def _paths(values: dict[str, Any]) -> dict[str, Any]:
    base: Path = values["base_dir"]
    for name in _PATH_FIELDS:
        if isinstance(values.get(name), str):
            values[name] = (base / values[name]).resolve()
    return values


def resolve(settings: Settings, **overrides: Any) -> Settings:
    """Apply CLI flags (None means "not given") and check the combined values."""
    given = {k: v for k, v in overrides.items() if v is not None}
    merged = replace(settings, **given)
    bad_anchor = [a for a in merged.anchors if a not in ANCHORS]
    if bad_anchor:
        raise ConfigError(f"anchor {bad_anchor[0]!r} is not one of {', '.join(ANCHORS)}")
    if merged.unit not in UNITS:
        raise ConfigError(f"unit {merged.unit!r} is not one of {', '.join(UNITS)}")
    if merged.rounding not in (0, 5, 10):
        raise ConfigError(f"rounding {merged.rounding} must be 0 (off), 5 or 10")
    if merged.end is not None:
        _ = merged.end_month
    return merged
