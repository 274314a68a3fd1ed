"""What the table cells hold: identifiers by pattern, organisations, and malformed cells.

Every table is read as text, so a decimal comma, a percentage or a number in a label is seen as
written. Column names are judged by the tool's own vocabulary: measures it writes, dimensions it
builds, and the breakdowns the manifest names; anything else is a finding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from nbnb_cbs.cells import PUBLISHED_COLUMNS, Status
from nbnb_cbs.disclosure.catalogue import WAGE_PER_HOUR
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import COUNT_STATISTICS
from nbnb_cbs.disclosure.steward.identifiers import (
    identifier_in_name,
    identifier_in_text,
    non_latin,
    organisation_in_name,
    organisation_in_text,
    small_number_in,
)
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding
from nbnb_cbs.disclosure.steward.survival import SURVIVAL_KINDS
from nbnb_cbs.export.release_frame import BINS

__all__ = ["STATUSES", "content_pass"]

MEASURES = PUBLISHED_COLUMNS
NUMERIC = ("value", "n", "total")
DIMENSIONS = ("group", "month", "bin", "category", "sectoral", "breakdown")
STATUSES = tuple(s.value for s in Status)
MEAN_STATISTICS = ("mean", "weighted_mean", "ratio")
# Decimals a published value may carry (export/tables.py): a share to whole percents, a mean to
# three decimals. More digits than that turn a share of a rounded n back into its exact count.
DECIMALS = {"share": 2, "mean": 3}
_AMOUNT_DECIMALS = 1  # the snapshot's amounts (hours, days, euros) are written to one decimal
_MAGNITUDE_HALF = 0.5 / 10**_AMOUNT_DECIMALS  # half their last decimal
POPULATION = 20_000_000  # more persons than the Netherlands has: not a count of persons
_NUMBER = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
# A count written into a label ("true (7 obs)", "n = 7", "seven persons").
_COUNT_NOTE = re.compile(
    r"\bn\s*=\s*\d|(?:\d+|\b(?:one|two|three|four|five|six|seven|eight|nine|een|twee|drie|"
    r"vier|vijf|zes|zeven|acht|negen))\s*(?:persons?|personen|people|mensen|deelnemers?|"
    r"participants?|records?|obs\w*|cases?|leavers?|uitstromers?|n\b)",
    re.IGNORECASE,
)
_LINE = "_steward_line"


def _kind_expr() -> pl.Expr:
    """'count', 'share', 'mean', or null for a statistic nbnb-cbs does not publish."""
    stat = pl.col("statistic").str.strip_chars().str.to_lowercase()
    return (
        pl.when(stat.is_in(COUNT_STATISTICS))
        .then(pl.lit("count"))
        .when(stat.str.contains(r"^share(_[a-z0-9]+)*$"))
        .then(pl.lit("share"))
        .when(stat.is_in(MEAN_STATISTICS))
        .then(pl.lit("mean"))
    )


def content_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Identifiers, organisations and malformed cells in every table of the export."""
    findings = [
        Finding(rel, None, None, "unreadable_table", "not a readable ;-separated table")
        for rel in export.unreadable
    ]
    params = export.manifest.get("parameters")
    by = params.get("by", []) if isinstance(params, dict) else []
    breakdowns = [str(b) for b in by] if isinstance(by, list) else []
    projects = export.projects()
    for rel, frame in export.tables.items():
        if export.kind(rel) in SURVIVAL_KINDS:  # their own columns: steward/survival.py
            continue
        meta = export.table_meta.get(rel, {})
        findings += _table(rel, frame, meta, breakdowns, projects, profile)
    return findings


def _table(
    rel: str,
    frame: pl.DataFrame,
    meta: dict[str, Any],
    breakdowns: list[str],
    projects: list[str],
    profile: Profile,
) -> list[Finding]:
    out: list[Finding] = []
    for column in frame.columns:
        if identifier_in_name(column):
            out.append(Finding(rel, 1, column, "identifier_column", f"column {column!r} is named like an identifier"))  # fmt: skip
        if organisation_in_name(column):
            out.append(Finding(rel, 1, column, "organisation_column", f"column {column!r} names projects or organisations: no results per project"))  # fmt: skip
        if column not in (*MEASURES, *DIMENSIONS, *breakdowns):
            out.append(Finding(rel, 1, column, "unexpected_column", f"column {column!r} is neither a measure nor a dimension nbnb-cbs writes nor a breakdown the manifest names"))  # fmt: skip
    for needed in ("statistic", "n", "status"):
        if needed not in frame.columns:
            out.append(Finding(rel, 1, None, "missing_column", f"no {needed!r} column: every cell must say its statistic, units and status"))  # fmt: skip
    if frame.height == 0:  # an empty table carries nothing but its column names
        return out
    cells = frame.with_row_index(_LINE, offset=2)
    text_columns = [c for c in frame.columns if c not in NUMERIC]
    for column in text_columns:
        out += _scan_labels(rel, cells, column, projects, profile.threshold)
    for column in (c for c in NUMERIC if c in frame.columns):
        out += _number_format(rel, cells, column)
    if "value" in frame.columns and "statistic" in frame.columns:
        out += _precision(rel, cells, str(meta.get("kind") or ""))
    if "bin" in frame.columns:  # fixed bins: a merged or split bin is a sum of other cells
        for row in cells.filter(~pl.col("bin").is_in(BINS)).iter_rows(named=True):
            out.append(Finding(rel, row[_LINE], "bin", "unknown_bin", f"bin {row['bin']!r} is not one of nbnb-cbs's fixed bins ({', '.join(BINS)}): a merged or split bin gives away the cells it differs by"))  # fmt: skip
    if "n" not in frame.columns:
        return out
    if "statistic" not in frame.columns:  # reported above; its cells are judged by n alone
        cells = cells.with_columns(statistic=pl.lit(None, pl.String))
    if "status" not in frame.columns:
        cells = cells.with_columns(status=pl.lit("published"))
    parsed = cells.with_columns(
        *[pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in NUMERIC if c in frame.columns],
        _kind=_kind_expr(),
    )  # fmt: skip
    if "value" not in parsed.columns:
        parsed = parsed.with_columns(value=pl.lit(None, pl.Float64))
    dims = [c for c in frame.columns if c not in MEASURES]
    out += _vocabulary(rel, parsed, profile)
    out += _cells(rel, parsed, profile)
    out += _rounded(rel, parsed, meta, profile)
    out += _pooled(rel, parsed, dims, profile, str(meta.get("kind") or ""))
    if meta.get("kind") == "snapshot_amounts" and "category" in parsed.columns:
        out += _wage_per_hour(rel, parsed)
    dupes = parsed.filter(pl.struct(*dims, "statistic").is_duplicated())
    out += [Finding(rel, r[_LINE], "statistic", "duplicate_cell", "the same cell (dimensions and statistic) appears more than once")
            for r in dupes.iter_rows(named=True)]  # fmt: skip
    return out


def _wage_per_hour(rel: str, cells: pl.DataFrame) -> list[Finding]:
    """The hourly wage is the total base wage over the total hours of the same persons: with two
    of the hours' mean, the base wage's mean and that ratio published for the same n, the third
    is known, hidden or not; with all three published, the ratio must be the means' (each written
    to one decimal), else one of them is about other persons or carries something else."""
    rows = {r["category"]: r for r in cells.iter_rows(named=True) if r["category"] in WAGE_PER_HOUR}
    shown = [c for c in WAGE_PER_HOUR if c in rows and rows[c]["value"] is not None]
    hidden = [c for c in WAGE_PER_HOUR if c in rows and rows[c]["value"] is None]
    if len({rows[c]["n"] for c in shown}) != 1:
        return []
    if len(shown) == 2 and len(hidden) == 1:
        row = rows[hidden[0]]
        return [Finding(rel, row[_LINE], "value", "wage_per_hour", f"{hidden[0]} is hidden, but hourly_wage = total base_wage / total hours of the same persons gives it from {shown[0]} and {shown[1]}: hide the three together")]  # fmt: skip
    if len(shown) == 3:
        hours, wage, ratio = (float(rows[c]["value"]) for c in WAGE_PER_HOUR)
        half = _MAGNITUDE_HALF
        low = (wage - half) / (hours + half) if hours + half > 0 else -math.inf
        high = (wage + half) / (hours - half) if hours - half > 0 else math.inf
        if ratio + half < low - 1e-9 or ratio - half > high + 1e-9:
            row = rows["hourly_wage"]
            return [Finding(rel, row[_LINE], "value", "wage_per_hour", f"hourly_wage {ratio:g} is not the base wage's mean over the hours' mean ({wage:g} / {hours:g}, each to one decimal): one of the three is about other persons or carries something else")]  # fmt: skip
    return []


def _rounded_share_reachable(rel: str, rounded: pl.DataFrame, base: int) -> list[Finding]:
    """A share of rounded counts is a multiple of the base over the rounded n, to whole percents
    (export/tables.py): any other value is a share of other counts, such as the exact ones (red
    team 40: 0,34 over 50 is 17 exact where 15-24 stood)."""
    out = []
    for row in rounded.filter(pl.col("_kind") == "share").iter_rows(named=True):
        value, n = row["value"], row["n"]
        if value is None or n is None or n <= 0 or n != round(n) or n % base:
            continue
        if not any(abs(round(k / n, 2) - value) < 1e-9 for k in range(0, int(n) + 1, base)):
            out.append(Finding(rel, row[_LINE], "value", "rounded_share_unreachable", f"a 'rounded' share {row['value']} of {row['n']}: no multiple of {base} over {row['n']} gives it (shares of rounded counts are), so it is a share of other counts"))  # fmt: skip
    return out


def _scan_labels(
    rel: str, cells: pl.DataFrame, column: str, projects: list[str], threshold: int = 10
) -> list[Finding]:
    out: list[Finding] = []
    values = [v for v in cells[column].unique().to_list() if v is not None]
    for value in values:
        text = str(value)
        what = identifier_in_text(text)
        rule = "identifier_value"
        if what is None and column not in ("status", "pool"):
            what, rule = organisation_in_text(text, projects), "organisation_value"
        if what is None and (note := _COUNT_NOTE.search(text)):
            what, rule = f"a count ({note.group(0)!r})", "number_in_label"
        if (
            what is None
            and re.search(r"[^\W\d_]", text)
            and (small := small_number_in(text, threshold))
        ):
            what, rule = f"{small} beside words (a count written into a label)", "number_in_label"
        if what is None and (foreign := non_latin(text)):
            what, rule = foreign, "non_latin_letter"
        if what is None:
            continue
        lines = cells.filter(pl.col(column) == value)[_LINE].to_list()
        out += [Finding(rel, line, column, rule, f"{column} = {text!r} holds {what}") for line in lines]  # fmt: skip
    return out


def _number_format(rel: str, cells: pl.DataFrame, column: str) -> list[Finding]:
    text = pl.col(column).str.strip_chars()
    bad = cells.filter(text.is_not_null() & (text != "") & ~text.str.contains(_NUMBER))
    out = []
    for row in bad.iter_rows(named=True):
        raw = row[column]
        if re.fullmatch(r"-?\d+,\d+", raw.strip()):
            why = (
                "decimal mark",
                f"{column}: a number with a decimal mark other than the one this export's CSV "
                "format uses (manifest 'csv')",
            )
        else:
            why = "not_a_number", f"{column} = {raw!r} is not a number"
        out.append(Finding(rel, row[_LINE], column, why[0].replace(" ", "_"), why[1]))
    return out


def _decimals(text: str | None) -> int:
    """Decimals a number as written carries (0 for one that is not a number)."""
    try:
        exponent = Decimal((text or "").strip()).normalize().as_tuple().exponent
    except InvalidOperation:
        return 0
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _precision(rel: str, cells: pl.DataFrame, kind: str = "") -> list[Finding]:
    """Shares and means at no more decimals than nbnb-cbs publishes them with (amounts, the
    snapshot's means in hours, days and euros, to one decimal)."""
    out = []
    kinds = cells.select(_LINE, "value", "statistic", _kind=_kind_expr())
    decimals = DECIMALS | ({"mean": _AMOUNT_DECIMALS} if kind == "snapshot_amounts" else {})
    for row in kinds.filter(pl.col("_kind").is_in(list(decimals))).iter_rows(named=True):
        allowed, digits = decimals[row["_kind"]], _decimals(row["value"])
        if digits > allowed:
            out.append(Finding(rel, row[_LINE], "value", "excess_precision", f"{row['statistic']} = {row['value']}: {digits} decimals where nbnb-cbs publishes {allowed}; the extra digits tell the exact counts behind a rounded or bounded cell"))  # fmt: skip
    return out


def _vocabulary(rel: str, cells: pl.DataFrame, profile: Profile) -> list[Finding]:
    out: list[Finding] = []
    for row in cells.filter(~pl.col("status").is_in(STATUSES) | pl.col("status").is_null()).iter_rows(named=True):  # fmt: skip
        out.append(Finding(rel, row[_LINE], "status", "unknown_status", f"status {row['status']!r} is not one of {', '.join(STATUSES[:4])}"))  # fmt: skip
    forbidden = {f.lower() for f in profile.forbidden_statistics}
    for row in cells.filter(
        pl.col("_kind").is_null() & pl.col("statistic").is_not_null()
    ).iter_rows(named=True):
        stat = str(row["statistic"])
        tokens = set(re.split(r"[^a-z0-9]+", stat.lower()))
        if tokens & forbidden:
            out.append(Finding(rel, row[_LINE], "statistic", "forbidden_statistic", f"statistic {stat!r} is a single value ({', '.join(sorted(tokens & forbidden))}) and may not be released"))  # fmt: skip
        else:
            out.append(Finding(rel, row[_LINE], "statistic", "unknown_statistic", f"statistic {stat!r} is not one nbnb-cbs publishes"))  # fmt: skip
    return out


def _cells(rel: str, cells: pl.DataFrame, profile: Profile) -> list[Finding]:
    shown = cells.filter(pl.col("status").is_in(("published", "pooled", "rounded")))
    n, value, kind = pl.col("n"), pl.col("value"), pl.col("_kind")
    checks: list[tuple[pl.Expr, str, str, str]] = [
        (n < 0, "n", "negative_count", "a negative number of units"),
        ((n > 0) & (n < profile.threshold), "n", "small_n", f"a published cell about fewer than {profile.threshold} units"),
        (n > POPULATION, "n", "impossible_count", "more units than the Netherlands has persons"),
        (n.is_not_null() & (n != n.round(0)), "n", "fractional_count", "a fractional number of units"),
        ((kind == "count") & (value < 0), "value", "negative_count", "a negative count"),
        ((kind == "count") & (pl.col("status") != "pooled") & value.is_not_null() & n.is_not_null() & (value != n),
         "value", "count_differs_from_n", "a count whose value differs from its n"),
        ((kind == "share") & (value > 1) & (value <= 100), "value", "percentage_as_share", "a percentage where a share (0 to 1) is expected"),
        ((kind == "share") & ((value < 0) | (value > 100)), "value", "share_out_of_range", "a share outside 0 to 1"),
        ((kind == "mean") & n.is_null(), "n", "mean_without_n", "a mean without the number of units behind it"),
        (n.is_null() & value.is_null(), "value", "empty_published_cell", "a published cell without value or n"),
    ]  # fmt: skip
    out = []
    for expr, column, rule, what in checks:
        for row in shown.filter(expr.fill_null(False)).iter_rows(named=True):
            out.append(Finding(rel, row[_LINE], column, rule, f"{row['statistic']}: {what} (value {row['value']}, n {row['n']})"))  # fmt: skip
    return out


def _rounded(
    rel: str, cells: pl.DataFrame, meta: dict[str, Any], profile: Profile
) -> list[Finding]:
    rounded = cells.filter(pl.col("status") == "rounded")
    if rounded.height == 0:
        return []
    base = meta.get("rounding")
    out = []
    if base not in (5, 10):
        out.append(Finding(rel, rounded[_LINE][0], "status", "rounded_without_rounding", f"status 'rounded' in a table the log does not round (rounding {base!r})"))  # fmt: skip
        base = 10
    half, t = base / 2, profile.threshold
    n, value = pl.col("n"), pl.col("value")
    not_multiple = rounded.filter((n % base != 0).fill_null(True))
    out += [Finding(rel, r[_LINE], "n", "rounded_not_multiple", f"status 'rounded' but n = {r['n']} is not a multiple of {base}") for r in not_multiple.iter_rows(named=True)]  # fmt: skip
    # The true denominator lies in [n - b/2, n + b/2); a numerator or complement that cannot
    # reach the threshold even at the top of that range is a small count, rounded or not.
    small = rounded.filter((pl.col("_kind") == "share") & ((value * (n + half) < t) | ((1 - value) * (n + half) < t)).fill_null(False))  # fmt: skip
    out += [Finding(rel, r[_LINE], "value", "rounded_share_small", f"a 'rounded' share {r['value']} of about {r['n']}: its numerator or complement is below {t} whatever the exact n") for r in small.iter_rows(named=True)]  # fmt: skip
    return out + _rounded_share_reachable(rel, rounded, int(base))


def _pooled(
    rel: str, cells: pl.DataFrame, dims: list[str], profile: Profile, kind: str
) -> list[Finding]:
    has_pool = "pool" in cells.columns
    pool = pl.col("pool") if has_pool else pl.lit(None, pl.String)
    pooled = pl.col("status") == "pooled"
    if kind != "series_inflow":  # only the monthly inflow is pooled (red team 19: a 'pooled'
        # group n of 88 was read as rounded and its difference from an earlier release passed;
        # red team 20 wrote a bare 9 into a pool column of another table)
        return [Finding(rel, r[_LINE], "status" if r["status"] == "pooled" else "pool", "fake_pool", "a pool outside the monthly inflow table, the only table nbnb-cbs pools")
                for r in cells.filter(pooled | pool.is_not_null()).iter_rows(named=True)]  # fmt: skip
    months = r"(?:\d{4}-\d{2}|later)"
    out_of_form = cells.filter(pool.is_not_null() & ~pool.str.contains(f"^{months}\\.\\.{months}$"))
    if out_of_form.height:
        return [Finding(rel, r[_LINE], "pool", "fake_pool", f"pool {r['pool']!r} is not written as nbnb-cbs writes pools (first..last month)")
                for r in out_of_form.iter_rows(named=True)]  # fmt: skip
    out = [
        Finding(rel, r[_LINE], "pool", "pool_label", "a pool label on a cell that is not pooled" if r["status"] != "pooled" else "a pooled cell without its pool label")
        for r in cells.filter((pooled & pool.is_null()) | (~pooled & pool.is_not_null())).iter_rows(named=True)
    ]  # fmt: skip
    if not has_pool or not dims:
        return out
    period = "month" if "month" in dims else dims[0]
    order = cells[period].to_list()
    for (label,), members in cells.filter(pooled & pool.is_not_null()).group_by(
        "pool", maintain_order=True
    ):
        first, _, last = str(label).partition("..")
        lines = members[_LINE].to_list()
        expected = order[order.index(first): order.index(last) + 1] if first in order and last in order else None  # fmt: skip
        ns = members["n"].unique().to_list()
        total = members["value"].sum()
        reason = None
        if expected is None or sorted(members[period].to_list()) != sorted(expected):
            reason = f"the pool {label!r} does not cover exactly the periods it names"
        elif len(ns) != 1 or ns[0] is None or abs(float(total) - float(ns[0])) > 0.5 * len(lines):
            reason = f"the pooled values ({total}) do not add up to the pool's n ({ns})"
        elif float(ns[0]) < profile.threshold:
            reason = f"the pool holds {ns[0]} units, below the threshold {profile.threshold}"
        elif len(lines) < 2 or float(ns[0]) % 10:
            reason = f"a pool of {len(lines)} period(s) with total {ns[0]}: nbnb-cbs pools two or more months and rounds the total to 10"
        elif any(
            v is None or abs(float(v) - float(ns[0]) / len(lines)) > 0.05 + 1e-9
            for v in members["value"].to_list()
        ):
            # Spread evenly: a month's own value would be its inflow (red team 19: 20,5 / 9 / 20,5).
            reason = f"the pool's months do not each hold its total spread evenly ({ns[0]} / {len(lines)})"
        if reason:
            out += [Finding(rel, line, "pool", "fake_pool", reason) for line in lines]
    return out
