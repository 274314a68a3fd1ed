"""The project file resolves paths against its own folder and refuses unknown keys and types."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbnb_cbs.errors import ConfigError
from nbnb_cbs.project import load_project, resolve


def test_paths_relative_to_project(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    project = tmp_path / "p" / "project.toml"
    project.write_text(
        '[project]\nname = "x"\n[inputs]\njobs = "data/jobs.parquet"\n'
        '[analysis]\nend = "2021-12"\nby = ["sectoral", "sex"]\n[columns]\nparticipant_id = "klantnr"\n',
        encoding="utf-8",
    )
    settings = load_project(project)
    assert settings.jobs == (tmp_path / "p" / "data" / "jobs.parquet").resolve()
    assert settings.work_dir == (tmp_path / "p" / "work").resolve()
    assert settings.end_month == (2021, 12)
    assert settings.by == ("sectoral", "sex")
    assert settings.aliases == {"participant_id": ["klantnr"]}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[analysis]\nedn = "2021-12"\n', "did you mean 'end'"),
        ("[analysis]\nend = 202112\n", "must be a str"),
        ('[analyse]\nend = "2021-12"\n', "unknown section"),
        ('[analysis]\nend = "2021-13"\n', "YYYY-MM"),
        ("[disclosure]\nrounding = 3\n", "rounding"),
        ("[analysis\n", "not valid TOML"),
        ('[output]\nlanguage = "de"\n', 'must be "nl"'),
        ('[output]\ncsv_format = "excel"\n', "csv_format"),
    ],
)
def test_bad_project_files(tmp_path: Path, text: str, fragment: str) -> None:
    project = tmp_path / "project.toml"
    project.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_project(project)


def test_flags_override(tmp_path: Path) -> None:
    project = tmp_path / "project.toml"
    project.write_text('[analysis]\nend = "2021-12"\n', encoding="utf-8")
    settings = resolve(load_project(project), end="2022-03", unit=None)
    assert settings.end_month == (2022, 3)
    assert settings.unit == "month"


def test_language_dutch_by_default_english_on_request(tmp_path: Path) -> None:
    """The report language is Dutch unless project.toml or --language says English."""
    project = tmp_path / "project.toml"
    project.write_text('[analysis]\nend = "2021-12"\n', encoding="utf-8")
    assert load_project(project).language == "nl"
    assert resolve(load_project(project), language="en").language == "en"
    assert load_project(project).csv_format is None  # the export follows the language
    project.write_text('[output]\nlanguage = "en"\ncsv_format = "nl"\n', encoding="utf-8")
    assert load_project(project).language == "en" and load_project(project).csv_format == "nl"
