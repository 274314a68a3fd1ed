"""Every profile setting reaches its rule: changing it changes which cells are published."""

from __future__ import annotations

import dataclasses

import polars as pl

from nbnb_cbs.disclosure import Profile, apply_table, load_profile

CBS = load_profile("cbs")


def _with(**changes: object) -> Profile:
    return dataclasses.replace(CBS, **changes)  # type: ignore[arg-type]


def _suppressed(table: pl.DataFrame, profile: Profile, key: str = "g", **options: object) -> set[str]:  # fmt: skip
    out = apply_table(table, profile, **options).published  # type: ignore[arg-type]
    return set(out.filter(pl.col("status") == "suppressed")[key].to_list())


def test_threshold() -> None:
    """Threshold 10 hides 5; threshold 13 hides 5 and 12."""
    table = pl.DataFrame({"g": ["a", "b", "c"], "n": [5, 12, 30]})
    assert _suppressed(table, _with(threshold=10)) == {"a"}
    assert _suppressed(table, _with(threshold=13)) == {"a", "b"}


def test_zeros() -> None:
    """zeros = suppress hides an empty cell; zeros = allow publishes it."""
    table = pl.DataFrame({"g": ["a", "b"], "n": [0, 20]})
    assert _suppressed(table, _with(zeros="suppress")) == {"a"}
    assert _suppressed(table, _with(zeros="allow")) == set()


def test_complement() -> None:
    """A share of 0.95 of 100 reveals 5 who are not: hidden only when complement is on."""
    table = pl.DataFrame({"g": ["a"], "statistic": ["share_working"], "value": [0.95], "n": [100]})
    assert _suppressed(table, _with(complement=True)) == {"a"}
    assert _suppressed(table, _with(complement=False)) == set()


MAGNITUDE = pl.DataFrame(
    {"g": ["a"], "statistic": ["mean_wage"], "value": [5.0], "n": [20], "total": [100.0],
     "top1": [60.0], "top2": [35.0]}
)  # fmt: skip


def test_nk_n() -> None:
    """(60 + 35) > 0.9 x 100 dominates with nk_n = 2; 60 alone does not with nk_n = 1."""
    assert _suppressed(MAGNITUDE, _with(nk_n=2, nk_k=0.9, p_ratio=0.0)) == {"a"}
    assert _suppressed(MAGNITUDE, _with(nk_n=1, nk_k=0.9, p_ratio=0.0)) == set()


def test_nk_k() -> None:
    """With nk_n = 1 the largest unit (60 of 100) dominates when nk_k = 0.5, not when 0.9."""
    assert _suppressed(MAGNITUDE, _with(nk_n=1, nk_k=0.5, p_ratio=0.0)) == {"a"}
    assert _suppressed(MAGNITUDE, _with(nk_n=1, nk_k=0.9, p_ratio=0.0)) == set()


def test_p_ratio() -> None:
    """The rest (30) estimates the largest (40) within 75 %: hidden for p = 0.8, not for p = 0.1."""
    table = MAGNITUDE.with_columns(top1=pl.lit(40.0), top2=pl.lit(30.0))
    assert _suppressed(table, _with(p_ratio=0.1)) == set()
    assert _suppressed(table, _with(p_ratio=0.8)) == {"a"}


def test_protection_width() -> None:
    """Width 10: hiding b (50) leaves a in [0, 54]; width 100 also needs c hidden."""
    table = pl.DataFrame({"g": ["a", "b", "c"], "n": [4, 50, 60]})
    assert _suppressed(table, _with(protection_width=10.0), margins=True) == {"a", "b"}
    assert _suppressed(table, _with(protection_width=100.0), margins=True) == {
        "a",
        "b",
        "c",
    }


def test_rounding() -> None:
    """rounding = 5 publishes 12 as 10 and 23 as 25 (status rounded); 0 leaves them."""
    table = pl.DataFrame({"g": ["a", "b"], "n": [12, 23]})
    plain = apply_table(table, CBS).published
    rounded = apply_table(table, CBS, rounding=5).published
    assert plain["n"].to_list() == [12, 23] and set(plain["status"]) == {"published"}
    assert rounded["n"].to_list() == [10, 25] and set(rounded["status"]) == {"rounded"}


def test_dof_threshold_is_loaded_and_described() -> None:
    """dof_threshold (for the future models command) is loaded and logged with its source."""
    described = CBS.describe()
    assert described["values"]["dof_threshold"] == 10 and described["sources"]["dof_threshold"]
