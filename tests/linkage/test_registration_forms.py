"""Registrations as researchers really store them: SPSS/Stata codes with value labels, digits of
other scripts, and the normalised research variables in analysis.parquet."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyreadstat
import pytest

from nbnb_cbs import synth
from nbnb_cbs.linkage.normalise import sex_expr
from nbnb_cbs.schemas import destination_expr, yes_no_expr
from tests.conftest import Cli

DESTINATION_CODES = {
    1: "Betaald werk",
    2: "Reguliere opleiding",
    3: "Leerwerktraject",
    4: "Werkervaringsplaats",
    5: "Uitval",
    6: "Overig",
    7: "Onbekend",
}
_CODE_OF = {
    "work": 1,
    "education": 2,
    "work_and_learn": 3,
    "work_experience": 4,
    "dropout": 5,
    "other": 6,
    "unknown": 7,
}


@pytest.fixture(scope="module")
def registration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reg")
    data = synth.build(synth.SynthOptions(participants=150, seed=5, messiness=0.3))
    data.registration.write_csv(folder / "registration.csv", separator=";")
    return folder / "registration.csv"


def _as_spss(csv: Path) -> pl.DataFrame:
    """The registration as SPSS stores it: numeric codes (doubles) with value labels."""
    reg = pl.read_csv(csv, separator=";", infer_schema=False)
    return reg.with_columns(
        geslacht=sex_expr(pl.col("geslacht")).cast(pl.Float64),
        toestemming=yes_no_expr("toestemming").cast(pl.Float64),
        sectorale_insteek=yes_no_expr("sectorale_insteek").cast(pl.Float64),
        geboortejaar=pl.col("geboortejaar").cast(pl.Float64, strict=False),
        uitstroom=destination_expr("uitstroom")
        .fill_null("unknown")
        .replace_strict(_CODE_OF)
        .cast(pl.Float64),
    )


LABELS = {
    "geslacht": {1: "Man", 2: "Vrouw"},
    "toestemming": {1: "Ja", 0: "Nee"},
    "sectorale_insteek": {1: "Ja", 0: "Nee"},
    "uitstroom": DESTINATION_CODES,
}


def _prepare(cli: Cli, registration: Path, out: Path) -> pl.DataFrame:
    code, _, err = cli("linkage", "prepare", registration, "--out", out)
    assert code == 0, err
    keys = pl.read_csv(out / "keys.csv", separator=";", infer_schema=False)
    crosswalk = pl.read_csv(out / "crosswalk.csv", separator=";", infer_schema=False)
    return keys.join(crosswalk, on="record_id").drop("record_id").sort("participant_id")


def _analysis(out: Path) -> pl.DataFrame:
    analysis = pl.read_parquet(out / "analysis.parquet")
    crosswalk = pl.read_csv(out / "crosswalk.csv", separator=";", infer_schema=False)
    return analysis.join(crosswalk, on="record_id").drop("record_id").sort("participant_id")


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_registration_give_the_csv_keys(
    cli: Cli, tmp_path: Path, registration: Path, suffix: str
) -> None:
    """Numeric codes (1.0 -> 1), value labels (Man, Vrouw, Ja, Nee) and numeric years read as
    the CSV's values: the same keys and the same research variables."""
    frame = _as_spss(registration)
    path = tmp_path / f"registration{suffix}"
    if suffix == ".sav":
        pyreadstat.write_sav(frame, str(path), variable_value_labels=LABELS)
    else:
        codes = ["geslacht", "toestemming", "sectorale_insteek", "uitstroom"]
        frame = frame.with_columns(pl.col(codes).cast(pl.Int32))
        pyreadstat.write_dta(frame, str(path), variable_value_labels=LABELS)
    from_csv = _prepare(cli, registration, tmp_path / "csv")
    from_stat = _prepare(cli, path, tmp_path / "stat")
    assert from_stat.height == from_csv.height > 100
    assert from_stat.equals(from_csv)
    columns = ["participant_id", "sex", "sectoral", "consent", "exit_destination", "birth_year"]
    assert (
        _analysis(tmp_path / "stat")
        .select(columns)
        .equals(_analysis(tmp_path / "csv").select(columns))
    )


def test_codes_without_labels_read_as_integer_text(cli: Cli, tmp_path: Path) -> None:
    """An SPSS file without value labels: 1.0/2.0 and 2001.0 still read as 1/2 and 2001."""
    frame = pl.DataFrame(
        {
            "deelnemer_id": ["a", "b"],
            "toestemming": [1.0, 1.0],
            "geslacht": [1.0, 2.0],
            "geboortejaar": [1980.0, 2001.0],
            "postcode": ["1234AB", "2345BC"],
            "huisnummer": [12.0, 7.0],
            "peildatum": [20220331.0, 20220331.0],
        }
    )
    pyreadstat.write_sav(frame, str(tmp_path / "reg.sav"))
    keys = _prepare(cli, tmp_path / "reg.sav", tmp_path / "out")
    assert keys["geslacht"].to_list() == ["1", "2"]
    assert keys["geboortejaar"].to_list() == ["1980", "2001"]
    assert keys["huisnummer"].to_list() == ["12", "7"]
    assert keys["peildatum"].to_list() == ["20220331", "20220331"]


def test_analysis_holds_normalised_values(cli: Cli, tmp_path: Path, registration: Path) -> None:
    """sex is man/woman, yes/no columns are booleans, destinations canonical - once, here."""
    code, _, err = cli("linkage", "prepare", registration, "--out", tmp_path / "out")
    assert code == 0, err
    analysis = pl.read_parquet(tmp_path / "out" / "analysis.parquet")
    assert set(analysis["sex"].drop_nulls()) <= {"man", "woman"}
    assert analysis["sex"].null_count() == 0  # rows with an unknown sex were rejected
    assert analysis.schema["sectoral"] == pl.Boolean
    assert analysis.schema["consent"] == pl.Boolean


SCRIPTS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "full-width": "０１２３４５６７８９",
    "bengali": "০১২৩৪৫৬৭৮৯",
}


def _digits(text: str, script: str) -> str:
    return "".join(SCRIPTS[script][int(ch)] if ch.isdigit() else ch for ch in text)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_digits_of_any_script(cli: Cli, tmp_path: Path, script: str) -> None:
    """House numbers, postcodes, years and dates in other scripts read as ASCII; a letter of
    another script is rejected with its reason; never a crash."""
    rows = [
        "deelnemer_id;toestemming;geslacht;geboortejaar;postcode;huisnummer;peildatum",
        f"a;ja;M;{_digits('1980', script)};{_digits('1234', script)} AB;{_digits('12', script)}a;"
        f"{_digits('31-03-2022', script)}",
        f"b;ja;V;1981;2345BC;{_digits('7', script)} ب;20220331",
    ]
    reg = tmp_path / "reg.csv"
    reg.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = cli("linkage", "prepare", reg, "--out", tmp_path / "out")
    assert code == 0, err
    keys = pl.read_csv(tmp_path / "out" / "keys.csv", separator=";", infer_schema=False)
    assert keys.select("geboortejaar", "postcode", "huisnummer", "huisletter", "peildatum").row(
        0
    ) == ("1980", "1234AB", "12", "A", "20220331")
    rejects = pl.read_csv(tmp_path / "out" / "rejects.csv", separator=";", infer_schema=False)
    assert rejects["reason"].to_list() == ["house_number_invalid"]


def test_all_rows_rejected_is_an_error(cli: Cli, tmp_path: Path, registration: Path) -> None:
    """Codes the tool cannot read reject every row: exit 2 naming the reason, no keys.csv."""
    reg = pl.read_csv(registration, separator=";", infer_schema=False)
    bad = tmp_path / "reg.csv"
    reg.with_columns(geslacht=pl.lit("3")).write_csv(bad, separator=";")
    code, out, err = cli("linkage", "prepare", bad, "--out", tmp_path / "out")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "sex_unknown" in err and "Man/Vrouw" in err and "Send" not in out
    assert not (tmp_path / "out" / "keys.csv").exists()
    assert (tmp_path / "out" / "rejects.csv").exists()
