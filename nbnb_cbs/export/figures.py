"""Figures for the export, drawn only from published (disclosure-checked) cells.

Each function takes a published table, never person-level data or unchecked aggregates, so a
suppressed cell cannot reach a picture. PNG metadata carries no timestamp, so the same tables
give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from nbnb_cbs.export.labels import Language, format_number, label, phrase
from nbnb_cbs.io.writers import atomic_path

__all__ = [
    "distribution_figure",
    "plot_distribution",
    "plot_series",
    "plot_snapshot",
    "series_figure",
    "snapshot_figure",
    "survival_figure",
]

_META = {"Software": None}


def _plt() -> Any:
    import matplotlib  # noqa: PLC0415  (slow import; only needed when drawing)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "svg.hashsalt": "nbnb"})
    return plt


def _shown(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(~pl.col("status").str.starts_with("suppressed"))


def _hidden(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(pl.col("status").str.starts_with("suppressed"))


def _count(value: object, language: Language) -> str:
    if isinstance(value, int | float):
        return format_number(float(value), 0, language)
    return phrase("unknown_n", language)


def _float(value: object) -> float | None:
    """A cell of a table read as text (survival columns), either decimal mark."""
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


def series_figure(
    share: pl.DataFrame, inflow: pl.DataFrame, path: Path, language: Language = "nl"
) -> Path:
    return _save(plot_series(share, inflow, language), path)


def distribution_figure(
    table: pl.DataFrame,
    path: Path,
    language: Language = "nl",
    n: float | None = None,
    anchor: str = "exit",
) -> Path:
    return _save(plot_distribution(table, language, n, anchor), path)


def snapshot_figure(
    tables: dict[str, pl.DataFrame], path: Path, language: Language = "nl", n: float | None = None
) -> Path:
    return _save(plot_snapshot(tables, language, n), path)


def plot_series(share: pl.DataFrame, inflow: pl.DataFrame, language: Language = "nl") -> Any:
    """Share of entered participants in work (line) and monthly inflow (bars; merged months
    hatched and lighter), after the source study's Figure 6.32. A month whose share is not shown
    is marked on the axis instead of silently missing from the line."""
    plt = _plt()
    fig, ax_bar = plt.subplots(figsize=(9, 4.4))
    months = inflow["month"].to_list()
    positions = {m: i for i, m in enumerate(months)}
    shown = _shown(inflow)
    for pooled, colour, hatch, key in (
        (False, "#9fb8d6", None, "f_inflow"),
        (True, "#d9e3ef", "//", "f_inflow_pooled"),
    ):
        part = shown.filter((pl.col("status") == "pooled") == pooled)
        if part.height:
            ax_bar.bar([positions[m] for m in part["month"]], part["value"], color=colour, hatch=hatch,
                       edgecolor="#6b84a3", linewidth=0.4, label=phrase(key, language))  # fmt: skip
    ax_bar.set_ylabel(phrase("f_series_bars", language))
    ax_bar.set_xlabel(phrase("f_month", language))
    ax_line = ax_bar.twinx()
    within = share.filter(pl.col("month").is_in(months))
    line = _shown(within)
    ax_line.plot([positions[m] for m in line["month"]], line["value"] * 100, color="#c0392b", linewidth=1.8,
                 marker="o", markersize=2.5, label=phrase("f_share", language))  # fmt: skip
    hidden = _hidden(within)
    ax_line.plot([positions[m] for m in hidden["month"]], [0.0] * hidden.height, linestyle="none",
                 marker="x", color="#555555", markersize=5,
                 label=f"{phrase('f_share', language)}: {phrase('f_suppressed_point', language)}")  # fmt: skip
    ax_line.set_ylabel(phrase("f_series_line", language))
    top = line["value"].max()
    ax_line.set_ylim(0, max(50.0, float(top) * 115 if isinstance(top, (int, float)) else 0.0))
    step = max(1, len(months) // 12)
    ax_bar.set_xticks(range(0, len(months), step),
                      [label(m, language) for m in months[::step]], rotation=45, ha="right")  # fmt: skip
    handles = ax_bar.get_legend_handles_labels()
    more = ax_line.get_legend_handles_labels()
    ax_bar.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center",
                  bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=8, frameon=False)  # fmt: skip
    last = line.filter(pl.col("n").is_not_null()).tail(1)
    n = last["n"][0] if last.height else None
    month = last["month"][0] if last.height else "·"
    ax_bar.set_title(phrase("f_series_title", language, n=_count(n, language), month=month))
    fig.tight_layout()
    return fig


def _bin_label(code: str, language: Language) -> tuple[str, bool]:
    """'[0.5, 0.8)' as '50-80%', and whether the bin spans more than one tenth (merged)."""
    if code.startswith("[") and code.endswith(")"):
        low, _, high = code[1:-1].partition(",")
        lo, hi = float(low), float(high)
        upper = "<100%" if hi >= 1.0 else f"{round(hi * 100)}%"
        return f"{round(lo * 100)}–{upper}", hi - lo > 0.1 + 1e-9
    return ("100%" if code in ("1.0", "1") else label(code, language)), False


def plot_distribution(
    table: pl.DataFrame, language: Language = "nl", n: float | None = None, anchor: str = "exit"
) -> Any:
    """Persons per durability bin (the five fixed bins); a bin that is not shown is marked where
    its bar would be."""
    plt = _plt()
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(7, 4.0))
    names: list[str] = []
    for i, row in enumerate(table.iter_rows(named=True)):
        # The five bins are fixed (the study's), whatever the counts: none is said to be merged,
        # since a "merged" mark beside a hidden bin would hint that the bin is small.
        text, _ = _bin_label(str(row["bin"]), language)
        names.append(text)
        if str(row["status"]).startswith("suppressed") or row["n"] is None:
            ax.bar(i, 0.0, color="none")
            ax.annotate(f"· {phrase('f_suppressed_point', language)}", (i, 0), xytext=(0, 4),
                        textcoords="offset points", ha="center", fontsize=8, color="#555555")  # fmt: skip
        else:
            ax.bar(i, float(row["n"]), color="#5b8db8")
    ax.set_xticks(range(len(names)), names)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(phrase("f_distribution_x", language))
    ax.set_ylabel(phrase("f_persons", language))
    ax.set_title(
        phrase(
            "f_distribution_title", language, anchor=label(anchor, language), n=_count(n, language)
        )
    )
    fig.tight_layout()
    return fig


def plot_snapshot(
    tables: dict[str, pl.DataFrame], language: Language = "nl", n: float | None = None
) -> Any:
    """Shares per category of those in work at the end month, one panel per table; a category
    that is not shown is marked at its place."""
    plt = _plt()
    names = [name for name in tables if tables[name].height]
    fig, axes = plt.subplots(
        1, max(1, len(names)), figsize=(3.2 * max(1, len(names)), 3.9), squeeze=False
    )
    for ax, name in zip(axes[0], names, strict=False):
        part = tables[name].filter(
            (pl.col("statistic") == "share") & (pl.col("category") != "Total")
        )
        hidden = part["status"].str.starts_with("suppressed").to_list()
        values = [
            0.0 if h or v is None else float(v) * 100
            for v, h in zip(part["value"], hidden, strict=True)
        ]
        ax.bar(range(part.height), values, color="#7aa874")
        for i, h in enumerate(hidden):
            if h:
                ax.annotate("·", (i, 0), xytext=(0, 3), textcoords="offset points", ha="center",
                            fontsize=14, color="#555555")  # fmt: skip
        ax.set_xticks(range(part.height), [label(c, language) for c in part["category"]],
                      rotation=30, ha="right")  # fmt: skip
        ax.set_title(phrase(f"t_{name}", language), fontsize=8)
        ax.set_ylim(0, 100)
        if all(hidden):
            ax.text(0.5, 0.5, phrase("f_not_shown_panel", language), ha="center", va="center",
                    transform=ax.transAxes, color="#777")  # fmt: skip
    axes[0][0].set_ylabel(phrase("f_snapshot_y", language))
    fig.suptitle(phrase("f_snapshot_title", language, n=_count(n, language)) + " (· = "
                 + phrase("f_suppressed_point", language) + ")", fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def survival_figure(tables: dict[str, pl.DataFrame], path: Path, language: Language = "nl") -> Path:
    return _save(plot_survival(tables, language), path)


_SURVIVAL_PANELS = ("survival_first_spell", "survival_to_first_job")


def plot_survival(tables: dict[str, pl.DataFrame], language: Language = "nl") -> Any:
    """Kaplan-Meier step curves drawn from the published steps only, with 95% limits. Each
    pooled interval is shaded and labelled (the curve drops at its end: that is all the published
    counts say); the open last step is dashed; n (at risk at the start) in each title."""
    plt = _plt()
    names = [n for n in _SURVIVAL_PANELS if n in tables]
    hidden_word = phrase("f_suppressed_point", language)
    fig, axes = plt.subplots(1, max(1, len(names)), figsize=(5.2 * max(1, len(names)), 3.8),
                             squeeze=False)  # fmt: skip
    colour = "#1f5f99"
    for ax, name in zip(axes[0], names, strict=False):
        title = phrase(f"f_{name}", language)
        xlabel, ylabel = phrase(f"f_{name}_x", language), phrase(f"f_{name}_y", language)
        rows = _shown(tables[name].filter(pl.col("statistic") == "step")).to_dicts()
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1.05)
        if not rows:
            ax.set_title(f"{title}\n({hidden_word})", fontsize=8)
            ax.text(0.5, 0.5, hidden_word, ha="center", va="center", transform=ax.transAxes,
                    color="#777")  # fmt: skip
            continue
        last = float(rows[-1]["from_month"])
        tail = last + max(3.0, 0.2 * last)
        level, low, high = 1.0, 1.0, 1.0
        xs, ys, los, his = [float(rows[0]["from_month"]) - 0.5], [1.0], [1.0], [1.0]
        for k, row in enumerate(rows):
            a = float(row["from_month"]) - 0.5
            b = tail if row["to_month"] is None else float(row["to_month"]) + 0.5
            if row["status"] == "pooled":
                ax.axvspan(a, b, color="#e4e9f1" if k % 2 == 0 else "#f2f4f8", zorder=0)
            label = f"{row['from_month']}" + ("+" if row["to_month"] is None else
                    ("" if row["to_month"] == row["from_month"] else f"-{row['to_month']}"))  # fmt: skip
            ax.text((a + b) / 2, 0.02, label, ha="center", va="bottom", fontsize=7, color="#555")
            if row["to_month"] is None:
                break
            xs.append(b)
            ys.append(level)
            los.append(low)
            his.append(high)
            level, low, high = (float(row[c]) for c in ("survival", "lower", "upper"))
            xs.append(b)
            ys.append(level)
            los.append(low)
            his.append(high)
        end = tail if rows[-1]["to_month"] is None else xs[-1]
        ax.plot([*xs, end], [*ys, level], color=colour, linewidth=1.6, label="Kaplan-Meier")
        ax.fill_between([*xs, end], [*los, low], [*his, high], color=colour, alpha=0.15,
                        linewidth=0, label=phrase("f_survival_limits", language))  # fmt: skip
        if rows[-1]["to_month"] is None:
            final = rows[-1]
            ax.plot([last - 0.5, tail], [float(final["survival"])] * 2, color=colour,
                    linewidth=1.2, linestyle="--", label=phrase("f_survival_open", language, m=final["from_month"]))  # fmt: skip
        n = phrase("f_survival_n", language, n=_count(_float(rows[0]["at_risk"]), language))
        ax.set_title(f"{title}\n{n}", fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 0.07))
    fig.tight_layout()
    return fig


def _save(fig: Any, path: Path) -> Path:
    plt = _plt()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", metadata=_META)
    plt.close(fig)
    return path
