"""From job (or enrolment) rows to merged per-person intervals, without exploding person-months.

Periods become integer intervals in the chosen unit (months since year 0, or days since 1970),
inclusive at both ends. Per person, sorted by start, a running maximum of the ends tells where a
new run begins (a start beyond the running end + 1); each run is one merged interval. Adjacent
and overlapping rows therefore merge, duplicates vanish, and every later step only sums interval
lengths or emits +1/-1 events at interval bounds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl

__all__ = [
    "Unit",
    "merge_counted",
    "merge_intervals",
    "merge_intervals_batched",
    "to_unit",
    "window_lookup",
]

Unit = Literal["month", "day"]


# Month number (months since year 0) of every day from 1900-01-01 to 2099-12-31: looking a day
# up is about twice as fast as taking the date apart, and that runs on every job row.
_FIRST_DAY = int(np.datetime64("1900-01-01", "D").astype(np.int64))
_DAYS = np.arange(_FIRST_DAY, int(np.datetime64("2100-01-01", "D").astype(np.int64)))
_MONTHS = pl.Series(
    "month", (_DAYS.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12)
).cast(pl.Int32)


def to_unit(date: pl.Expr, unit: Unit) -> pl.Expr:
    """A date as an integer in the unit: months since year 0, or days since 1970-01-01.

    Months come from a table for 1900-2099; a date outside those years counts as the first or
    last month of that range, which lies outside every observation window the analysis allows.
    """
    if unit == "month":
        index = (date.cast(pl.Int32) - _FIRST_DAY).clip(0, _DAYS.size - 1)
        return pl.lit(_MONTHS).gather(index)
    return date.cast(pl.Int32)


def merge_intervals(rows: pl.LazyFrame, start: str = "s", end: str = "e") -> pl.LazyFrame:
    """Merge overlapping and adjacent intervals per ``pid``: returns ``pid, s, e`` (inclusive).

    Linear passes, no window functions and no group-by. Each interval becomes two keys,
    ``pid * 2**20 + 2**19 + s`` and the same with ``e``; in key order a global running maximum of
    the end keys is each person's own running end (an earlier person's keys are all smaller), and
    a run starts wherever a start key passes the previous running end by more than one - which
    also happens at every change of person. Each run's last row carries its running end; its
    start is carried forward from the run's first row. Input already in order, as ``convert``
    writes it, is not sorted again.
    """
    # A band of 2**20 units per person holds days from about 1435 years before to 1435 years
    # after 1970 (months far more); pid (at most ~9.1e10) times the band stays below 2**63.
    band, offset = 1 << 20, 1 << 19

    def unit(column: str) -> pl.Expr:
        return pl.col(column).cast(pl.Int64).clip(-offset + 1, offset - 2) + offset

    if not rows.select(pl.col("pid", start, end).null_count()).collect().sum_horizontal().item():
        columns = rows.select(
            pl.col("pid").cast(pl.Int64), pl.col(start, end).cast(pl.Int32)
        ).collect()
        if columns.height:
            ordered = _merge_ordered(columns.select("pid", s=pl.col(start), e=pl.col(end)))
            if ordered is not None:
                return ordered.lazy()
            # Views of polars' own memory where it is one chunk (no copies): the keys are the
            # only arrays of the rows' size made here. Fresh memory is what a large merge
            # spends its time on (page faults, zeroed pages), more than its arithmetic.
            columns = columns.rechunk()
            pids, starts, ends = (columns[:, i].to_numpy() for i in range(3))
            return _merge_arrays(pids, starts, ends).lazy()
    columns = rows.select(
        pl.col("pid").cast(pl.Int64), pl.col(start).cast(pl.Int64), pl.col(end).cast(pl.Int64)
    ).collect()
    keyed = (
        columns.lazy()
        .select(k=pl.col("pid") * band + unit(start), ek=pl.col("pid") * band + unit(end))
        .collect()
    )
    if not keyed.select((pl.col("k").diff() >= 0).all()).item():
        keyed = keyed.sort("k")
    running = pl.col("ek").cum_max()
    new_run = (pl.col("k") > running.shift(1) + 1).fill_null(True)
    runs = (
        keyed.lazy()
        .with_columns(_end=running, _new=new_run)
        .with_columns(_start=pl.when(pl.col("_new")).then(pl.col("k")).forward_fill())
    )
    pid = pl.col("_end") // band
    return runs.filter(pl.col("_new").shift(-1).fill_null(True)).select(
        pid=pid,
        s=(pl.col("_start") - pid * band - offset).cast(pl.Int32),
        e=(pl.col("_end") - pid * band - offset).cast(pl.Int32),
    )


# Rows per batch of the ordered merge: its arrays are made once and reused. Large batches: each
# numpy call gives up the GIL and takes it back, and the snapshot's thread runs beside the merge,
# so thousands of small calls each waited for it. 11.9 M rows: the merge took 1.51 s in a
# benchmark run with batches of 65,536 rows; the whole command 3.27 s with these against 3.59 s
# with those (medians of three alternating fresh runs).
_BATCH = 1 << 20


def merge_counted(frame: pl.DataFrame, keep: str, start: str = "s", end: str = "e") -> pl.DataFrame:
    """``merge_intervals`` of the rows of ``frame`` where the boolean column ``keep`` is true
    (``pid``, ``start``, ``end``): rows in key order are merged batch by batch where they lie,
    without a filtered copy of them all; others are filtered, then merged."""
    columns = frame.select(
        pl.col("pid").cast(pl.Int64),
        pl.col(start, end).cast(pl.Int32),
        pl.col(keep).fill_null(False),
    )
    gaps = pl.col(keep) & pl.any_horizontal(pl.col("pid", start, end).is_null())
    if columns.height and not columns.select(gaps.any()).item():
        ordered = _merge_ordered(columns.select("pid", keep, s=pl.col(start), e=pl.col(end)), keep)
        if ordered is not None:
            return ordered
    kept = columns.lazy().filter(pl.col(keep)).select("pid", start, end)
    return merge_intervals(kept, start, end).collect()


def _merge_ordered(columns: pl.DataFrame, keep: str | None = None) -> pl.DataFrame | None:
    """``merge_intervals`` of rows already in key order (pid, then start: as ``convert``
    writes them), in batches of rows that reuse the same arrays; None (nothing merged)
    as soon as a row is out of order.

    The same steps as ``_merge_arrays``; a run still open at a batch's end is carried into the
    next batch as its first interval. ``keep``: a boolean column (no nulls); only its rows are
    merged. The rows merged must have no nulls (callers check). Only the output is fresh memory:
    on this virtual machine first touching memory costs more than the arithmetic (3.5 M rows:
    0.09 s warm, up to 0.45 s in a fresh process with the whole-array keys)."""
    bits, offset = 20, 1 << 19
    low, high = -offset + 1, offset - 2
    n = columns.height
    k_buf = np.empty(_BATCH + 1, dtype=np.int64)
    ek_buf = np.empty(_BATCH + 1, dtype=np.int64)
    new_buf = np.empty(_BATCH + 1, dtype=bool)
    # Each batch's runs are written straight into the output's own columns (pid, start, end):
    # 16 bytes of fresh memory a run, not the 32 of whole-array keys taken apart afterwards
    # (the merge of 11.9 M job rows into 7.2 M runs wrote 230 MB, now 115 MB).
    start_buf = np.empty(_BATCH + 1, dtype=np.int64)
    end_buf = np.empty(_BATCH + 1, dtype=np.int64)
    out_pid = np.empty(n, dtype=np.int64)
    out_s = np.empty(n, dtype=np.int32)
    out_e = np.empty(n, dtype=np.int32)

    def emit(at: int, starts: np.ndarray, ends: np.ndarray) -> None:
        rows = slice(at, at + starts.size)
        _take_apart(starts, ends, out_pid[rows], out_s[rows], out_e[rows])

    done = 0
    carry: tuple[int, int] | None = None  # the open run: start key, running end key
    last_key = None
    for begin in range(0, n, _BATCH):
        # Series, not queries: a query's own cost (about half a millisecond) would outweigh a
        # batch's arithmetic.
        part = columns.slice(begin, _BATCH)
        series = [part[c] for c in ("pid", "s", "e")]
        pid, start, end = (
            c.fill_null(0).to_numpy() if c.null_count() else c.to_numpy() for c in series
        )
        if keep is not None:
            kept = part[keep].to_numpy()
            pid, start, end = pid[kept], start[kept], end[kept]
        m = pid.size
        if not m:
            continue
        if start.min() < low or start.max() > high or end.min() < low or end.max() > high:
            start, end = np.clip(start, low, high), np.clip(end, low, high)
        first_row = 0 if carry is None else 1
        k, ek = k_buf[: m + first_row], ek_buf[: m + first_row]
        np.left_shift(pid, bits, out=k[first_row:], dtype=np.int64)
        k[first_row:] += start
        k[first_row:] += offset
        np.subtract(end, start, out=ek[first_row:], dtype=np.int64)  # end key: start key + span
        ek[first_row:] += k[first_row:]
        rows = k[first_row:]
        if (rows[1:] < rows[:-1]).any() or (last_key is not None and rows[0] < last_key):
            return None
        last_key = int(rows[-1])
        if carry is not None:
            k[0], ek[0] = carry
        running = np.maximum.accumulate(ek, out=ek)
        new = new_buf[: k.size]
        new[0] = True
        running += 1
        np.greater(k[1:], running[:-1], out=new[1:])
        running -= 1
        first = np.flatnonzero(new)
        closed = first.size - 1  # every run but the last is complete
        carry = (int(k[first[-1]]), int(running[-1]))
        starts = np.take(k, first[:-1], out=start_buf[:closed])
        first -= 1
        emit(done, starts, np.take(running, first[1:], out=end_buf[:closed]))
        done += closed
    if carry is not None:
        emit(done, np.array(carry[:1]), np.array(carry[1:]))
        done += 1
    return pl.DataFrame({"pid": out_pid[:done], "s": out_s[:done], "e": out_e[:done]})


def _take_apart(
    starts: np.ndarray, ends: np.ndarray, pid: np.ndarray, s: np.ndarray, e: np.ndarray
) -> None:
    """Runs' start and end keys (pid in the bits above 20, the unit offset by 2**19 below; both
    arrays are overwritten) written into ``pid``, ``s`` and ``e`` (arrays of the same length)."""
    bits, offset = 20, 1 << 19
    np.right_shift(ends, bits, out=pid)
    for keys, out in ((starts, s), (ends, e)):
        np.bitwise_and(keys, (1 << bits) - 1, out=keys)
        np.subtract(keys, offset, out=keys)
        out[...] = keys


def _runs(run_start: np.ndarray, run_end: np.ndarray) -> pl.DataFrame:
    """Merged intervals ``pid, s, e`` from their start and end keys (both overwritten)."""
    n = run_start.size
    pid, s, e = np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.int32)
    _take_apart(run_start, run_end, pid, s, e)
    return pl.DataFrame({"pid": pid, "s": s, "e": e})


def _merge_arrays(pid: np.ndarray, start: np.ndarray, end: np.ndarray) -> pl.DataFrame:
    """``merge_intervals`` in numpy (no nulls; any integer arrays, left unchanged): the same
    keys and steps, with the band's bits shifted and masked instead of multiplied and divided.

    Two arrays of the rows' size are made (the start and end keys; the running end is worked
    out in the end keys' place) and every later step writes into arrays it already has: on this
    machine a merge of 3.5 M rows took 0.13-0.15 s against 0.18-0.29 s with the copies and
    temporaries of the straightforward form."""
    bits, offset = 20, 1 << 19
    # One unit short of the band at each end: a person's last unit and the next person's first
    # are then never adjacent keys (at the band's very edges they merged into one run).
    low, high = -offset + 1, offset - 2
    if start.min() < low or start.max() > high or end.min() < low or end.max() > high:
        start, end = np.clip(start, low, high), np.clip(end, low, high)
    k = np.left_shift(pid.astype(np.int64, copy=False), bits)
    ek = k.copy()
    k += start
    k += offset
    ek += end
    ek += offset
    if k.size > 1 and (k[1:] < k[:-1]).any():
        # Sorted by polars on every core (numpy's argsort, on one, took 0.7 s for 3.5 M rows).
        # Rows that tie on k may come in any order: the running maximum below is the same.
        pair = pl.DataFrame({"k": k, "ek": ek}).sort("k")
        k, ek = pair["k"].to_numpy(writable=True), pair["ek"].to_numpy(writable=True)
        del pair
    running = np.maximum.accumulate(ek, out=ek)
    # A run starts where a start key passes the running end before it by more than one.
    running += 1
    new = np.empty(k.size, dtype=bool)
    new[0] = True
    np.greater(k[1:], running[:-1], out=new[1:])
    running -= 1
    first = np.flatnonzero(new)
    del new
    last = np.empty_like(first)
    last[:-1] = first[1:]
    last -= 1
    last[-1] = k.size - 1
    run_start, run_end = k[first], running[last]
    del k, ek, running, first, last
    return _runs(run_start, run_end)


def merge_intervals_batched(rows: pl.LazyFrame, batch_rows: int = 2_000_000) -> pl.LazyFrame:
    """``merge_intervals`` in batches of rows, for inputs ordered by person (as ``convert``
    writes them): each batch is merged on its own and the merged batches once more. Merging is
    associative, so the result is the same; memory follows the batch, not the input."""
    parts = [
        merge_intervals(batch.lazy()).collect()
        for batch in rows.select("pid", "s", "e").collect_batches(chunk_size=batch_rows)
    ]
    if not parts:
        return rows.select("pid", "s", "e").head(0)
    return merge_intervals(pl.concat(parts).lazy())


def window_lookup(
    pid: pl.Series, window_start: pl.Series, window_end: pl.Series, merged: pl.DataFrame
) -> pl.DataFrame | None:
    """Per window (a person and inclusive bounds in the unit): the units its person's merged
    intervals cover inside it (``worked``), the first such unit (``first``) and the end of the
    interval that holds it (``first_end``); nulls where nothing is covered.

    Without a join: merged intervals of one person are disjoint and in order,
    so a window overlaps one consecutive range of them, found by binary search on the keys
    ``merge_intervals`` uses; the units covered are the range's summed lengths less what its
    first interval starts before the window and its last ends after it. None when ``merged`` is
    not in that form (then callers join).
    """
    bits, offset = 20, 1 << 19
    band = 1 << bits
    n = merged.height
    if merged["pid"].null_count() or merged["s"].null_count() or merged["e"].null_count():
        return None
    # Views of polars' memory (one chunk); only the end keys and the summed lengths are made
    # at the intervals' size: fresh memory costs more here than the arithmetic.
    m_pid = merged["pid"].cast(pl.Int64).rechunk().to_numpy()
    m_s = merged["s"].cast(pl.Int32).rechunk().to_numpy()
    m_e = merged["e"].cast(pl.Int32).rechunk().to_numpy()
    if n and (m_s.min() < -offset or m_e.max() >= offset):
        return None
    ends = np.left_shift(m_pid, bits)
    ends += m_e
    ends += offset
    lengths = np.zeros(n + 1, dtype=np.int64)
    spans = lengths[1:]
    np.subtract(m_e, m_s, out=spans)  # e - s: each start is its end key less this
    # In band (above), each interval's start at most its end, and disjoint and in order: each
    # start key beyond the previous end key (checked in slices: no array of the full size).
    if (spans < 0).any():
        return None
    for at in range(1, n, _BATCH):
        stop = min(at + _BATCH, n)
        if not (ends[at:stop] - spans[at:stop] > ends[at - 1 : stop - 1]).all():
            return None
    spans += 1
    np.cumsum(lengths, out=lengths)
    frame = pl.DataFrame({"p": pid, "a": window_start, "b": window_end}).with_columns(
        pl.col("p").cast(pl.Int64), pl.col("a", "b").cast(pl.Int64)
    )
    ok = (
        frame.select(
            pl.all_horizontal(pl.col("p", "a", "b").is_not_null())
            & (pl.col("a") <= pl.col("b"))
            & (pl.col("a") >= -offset)
            & (pl.col("b") < offset)
        )
        .to_series()
        .to_numpy()
    )
    # Only the windows that can hold a unit are looked up (callers null the others' starts).
    sel = np.flatnonzero(ok)
    p = frame["p"].fill_null(0).to_numpy()[sel]
    a = frame["a"].fill_null(0).to_numpy()[sel]
    b = frame["b"].fill_null(0).to_numpy()[sel]
    lo = np.searchsorted(ends, p * band + a + offset, side="left")
    # The intervals starting at or before b: those ending before it, and the next one if it
    # starts by b (disjoint and in order, so no later one does).
    b_key = p * band + b + offset
    hi = np.searchsorted(ends, b_key, side="left")
    if n:
        at = np.minimum(hi, n - 1)
        starts_there = ends[at] - (m_e[at] - m_s[at])
        hi += (hi < n) & (starts_there <= b_key)
    found = hi > lo
    lo_i = np.minimum(lo, max(n - 1, 0))
    last_i = np.clip(hi - 1, 0, max(n - 1, 0))
    if n == 0:
        found[:] = False
        first_s = first_e = last_e = np.zeros(len(p), dtype=np.int64)
    else:
        first_s, first_e, last_e = m_s[lo_i], m_e[lo_i], m_e[last_i]
    worked = (
        lengths[np.where(found, hi, 0)]
        - lengths[np.where(found, lo, 0)]
        - np.maximum(a - first_s, 0)
        - np.maximum(last_e - b, 0)
    )
    size = ok.size
    hit = np.zeros(size, dtype=bool)
    hit[sel] = found
    columns = {"worked": worked, "first": np.maximum(first_s, a), "first_end": first_e}
    full = {}
    for name, values in columns.items():
        full[name] = np.zeros(size, dtype=np.int64)
        full[name][sel] = np.where(found, values, 0)
    return pl.DataFrame({**full, "_hit": hit}).select(
        pl.when("_hit").then(pl.col(c)).alias(c).cast(pl.Int32)
        for c in ("worked", "first", "first_end")
    )
