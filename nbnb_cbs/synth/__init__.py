"""Synthetic CBS-like data with the shape and pitfalls of the real thing, calibrated to the NBNB
report, deterministic per seed and vectorised so it scales to a million persons.

``build`` returns the frames (tests use it directly at small sizes); ``write`` puts them on disk
as ``nbnb-cbs synth`` does. Each component draws from its own child seed, so changing one part
of the generator does not shift the random numbers of the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from nbnb_cbs.errors import ConfigError
from nbnb_cbs.io.writers import source_date, write_csv, write_parquet, write_sav
from nbnb_cbs.synth.addresses import make_addresses, registration_frame
from nbnb_cbs.synth.jobs import enrolments_frame, jobs_frame
from nbnb_cbs.synth.people import DESTINATIONS, make_participants, simulate_work

__all__ = ["SynthData", "SynthOptions", "build", "write"]

Format = Literal["csv", "parquet", "sav"]
_SYNTH_STAMP = dt.datetime(2022, 3, 31, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SynthOptions:
    participants: int = 1012
    seed: int = 2022
    population: int | None = None  # register size; default 12 x participants
    messiness: float = 1.0
    format: Format = "csv"

    @property
    def population_size(self) -> int:
        return self.population if self.population is not None else 12 * self.participants

    def check(self) -> None:
        if self.participants < 1:
            raise ConfigError("--participants must be at least 1")
        if not 0.0 <= self.messiness <= 1.0:
            raise ConfigError(f"--messiness {self.messiness} must be between 0 and 1")
        if self.population_size < self.participants * 1.3:
            raise ConfigError(
                f"--population {self.population_size} is too small for {self.participants} "
                f"participants and their housemates; use at least {int(self.participants * 1.3) + 1}"
            )
        if self.format not in ("csv", "parquet", "sav"):
            raise ConfigError(f"--format {self.format!r} must be csv, parquet or sav")


@dataclass
class SynthData:
    registration: pl.DataFrame
    persons: pl.DataFrame
    addresses: pl.DataFrame
    jobs: pl.DataFrame
    enrolments: pl.DataFrame
    truth: pl.DataFrame


def _rins(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique 9-digit person numbers with leading zeros, in random order."""
    draw = np.unique(rng.integers(0, 1_000_000_000, size=int(n * 1.05) + 16))
    while draw.size < n:
        draw = np.unique(np.r_[draw, rng.integers(0, 1_000_000_000, size=n)])
    picked = rng.permutation(draw)[:n]
    return np.char.zfill(picked.astype(str), 9)


def _ymd(days: np.ndarray) -> pl.Series:
    """YYYYMMDD text, as CBS files carry dates."""
    return pl.Series(days).dt.strftime("%Y%m%d")


def build(options: SynthOptions) -> SynthData:
    options.check()
    seeds = np.random.SeedSequence(options.seed).spawn(6)
    r_people, r_mates, r_addr, r_work, r_reg, r_jobs = (np.random.default_rng(s) for s in seeds)

    people = make_participants(r_people, options.participants)
    n_part = people.n
    # Housemates: siblings of the same sex and birth year (the report's source of ambiguous keys),
    # some twins with the same full birth date, and partners.
    sibling = r_mates.random(n_part) < 0.17
    partner = r_mates.random(n_part) < 0.10
    mate_of = np.r_[np.flatnonzero(sibling), np.flatnonzero(partner)]
    is_sibling = np.r_[np.ones(int(sibling.sum()), bool), np.zeros(int(partner.sum()), bool)]
    twin = is_sibling & (r_mates.random(mate_of.size) < 0.04)
    birth_year = people.birth.astype("datetime64[Y]")
    sib_birth = birth_year[mate_of] + r_mates.integers(0, 365, size=mate_of.size).astype(
        "timedelta64[D]"
    )
    partner_birth = people.birth[mate_of] + r_mates.integers(-2500, 2500, size=mate_of.size).astype(
        "timedelta64[D]"
    )
    mate_birth = np.where(
        twin, people.birth[mate_of], np.where(is_sibling, sib_birth, partner_birth)
    )
    mate_male = np.where(is_sibling, people.male[mate_of], ~people.male[mate_of])

    n_total = options.population_size
    n_mates = mate_of.size
    n_rest = n_total - n_part - n_mates
    rest_birth = np.datetime64("1950-01-01") + r_mates.integers(0, 20000, size=n_rest).astype(
        "timedelta64[D]"
    )
    male = np.r_[people.male, mate_male, r_mates.random(n_rest) < 0.5]
    birth = np.r_[people.birth, mate_birth, rest_birth]
    rin = _rins(r_mates, n_total)

    addresses, registered = make_addresses(r_addr, n_part, mate_of, n_total)
    work = simulate_work(r_work, people, n_total - n_part)
    registration, kind = registration_frame(r_reg, people, addresses, registered, options.messiness)
    dup = np.flatnonzero(r_reg.random(n_part) < 0.005 * options.messiness)
    if dup.size:
        registration = pl.concat([registration, registration[dup]]).sort(
            "deelnemer_id", maintain_order=True
        )

    born = pl.Series(birth)
    persons = pl.DataFrame(
        {
            "RINPERSOONS": pl.repeat("R", n_total, eager=True),
            "RINPERSOON": pl.Series(rin),
            "GBAGESLACHT": pl.Series(male).replace_strict(
                {True: "1", False: "2"}, return_dtype=pl.String
            ),
            "GBAGEBOORTEJAAR": born.dt.strftime("%Y"),
            "GBAGEBOORTEMAAND": born.dt.strftime("%m"),
            "GBAGEBOORTEDAG": born.dt.strftime("%d"),
        }
    )
    address_frame = pl.DataFrame(
        {
            "RINPERSOONS": pl.repeat("R", addresses.person.size, eager=True),
            "RINPERSOON": pl.Series(rin).gather(addresses.person),
            "postcode": addresses.postcode,
            "huisnummer": addresses.number,
            "huisletter": addresses.letter,
            "huisnummertoevoeging": addresses.addition,
            "GBADATUMAANVANGADRESHOUDING": _ymd(addresses.start),
            "GBADATUMEINDEADRESHOUDING": _ymd(addresses.end),
        }
    ).sort("RINPERSOON", "GBADATUMAANVANGADRESHOUDING", maintain_order=True)
    jobs = jobs_frame(r_jobs, work, rin)
    to_education = people.destination == int(np.flatnonzero(DESTINATIONS == "education")[0])
    enrolments = enrolments_frame(r_jobs, rin, people.exit, to_education, n_other=n_total // 20)
    truth = pl.DataFrame(
        {
            "participant_id": registration["deelnemer_id"].unique(maintain_order=True),
            "RINPERSOONS": np.full(n_part, "R"),
            "RINPERSOON": rin[:n_part],
            "corrupted": kind != "",
            "corruption": kind,
        }
    )
    return SynthData(registration, persons, address_frame, jobs, enrolments, truth)


def _write_table(frame: pl.DataFrame, path: Path, fmt: Format) -> Path:
    if fmt == "csv":
        return write_csv(frame, path.with_suffix(".csv"))
    if fmt == "parquet":
        return write_parquet(frame, path.with_suffix(".parquet"))
    # Synthetic data carries a fixed creation time so that one seed gives identical files.
    return write_sav(frame, path.with_suffix(".sav"), stamp=source_date() or _SYNTH_STAMP)


def write(data: SynthData, out_dir: str | Path, fmt: Format = "csv") -> list[Path]:
    """Write every synthetic file into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    written = [write_csv(data.registration, out / "registration.csv")]
    written.append(_write_table(data.persons, out / "register" / "persons", fmt))
    written.append(_write_table(data.addresses, out / "register" / "addresses", fmt))
    written.append(_write_table(data.jobs, out / "jobs", fmt))
    written.append(_write_table(data.enrolments, out / "enrolments", fmt))
    written.append(write_parquet(data.truth, out / "truth.parquet"))
    return written
