"""The one label table: every code a published table or figure carries, in Dutch and English.

Tables keep their codes (``exit_work``, ``share_ge_90``, ``suppressed``) so the steward's check and
later releases can read them; the report, the workbook's headers and the figures show these labels
instead. A code without a label (a researcher's own breakdown value) is shown as it is.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["LABELS", "LANGUAGES", "Language", "label", "phrase"]

Language = Literal["nl", "en"]
LANGUAGES: Final[tuple[str, ...]] = get_args(Language)

# code -> (Dutch, English)
LABELS: Final[dict[str, tuple[str, str]]] = {
    # groups
    "exit_work": ("Uitgestroomd naar werk", "Exited to work"),
    "worked_1m": ("Ten minste één maand gewerkt", "Worked at least one month"),
    "observed_12m": ("Ten minste één jaar uitgestroomd", "Exited at least one year ago"),
    "education_cohort": ("Uitgestroomd naar onderwijs", "Exited to education"),
    # statistics
    "n": ("N", "N"),
    "mean": ("Gemiddelde", "Mean"),
    "weighted_mean": ("Gemiddelde gewogen naar tijd", "Time-weighted mean"),
    "share_100": ("100% van de tijd", "100% of the time"),
    "share_ge_90": ("≥ 90% van de tijd", "≥ 90% of the time"),
    "records": ("Deelnemers", "Participants"),
    "linked": ("Gekoppeld", "Linked"),
    "share_linked": ("Aandeel gekoppeld", "Share linked"),
    "count_working": ("Aan het werk", "In work"),
    "share_working": ("Aandeel aan het werk", "Share in work"),
    "share_enrolled_at_end": ("Aandeel ingeschreven aan het eind", "Share enrolled at the end"),
    "inflow": ("Instroom", "Inflow"),
    "count": ("Aantal", "Number"),
    "share": ("Aandeel", "Share"),
    "ratio": ("Waarde", "Value"),
    # snapshot categories
    "1": ("1 baan", "1 job"),
    "2+": ("2 of meer banen", "2 or more jobs"),
    "full_time": ("Voltijd", "Full-time"),
    "part_time": ("Deeltijd", "Part-time"),
    "temp_agency": ("Uitzendkracht", "Temporary agency work"),
    "employment_contract": ("Arbeidsovereenkomst", "Employment contract"),
    "flexible": ("Flexibel", "Flexible"),
    "permanent": ("Vast", "Permanent"),
    "other": ("Overig", "Other"),
    "unknown": ("Onbekend", "Unknown"),
    "hours": ("Uren per maand (gemiddeld)", "Hours per month (mean)"),
    "fulltime_days": ("Voltijddagen per maand (gemiddeld)", "Full-time days per month (mean)"),
    "base_wage": ("Basisloon per maand (gemiddeld, €)", "Base wage per month (mean, €)"),
    "hourly_wage": (
        "Uurloon (totaal loon / totaal uren, €)",
        "Hourly wage (total wage / total hours, €)",
    ),
    # breakdown names and values
    "sectoral": ("Sectorale insteek", "Sector-focused project"),
    "true": ("ja", "yes"),
    "false": ("nee", "no"),
    "Total": ("Totaal", "Total"),
    "later": ("later of onbekend", "later or unknown"),
    # statuses
    "published": ("gepubliceerd", "published"),
    "suppressed": ("niet getoond", "not shown"),
    "pooled": ("samengevoegd", "merged"),
    "rounded": ("afgerond", "rounded"),
    # column headers
    "group": ("Groep", "Group"),
    "category": ("Categorie", "Category"),
    "month": ("Maand", "Month"),
    "bin": ("Duurzaamheid", "Durability"),
    "value": ("Waarde", "Value"),
    "persons": ("Personen", "Persons"),
    "status": ("Status", "Status"),
    "pool": ("Samengevoegd over", "Merged over"),
    "statistic": ("Statistiek", "Statistic"),
    # anchors
    "exit": ("vanaf uitstroom", "from exit"),
    "first-job": ("vanaf eerste baan", "from first job"),
}

# Sentences and titles; {placeholders} are filled in by the caller.
_PHRASES: Final[dict[str, tuple[str, str]]] = {
    "title": ("Duurzaamheid van werk: {project}", "Durability of work: {project}"),
    "intro": (
        "Alle cijfers in dit rapport zijn vóór publicatie gecontroleerd op onthullingsrisico. "
        "Een punt (·) staat voor een cijfer dat niet getoond wordt; een sterretje (*) voor een "
        "cijfer van samengevoegde perioden.",
        "All figures in this report passed disclosure control before they were written. A dot "
        "(·) marks a figure that is not shown; an asterisk (*) a figure of merged periods.",
    ),
    "method": ("Methode", "Method"),
    "parameters": ("Instellingen", "Parameters"),
    "figures": ("Figuren", "Figures"),
    "tables": ("Tabellen", "Tables"),
    "parameter": ("instelling", "parameter"),
    "setting_value": ("waarde", "value"),
    "suppressed_note": (
        "{k} cijfer(s) niet getoond (·): ze gaan over minder dan {t} personen, of zouden samen "
        "met andere cijfers in dit rapport zo'n klein aantal verraden.",
        "{k} figure(s) not shown (·): they concern fewer than {t} persons, or together with other "
        "figures in this report they would reveal such a small number.",
    ),
    "pooled_note": (
        "{first} t/m {last} zijn samengevoegd (*): samen {n} personen, gelijk verdeeld over de "
        "maanden, omdat één maand te weinig personen kan bevatten om te tonen.",
        "{first} to {last} are merged (*): {n} persons together, spread evenly over the months, "
        "because a single month may hold too few persons to show.",
    ),
    "rounded_note": (
        "Aantallen zijn afgerond op {b}; aandelen zijn berekend uit de afgeronde aantallen.",
        "Counts are rounded to {b}; shares are computed from the rounded counts.",
    ),
    "nothing_note": (
        "Alle cijfers van deze tabel worden getoond.",
        "Every figure of this table is shown.",
    ),
    "source": (
        "Bron: CBS-microdata, bewerking nbnb-cbs; eindmaand {end}.",
        "Source: CBS microdata, processed by nbnb-cbs; end month {end}.",
    ),
    # table titles by catalogue kind
    "t_linkage_yield": ("Koppeling met CBS-microdata", "Linkage to CBS microdata"),
    "t_durability": (
        "Duurzaamheid van werk na uitstroom ({anchor})",
        "Durability of work after exit ({anchor})",
    ),
    "t_education": (
        "Duurzaamheid van onderwijs na uitstroom naar onderwijs",
        "Durability of education after exit to education",
    ),
    "t_series_share_working": (
        "Aandeel ingestroomde deelnemers aan het werk, per maand (N afgerond op 10)",
        "Share of entered participants in work, per month (N rounded to 10)",
    ),
    "t_series_inflow": (
        "Nieuwe deelnemers per maand (per kwartaal samengevoegd)",
        "New participants per month (merged per quarter)",
    ),
    "t_snapshot_working": ("Aan het werk in de eindmaand", "In work in the end month"),
    "t_snapshot_jobs": ("Aantal banen van werkenden", "Number of jobs of those in work"),
    "t_snapshot_hours_type": (
        "Voltijd of deeltijd (grootste baan)",
        "Full-time or part-time (largest job)",
    ),
    "t_snapshot_employment_type": (
        "Soort dienstverband (grootste baan)",
        "Employment type (largest job)",
    ),
    "t_snapshot_relation": (
        "Flexibel of vast (grootste baan)",
        "Flexible or permanent (largest job)",
    ),
    "t_snapshot_amounts": (
        "Uren, voltijddagen en lonen van werkenden",
        "Hours, full-time days and wages of those in work",
    ),
    "t_durability_distribution": (
        "Verdeling van de duurzaamheid ({anchor}; ten minste één maand gewerkt)",
        "Distribution of durability ({anchor}; worked at least one month)",
    ),
    # figures
    "f_series": (
        "Ingestroomde deelnemers aan het werk en instroom per maand",
        "Entered participants in work and monthly inflow",
    ),
    "f_series_title": (
        "Aan het werk en instroom per maand (N = {n} ingestroomd in {month})",
        "In work and monthly inflow (N = {n} entered by {month})",
    ),
    "f_series_bars": ("nieuwe deelnemers per maand", "new participants per month"),
    "f_series_line": (
        "aandeel ingestroomde deelnemers aan het werk (%)",
        "share of entered participants in work (%)",
    ),
    "f_inflow": ("instroom", "inflow"),
    "f_inflow_pooled": ("instroom (per kwartaal samengevoegd)", "inflow (merged per quarter)"),
    "f_share": ("aandeel aan het werk (%)", "share in work (%)"),
    "f_suppressed_point": ("niet getoond", "not shown"),
    "f_month": ("maand", "month"),
    "f_distribution": ("Verdeling van de duurzaamheid", "Distribution of durability"),
    "f_distribution_title": (
        "Duurzaamheid {anchor}, ten minste één maand gewerkt (N = {n})",
        "Durability {anchor}, worked at least one month (N = {n})",
    ),
    "f_distribution_x": (
        "duurzaamheid (deel van de waarneembare maanden met werk)",
        "durability (share of observable months in work)",
    ),
    "f_persons": ("personen", "persons"),
    "f_merged_bin": ("samengevoegd", "merged"),
    "f_snapshot": ("Werkenden in de eindmaand", "Those in work at the end month"),
    "f_snapshot_title": (
        "Werkenden in de eindmaand (N = {n})",
        "In work at the end month (N = {n})",
    ),
    "f_snapshot_y": ("% van de werkenden", "% of those in work"),
    "f_not_shown_panel": ("niet getoond\n(te kleine aantallen)", "not shown\n(too few persons)"),
    "unknown_n": ("onbekend", "not shown"),
}


def label(code: object, language: Language) -> str:
    """The reader's word for a code; a value the table does not know is shown unchanged."""
    text = str(code)
    pair = LABELS.get(text)
    if pair is None:
        return text
    return pair[0] if language == "nl" else pair[1]


def phrase(key: str, language: Language, **values: object) -> str:
    """A sentence or title of the report in ``language``, with its placeholders filled in."""
    nl, en = _PHRASES[key]
    return (nl if language == "nl" else en).format(**values)
