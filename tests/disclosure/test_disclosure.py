"""Disclosure control: no small count is published, suppression survives subtraction, pooling
keeps totals, every decision is logged, and the steward's check finds planted violations."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbnb_cbs.disclosure import (
    AdditiveTable,
    apply_table,
    audit,
    check_export,
    load_profile,
    log_header,
    pool_categories,
    pool_series,
)
from nbnb_cbs.errors import ConfigError, DisclosureError
from tests.conftest import Cli

CBS = load_profile("cbs")
ACRO = load_profile("acro")


@st.composite
def count_tables(draw: st.DrawFn, max_rows: int = 20, max_cols: int = 20) -> pl.DataFrame:
    rows = draw(st.integers(1, max_rows))
    cols = draw(st.integers(1, max_cols))
    values = draw(
        st.lists(
            st.sampled_from([0, 1, 2, 4, 7, 9, 10, 11, 15, 30, 60, 150]),
            min_size=rows * cols,
            max_size=rows * cols,
        )
    )
    return pl.DataFrame(
        {"r": [f"r{i:02d}" for i in range(rows) for _ in range(cols)],
         "c": [f"c{j:02d}" for _ in range(rows) for j in range(cols)], "n": values}
    )  # fmt: skip


@given(count_tables(max_rows=6, max_cols=6), st.sampled_from([CBS, ACRO]), st.sampled_from([0, 5]))
def test_no_small_count_published(table: pl.DataFrame, profile: object, rounding: int) -> None:
    """Whatever the table and profile, no published count lies in 1..threshold-1."""
    out = apply_table(table, profile, rounding=rounding).published  # type: ignore[arg-type]
    shown = out.filter(~pl.col("status").str.starts_with("suppressed"))["n"]
    assert not ((shown > 0) & (shown < 10)).any()
    assert (
        out.filter(pl.col("status").str.starts_with("suppressed"))["n"].null_count()
        == out.filter(pl.col("status").str.starts_with("suppressed")).height
    )


def _additive(
    published: pl.DataFrame, dims: list[str]
) -> tuple[AdditiveTable, set[tuple[str, ...]]]:
    """Rebuild the attacker's view from the published table alone."""
    values, hidden = {}, set()
    for row in published.iter_rows(named=True):
        key = tuple(str(row[d]) for d in dims)
        if row["status"].startswith("suppressed"):
            hidden.add(key)
            values[key] = 0.0
        else:
            values[key] = float(row["n"])
    rows = sorted({k[0] for k in values if k[0] != "Total"})
    cols = sorted({k[1] for k in values if k[1] != "Total"})
    eqs = [((r, "Total"), tuple((r, c) for c in cols)) for r in rows]
    eqs += [(("Total", c), tuple((r, c) for r in rows)) for c in cols]
    eqs += [
        (("Total", "Total"), tuple((r, "Total") for r in rows)),
        (("Total", "Total"), tuple(("Total", c) for c in cols)),
    ]
    return AdditiveTable(values, eqs), hidden


@settings(max_examples=25)
@given(count_tables())
def test_suppressed_cells_cannot_be_narrowed(table: pl.DataFrame) -> None:
    """An independent LP audit of the published 2-D table leaves every hidden cell >= 10 wide."""
    try:
        applied = apply_table(table, CBS, dims=["r", "c"], margins=True)
    except DisclosureError:
        return  # a table that cannot be protected is refused, never published
    published = applied.published
    assert published.height == table.height + table["r"].n_unique() + table["c"].n_unique() + 1
    additive, hidden = _additive(published, ["r", "c"])
    for low, high in audit(additive, hidden).values():
        assert high - low >= CBS.protection_width - 1e-6


def test_subtraction_attack_is_blocked() -> None:
    """Primary suppression alone would let an attacker recover the cell from its row total."""
    table = pl.DataFrame(
        {"sex": ["m", "m", "v", "v"], "work": ["ja", "nee", "ja", "nee"], "n": [4, 50, 30, 40]}
    )
    applied = apply_table(table, CBS, margins=True)
    out = applied.published
    hidden = out.filter(pl.col("status").str.starts_with("suppressed"))
    assert hidden.height >= 4  # the small cell and enough complements to close a cycle
    additive, keys = _additive(out, ["sex", "work"])
    derived = audit(additive, keys)
    for low, high in derived.values():
        assert high - low >= 10
    logged = [c for c in applied.review["cells"] if c["status"].startswith("suppressed")]
    assert all("interval" in c and "n" not in c and "value" not in c for c in logged)
    # The log tells nothing beyond what the published table already lets anyone derive.
    for cell in logged:
        key = (cell["dims"]["sex"], cell["dims"]["work"])
        assert cell["interval"] == pytest.approx(list(derived[key]))


def test_margins_given_must_add_up() -> None:
    table = pl.DataFrame({"sex": ["m", "v", "Total"], "n": [20, 30, 55]})
    with pytest.raises(DisclosureError, match="not additive"):
        apply_table(table, CBS, margins=True)
    ok = apply_table(table.with_columns(n=pl.Series([20, 30, 50])), CBS, margins=True)
    assert ok.published.height == 3


@given(st.lists(st.integers(0, 40), min_size=1, max_size=40))
def test_pooling_keeps_total_and_reaches_threshold(counts: list[int]) -> None:
    pools = pool_series(counts, 10)
    assert sum(p.total for p in pools) == sum(counts)
    assert [i for p in pools for i in p.members] == list(range(len(counts)))
    if sum(counts) >= 10:
        assert all(p.total >= 10 for p in pools)


def test_pooled_series_like_the_study() -> None:
    table = pl.DataFrame({"month": [f"2019-{m:02d}" for m in range(1, 13)], "statistic": "inflow",
                          "n": [41, 48, 5, 3, 2, 12, 1, 1, 1, 30, 4, 2]})  # fmt: skip
    out = apply_table(table, CBS, pool_over="month").published
    assert out["value"].sum() == pytest.approx(150)
    pooled = out.filter(pl.col("status") == "pooled")
    assert set(pooled["pool"]) == {"2019-03..2019-05", "2019-07..2019-12"}
    assert pooled.filter(pl.col("month") == "2019-04")["value"].item() == pytest.approx(10 / 3)


def test_pool_categories() -> None:
    labels = pool_categories({"a": 50, "b": 3, "c": 8, "d": 12}, 10)
    assert labels == {"a": "a", "b": "other", "c": "other", "d": "d"}
    # b + c = 7 is still small, so the next smallest joins "other" too.
    labels = pool_categories({"a": 50, "b": 3, "c": 4, "d": 12}, 10)
    assert labels == {"a": "a", "b": "other", "c": "other", "d": "other"}


def test_shares_means_and_dominance() -> None:
    table = pl.DataFrame(
        {
            "group": ["g1", "g2", "g3", "g4", "g5"],
            "statistic": ["share_100", "share_100", "mean", "mean", "mean"],
            "value": [0.95, 0.5, 0.8, 1600.0, 1600.0],
            "n": [100, 40, 8, 50, 50],
            "total": [None, None, None, 80000.0, 80000.0],
            "top1": [None, None, None, 60000.0, 2000.0],
            "top2": [None, None, None, 15000.0, 1900.0],
        }
    )
    out = apply_table(table, CBS, dims=["group"])
    rules = dict(zip(out.published["group"], [c["rule"] for c in out.review["cells"]], strict=True))
    assert rules == {
        "g1": "share_complement",
        "g2": None,
        "g3": "threshold_n",
        "g4": "dominance_nk",
        "g5": None,
    }
    assert "top1" not in out.published.columns and "top2" not in out.published.columns


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (pl.DataFrame({"sex": ["m"], "count": [12]}), "no count column"),
        (pl.DataFrame({"sex": ["m", "v"], "n": [12, -3]}), "negative"),
        (pl.DataFrame({"project": ["p1"], "n": [12]}), "not allowed"),
        (pl.DataFrame({"RINPERSOON": ["1"], "n": [12]}), "forbids"),
        (pl.DataFrame({"g": ["a"], "statistic": ["median"], "value": [3.0], "n": [40]}), "median"),
    ],
)
def test_refused_tables(frame: pl.DataFrame, fragment: str) -> None:
    with pytest.raises(DisclosureError, match=fragment):
        apply_table(frame, CBS)


def test_profiles(tmp_path: Path) -> None:
    assert CBS.complement and not ACRO.complement
    assert len(CBS.sha256) == 64 and all(CBS.sources.values())
    bad = tmp_path / "mine.toml"
    bad.write_text('name = "mine"\nthreshold = { value = 10 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"threshold|source"):
        load_profile(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_profile(tmp_path / "nope.toml")


def _export(folder: Path, tables: dict[str, pl.DataFrame], logs: list[dict[str, object]]) -> None:
    (folder / "tables").mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_csv(folder / "tables" / name, separator=";")
    (folder / "disclosure-log.json").write_text(
        json.dumps(log_header(CBS) | {"tables": logs}), encoding="utf-8"
    )
    files = [p for p in folder.rglob("*") if p.is_file()]
    manifest = {
        "files": [
            {
                "path": str(p.relative_to(folder)),
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            }
            for p in files
        ]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _clean_export(folder: Path) -> None:
    table = pl.DataFrame(
        {"sex": ["m", "m", "v", "v"], "work": ["ja", "nee", "ja", "nee"], "n": [4, 50, 30, 40]}
    )
    applied = apply_table(table, CBS, margins=True)
    shares = apply_table(
        pl.DataFrame({"g": ["a"], "statistic": ["share_working"], "value": [0.5], "n": [40]}), CBS
    )
    _export(folder, {"work.csv": applied.published, "shares.csv": shares.published},
            [applied.log | {"file": "tables/work.csv"}, shares.log | {"file": "tables/shares.csv"}])  # fmt: skip


def test_check_table_rules_pass_on_a_clean_table(tmp_path: Path) -> None:
    """The per-table re-test and LP audit pass a protected table (whole exports: test_steward)."""
    from nbnb_cbs.disclosure.check import table_rules_pass

    _clean_export(tmp_path / "export")
    result = check_export(tmp_path / "export", CBS, passes=[("tables", table_rules_pass)])
    assert result.clean, result.findings
    assert result.report()["suppressed_cells_audited"] >= 4


def test_check_finds_planted_violations(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "export"
    _clean_export(export)
    work = pl.read_csv(export / "tables" / "work.csv", separator=";")
    # 1: un-suppress a complementary cell so the hidden cell can be recovered by subtraction.
    secondary = (
        (pl.col("status") == "suppressed") & (pl.col("sex") == "m") & (pl.col("work") == "nee")
    )
    leaked = work.with_columns(
        n=pl.when(secondary).then(50).otherwise(pl.col("n")),
        status=pl.when(secondary).then(pl.lit("published")).otherwise(pl.col("status")),
    )  # fmt: skip
    leaked.write_csv(export / "tables" / "work.csv", separator=";")
    # 2: a small count, 3: an identifier column, 4: a file not in the manifest.
    pl.DataFrame({"RINPERSOON": ["000000001"], "g": ["a"], "n": [3]}).write_csv(
        export / "tables" / "extra.csv", separator=";"
    )
    code, _, _ = cli("disclosure", "check", export, "--report", tmp_path / "report.json")
    assert code == 1
    rules = {
        f["rule"]
        for f in json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["findings"]
    }
    assert {
        "checksum",
        "narrow_interval",
        "unlisted_file",
        "forbidden_column",
        "threshold",
    } <= rules


def test_check_unusable_folder(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("disclosure", "check", tmp_path / "missing")
    assert code == 2 and "not a folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli("disclosure", "check", tmp_path / "empty")
    assert code == 2 and "manifest.json" in err


def test_apply_cli(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(
        "sex;region;n\nm;a;25\nm;b;3\nm;c;40\nv;a;12\nv;b;30\nv;c;18\n", encoding="utf-8"
    )
    code, out, _ = cli("disclosure", "apply", source, "--out", tmp_path / "p.csv", "--margins")
    assert code == 0 and "suppressed" in out
    log = json.loads((tmp_path / "p.log.json").read_text(encoding="utf-8"))
    assert log["profile"]["name"] == "cbs" and log["tables"][0]["additive"]
    text = (tmp_path / "p.csv").read_text(encoding="utf-8")
    assert ";3;" not in text and "m;b;;suppressed" in text
    code, _, err = cli(
        "disclosure", "apply", source, "--out", tmp_path / "q.csv", "--count", "aantal"
    )
    assert code == 2 and "no count column" in err


def test_statistics_share_their_cells_fate_within_strata() -> None:
    """A small group's n, mean and share are hidden, and so is its sibling: otherwise the overall
    row minus the sibling gives the small group's n (and n x mean its total) back."""
    rows = []
    for group, parts in {
        "exit_work": {"true": 8, "false": 120, "Total": 128},
        "worked_1m": {"true": 30, "false": 90, "Total": 120},
    }.items():
        for sectoral, n in parts.items():
            rows += [
                {"group": group, "sectoral": sectoral, "statistic": "n", "value": float(n), "n": n},
                {"group": group, "sectoral": sectoral, "statistic": "mean", "value": 0.8, "n": n},
                {
                    "group": group,
                    "sectoral": sectoral,
                    "statistic": "share_100",
                    "value": 0.5,
                    "n": n,
                },
            ]
    out = apply_table(
        pl.DataFrame(rows),
        CBS,
        dims=["group", "sectoral"],
        margins=True,
        strata=["group"],
        no_dominance_risk=True,
    ).published
    exit_rows = out.filter(pl.col("group") == "exit_work")
    hidden = exit_rows.filter(pl.col("status").str.starts_with("suppressed"))
    assert set(hidden["sectoral"]) == {"true", "false"} and hidden.height == 6
    assert exit_rows.filter(pl.col("sectoral") == "Total")["status"].to_list() == ["published"] * 3
    assert out.filter(pl.col("group") == "worked_1m")["status"].unique().to_list() == ["published"]
