"""Synthetic CBS-like data with the shape and pitfalls of the real thing, calibrated to the NBNB
report, deterministic per seed and vectorised so it scales to a million persons.

``build`` returns the frames (tests use it directly at small sizes); ``write`` puts them on disk
as ``nbnb-cbs synth`` does. Each component draws from its own child seed, so changing one part
of the generator does not shift the random numbers of the others.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from nbnb_cbs.errors import ConfigError
from nbnb_cbs.io.writers import (
    atomic_path,
    csv_frame,
    ensure_folder,
    source_date,
    write_csv,
    write_parquet,
    write_sav,
)
from nbnb_cbs.synth.addresses import make_addresses, registration_frame
from nbnb_cbs.synth.jobs import enrolments_frame, jobs_frame
from nbnb_cbs.synth.people import DESTINATIONS, make_participants, simulate_work

__all__ = ["SynthData", "SynthOptions", "build", "generate", "write"]

Format = Literal["csv", "parquet", "sav"]
# Job rows are drawn per block of BLOCK persons (in RINPERSOON order), each block from its own
# random stream: the data do not depend on the chunk size, which only bounds memory (a chunk is
# a whole number of blocks). Parquet row groups hold ROW_GROUP rows whatever the chunking.
BLOCK = 10_000
ROW_GROUP = 500_000
_SYNTH_STAMP = dt.datetime(2022, 3, 31, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SynthOptions:
    participants: int = 1012
    seed: int = 2022
    population: int | None = None  # register size; default 12 x participants
    messiness: float = 1.0
    format: Format = "csv"
    chunk_size: int = 100_000  # persons whose job rows are generated and written at once

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
        if self.chunk_size < BLOCK:
            raise ConfigError(f"--chunk-size {self.chunk_size} must be at least {BLOCK:,} persons")
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


@dataclass
class _Plan:
    """Everything but the job rows, and what the job rows are drawn from."""

    registration: pl.DataFrame
    persons: pl.DataFrame
    addresses: pl.DataFrame
    enrolments: pl.DataFrame
    truth: pl.DataFrame
    work: np.ndarray  # persons x months in work
    rin: np.ndarray
    seed: int


def _plan(options: SynthOptions) -> _Plan:
    options.check()
    # Children 0-5 are the components' streams; 6 the enrolments'; (7, b) job block b's.
    seeds = np.random.SeedSequence(options.seed).spawn(7)
    r_people, r_mates, r_addr, r_work, r_reg, _ = (np.random.default_rng(s) for s in seeds[:6])
    r_enrol = np.random.default_rng(seeds[6])

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
    to_education = people.destination == int(np.flatnonzero(DESTINATIONS == "education")[0])
    # Work-and-learn (BBL) is learning on the job: most are enrolled; a few others enrol later.
    work_and_learn = people.destination == int(np.flatnonzero(DESTINATIONS == "work_and_learn")[0])
    p_enrolled = np.where(work_and_learn, 0.8, np.where(to_education, 0.0, 0.05))
    enrolments = enrolments_frame(
        r_enrol, rin, people.exit, to_education, n_other=n_total // 20, p_enrolled=p_enrolled
    )
    truth = pl.DataFrame(
        {
            "participant_id": registration["deelnemer_id"].unique(maintain_order=True),
            "RINPERSOONS": np.full(n_part, "R"),
            "RINPERSOON": rin[:n_part],
            "corrupted": kind != "",
            "corruption": kind,
        }
    )
    return _Plan(registration, persons, address_frame, enrolments, truth, work, rin, options.seed)


def _job_chunks(plan: _Plan, chunk_size: int) -> Iterator[pl.DataFrame]:
    """The job rows, sorted by RINPERSOON, in chunks of about ``chunk_size`` persons."""
    order = np.argsort(plan.rin, kind="stable")
    per_chunk = max(1, chunk_size // BLOCK)
    n_blocks = -(-order.size // BLOCK)
    first_job = 0
    for start in range(0, n_blocks, per_chunk):
        frames = []
        for block in range(start, min(start + per_chunk, n_blocks)):
            who = order[block * BLOCK : (block + 1) * BLOCK]
            rng = np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=(7, block)))
            frame, n_jobs = jobs_frame(
                rng, plan.work[who], plan.rin[who], first_job=first_job, person_key=who
            )
            first_job += n_jobs
            frames.append(frame)
        yield pl.concat(frames)


def build(options: SynthOptions) -> SynthData:
    """All synthetic frames in memory (tests and small sizes; ``generate`` streams the jobs)."""
    plan = _plan(options)
    jobs = pl.concat(list(_job_chunks(plan, options.chunk_size)))
    return SynthData(
        plan.registration, plan.persons, plan.addresses, jobs, plan.enrolments, plan.truth
    )


def _stamp() -> dt.datetime:
    # Synthetic data carries a fixed creation time so that one seed gives identical files.
    return source_date() or _SYNTH_STAMP


def _write_table(frame: pl.DataFrame, path: Path, fmt: Format) -> Path:
    if fmt == "csv":
        return write_csv(frame, path.with_suffix(".csv"))
    if fmt == "parquet":
        return write_parquet(frame, path.with_suffix(".parquet"))
    return write_sav(frame, path.with_suffix(".sav"), stamp=_stamp())


def _ahead(chunks: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """The chunks, the next one generated in a thread while the current one is written (numpy,
    polars and pyarrow release the GIL): at most two chunks in memory, order unchanged."""
    box: queue.Queue[pl.DataFrame | BaseException | None] = queue.Queue(maxsize=1)

    def produce() -> None:
        try:
            for chunk in chunks:
                box.put(chunk)
            box.put(None)
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(exc)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    while (item := box.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()


def _write_jobs(chunks: Iterable[pl.DataFrame], path: Path, fmt: Format) -> tuple[Path, int]:
    """Write job rows chunk by chunk (memory: two chunks and one row group). The bytes do not
    depend on how the rows are chunked."""
    chunks = _ahead(chunks)
    rows = 0
    if fmt == "csv":
        path = path.with_suffix(".csv")
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            for i, chunk in enumerate(chunks):
                csv_frame(chunk).write_csv(fh, separator=";", include_header=i == 0)
                rows += chunk.height
        return path, rows
    if fmt == "parquet":
        target = path.with_suffix(".parquet")
        with atomic_path(target) as tmp:
            rows = _write_parquet_chunks(chunks, tmp)
        return target, rows
    # The .sav is written from a temporary Parquet file by polars-readstat, which streams it.
    target = path.with_suffix(".sav")
    ensure_folder(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".parquet", dir=target.parent)
    os.close(fd)
    staging = Path(name)
    try:
        rows = _write_parquet_chunks(chunks, staging)
        write_sav(pl.scan_parquet(staging), target, stamp=_stamp())
    finally:
        staging.unlink(missing_ok=True)
    return target, rows


def _write_parquet_chunks(chunks: Iterable[pl.DataFrame], path: Path) -> int:
    """Parquet in row groups of exactly ROW_GROUP rows (the last one shorter), whatever the
    chunks' sizes, so that the bytes do not depend on the chunking."""
    rows = 0
    writer: pq.ParquetWriter | None = None
    rest: pl.DataFrame | None = None  # fewer than ROW_GROUP rows waiting for the next chunk
    try:
        for chunk in chunks:
            rows += chunk.height
            buffer = chunk if rest is None else pl.concat([rest, chunk])
            full = buffer.height // ROW_GROUP * ROW_GROUP
            for offset in range(0, full, ROW_GROUP):
                writer = _write_group(writer, path, buffer.slice(offset, ROW_GROUP))
            rest = buffer.slice(full)
        if rest is not None and (rest.height or writer is None):
            writer = _write_group(writer, path, rest)
    finally:
        if writer is not None:
            writer.close()
    return rows


# Dictionary encoding only where values repeat (dates and codes); ids are left plain.
_DICTIONARY = [
    "RINPERSOONS",
    "SDATUMAANVANGIKO",
    "SDATUMEINDEIKO",
    "SCONTRACTSOORT",
    "SSOORTBAAN",
    "SPOLISDIENSTVERBAND",
]


def _write_group(
    writer: pq.ParquetWriter | None, path: Path, group: pl.DataFrame
) -> pq.ParquetWriter:
    # Arrow string views: handed over without copying the text (same Parquet bytes).
    table = group.to_arrow(compat_level=pl.CompatLevel.newest())
    if writer is None:
        # Statistics on RINPERSOON only: they let a cohort cut skip row groups; on other
        # columns they cost a third of the writing time and serve no reader here.
        writer = pq.ParquetWriter(
            path,
            table.schema,
            compression="snappy",
            use_dictionary=_DICTIONARY,
            write_statistics=["RINPERSOON"],
        )
    writer.write_table(table, row_group_size=ROW_GROUP)
    return writer


def write(data: SynthData, out_dir: str | Path, fmt: Format = "csv") -> list[Path]:
    """Write every synthetic file into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    written = [write_csv(data.registration, out / "registration.csv")]
    written.append(_write_table(data.persons, out / "register" / "persons", fmt))
    written.append(_write_table(data.addresses, out / "register" / "addresses", fmt))
    written.append(_write_jobs([data.jobs], out / "jobs", fmt)[0])
    written.append(_write_table(data.enrolments, out / "enrolments", fmt))
    written.append(write_parquet(data.truth, out / "truth.parquet"))
    return written


def generate(options: SynthOptions, out_dir: str | Path) -> list[tuple[Path, int]]:
    """Generate and write the data with job rows streamed in chunks of ``options.chunk_size``
    persons (what ``nbnb-cbs synth`` does): the same files as ``write(build(options))``, in
    bounded memory. Returns (path, rows) per file."""
    out = Path(out_dir)
    fmt = options.format
    plan = _plan(options)
    written = [(write_csv(plan.registration, out / "registration.csv"), plan.registration.height)]
    written.append(
        (_write_table(plan.persons, out / "register" / "persons", fmt), plan.persons.height)
    )
    written.append(
        (_write_table(plan.addresses, out / "register" / "addresses", fmt), plan.addresses.height)
    )
    written.append(_write_jobs(_job_chunks(plan, options.chunk_size), out / "jobs", fmt))
    written.append((_write_table(plan.enrolments, out / "enrolments", fmt), plan.enrolments.height))
    written.append((write_parquet(plan.truth, out / "truth.parquet"), plan.truth.height))
    return written
