"""Direct derivations an attacker who reads only export/ tries, written apart from the protection.

Each function reads the published CSVs of one export and returns what it could derive that it
must not: a count of 1..t-1 persons (or a hidden cell) with the derivation that gave it. The
classes are those found against earlier versions (issue 13): the series' precision (1), two
anchors (2, 5), the distribution (3), two shares of one cell (4), statuses and the log (6),
tables that share persons (7).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

T = 10


def table(export: Path, name: str) -> pl.DataFrame | None:
    path = export / "tables" / f"{name}.csv"
    if not path.is_file():
        return None
    from nbnb_cbs.io.published import csv_format, read_published_text

    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    # Numbers read with a point whatever the export's CSV format (as the checks read them).
    return read_published_text(path, csv_format(manifest))


def published_n(frame: pl.DataFrame, **where: str) -> float | None:
    """The published n of the row matching ``where`` (None when suppressed or absent)."""
    row = frame.filter(pl.all_horizontal([pl.col(k) == v for k, v in where.items()]))
    if row.height != 1 or row["status"][0] == "suppressed" or row["n"][0] is None:
        return None
    return float(row["n"][0])


def small(x: float | None) -> bool:
    return x is not None and 0.5 < x < T - 0.5


def statuses_and_log(export: Path) -> list[str]:
    """Class 6: released statuses are plain words; the log names no per-cell rule."""
    found = []
    for path in (export / "tables").glob("*.csv"):
        statuses = set(pl.read_csv(path, separator=";", infer_schema=False)["status"].to_list())
        if not statuses <= {"published", "suppressed", "pooled", "rounded"}:
            found.append(f"{path.name}: statuses {sorted(statuses)}")
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    text = json.dumps(log["tables"])
    for word in ("suppressed_primary", "suppressed_secondary", '"rule"', "threshold_n", "interval"):
        if word in text:
            found.append(f"the log says {word}")
    return found


def anchors(export: Path, by: str) -> list[str]:
    """Classes 2 and 5: exit worked_1m is first-job exit_work; observed_12m of both anchors."""
    ex, fj = table(export, "durability_exit"), table(export, "durability_first_job")
    if ex is None or fj is None:
        return []
    found = []
    for v in set(ex[by].to_list()):
        ew = published_n(ex, group="exit_work", **{by: v}, statistic="n")
        w1 = published_n(ex, group="worked_1m", **{by: v}, statistic="n")
        fj_ew = published_n(fj, group="exit_work", **{by: v}, statistic="n")
        for outer, inner, what in ((ew, w1, "exit_work - worked_1m"),
                                   (ew, fj_ew, "exit_work - first-job exit_work")):  # fmt: skip
            if outer is not None and inner is not None and small(outer - inner):
                found.append(f"{by}={v}: {what} = {outer - inner:g}")
        a = published_n(ex, group="observed_12m", **{by: v}, statistic="n")
        b = published_n(fj, group="observed_12m", **{by: v}, statistic="n")
        if a is not None and b is not None and small(a - b):
            found.append(f"{by}={v}: observed_12m exit - first job = {a - b:g}")
    return found


def distribution(export: Path) -> list[str]:
    """Class 3: the bins add up to the distribution anchor's worked_1m group."""
    dist, ex = table(export, "durability_distribution"), table(export, "durability_exit")
    if dist is None or ex is None:
        return []
    shown = dist.filter(pl.col("status") != "suppressed")
    if shown.height != dist.height or dist.height == 0:
        return []
    bins = float(shown["n"].cast(pl.Float64).sum())
    total = published_n(ex, group="worked_1m", **{ex.columns[1]: "Total"}, statistic="n")
    found = []
    if total is None:
        found.append(f"the bins give the hidden worked_1m total: {bins:g}")
    elif bins != total:
        found.append(f"the bins ({bins:g}) do not add up to worked_1m ({total:g})")
    ew = published_n(ex, group="exit_work", **{ex.columns[1]: "Total"}, statistic="n")
    if ew is not None and small(ew - bins):
        found.append(f"exit_work - bins = {ew - bins:g}")
    return found


def two_shares(export: Path, by: str) -> list[str]:
    """Class 4: (share_ge_90 - share_100) x n must not pin a count of 1..9."""
    found = []
    for name in ("durability_exit", "durability_first_job"):
        frame = table(export, name)
        if frame is None:
            continue
        for (group, v), part in frame.group_by("group", by):
            rows = {r["statistic"]: r for r in part.iter_rows(named=True)}
            s100, s90 = rows.get("share_100"), rows.get("share_ge_90")
            if not s100 or not s90 or "suppressed" in (s100["status"], s90["status"]):
                continue
            n = float(s90["n"])
            diff = (float(s90["value"]) - float(s100["value"])) * n
            low, high = diff - 0.01 * n, diff + 0.01 * n
            if low > 0.5 and high < T - 0.5:
                found.append(f"{name} {group} {by}={v}: 0.9 <= d < 1 holds [{low:g}, {high:g}]")
    return found


def series(export: Path) -> list[str]:
    """Class 1: shares to whole percents, denominators rounded to 10, pooled inflow >= t."""
    found = []
    share = table(export, "series_share_working")
    if share is not None:
        for value, n in share.filter(pl.col("status") != "suppressed").select("value", "n").rows():
            if len(value.split(".")[-1]) > 2 or float(n) % 10 != 0:
                found.append(f"series share {value} of n {n} is more precise than published")
    inflow = table(export, "series_inflow")
    if inflow is not None:
        for value in inflow.filter(pl.col("status") != "suppressed")["n"].cast(pl.Float64):
            if value is not None and value < T:
                found.append(f"series inflow {value:g} below the threshold")
    return found


def shared_persons(export: Path, by: str) -> list[str]:
    """Class 7: hidden linked counts are not published as snapshot denominators."""
    yld, snap = table(export, "linkage_yield"), table(export, "snapshot_working")
    if yld is None or snap is None:
        return []
    found = []
    for v in set(yld[by].to_list()):
        linked = yld.filter((pl.col(by) == v) & (pl.col("statistic") == "linked"))
        if linked.height and linked["status"][0] == "suppressed":
            n = published_n(snap, **{by: v}, statistic="share_working")
            if n is not None:
                found.append(f"{by}={v}: hidden linked count published as a denominator ({n:g})")
    return found


def small_counts(export: Path) -> list[str]:
    """No published count (n) of 1..t-1, in any table."""
    found = []
    for path in (export / "tables").glob("*.csv"):
        frame = table(export, path.stem)
        if frame is None or "n" not in frame.columns:
            continue
        for value in frame.filter(pl.col("status") != "suppressed")["n"].drop_nulls():
            if small(float(value)):
                found.append(f"{path.name}: n = {value}")
    return found


def model_sample(export: Path) -> list[str]:
    """A model's N counts the linked records with the destinations it keeps: linked minus N is
    the records it leaves out (e.g. leavers to education), which the education table counts too."""
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    yld, edu = table(export, "linkage_yield"), table(export, "education")
    linked = (
        published_n(yld, **{yld.columns[0]: "Total"}, statistic="linked")
        if yld is not None
        else None
    )
    found = []
    for entry in log.get("models", []):
        fit = export / f"model_{entry['name']}_fit.csv"
        if not fit.is_file():
            continue
        rows = dict(
            pl.read_csv(fit, separator=";", infer_schema=False).select("statistic", "value").rows()
        )
        if rows.get("N") in (None, ""):
            continue
        n = float(rows["N"])
        if linked is None:
            continue
        left_out = linked - n
        if small(left_out):
            found.append(f"model {entry['name']}: linked - N = {left_out:g}")
        if edu is not None and "education" in entry.get("excluded_destinations", []):
            for group in ("exit_education", "enrolled_1m", "observed_12m"):
                inner = published_n(edu, group=group, **{edu.columns[1]: "Total"}, statistic="n")
                if inner is not None and small(left_out - inner):
                    found.append(
                        f"model {entry['name']}: linked - N - {group} = {left_out - inner:g}"
                    )
    return found


def pooled_months(export: Path) -> list[str]:
    """Class 1 again (red team, round 7): a month's inflow inside its pool, from the series'
    running totals (rounded to 10: an integer in [n - 5, n + 4]), the pools' totals (the running
    total at a pool's end; exact until round 7, rounded to 10 since) and the linked total: left
    narrower than the width."""
    share, inflow = table(export, "series_share_working"), table(export, "series_inflow")
    if share is None or inflow is None:
        return []
    months = [m for m in inflow["month"].to_list() if m != "later"]
    rounded = {m: float(n) for m, n, st in share.select("month", "n", "status").rows()
               if st != "suppressed" and n is not None}  # fmt: skip
    low: dict[str, float] = {m: rounded[m] - 5 for m in rounded}
    high: dict[str, float] = {m: rounded[m] + 4 for m in rounded}
    pools: dict[str, tuple[list[str], float | None]] = {}
    for m, n, pool, st in inflow.select("month", "n", "pool", "status").rows():
        members, _ = pools.get(pool or m, ([], None))
        pools[pool or m] = ([*members, m], None if st == "suppressed" or n is None else float(n))
    # Pool totals are rounded to 10 too (an integer in [n - 5, n + 4]); the running total at a
    # pool's end is their sum.
    run_lo: float | None = 0.0
    run_hi: float | None = 0.0
    for members, total in pools.values():
        if run_lo is None or run_hi is None or total is None:
            run_lo = run_hi = None
            continue
        run_lo, run_hi = run_lo + max(0.0, total - 5), run_hi + total + 4
        last = members[-1]
        if last != "later":
            low[last] = max(low.get(last, run_lo), run_lo)
            high[last] = min(high.get(last, run_hi), run_hi)
    yld = table(export, "linkage_yield")
    linked = (
        published_n(yld, **{yld.columns[0]: "Total"}, statistic="linked")
        if yld is not None
        else None
    )
    found = []
    previous = (0.0, 0.0)
    for m in [*months, "later"]:
        if m == "later":
            here = (linked, linked) if linked is not None else (None, None)
        else:
            here = (low.get(m), high.get(m))
        pool = next((p for p, (members, _) in pools.items() if m in members), None)
        total = pools[pool][1] if pool is not None else None
        if None not in here and None not in previous and pool is not None and total is not None:
            lo = max(0.0, here[0] - previous[1])  # type: ignore[operator]
            hi = min(total + 4, here[1] - previous[0])  # type: ignore[operator]
            if len(pools[pool][0]) > 1 and hi - lo < T - 0.5:
                found.append(f"inflow {m} (pool {pool}) in [{lo:g}, {hi:g}]")
        previous = here if m != "later" else previous
    return found


def survival(export: Path) -> list[str]:
    """A survival table repeats group sizes (round 7): the first spell's censored are those whose
    durability from the first job is 1 (share_100's numerator); the time to the first job's
    events are the worked_1m group."""
    found = []
    first = table(export, "survival_first_spell")
    fj, ex = table(export, "durability_first_job"), table(export, "durability_exit")
    for name, groups in (("survival_first_spell", fj), ("survival_to_first_job", ex)):
        frame = table(export, name)
        if frame is None or groups is None:
            continue
        steps = frame.filter((pl.col("statistic") == "step") & (pl.col("status") != "suppressed"))
        if not steps.height:
            continue
        at_risk = float(steps["at_risk"].cast(pl.Float64)[0])
        events = float(steps["events"].cast(pl.Float64).sum())
        by = groups.columns[1]
        if name == "survival_first_spell":
            row = groups.filter((pl.col("group") == "worked_1m") & (pl.col(by) == "Total")
                                & (pl.col("statistic") == "share_100"))  # fmt: skip
            if row.height and row["status"][0] == "suppressed":
                found.append(
                    f"{name}: hidden first-job share_100 of worked_1m = {at_risk - events:g}/{at_risk:g}"
                )
        else:
            n = published_n(groups, group="worked_1m", **{by: "Total"}, statistic="n")
            row = groups.filter((pl.col("group") == "worked_1m") & (pl.col(by) == "Total")
                                & (pl.col("statistic") == "n"))  # fmt: skip
            if n is None and row.height:
                found.append(f"{name}: hidden worked_1m n = {events:g}")
    _ = first
    return found


def late_bounds(n: float, m_x: float, m_f: float, top: float) -> tuple[float, float]:
    """Months before late first jobs in a worked_1m group of n records, from the two anchors'
    time-weighted means (to 3 decimals): both are W / O of the same records, so the months
    before the first job are W (1/m_x - 1/m_f), with n <= W <= m_f * top * n."""
    d = 0.0005
    r_low = max(0.0, 1 / (m_x + d) - 1 / (m_f - d))
    r_high = 1 / max(m_x - d, 1e-9) - 1 / (m_f + d)
    return r_low * n, max(0.0, r_high * (m_f + d) * top * n)


def late_starters(export: Path, by: str) -> list[str]:
    """Round 10: late first jobs counted from the two anchors' time-weighted means: months
    before them above 0 say at least one late starter, at most 9 months at most 9 of them."""
    ex, fj = table(export, "durability_exit"), table(export, "durability_first_job")
    if ex is None or fj is None:
        return []
    share = table(export, "series_share_working")
    top = float(share.height) if share is not None and share.height else 600.0
    found = []
    for v in set(ex[by].to_list()):
        where = {"group": "worked_1m", by: v, "statistic": "weighted_mean"}
        rows = [
            t.filter(pl.all_horizontal([pl.col(k) == x for k, x in where.items()]))
            for t in (ex, fj)
        ]
        if any(
            r.height != 1 or r["status"][0] == "suppressed" or r["value"][0] is None for r in rows
        ):
            continue
        n = published_n(ex, group="worked_1m", **{by: v}, statistic="n")
        if n is None:
            continue
        low, high = late_bounds(n, float(rows[0]["value"][0]), float(rows[1]["value"][0]), top)
        if low > 1e-3 and high < T - 0.5:
            found.append(f"{by}={v}: late first jobs in [1, {high:.1f}] (months before them)")
    return found


def every_attack(export: Path, by: str) -> list[str]:
    return [
        *statuses_and_log(export),
        *anchors(export, by),
        *distribution(export),
        *two_shares(export, by),
        *series(export),
        *shared_persons(export, by),
        *small_counts(export),
        *model_sample(export),
        *pooled_months(export),
        *survival(export),
        *late_starters(export, by),
    ]
