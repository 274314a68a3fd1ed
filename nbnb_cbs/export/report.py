"""The export's report: method in plain words, every table, the figures, what was suppressed or
pooled and why, and the parameters. One list of blocks renders to Markdown and to a
self-contained HTML page (figures embedded), so both always say the same."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["Block", "report_blocks", "to_html", "to_markdown"]

METHOD = [
    "Participants' registration was linked to CBS microdata on sex, birth date (or year), postcode, "
    "house number and a reference date; a key that fits no person or several persons is not linked.",
    "Durability of work is computed for linked participants who left their project for paid work: "
    "the months (or days) after the exit up to and including the end month in which they could "
    "have worked are observable; durability is the share of those in which they had paid work "
    "(a job row with hours or wage above zero overlapping the month). With the first-job anchor "
    "the window starts at the first month with work after the exit.",
    "The mean is the average of the participants' durability; the time-weighted mean divides all "
    "months worked by all months observable, so long observations weigh more.",
    "Groups: exited to work; of those, worked at least one month; of those, observed at least "
    "twelve months. The monthly series gives, per month, the share in work of all linked "
    "participants who had entered by then, and the number of new participants.",
    "The snapshot describes those in work in the end month; the largest job (most hours) "
    "describes contract and type; hours and wages are monthly (each job row counts for the share "
    "of its days that fall in the end month, or whole when a snapshot date is set) and summed "
    "over jobs.",
    "Disclosure control: no count below the threshold is published; shares need their numerator "
    "and complement above it; means need enough units and must not be dominated by one or two; "
    "the monthly inflow is pooled per calendar quarter and spread evenly over its months (marked as "
    "pooled; entries after the end month count in the last quarter). "
    "All tables are protected as one release: every published number is a constraint on the "
    "counts of the smallest groups the release can tell apart, and further cells are suppressed "
    "until linear programming shows that no combination of published numbers gives back a count "
    "below the threshold or a suppressed cell (to within the protection width). Shares are "
    "published to whole percents.",
]


@dataclass(frozen=True)
class Block:
    kind: str  # heading, text, table, image, list, params
    content: Any
    level: int = 2


def _cell(value: Any) -> str:
    if value is None:
        return "·"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def report_blocks(
    project: str,
    params: dict[str, Any],
    tables: list[tuple[str, str, pl.DataFrame, dict[str, Any]]],
    figures: list[tuple[str, Path]],
    models: list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]] | None = None,
) -> list[Block]:
    blocks = [
        Block("heading", f"Durability of work: {project}", 1),
        Block(
            "text",
            "All figures in this report passed disclosure control before they were "
            "written; a dot (·) marks a suppressed cell.",
        ),
        Block("heading", "Method"),
        *(Block("text", t) for t in METHOD),
        Block("heading", "Parameters"),
        Block("params", params),
        Block("heading", "Figures"),
        *(Block("image", (title, path)) for title, path in figures),
        Block("heading", "Tables"),
    ]
    for title, file, frame, log in tables:
        blocks.append(Block("heading", f"{title} ({file})", 3))
        blocks.append(Block("table", frame))
        counts = log.get("status_counts", {})
        notes = []
        if counts.get("suppressed"):
            notes.append(
                f"{counts['suppressed']} cell(s) suppressed: fewer than the threshold of persons, "
                "or a cell that together with the rest of the release would give such a count back"
            )
        if "pool" in frame.columns:
            pooled = sorted({str(p) for p in frame["pool"].drop_nulls().to_list()})
            notes += [f"pooled periods: {p}" for p in pooled]
        if counts.get("rounded"):
            notes.append(f"{counts['rounded']} cell(s) rounded")
        if log.get("kind") == "survival":
            notes = _survival_notes(counts)
        blocks.append(Block("list", notes or ["no cells suppressed or pooled"]))
    if models:
        blocks += _model_blocks(models)
    return blocks


def _model_blocks(models: list[tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]]) -> list[Block]:
    blocks = [
        Block("heading", "Models"),
        Block(
            "text",
            "Regression on the outcomes at the end month (B: coefficient, on the log-odds scale "
            "for a logit; Exp(B): odds ratio; p: two-sided p-value). Categorical covariates are "
            "compared with their reference level; a missing value is its own level 'unknown', so "
            "no participant is left out. Every level and interaction cell held at least the "
            "threshold of persons with each outcome value, and the residual degrees of freedom "
            "reach the profile's minimum. Project fixed effects (and then the intercept) are "
            "estimated but not published.",
        ),
    ]
    for entry, published, fit in models:
        excluded = entry.get("excluded_destinations") or []
        blocks.append(
            Block(
                "heading", f"{entry.get('name')}: {entry.get('outcome')} ({entry.get('kind')})", 3
            )
        )
        notes = [
            "sample: linked participants"
            + (f", leavers to {', '.join(map(str, excluded))} excluded" if excluded else "")
        ]
        references = entry.get("reference_levels") or {}
        if references:
            notes.append(
                "reference levels: " + ", ".join(f"{k} = {v}" for k, v in references.items())
            )
        if entry.get("fixed_effects"):
            notes.append("project fixed effects estimated, not published")
        notes += [str(m) for m in entry.get("merges", [])]
        coef = published
        if "Exp(B)" in coef.columns and coef["Exp(B)"].null_count() == coef.height:
            coef = coef.drop("Exp(B)")  # a linear probability model has no odds ratios
        counts = pl.col("statistic").is_in(["N", "residual_dof"])
        shown = fit.with_columns(
            value=pl.when(counts)
            .then(pl.col("value").cast(pl.Int64).cast(pl.String))
            .otherwise(pl.col("value").cast(pl.String))
        )
        blocks += [Block("list", notes), Block("table", coef), Block("table", shown)]
    return blocks


def _survival_notes(counts: dict[str, int]) -> list[str]:
    """What a survival table's rows mean (report section of issue 16, part B)."""
    if counts.get("suppressed", 0) and not counts.get("published") and not counts.get("pooled"):
        return ["suppressed whole: the population is small, its steps cannot be pooled to the "
                "threshold, or the release hides its size"]  # fmt: skip
    return [
        "each step: months from_month..to_month (an empty to_month: from from_month to the end of "
        "observation); at_risk = persons followed at least to from_month, events = spells that "
        "ended within the step; survival with its 95% limits (Greenwood, log-log) at the step's end",
        "months are pooled until every step has at least the threshold at risk and events, and the "
        "persons censored within it are none or at least the threshold; pooled steps are marked",
        "half_interval: the step in which the curve reaches 0.5 (a median is one person's time and "
        "is not published; empty when the curve stays above 0.5); survival_12m: survival at 12 "
        "months, suppressed when no step can end there",
    ]


def to_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "heading":
            lines += ["#" * b.level + " " + b.content, ""]
        elif b.kind == "text":
            lines += [b.content, ""]
        elif b.kind == "params":
            lines += ["| parameter | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in b.content.items()] + [""]
        elif b.kind == "image":
            title, path = b.content
            lines += [f"![{title}](figures/{path.name})", ""]
        elif b.kind == "list":
            lines += [f"- {item}" for item in b.content] + [""]
        elif b.kind == "table":
            frame: pl.DataFrame = b.content
            lines.append("| " + " | ".join(frame.columns) + " |")
            lines.append("|" + "---|" * frame.width)
            lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.iter_rows()]
            lines.append("")
    return "\n".join(lines)


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f0f3f7; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
figcaption { font-size: 0.85rem; color: #555; }
"""


def to_html(blocks: list[Block], title: str) -> str:
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
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
            out.append(
                f"<table id='parameters'><tr><th>parameter</th><th>value</th></tr>{rows}</table>"
            )
        elif b.kind == "image":
            caption, path = b.content
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{e(caption)}</figcaption></figure>")  # fmt: skip
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.content) + "</ul>")
        elif b.kind == "table":
            frame = b.content
            head = "".join(f"<th>{e(c)}</th>" for c in frame.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in row) + "</tr>"
                for row in frame.iter_rows()
            )
            out.append(f"<table class='result'><tr>{head}</tr>{body}</table>")
    out.append("</body></html>")
    return "\n".join(out)
