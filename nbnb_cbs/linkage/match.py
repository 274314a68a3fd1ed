"""A simulation of CBS's linkage desk, for development and CI on synthetic data.

A key links when exactly one register person has its sex and birth date parts (as far as the
key gives them) and lived at an address with its postcode, number, letter and addition on the
key's peildatum. No candidate or several candidates: not linked, as CBS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from nbnb_cbs.errors import InputFileError
from nbnb_cbs.io.readers import check_columns, read_table
from nbnb_cbs.schemas import Col, Contract

__all__ = [
    "ADDRESSES",
    "KEYS",
    "PERSONS",
    "MatchResult",
    "check_register",
    "match_keys",
    "read_register",
]

KEYS = Contract(
    name="keys",
    description="linkage keys (keys.csv)",
    columns=(
        Col("record_id", "str", (), True),
        Col("geslacht", "int", (), True),
        Col("geboortejaar", "int", (), True),
        Col("geboortemaand", "int", (), True),
        Col("geboortedag", "int", (), True),
        Col("postcode", "str", (), True),
        Col("huisnummer", "int", (), True),
        Col("huisletter", "str", (), True),
        Col("huisnummertoevoeging", "str", (), True),
        Col("peildatum", "date", (), True),
    ),
)
PERSONS = Contract(
    name="persons",
    description="population register persons (GBAPERSOONTAB-like)",
    columns=(
        Col("RINPERSOONS", "str", (), True),
        Col("RINPERSOON", "rin", (), True),
        Col("GBAGESLACHT", "str", (), True),
        Col("GBAGEBOORTEJAAR", "int", (), True, "null"),
        Col("GBAGEBOORTEMAAND", "int", (), True, "null"),
        Col("GBAGEBOORTEDAG", "int", (), True, "null"),
    ),
)
ADDRESSES = Contract(
    name="addresses",
    description="population register address history (GBAADRESOBJECTBUS-like)",
    columns=(
        Col("RINPERSOONS", "str", (), True),
        Col("RINPERSOON", "rin", (), True),
        Col("postcode", "str", (), True),
        Col("huisnummer", "int", (), True),
        Col("huisletter", "str", (), True),
        Col("huisnummertoevoeging", "str", (), True),
        Col("GBADATUMAANVANGADRESHOUDING", "date", (), True, "null"),
        Col("GBADATUMEINDEADRESHOUDING", "date", (), True, "null"),
    ),
)


@dataclass
class MatchResult:
    linked: pl.DataFrame
    counts: dict[str, int]


def _find(register: Path, stem: str) -> Path:
    for suffix in (".parquet", ".csv", ".sav", ".dta"):
        candidate = register / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise InputFileError(
        f"{register}: no {stem}.parquet, .csv, .sav or .dta found; --register must be the folder "
        "holding the register's persons and addresses files (as written by nbnb-cbs synth)"
    )


def _register_folder(register: Path) -> Path:
    if not register.is_dir():
        raise InputFileError(
            f"{register}: --register must be a folder, not a file or a missing path"
        )
    return register


def check_register(register: Path, aliases: Mapping[str, list[str]] | None = None) -> None:
    """The register folder's files and their columns, from the headers alone."""
    folder = _register_folder(register)
    check_columns(_find(folder, "persons"), PERSONS, aliases)
    check_columns(_find(folder, "addresses"), ADDRESSES, aliases)


def read_register(
    register: Path, aliases: Mapping[str, list[str]] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    folder = _register_folder(register)
    persons = read_table(_find(folder, "persons"), PERSONS, aliases=aliases).frame
    addresses = read_table(_find(folder, "addresses"), ADDRESSES, aliases=aliases).frame
    return persons, addresses


def match_keys(keys: pl.DataFrame, persons: pl.DataFrame, addresses: pl.DataFrame) -> MatchResult:
    """Link keys (as read with the KEYS contract) to register persons."""
    text = pl.col("huisletter").fill_null(""), pl.col("huisnummertoevoeging").fill_null("")
    k = keys.with_row_index("_order").with_columns(*text)
    a = addresses.with_columns(*text)
    candidates = (
        k.join(a, on=["postcode", "huisnummer", "huisletter", "huisnummertoevoeging"], how="inner")
        .filter(
            (pl.col("GBADATUMAANVANGADRESHOUDING") <= pl.col("peildatum"))
            & (
                pl.col("GBADATUMEINDEADRESHOUDING").is_null()
                | (pl.col("peildatum") <= pl.col("GBADATUMEINDEADRESHOUDING"))
            )
        )
        .join(persons, on=["RINPERSOONS", "RINPERSOON"], how="inner")
        .filter(
            (pl.col("GBAGESLACHT").cast(pl.Int64, strict=False) == pl.col("geslacht"))
            & (pl.col("GBAGEBOORTEJAAR") == pl.col("geboortejaar"))
            & (
                pl.col("geboortemaand").is_null()
                | (pl.col("GBAGEBOORTEMAAND") == pl.col("geboortemaand"))
            )
            & (
                pl.col("geboortedag").is_null()
                | (pl.col("GBAGEBOORTEDAG") == pl.col("geboortedag"))
            )
        )
        .group_by("_order")
        .agg(
            n=pl.struct("RINPERSOONS", "RINPERSOON").n_unique(),
            RINPERSOONS=pl.col("RINPERSOONS").first(),
            RINPERSOON=pl.col("RINPERSOON").first(),
        )
    )
    out = k.select("_order", "record_id").join(candidates, on="_order", how="left").sort("_order")
    out = out.with_columns(
        status=pl.when(pl.col("n").is_null())
        .then(pl.lit("no_candidate"))
        .when(pl.col("n") == 1)
        .then(pl.lit("linked"))
        .otherwise(pl.lit("ambiguous"))
    )
    linked = out.select(
        "record_id",
        RINPERSOONS=pl.when(pl.col("status") == "linked").then(pl.col("RINPERSOONS")),
        RINPERSOON=pl.when(pl.col("status") == "linked").then(pl.col("RINPERSOON")),
    )
    counts = {s: int((out["status"] == s).sum()) for s in ("linked", "no_candidate", "ambiguous")}
    return MatchResult(linked, counts)
