"""``disclosure apply a.csv b.csv``: a researcher's own tables that count the same persons.

Protected one at a time, two tables with a shared column give each other's hidden cells away
(table a hides the region totals, table b publishes them). Protected together, an attacker who
solves the LP over the cross-classification of both tables pins nothing. The attacker here is
written apart from the tool: scipy over the 12 cells of sex x region x age.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
from scipy.optimize import linprog

from tests.conftest import Cli

T = 10
SEX, REGION, AGE = ["m", "v"], ["a", "b", "c"], ["jong", "oud"]
CELLS = list(itertools.product(SEX, REGION, AGE))
# Persons per cell of the cross-classification (the researcher's microdata, never published).
PERSONS = dict(zip(CELLS, [12, 8, 0, 15, 8, 1, 15, 5, 3, 5, 0, 1], strict=True))
DIMS = ("sex", "region", "age")


def _covers(where: dict[str, str], cell: tuple[str, ...]) -> bool:
    return all(where.get(d, "Total") in ("Total", v) for d, v in zip(DIMS, cell, strict=True))


def _write(folder: Path) -> tuple[Path, Path]:
    """Table a: sex x region, table b: region x age, both with their margins."""
    a = [(s, r, sum(n for c, n in PERSONS.items() if _covers({"sex": s, "region": r}, c)))
         for s in [*SEX, "Total"] for r in [*REGION, "Total"]]  # fmt: skip
    b = [(r, g, sum(n for c, n in PERSONS.items() if _covers({"region": r, "age": g}, c)))
         for r in [*REGION, "Total"] for g in [*AGE, "Total"]]  # fmt: skip
    pa, pb = folder / "a.csv", folder / "b.csv"
    pl.DataFrame(a, schema=["sex", "region", "n"], orient="row").write_csv(pa, separator=";")
    pl.DataFrame(b, schema=["region", "age", "n"], orient="row").write_csv(pb, separator=";")
    return pa, pb


def _attack(published: list[Path]) -> list[str]:
    """Every cell of the cross-classification pinned to 1..9, and every suppressed cell left an
    interval narrower than 10, from all published rows together."""
    rows: list[list[float]] = []
    values: list[float] = []
    hidden: list[dict[str, str]] = []
    for path in published:
        frame = pl.read_csv(path, separator=";", infer_schema=False)
        dims = [d for d in DIMS if d in frame.columns]
        for r in frame.iter_rows(named=True):
            where = {d: r[d] for d in dims}
            if r["status"] == "suppressed":
                hidden.append(where)
                continue
            rows.append([1.0 if _covers(where, c) else 0.0 for c in CELLS])
            values.append(float(r["n"]))

    def bounds(cost: np.ndarray) -> tuple[float, float]:
        low = linprog(cost, A_eq=rows, b_eq=values, bounds=(0, None), method="highs").fun
        high = -linprog(-cost, A_eq=rows, b_eq=values, bounds=(0, None), method="highs").fun
        return float(low), float(high)

    found = []
    for k, cell in enumerate(CELLS):
        low, high = bounds(np.eye(len(CELLS))[k])
        if 1 - 1e-7 <= low < T - 1e-7 and high - low < T - 1e-7:
            found.append(f"{cell} holds [{low:g}, {high:g}]")
    for where in hidden:
        low, high = bounds(np.array([1.0 if _covers(where, c) else 0.0 for c in CELLS]))
        if high - low < T - 1e-7:
            found.append(f"hidden {where} is [{low:g}, {high:g}]")
    return found


def test_tables_protected_apart_leak_and_together_do_not(cli: Cli, tmp_path: Path) -> None:
    a, b = _write(tmp_path)
    for table in (a, b):  # one at a time: each passes its own additive audit
        code, _, err = cli("disclosure", "apply", table, "--out", tmp_path / f"alone-{table.name}",
                           "--margins")  # fmt: skip
        assert code == 0, err
    leaks = _attack([tmp_path / "alone-a.csv", tmp_path / "alone-b.csv"])
    assert any("hidden" in leak for leak in leaks), leaks  # the attack is real
    code, out, err = cli("disclosure", "apply", a, b, "--out", tmp_path / "joint")
    assert code == 0, err
    assert "release.log.json" in out and "2 tables as one" in out
    published = [tmp_path / "joint" / "a.csv", tmp_path / "joint" / "b.csv"]
    assert _attack(published) == []
    for path in published:
        frame = pl.read_csv(path, separator=";", infer_schema=False)
        assert set(frame["status"].to_list()) <= {"published", "suppressed"}
        counts = [float(n) for n in frame["n"].drop_nulls().to_list()]
        assert not [n for n in counts if 0 < n < T], path.name
    log = json.loads((tmp_path / "joint" / "release.log.json").read_text(encoding="utf-8"))
    assert log["joint"]["atoms"] == len(CELLS) and log["joint"]["secondary_suppressions"] > 0
    assert "complementary" not in json.dumps(log) and "rule" not in json.dumps(log["tables"])
    review = json.loads((tmp_path / "joint" / "release.review.json").read_text(encoding="utf-8"))
    assert any(c.get("rule") == "complementary" for t in review["tables"] for c in t["cells"])


def test_tables_that_disagree_are_refused(cli: Cli, tmp_path: Path) -> None:
    a, b = _write(tmp_path)
    text = b.read_text(encoding="utf-8").replace("Total;Total;73", "Total;Total;80")
    assert text != b.read_text(encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    code, _, err = cli("disclosure", "apply", a, b, "--out", tmp_path / "joint")
    assert code == 2 and "do not count the same persons" in err
    assert not (tmp_path / "joint").exists()


def test_one_table_options_are_refused_for_several(cli: Cli, tmp_path: Path) -> None:
    a, b = _write(tmp_path)
    code, _, err = cli("disclosure", "apply", a, b, "--out", tmp_path / "j", "--rounding", "10")
    assert code == 2 and "--rounding applies to one table" in err
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = cli("disclosure", "apply", a, b, "--out", tmp_path / "file")
    assert code == 2 and "is a file" in err
