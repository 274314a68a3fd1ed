"""Linkage: normalisers, prepare's accounting of every row, the simulated match and the yield."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs import synth
from nbnb_cbs.io.readers import Table
from nbnb_cbs.linkage import match_files, prepare_files
from nbnb_cbs.linkage.normalise import (
    house_number_parts,
    postcode_expr,
    postcode_valid_expr,
    sex_expr,
)
from nbnb_cbs.linkage.prepare import prepare_frames
from tests.conftest import Cli
from tests.strategies import registrations

HOUSE_CASES = [
    ("12", None, (12, "", "")),
    ("12a", None, (12, "A", "")),
    ("12A", None, (12, "A", "")),
    ("12 A", None, (12, "A", "")),
    ("12-a", None, (12, "A", "")),
    ("12/a", None, (12, "A", "")),
    ("12A-4", None, (12, "A", "4")),
    ("12a4", None, (12, "A", "4")),
    ("12-2", None, (12, "", "2")),
    ("12/2", None, (12, "", "2")),
    ("12 2", None, (12, "", "2")),
    ("12 bis", None, (12, "", "BIS")),
    ("12bis", None, (12, "", "BIS")),
    ("12-II", None, (12, "", "II")),
    ("12 iii", None, (12, "", "III")),
    ("12 hs", None, (12, "", "HS")),
    ("12hs", None, (12, "", "HS")),
    ("12 huis", None, (12, "", "HS")),
    ("12-1e", None, (12, "", "1")),
    ("12 1 hoog", None, (12, "", "1")),
    ("12-1e etage", None, (12, "", "1")),
    ("12 2e verdieping", None, (12, "", "2")),
    (" 12 ", None, (12, "", "")),
    ("12A bis", None, (12, "A", "BIS")),
    ("12b-ii", None, (12, "B", "II")),
    ("12B/2", None, (12, "B", "2")),
    ("12 B 2", None, (12, "B", "2")),
    ("99999", None, (99999, "", "")),
    ("1", None, (1, "", "")),
    ("12", "a", (12, "A", "")),
    ("12", "bis", (12, "", "BIS")),
    ("12", "2", (12, "", "2")),
    ("12a", "2", (12, "A", "2")),
    ("12", "-II", (12, "", "II")),
    ("12", "  ", (12, "", "")),
    ("12-a-1", None, (12, "A", "1")),
    ("t/m 12", None, None),
    ("12 t/m 14", None, None),
    ("abc", None, None),
    ("a12", None, None),
    ("0", None, None),
    ("123456", None, None),
    ("12 abcde", None, None),
    ("#12", None, None),
]


@pytest.mark.parametrize(("field", "addition", "expected"), HOUSE_CASES)
def test_house_number_forms(
    field: str, addition: str | None, expected: tuple[int, str, str] | None
) -> None:
    frame = pl.DataFrame({"h": [field], "t": [addition]}, schema={"h": pl.String, "t": pl.String})
    parts = frame.select(p=house_number_parts(pl.col("h"), pl.col("t"))).unnest("p").row(0)
    got = None if parts[0] is None else (parts[0], parts[1], parts[2])
    assert got == expected
    assert len(HOUSE_CASES) >= 40


@given(
    st.integers(1, 99999),
    st.sampled_from(["", "A", "Z"]),
    st.sampled_from(["", "1", "BIS", "II", "HS"]),
)
def test_house_number_idempotent(number: int, letter: str, addition: str) -> None:
    """Formatting the parts back and parsing again gives the same parts."""
    text = f"{number}{letter}" + (f"-{addition}" if addition else "")
    frame = pl.DataFrame({"h": [text]}).select(p=house_number_parts(pl.col("h"))).unnest("p")
    assert frame.row(0)[:3] == (number, letter, addition)
    again = pl.DataFrame({"h": [f"{number}{letter}"], "t": [addition]})
    frame2 = again.select(p=house_number_parts(pl.col("h"), pl.col("t"))).unnest("p")
    assert frame2.row(0)[:3] == (number, letter, addition)


@given(
    st.from_regex(r"[1-9][0-9]{3}[A-RT-Z][A-Z]", fullmatch=True),
    st.lists(st.sampled_from([" ", "\t", ""]), min_size=7, max_size=7),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_every_valid_postcode_normalises_to_itself(
    pc: str, spaces: list[str], lower: list[bool]
) -> None:
    typed = "".join(
        sp + (ch.lower() if lo else ch) for sp, ch, lo in zip(spaces, pc, [*lower], strict=False)
    )
    typed += spaces[-1]
    frame = pl.DataFrame({"p": [typed, pc]}).select(n=postcode_expr(pl.col("p")))
    assert frame["n"].to_list() == [pc, pc]
    again = frame.select(n=postcode_expr(pl.col("n")))
    assert again["n"].to_list() == [pc, pc]
    assert frame.select(v=postcode_valid_expr(pl.col("n")))["v"].all()


@pytest.mark.parametrize(
    ("raw", "valid"),
    [
        ("1234AB", True),
        ("0123AB", False),
        ("1234SA", False),
        ("1234SD", False),
        ("1234SS", False),
        ("123AB", False),
        ("1234A", False),
    ],
)
def test_postcode_validity(raw: str, valid: bool) -> None:
    assert pl.DataFrame({"p": [raw]}).select(postcode_valid_expr(pl.col("p")))["p"][0] is valid


def test_sex_codes() -> None:
    raw = [
        "M",
        "v",
        "F",
        "man",
        "Vrouw",
        "male",
        "female",
        "1",
        "2",
        "X",
        "anders",
        "onbekend",
        "",
        None,
    ]
    got = (
        pl.DataFrame({"s": raw}, schema={"s": pl.String})
        .select(sex_expr(pl.col("s")).alias("s"))["s"]
        .to_list()
    )
    assert got == [1, 2, 2, 1, 2, 1, 2, 1, 2, None, None, None, None, None]


@given(registrations())
def test_every_row_in_keys_or_rejects(frame: pl.DataFrame) -> None:
    """Each registration row appears exactly once in keys or rejects."""
    from nbnb_cbs.io.readers import _resolve
    from nbnb_cbs.schemas import REGISTRATION

    table = Table(frame, Path("generated.csv"))
    _resolve(table, REGISTRATION, {}, None)
    result = prepare_frames(table, seed=1)
    assert result.keys.height + result.rejects.height == frame.height
    rows = sorted(result.rejects["source_row"].to_list())
    assert len(rows) == len(set(rows))
    assert result.keys["record_id"].is_not_null().all()
    assert result.keys["record_id"].n_unique() == result.keys.height


@pytest.fixture(scope="module")
def linked_synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, synth.SynthData]:
    folder = tmp_path_factory.mktemp("linkage")
    data = synth.build(synth.SynthOptions())
    synth.write(data, folder / "data", "parquet")
    prepare_files(folder / "data" / "registration.csv", folder / "prep", seed=3)
    match_files(folder / "prep" / "keys.csv", folder / "data" / "register", folder / "linked.csv")
    return folder, data


def test_no_false_links_and_calibrated_yield(linked_synth: tuple[Path, synth.SynthData]) -> None:
    folder, data = linked_synth
    linked = pl.read_csv(
        folder / "linked.csv", separator=";", schema_overrides={"RINPERSOON": pl.String}
    )
    cross = pl.read_csv(folder / "prep" / "crosswalk.csv", separator=";")
    joined = linked.join(cross, on="record_id").join(
        data.truth, on="participant_id", suffix="_true"
    )
    hits = joined.filter(pl.col("RINPERSOON").is_not_null())
    assert (hits["RINPERSOON"] == hits["RINPERSOON_true"]).all()
    share = hits.height / data.truth.height
    assert 0.70 <= share <= 0.80, share


def test_prepare_outputs(linked_synth: tuple[Path, synth.SynthData]) -> None:
    folder, _ = linked_synth
    keys_text = (folder / "prep" / "keys.csv").read_text(encoding="utf-8")
    assert keys_text.splitlines()[0] == (
        "record_id;geslacht;geboortejaar;geboortemaand;geboortedag;postcode;huisnummer;"
        "huisletter;huisnummertoevoeging;peildatum"
    )
    assert '""' not in keys_text
    summary = json.loads((folder / "prep" / "summary.json").read_text(encoding="utf-8"))
    assert summary["reconciled"] and summary["rows_read"] == summary["keys"] + summary["rejected"]
    analysis = pl.read_parquet(folder / "prep" / "analysis.parquet")
    for forbidden in (
        "participant_id",
        "postcode",
        "house_number",
        "house_number_addition",
        "birth_date",
    ):
        assert forbidden not in analysis.columns
    assert analysis["exit_date"].dtype == pl.Date
    rejects = pl.read_csv(folder / "prep" / "rejects.csv", separator=";")
    assert set(rejects["reason"]) <= set(summary["rejected_by_reason"])


def test_crosswalk_is_reused(tmp_path: Path) -> None:
    data = synth.build(synth.SynthOptions(participants=60, seed=9))
    synth.write(data, tmp_path, "csv")
    first = prepare_files(tmp_path / "registration.csv", tmp_path / "out").crosswalk
    second = prepare_files(tmp_path / "registration.csv", tmp_path / "out").crosswalk
    assert first.sort("participant_id").equals(second.sort("participant_id"))
    assert not first["record_id"].str.contains("D0").any()


def test_ambiguous_keys_rejected_or_kept() -> None:
    frame = pl.DataFrame(
        {
            "participant_id": ["a", "b", "c"],
            "consent": ["ja"] * 3,
            "sex": ["M", "M", "V"],
            "birth_year": ["1990", "1990", "1990"],
            "postcode": ["1234AB"] * 3,
            "house_number": ["1", "1", "1"],
            "reference_date": ["20220331"] * 3,
        }
    )
    result = prepare_frames(Table(frame, Path("x.csv")), seed=1)
    assert result.rejects["reason"].to_list() == ["ambiguous_key", "ambiguous_key"]
    kept = prepare_frames(Table(frame, Path("x.csv")), keep_ambiguous=True, seed=1)
    assert kept.keys.height == 3 and kept.summary["keys_ambiguous_kept"] == 2


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("deelnemer_id;geslacht;postcode\n1;M;1234AB\n", "consent"),
        ("", "empty"),
        ("deelnemer_id|geslacht|postcode\n1|M|1234AB\n", "'|'"),
    ],
)
def test_prepare_bad_input(cli: Cli, tmp_path: Path, content: str, fragment: str) -> None:
    reg = tmp_path / "reg.csv"
    reg.write_text(content, encoding="utf-8")
    code, _, err = cli("linkage", "prepare", reg, "--out", tmp_path / "out")
    assert code == 2
    assert fragment in err and str(reg) in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_chain(cli: Cli, tmp_path: Path) -> None:
    assert cli("synth", "--out", tmp_path / "d", "--participants", "100")[0] == 0
    code, out, _ = cli(
        "linkage", "prepare", tmp_path / "d" / "registration.csv", "--out", tmp_path / "p"
    )
    assert code == 0 and "keys written" in out
    code, out, _ = cli(
        "linkage",
        "match",
        tmp_path / "p" / "keys.csv",
        "--register",
        tmp_path / "d" / "register",
        "--out",
        tmp_path / "linked.csv",
    )
    assert code == 0 and "linked" in out
    code, out, _ = cli(
        "linkage",
        "yield",
        "--analysis",
        tmp_path / "p" / "analysis.parquet",
        "--linked",
        tmp_path / "linked.csv",
        "--by",
        "sectoral",
        "--out",
        tmp_path / "w",
    )
    assert code == 0
    cells = pl.read_csv(tmp_path / "w" / "yield.csv", separator=";")
    assert set(cells["statistic"]) == {"records", "linked", "share_linked"}
