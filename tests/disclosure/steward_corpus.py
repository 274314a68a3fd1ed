"""A corpus of doctored exports for the steward's check, built from one clean export.

Each case changes a copy of the clean export the way a researcher could (and, where the tables
changed, re-renders the workbook, figures and report from them with nbnb-cbs's own renderer)
and then re-hashes the manifest. Each names the file and cell (column) a finding must point at.
Run as a script to write the corpus to a folder: ``python -m tests.disclosure.steward_corpus
CLEAN_EXPORT OUT_DIR``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

Doctor = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    name: str
    doctor: Doctor
    file: str  # the file a finding must name
    column: str | None = None  # the cell's column a finding must name (None: the file itself)
    rerender: bool = True


def read(export: Path, rel: str) -> pl.DataFrame:
    return pl.read_csv(export / rel, separator=";", infer_schema=False)


def write(frame: pl.DataFrame, export: Path, rel: str) -> None:
    frame.write_csv(export / rel, separator=";")


def edit(rel: str, fn: Callable[[pl.DataFrame], pl.DataFrame]) -> Doctor:
    def doctor(export: Path) -> None:
        write(fn(read(export, rel)), export, rel)

    return doctor


def _marked(values: dict[str, str | None]) -> dict[str, str | None]:
    """Numbers as the clean export writes them (its CSV format is nl: a decimal comma)."""
    return {c: v.replace(".", ",") if v is not None and c in ("value", "n", "total") else v
            for c, v in values.items()}  # fmt: skip


def set_raw(rel: str, row: int, **values: str | None) -> Doctor:
    """Set cells of data row ``row`` (0-based) to exactly the text given."""

    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        is_row = pl.int_range(pl.len()) == row
        return frame.with_columns(
            *[pl.when(is_row).then(pl.lit(v, pl.String)).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
        )  # fmt: skip

    return edit(rel, fn)


def set_cell(rel: str, row: int, **values: str | None) -> Doctor:
    """Set cells of data row ``row`` (0-based) of a table (numbers given with a point)."""
    values = _marked(values)

    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        assert row < frame.height, f"{rel}: no row {row} to doctor"
        is_row = pl.int_range(pl.len()) == row
        return frame.with_columns(
            *[pl.when(is_row).then(pl.lit(v, pl.String)).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
        )  # fmt: skip

    return edit(rel, fn)


def set_first(rel: str, where: pl.Expr, **values: str | None) -> Doctor:
    """Set cells of the first data row that matches ``where``."""
    values = _marked(values)

    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        first = frame.with_row_index("_i").filter(where)["_i"]
        assert first.len(), f"{rel}: no row to doctor"
        is_row = pl.int_range(pl.len()) == first[0]
        return frame.with_columns(
            *[pl.when(is_row).then(pl.lit(v, pl.String)).otherwise(pl.col(c)).alias(c) for c, v in values.items()]
        )  # fmt: skip

    return edit(rel, fn)


def add_column(rel: str, column: str, value: str) -> Doctor:
    return edit(rel, lambda f: f.with_columns(pl.lit(value).alias(column)))


def rename(rel: str, old: str, new: str) -> Doctor:
    return edit(rel, lambda f: f.rename({old: new}))


def replace_label(rel: str, column: str, old: str, new: str) -> Doctor:
    return edit(rel, lambda f: f.with_columns(pl.col(column).replace(old, new)))


def dumps(data: Any) -> str:
    """JSON as nbnb-cbs writes it (a careful doctor writes it so too)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_edit(rel: str, fn: Callable[[dict[str, Any]], None]) -> Doctor:
    def doctor(export: Path) -> None:
        data = json.loads((export / rel).read_text(encoding="utf-8"))
        fn(data)
        (export / rel).write_text(dumps(data), encoding="utf-8")

    return doctor


def put(rel: str, content: bytes | str) -> Doctor:
    def doctor(export: Path) -> None:
        path = export / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    return doctor


def append(rel: str, text: str) -> Doctor:
    def doctor(export: Path) -> None:
        with (export / rel).open("a", encoding="utf-8") as fh:
            fh.write(text)

    return doctor


def raw_edit(rel: str, fn: Callable[[list[str]], list[str]]) -> Doctor:
    """Edit a CSV's lines as text (line ends kept as the lines give them)."""

    def doctor(export: Path) -> None:
        path = export / rel
        lines = path.read_bytes().decode("utf-8").split("\n")
        path.write_bytes("\n".join(fn(lines)).encode("utf-8"))

    return doctor


def _whole_number_as_decimal(lines: list[str]) -> list[str]:
    """The first published whole number of the value column written as '393,0'."""
    header = lines[0].split(";")
    value, status = header.index("value"), header.index("status")
    for i, line in enumerate(lines[1:], 1):
        fields = line.split(";")
        if len(fields) == len(header) and fields[status] == "published" and fields[value].isdigit():
            fields[value] += ",0"
            lines[i] = ";".join(fields)
            break
    return lines


def parameter_case(name: str, key: str, value: object) -> Case:
    """A case that writes ``value`` into the manifest's setting ``key``: the finding must name
    that setting."""
    return Case(
        name,
        json_edit("manifest.json", lambda m: m["parameters"].update({key: value})),
        "manifest.json",
        f"parameters.{key}",
        rerender=False,
    )


def input_case(name: str, field: str, value: object) -> Case:
    """A case that writes ``value`` into the manifest's first input's ``field``: the finding
    must name that field."""
    return Case(
        name,
        json_edit("manifest.json", lambda m: m["inputs"][0].update({field: value})),
        "manifest.json",
        f"inputs[0].{field}",
        rerender=False,
    )


def both(*doctors: Doctor) -> Doctor:
    def doctor(export: Path) -> None:
        for d in doctors:
            d(export)

    return doctor


def bsn() -> str:
    """A 9-digit number that passes the 11-test (and is not a real person's by construction)."""
    for number in range(111111110, 111112110):
        digits = str(number)
        weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
        if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0:
            return digits
    raise AssertionError("no BSN-like number in range")


def _xlsx_extra_sheet(export: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(export / "tables.xlsx"))
    sheet = workbook.add_worksheet("durability_exit")
    sheet.write_row(0, 0, ["group", "n"])
    sheet.write_row(1, 0, ["exit_work", 141])
    extra = workbook.add_worksheet("persons")
    extra.write_row(0, 0, ["RINPERSOON", "wage"])
    extra.write_row(1, 0, ["123456789", 2100.5])
    workbook.close()


def _png(export: Path, rel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.bar([0, 1], [7, 3])
    ax.set_title("group sizes 7 and 3")
    (export / rel).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(export / rel, format="png", metadata={"Software": None})
    plt.close(fig)


def _parquet(export: Path) -> None:
    pl.DataFrame({"RINPERSOON": ["123456789"], "durability": [0.7]}).write_parquet(
        export / "tables" / "persons.parquet"
    )


def _new_table(export: Path) -> None:
    pl.DataFrame({"group": ["exit_work"], "statistic": ["n"], "value": ["7"], "n": ["7"], "status": ["published"]}).write_csv(
        export / "tables" / "extra_counts.csv", separator=";"
    )  # fmt: skip


def _log_kind(export: Path) -> None:
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    for entry in log["tables"]:
        if entry["file"] == "tables/snapshot_amounts.csv":
            entry["kind"] = "researcher_table"
    (export / "disclosure-log.json").write_text(json.dumps(log, indent=2), encoding="utf-8")


DX = "tables/durability_exit.csv"
DIST = "tables/durability_distribution.csv"
REL = "tables/snapshot_relation.csv"
AMT = "tables/snapshot_amounts.csv"
INFLOW = "tables/series_inflow.csv"
SHARES = "tables/series_share_working.csv"
HOURS = "tables/snapshot_hours_type.csv"
EDU = "tables/education.csv"
YIELD = "tables/linkage_yield.csv"


PUBLISHED = pl.col("status") == "published"


def _uneven_pool(export: Path) -> None:
    """A pool's months written unevenly with the pool's sum kept: one month's own inflow."""
    frame = read(export, INFLOW)
    first = frame.filter(pl.col("status") == "pooled")["pool"][0]
    rows = [i for i, p in enumerate(frame["pool"].to_list()) if p == first]
    values = [None if v is None else float(v.replace(",", ".")) for v in frame["value"].to_list()]
    values[rows[0]] = (values[rows[0]] or 0.0) + 3.0
    values[rows[1]] = (values[rows[1]] or 0.0) - 3.0
    text = [f"{v:g}".replace(".", ",") if v is not None else None for v in values]
    write(frame.with_columns(value=pl.Series(text, dtype=pl.String)), export, INFLOW)


def _renamed_table(export: Path) -> None:
    """education.csv written as education_true_9.csv, its log entry following."""
    (export / EDU).rename(export / "tables" / "education_true_9.csv")
    log = json.loads((export / "disclosure-log.json").read_text(encoding="utf-8"))
    for entry in log["tables"]:
        if entry["file"] == EDU:
            entry["file"], entry["table"] = "tables/education_true_9.csv", "education_true_9"
    (export / "disclosure-log.json").write_text(json.dumps(log, indent=2), encoding="utf-8")


def _landmark(value: int) -> Callable[[dict[str, Any]], None]:
    def fn(log: dict[str, Any]) -> None:
        assert log["tables"][14]["kind"] == "survival", "the corpus expects table 14 survival"
        log["tables"][14]["landmark"] = value

    return fn


def _profile(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def fn(log: dict[str, Any]) -> None:
        log["profile"]["values"][field] = value

    return fn


# fmt: off
CASES: list[Case] = [
    # identifier columns, whatever they are called
    *[
        Case(f"id_column_{c}", add_column(DX, c, v), DX, c)
        for c, v in (
            ("rinpersoon_id", "123456789"),
            ("RIN", "123456789"),
            ("bsn", bsn()),
            ("persoonsnummer", "12"),
            ("anummer", "4"),
            ("hashed_id", "9f86d081884c7d659a2feaa0c55ad015"),
            ("RINPERSOON", "1"),
            ("record_id", "K00000012345"),
            ("participant_id", "D00001"),
        )
    ],
    Case("extra_column_holding_7", add_column(DX, "x", "7"), DX, "x"),
    Case("top1_renamed_largest", add_column(AMT, "largest", "5230.5"), AMT, "largest"),
    Case("extra_numeric_column_top", add_column(AMT, "top", "5230.5"), AMT, "top"),
    # identifier values in labels
    *[
        Case(f"id_value_{k}", replace_label(AMT, "category", "fulltime_days", v), AMT, "category")
        for k, v in (
            ("person_number", "123456789"),
            ("bsn", bsn()),
            ("pc6", "1234 AB"),
            ("pc6_tight", "9217JE"),
            ("dob_iso", "1987-05-14"),
            ("dob_dutch", "14-05-1987"),
            ("dob_compact", "19870514"),
            ("record_id", "K00000012345"),
            ("hash", "9f86d081884c7d659a2feaa0c55ad015"),
            ("in_text", "born 14-05-1987 at 1234 AB"),
        )
    ],
    Case("id_value_in_group", replace_label(DX, "group", "exit_work", "K00000054321"), DX, "group"),
    # per-organisation results
    *[
        Case(f"org_column_{c}", rename(DX, "sectoral", c), DX, c)
        for c in (
            "project",
            "projects",
            "project_id",
            "projectcode",
            "organisation",
            "organization",
            "org",
            "gemeente",
            "organisatie",
        )
    ],
    Case("org_value_project_a", replace_label(DX, "sectoral", "true", "Project A"), DX, "sectoral"),
    Case(
        "org_value_in_breakdown",
        both(
            rename(DX, "sectoral", "breakdown"),
            replace_label(DX, "breakdown", "false", "Project 01"),
        ),
        DX,
        "breakdown",
    ),
    Case(
        "org_value_gemeente",
        replace_label(YIELD, "sectoral", "true", "Gemeente Utrecht"),
        YIELD,
        "sectoral",
    ),
    Case(
        "org_value_review_list",
        replace_label(YIELD, "sectoral", "true", "Buurtwerk Noord"),
        YIELD,
        "sectoral",
    ),
    # malformed cells
    Case(
        "unknown_statistic_aantal",
        set_cell(DIST, 0, statistic="aantal", value="7", n="7"),
        DIST,
        "statistic",
    ),
    Case("negative_count", set_cell(DIST, 1, value="-5", n="-5"), DIST, "n"),
    Case("decimal_point", set_raw(DIST, 2, value="7.0"), DIST, "value"),
    Case("percentage_as_share", set_cell(DX, 3, value="50.35"), DX, "value"),
    Case(
        "maximum_wage", set_cell(AMT, 2, statistic="maximum_wage", value="6120.0"), AMT, "statistic"
    ),
    Case("p95_wage", set_cell(AMT, 2, statistic="p95_wage", value="4120.0"), AMT, "statistic"),
    Case("median_hours", set_cell(AMT, 0, statistic="median"), AMT, "statistic"),
    # Red team 39: the mean base wage hidden beside the hours' mean and the hourly wage (total
    # base wage / total hours, the same n) is known to 0.7%.
    Case("base_wage_hidden_beside_its_ratio",
         set_cell(AMT, 2, value=None, n=None, status="suppressed"), AMT, "value"),
    # Red team 40 (steward): an hourly wage that is not the means' ratio (the base wage's mean
    # of a subset beside it), amounts to three decimals, a share no rounded count gives.
    Case("hourly_wage_not_the_means_ratio", set_cell(AMT, 3, value="99.9"), AMT, "value"),
    Case("amount_three_decimals", set_cell(AMT, 1, value="20.613"), AMT, "value"),
    Case("rounded_share_unreachable",
         set_first(SHARES, pl.col("status") == "rounded", value="0.34"), SHARES, "value"),
    Case("mean_without_n", set_first(DX, PUBLISHED & (pl.col("statistic") == "mean"), n=None), DX, "n"),
    Case(
        "mean_n3_no_statistic",
        edit(AMT, lambda f: f.drop("statistic").with_columns(n=pl.lit("3"))),
        AMT,
        "n",
    ),
    Case(
        "rounded_status_on_share",
        set_cell(SHARES, 0, value="0.05", n="100", status="rounded"),
        SHARES,
        "value",
    ),
    Case("rounded_status_unrounded_table", set_cell(HOURS, 1, status="rounded"), HOURS, "status"),
    Case("fake_pool_label", set_first(INFLOW, pl.col("status") == "pooled", value="7.0", n="11", pool="2019-01..2019-01"), INFLOW, "pool"),
    Case("pool_label_on_published", set_first(INFLOW, pl.col("status") == "pooled", status="published"), INFLOW, "pool"),
    Case("pool_wrong_total", set_first(INFLOW, pl.col("status") == "pooled", value="3.0"), INFLOW, "pool"),
    Case("count_value_7_n_70", set_cell(DIST, 0, value="7.0"), DIST, "value"),
    Case("small_count_published", set_cell(DIST, 1, value="7.0", n="7"), DIST, "value"),
    Case("small_n_share", set_first(DX, pl.col("statistic") == "share_100", n="6"), DX, "n"),
    Case("unknown_status", set_cell(DIST, 0, status="ok"), DIST, "status"),
    Case("suppressed_with_value", set_first(EDU, pl.col("status") == "suppressed", value="0.42", n="7"), EDU, "value"),
    Case("share_negative", set_cell(DX, 3, value="-0.2"), DX, "value"),
    Case("fractional_n", set_cell(DIST, 0, n="14.5"), DIST, "n"),
    Case("impossible_n", set_cell(DIST, 0, value="123456789.0", n="123456789"), DIST, "n"),
    Case("not_a_number", set_cell(DIST, 0, value="seven"), DIST, "value"),
    Case("duplicate_cell", edit(DIST, lambda f: pl.concat([f, f.head(1)])), DIST, "statistic"),
    Case(
        "primary_zero_published", set_cell(EDU, 1, value="0.0", n="0", status="published"), EDU, "n"
    ),
    # derived files carrying what the tables do not
    Case(
        "report_md_number",
        append("report.md", "\nThe smallest group had 7 persons.\n"),
        "report.md",
        rerender=False,
    ),
    Case(
        "report_html_identifier",
        append("report.html", "<!-- 123456789 -->"),
        "report.html",
        rerender=False,
    ),
    Case("xlsx_extra_sheet", _xlsx_extra_sheet, "tables.xlsx", rerender=False),
    Case(
        "png_replaced",
        lambda e: _png(e, "figures/series.png"),
        "figures/series.png",
        rerender=False,
    ),
    Case("png_added", lambda e: _png(e, "figures/extra.png"), "figures/extra.png", rerender=False),
    # files an export may not hold
    Case("txt_file", put("notes.txt", "group of 7"), "notes.txt", rerender=False),
    Case("tsv_file", put("tables/counts.tsv", "g\tn\na\t7\n"), "tables/counts.tsv", rerender=False),
    Case("json_file", put("extra.json", '{"n": 7}'), "extra.json", rerender=False),
    Case("parquet_persons", _parquet, "tables/persons.parquet", rerender=False),
    Case(
        "check_report_inside",
        put("check-report.json", '{"verdict": "pass", "n": 7}'),
        "check-report.json",
        rerender=False,
    ),
    Case("hidden_file", put(".secret", "123456789"), ".secret", rerender=False),
    Case("hidden_folder", put(".cache/t.csv", "n\n7\n"), ".cache/t.csv", rerender=False),
    Case("csv_outside_tables", put("counts.csv", "n\n7\n"), "counts.csv", rerender=False),
    Case("new_table_of_small_counts", _new_table, "tables/extra_counts.csv", "value"),
    # the manifest and the log themselves
    Case(
        "manifest_extra_field",
        json_edit("manifest.json", lambda m: m.update(note=7)),
        "manifest.json",
        "note",
        rerender=False,
    ),
    Case(
        "manifest_extra_parameter",
        json_edit("manifest.json", lambda m: m["parameters"].update(smallest_group=3)),
        "manifest.json",
        "parameters.smallest_group",
        rerender=False,
    ),
    # settings hold only values nbnb-cbs runs with: a "rounding" of 7 is a count; and (red team
    # 36) the population's count of projects is free text too
    *(
        parameter_case(f"manifest_value_{key}", key, value)
        for key, value in (
            ("rounding", 7), ("series_rounding", 3), ("threshold", 5), ("count_zero_rows", 4),
            ("unit", "week 6"), ("anchors", ["exit", "9 left"]), ("end", "2021-12 (8)"),
        )
    ),
    *(
        parameter_case(f"manifest_population_{n}_projects", "population", f"all records: {n} projects")
        for n in (1, 0)
    ),
    # red team 46: the manifest's rounding raised above the log's (the audit read every count
    # as rounded to 10 where the tables were rounded to 5): the tables name the disagreement
    Case(
        "manifest_rounding_not_the_logs",
        json_edit("manifest.json", lambda m: m["parameters"].update(rounding=10)),
        "tables/linkage_yield.csv",
        rerender=False,
    ),
    # red team 46: free text the report repeats, a count in the project's or profile's name
    Case(
        "project_name_count",
        json_edit("manifest.json", lambda m: m.update(project="demo: 4 leavers not linked")),
        "manifest.json",
        "project",
    ),
    Case(
        "manifest_profile_name",
        json_edit("manifest.json", lambda m: m["profile"].update(name="cbs (4 leavers not linked)")),
        "manifest.json",
        "profile",
    ),
    # red team 36: the same values written otherwise than nbnb-cbs writes them
    Case("csv_form_number", raw_edit("tables/linkage_yield.csv", _whole_number_as_decimal), "tables/linkage_yield.csv"),
    Case(
        "csv_form_line_ends",
        raw_edit("tables/linkage_yield.csv", lambda ls: [x + "\r" if 0 < i < 3 else x for i, x in enumerate(ls)]),
        "tables/linkage_yield.csv",
    ),
    Case(
        "csv_form_quotes",
        raw_edit("tables/linkage_yield.csv", lambda ls: [ls[0], *(x.replace("Total;", '"Total";', 1) for x in ls[1:])]),
        "tables/linkage_yield.csv",
    ),
    Case(
        "manifest_key_order",
        json_edit("manifest.json", lambda m: m.update({"inputs": m.pop("inputs")})),
        "manifest.json",
        rerender=False,
    ),
    Case(
        "log_json_spacing",
        lambda e: (e / "disclosure-log.json").write_text(
            json.dumps(json.loads((e / "disclosure-log.json").read_text(encoding="utf-8")), indent=4),
            encoding="utf-8",
        ),
        "disclosure-log.json",
        rerender=False,
    ),
    # red team 36: the release model's size in the log, changed by 3
    Case(
        "log_release_audit_size",
        json_edit("disclosure-log.json", lambda log: log["release_audit"].update(atoms=1575)),
        "disclosure-log.json",
        "release_audit.atoms",
        rerender=False,
    ),
    input_case("manifest_input_rows_7", "rows", 7),
    # red team 27: a count, and project numbers, in an input's file name
    input_case("manifest_input_name_count", "name", "registratie_zonder_7_leerwerk.csv"),
    input_case("manifest_input_name_projects", "name", "registratie_project08_project16.csv"),
    input_case("manifest_input_rows_exact", "rows", 151),
    # red team 36: a count glued to a word, and a foundation's name, in input names
    input_case("manifest_input_name_glued_count", "name", "registration_ja5.csv"),
    input_case("manifest_input_name_foundation", "name", "Stichting Werkpad Zuid.csv"),
    input_case("manifest_input_name_cbs_file", "name", "SPOLISBUS2021V2.sav"),
    Case(
        "manifest_population_counts",
        json_edit(
            "manifest.json",
            lambda m: m["parameters"].update(population="all records: 309 of 316 records, 20 projects"),
        ),
        "manifest.json",
        "parameters.population",
        rerender=False,
    ),
    input_case("manifest_identifier", "name", "123456789.csv"),
    Case(
        "log_profile_threshold_5",
        json_edit("disclosure-log.json", _profile("threshold", 5)),
        "disclosure-log.json",
        "profile",
    ),
    Case(
        "log_identifier",
        json_edit(
            "disclosure-log.json", lambda log: log["tables"][0].update(title=f"Yield (BSN {bsn()})")
        ),
        "disclosure-log.json",
        "tables[0].title",
    ),
    Case("log_unknown_kind", _log_kind, AMT),
    # red team 17: numbers written where nobody compares them
    Case(
        "log_title_count",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(title="Linkage yield: 4 leavers not linked")),
        "disclosure-log.json",
        "tables[0].title",
    ),
    Case(  # red team 27: a Roman numeral escaped every number pattern
        "log_title_roman_numeral",
        json_edit("disclosure-log.json", lambda log: log["tables"][1].update(title=log["tables"][1]["title"] + " (of those who exited to work, IV never worked)")),
        "disclosure-log.json",
        "tables[1].title",
    ),
    Case(
        "log_extra_number",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(smallest=7)),
        "disclosure-log.json",
        "tables[0].smallest",
    ),
    Case(
        "log_status_counts_differ",
        json_edit("disclosure-log.json", lambda log: log["tables"][0]["status_counts"].update(suppressed=3)),
        "disclosure-log.json",
        "tables/linkage_yield.csv.status_counts",
    ),
    Case(
        "log_title_number_word",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(title="Linkage yield: seven not linked")),
        "disclosure-log.json",
        "tables[0].title",
    ),
    Case(
        "log_nested_created",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(created="7")),
        "disclosure-log.json",
        "tables[0].created",
    ),
    Case("log_version", json_edit("disclosure-log.json", lambda log: log.update(version="0.1.7")), "disclosure-log.json", "version"),
    Case("log_landmark", json_edit("disclosure-log.json", _landmark(7)), "disclosure-log.json", "tables[14].landmark"),
    Case(
        "manifest_snapshot_count",
        json_edit("manifest.json", lambda m: m["parameters"].update(snapshot="2021-12 (amounts prorated by days; 5 exits left out)")),
        "manifest.json",
        "parameters.snapshot",
        rerender=False,
    ),
    Case("label_count_note", replace_label(DX, "sectoral", "true", "true (7 obs)"), DX, "sectoral"),
    Case("label_look_alike_letter", replace_label(DX, "sectoral", "true", "tru\u0435"), DX, "sectoral"),
    # red team 19
    Case("pool_spread_unevenly", _uneven_pool, INFLOW, "pool"),
    Case("pooled_outside_inflow", set_first(DX, PUBLISHED & (pl.col("statistic") == "n"), status="pooled"), DX, "status"),
    Case("label_small_number", replace_label(DX, "sectoral", "true", "true (4)"), DX, "sectoral"),
    Case(
        "log_quoted_number",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(title="Linkage yield: '4'")),
        "disclosure-log.json",
        "tables[0].title",
    ),
    Case("table_logged_as_model_fit", json_edit("disclosure-log.json", lambda log: log["tables"][0].update(kind="model_fit")), YIELD),
    # red team 20: a bare number where no pool, title or table name carries one
    Case("pool_column_elsewhere", add_column(EDU, "pool", "9"), EDU, "pool"),
    Case(
        "log_number_glued",
        json_edit("disclosure-log.json", lambda log: log["tables"][0].update(title="Linkage yield (group_true_9)")),
        "disclosure-log.json",
        "tables[0].title",
    ),
    Case("table_file_named_with_number", _renamed_table, "tables/education_true_9.csv"),
    Case("share_full_precision", set_first(SHARES, pl.col("status") == "rounded", value="0.1111111"), SHARES, "value"),
    Case("mean_full_precision", set_first(DX, PUBLISHED & (pl.col("statistic") == "mean"), value="0.81234567"), DX, "value"),
    Case("distribution_bins_merged", replace_label(DIST, "bin", "[0.8, 0.9)", "[0.8, 1.0)"), DIST, "bin"),
    Case(
        "log_drops_table",
        json_edit("disclosure-log.json", lambda log: log["tables"].remove(
            next(t for t in log["tables"] if t["file"] == "tables/education.csv"))),
        "tables/education.csv",
        rerender=False,
    ),
]
# fmt: on


def rehash(export: Path) -> None:
    """Re-list and re-hash every file in the manifest, as a researcher could."""
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(
        p.relative_to(export).as_posix()
        for p in export.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    )
    manifest["files"] = [
        {"path": f, "sha256": hashlib.sha256((export / f).read_bytes()).hexdigest(),
         "bytes": (export / f).stat().st_size}
        for f in files
    ]  # fmt: skip
    (export / "manifest.json").write_text(dumps(manifest), encoding="utf-8")


def rerender(export: Path) -> None:
    """Re-render the derived files from the doctored tables with nbnb-cbs's renderer, if it can."""
    from nbnb_cbs.disclosure.steward.model import load_export
    from nbnb_cbs.disclosure.steward.rerender import render_cached

    rendered = render_cached(load_export(export))
    if isinstance(
        rendered, dict
    ):  # else the renderer cannot draw the doctored tables: keep the old files
        for rel, data in rendered.items():
            (export / rel).write_bytes(data)


def build(clean: Path, out: Path, case: Case) -> Path:
    target = out / case.name / "export"
    shutil.copytree(clean, target)
    if (clean.parent / "export-review").is_dir():
        shutil.copytree(clean.parent / "export-review", target.parent / "export-review")
    case.doctor(target)
    if case.rerender:
        rerender(target)
    rehash(target)
    return target


if __name__ == "__main__":
    clean_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    for c in CASES:
        print(build(clean_dir, out_dir, c))
