"""The export's report: method in plain words, every table laid out as the source study lays it
out (rows are groups, columns the statistics), the figures, every suppression and pooling in a
sentence a reader understands, and the parameters. In Dutch or English (``labels``). One list of
blocks renders to Markdown and to a self-contained HTML page (figures embedded), so both always
say the same."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.cells import POOL, PUBLISHED_COLUMNS, STATISTIC, STATUS, VALUE, N
from nbnb_cbs.export.labels import Language, bin_label, format_number, heading, label, phrase
from nbnb_cbs.export.report_models import coefficient_table, fit_table, model_notes, model_title
from nbnb_cbs.export.report_survival import survival_notes, survival_tables

__all__ = [
    "Block",
    "format_number",
    "report_blocks",
    "specific_name",
    "table_title",
    "to_html",
    "to_markdown",
    "wide_table",
]

METHOD: dict[str, list[str]] = {
    "nl": [
        "De registratie van de deelnemers is gekoppeld aan CBS-microdata op geslacht, geboortedatum "
        "(of -jaar), postcode, huisnummer en een peildatum; een sleutel die bij geen of bij meerdere "
        "personen past, wordt niet gekoppeld.",
        "Duurzaamheid van werk is berekend voor gekoppelde deelnemers die naar betaald werk zijn "
        "uitgestroomd: de maanden (of dagen) na uitstroom tot en met de eindmaand waarin zij gewerkt "
        "konden hebben, zijn waarneembaar; duurzaamheid is het deel daarvan waarin zij betaald werk "
        "hadden (een baan met uren of loon boven nul in die maand). Vanaf de eerste baan telt de "
        "periode vanaf de eerste maand met werk na uitstroom.",
        "Het gemiddelde is het gemiddelde van de duurzaamheid van de deelnemers; het naar tijd "
        "gewogen gemiddelde deelt alle gewerkte maanden door alle waarneembare maanden, zodat lange "
        "waarnemingen zwaarder wegen.",
        "Groepen: uitgestroomd naar werk; daarvan ten minste één maand gewerkt; daarvan ten minste "
        "één jaar uitgestroomd. De maandreeks geeft per maand het aandeel aan het werk van alle "
        "gekoppelde deelnemers die toen waren ingestroomd, en het aantal nieuwe deelnemers.",
        "De momentopname beschrijft de werkenden in de eindmaand; de grootste baan (meeste uren) "
        "bepaalt contract en soort; uren en lonen zijn maandbedragen (een baanregel telt mee voor "
        "het deel van zijn dagen dat in de eindmaand valt, of geheel bij een peildag) opgeteld "
        "over banen.",
        "Onthullingsbeheersing: geen aantal onder de drempel wordt getoond; aandelen vragen een "
        "teller en een complement boven de drempel; gemiddelden vragen genoeg personen en mogen niet "
        "door één of twee personen worden bepaald; de instroom per maand is per kwartaal "
        "samengevoegd. Alle tabellen zijn als één geheel beschermd: cijfers worden ook niet getoond "
        "wanneer ze samen met andere gepubliceerde cijfers een klein aantal zouden verraden. "
        "Aandelen staan in hele procenten.",
    ],
    "en": [
        "Participants' registration was linked to CBS microdata on sex, birth date (or year), "
        "postcode, house number and a reference date; a key that fits no person or several persons "
        "is not linked.",
        "Durability of work is computed for linked participants who left their project for paid "
        "work: the months (or days) after the exit up to and including the end month in which they "
        "could have worked are observable; durability is the share of those in which they had paid "
        "work (a job with hours or wage above zero in the month). From the first job, the window "
        "starts at the first month with work after the exit.",
        "The mean is the average of the participants' durability; the time-weighted mean divides "
        "all months worked by all months observable, so long observations weigh more.",
        "Groups: exited to work; of those, worked at least one month; of those, exited at least one "
        "year ago. The monthly series gives, per month, the share in work of all linked "
        "participants who had entered by then, and the number of new participants.",
        "The snapshot describes those in work in the end month; the largest job (most hours) "
        "describes contract and type; hours and wages are monthly (each job row counts for the "
        "share of its days that fall in the end month, or whole when a snapshot date is set) and "
        "summed over jobs.",
        "Disclosure control: no count below the threshold is shown; shares need their numerator "
        "and complement above it; means need enough persons and must not be dominated by one or "
        "two; the monthly inflow is merged per calendar quarter. All tables are protected as one "
        "release: a figure is also not shown when, together with other published figures, it "
        "would reveal a small number. Shares are shown in whole percents.",
    ],
}

# A column or statistic whose generic name says less than its table's meaning:
# (table kind, code) -> the code whose label the reader sees.
_SPECIFIC_NAMES = {
    ("education_enrolment", "category"): "exit_destination",
    ("education_enrolment", "count"): "enrolled_count",
}
_COUNTS = {"n", "records", "linked", "count_working", "inflow", "count"}
_PARAMETERS = {
    "project": ("project", "project"),
    "end": ("eindmaand", "end month"),
    "anchors": ("startpunten", "anchors"),
    "unit": ("eenheid", "unit"),
    "by": ("uitsplitsingen", "breakdowns"),
    "count_zero_rows": ("banen zonder uren en loon tellen mee", "jobs without hours or wage count"),
    "rounding": ("afronding", "rounding"),
    "series_rounding": ("afronding maandreeks (vast)", "rounding of the monthly series (fixed)"),
    "threshold": ("drempel", "threshold"),
    "profile": ("regelprofiel", "rule profile"),
    "tool": ("programma", "tool"),
    "created": ("gemaakt", "created"),
    "language": ("taal", "language"),
    "snapshot": ("momentopname", "snapshot"),
    "population": ("populatie", "population"),
}
_PRORATED = re.compile(r"(?P<end>\d{4}-\d{2}) \(amounts prorated by days\)")
_POPULATION = re.compile(r"(?P<rules>.*): (?P<p>\d+) projects")
_POPULATION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("p_all", re.compile(r"all records")),
    ("p_merged", re.compile(r"(?P<k>\d+) tranches merged into (?P<n>\d+) projects")),
    ("p_named", re.compile(r"(?P<k>\d+) projects named")),
    ("p_excluded", re.compile(r"(?P<k>\d+) projects excluded by name")),
    ("p_finished", re.compile(r"projects finished by (?P<date>\S+)")),
)


@dataclass(frozen=True)
class Block:
    kind: str  # heading, text, table, image, list, params
    content: Any
    level: int = 2


def _kind(statistic: str, table_kind: str) -> str:
    if statistic in _COUNTS:
        return "count"
    if statistic.startswith("share"):
        return "share"
    if statistic in ("mean", "weighted_mean") and table_kind in ("durability", "education"):
        return "percent"
    return "amount"


def _cell(value: Any, statistic: str, status: str, table_kind: str, language: Language) -> str:
    if status.startswith("suppressed"):
        return "·"
    if value is None:
        return "-"  # published empty: nothing to show, not a hidden figure
    number = float(value)
    kind = _kind(statistic, table_kind)
    if kind == "share":
        text = format_number(number * 100, 0, language) + "%"
    elif kind == "percent":
        text = format_number(number * 100, 1, language) + "%"
    elif kind == "count":
        text = format_number(number, 0 if number == round(number) else 1, language)
    else:
        text = format_number(number, 1 if abs(number) >= 10 else 2, language)
    return text + ("*" if status == "pooled" else "")


def specific_name(table_kind: str, code: str) -> str:
    """The code whose label names ``code`` (a column or statistic) in a table of ``table_kind``."""
    return _SPECIFIC_NAMES.get((table_kind, code), code)


def wide_table(
    frame: pl.DataFrame, table_kind: str, language: Language
) -> tuple[list[str], list[list[str]]]:
    """A published long table as the source study shows it: a row per group (its dimension
    values), a column per statistic; a single-statistic share or mean also shows its N."""
    dims = [c for c in frame.columns if c not in PUBLISHED_COLUMNS]
    stats = list(dict.fromkeys(frame[STATISTIC].to_list())) if STATISTIC in frame.columns else []
    with_n = len(stats) == 1 and _kind(stats[0], table_kind) != "count"
    header = [heading(specific_name(table_kind, c), language) for c in [*dims, *stats]]
    header += [label("n", language)] if with_n else []
    rows: dict[tuple[Any, ...], list[str]] = {}
    for row in frame.iter_rows(named=True):
        key = tuple(row[d] for d in dims)
        if key not in rows:
            # A statistic the table has no cell for in this row is "-" (not applicable); only a
            # cell the release hides is "·".
            shown = [bin_label(v, language) if d == "bin" else label(v, language)
                     for d, v in zip(dims, key, strict=True)]  # fmt: skip
            rows[key] = shown + ["-"] * (len(stats) + int(with_n))
        status = str(row.get(STATUS) or "published")
        statistic = str(row.get(STATISTIC))
        rows[key][len(dims) + stats.index(statistic)] = _cell(
            row.get(VALUE), statistic, status, table_kind, language
        )
        if with_n:
            rows[key][-1] = _cell(row.get(N), "n", status, table_kind, language).rstrip("*")
    return header, list(rows.values())


def table_title(log: dict[str, Any], language: Language) -> str:
    """The reader's title of a published table, from its catalogue kind and parameters."""
    kind = str(log.get("kind", ""))
    name = str(log.get("table", ""))
    anchor = label(log.get("anchor", "exit"), language)
    specific = (kind == "snapshot_category" and name.startswith("snapshot_")) or kind == "survival"
    key = f"t_{name}" if specific else f"t_{kind}"
    try:
        title = phrase(key, language, anchor=anchor)
    except KeyError:
        return str(log.get("title") or name)
    breakdown = log.get("breakdown")
    if breakdown and kind in ("linkage_yield", "durability", "education", "snapshot_working"):
        title += (
            f", {label(breakdown, language).lower()}"
            if language == "nl"
            else f", by {label(breakdown, language).lower()}"
        )
    return title


def _notes(
    frame: pl.DataFrame, log: dict[str, Any], threshold: Any, language: Language
) -> list[str]:
    counts = log.get("status_counts", {})
    notes = []
    if counts.get("suppressed"):
        notes.append(phrase("suppressed_note", language, k=counts["suppressed"], t=threshold))
    base = int(log.get("rounding") or 10)
    rounded = bool(counts.get("rounded") or log.get("rounding"))
    if POOL in frame.columns:
        pools = frame.filter(pl.col(POOL).is_not_null()).unique(
            POOL, keep="first", maintain_order=True
        )
        for row in pools.iter_rows(named=True):
            first, _, last = str(row[POOL]).partition("..")
            n = "·" if row.get(N) is None else format_number(float(row[N]), 0, language)
            # A pool's total is rounded with the table's counts: said beside it, so "20" is
            # not read as exact (red team 30 narrowed a neighbouring month to 0..9 so).
            notes.append(phrase("pooled_rounded_note" if rounded else "pooled_note", language,
                                first=label(first, language), last=label(last or first, language),
                                n=n, b=base))  # fmt: skip
    if rounded:
        # Which way halves go decides the ranges a reader may take (half to even would give
        # 9-value ranges where half up gives 10: red teams 26, 29). An odd base has no halves.
        half = "rounded_half_note" if base % 2 == 0 else "rounded_note"
        notes.append(phrase(half, language, b=base, half=base + base // 2, up=2 * base))
    return notes or [phrase("nothing_note", language)]


def report_blocks(
    project: str,
    params: dict[str, Any],
    tables: list[tuple[str, pl.DataFrame, dict[str, Any]]],
    figures: list[tuple[str, Path]],
    language: Language,
    models: list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]] | None = None,
) -> list[Block]:
    named = {
        _PARAMETERS.get(k, (k, k))[0 if language == "nl" else 1]: _setting(k, v, language)
        for k, v in params.items()
    }
    blocks = [
        Block("heading", phrase("title", language, project=project), 1),
        Block("text", phrase("intro", language)),
        Block("heading", phrase("method", language)),
        *(Block("text", t) for t in METHOD[language]),
        Block("heading", phrase("parameters", language)),
        Block("params", named),
        Block("heading", phrase("figures", language)),
        *(Block("image", (title, path)) for title, path in figures),
        Block("heading", phrase("tables", language)),
    ]
    source = phrase("source", language, end=params.get("end"))
    for file, frame, log in tables:
        # The file name stays out of sight (a code); the HTML table carries it as an attribute.
        blocks.append(Block("heading", table_title(log, language), 3))
        if log.get("kind") == "survival":
            name = str(log.get("table", ""))
            for header, rows in survival_tables(frame, name, language):
                blocks.append(Block("table", (header, rows, file)))
            notes = survival_notes(log.get("status_counts", {}), name, params.get("threshold"), language)  # fmt: skip
        else:
            header, rows = wide_table(frame, str(log.get("kind", "")), language)
            blocks.append(Block("table", (header, rows, file)))
            notes = _notes(frame, log, params.get("threshold"), language)
        blocks.append(Block("list", [*notes, source]))
    if models:
        blocks += _model_blocks(models, language)
    return blocks


def _model_blocks(
    models: list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]], language: Language
) -> list[Block]:
    blocks = [Block("heading", phrase("m_models", language)), Block("text", phrase("m_intro", language))]  # fmt: skip
    for entry, published, fit in models:
        name = str(entry.get("name"))
        blocks += [
            Block("heading", model_title(entry, language), 3),
            Block("list", model_notes(entry, language)),
            Block("table", (*coefficient_table(published, language), f"model_{name}.csv")),
            Block("table", (*fit_table(fit, language), f"model_{name}_fit.csv")),
        ]
    return blocks


def to_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "heading":
            lines += ["#" * b.level + " " + b.content, ""]
        elif b.kind == "text":
            lines += [b.content, ""]
        elif b.kind == "params":
            keys = list(b.content)
            lines += ["| | |", "|---|---|"]
            lines += [f"| {k} | {b.content[k]} |" for k in keys] + [""]
        elif b.kind == "image":
            title, path = b.content
            lines += [f"![{title}](figures/{path.name})", ""]
        elif b.kind == "list":
            lines += [f"- {item}" for item in b.content] + [""]
        elif b.kind == "table":
            header, rows, _ = b.content
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def _setting(key: str, value: Any, language: Language) -> str:
    """A setting's value in words. The snapshot and the population are recorded in the manifest
    as English text of known forms; they are said again in the report's language (a text of
    another form is shown as it is)."""
    if key == "unit" and isinstance(value, str):
        return label(value, language).lower()
    if key == "rounding" and value == 0:
        return phrase("p_no_rounding", language)
    if key == "language" and value in ("nl", "en"):
        return phrase(f"p_language_{value}", language)
    if key == "snapshot" and isinstance(value, str):
        if found := _PRORATED.fullmatch(value):
            return phrase("p_prorated", language, end=found["end"])
        return phrase("p_snapshot_date", language, date=value)
    if key == "population" and isinstance(value, str) and (found := _POPULATION.fullmatch(value)):
        rules = [_population_rule(r, language) for r in found["rules"].split("; ")]
        return phrase("p_population_count", language, rules="; ".join(rules), p=found["p"])
    return _param(value, language)


def _population_rule(text: str, language: Language) -> str:
    for key, form in _POPULATION_RULES:
        if found := form.fullmatch(text):
            return phrase(key, language, **found.groupdict())
    return text


def _param(value: Any, language: Language) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param(v, language) for v in value)
    if isinstance(value, bool):
        return label(str(value).lower(), language)
    return label(value, language) if isinstance(value, str) else str(value)


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f0f3f7; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
figcaption { font-size: 0.85rem; color: #555; }
ul { font-size: 0.85rem; color: #444; }
"""


def to_html(blocks: list[Block], title: str, language: Language) -> str:
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='{language}'><head><meta charset='utf-8'><title>{e(title)}</title>",
           f"<style>{_STYLE}</style></head><body>"]  # fmt: skip
    for b in blocks:
        if b.kind == "heading":
            out.append(f"<h{b.level}>{e(b.content)}</h{b.level}>")
        elif b.kind == "text":
            out.append(f"<p>{e(b.content)}</p>")
        elif b.kind == "params":
            rows = "".join(
                f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in b.content.items()
            )
            out.append(f"<table id='parameters'>{rows}</table>")
        elif b.kind == "image":
            caption, path = b.content
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{e(caption)}</figcaption></figure>")  # fmt: skip
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.content) + "</ul>")
        elif b.kind == "table":
            header, rows, file = b.content
            head = "".join(f"<th>{e(c)}</th>" for c in header)
            body = "".join(
                "<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in rows
            )
            out.append(f"<table class='result' data-file='{e(file)}'><tr>{head}</tr>{body}</table>")
    out.append("</body></html>")
    return "\n".join(out)
