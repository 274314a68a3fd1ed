"""The export's table CSVs: Dutch Excel's format (; and a decimal comma) or the English one
(, and a decimal point), numbers at their published precision, read back exactly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from nbnb_cbs.export.render import read_published
from nbnb_cbs.io.published import CSV_FORMATS, csv_format, read_published_text, write_published

TABLE = pl.DataFrame(
    {
        "month": ["2021-01", "2021-02", "2021-03", "2021-04"],
        "statistic": ["inflow", "inflow", "share_working", "mean"],
        "value": [14.0 + 2 / 3, None, 0.77, 1234.5],
        "n": [44.0, None, 141.0, 20.0],
        "status": ["pooled", "suppressed", "published", "published"],
    }
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "month;statistic;value;n;status\n2021-01;inflow;14,7;44;pooled\n"
               "2021-02;inflow;;;suppressed\n2021-03;share_working;0,77;141;published\n"
               "2021-04;mean;1234,5;20;published\n"),
        ("en", "month,statistic,value,n,status\n2021-01,inflow,14.7,44,pooled\n"
               "2021-02,inflow,,,suppressed\n2021-03,share_working,0.77,141,published\n"
               "2021-04,mean,1234.5,20,published\n"),
    ],
)  # fmt: skip
def test_written_as_the_format_says(tmp_path: Path, language: str, expected: str) -> None:
    """Counts whole, values at their precision (pooled to one decimal), the format's marks."""
    path = write_published(TABLE, tmp_path / "t.csv", CSV_FORMATS[language])
    assert path.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("language", ["nl", "en"])
def test_read_back_exactly(tmp_path: Path, language: str) -> None:
    """What the render and the checks read is the published numbers, typed."""
    manifest = {"csv": CSV_FORMATS[language]}
    write_published(TABLE, tmp_path / "t.csv", CSV_FORMATS[language])
    back = read_published(tmp_path / "t.csv", manifest)
    assert back["value"].to_list() == [14.7, None, 0.77, 1234.5]
    assert back["n"].to_list() == [44.0, None, 141.0, 20.0]
    text = read_published_text(tmp_path / "t.csv", csv_format(manifest))
    assert text["value"].to_list() == ["14.7", None, "0.77", "1234.5"]


def test_other_decimal_mark_reads_as_malformed(tmp_path: Path) -> None:
    """In a decimal-comma file a number with a point does not pass as a number."""
    (tmp_path / "t.csv").write_text("g;value;n\na;7.0;7\nb;7,5;8\n", encoding="utf-8")
    text = read_published_text(tmp_path / "t.csv", CSV_FORMATS["nl"])
    assert text["value"].to_list() == ["7,0", "7.5"]


def test_manifest_without_a_format_is_the_earlier_one() -> None:
    assert csv_format({}) == {"separator": ";", "decimal": "."}
    assert csv_format({"csv": {"separator": "|", "decimal": ","}}) == {
        "separator": ";",
        "decimal": ".",
    }
    assert csv_format({"csv": CSV_FORMATS["en"]}) == CSV_FORMATS["en"]
