"""tables.xlsx in the reader's language: labelled headers, groups, statistics, statuses and model
terms, with typed numbers (counts whole, shares as fractions); read back from the file's XML."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl

from nbnb_cbs.export.workbook import workbook_sheets
from nbnb_cbs.io.writers import write_xlsx
from nbnb_cbs.survival import survival_table

_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def read_xlsx(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's cells: a shared string as text, a number as float (its type kept)."""
    with zipfile.ZipFile(path) as archive:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{_M}t"))
            for si in ET.fromstring(archive.read("xl/sharedStrings.xml")).findall(f"{_M}si")
        ]
        sheets = ET.fromstring(archive.read("xl/workbook.xml")).find(f"{_M}sheets")
        assert sheets is not None
        out: dict[str, list[list[object]]] = {}
        for i, sheet in enumerate(sheets, 1):
            rows = []
            for row in ET.fromstring(archive.read(f"xl/worksheets/sheet{i}.xml")).iter(f"{_M}row"):
                cells: list[object] = []
                for cell in row.findall(f"{_M}c"):
                    value = cell.find(f"{_M}v")
                    if value is None or value.text is None:
                        cells.append(None)
                    else:
                        shared = cell.get("t") == "s"
                        cells.append(strings[int(value.text)] if shared else float(value.text))
                rows.append(cells)
            out[str(sheet.get("name"))] = rows
    return out


def _frames() -> dict[str, pl.DataFrame]:
    durability = pl.DataFrame(
        {"group": ["exit_education", "enrolled_1m", "enrolled_1m"], "sectoral": ["Total"] * 3,
         "statistic": ["n", "n", "mean"], "value": [None, 59.0, 0.88], "n": [None, 59.0, 59.0],
         "status": ["suppressed", "published", "published"]}
    )  # fmt: skip
    survival = survival_table([m for m in range(1, 25) for _ in range(10)], [True] * 240, 10)
    # As the render reads a survival CSV back: text, here with the Dutch decimal comma.
    text = survival.published.with_columns(
        pl.all().cast(pl.String).str.replace(".", ",", literal=True)
    )
    return {"education": durability, "survival_first_spell": text}


def test_workbook_sheets_are_labelled_and_typed(tmp_path: Path) -> None:
    logs = {"education": {"kind": "education", "table": "education"},
            "survival_first_spell": {"kind": "survival", "table": "survival_first_spell"}}  # fmt: skip
    coefficients = pl.DataFrame({"term": ["(intercept)", "sex: woman"], "B": [-0.37, -0.17],
                                 "SE": [0.13, 0.16], "Exp(B)": [0.69, 0.84], "p": [0.0035, 0.29]})  # fmt: skip
    fit = pl.DataFrame({"statistic": ["N", "residual_dof"], "value": [695.0, 690.0]})
    entry = {"name": "in_work", "outcome": "in_work_at_end", "kind": "logit"}
    for language, expected in (("nl", ("inhoud", "Groep", "Ten minste één maand ingeschreven",
                                        "niet getoond", "Geslacht: vrouw", "Vrijheidsgraden (residu)")),
                               ("en", ("contents", "Group", "Enrolled at least one month",
                                       "not shown", "Sex: woman", "Residual degrees of freedom"))):  # fmt: skip
        sheets = workbook_sheets(_frames(), logs, [(entry, coefficients, fit)], language)  # type: ignore[arg-type]
        path = write_xlsx(sheets, tmp_path / f"tables-{language}.xlsx")
        book = read_xlsx(path)
        assert next(iter(book)) == expected[0]
        assert list(book)[1:] == ["education", "survival_first_spell", "model_in_work",
                                  "model_in_work_fit"]  # fmt: skip
        education = book["education"]
        assert education[0][0] == expected[1] and education[2][0] == expected[2]
        assert education[1][-1] == expected[3] and education[1][3] is None  # hidden: empty
        assert education[2][3] == 59.0 and education[3][3] == 0.88  # numbers, not text
        steps = book["survival_first_spell"]
        first = survival_table([m for m in range(1, 25) for _ in range(10)], [True] * 240, 10)
        assert steps[1][1:5] == [float(first.steps[0].start), float(first.steps[0].end or 0),
                                 240.0, float(first.steps[0].events)]  # fmt: skip
        assert steps[1][5] == first.published["survival"][0]  # 0,xxx read back as a number
        assert book["model_in_work"][2][0] == expected[4]
        assert book["model_in_work_fit"][2] == [expected[5], 690.0]
        codes = ("exit_education", "enrolled_1m", "suppressed", "at_risk", "half_interval",
                 "residual_dof", "sex: woman", "(intercept)")  # fmt: skip
        text = " ".join(str(c) for rows in book.values() for row in rows for c in row)
        assert not [code for code in codes if code in text]


def test_enrolment_sheet_names_destinations() -> None:
    """The enrolment table's generic category column and count read as what they are."""
    frame = pl.DataFrame({"category": ["Total", "work_and_learn"], "statistic": ["count"] * 2,
                          "value": [120.0, 14.0], "n": [120.0, 14.0], "status": ["published"] * 2})  # fmt: skip
    logs = {"education_enrolment": {"kind": "education_enrolment", "table": "education_enrolment"}}
    sheet = workbook_sheets({"education_enrolment": frame}, logs, [], "en")["education_enrolment"]
    assert sheet.columns == ["Exit destination", "Statistic", "Value", "N", "Status"]
    assert sheet.row(1) == ("Learning and working", "Enrolled", 14.0, 14, "published")
