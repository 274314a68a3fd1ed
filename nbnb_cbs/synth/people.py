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
# dropout 12.7%, other 27.1%, unknown 25.8%. Each destination gets its share of the participants
# exactly (largest remainders); participants still in their project at the reference date count
# as unknown. Participants of sector-focused projects are SECTOR_WORK_WEIGHT times as likely to be
# among those who left for work.
DEST_SHARES = np.array([0.201, 0.080, 0.009, 0.054, 0.127, 0.271, 0.258])
SECTOR_SHARE = 0.2  # share of participants in sector-focused projects
SECTOR_WORK_WEIGHT = 2.5
PEILDATUM = np.datetime64("2022-03-31")


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


def _quotas(n: int) -> np.ndarray:
    """Participants per destination: DEST_SHARES of n, rounded by largest remainders."""
    exact = DEST_SHARES / DEST_SHARES.sum() * n
    counts: np.ndarray = np.floor(exact).astype(np.int64)
    rest = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:rest]] += 1
    return counts


def _destinations(
    rng: np.random.Generator, sectoral: np.ndarray, still_in: np.ndarray
) -> np.ndarray:
    """Exit destinations in the report's shares; those still in their project are unknown."""
    n = sectoral.size
    unknown = DESTINATIONS.size - 1
    quota = _quotas(n)
    destination = np.full(n, unknown, dtype=np.int64)
    free = np.flatnonzero(~still_in)
    quota[unknown] = max(0, int(quota[unknown]) - (n - free.size))
    # Work first, weighted towards sector-focused projects (Gumbel top-k: weighted sampling
    # without replacement), then the other destinations in random order.
    key = np.log(np.where(sectoral[free], SECTOR_WORK_WEIGHT, 1.0)) + rng.gumbel(size=free.size)
    ranked = free[np.argsort(-key, kind="stable")]
    n_work = min(int(quota[0]), free.size)
    destination[ranked[:n_work]] = 0
    rest = rng.permutation(ranked[n_work:])
    labels = np.repeat(np.arange(1, DESTINATIONS.size), quota[1:])[: rest.size]
    destination[rest[: labels.size]] = labels
    return destination


def make_participants(rng: np.random.Generator, n: int) -> Participants:
    # About 20 projects of 4-140 participants, as in the report; more projects for larger n so
    # that every project stays within that size range.
    k = max(1, min(20, n // 8), -(-n // 100))
    sizes = _project_sizes(rng, n, k) if n >= 4 * k else np.array([n])
    project = np.repeat(np.arange(1, sizes.size + 1), sizes)
    # Sector-focused projects: taken in random order until they hold SECTOR_SHARE of the
    # participants (at least one project of each kind when there are two or more).
    order = rng.permutation(sizes.size)
    before = np.cumsum(sizes[order]) - sizes[order]
    sector_projects = np.zeros(sizes.size, dtype=bool)
    sector_projects[order[before < SECTOR_SHARE * n]] = True
    if sizes.size > 1:
        sector_projects[order[-1]] = False
    sectoral = sector_projects[project - 1]
    male = rng.random(n) < 2 / 3
    age_days = (rng.normal(31, 7, size=n).clip(18, 60) * 365.25).astype(np.int64)
    # A group of early starters (the report has 72 participants by February 2019), the rest
    # spread over the programme's run until March 2022, fewer towards its end (the report pools
    # the later months' inflow of fewer than ten).
    early = rng.random(n) < 0.08
    start = np.datetime64("2019-01-01")
    span = (np.datetime64("2022-03-31") - start).astype(np.int64)
    offset = np.where(
        early, rng.integers(0, 59, size=n), (rng.beta(1.0, 1.3, size=n) * span).astype(np.int64)
    )
    entry = start + offset.astype("timedelta64[D]")
    birth = entry - age_days.astype("timedelta64[D]")
    duration = rng.gamma(2.0, 120.0, size=n).astype(np.int64) + 30
    exit_ = entry + duration.astype("timedelta64[D]")
    still_in = exit_ > PEILDATUM
    destination = _destinations(rng, sectoral, still_in)
    # Participants still in their project have no exit yet, nor do half of those whose
    # destination is unknown.
    unknown_no_exit = (destination == DESTINATIONS.size - 1) & (rng.random(n) < 0.5)
    exit_ = np.where(still_in | unknown_no_exit, np.datetime64("NaT"), exit_)
    return Participants(n, project, sectoral, male, birth, entry, exit_, destination)


# Durability after leaving for work: monthly stop and restart probabilities of the stable and
# the fragile (report Table 6.3: 82% / 77% for all who worked, 73% after a year).
FRAGILE_SHARE = 0.45
FRAGILE_STOP, FRAGILE_RESTART = 0.5, 0.05
STABLE_STOP, STABLE_RESTART = 0.004, 0.3
# Everyone else: monthly chance to start work (in the project, after it), by sector focus, and
# to stop.
START_SECTOR = (0.045, 0.07)
START_OTHER = (0.019, 0.026)
STOP = 0.045


def _season(factors: dict[tuple[int, int], float]) -> np.ndarray:
    """Per simulated month: a factor on participants' chances (1 outside the listed months)."""
    out = np.ones(N_MONTHS)
    for (first, last), factor in factors.items():
        out[first - MONTH0 : last - MONTH0 + 1] = factor
    return out


def _m(year: int, month: int) -> int:
    return year * 12 + month - 1


# Figure 6.32: steep rises in the share working in spring 2019 and spring 2021; in between the
# pandemic (from March 2020) slowed hiring and ended jobs.
SEASON = _season(
    {
        (_m(2019, 3), _m(2019, 6)): 3.0,
        (_m(2020, 3), _m(2021, 1)): 0.7,
        (_m(2021, 3), _m(2021, 6)): 2.0,
    }
)
STOP_SEASON = _season({(_m(2020, 3), _m(2020, 12)): 1.3})


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
        # The first job after leaving for work is a contract of 3, 6 or 12 months (the report's
        # most common lengths), rarely ended early; then persons differ in how durable their
        # work is: a stable majority and a fragile minority.
        contract = rng.choice(np.array([3, 6, 12]), size=n_part, p=[0.45, 0.35, 0.2])
        fragile = rng.random(n_part) < FRAGILE_SHARE
        stop_after = np.where(fragile, FRAGILE_STOP, STABLE_STOP)
        restart_after = np.where(fragile, FRAGILE_RESTART, STABLE_RESTART)
        start_in = np.where(people.sectoral, START_SECTOR[0], START_OTHER[0])
        start_post = np.where(people.sectoral, START_SECTOR[1], START_OTHER[1])
    for t in range(N_MONTHS):
        u = rng.random(n)
        if people is not None:
            ps = p_start[:n_part]
            pe = p_stop[:n_part]
            before = t < entry_m
            during = (t >= entry_m) & (t <= exit_m)
            after = t > exit_m
            # Chances of finding work grow with time since entry (language, network).
            progress = np.minimum(1 + (t - entry_m) / 24, 2.0)
            ps[:] = np.where(
                before, 0.01, np.where(during, start_in, start_post) * progress * SEASON[t]
            )
            pe[:] = np.where(before, 0.06, STOP) * STOP_SEASON[t]
            in_contract = after & to_work & (t <= exit_m + start_lag + contract)
            ps[:] = np.where(after & to_work, np.minimum(restart_after * SEASON[t], 0.9), ps)
            pe[:] = np.where(
                after & to_work, np.where(in_contract, 0.01, stop_after * STOP_SEASON[t]), pe
            )
        nxt = np.where(state, u >= p_stop, u < p_start)
        if people is not None:
            forced = to_work & job_shows & (t == exit_m + start_lag)
            nxt[:n_part] |= forced
            never = to_work & ~job_shows & (t > exit_m)
            nxt[:n_part] &= ~never
        state = nxt
        work[:, t] = state
    return work
