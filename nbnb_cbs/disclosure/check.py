"""The data steward's re-check of an export folder, from its files alone.

It trusts nothing the researcher's run computed: checksums are recomputed, every published cell
is re-tested against the profile, suppressed cells must really be empty, and for tables the log
marks as additive the attacker's intervals are recomputed with an independent LP solve.
What cannot be checked from published files (dominance needs the largest contributions, which
are never published) is listed as such in the report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.disclosure.apply import additive_equations
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.rules import cell_kind_expr, primary_rules
from nbnb_cbs.disclosure.secondary import AdditiveTable, audit
from nbnb_cbs.errors import InputFileError, NbnbError
from nbnb_cbs.io.writers import file_sha256

__all__ = ["CheckResult", "Finding", "check_export"]

EXEMPT = {"manifest.json", "check-report.json"}
NOT_CHECKABLE = [
    "dominance (NK and p-ratio) needs the largest contributions, which are never published",
    "figures are checked through the tables they are drawn from, not pixel by pixel",
    "numerators and complements of shares whose n was rounded (their n is checked)",
]


@dataclass(frozen=True)
class Finding:
    file: str
    row: int | None
    column: str | None
    rule: str
    message: str


@dataclass
class CheckResult:
    export_dir: Path
    profile: str
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    tables_checked: int = 0
    cells_audited: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def report(self) -> dict[str, Any]:
        return {
            "export_dir": str(self.export_dir),
            "profile": self.profile,
            "verdict": "pass" if self.clean else "fail",
            "files_checked": self.files_checked,
            "tables_checked": self.tables_checked,
            "suppressed_cells_audited": self.cells_audited,
            "findings": [asdict(f) for f in self.findings],
            "not_checkable": NOT_CHECKABLE,
        }


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(
            f"{path}: {what} is not readable JSON ({exc}); the export folder is unusable"
        ) from None


def check_export(export_dir: Path, profile: Profile) -> CheckResult:
    if not export_dir.is_dir():
        raise InputFileError(f"{export_dir}: not a folder; give the export folder to check")
    manifest_path = export_dir / "manifest.json"
    if not manifest_path.is_file():
        raise InputFileError(
            f"{export_dir}: no manifest.json; without it the export cannot be checked"
        )
    manifest = _load_json(manifest_path, "manifest.json")
    result = CheckResult(export_dir, profile.name)
    listed = _check_manifest(export_dir, manifest, result)
    log_path = export_dir / "disclosure-log.json"
    log: dict[str, Any] = {}
    if log_path.is_file():
        log = _load_json(log_path, "disclosure-log.json")
        logged = log.get("profile", {})
        if logged.get("name") != profile.name or logged.get("sha256") != profile.sha256:
            result.findings.append(Finding("disclosure-log.json", None, None, "profile_mismatch",
                f"the export was made with profile {logged.get('name')!r} ({str(logged.get('sha256'))[:12]}), "
                f"checked against {profile.name!r} ({profile.sha256[:12]})"))  # fmt: skip
    else:
        result.findings.append(
            Finding(
                "disclosure-log.json", None, None, "missing_log", "the disclosure log is missing"
            )
        )
    tables = {t.get("file"): t for t in log.get("tables", []) if isinstance(t, dict)}
    for rel in sorted(listed):
        path = export_dir / rel
        if path.suffix.lower() == ".csv" and path.is_file():
            _check_table(path, rel, tables.get(rel), profile, result)
    return result


def _check_manifest(export_dir: Path, manifest: Any, result: CheckResult) -> set[str]:
    entries = manifest.get("files", []) if isinstance(manifest, dict) else []
    listed: set[str] = set()
    for entry in entries:
        rel = str(entry.get("path", ""))
        listed.add(rel)
        path = export_dir / rel
        if not path.is_file():
            result.findings.append(
                Finding(rel, None, None, "missing_file", "listed in manifest.json but not present")
            )
            continue
        result.files_checked += 1
        if file_sha256(path) != entry.get("sha256"):
            result.findings.append(
                Finding(
                    rel,
                    None,
                    None,
                    "checksum",
                    "SHA-256 differs from manifest.json: changed after the run",
                )
            )
    present = {
        str(p.relative_to(export_dir)).replace("\\", "/")
        for p in export_dir.rglob("*")
        if p.is_file()
    }
    for rel in sorted(present - listed - EXEMPT):
        result.findings.append(
            Finding(
                rel, None, None, "unlisted_file", "present in the export but not in manifest.json"
            )
        )
        listed.add(rel)
    return listed


def _read(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, separator=";", infer_schema=False)
    except Exception as exc:  # any polars parse error makes the table unreadable
        raise NbnbError(
            f"{path}: not a readable ;-separated table ({type(exc).__name__})"
        ) from None


def _check_table(
    path: Path, rel: str, meta: dict[str, Any] | None, profile: Profile, result: CheckResult
) -> None:
    frame = _read(path)
    result.tables_checked += 1
    for column in frame.columns:
        if profile.is_forbidden_column(column):
            result.findings.append(
                Finding(
                    rel,
                    1,
                    column,
                    "forbidden_column",
                    f"identifier or single-unit column {column!r}",
                )
            )
        if profile.is_protected_dimension(column):
            result.findings.append(
                Finding(
                    rel, 1, column, "protected_dimension", f"results per {column!r} are not allowed"
                )
            )
    if "n" not in frame.columns:
        result.findings.append(
            Finding(rel, 1, None, "no_count", "table has no n column: units behind cells unknown")
        )
        return
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
                result.findings.append(Finding(rel, row["_row"], column, "suppressed_value_published",
                                               "a suppressed cell shows a value"))  # fmt: skip
    shown = cells.filter(~status.str.starts_with("suppressed"))
    if "statistic" in shown.columns:
        for row in shown.filter(pl.col("statistic").is_not_null()).iter_rows(named=True):
            if profile.is_forbidden_statistic(str(row["statistic"])):
                result.findings.append(Finding(rel, row["_row"], "statistic", "forbidden_statistic",
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
    for row in judged.filter(pl.col("rule").is_not_null()).iter_rows(named=True):
        result.findings.append(Finding(rel, row["_row"], "n" if row["kind"] != "count" else "value", row["rule"],
                                       f"published {row['kind']} cell fails the {row['rule']} rule"))  # fmt: skip
    if meta and meta.get("additive"):
        _audit_table(frame, rel, meta, profile, result)


def _audit_table(
    frame: pl.DataFrame, rel: str, meta: dict[str, Any], profile: Profile, result: CheckResult
) -> None:
    """Rebuild each count statistic's additive table from the published cells and audit it."""
    dims = list(meta.get("dims", []))
    strata = list(meta.get("strata", []))
    total = str(meta.get("total_label") or "Total")
    if not dims or any(d not in frame.columns for d in dims):
        result.findings.append(Finding(rel, None, None, "audit_impossible",
                                       "log marks the table additive but its dimensions are missing"))  # fmt: skip
        return
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
            result.findings.append(Finding(label, None, None, "audit_impossible",
                                           "the table misses cells or margins of an additive table"))  # fmt: skip
            continue
        for parent, children in equations:
            complete = parent not in suppressed and not suppressed.intersection(children)
            if complete and abs(sum(values[c] for c in children) - values[parent]) > 1e-6:
                result.findings.append(Finding(label, None, None, "margins_inconsistent",
                                               f"cells do not add up to {parent}"))  # fmt: skip
        if not suppressed:
            continue
        intervals = audit(AdditiveTable(values, equations), suppressed)
        result.cells_audited += len(intervals)
        for key, (low, high) in intervals.items():
            if high - low < profile.protection_width:
                result.findings.append(Finding(label, None, ",".join(key), "narrow_interval",
                    f"suppressed cell {key} can be narrowed to [{low:g}, {high:g}], narrower than "
                    f"{profile.protection_width:g}"))  # fmt: skip
