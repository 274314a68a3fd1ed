"""The steward's re-check of survival tables from their files: an honest table passes the whole
check; each doctored one is named by file, line and rule."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.disclosure import check_export, load_profile
from nbnb_cbs.disclosure.steward.model import load_export
from nbnb_cbs.disclosure.steward.run import PASSES
from nbnb_cbs.disclosure.steward.survival import survival_pass
from nbnb_cbs.io.published import CSV_FORMATS, write_published
from nbnb_cbs.survival import survival_table
from tests.disclosure.steward_corpus import dumps, rehash, rerender

CBS = load_profile("cbs")
REL = "tables/survival_first_spell.csv"


def _honest() -> pl.DataFrame:
    """A published table with several steps, a 12-month step and a half-survival interval."""
    times = [m for m in range(1, 31) for _ in range(12)]
    events = [i % 12 < 9 for i in range(len(times))]
    table = survival_table(times, events, CBS.threshold)
    assert table.reason is None and len(table.steps) >= 4
    return table.published


@pytest.fixture(scope="module")
def honest_export(clean_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("survival") / "export"
    shutil.copytree(clean_export, target)
    honest = _honest()
    write_published(honest, target / REL, CSV_FORMATS["nl"])
    log_path = target / "disclosure-log.json"
    log = json.loads(log_path.read_text(encoding="utf-8"))
    for entry in log["tables"]:  # the log says how many cells of each status the table has
        if entry["file"] == REL:
            entry["status_counts"] = dict(honest.group_by("status").len().iter_rows())
    log_path.write_text(dumps(log), encoding="utf-8")  # as nbnb-cbs writes it
    rerender(target)
    rehash(target)
    return target


def test_honest_table_passes_the_whole_check(honest_export: Path) -> None:
    """The replaced table, re-rendered and re-hashed, leaves the check clean (survival pass run)."""
    result = check_export(honest_export, CBS, passes=PASSES)
    assert "survival" in result.passes
    assert result.findings == []


def _text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.all().cast(pl.String))


def _set(row: int, **values: str | None) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        is_row = pl.int_range(pl.len()) == row
        return frame.with_columns(
            pl.when(is_row).then(pl.lit(v, pl.String)).otherwise(pl.col(c)).alias(c)
            for c, v in values.items()
        )

    return fn


def _next_at_risk_minus(k: int) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Step k+1 shows 3 fewer at risk: 3 persons censored within step k (below the threshold)."""

    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        value = int(frame["at_risk"][k + 1]) - 3
        return _set(k + 1, at_risk=str(value))(frame)

    return fn


def _hide_one_step(frame: pl.DataFrame) -> pl.DataFrame:
    return _set(1, at_risk=None, events=None, survival=None, lower=None, upper=None,
                status="suppressed")(frame)  # fmt: skip


def _move_half(frame: pl.DataFrame) -> pl.DataFrame:
    half = frame.filter(pl.col("statistic") == "half_interval").row(0, named=True)
    row = frame["statistic"].to_list().index("half_interval")
    return _set(row, from_month="1", to_month=str(int(half["from_month"]) - 1))(frame)


DOCTORED: list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame], str, str]] = [
    ("events_below_threshold", _set(0, events="9"), "small_events", "events"),
    ("at_risk_below_threshold", _set(3, at_risk="8"), "small_at_risk", "at_risk"),
    ("few_censored", _next_at_risk_minus(0), "small_censored", "at_risk"),
    ("survival_changed", _set(1, survival="0,5"), "survival_differs", "survival"),
    ("limit_changed", _set(2, upper="0,999"), "survival_differs", "upper"),
    ("one_step_hidden", _hide_one_step, "partial_suppression", "status"),
    ("half_interval_moved", _move_half, "summary_differs", "from_month"),
    ("pooled_called_published", _set(1, status="published"), "pool_label", "status"),
    ("identifier_column", lambda f: f.with_columns(record_id=pl.lit("r1")), "unexpected_column", "record_id"),
    ("text_in_number", _set(0, at_risk="128 persons"), "not_a_number", "at_risk"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "doctor", "rule", "column"), DOCTORED, ids=[d[0] for d in DOCTORED]
)
def test_doctored_survival_table_is_named(
    honest_export: Path,
    tmp_path: Path,
    name: str,
    doctor: Callable[[pl.DataFrame], pl.DataFrame],
    rule: str,
    column: str,
) -> None:
    """The survival pass names the doctored file, the column and the rule (the export's CSV
    format is nl: a decimal comma)."""
    target = tmp_path / "export"
    shutil.copytree(honest_export, target)
    frame = pl.read_csv(target / REL, separator=";", infer_schema=False)
    doctor(_text(frame)).write_csv(target / REL, separator=";")
    findings = survival_pass(load_export(target), [], CBS)
    assert any(f.file == REL and f.rule == rule and f.column == column for f in findings), [
        (f.rule, f.column, f.row) for f in findings
    ]
    honest = survival_pass(load_export(honest_export), [], CBS)
    assert honest == []


@pytest.mark.parametrize("written", ["{}.0", " {}"])
def test_a_survival_size_not_written_whole_is_a_finding(honest_export: Path, tmp_path: Path, written: str) -> None:  # fmt: skip
    """Red team 19: an at-risk count written "565.0" or " 565" failed the joint audit's whole-
    number read, and the table was dropped from the release model without a finding (the hidden
    cell it pins then passed)."""
    from nbnb_cbs.disclosure.release_audit import audit_release

    target = tmp_path / "export"
    shutil.copytree(honest_export, target)
    frame = pl.read_csv(target / REL, separator=";", infer_schema=False)
    frame = _set(0, at_risk=written.format(frame["at_risk"][0]))(frame)
    frame.write_csv(target / REL, separator=";")
    rehash(target)
    findings = audit_release(load_export(target), [], CBS)
    assert any(f.rule == "unreadable_for_audit" and f.file == REL for f in findings), findings
