"""Any column name works as a dimension of ``disclosure apply``: the published values equal those of
the same table with a neutral name, or the name is refused with exit 2 and one line."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given
from polars.testing import assert_frame_equal

from nbnb_cbs.cells import RESERVED_COLUMNS, is_pattern
from nbnb_cbs.disclosure import apply_table, load_profile
from nbnb_cbs.errors import NbnbError
from tests.conftest import Cli
from tests.strategies import RESERVED_AND_INTERNAL_NAMES, column_names

CBS = load_profile("cbs")
# region x sex with one small cell (north, v = 4): suppression and its complements depend on it.
ROWS = [("north", "m", 25), ("north", "v", 4), ("south", "m", 40), ("south", "v", 12),
        ("east", "m", 30), ("east", "v", 18)]  # fmt: skip
MAGNITUDE = "region;sex;statistic;value;n;total;top1;top2\n" + "".join(
    f"{r};{s};mean_hours;{n / 2};{n};{n * n / 2};{n / 4};{n / 8}\n" for r, s, n in ROWS
)
COUNTS = "region;sex;n\n" + "".join(f"{r};{s};{n}\n" for r, s, n in ROWS)
CLI_NAMES = [n for n in RESERVED_AND_INTERNAL_NAMES if n.strip() and n != "n"]


def _run(cli: Cli, tmp_path: Path, text: str, column: str, *extra: str, back: bool = True) -> tuple[int, str, pl.DataFrame | None]:  # fmt: skip
    """Run apply on ``text`` with its dimension ``region`` called ``column``; the published table
    with the column called ``region`` again (``back``)."""
    folder = tmp_path / f"c{abs(hash(column))}"
    folder.mkdir(exist_ok=True)
    source = folder / "t.csv"
    source.write_text(text.replace("region", column, 1), encoding="utf-8")
    code, _, err = cli("disclosure", "apply", source, "--out", folder / "p.csv", *extra)
    if code != 0:
        return code, err, None
    published = pl.read_csv(folder / "p.csv", separator=";", infer_schema=False)
    return (
        code,
        err,
        published.rename({column: "region"}) if back and column != "region" else published,
    )


@pytest.mark.parametrize("text", [COUNTS, MAGNITUDE], ids=["counts", "magnitude"])
@pytest.mark.parametrize("column", CLI_NAMES)
def test_reserved_name_as_dimension(cli: Cli, tmp_path: Path, column: str, text: str) -> None:
    """A reserved or internal name as a dimension publishes what the neutral name does, or exits 2
    with one line naming the column; never wrong output, never exit 3."""
    extra = ("--margins", "--dims", f"{column},sex") if text is COUNTS else ()
    code0, err0, neutral = _run(cli, tmp_path, text, "region", *(("--margins", "--dims", "region,sex") if extra else ()))  # fmt: skip
    assert code0 == 0, err0
    code, err, published = _run(cli, tmp_path, text, column, *extra)
    # File columns match the cell vocabulary case-insensitively (as every reader's contract does).
    if column.lower() in RESERVED_COLUMNS:
        assert code == 2, err
        lines = [line for line in err.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and repr(column.lower()) in lines[0], err
        assert any(hint in lines[0] for hint in ("--rename", "more than once", "unknown statistic"))
    else:
        assert code == 0, err
        assert published is not None and neutral is not None
        assert_frame_equal(published, neutral)


@pytest.mark.parametrize("column", ["status", "pool", "value", "total", "top1", "statistic"])
def test_rename_makes_a_shadowing_column_a_dimension(cli: Cli, tmp_path: Path, column: str) -> None:
    """--rename OLD=NEW turns a refused column into an ordinary dimension with the same output."""
    _, _, neutral = _run(cli, tmp_path, COUNTS, "region", "--margins")
    code, err, published = _run(
        cli, tmp_path, COUNTS, column, "--margins", "--rename", f"{column}=region", back=False
    )
    assert code == 0, err
    assert published is not None and neutral is not None
    assert_frame_equal(published, neutral)


def _table(dimension: str) -> pl.DataFrame:
    return pl.DataFrame(
        {dimension: [r for r, _, _ in ROWS], "sex": [s for _, s, _ in ROWS],
         "n": [n for _, _, n in ROWS]}
    )  # fmt: skip


@given(column_names())
@example("*")  # polars reads these names as patterns of column names (found by hypothesis)
@example("^sex$")
def test_any_column_name_as_dimension(column: str) -> None:
    """For any name: the same published values as a neutral name, or a one-line NbnbError."""
    if column in ("sex", "region"):
        return
    neutral = apply_table(_table("region"), CBS, margins=True).published
    try:
        published = apply_table(_table(column), CBS, margins=True).published
    except NbnbError as exc:
        assert (column in RESERVED_COLUMNS or is_pattern(column)) and "\n" not in str(exc)
        return
    assert column not in RESERVED_COLUMNS and not is_pattern(column)
    assert_frame_equal(published.rename({column: "region"}), neutral)
    assert not (set(published.columns) - {column, "sex", "n", "status"})
