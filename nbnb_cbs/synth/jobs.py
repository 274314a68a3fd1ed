"""SPOLISBUS-like job rows and ONDERWIJSINSCHRTAB-like enrolments, fully vectorised.

Runs of working months become job spells; long spells are sometimes split over two consecutive
jobs, and some get a concurrent second job. Each job is then cut into pay periods: calendar
months for most employers, 4-week periods for some. On top come the pitfalls real files have:
correction rows with zero or negative wage, an occasional sentinel end date, lower-case codes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from nbnb_cbs.synth.people import MONTH0, N_MONTHS

__all__ = ["enrolments_frame", "jobs_frame"]

_EPOCH_MONTH = MONTH0 - 1970 * 12
_KINDS = ["9", "5", "4", "1", "2", "3"]
_KIND_P = [0.63, 0.10, 0.20, 0.02, 0.02, 0.03]
_CONTRACTS = ["O", "B", "N", "o", "b", "n"]
_INDICATORS = {"payroll": (0.0, 0.03), "opting_in": (0.03, 0.04), "bbl_unsigned": (0.04, 0.05)}
SECOND_JOB = 0.05  # share of job spells with a concurrent second job


def _month_start(month: np.ndarray) -> np.ndarray:
    return (month + _EPOCH_MONTH).astype("datetime64[M]").astype("datetime64[D]")


def _month_end(month: np.ndarray) -> np.ndarray:
    return _month_start(month + 1) - np.timedelta64(1, "D")


def _spells(work: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, first month, last month) of every run of working months."""
    padded = np.zeros((work.shape[0], work.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = work
    step = np.diff(padded, axis=1)
    person, first = np.nonzero(step == 1)
    _, after = np.nonzero(step == -1)
    return person, first, after - 1


def _repeat_ranges(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each item i with length L_i: item index repeated L_i times and 0..L_i-1."""
    owner = np.repeat(np.arange(lengths.size), lengths)
    starts = np.cumsum(lengths) - lengths
    return owner, np.arange(owner.size) - np.repeat(starts, lengths)


def jobs_frame(
    rng: np.random.Generator,
    work: np.ndarray,
    rin: np.ndarray,
    *,
    first_job: int = 0,
    person_key: np.ndarray | None = None,
) -> tuple[pl.DataFrame, int]:
    """Job rows of the persons whose months in work are the rows of ``work``, sorted by
    RINPERSOON. IKVIDs count on from ``first_job``; ``person_key`` (default the row number)
    is the person's number in the whole population, which the employer id is derived from.
    Returns the rows and the number of jobs."""
    person, first, last = _spells(work)
    # Split some long spells over two consecutive jobs (a job change without a gap).
    length = last - first + 1
    split = (length > 6) & (rng.random(person.size) < 0.3)
    cut = first + (rng.random(person.size) * (length - 1)).astype(np.int64)
    j_person = np.r_[person, person[split]]
    j_first = np.r_[first, cut[split] + 1]
    j_last = np.r_[np.where(split, cut, last), last[split]]
    # A concurrent second job for some spells (about 1 in 18 working persons at any time).
    extra = rng.random(j_person.size) < SECOND_JOB
    e_len = j_last[extra] - j_first[extra] + 1
    e_first = j_first[extra] + (rng.random(e_len.size) * e_len / 2).astype(np.int64)
    j_person = np.r_[j_person, j_person[extra]]
    j_first = np.r_[j_first, e_first]
    j_last = np.r_[j_last, j_last[extra]]
    n_jobs = j_person.size

    start = _month_start(j_first)
    mid_start = rng.random(n_jobs) < 0.3
    start = start + np.where(mid_start, rng.integers(0, 27, size=n_jobs), 0).astype(
        "timedelta64[D]"
    )
    end = _month_end(j_last)
    mid_end = (rng.random(n_jobs) < 0.3) & (j_last < N_MONTHS - 1)
    end = end - np.where(mid_end, rng.integers(0, 27, size=n_jobs), 0).astype("timedelta64[D]")
    end = np.maximum(end, start)

    full_time = rng.random(n_jobs) < 0.55
    monthly_hours = np.where(full_time, rng.normal(140, 15, n_jobs), rng.uniform(20, 100, n_jobs))
    hourly = np.maximum(rng.normal(16.0, 3.0, n_jobs), 11.5)
    kind = rng.choice(len(_KINDS), size=n_jobs, p=_KIND_P)
    contract = rng.choice(3, size=n_jobs, p=[0.12, 0.76, 0.12]) + 3 * (rng.random(n_jobs) < 0.05)
    four_weekly = rng.random(n_jobs) < 0.1

    # Pay periods: calendar months, or 28-day periods from the job's start.
    start_m = start.astype("datetime64[M]").astype(np.int64)
    end_m = end.astype("datetime64[M]").astype(np.int64)
    span_days = (end - start).astype(np.int64) + 1
    n_periods = np.where(four_weekly, (span_days + 27) // 28, end_m - start_m + 1)
    job, k = _repeat_ranges(n_periods)
    month_start = (start_m[job] + k).astype("datetime64[M]").astype("datetime64[D]")
    month_end = (start_m[job] + k + 1).astype("datetime64[M]").astype("datetime64[D]") - 1
    fw = four_weekly[job]
    p_start = np.where(
        fw, start[job] + (28 * k).astype("timedelta64[D]"), np.maximum(month_start, start[job])
    )
    p_end = np.where(fw, start[job] + (28 * k + 27).astype("timedelta64[D]"), month_end)
    p_end = np.minimum(p_end, end[job])
    del month_start, month_end, fw, k
    days = (p_end - p_start).astype(np.int64) + 1
    hours = np.round(monthly_hours[job] * days / 30.4, 0)
    wage = np.round(hours * hourly[job], 2)

    rows = job.size
    correction = rng.random(rows) < 0.01
    sentinel = rng.random(rows) < 0.0005
    dup = np.r_[np.arange(rows), np.flatnonzero(correction), np.flatnonzero(sentinel)]
    n_corr = int(correction.sum())
    hours = np.r_[hours, np.zeros(n_corr), hours[sentinel]]
    wage = np.r_[wage, -np.round(wage[correction] * rng.uniform(0, 0.2, n_corr), 2), wage[sentinel]]
    is_sentinel = np.zeros(dup.size, dtype=bool)
    is_sentinel[rows + n_corr :] = True
    job = job[dup]
    person = j_person[job]
    start_day = p_start[dup].astype(np.int64)
    end_day = p_end[dup].astype(np.int64)
    # Sorted by person like the real files (persons in RINPERSOON order), then period start and
    # job: sorted here on numbers, before any text is made.
    rank = np.argsort(np.argsort(rin, kind="stable"), kind="stable")
    by = np.lexsort((job, start_day, rank[person]))
    job, person, start_day, end_day = job[by], person[by], start_day[by], end_day[by]
    hours, wage, is_sentinel = hours[by], wage[by], is_sentinel[by]
    # Strings are made by polars from numbers, a table of dates and small code tables: numpy's
    # unicode arrays would cost gigabytes and minutes at 30 million rows.
    first_day = int(min(start_day.min(), end_day.min())) if by.size else 0
    last_day = int(max(start_day.max(), end_day.max())) if by.size else 0
    days = pl.Series(np.arange(first_day, last_day + 1).astype("datetime64[D]")).dt.strftime(
        "%Y%m%d"
    )
    frame = pl.DataFrame(
        {
            "_person": person.astype(np.int32),
            "_key": (person if person_key is None else person_key[person]).astype(np.int64),
            "_job": (job + 1 + first_job).astype(np.int64),
            "_start": (start_day - first_day).astype(np.int32),
            "_end": (end_day - first_day).astype(np.int32),
            "_sentinel": is_sentinel,
            "SBASISUREN": hours,
            "SBASISLOON": wage,
            "_contract": contract[job].astype(np.int8),
            "_kind": kind[job].astype(np.int8),
            "_full": full_time[job],
        }
    )
    del dup, job, person, hours, wage, p_start, p_end, start_day, end_day, by
    agency = _KINDS.index("4")
    _u = (
        (pl.col("_key") * 2_654_435_761 + pl.col("_job") * 40_503 + 12_345) % 1_000_003
    ) / 1_000_003
    rows_sorted = frame.select(
        RINPERSOONS=pl.lit("R"),
        RINPERSOON=pl.Series(rin).gather(frame["_person"]),
        IKVID=pl.col("_job").cast(pl.String),
        SBEID=(900_000_000 + (pl.col("_key") * 7919 + pl.col("_job")) % 99_999_999).cast(pl.String),
        SDATUMAANVANGIKO=days.gather(frame["_start"]),
        SDATUMEINDEIKO=pl.when(pl.col("_sentinel"))
        .then(pl.lit("99999999"))
        .otherwise(days.gather(frame["_end"])),
        SBASISUREN="SBASISUREN",
        SBASISLOON="SBASISLOON",
        SVOLTIJDDAGEN=(pl.col("SBASISUREN") / 5.3).round(1),
        SCONTRACTSOORT=pl.Series(_CONTRACTS).gather(frame["_contract"]),
        SSOORTBAAN=pl.Series(_KINDS).gather(frame["_kind"]),
        SPOLISDIENSTVERBAND=pl.when(pl.col("_full")).then(pl.lit("1")).otherwise(pl.lit("2")),
        # The study's "other" contracts (report: 7%): payroll, opting-in and not yet signed BBL
        # jobs, 3%, 1% and 1% of the jobs that are not agency work. Drawn from the job's own
        # number (no draw of the random stream, so every other column is what it was).
        **{
            name: pl.when((pl.col("_kind") != agency) & (_u >= low) & (_u < high))
            .then(pl.lit("1"))
            .otherwise(pl.lit("0"))
            for name, (low, high) in _INDICATORS.items()
        },
    )
    return rows_sorted, n_jobs


def enrolments_frame(
    rng: np.random.Generator,
    rin: np.ndarray,
    exit_days: np.ndarray,
    to_education: np.ndarray,
    n_other: int,
    p_enrolled: np.ndarray | None = None,
) -> pl.DataFrame:
    """Enrolments for participants who left for education, for some people outside the
    projects, and (``p_enrolled``: a probability per participant) for participants who left
    elsewhere and enrolled after their exit (work-and-learn mostly; drawn last, from a stream
    of its own, so the other rows do not depend on it)."""
    edu = np.flatnonzero(to_education & ~np.isnat(exit_days))
    begin = exit_days[edu] + rng.integers(-20, 60, size=edu.size).astype("timedelta64[D]")
    still = rng.random(edu.size) < 0.75
    stop = begin + rng.integers(60, 500, size=edu.size).astype("timedelta64[D]")
    others = (
        rng.choice(
            np.arange(to_education.size, rin.size),
            size=min(n_other, rin.size - to_education.size),
            replace=False,
        )
        if rin.size > to_education.size
        else np.array([], dtype=np.int64)
    )
    o_begin = np.datetime64("2017-09-01") + rng.integers(0, 1500, size=others.size).astype(
        "timedelta64[D]"
    )
    o_stop = o_begin + rng.integers(100, 1400, size=others.size).astype("timedelta64[D]")
    o_still = o_stop > np.datetime64("2022-12-31")
    who = np.r_[edu, others]
    start_text = np.char.replace(np.datetime_as_string(np.r_[begin, o_begin], unit="D"), "-", "")
    end_text = np.char.replace(np.datetime_as_string(np.r_[stop, o_stop], unit="D"), "-", "")
    end_text = np.where(np.r_[still, o_still], "99999999", end_text)
    frame = pl.DataFrame(
        {
            "RINPERSOONS": np.full(who.size, "R"),
            "RINPERSOON": rin[who],
            "AANVINSCHR": start_text,
            "EINDINSCHR": end_text,
            "TYPEONDERWIJS": rng.choice(np.array(["MBO", "HBO", "WO", "VAVO"]), size=who.size),
            "OPLNR": rng.integers(10_000, 99_999, size=who.size).astype(str),
        }
    )
    if p_enrolled is not None:
        extra = np.random.default_rng(rng.integers(2**62))
        chosen = np.flatnonzero(
            (extra.random(p_enrolled.size) < p_enrolled) & ~np.isnat(exit_days[: p_enrolled.size])
        )
        e_begin = exit_days[chosen] + extra.integers(0, 300, size=chosen.size).astype(
            "timedelta64[D]"
        )
        e_stop = e_begin + extra.integers(60, 700, size=chosen.size).astype("timedelta64[D]")
        e_still = extra.random(chosen.size) < 0.7
        frame = pl.concat([
            frame,
            pl.DataFrame({
                "RINPERSOONS": np.full(chosen.size, "R"),
                "RINPERSOON": rin[chosen],
                "AANVINSCHR": np.char.replace(np.datetime_as_string(e_begin, unit="D"), "-", ""),
                "EINDINSCHR": np.where(
                    e_still, "99999999",
                    np.char.replace(np.datetime_as_string(e_stop, unit="D"), "-", ""),
                ),
                "TYPEONDERWIJS": extra.choice(np.array(["MBO", "VAVO"]), size=chosen.size),
                "OPLNR": extra.integers(10_000, 99_999, size=chosen.size).astype(str),
            }),
        ])  # fmt: skip
    return frame.sort("RINPERSOON", "AANVINSCHR", maintain_order=True)
