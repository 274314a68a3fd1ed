"""Participants, the wider population and who works in which month.

Employment is a two-state monthly Markov chain, simulated for everyone at once (a loop over the
60 months of the window, vectorised over persons). Transition probabilities depend on the phase
(before entry, in the project, after exit), the exit destination and the project's sector focus;
they are set so that the NBNB report's figures come out on the default seed (the calibration test
checks them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DESTINATIONS",
    "MONTH0",
    "N_MONTHS",
    "Participants",
    "make_participants",
    "simulate_work",
]

MONTH0 = 2018 * 12  # month index of January 2018, the first simulated month
N_MONTHS = 60  # January 2018 .. December 2022
DESTINATIONS = np.array(
    ["work", "education", "work_and_learn", "work_experience", "dropout", "other", "unknown"]
)
# Report, N=790: work 20.1%, education 8.0%, work-and-learn 0.9%, work experience 5.4%,
# dropout 12.7%, other 27.1%, unknown 25.8%. Sector-focused projects send more people to work.
# These are the shares among those who have left; participants still in their project at the
# reference date (about one in six) add to "unknown", so the overall shares match the report.
_DEST_P_SECTOR = np.array([0.37, 0.08, 0.011, 0.06, 0.12, 0.27, 0.089])
_DEST_P_OTHER = np.array([0.19, 0.105, 0.011, 0.07, 0.165, 0.35, 0.109])


@dataclass
class Participants:
    n: int
    project: np.ndarray  # int project number
    sectoral: np.ndarray  # bool, per participant (from the project)
    male: np.ndarray
    birth: np.ndarray  # datetime64[D]
    entry: np.ndarray  # datetime64[D]
    exit: np.ndarray  # datetime64[D], NaT while still in the project
    destination: np.ndarray  # index into DESTINATIONS


def _project_sizes(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    weights = rng.lognormal(0.0, 0.9, size=k)
    sizes: np.ndarray = np.clip(np.round(weights / weights.sum() * n), 4, 140).astype(np.int64)
    if not 4 * k <= n <= 140 * k:
        raise ValueError(f"{n} participants cannot form {k} projects of 4-140")
    while sizes.sum() != n:
        diff = n - sizes.sum()
        room = (sizes < 140) if diff > 0 else (sizes > 4)
        idx = np.flatnonzero(room)
        pick = idx[rng.integers(0, idx.size, size=min(abs(int(diff)), idx.size))]
        np.add.at(sizes, pick, np.sign(diff))
        sizes = np.clip(sizes, 4, 140)
    return sizes


def make_participants(rng: np.random.Generator, n: int) -> Participants:
    # About 20 projects of 4-140 participants, as in the report; more projects for larger n so
    # that every project stays within that size range.
    k = max(1, min(20, n // 8), -(-n // 100))
    sizes = _project_sizes(rng, n, k) if n >= 4 * k else np.array([n])
    project = np.repeat(np.arange(1, sizes.size + 1), sizes)
    sector_projects = rng.random(sizes.size) < 0.3
    if sizes.size > 1:
        sector_projects[0] = True  # at least one sector-focused project
    sectoral = sector_projects[project - 1]
    male = rng.random(n) < 2 / 3
    age_days = (rng.normal(31, 7, size=n).clip(18, 60) * 365.25).astype(np.int64)
    # A group of early starters (the report has 72 participants by February 2019), the rest
    # spread over the programme's run until March 2022.
    early = rng.random(n) < 0.08
    start = np.datetime64("2019-01-01")
    span = (np.datetime64("2022-03-31") - start).astype(np.int64)
    offset = np.where(early, rng.integers(0, 59, size=n), rng.integers(0, span, size=n))
    entry = start + offset.astype("timedelta64[D]")
    birth = entry - age_days.astype("timedelta64[D]")
    p = np.where(sectoral[:, None], _DEST_P_SECTOR, _DEST_P_OTHER)
    cum = p.cumsum(axis=1)
    destination = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, DESTINATIONS.size - 1)
    duration = rng.gamma(2.0, 90.0, size=n).astype(np.int64) + 30
    exit_ = entry + duration.astype("timedelta64[D]")
    still_in = exit_ > np.datetime64("2022-03-31")
    # Participants still in their project have no exit yet: their destination is unknown.
    destination = np.where(still_in, DESTINATIONS.size - 1, destination)
    unknown_no_exit = (destination == DESTINATIONS.size - 1) & (rng.random(n) < 0.5)
    exit_ = np.where(still_in | unknown_no_exit, np.datetime64("NaT"), exit_)
    return Participants(n, project, sectoral, male, birth, entry, exit_, destination)


def month_index(days: np.ndarray) -> np.ndarray:
    """datetime64[D] -> months since January 2018 (NaT -> a large sentinel)."""
    months = days.astype("datetime64[M]").astype(np.int64) - (MONTH0 - 1970 * 12)
    out: np.ndarray = np.where(np.isnat(days), 10_000, months)
    return out


def simulate_work(
    rng: np.random.Generator, people: Participants | None, n_other: int
) -> np.ndarray:
    """Boolean matrix (persons x months) of who works when: participants first, then others.

    Some who leave for work start as self-employed: their exit-to-work job never shows up in
    the register (no SPOLIS rows), as in real data.
    """
    n_part = people.n if people is not None else 0
    n = n_part + n_other
    work = np.zeros((n, N_MONTHS), dtype=bool)
    p_start = np.full(n, 0.05)
    p_stop = np.full(n, 0.03)
    state = rng.random(n) < 0.55
    state[:n_part] = rng.random(n_part) < 0.13
    job_shows = np.ones(n_part, dtype=bool)
    if people is not None:
        entry_m = month_index(people.entry)
        exit_m = month_index(people.exit)
        to_work = people.destination == 0
        job_shows = rng.random(n_part) < 0.95
        start_lag = rng.choice([0, 1, 1, 2], size=n_part)
        # Persons differ in how durable their work is: a stable majority and a fragile minority.
        fragile = rng.random(n_part) < 0.4
        stop_after = np.where(fragile, 0.2, 0.015)
        restart_after = np.where(fragile, 0.15, 0.35)
        start_in = np.where(people.sectoral, 0.045, 0.017)
        start_post = np.where(people.sectoral, 0.06, 0.02)
    for t in range(N_MONTHS):
        u = rng.random(n)
        if people is not None:
            ps = p_start[:n_part]
            pe = p_stop[:n_part]
            before = t < entry_m
            during = (t >= entry_m) & (t <= exit_m)
            after = t > exit_m
            ps[:] = np.where(before, 0.012, np.where(during, start_in, start_post))
            pe[:] = np.where(before, 0.06, np.where(during, 0.05, 0.05))
            ps[:] = np.where(after & to_work, restart_after, ps)
            pe[:] = np.where(after & to_work, stop_after, pe)
        nxt = np.where(state, u >= p_stop, u < p_start)
        if people is not None:
            forced = to_work & job_shows & (t == exit_m + start_lag)
            nxt[:n_part] |= forced
            never = to_work & ~job_shows & (t > exit_m)
            nxt[:n_part] &= ~never
        state = nxt
        work[:, t] = state
    return work
