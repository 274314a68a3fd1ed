"""Writes the malformed-input corpus (run once; the files are committed). python make_corpus.py"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
REG_HEADER = "deelnemer_id;toestemming;geslacht;geboortejaar;postcode;huisnummer;peildatum;instroomdatum;uitstroomdatum;uitstroom\n"
REG_ROW = "D1;ja;M;1990;1234 AB;12a;31-03-2022;01-02-2020;01-06-2021;betaald werk\n"
JOBS_HEADER = "RINPERSOONS;RINPERSOON;IKVID;SDATUMAANVANGIKO;SDATUMEINDEIKO;SBASISUREN;SBASISLOON\n"
JOB_ROW = "R;000000001;1;20210101;20210131;120;1800\n"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def main() -> None:
    # registrations
    text("reg_empty.csv", "")
    text("reg_header_only.csv", REG_HEADER)
    text("reg_pipe_delimiter.csv", (REG_HEADER + REG_ROW).replace(";", "|"))
    text("reg_ragged_rows.csv", REG_HEADER + REG_ROW.rstrip("\n") + ";extra;fields;here\n")
    text("reg_bom.csv", "\ufeff" + REG_HEADER + REG_ROW)
    text(
        "reg_cp1252_accents.csv",
        REG_HEADER.replace("uitstroom\n", "uitstroom;project\n")
        + REG_ROW.rstrip("\n")
        + ";Café Zuidoost\n",
        "cp1252",
    )
    text("reg_truncated_last_line.csv", REG_HEADER + REG_ROW + "D2;ja;V;1985;5678 CD")
    text(
        "reg_duplicated_column.csv",
        REG_HEADER.replace("geslacht", "geslacht;Geslacht") + REG_ROW.replace(";M;", ";M;M;"),
    )
    text(
        "reg_missing_postcode.csv",
        REG_HEADER.replace("postcode;", "") + REG_ROW.replace("1234 AB;", ""),
    )
    text(
        "reg_impossible_date.csv",
        REG_HEADER.replace("instroomdatum;", "")
        + REG_ROW.replace("31-03-2022", "31-02-2021").replace("01-02-2020;", ""),
    )
    rows = [
        REG_ROW.replace("D1", f"D{i}").replace("31-03-2022", d).replace("12a", str(i))
        for i, d in enumerate(["20220331", "2022-03-31", "31-03-2022", "31/03/2022"], 1)
    ]
    text("reg_four_date_formats.csv", REG_HEADER + "".join(rows))
    text("reg_duplicated_ids.csv", REG_HEADER + REG_ROW + REG_ROW.replace("12a", "14"))
    text("reg_one_megabyte_field.csv", REG_HEADER + REG_ROW.replace("12a", "1" + "x" * 1_000_000))
    text("reg_nul_byte.csv", REG_HEADER + REG_ROW.replace("1234 AB", "1234\x00AB"))
    (HERE / "reg_xlsx_renamed.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    (HERE / "reg_spreadsheet.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40)
    text(
        "reg_unknown_sex_codes.csv",
        REG_HEADER
        + "".join(
            REG_ROW.replace("D1", f"D{i}").replace(";M;", f";{s};")
            for i, s in enumerate(["X", "anders", "onbekend", ""], 1)
        ),
    )
    text(
        "reg_no_consent_column.csv",
        REG_HEADER.replace("toestemming;", "") + REG_ROW.replace("ja;", "", 1),
    )
    text("reg_house_number_ranges.csv", REG_HEADER + REG_ROW.replace("12a", "12 t/m 14"))
    (HERE / "a_directory.csv").mkdir(exist_ok=True)
    (HERE / "a_directory.csv" / ".keep").write_text("a directory where a file is expected\n")
    # jobs
    text("jobs_text_in_hours.csv", JOBS_HEADER + JOB_ROW + JOB_ROW.replace(";120;", ";veel;"))
    text("jobs_end_before_start.csv", JOBS_HEADER + JOB_ROW.replace("20210131", "20201231"))
    text("jobs_negative_hours.csv", JOBS_HEADER + JOB_ROW.replace(";120;1800", ";-8;-100"))
    text(
        "jobs_sentinel_dates.csv",
        JOBS_HEADER
        + JOB_ROW.replace("20210131", "99999999")
        + JOB_ROW.replace("20210101", "88888888"),
    )
    text("jobs_rin_with_letters.csv", JOBS_HEADER + JOB_ROW.replace("000000001", "00000A001"))
    text(
        "jobs_no_rinpersoon.csv",
        JOBS_HEADER.replace("RINPERSOON;", "", 1).replace("RINPERSOONS", "RINPERSOONS")
        + JOB_ROW.replace("000000001;", ""),
    )
    text("jobs_decimal_comma.csv", JOBS_HEADER + JOB_ROW.replace(";120;1800", ';120,5;"1.800,25"'))
    text("jobs_not_spss.sav", "this is a text file with a .sav name\n")
    text("jobs_impossible_date.csv", JOBS_HEADER + JOB_ROW.replace("20210131", "20210231"))
    # linked, tables, profiles, project files
    text("linked_wrong_columns.csv", "id;rin\nK1;000000001\n")
    text("table_negative_counts.csv", "sex;n\nm;25\nv;-3\n")
    text("table_no_count.csv", "sex;aantal\nm;25\nv;30\n")
    text("table_bad_margins.csv", "sex;n\nm;25\nv;30\nTotal;60\n")
    text("profile_missing_source.toml", 'name = "mine"\nthreshold = { value = 10 }\n')
    text(
        "project_unknown_key.toml",
        '[inputs]\njobs = "jobs.csv"\n[analysis]\nend = "2021-12"\nanker = "exit"\n',
    )
    text("project_wrong_type.toml", '[inputs]\njobs = "jobs.csv"\n[analysis]\nend = 2021\n')
    text("project_not_toml.toml", "[inputs\njobs = jobs.csv\n")
    # companions for durability cases
    text(
        "good_analysis.csv",
        "record_id;exit_date;exit_destination;entry_date\nK1;15-06-2020;work;01-02-2019\n",
    )
    text("good_linked.csv", "record_id;RINPERSOONS;RINPERSOON\nK1;R;000000001\n")
    text("good_jobs.csv", JOBS_HEADER + JOB_ROW)


if __name__ == "__main__":
    main()
