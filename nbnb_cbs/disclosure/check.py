"""The per-table re-test of the steward's check: every published cell against the profile.

Each table is judged from its own file: published cells are re-tested with the primary rules,
suppressed cells must really be empty, and for tables the log marks additive the attacker's
intervals are recomputed with an independent LP solve. Relations between tables are the
whole-release audit's business (``release.py``), not this pass's.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.apply import additive_equations
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import cell_kind_expr, primary_rules
from nbnb_cbs.disclosure.secondary import AdditiveTable, audit
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding

__all__ = ["table_rules_pass"]

# The LP audit of one table is deterministic in its cells, log entry and profile: solved once per process.
_AUDITED: dict[str, tuple[list[Finding], int]] = {}


def table_rules_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Primary rules and the per-table LP audit on every readable table."""
    findings: list[Finding] = []
    for rel, frame in export.tables.items():
        if export.kind(rel) == "survival":  # no n column: the steward's survival pass checks it
            continue
        findings += _check_table(frame, rel, export.table_meta.get(rel), profile, export)
    return findings


def _check_table(
    frame: pl.DataFrame,
    rel: str,
    meta: dict[str, Any] | None,
    profile: Profile,
    export: ExportFiles,
) -> list[Finding]:
    findings: list[Finding] = []
    export.counters["tables_checked"] += 1
    for column in frame.columns:
        if profile.is_forbidden_column(column):
            findings.append(
                Finding(
                    rel,
                    1,
                    column,
                    "forbidden_column",
                    f"identifier or single-unit column {column!r}",
                )
            )
        if profile.is_protected_dimension(column):
            findings.append(
                Finding(
                    rel, 1, column, "protected_dimension", f"results per {column!r} are not allowed"
                )
            )
    if "n" not in frame.columns:
        findings.append(
            Finding(rel, 1, None, "no_count", "table has no n column: units behind cells unknown")
        )
        return findings
    cells = frame.with_row_index("_row", offset=2).with_columns(
        n=pl.col("n").cast(pl.Float64, strict=False),
        **(
            {"value": pl.col("value").cast(pl.Float64, strict=False)}
            if "value" in frame.columns
            else {}
        ),
    )
    status = pl.col("status") if "status" in cells.columns else pl.lit("published")
    hidden = cells.filter(status.str.starts_with("suppressed"))
    for row in hidden.iter_rows(named=True):
        for column in ("value", "n", "total"):
            if row.get(column) is not None:
                findings.append(Finding(rel, row["_row"], column, "suppressed_value_published",
                                               "a suppressed cell shows a value"))  # fmt: skip
    shown = cells.filter(~status.str.starts_with("suppressed"))
    if "statistic" in shown.columns:
        for row in shown.filter(pl.col("statistic").is_not_null()).iter_rows(named=True):
            if profile.is_forbidden_statistic(str(row["statistic"])):
                findings.append(Finding(rel, row["_row"], "statistic", "forbidden_statistic",
                                               f"statistic {row['statistic']!r} may not be released"))  # fmt: skip
    judged = primary_rules(
        shown.drop([c for c in ("status", "rule") if c in shown.columns]), profile
    )
    if "status" in shown.columns:
        # A rounded n cannot give a share's numerator back exactly: check its n only.
        share_rules = pl.col("rule").is_in(["share_numerator", "share_complement"])
        judged = judged.with_columns(
            rule=pl.when(pl.Series(shown["status"] == "rounded") & share_rules)
            .then(None)
            .otherwise(pl.col("rule"))
        )
    # Shares are published to whole percents: a numerator is only known to +-0.005 n.
    value_col = pl.col("value").cast(pl.Float64) if "value" in judged.columns else pl.lit(None)
    slack = pl.col("n").cast(pl.Float64) * 0.005
    judged = judged.with_columns(
        rule=pl.when(
            (pl.col("rule") == "share_numerator")
            & (value_col * pl.col("n").cast(pl.Float64) + slack >= profile.threshold)
        )
        .then(None)
        .when(
            (pl.col("rule") == "share_complement")
            & ((1 - value_col) * pl.col("n").cast(pl.Float64) + slack >= profile.threshold)
        )
        .then(None)
        .otherwise(pl.col("rule"))
    )
    for row in judged.filter(pl.col("rule").is_not_null()).iter_rows(named=True):
        findings.append(Finding(rel, row["_row"], "n" if row["kind"] != "count" else "value", row["rule"],
                                       f"published {row['kind']} cell fails the {row['rule']} rule"))  # fmt: skip
    if meta and meta.get("additive"):
        key = hashlib.sha256(
            f"{rel}|{profile.sha256}|{json.dumps(meta, sort_keys=True, default=str)}|{frame.write_csv()}".encode()
        ).hexdigest()
        if key not in _AUDITED:
            counted = Counter[str]()
            _AUDITED[key] = (
                _audit_table(frame, rel, meta, profile, counted),
                counted["cells_audited"],
            )
        audited, n_audited = _AUDITED[key]
        findings += audited
        export.counters["cells_audited"] += n_audited
    return findings


def _audit_table(
    frame: pl.DataFrame, rel: str, meta: dict[str, Any], profile: Profile, counters: Counter[str]
) -> list[Finding]:
    """Rebuild each count statistic's additive table from the published cells and audit it."""
    findings: list[Finding] = []
    dims = list(meta.get("dims", []))
    strata = list(meta.get("strata", []))
    total = str(meta.get("total_label") or "Total")
    if not dims or any(d not in frame.columns for d in dims):
        findings.append(Finding(rel, None, None, "audit_impossible",
                                       "log marks the table additive but its dimensions are missing"))  # fmt: skip
        return findings
    has_stat = "statistic" in frame.columns
    rows = frame.select(
        *[pl.col(d).cast(pl.String) for d in dims],
        statistic=pl.col("statistic") if has_stat else pl.lit(None, pl.String),
        n=pl.col("n").cast(pl.Float64, strict=False),
        status=pl.col("status") if "status" in frame.columns else pl.lit("published"),
    ).with_columns(kind=cell_kind_expr(has_stat))
    for (stat,), part in rows.filter(pl.col("kind") == "count").group_by(
        "statistic", maintain_order=True
    ):
        values: dict[tuple[str, ...], float] = {}
        suppressed: set[tuple[str, ...]] = set()
        for row in part.iter_rows(named=True):
            key = tuple(row[d] for d in dims)
            hidden = str(row["status"]).startswith("suppressed")
            if hidden:
                suppressed.add(key)
            values[key] = 0.0 if hidden or row["n"] is None else float(row["n"])
        equations = additive_equations(set(values), dims, strata, total)
        needed = {k for p, ch in equations for k in (p, *ch)}
        label = f"{rel} ({stat})" if stat else rel
        if needed - set(values):
            findings.append(Finding(label, None, None, "audit_impossible",
                                           "the table misses cells or margins of an additive table"))  # fmt: skip
            continue
        for parent, children in equations:
            complete = parent not in suppressed and not suppressed.intersection(children)
            if complete and abs(sum(values[c] for c in children) - values[parent]) > 1e-6:
                findings.append(Finding(label, None, None, "margins_inconsistent",
                                               f"cells do not add up to {parent}"))  # fmt: skip
        if not suppressed:
            continue
        intervals = audit(AdditiveTable(values, equations), suppressed)
        counters["cells_audited"] += len(intervals)
        for key, (low, high) in intervals.items():
            if high - low < profile.protection_width:
                findings.append(Finding(label, None, ",".join(key), "narrow_interval",
                    f"suppressed cell {key} can be narrowed to [{low:g}, {high:g}], narrower than "
                    f"{profile.protection_width:g}"))  # fmt: skip
    return findings
