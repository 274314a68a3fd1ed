"""Every file accounted for: an allow-list of what an export may hold, the manifest's checksums
and fields, and the released log's profile, compared with the checker's own."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from nbnb_cbs.cells import SERIES_ROUNDING
from nbnb_cbs.disclosure.profiles import Profile
from nbnb_cbs.disclosure.steward.identifiers import (
    identifier_in_text,
    number_in_name,
    organisation_in_text,
    small_number_in,
)
from nbnb_cbs.disclosure.steward.model import ExportFiles, Finding
from nbnb_cbs.io.writers import file_sha256
from nbnb_cbs.project import ANCHORS, LANGUAGES, UNITS
from nbnb_cbs.survival.table import LANDMARK

__all__ = ["ALLOWED", "inventory_pass"]

ALLOWED = (
    r"tables/[A-Za-z0-9_-]+\.csv",
    r"model_[A-Za-z0-9_-]+\.csv",
    r"figures/[A-Za-z0-9_-]+\.png",
    r"report\.md",
    r"report\.html",
    r"tables\.xlsx",
    r"disclosure-log\.json",
    r"manifest\.json",
)
_ALLOWED = re.compile("|".join(f"(?:{a})" for a in ALLOWED))
_FOLDERS = {"tables", "figures"}
_MANIFEST_KEYS = {"tool", "version", "created", "project", "profile", "parameters", "inputs", "files", "render", "csv"}  # fmt: skip
_PARAMETERS = {
    "end",
    "anchors",
    "unit",
    "by",
    "count_zero_rows",
    "rounding",
    "series_rounding",
    "threshold",
    "snapshot",
    "population",
    "language",
}
_FILE_KEYS = {"path", "sha256", "bytes"}
# A count of records or participants in the population line ("975 of 982 records").
_RECORD_COUNT = re.compile(
    r"\d\s*(?:of|van)\s*\d|\d\s*(?:records|deelnemers|participants)", re.IGNORECASE
)
_INPUT_KEYS = {"name", "bytes", "rows"}
# How the manifest names an input (pipeline._input): its role and the suffix of a file kind the
# readers take; a folder (the simulated register) by its role alone.
_INPUT_NAME = re.compile(
    r"(?:registration|analysis|linked|register|jobs|enrolments)"
    r"(?:\.(?:csv|txt|tsv|parquet|sav|zsav|dta))?"
)
# Numbers the log may hold outside its profile: the rounding base, the survival landmark, and
# per table how many cells have each status (compared with the table). Any other number, or a
# number written into the log's text, is nothing nbnb-cbs writes (the release model's size is
# in export-review/: in the log no check could tell a changed size from the run's).
_LOG_NUMBERS = {"rounding", "landmark"}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_KNOWN_NUMBER_TEXT = re.compile(r"\((?:n )?rounded to (?:5|10)\)|\bafgerond op (?:5|10)\b")
# A number standing on its own; "_" is no part of a word here ("group_true_9" holds 9, red team
# 20), while "worked_1m" and "2021-12" hold none.
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9.])\d+(?:[.,]\d+)?(?![A-Za-z0-9])")
# Text the manifest writes with numbers that are no counts of persons: dates, numbers of projects
# and tranches (nbnb_cbs/population.py, Population.describe).
_MANIFEST_NUMBERS = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b|\b\d+ (?:projects?|tranches)\b")
# The population line's count of projects (population.Population, "...: 18 projects").
_PROJECT_COUNT = re.compile(r":\s*(\d+) projects?\s*$")
_END_MONTH = re.compile(r"(?:19|20)\d{2}-(?:0[1-9]|1[0-2])")
_SNAPSHOT_DAY = re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}")
_LEVEL_LABEL = re.compile(r"[<>]?\d+(?:\s*[-+]\s*\d*)?|[^\d]*")
# A model's levels in the log (models.run.log_entry): "sex: woman x age_group: 40+" and the
# values each holds.
_MODEL_LEVEL_PATH = re.compile(r"^models\[\d+\]\.levels\[\d+\]\.(?:level|holds\.[^.]+\[\d+\])$")


def _level_text(value: str) -> bool:
    """A level's label, bare or as terms write it ('age_group: 25-29', joined by ' x ')."""
    parts = [part.rpartition(": ") for part in value.split(" x ")]
    return all(
        _LEVEL_LABEL.fullmatch(level.strip()) is not None and not any(c.isdigit() for c in name)
        for name, _, level in parts
    )


def inventory_pass(
    export: ExportFiles, previous: Sequence[ExportFiles], profile: Profile
) -> list[Finding]:
    """Files present vs the allow-list and the manifest; the manifest's and log's own content."""
    out = _allow_list(export)
    out += _manifest(export, profile)
    out += _log(export, profile)
    return out


def _allow_list(export: ExportFiles) -> list[Finding]:
    out = []
    for path in sorted(export.root.rglob("*")):
        rel = path.relative_to(export.root).as_posix()
        if path.is_symlink():
            out.append(Finding(rel, None, None, "symlink", "a link to another file: an export holds only its own files"))  # fmt: skip
        elif path.is_dir():
            if rel not in _FOLDERS:
                out.append(Finding(rel, None, None, "unexpected_folder", "an export holds only tables/ and figures/ folders"))  # fmt: skip
        elif any(part.startswith(".") for part in rel.split("/")):
            out.append(Finding(rel, None, None, "hidden_file", "a hidden file: an export holds only the files nbnb-cbs writes"))  # fmt: skip
        elif not _ALLOWED.fullmatch(rel):
            out.append(Finding(rel, None, None, "file_not_allowed", "not a file an export may hold (tables/*.csv, model_*.csv, figures/*.png, report.md, report.html, tables.xlsx, disclosure-log.json, manifest.json)"))  # fmt: skip
    return out


def _manifest(export: ExportFiles, profile: Profile) -> list[Finding]:
    manifest, out = export.manifest, []
    name = "manifest.json"
    for key in sorted(set(manifest) - _MANIFEST_KEYS):
        out.append(Finding(name, None, key, "manifest_field", f"field {key!r} is not one nbnb-cbs writes"))  # fmt: skip
    if manifest.get("tool") != "nbnb-cbs":
        out.append(Finding(name, None, "tool", "manifest_field", "the manifest does not say it was written by nbnb-cbs"))  # fmt: skip
    params = manifest.get("parameters", {})
    for key in sorted(set(params) - _PARAMETERS if isinstance(params, dict) else {"parameters"}):
        out.append(Finding(name, None, f"parameters.{key}", "manifest_field", f"parameter {key!r} is not one nbnb-cbs writes"))  # fmt: skip
    out += _parameter_values(name, params, profile)
    # Free text the report repeats: the profile is the checker's, word for word, and the
    # project's name holds no count (red team 46: "demo: 4 leavers not linked", a profile
    # named "cbs (4 leavers not linked)").
    if manifest.get("profile") != {"name": profile.name, "sha256": profile.sha256}:
        out.append(Finding(name, None, "profile", "profile_mismatch", f"the manifest's profile ({str(manifest.get('profile'))[:80]}) is not the checker's {profile.name!r} profile ({profile.sha256[:12]})"))  # fmt: skip
    project = str(manifest.get("project", ""))
    if small := _count_in_name(project, profile.threshold):
        out.append(Finding(name, None, "project", "number_in_text", f"the project's name {project[:80]!r} holds {small}: a count in a name the report repeats; rename the project (project.toml, [project] name)"))  # fmt: skip
    population = params.get("population") if isinstance(params, dict) else None
    if isinstance(population, str) and _RECORD_COUNT.search(population):
        out.append(Finding(name, None, "parameters.population", "population_counts", "the population line states record counts: the records kept are the linkage table's total (which protection may hide) and the records left out may be a handful of one project's; nbnb-cbs names the rules and projects only"))  # fmt: skip
    elif (
        isinstance(population, str)
        and (said := _PROJECT_COUNT.search(population))
        and (count := int(said.group(1))) < profile.min_organisations
    ):
        # How many projects the release is about: below the profile's minimum of organisations
        # every cell would be one organisation's (red team 36: "1 projects" passed as free text).
        out.append(Finding(name, None, "parameters.population", "population_projects", f"the population line says {count} project(s): fewer than the profile's {profile.min_organisations} organisations"))  # fmt: skip
    if isinstance(params, dict) and not (
        isinstance(population, str) and _RECORD_COUNT.search(population)
    ):
        for key in ("population", "snapshot"):
            text = params.get(key)
            if isinstance(text, str) and (found := _number_in(_MANIFEST_NUMBERS.sub(" ", text))):
                out.append(Finding(name, None, f"parameters.{key}", "number_in_text", f"parameters.{key} = {text[:80]!r} holds {found}: nbnb-cbs writes no counts there"))  # fmt: skip
    for i, entry in enumerate(_dicts(manifest.get("inputs"))):
        for key in sorted(set(entry) - _INPUT_KEYS):
            out.append(Finding(name, None, f"inputs[{i}].{key}", "manifest_field", f"input field {key!r} is not one nbnb-cbs writes"))  # fmt: skip
        input_name = str(entry.get("name", ""))
        if small := _count_in_name(input_name, profile.threshold):
            # A file name is the researcher's text (red team 27: 'registratie_zonder_7_...').
            out.append(Finding(name, None, f"inputs[{i}].name", "number_in_text", f"input name {input_name[:80]!r} holds {small}: a count in a file name; rename the file"))  # fmt: skip
        if numbered := _NUMBERED_ORG.search(input_name):
            out.append(Finding(name, None, f"inputs[{i}].name", "organisation_value", f"input name {input_name[:80]!r} names {numbered.group(0)!r}: projects or organisations in a file name; rename the file"))  # fmt: skip
        elif not small and not _INPUT_NAME.fullmatch(input_name):
            out.append(Finding(name, None, f"inputs[{i}].name", "input_name", f"input name {input_name[:80]!r} is not one nbnb-cbs writes (an input's role and kind of file, such as 'jobs.sav'): a file name is free text, which can carry a count or a name"))  # fmt: skip
        rows = entry.get("rows")
        if isinstance(rows, (int, float)) and 0 < rows < profile.threshold:
            out.append(Finding(name, None, f"inputs[{i}].rows", "small_count", f"an input of {rows} rows: a count below {profile.threshold}"))  # fmt: skip
        elif isinstance(rows, (int, float)) and rows % 10:
            out.append(Finding(name, None, f"inputs[{i}].rows", "exact_input_rows", f"an input's exact row count ({rows:g}) next to the records the tables count tells the rows rejected; nbnb-cbs rounds it to 10"))  # fmt: skip
    strings = {k: v for k, v in manifest.items() if k not in ("files", "render")}
    if isinstance(params, dict) and _SNAPSHOT_DAY.fullmatch(str(params.get("snapshot", ""))):
        # snapshot_date = "YYYY-MM-DD": the day of the snapshot, not a date of birth.
        strings = strings | {"parameters": {k: v for k, v in params.items() if k != "snapshot"}}
    out += _strings(name, strings, export)
    listed: set[str] = set()
    for i, entry in enumerate(_dicts(manifest.get("files"))):
        rel = str(entry.get("path", ""))
        listed.add(rel)
        for key in sorted(set(entry) - _FILE_KEYS):
            out.append(Finding(name, None, f"files[{i}].{key}", "manifest_field", f"file field {key!r} is not one nbnb-cbs writes"))  # fmt: skip
        path = export.root / rel
        if not path.is_file() or rel == name:
            out.append(Finding(rel, None, None, "missing_file", "listed in manifest.json but not present"))  # fmt: skip
            continue
        if file_sha256(path) != entry.get("sha256") or path.stat().st_size != entry.get("bytes"):
            out.append(Finding(rel, None, None, "checksum", "SHA-256 or size differs from manifest.json: changed after the run"))  # fmt: skip
    present = {p.relative_to(export.root).as_posix() for p in export.root.rglob("*") if p.is_file()}
    for rel in sorted(present - listed - {name}):
        out.append(Finding(rel, None, None, "unlisted_file", "present in the export but not in manifest.json"))  # fmt: skip
    return out


def _parameter_values(name: str, params: Any, profile: Profile) -> list[Finding]:
    """Settings hold only values nbnb-cbs can run with: a number or word anywhere else is a
    channel (a 'rounding' of 7 is a count), and a threshold other than the checker's profile's
    means the tables were protected for another rule."""
    if not isinstance(params, dict):
        return []
    allowed: dict[str, Any] = {
        "rounding": (0, 5, 10), "series_rounding": (SERIES_ROUNDING,), "unit": UNITS,
        "language": LANGUAGES, "count_zero_rows": (True, False), "threshold": (profile.threshold,),
    }  # fmt: skip
    out = []
    for key, values in allowed.items():
        value = params.get(key)
        # bool is an int in Python: True may not stand for a rounding of 1, nor 1 for True.
        kind_ok = isinstance(value, bool) == (key == "count_zero_rows")
        if key in params and not (kind_ok and value in values):
            said = (
                "the checker's profile's threshold" if key == "threshold" else "nbnb-cbs runs with"
            )
            out.append(Finding(name, None, f"parameters.{key}", "manifest_value", f"parameters.{key} = {str(value)[:40]!r} is not a value {said} ({', '.join(map(str, values))})"))  # fmt: skip
    anchors = params.get("anchors")
    if "anchors" in params and not (
        isinstance(anchors, list) and anchors and all(a in ANCHORS for a in anchors)
    ):
        out.append(Finding(name, None, "parameters.anchors", "manifest_value", f"parameters.anchors = {str(anchors)[:60]!r} is not a list of {', '.join(ANCHORS)}"))  # fmt: skip
    end = params.get("end")
    if "end" in params and not (isinstance(end, str) and _END_MONTH.fullmatch(end)):
        out.append(Finding(name, None, "parameters.end", "manifest_value", f"parameters.end = {str(end)[:40]!r} is not a month (YYYY-MM)"))  # fmt: skip
    return out


def _log(export: ExportFiles, profile: Profile) -> list[Finding]:
    name = "disclosure-log.json"
    if not export.log:
        return [Finding(name, None, None, "missing_log", "the disclosure log is missing or empty")]
    out = []
    logged = export.log.get("profile")
    if json.dumps(logged, sort_keys=True) != json.dumps(profile.describe(), sort_keys=True):
        shown = logged.get("name") if isinstance(logged, dict) else logged
        out.append(Finding(name, None, "profile", "profile_mismatch", f"the log's profile ({shown!r}) is not the checker's {profile.name!r} profile with the same values ({profile.sha256[:12]})"))  # fmt: skip
    breakdowns = (export.manifest.get("parameters") or {}).get("by") or []
    for rel, meta in export.table_meta.items():
        stem = rel.removeprefix("tables/").removesuffix(".csv")
        if meta.get("table") != stem or not _table_name(stem, [str(b) for b in breakdowns]):
            out.append(Finding(rel, None, None, "table_name", f"{rel}: not a table name nbnb-cbs writes (its log entry says {meta.get('table')!r}): a name can carry a number"))  # fmt: skip
    described = set(export.table_meta)
    for rel in sorted(set(export.tables) | set(export.unreadable)):
        if rel not in described:
            out.append(Finding(rel, None, None, "table_not_logged", "the disclosure log does not describe this table"))  # fmt: skip
    for rel in sorted(described - set(export.tables) - set(export.unreadable)):
        out.append(Finding(name, None, rel, "logged_table_missing", f"the log describes {rel!r}, which the export does not hold"))  # fmt: skip
    out += _rounding_agrees(export)
    out += _strings(name, {k: v for k, v in export.log.items() if k != "profile"}, export)
    out += _log_numbers(name, export, profile.threshold)
    out += _titles(name, export)
    return out


def _count_in_name(text: str, threshold: int) -> str | None:
    """A count below ``threshold`` in a name: a word of digits 1..threshold-1 ('zonder_7') or a
    number spelled out; None if there is none."""
    words = re.split(r"[^0-9A-Za-z]+", text)
    small = [w for w in words if w.isdigit() and 0 < int(w) < threshold]
    return small[0] if small else number_in_name(text)


def _rounding_agrees(export: ExportFiles) -> list[Finding]:
    """Each table's rounding in the log is the manifest's (series: its series_rounding; survival
    tables round nothing): the tables of one release are rounded to one base. The joint audit
    takes the smaller of the two; a log that rounds a table to 5 while the manifest says 10 was
    audited with 10 and let a set of 1..9 between two counts pass (red team 46)."""
    params = export.manifest.get("parameters")
    params = params if isinstance(params, dict) else {}
    out = []
    for rel, meta in export.table_meta.items():
        kind = str(meta.get("kind"))
        if kind == "survival":
            continue
        key = "series_rounding" if kind.startswith("series_") else "rounding"
        logged, manifest = meta.get("rounding") or 0, params.get(key) or 0
        if logged != manifest:
            out.append(Finding(rel, None, None, "rounding_mismatch", f"the log rounds {rel} to {logged!r} but manifest.json's parameters.{key} is {manifest!r}: one release is rounded to one base (the audit takes the smaller)"))  # fmt: skip
    return out


# A project, organisation or site by number in a file name ('project08', 'locatie_3').
_NUMBERED_ORG = re.compile(
    r"(?<![A-Za-z])(?:project|proj|organisatie|organisation|org|site|locatie|location|gemeente|"
    r"vestiging)[ _-]?\d+",
    re.IGNORECASE,
)


def _titles(name: str, export: ExportFiles) -> list[Finding]:
    """Each table's title as nbnb-cbs writes it for that table (its name, anchor and the first
    anchor's distribution): a title is free text, and numbers in words or Roman numerals ('IV
    never worked', red team 27) slip past every pattern."""
    from nbnb_cbs.disclosure.catalogue import Domains  # noqa: PLC0415
    from nbnb_cbs.export.survival import SURVIVAL_TABLES  # noqa: PLC0415
    from nbnb_cbs.export.tables import release_tables  # noqa: PLC0415

    entries = [t for t in export.log.get("tables", []) if isinstance(t, dict)]
    anchors: list[str] = []
    for entry in entries:
        if entry.get("kind") == "durability" and str(entry.get("anchor")) not in anchors:
            anchors.append(str(entry.get("anchor")))
    first = next((str(e.get("anchor")) for e in entries if e.get("kind") == "durability_distribution"), None)  # fmt: skip
    if first is not None:
        anchors = [first, *(a for a in anchors if a != first)]
    breakdowns = (export.manifest.get("parameters") or {}).get("by") or []
    domains = Domains(
        breakdowns=tuple((str(b), ()) for b in breakdowns), anchors=tuple(anchors or ["exit"]),
        bins=("all",), months=("all",), education=True, snapshot=True, net_wage=False,
        destinations=(), enrolment=True,
    )  # fmt: skip
    expected = {spec.name: spec.title for spec in release_tables(domains, True)}
    expected |= {spec.name: spec.title for spec in SURVIVAL_TABLES}
    out = []
    for i, entry in enumerate(export.log.get("tables", [])):
        if not isinstance(entry, dict):
            continue
        table, title = str(entry.get("table")), entry.get("title")
        if table in expected and title != expected[table]:
            out.append(Finding(name, None, f"tables[{i}].title", "number_in_text", f"the title of {table} ({str(title)[:80]!r}) is not the one nbnb-cbs writes ({expected[table][:60]!r}...): a title can carry a count"))  # fmt: skip
    return out


def _number_in(text: str) -> str | None:
    """A number written in ``text`` as digits or spelled out, if any (for the finding)."""
    if match := _NUMBER_IN_TEXT.search(text):
        return f"the number {match.group(0)}"
    return number_in_name(text)


def _log_numbers(name: str, export: ExportFiles, threshold: int = 10) -> list[Finding]:
    """Numbers in the log: only the ones nbnb-cbs writes, and its status counts as the tables'."""
    out = []
    if export.log.get("version") != export.manifest.get("version"):
        out.append(Finding(name, None, "version", "log_field", f"the log's version {export.log.get('version')!r} is not the manifest's {export.manifest.get('version')!r}"))  # fmt: skip
    document = {k: v for k, v in export.log.items() if k not in ("profile", "version", "created")}
    for path, value in _leaves(document, "", numbers=True, skip=()):
        key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
        parent = path.rsplit(".", 2)[-2] if path.count(".") >= 1 else ""
        if isinstance(value, str):
            if parent == "reference_levels" and _LEVEL_LABEL.fullmatch(value.strip()):
                continue  # a level's own label ('30-39', '40+')
            if _MODEL_LEVEL_PATH.match(path) and _level_text(value):
                continue  # a model's level as its terms write it, and the values it holds
            text = _KNOWN_NUMBER_TEXT.sub(" ", _QUOTED.sub(" ", value))
            quoted = " ".join(m.group(0) for m in _QUOTED.finditer(value))
            found = _number_in(text) or small_number_in(quoted, threshold)
            if found:
                out.append(Finding(name, None, path, "number_in_text", f"{path} = {value[:80]!r} holds {found}: nbnb-cbs writes no counts into the log's text"))  # fmt: skip
        elif key not in _LOG_NUMBERS and parent != "status_counts":
            out.append(Finding(name, None, path, "number_in_log", f"{path} = {value!r}: a number nbnb-cbs does not write into the log"))  # fmt: skip
        elif key == "landmark" and value != LANDMARK:
            out.append(Finding(name, None, path, "number_in_log", f"{path} = {value!r}: nbnb-cbs's survival landmark is {LANDMARK} months"))  # fmt: skip
    for rel, meta in export.table_meta.items():
        frame = export.tables.get(rel)
        logged = meta.get("status_counts")
        if frame is None or "status" not in frame.columns or not isinstance(logged, dict):
            continue
        actual = dict(frame.group_by("status").len().iter_rows())
        if {str(k): v for k, v in logged.items()} != actual:
            out.append(Finding(name, None, f"{rel}.status_counts", "status_counts", f"the log's status counts for {rel} ({logged}) are not the table's ({actual})"))  # fmt: skip
    return out


TABLE_NAMES = (
    "linkage_yield", "durability_exit", "durability_first_job", "series_share_working",
    "series_inflow", "snapshot_working", "snapshot_jobs", "snapshot_hours_type",
    "snapshot_employment_type", "snapshot_relation", "snapshot_amounts",
    "durability_distribution", "education_enrolment", "education", "survival_first_spell",
    "survival_to_first_job",
)  # fmt: skip


def _table_name(stem: str, breakdowns: list[str]) -> bool:
    """A table name nbnb-cbs writes: one of its tables, or one of them ``_by_<breakdown>``."""
    return stem in TABLE_NAMES or any(
        stem == f"{base}_by_{b}" for base in TABLE_NAMES for b in breakdowns
    )


def _created(name: str, created: Any, logged: Any) -> list[Finding]:
    """The run's time is an ISO timestamp, the same in the manifest and the log."""
    try:
        dt.datetime.fromisoformat(str(created))
    except ValueError:
        return [Finding(name, None, "created", "manifest_field", f"created = {str(created)[:40]!r} is not the run's timestamp")]  # fmt: skip
    if len(str(created)) < 19 or (logged is not None and logged != created):
        return [Finding(name, None, "created", "manifest_field", "created is not the run's full timestamp, the same as the log's")]  # fmt: skip
    return []


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _leaves(
    value: Any,
    path: str,
    *,
    numbers: bool = False,
    skip: tuple[str, ...] = ("sha256", "created"),  # file hashes; the run's time (checked apart)
) -> Iterator[tuple[str, Any]]:
    """Every text (and with ``numbers`` every number, booleans not) in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from _leaves(
                    item, f"{path}.{key}" if path else str(key), numbers=numbers, skip=skip
                )
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]", numbers=numbers, skip=skip)
    elif isinstance(value, str) or (
        numbers and isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        yield path, value


def _strings(name: str, document: dict[str, Any], export: ExportFiles) -> list[Finding]:
    """Identifiers and project names in a JSON document's text (hashes of files excepted)."""
    projects = export.projects()
    out = []
    for path, text in _leaves(document, ""):
        if what := identifier_in_text(text, prose=True):
            out.append(Finding(name, None, path, "identifier_value", f"{path} = {text[:60]!r} holds {what}"))  # fmt: skip
        elif what := organisation_in_text(text, projects, generic=False):
            out.append(Finding(name, None, path, "organisation_value", f"{path} = {text[:60]!r} names {what}"))  # fmt: skip
    return out
