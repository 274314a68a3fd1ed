"""``disclosure apply`` on tables researchers bring: the bugs of issue 12 stay fixed."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.cells import Reason
from nbnb_cbs.disclosure import apply_table, load_profile
from nbnb_cbs.errors import ConfigError, DisclosureError
from tests.conftest import Cli

CBS = load_profile("cbs")


def _apply(cli: Cli, tmp_path: Path, text: str, *extra: str) -> tuple[int, str, pl.DataFrame | None]:  # fmt: skip
    source = tmp_path / "t.csv"
    source.write_text(text, encoding="utf-8")
    code, _, err = cli("disclosure", "apply", source, "--out", tmp_path / "p.csv", *extra)
    if code != 0:
        return code, err, None
    return code, err, pl.read_csv(tmp_path / "p.csv", separator=";", infer_schema=False)


def test_threshold_on_n_not_value(cli: Cli, tmp_path: Path) -> None:
    """A mean of 2150.5 over n = 3 is never published: without a statistic it is refused, with one
    it is suppressed on n."""
    text = "g;value;n\na;2150.5;3\nb;40;40\n"
    code, err, _ = _apply(cli, tmp_path, text)
    assert code == 2 and "differs from n" in err and "--statistic" in err
    code, err, out = _apply(cli, tmp_path, text, "--statistic", "mean_wage", "--no-dominance-risk")
    assert code == 0, err
    assert out is not None and "2150.5" not in (tmp_path / "p.csv").read_text(encoding="utf-8")
    assert out.filter(pl.col("g") == "a")["status"].to_list() == ["suppressed"]
    log = json.loads((tmp_path / "p.log.json").read_text(encoding="utf-8"))["tables"][0]
    assert log["no_dominance_risk"] is True and log["statistic"] == "mean_wage"


def test_pooling_within_each_statistic() -> None:
    """Inflow 3 and outflow 20 of one month are not averaged together: each statistic is pooled
    over its own months."""
    table = pl.DataFrame(
        {"month": ["2021-01", "2021-01", "2021-02", "2021-02"],
         "statistic": ["inflow", "outflow", "inflow", "outflow"], "n": [3, 20, 12, 15]}
    )  # fmt: skip
    out = apply_table(table, CBS, pool_over="month").published.sort("statistic", "month")
    inflow = out.filter(pl.col("statistic") == "inflow")
    outflow = out.filter(pl.col("statistic") == "outflow")
    assert inflow["value"].to_list() == [7.5, 7.5] and inflow["status"].to_list() == ["pooled"] * 2
    assert inflow["pool"].to_list() == ["2021-01..2021-02"] * 2
    assert outflow["value"].to_list() == [20.0, 15.0]
    assert outflow["status"].to_list() == ["published"] * 2


def test_decimal_comma(cli: Cli, tmp_path: Path) -> None:
    """A ;-separated value 1234,5 is read as 1234.5 (as the readers do), never blanked."""
    text = "g;statistic;value;n;total;top1;top2\na;mean_hours;1234,5;20;24690;1300;1250\n"
    code, err, out = _apply(cli, tmp_path, text)
    assert code == 0, err
    assert out is not None and out["value"].to_list() == ["1234.5"]
    assert out["status"].to_list() == ["published"]


def test_dutch_margin_not_doubled(cli: Cli, tmp_path: Path) -> None:
    """A Totaal margin without --total-label is recognised: no Total row, totals not doubled."""
    text = "region;n\nnorth;30\nsouth;40\nTotaal;70\n"
    code, err, out = _apply(cli, tmp_path, text, "--margins")
    assert code == 0, err
    assert out is not None and sorted(out["region"].to_list()) == ["Totaal", "north", "south"]
    assert out.filter(pl.col("region") == "Totaal")["n"].to_list() == ["70"]
    code, err, _ = _apply(cli, tmp_path, text, "--margins", "--total-label", "Total")
    assert code == 2 and "--total-label Totaal" in err


def test_two_margin_labels_refused() -> None:
    """A table mixing Total and Alle as margins is refused with a hint, not guessed."""
    table = pl.DataFrame({"r": ["a", "b", "Total", "Alle"], "n": [30, 40, 70, 70]})
    with pytest.raises(DisclosureError, match="--total-label"):
        apply_table(table, CBS, margins=True)


def test_unknown_statistic_lists_known() -> None:
    """An unknown statistic name is refused, listing the known ones."""
    table = pl.DataFrame({"g": ["a"], "statistic": ["gini"], "value": [0.3], "n": [50]})
    with pytest.raises(DisclosureError, match=r"'gini' is unknown.*counts: count, n, records"):
        apply_table(table, CBS)


def test_magnitude_without_top_contributions_refused() -> None:
    """A mean without top1/top2 cannot be checked for dominance: refused unless declared safe."""
    table = pl.DataFrame({"g": ["a"], "statistic": ["mean_wage"], "value": [2500.0], "n": [50]})
    with pytest.raises(DisclosureError, match="dominance cannot be checked"):
        apply_table(table, CBS)
    applied = apply_table(table, CBS, no_dominance_risk=True)
    assert applied.published["status"].to_list() == ["published"]
    assert applied.log["no_dominance_risk"] is True


def test_released_log_has_no_reasons(cli: Cli, tmp_path: Path) -> None:
    """Released statuses and the log never say why; the review file beside the output does."""
    text = "sex;region;n\nm;a;25\nm;b;3\nm;c;40\nv;a;12\nv;b;30\nv;c;0\n"
    code, err, out = _apply(cli, tmp_path, text, "--margins")
    assert code == 0, err
    assert out is not None and set(out["status"]) <= {"published", "suppressed"}
    log = json.loads((tmp_path / "p.log.json").read_text(encoding="utf-8"))
    released = json.dumps(log["tables"]) + (tmp_path / "p.csv").read_text(encoding="utf-8")
    for reason in Reason:
        assert f'"{reason.value}"' not in released and f";{reason.value}" not in released
    assert '"cells"' not in released
    review = json.loads((tmp_path / "p.review.json").read_text(encoding="utf-8"))["tables"][0]
    rules = {c["rule"] for c in review["cells"] if c["rule"]}
    assert {"threshold", "zero", "complementary"} <= rules


def test_nk_n_above_two_is_a_config_error(tmp_path: Path) -> None:
    """nk_n = 3 cannot be applied (cells carry two contributions): a ConfigError naming the key."""
    text = (Path(__file__).parents[2] / "nbnb_cbs" / "profiles" / "cbs.toml").read_text(encoding="utf-8")  # fmt: skip
    mine = tmp_path / "mine.toml"
    mine.write_text(text.replace("nk_n = { value = 2", "nk_n = { value = 3"), encoding="utf-8")
    with pytest.raises(ConfigError, match="'nk_n' is 3"):
        load_profile(mine)
