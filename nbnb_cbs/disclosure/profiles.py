"""Rule profiles: disclosure rules as data, named and versioned, each value with its source."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nbnb_cbs.errors import ConfigError

__all__ = ["BUILTIN", "Profile", "load_profile"]

BUILTIN = ("cbs", "acro")
# Keys a profile may leave out: (type, default, source of the default).
_OPTIONAL: dict[str, tuple[type, Any, str]] = {
    "min_organisations": (
        int,
        2,
        "nbnb-cbs default, inferred from the NBNB report's rule that no results about individual "
        "projects may come from CBS data: a published cell must hold records of two projects",
    ),
}
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "threshold": int,
    "zeros": str,
    "complement": bool,
    "nk_n": int,
    "nk_k": float,
    "p_ratio": float,
    "dof_threshold": int,
    "protection_width": (int, float),
    "forbidden_statistics": list,
    "forbidden_columns": list,
    "protected_dimensions": list,
}


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    sha256: str
    threshold: int
    zeros: str
    complement: bool
    nk_n: int
    nk_k: float
    p_ratio: float
    dof_threshold: int
    protection_width: float
    forbidden_statistics: tuple[str, ...]
    forbidden_columns: tuple[str, ...]
    protected_dimensions: tuple[str, ...]
    sources: dict[str, str]
    origin: str
    min_organisations: int = 2

    @property
    def suppress_zeros(self) -> bool:
        return self.zeros == "suppress"

    def describe(self) -> dict[str, Any]:
        """Name, hash, every value with its source: for the audit log."""
        values = {key: getattr(self, key) for key in (*_REQUIRED, *_OPTIONAL)}
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "origin": self.origin,
            "values": {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()},
            "sources": self.sources,
        }

    def is_forbidden_column(self, column: str) -> bool:
        low = column.strip().lower()
        return any(low == f.lower() for f in self.forbidden_columns)

    def is_forbidden_statistic(self, statistic: str) -> bool:
        low = statistic.strip().lower()
        return any(low == f.lower() for f in self.forbidden_statistics)

    def is_protected_dimension(self, column: str) -> bool:
        low = column.strip().lower()
        return any(low == f.lower() for f in self.protected_dimensions)


def load_profile(spec: str | Path = "cbs") -> Profile:
    """A built-in profile by name (``cbs``, ``acro``) or a profile TOML by path."""
    text_spec = str(spec)
    if text_spec in BUILTIN:
        raw = resources.files("nbnb_cbs").joinpath("profiles", f"{text_spec}.toml").read_bytes()
        origin = f"built-in:{text_spec}"
    else:
        path = Path(text_spec)
        if not path.is_file():
            raise ConfigError(
                f"{spec}: rule profile not found; use one of {', '.join(BUILTIN)} or the path of a profile TOML"
            )
        raw = path.read_bytes()
        origin = str(path)
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{spec}: not a valid profile TOML ({exc})") from None
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, kind in _REQUIRED.items():
        entry = data.get(key)
        if not isinstance(entry, dict) or "value" not in entry:
            raise ConfigError(
                f'{spec}: profile key {key!r} must be {{ value = ..., source = "..." }}'
            )
        value = entry["value"]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{spec}: profile key {key!r} has the wrong type ({type(value).__name__})"
            )
        if not isinstance(entry.get("source"), str) or not entry["source"].strip():
            raise ConfigError(
                f"{spec}: profile key {key!r} needs a source; write it as "
                f'{key} = {{ value = ..., source = "where the value comes from" }}'
            )
        values[key] = tuple(value) if isinstance(value, list) else value
        sources[key] = entry["source"]
    for key, (kind, default, source) in _OPTIONAL.items():
        entry = data.get(key, {"value": default, "source": source})
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("value"), kind)
            or isinstance(entry.get("value"), bool)
        ):
            raise ConfigError(
                f'{spec}: profile key {key!r} must be {{ value = <{kind.__name__}>, source = "..." }}'
            )
        values[key] = entry["value"]
        sources[key] = str(entry.get("source") or source)
    if values["min_organisations"] < 1:
        raise ConfigError(f"{spec}: min_organisations must be at least 1")
    unknown = set(data) - set(_REQUIRED) - set(_OPTIONAL) - {"name", "version", "description"}
    if unknown:
        raise ConfigError(f"{spec}: unknown profile keys: {', '.join(sorted(unknown))}")
    if values["zeros"] not in ("suppress", "allow"):
        raise ConfigError(f"{spec}: zeros must be 'suppress' or 'allow'")
    if values["threshold"] < 1:
        raise ConfigError(f"{spec}: threshold must be at least 1")
    if values["nk_n"] not in (1, 2):
        raise ConfigError(
            f"{spec}: profile key 'nk_n' is {values['nk_n']}, but cells carry only their two largest "
            "contributions (top1, top2), so the NK rule can be applied for nk_n = 1 or 2; set nk_n to 1 or 2"
        )
    return Profile(
        name=str(data.get("name", Path(text_spec).stem)),
        version=str(data.get("version", "1")),
        sha256=hashlib.sha256(raw).hexdigest(),
        protection_width=float(values.pop("protection_width")),
        sources=sources,
        origin=origin,
        **values,
    )
