"""Export tables from the release frame, protected as one release.

Every table is a kind of the disclosure catalogue; every row's numbers are computed from the
person-level release frame through the same set definitions the release model uses, so what is
published and what the model reasons about cannot drift apart. Primary rules are applied per cell,
then secondary suppression is chosen for all tables at once (``disclosure.release``), and the
result is audited independently before anything is written.

Published precision: counts as whole numbers, shares to whole percents (two decimals), means to
three decimals, amounts to one; with ``rounding`` 5 or 10 counts are rounded and shares computed
from rounded counts. Released statuses say ``published``, ``suppressed``, ``pooled`` or
``rounded``; the reasons stay in the review records for the output checker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from nbnb_cbs.cells import SERIES_ROUNDING
from nbnb_cbs.disclosure import Applied, Profile
from nbnb_cbs.disclosure.catalogue import (
    ANCHOR_COLUMN,
    Domains,
    ModelLevel,
    RowSpec,
    TableKind,
    table_rows,
)
from nbnb_cbs.disclosure.ledger import (
    Conflict,
    cell_key,
    compare,
    hidden_earlier,
    ledger_frame,
    pinned_changes,
)
from nbnb_cbs.disclosure.pooling import round_to_base
from nbnb_cbs.disclosure.release import (
    Protection,
    ReleaseModel,
    build_model,
    protect_release,
    true_counts,
)
from nbnb_cbs.errors import DisclosureError

__all__ = ["ExportTable", "Release", "TableSpec", "build_release", "release_tables"]

TOTAL = "Total"
_FACTOR_OF = {"N": "N", "cohort": "cohort", "snap": "snap", "series": "series", "enrol": "enrol",
               "late": "late", "cov": "cov"}  # fmt: skip


@dataclass
class ExportTable:
    name: str
    title: str
    applied: Applied
    kind: str = ""

    @property
    def file(self) -> str:
        return f"tables/{self.name}.csv"


@dataclass(frozen=True)
class TableSpec:
    """One export table: its kind, name, title and parameters (breakdown index, anchor)."""

    kind: TableKind
    name: str
    title: str
    j: int | None = None
    anchor: str = "exit"
    sample: tuple[str, ...] = ()  # model_fit: the exit destinations the model keeps
    outcome: str = ""  # model_fit: the model's outcome (its count is a row too)
    levels: tuple[ModelLevel, ...] = ()  # model_fit: its levels and interaction cells

    def describe(self, domains: Domains) -> dict[str, Any]:
        """What the steward's check needs to rebuild the table's sets (kept in the log)."""
        out: dict[str, Any] = {"kind": self.kind, "anchor": self.anchor}
        if self.j is not None:
            out["breakdown"] = domains.breakdowns[self.j][0]
        return out


@dataclass(frozen=True)
class ModelCounts:
    """What a published model says about sets of the release model."""

    name: str  # its fit table (model_<name>_fit)
    sample: tuple[str, ...]  # the exit destinations it keeps
    n: float  # N
    outcome: str
    n_outcome: float  # records with the outcome
    # Its levels and interaction cells (label, per covariate the finest levels it holds): B and
    # SE give their persons with and without the outcome.
    levels: tuple[ModelLevel, ...] = ()


@dataclass
class Release:
    tables: list[ExportTable]
    model: ReleaseModel
    protection: Protection
    review: list[dict[str, Any]] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)
    ledger: pl.DataFrame | None = None  # record ids per cell, published or not: stays in work/
    withheld_models: list[str] = field(default_factory=list)  # fit tables whose N was hidden
    # Survival tables the release hides whole (their rows would narrow a hidden number).
    hidden_survival: list[str] = field(default_factory=list)


def release_tables(domains: Domains, has_education: bool) -> list[TableSpec]:
    """Every table the export holds, by catalogue kind."""
    names = [b for b, _ in domains.breakdowns]
    js: list[int | None] = list(range(len(names))) or [None]

    def suffix(j: int | None) -> str:
        return "" if j is None or j == 0 else f"_by_{names[j]}"

    specs = [TableSpec("linkage_yield", f"linkage_yield{suffix(j)}",
                       "Linkage yield: records, linked, share linked", j) for j in js]  # fmt: skip
    for anchor in domains.anchors:
        base = f"durability_{anchor.replace('-', '_')}"
        specs += [TableSpec("durability", f"{base}{suffix(j)}",
                            f"Durability of work after exit ({anchor} anchor)", j, anchor) for j in js]  # fmt: skip
    if domains.months:
        specs += [
            TableSpec("series_share_working", "series_share_working",
                      "Share of entered participants in work, per month (n rounded to 10)"),
            TableSpec("series_inflow", "series_inflow",
                      "New participants per month (per calendar quarter, spread evenly over its months; 'later': after the end month or unknown)"),
        ]  # fmt: skip
    if domains.snapshot:
        specs += [TableSpec("snapshot_working", f"snapshot_working{suffix(j)}",
                            "In work at the end month", j) for j in js]  # fmt: skip
        titles = {
            "jobs": "Number of jobs of those in work",
            "hours_type": "Full-time or part-time (largest job)",
            "employment_type": "Employment type (largest job)",
            "relation": "Flexible or permanent (largest job)",
        }
        specs += [TableSpec("snapshot_category", f"snapshot_{c}", t) for c, t in titles.items()]
        specs.append(TableSpec("snapshot_amounts", "snapshot_amounts",
                               "Hours, full-time days and wages of those in work (means; hourly wage = total wage / total hours)"))  # fmt: skip
    if domains.bins:
        specs.append(TableSpec("durability_distribution", "durability_distribution",
                               f"Distribution of durability ({domains.anchors[0]} anchor, worked at least one month)",
                               anchor=domains.anchors[0]))  # fmt: skip
    if domains.enrolment:
        specs.append(TableSpec("education_enrolment", "education_enrolment",
                               "Enrolled in education in the end month: all linked participants (Total) and by exit destination (category)"))  # fmt: skip
    if has_education:
        specs += [TableSpec("education", f"education{suffix(j)}",
                            "Durability of education after exit to education", j) for j in js]  # fmt: skip
    return specs


def _factor_view(frame: pl.DataFrame, expr: pl.Expr) -> pl.DataFrame:
    """The records in the set ``expr`` (a predicate over atoms of one factor)."""
    for factor in _FACTOR_OF:
        part = frame.with_columns(factor=pl.lit(factor)).filter(expr.fill_null(False))
        if part.height:
            return part
    return frame.head(0)


def _primary(cell: dict[str, Any], spec: RowSpec, profile: Profile) -> str | None:
    t = profile.threshold
    n, num = cell.get("n"), cell.get("num")
    if spec.kind in {"count", "pool"}:
        v = cell["true_count"]
        if v == 0 and profile.suppress_zeros:
            return "zero"
        if 0 < v < t:
            return "threshold"
        return None
    if n is None or n < t:
        return "threshold_n"
    if spec.kind == "share" and num is not None:
        if num == 0 and profile.suppress_zeros:
            return "zero"
        if 0 < num < t:
            return "share_numerator"
        if profile.complement and n - num < t:
            return "share_complement"
    if spec.kind == "magnitude":
        total, top1, top2 = cell.get("total"), cell.get("top1") or 0.0, cell.get("top2") or 0.0
        if total is not None:
            if total <= 0:
                return "magnitude_nonpositive"
            largest = top1 + (top2 if profile.nk_n >= 2 else 0.0)
            if largest > profile.nk_k * total:
                return "dominance_nk"
            if top1 > 0 and (total - top1 - top2) / top1 < profile.p_ratio:
                return "dominance_p"
    return None


def _mean_values(members: pl.DataFrame, prefix: str) -> dict[str, float | None]:
    if members.height == 0:
        return {"mean": None, "weighted_mean": None}
    values = members[f"dur_{prefix}"].to_list()
    observable = float(members[f"ob_{prefix}"].sum())
    return {
        "mean": math.fsum(values) / len(values),
        "weighted_mean": float(members[f"wk_{prefix}"].sum()) / observable if observable else None,
    }


def _amounts(members: pl.DataFrame) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    n = members.height
    columns = ("hours", "fulltime_days", "base_wage", "net_wage")
    for column in (c for c in columns if c in members.columns):
        values = sorted((members[column].fill_null(0.0).to_list()), reverse=True) if n else []
        total = math.fsum(values)
        out[column] = {"value": total / n if n else None, "total": total,
                       "top1": values[0] if values else None, "top2": values[1] if n > 1 else None}  # fmt: skip
    hours = out["hours"]["total"] or 0.0
    wage = out["base_wage"]
    out["hourly_wage"] = {"value": (wage["total"] or 0.0) / hours if hours else None,
                          "total": wage["total"], "top1": wage["top1"], "top2": wage["top2"]}  # fmt: skip
    return out


def _true_cells(
    model: ReleaseModel, frame: pl.DataFrame, counts: np.ndarray, series: pl.DataFrame | None
) -> list[dict[str, Any]]:
    """Every cell's true numbers, computed through the model's own set definitions."""
    working_by_month = (
        dict(zip(series["month"].to_list(), series["working"].to_list(), strict=True))
        if series is not None and series.height
        else {}
    )
    out: list[dict[str, Any]] = []
    amounts_cache: dict[str, Any] | None = None
    for cell in model.cells:
        spec = cell.spec
        den = float(counts @ model.mask(spec.den)) if spec.den is not None else None
        num = float(counts @ model.mask(spec.num)) if spec.num is not None else None
        true: dict[str, Any] = {"n": den, "num": num, "true_count": num}
        if spec.kind in {"count", "pool"}:
            true["value"] = num
        elif spec.kind == "share":
            if spec.num is None and spec.table == "series_share_working":
                month = spec.dims["month"]
                num = float(working_by_month.get(month, 0))
                true["num"] = num
            true["value"] = (num / den) if den and num is not None else None
        elif spec.kind == "mean":
            members = _factor_view(frame, spec.den) if spec.den is not None else frame.head(0)
            true["value"] = _mean_values(members, spec.prefix)[spec.statistic]
        elif spec.kind == "magnitude":
            if amounts_cache is None:
                members = _factor_view(frame, spec.den) if spec.den is not None else frame.head(0)
                amounts_cache = _amounts(members)
            true |= amounts_cache[spec.dims["category"]]
        if "project" in frame.columns and spec.den is not None and spec.kind != "pool":
            members = _factor_view(frame, spec.den)
            true["organisations"] = members["project"].n_unique() if members.height else 0
        out.append(true)
    return out


def _published(spec: RowSpec, true: dict[str, Any], base: int) -> dict[str, Any]:
    """What the row publishes (before suppression): rounded counts, shares to whole percents."""
    pub: dict[str, Any] = {"rounding": 0}
    n, value = true.get("n"), true.get("value")
    if spec.kind == "share":
        b = spec.rounding or base
        if b:
            num_r = round_to_base(true["num"], b) if true.get("num") is not None else None
            den_r = round_to_base(n, b) if n is not None else None
            pub |= {"rounding": b, "n": den_r, "num": num_r}
            if num_r is not None and den_r:
                pub["value"] = round(num_r / den_r, 2)
            elif value is not None:
                pub["value"] = round(value, 2)
        else:
            pub |= {"n": n, "value": None if value is None else round(value, 2)}
    elif spec.kind == "count":
        if base:
            pub |= {"rounding": base, "n": round_to_base(n or 0.0, base),
                    "value": round_to_base(value or 0.0, base)}  # fmt: skip
        else:
            pub |= {"n": n, "value": value}
    elif spec.kind == "mean":
        pub |= {"n": round_to_base(n or 0.0, base) if base else n,
                "rounding": base, "value": None if value is None else round(value, 3)}  # fmt: skip
    elif spec.kind == "magnitude":
        pub |= {"n": round_to_base(n or 0.0, base) if base else n, "rounding": base,
                "value": None if value is None else round(value, 1)}  # fmt: skip
    return pub


def _quarter(month: str, last: str) -> str:
    """A month's calendar quarter; 'later' belongs to the last month's quarter (a pool of its
    own would often be small, and hiding it would hide every quarter)."""
    if month == "later":
        month = last
    year, m = month.split("-")
    return f"{year}-Q{(int(m) - 1) // 3 + 1}"


def _refuse_or_hide(model: Any, found: list[Conflict], on_difference: str, what: str) -> None:
    """Cells an earlier release and this one would give away together: the export refused, or
    with ``on_difference="suppress"`` the cells hidden (``what``: how, with ``{d}`` records)."""
    if found and on_difference != "suppress":
        first = found[0]
        raise DisclosureError(
            f"this export and the earlier release {first.release} "
            f"{what.format(d=first.difference)} {len(found)} cell(s) (first: {first.table} "
            f"{first.dims} {first.statistic}): an attacker could difference the two; keep the "
            'earlier release, or set [disclosure] previous = "suppress" to hide those cells'
        )
    keys = {cell_key(x.table, json.loads(x.dims), x.statistic) for x in found}
    _mark(model, keys, "release_difference")


def _mark(model: Any, keys: set[str], reason: str) -> None:
    """Cells of ``model`` whose keys are in ``keys`` and that have no reason yet get ``reason``
    (hidden before the protection chooses the rest)."""
    for cell in model.cells:
        if (
            cell.reason is None
            and cell_key(cell.spec.table, cell.spec.dims, cell.spec.statistic) in keys
        ):
            cell.reason = reason


def _pools(model: ReleaseModel, trues: list[dict[str, Any]], published: list[dict[str, Any]]) -> None:  # fmt: skip
    """Pool the monthly inflow per calendar quarter and spread it evenly over its months (as the
    source study spread its pools). Quarters, not pools grown until they reach the threshold:
    such pools' boundaries would themselves say which months are small. A pool's total is rounded
    to 10 like the series' running totals: exact, the running total at each quarter's end would
    undo their rounding and leave the months beside it narrower than the protection width."""
    idx = [i for i, c in enumerate(model.cells) if c.spec.kind == "pool"]
    groups: dict[str, list[int]] = {}
    months_all = [model.cells[i].spec.dims["month"] for i in idx]
    last = next((m for m in reversed(months_all) if m != "later"), "later")
    for i in idx:
        groups.setdefault(_quarter(model.cells[i].spec.dims["month"], last), []).append(i)
    for members in groups.values():
        total = float(sum(trues[i]["value"] or 0.0 for i in members))
        shown = float(round_to_base(total, SERIES_ROUNDING))
        months = [model.cells[i].spec.dims["month"] for i in members]
        pooled = len(members) > 1
        label = f"{months[0]}..{months[-1]}" if pooled else None
        for position, i in enumerate(members):
            published[i] |= {
                "value": shown / len(members) if pooled else shown,
                "n": shown,
                "pool": label,
                "pool_first": position == 0,
                "pool_total": shown,
                "pool_members": months,
                "rounding": SERIES_ROUNDING,
            }
            trues[i]["true_count"] = total
            trues[i]["n"] = total
            model.cells[i].pool_label = label
            # A pool is one cell: its months share a fate.
            model.cells[i].spec = _refate(model.cells[i].spec, f"pool|{months[0]}")


def _refate(spec: RowSpec, fate: str) -> RowSpec:
    from dataclasses import replace  # noqa: PLC0415

    return replace(spec, fate=fate)


def build_release(
    frame: pl.DataFrame,
    domains: Domains,
    profile: Profile,
    *,
    rounding: int = 0,
    series: pl.DataFrame | None = None,
    earlier: dict[str, pl.DataFrame] | None = None,
    on_difference: str = "refuse",
    models: Sequence[ModelCounts] = (),
    survival: dict[str, dict[str, Any]] | None = None,
) -> Release:
    """Every export table from the release frame, protected and audited as one release.

    ``earlier``: ledgers of earlier releases of the project; a cell whose records differ from an
    earlier release's by 1..t-1 refuses the export (or, with ``on_difference="suppress"``, is
    suppressed before the secondary suppression); a cell an earlier release suppressed is
    suppressed again.

    ``survival``: per survival table its own rules let publish, what it says about the sizes of
    sets (``nbnb_cbs.survival.release_summary``): rows of the LP, hidden first and together."""
    specs = release_tables(domains, domains.education)
    summaries = survival or {}
    specs += [TableSpec("survival", name, "Survival (sizes it repeats)") for name in summaries]
    # A model's N is a count of a set the release already describes: one more row of the LP.
    specs += [TableSpec("model_fit", m.name, "Model fit", sample=tuple(m.sample), outcome=m.outcome,
                        levels=m.levels) for m in models]  # fmt: skip
    rows: list[RowSpec] = []
    owner: list[int] = []
    for k, table in enumerate(specs):
        found = table_rows(table.kind, table.name, domains, j=table.j, anchor=table.anchor,
                           rounding=0 if table.kind == "model_fit" else rounding,
                           sample=table.sample, outcome=table.outcome, levels=table.levels)  # fmt: skip
        rows += found
        owner += [k] * len(found)
    model = build_model(domains, rows)
    counts = true_counts(model, frame)
    trues = _true_cells(model, frame, counts, series)
    # A model's fit table and a survival table publish their counts exactly, whatever the
    # release's rounding: modelled as rounded, their rows were looser than what is published (a
    # rounding = 10 run failed its own audit: a month in a pool narrowed to 9.5 wide).
    exact = {"model_fit", "survival"}
    published = [
        _published(c.spec, t, 0 if specs[o].kind in exact else rounding)
        for c, t, o in zip(model.cells, trues, owner, strict=True)
    ]
    _pools(model, trues, published)
    for i, (cell, o) in enumerate(zip(model.cells, owner, strict=True)):
        if specs[o].kind != "survival":
            continue
        said = summaries[specs[o].name][cell.spec.statistic]
        if cell.spec.statistic in ("censored_from", "followed_from"):
            # Bounds only: the table does not publish this count, it narrows it.
            published[i] = {"bounds": said, "rounding": 0}
            low, high = said
            if not low <= trues[i]["value"] <= high:
                raise DisclosureError(
                    f"internal: {specs[o].name}: {trues[i]['value']:g} "
                    f"{cell.spec.statistic.replace('_', ' ')} 12 months in the release model, "
                    f"the table says [{low:g}, {high:g}]"
                )
            trues[i] |= {"bounds_only": True, "organisations": None}
        elif said != trues[i]["value"]:
            raise DisclosureError(
                f"internal: {specs[o].name}: {cell.spec.statistic} is {said:g} in the table but "
                f"{trues[i]['value']:g} in the release model"
            )
    for cell, true in zip(model.cells, trues, strict=True):
        cell.value, cell.n, cell.num = true.get("value"), true.get("n"), true.get("num")
        cell.total, cell.top1, cell.top2 = true.get("total"), true.get("top1"), true.get("top2")
        cell.organisations = true.get("organisations")
        cell.reason = None if true.get("bounds_only") else _primary(true, cell.spec, profile)
        if (
            cell.reason is None
            and cell.organisations is not None
            and cell.spec.kind != "pool"
            and cell.organisations < profile.min_organisations
            and (cell.n or 0) > 0
        ):
            cell.reason = "organisations"
    members = [
        (
            list(_factor_view(frame, c.spec.num)["record_id"]) if c.spec.num is not None else [],
            list(_factor_view(frame, c.spec.den)["record_id"]) if c.spec.den is not None else [],
        )
        for c in model.cells
    ]
    everything = ledger_frame(
        [
            (c.spec.table, c.spec.dims, c.spec.statistic, a, b)
            for c, (a, b) in zip(model.cells, members, strict=True)
        ]
    )
    if earlier:
        conflicts = compare(everything, earlier, profile.threshold)
        _refuse_or_hide(model, conflicts, on_difference, "differ by {d} record(s) in")
        # A cell an earlier release hid stays hidden, whatever its records now: shown, it gives
        # the hidden value within the records that changed (red team 59).
        _mark(model, set(hidden_earlier(earlier)), "hidden_earlier")
        # Differences of differences: cells whose changes together pin a set of the records
        # that changed (joined, left, moved) to 1..t-1. Judged on every cell not hidden yet:
        # the protection only hides more, which pins less.
        shown = {
            cell_key(c.spec.table, c.spec.dims, c.spec.statistic)
            for c in model.cells
            if c.reason is None
        }
        pinned = pinned_changes(everything, earlier, profile.threshold, shown)
        _refuse_or_hide(
            model, pinned, on_difference, "together pin {d} or fewer changed record(s) through"
        )
    protection = protect_release(model, published, profile)
    for m in models:
        for statistic, expected in (("N", m.n), ("N_outcome", m.n_outcome)):
            found_n = [c.value for c, o in zip(model.cells, owner, strict=True)
                       if specs[o].name == m.name and c.spec.statistic == statistic]  # fmt: skip
            if found_n and found_n[0] != expected:
                raise DisclosureError(
                    f"internal: model {m.name}: its {statistic} is {expected:g} but the release "
                    f"model counts {found_n[0]:g} (linked records with the destinations it keeps)"
                )
    tables: list[ExportTable] = []
    review: list[dict[str, Any]] = []
    withheld: list[str] = []
    hidden_survival: list[str] = []
    for k, table in enumerate(specs):
        mine = [i for i, o in enumerate(owner) if o == k]
        records = []
        for i in mine:
            cell, pub = model.cells[i], published[i]
            status = "suppressed" if cell.suppressed else (
                "pooled" if pub.get("pool") else ("rounded" if pub.get("rounding") else "published")
            )  # fmt: skip
            hidden = cell.suppressed
            dims = {**cell.spec.dims}
            record = {
                **dims,
                "statistic": cell.spec.statistic,
                "value": None if hidden else _float(pub.get("value")),
                "n": None if hidden or pub.get("n") is None else round(pub["n"]),
            }
            if table.kind == "series_inflow":
                record["pool"] = None if hidden else pub.get("pool")
            record["status"] = status
            records.append(record)
            review.append(
                {
                    "table": table.name,
                    **dims,
                    "statistic": cell.spec.statistic,
                    "status": status,
                    "reason": cell.reason,
                    "interval": list(cell.interval) if cell.interval else None,
                    "organisations": cell.organisations,
                }
            )
        if table.kind == "model_fit":
            # Written with the model's own files; a hidden N withholds the whole model.
            if any(model.cells[i].suppressed for i in mine):
                withheld.append(table.name)
            continue
        if table.kind == "survival":  # written by export/survival.py; hidden whole or not at all
            if any(model.cells[i].suppressed for i in mine):
                hidden_survival.append(table.name)
            continue
        frame_out = pl.DataFrame(records, infer_schema_length=None)
        frame_out = frame_out.with_columns(
            pl.col("value").cast(pl.Float64), pl.col("n").cast(pl.Int64)
        )
        counts_by_status = dict(sorted(frame_out.group_by("status").len().iter_rows()))
        base = SERIES_ROUNDING if table.kind.startswith("series_") else rounding
        log = {
            "table": table.name,
            **table.describe(domains),
            "rounding": base or None,
            "status_counts": counts_by_status,
        }
        tables.append(
            ExportTable(
                table.name,
                table.title,
                Applied(frame_out, log, counts=counts_by_status),
                table.kind,
            )
        )
    audit = {
        "method": "linear programming over the release's atoms (LP bounds: integrality not used)",
        "atoms": protection.n_vars,
        "constraints": len(protection.rows),
        "sensitive_quantities": len(protection.forms),
        "solves": protection.solves,
        "secondary_suppressions": protection.secondary,
        "independent_audit": "the steward's check re-derives this model from the exported files "
        "and re-solves every quantity with LPs of its own (nbnb-cbs disclosure check)",
    }
    published_keys = {
        cell_key(c.spec.table, c.spec.dims, c.spec.statistic)
        for c in model.cells
        if not c.suppressed
    }
    # Every cell, with whether it was published: a later release keeps the hidden ones hidden.
    ledger = everything.with_columns(published=pl.col("key").is_in(list(published_keys)))
    return Release(tables, model, protection, review, audit, ledger, withheld, hidden_survival)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ += ["ANCHOR_COLUMN"]
