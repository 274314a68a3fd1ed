"""Readers: every format round-trips, sniffing works, bad files fail with file and column named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nbnb_cbs.errors import ColumnError, InputFileError, ValueParseError
from nbnb_cbs.io.readers import read_table
from nbnb_cbs.schemas import (
    JOBS,
    LINKED,
    REGISTRATION,
    person_key,
    person_key_lookup,
    person_key_of,
)

JOBS_FRAME = pl.DataFrame(
    {
        "RINPERSOONS": ["R", "R", "R"],
        "RINPERSOON": ["000000123", "000000456", "987654321"],
        "IKVID": ["1", "2", "3"],
        "SBEID": ["900", "900", "901"],
        "SDATUMAANVANGIKO": ["20210101", "20210201", "20210301"],
        "SDATUMEINDEIKO": ["20210131", "99999999", "20210331"],
        "SBASISUREN": [120.5, 0.0, 80.0],
        "SBASISLOON": [1618.25, -10.0, 900.0],
        "SVOLTIJDDAGEN": [19.0, 0.0, 10.0],
        "SCONTRACTSOORT": ["O", "b", "B"],
        "SSOORTBAAN": ["9", "4", "5"],
        "SPOLISDIENSTVERBAND": ["1", "2", "2"],
    }
)


def _check_jobs(frame: pl.DataFrame) -> None:
    assert frame["RINPERSOON"].to_list() == ["000000123", "000000456", "987654321"]
    assert frame["SDATUMAANVANGIKO"].to_list() == [
        dt.date(2021, 1, 1),
        dt.date(2021, 2, 1),
        dt.date(2021, 3, 1),
    ]
    assert frame["SDATUMEINDEIKO"].to_list() == [dt.date(2021, 1, 31), None, dt.date(2021, 3, 31)]
    assert frame["SBASISUREN"].to_list() == [120.5, 0.0, 80.0]
    assert frame["SBASISLOON"].to_list() == [1618.25, -10.0, 900.0]


@pytest.mark.parametrize("separator", [";", ","])
def test_csv_round_trip(tmp_path: Path, separator: str) -> None:
    """A jobs CSV with either separator reads back typed; the sentinel end date is counted."""
    path = tmp_path / "jobs.csv"
    JOBS_FRAME.write_csv(path, separator=separator)
    table = read_table(path, JOBS)
    _check_jobs(table.frame)
    assert table.delimiter == separator
    assert table.counts["SDATUMEINDEIKO:sentinel"] == 1


def test_decimal_comma_with_semicolon(tmp_path: Path) -> None:
    """Dutch exports: ';' separator with decimal commas and thousands dots."""
    path = tmp_path / "jobs.csv"
    text = JOBS_FRAME.write_csv(separator=";")
    text = text.replace("120.5", "120,5").replace("1618.25", '"1.618,25"')
    path.write_text(text, encoding="utf-8")
    _check_jobs(read_table(path, JOBS).frame)


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "jobs.parquet"
    JOBS_FRAME.write_parquet(path)
    _check_jobs(read_table(path, JOBS).frame)


def test_sav_round_trip(tmp_path: Path) -> None:
    """SPSS files as CBS delivers them, written and read back through pyreadstat."""
    path = tmp_path / "jobs.sav"
    pyreadstat.write_sav(JOBS_FRAME, str(path))
    _check_jobs(read_table(path, JOBS).frame)


def test_dta_round_trip_lowercase_names(tmp_path: Path) -> None:
    """Stata files, with the lower-case variable names some years have."""
    path = tmp_path / "jobs.dta"
    lower = JOBS_FRAME.rename({c: c.lower() for c in JOBS_FRAME.columns})
    pyreadstat.write_dta(lower, str(path))
    _check_jobs(read_table(path, JOBS).frame)


def test_sav_numeric_rin_and_dates(tmp_path: Path) -> None:
    """Numeric RINPERSOON loses leading zeros in SPSS; it is padded back to nine digits."""
    path = tmp_path / "linked.sav"
    frame = pl.DataFrame(
        {"record_id": ["a", "b"], "RINPERSOONS": ["R", "R"], "RINPERSOON": [123.0, None]}
    )
    pyreadstat.write_sav(frame, str(path))
    out = read_table(path, LINKED).frame
    assert out["RINPERSOON"].to_list() == ["000000123", None]


def test_bom_and_cp1252(tmp_path: Path) -> None:
    """UTF-8 with BOM and Windows-1252 text both read with correct accents."""
    header = (
        "deelnemer_id;geslacht;geboortejaar;postcode;huisnummer;toestemming;instroomdatum;project\n"
    )
    row = "1;V;1990;1234 AB;12;ja;01-02-2020;Café Señor\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (header + row).encode("utf-8"))
    win = tmp_path / "win.csv"
    win.write_bytes((header + row).encode("cp1252"))
    for path, encoding in ((bom, "utf-8-sig"), (win, "cp1252")):
        table = read_table(path, REGISTRATION)
        assert table.encoding == encoding
        assert table.frame["project"].to_list() == ["Café Señor"]
        assert table.frame["participant_id"].to_list() == ["1"]


@pytest.mark.parametrize("at", [0, (1 << 20) - 5, (1 << 20) - 4, (3 << 20) + 5])
def test_encoding_found_after_ascii(tmp_path: Path, at: int) -> None:
    """The first non-ASCII text decides the encoding wherever it lies, also after megabytes of
    ASCII and split over the pieces the file is checked in: UTF-8 stays UTF-8 (an accent cut
    in two by a piece boundary included), Windows-1252 is found as such."""
    from nbnb_cbs.io.readers import sniff_text

    header = b"record_id;RINPERSOONS;RINPERSOON\n"
    filler = b"r1;R;000000001\n"
    # ``at`` bytes of ASCII before ";Caf": the accent then starts at byte ``at + 4``.
    lead = (header + filler * (at // len(filler) + 1))[: max(at, len(header))]
    for encoding, expected in (("utf-8", "utf-8"), ("cp1252", "cp1252")):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(lead + ";Café\n".encode(encoding) + filler * 3)
        assert sniff_text(path).encoding == expected


def test_aliases_and_case(tmp_path: Path) -> None:
    """Dutch aliases, odd case and spaces resolve to canonical names; user aliases too."""
    path = tmp_path / "reg.csv"
    path.write_text(
        "Deelnemer ID;GESLACHT;Geboortedatum;Postcode;HuisNr;Toestemming;Peildatum;Klant\n"
        "7;M;1990-05-01;1234AB;3;ja;20220331;x\n",
        encoding="utf-8",
    )
    table = read_table(path, REGISTRATION, aliases={"project": ["klant"]})
    assert {"participant_id", "sex", "birth_date", "house_number", "project"} <= set(
        table.frame.columns
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest-of-zip", "spreadsheet"),
        (b"a;b\x00;c\n1;2;3\n", "NUL"),
        (b"a|b|c\n1|2|3\n", "'|'"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=fragment) as info:
        read_table(path, JOBS)
    assert str(path) in str(info.value)


def test_missing_and_duplicated_columns(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    JOBS_FRAME.drop("RINPERSOON").write_csv(path, separator=";")
    with pytest.raises(ColumnError, match="RINPERSOON") as info:
        read_table(path, JOBS)
    assert str(path) in str(info.value) and "did you mean 'RINPERSOONS'" in str(info.value)
    dup = tmp_path / "dup.csv"
    dup.write_text("RINPERSOONS;RINPERSOON;rinpersoon\nR;1;1\n", encoding="utf-8")
    with pytest.raises(ColumnError, match="more than once"):
        read_table(dup, LINKED)


def test_text_in_numeric_column_names_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    JOBS_FRAME.with_columns(pl.col("SBASISUREN").cast(pl.String)).with_columns(
        pl.when(pl.int_range(3) == 1)
        .then(pl.lit("veel"))
        .otherwise(pl.col("SBASISUREN"))
        .alias("SBASISUREN")
    ).write_csv(path, separator=";")
    with pytest.raises(ValueParseError) as info:
        read_table(path, JOBS)
    message = str(info.value)
    assert "row 3" in message and "SBASISUREN" in message and "'veel'" in message


def test_rin_with_letters_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "linked.csv"
    path.write_text("record_id;RINPERSOONS;RINPERSOON\na;R;00012X456\n", encoding="utf-8")
    with pytest.raises(ValueParseError, match="row 2, column 'RINPERSOON'"):
        read_table(path, LINKED)


def test_unparseable_dates_are_counted_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "jobs.csv"
    JOBS_FRAME.with_columns(
        pl.Series("SDATUMAANVANGIKO", ["20210101", "31-02-2021", "2021-03-01"])
    ).write_csv(path, separator=";")
    table = read_table(path, JOBS)
    assert table.frame["SDATUMAANVANGIKO"].to_list() == [
        dt.date(2021, 1, 1),
        None,
        dt.date(2021, 3, 1),
    ]
    assert table.counts["SDATUMAANVANGIKO:unparseable"] == 1
    assert "row 3" in " ".join(table.notes)


def test_directory_xlsx_and_missing(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="directory"):
        read_table(tmp_path, JOBS)
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "nope.csv", JOBS)
    xlsx = tmp_path / "jobs.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputFileError, match="CSV"):
        read_table(xlsx, JOBS)


def test_not_spss(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sav"
    path.write_text("this is not SPSS", encoding="utf-8")
    with pytest.raises(InputFileError, match="SPSS"):
        read_table(path, JOBS)


def test_rows_progress_reads_the_same_table_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a rows callback a CSV is read in batches with the same result, and the callback
    sees the rows read growing to the file's row count (durability's progress on large files)."""
    from nbnb_cbs.io import readers

    path = tmp_path / "t.csv"
    lines = ["a;b"] + [f"{i};{'x' if i % 3 else ''}" for i in range(7)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = readers.read_table(path, protect=False).frame
    monkeypatch.setattr(readers, "_PROGRESS_ROWS", 2)
    seen: list[tuple[str, int, int | None]] = []
    batched = readers.read_table(path, protect=False, rows=lambda *a: seen.append(a)).frame
    assert batched.equals(whole) and batched.height == 7
    counts = [n for _, n, _ in seen]
    assert counts == sorted(counts) and counts[-1] == 7 and len(counts) >= 2
    assert {name for name, _, _ in seen} == {"t.csv"}


def test_cut_csv_reports_rows_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Durability's cut of a large jobs CSV to the cohort reports the rows it reads too."""
    from nbnb_cbs.io import readers

    path = tmp_path / "jobs.csv"
    header = "RINPERSOONS;RINPERSOON;IKVID;SDATUMAANVANGIKO;SDATUMEINDEIKO;SBASISUREN;SBASISLOON"
    rows = [f"R;{100000000 + i:09d};1;20200101;20200131;80;2000" for i in range(5)]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    cohort = readers.read_table(path, JOBS).frame.select(person_key().alias("pid")).head(2)
    monkeypatch.setattr(readers, "_PROGRESS_ROWS", 2)
    seen: list[int] = []
    cut = readers.read_text_for(path, JOBS, cohort, rows=lambda _name, n, _total: seen.append(n))
    assert cut.frame.height == 2 and seen and seen[-1] == 5 and seen == sorted(seen)


@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                st.sampled_from(["R", " r", "x", "", "RR", "é", "1"]),
                st.text(max_size=3),
            ),
            st.one_of(
                st.none(), st.from_regex(r"\s?[0-9]{1,9}\s?", fullmatch=True), st.text(max_size=4)
            ),
        ),
        max_size=40,
    )
)
def test_person_key_lookup_is_person_key(rows: list[tuple[str | None, str | None]]) -> None:
    """The letter looked up among the column's distinct values gives person_key's values."""
    frame = pl.DataFrame(
        rows, schema={"RINPERSOONS": pl.String, "RINPERSOON": pl.String}, orient="row"
    )
    expected = frame.select(person_key())["pid"]
    assert frame.select(person_key_of(frame))["pid"].equals(expected)
    assert frame.select(person_key_lookup(frame["RINPERSOONS"]))["pid"].equals(expected)


@pytest.mark.parametrize(("bad", "line", "column"), [(4, 6, "RINPERSOON"), (3, 5, "SBASISUREN")])
def test_cut_csv_in_batches_names_the_line_of_a_bad_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: int, line: int, column: str
) -> None:
    """The cut reads the file in batches (memory follows a batch, not the file) and still names
    the file's line of a bad value: a RINPERSOON anywhere, another column in a row kept."""
    from nbnb_cbs.errors import ValueParseError
    from nbnb_cbs.io import readers

    path = tmp_path / "jobs.csv"
    header = "RINPERSOONS;RINPERSOON;extra;SDATUMAANVANGIKO;SDATUMEINDEIKO;SBASISUREN;SBASISLOON"
    rows = [f"R;{100000000 + i:09d};x;20200101;20200131;80;2000" for i in range(7)]
    rows[bad] = (
        rows[bad].replace(";80;", ";8O;")
        if column == "SBASISUREN"
        else (rows[bad].replace(f"{100000000 + bad:09d}", "12x"))
    )
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    cohort = pl.DataFrame({"pid": [ord("R") * 10**9 + 100000000 + i for i in range(7)]})
    monkeypatch.setattr(readers, "_PROGRESS_ROWS", 2)
    with pytest.raises(ValueParseError) as caught:
        readers.read_text_for(path, JOBS, cohort)
    assert f"row {line}" in str(caught.value) and column in str(caught.value)
    good = tmp_path / "good.csv"
    good.write_text("\n".join([header, *rows[:bad]]) + "\n", encoding="utf-8")
    cut = readers.read_text_for(good, JOBS, cohort.head(2), keep_pid=True)
    assert cut.frame.height == 2 and "extra" not in cut.frame.columns
    assert cut.frame[readers.CONVERT_PID].to_list() == cohort["pid"].head(2).to_list()
