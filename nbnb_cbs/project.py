"""The project file (``project.toml``) and CLI flags, resolved once into one frozen object.

Relative paths in the project file are taken from the project file's own folder, so a project
folder can be moved (or copied into Remote Access) as a whole. Unknown keys and wrong types are
errors that name the key: a typo must not silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from nbnb_cbs.dates import parse_month
from nbnb_cbs.errors import ConfigError, InputFileError
from nbnb_cbs.population import Population

LANGUAGES = ("nl", "en")

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
    population: Population = field(default_factory=Population)
    end: str | None = None
    anchors: tuple[str, ...] = ANCHORS
    unit: str = "month"
    by: tuple[str, ...] = ("sectoral",)
    count_zero_rows: bool = False
    snapshot_date: str | None = None
    profile: str = "cbs"
    rounding: int = 0
    previous: str = "refuse"
    work_dir: Path = Path("work")
    export_dir: Path = Path("export")
    models: tuple[Any, ...] = ()  # ModelSpec per [[models]] table (nbnb_cbs/models/spec.py)
    language: str = "nl"
    csv_format: str | None = None  # None: the language's

    @property
    def end_month(self) -> tuple[int, int]:
        if self.end is None:
            raise ConfigError('no observation end month: set [analysis] end = "YYYY-MM" or --end')
        parsed = parse_month(self.end)
        if parsed is None:
            raise ConfigError(f"end month {self.end!r} is not YYYY-MM (for example 2021-12)")
        return parsed

    @property
    def snapshot_day(self) -> dt.date | None:
        """The snapshot's peildatum, or None for the whole end month (amounts prorated by days)."""
        if self.snapshot_date is None:
            return None
        try:
            day = dt.date.fromisoformat(self.snapshot_date)
        except ValueError:
            raise ConfigError(
                f"[analysis] snapshot_date {self.snapshot_date!r} is not a date YYYY-MM-DD "
                "(for example 2021-12-31)"
            ) from None
        if (day.year, day.month) != self.end_month:
            raise ConfigError(
                f"[analysis] snapshot_date {self.snapshot_date} is not in the end month {self.end}: "
                "the snapshot describes the end month; move the date into it or change end"
            )
        return day


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
        "snapshot_date": ((str,), "snapshot_date"),
    },
    "disclosure": {
        "profile": ((str,), "profile"),
        "rounding": ((int,), "rounding"),
        "previous": ((str,), "previous"),
    },
    "output": {
        "work": ((str,), "work_dir"),
        "export": ((str,), "export_dir"),
        "language": ((str,), "language"),
        "csv_format": ((str,), "csv_format"),
    },
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
# snapshot_date = "YYYY-MM-DD"   # snapshot on one day (rows containing it, whole); default: the
                                 # end month, each row's amounts prorated by its days in the month

[disclosure]
profile = "cbs"                  # or "acro", or a path to your own profile TOML
rounding = 0                     # 0 = no rounding; 5 or 10 rounds published counts
previous = "refuse"              # a cell differing from an earlier release by 1-9 records: refuse or "suppress"

[output]
work = "work"                    # stays inside the secure environment
export = "export"                # what you submit for output checking
language = "nl"                  # report, figures and labels: "nl" (Dutch) or "en" (English)
# csv_format = "nl"              # tables/*.csv: "nl" (; and decimal comma) or "en" (, and decimal
                                 # point); default: the language's
"""


def load_project(path: str | Path) -> Settings:
    """Read and check ``project.toml``."""
    path = Path(path)
    if path.is_dir():
        raise InputFileError.not_a_file(path)
    if not path.exists():
        raise InputFileError.missing(path, "project file")
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); {_toml_hint(text, exc)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the project file as UTF-8") from None
    values: dict[str, Any] = {"base_dir": path.parent.resolve()}
    for section, body in data.items():
        if section == "columns":
            values["aliases"] = _aliases(path, body)
            continue
        if section == "population":
            values["population"] = _population(path, body)
            continue
        if section == "models":
            from nbnb_cbs.models.spec import parse_models  # noqa: PLC0415

            values["models"] = parse_models(path, body)
            continue
        if section not in _SCHEMA:
            raise ConfigError(
                _unknown(path, section, [*_SCHEMA, "columns", "population", "models"], "section")
            )
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
    for name in _PATH_FIELDS:
        value = values.get(name)
        if isinstance(value, str) and any(ch in value for ch in _ESCAPED):
            raise ConfigError(
                f"{path}: the path {value!r} holds a control character: in double quotes a "
                f"backslash starts an escape (\\n, \\t); {_PATH_HINT}"
            )
    values.setdefault("work_dir", "work")
    values.setdefault("export_dir", "export")
    return resolve(Settings(**_paths(values)))


_PATH_HINT = (
    'write Windows paths with forward slashes (jobs = "data/jobs.sav") or in single quotes '
    "(jobs = 'data\\jobs.sav')"
)
_ESCAPED = "\n\t\r\b\f"


def _toml_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """What to do about a TOML error; a backslash in a double-quoted string is the usual one."""
    found = re.search(r"line (\d+)", str(exc))
    lineno = int(found.group(1)) if found else 0
    lines = text.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    if "\\" in line and '"' in line:
        return _PATH_HINT
    return "fix the line it names"


def canonical_columns() -> dict[str, str]:
    """Every name a file contract accepts (normalised) -> its canonical column name."""
    from nbnb_cbs.cells import CELL_COLUMNS  # noqa: PLC0415
    from nbnb_cbs.linkage.match import ADDRESSES, PERSONS  # noqa: PLC0415
    from nbnb_cbs.schemas import (  # noqa: PLC0415
        ENROLMENTS,
        JOBS,
        LINKED,
        REGISTRATION,
        normalise_name,
    )

    # A cell table for `disclosure apply` (n, value, statistic, total, top1, top2).
    found: dict[str, str] = {name: name for name in CELL_COLUMNS}
    for contract in (REGISTRATION, JOBS, ENROLMENTS, LINKED, PERSONS, ADDRESSES):
        for col in contract.columns:
            for name in col.accepted():
                found.setdefault(normalise_name(name), col.name)
    return found


def _unknown_column(path: Path, key: str, accepted: dict[str, str]) -> str:
    import difflib  # noqa: PLC0415

    from nbnb_cbs.schemas import normalise_name  # noqa: PLC0415

    canonical = sorted(set(accepted.values()))
    target = accepted.get(normalise_name(key))
    if target is None:
        close = difflib.get_close_matches(key, canonical, n=1, cutoff=0.6)
        target = close[0] if close else None
    hint = f" - did you mean {target!r}?" if target else ""
    return (
        f"{path}: [columns] {key!r} is not a canonical column name{hint}; the keys of [columns] "
        "are canonical names (sex, RINPERSOON, SBASISUREN ...), the values your file's column "
        'names: sex = ["gender_code"]'
    )


def _aliases(path: Path, body: object) -> dict[str, list[str]]:
    if not isinstance(body, dict):
        raise ConfigError(
            f"{path}: [columns] must map canonical names to lists of your column names"
        )
    known = canonical_columns()
    out: dict[str, list[str]] = {}
    for key, value in body.items():
        if key not in set(known.values()):
            raise ConfigError(_unknown_column(path, key, known))
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
            raise ConfigError(f"{path}: [columns] {key} must be a column name or a list of names")
        out[key] = names
    return out


def _names(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f'{path}: [population] {key} must be a list of project names like ["Project A"]'
        )
    return tuple(v.strip() for v in value)


def _date(path: Path, value: object) -> dt.date:
    """A TOML date (2022-03-31) or the same as text."""
    day: object = value.date() if isinstance(value, dt.datetime) else value
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            day = None
    if not isinstance(day, dt.date):
        raise ConfigError(
            f"{path}: [population] finished_by must be a date like 2022-03-31, not {value!r}"
        )
    return day


def _population(path: Path, body: object) -> Population:
    """[population]: include, exclude (project names), finished_by (date), merge (a table
    mapping each merged project to the list of its tranches' names)."""
    if not isinstance(body, dict):
        raise ConfigError(f"{path}: [population] must be a table of keys")
    known = ["include", "exclude", "finished_by", "merge"]
    values: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("include", "exclude"):
            values[key] = _names(path, key, value)
        elif key == "finished_by":
            values[key] = _date(path, value)
        elif key == "merge":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{path}: [population] merge must map each merged project to its tranches: "
                    '[population.merge] "Project A" = ["Project A 2019", "Project A 2020"]'
                )
            values[key] = {
                str(name).strip(): _names(path, f"merge.{name}", tranches)
                for name, tranches in value.items()
            }
        else:
            raise ConfigError(_unknown(path, f"population.{key}", known, "key"))
    both = set(values.get("include", ())) & set(values.get("exclude", ()))
    if both:
        raise ConfigError(
            f"{path}: [population] project {sorted(both)[0]!r} is both included and excluded; "
            "keep it in one list"
        )
    return Population(**values)


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
            # A project folder moves between Windows (RA) and Linux (CI): 'data\jobs.sav' means
            # the same file on both.
            values[name] = (base / values[name].replace("\\", "/")).resolve()
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
    if merged.previous not in ("refuse", "suppress"):
        raise ConfigError(
            f'[disclosure] previous = {merged.previous!r} must be "refuse" or "suppress" (what to do '
            "with cells that differ from an earlier release by a few records)"
        )
    if merged.language not in LANGUAGES:
        raise ConfigError(
            f'[output] language = {merged.language!r} must be "nl" (Dutch) or "en" (English)'
        )
    if merged.csv_format is not None and merged.csv_format not in LANGUAGES:
        raise ConfigError(
            f'[output] csv_format = {merged.csv_format!r} must be "nl" (; with a decimal comma, '
            'for Dutch Excel) or "en" (, with a decimal point)'
        )
    if merged.rounding not in (0, 5, 10):
        raise ConfigError(f"rounding {merged.rounding} must be 0 (off), 5 or 10")
    if merged.end is not None:
        _ = merged.end_month
        _ = merged.snapshot_day
    elif merged.snapshot_date is not None:
        raise ConfigError("[analysis] snapshot_date needs an end month: set [analysis] end")
    return merged
