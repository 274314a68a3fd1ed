"""The one label table: every code a published table or figure carries, in Dutch and English.

Tables keep their codes (``exit_work``, ``share_ge_90``, ``suppressed``) so the steward's check and
later releases can read them; the report, the workbook's headers and the figures show these labels
instead. A code without a label (a researcher's own breakdown value) is shown as it is.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "LABELS",
    "LANGUAGES",
    "Language",
    "bin_label",
    "format_number",
    "heading",
    "label",
    "phrase",
]

Language = Literal["nl", "en"]
LANGUAGES: Final[tuple[str, ...]] = get_args(Language)

# code -> (Dutch, English)
LABELS: Final[dict[str, tuple[str, str]]] = {
    # groups
    "exit_work": ("Uitgestroomd naar werk", "Exited to work"),
    "worked_1m": ("Ten minste één maand gewerkt", "Worked at least one month"),
    "observed_12m": ("Ten minste één jaar uitgestroomd", "Exited at least one year ago"),
    "exit_education": ("Uitgestroomd naar onderwijs", "Exited to education"),
    "enrolled_1m": ("Ten minste één maand ingeschreven", "Enrolled at least one month"),
    "education_cohort": (
        "Uitgestroomd naar onderwijs (alle gekoppelden)",
        "Exited to education (all linked)",
    ),
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
    "enrolled_count": ("Ingeschreven", "Enrolled"),
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
    "exit_destination": ("Uitstroombestemming", "Exit destination"),
    "work": ("Werk", "Work"),
    "education": ("Onderwijs", "Education"),
    "work_experience": ("Werkervaringsplaats", "Work experience placement"),
    "work_and_learn": ("Leren en werken", "Learning and working"),
    "dropout": ("Voortijdig gestopt", "Dropped out"),
    # model covariates, levels, outcomes, kinds and fit statistics
    "sex": ("geslacht", "sex"),
    "woman": ("vrouw", "woman"),
    "man": ("man", "man"),
    "age_group": ("leeftijdsgroep", "age group"),
    "age": ("leeftijd", "age"),
    "birth_year": ("geboortejaar", "birth year"),
    "(intercept)": ("constante", "intercept"),
    "(pooled projects)": ("samengevoegde projecten", "pooled projects"),
    "in_work_at_end": ("aan het werk in de eindmaand", "in work in the end month"),
    "enrolled_at_end": (
        "ingeschreven in onderwijs in de eindmaand",
        "enrolled in education in the end month",
    ),
    "work_or_education_at_end": (
        "aan het werk of ingeschreven in onderwijs in de eindmaand",
        "in work or enrolled in education in the end month",
    ),
    "logit": ("logistische regressie", "logistic regression"),
    "lpm": ("lineair kansmodel", "linear probability model"),
    "term": ("Variabele", "Term"),
    "N_outcome": ("N met de uitkomst", "N with the outcome"),
    "residual_dof": ("Vrijheidsgraden (residu)", "Residual degrees of freedom"),
    "pseudo_r2": ("Pseudo-R²", "Pseudo R²"),
    "aic": ("AIC", "AIC"),
    # survival tables: rows and columns
    "step": ("Periode", "Step"),
    "half_interval": ("Curve bereikt 50%", "Curve reaches 50%"),
    "survival_12m": ("Overleving na 12 maanden", "Survival at 12 months"),
    "from_month": ("Vanaf maand", "From month"),
    "to_month": ("T/m maand", "To month"),
    "at_risk": ("Nog gevolgd", "At risk"),
    "events": ("Gebeurtenissen", "Events"),
    "survival": ("Overleving", "Survival"),
    "lower": ("Ondergrens 95%-interval", "Lower 95% limit"),
    "upper": ("Bovengrens 95%-interval", "Upper 95% limit"),
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
    "total": ("Totaal (som)", "Total (sum)"),
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
        "cijfer van samengevoegde perioden; een streepje (-) voor een cijfer dat er niet is (niet van "
        "toepassing).",
        "All figures in this report passed disclosure control before they were written. A dot "
        "(·) marks a figure that is not shown; an asterisk (*) a figure of merged periods; a dash "
        "(-) a figure that does not exist (not applicable).",
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
    "pooled_rounded_note": (
        "{first} t/m {last} zijn samengevoegd (*): samen {n} personen (afgerond op {b}), gelijk "
        "verdeeld over de maanden, omdat één maand te weinig personen kan bevatten om te tonen.",
        "{first} to {last} are merged (*): {n} persons together (rounded to {b}), spread evenly "
        "over the months, because a single month may hold too few persons to show.",
    ),
    "rounded_note": (
        "Aantallen zijn afgerond op {b}; aandelen zijn berekend uit de afgeronde aantallen.",
        "Counts are rounded to {b}; shares are computed from the rounded counts.",
    ),
    "rounded_half_note": (
        "Aantallen zijn afgerond op {b}, precies halverwege naar boven ({half} wordt {up}); "
        "aandelen zijn berekend uit de afgeronde aantallen.",
        "Counts are rounded to {b}, exact halves up ({half} becomes {up}); shares are computed "
        "from the rounded counts.",
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
    "t_education_enrolment": (
        "Ingeschreven in onderwijs in de eindmaand: alle gekoppelde deelnemers en per "
        "uitstroombestemming",
        "Enrolled in education in the end month: all linked participants and by exit destination",
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
    "f_not_shown_panel": ("niet getoond", "not shown"),
    "unknown_n": ("onbekend", "not shown"),
    "f_survival": (
        "Duur van de eerste baan en tijd tot de eerste baan (Kaplan-Meier)",
        "Survival in work and time to the first job (Kaplan-Meier)",
    ),
    "f_survival_first_spell": (
        "Eerste baanperiode na uitstroom (vanaf uitstroom, ten minste één maand gewerkt)",
        "First job spell after exit (from exit, worked at least one month)",
    ),
    "f_survival_first_spell_x": ("maanden aan het werk", "months in work"),
    "f_survival_first_spell_y": ("aandeel nog aan het werk", "share still in work"),
    "f_survival_to_first_job": (
        "Tijd van uitstroom tot de eerste baan (vanaf uitstroom, uitgestroomd naar werk)",
        "Time from exit to the first job (from exit, exited to work)",
    ),
    "f_survival_to_first_job_x": ("maanden sinds uitstroom", "months since exit"),
    "f_survival_to_first_job_y": ("aandeel nog zonder werk", "share not yet in work"),
    "f_survival_n": (
        "n = {n}; gearceerd: samengevoegde maanden",
        "n = {n}; shaded: pooled months",
    ),
    "f_survival_limits": ("95%-betrouwbaarheidsinterval", "95% limits"),
    "f_survival_open": (
        "tot het eind van de waarneming (maand {m} en later)",
        "by the end of observation (month {m} onward)",
    ),
    # survival tables in the report
    "t_survival_first_spell": (
        "Duur van werk: de eerste baanperiode na uitstroom tot de eerste maand zonder werk "
        "(Kaplan-Meier; uitgestroomd naar werk en ten minste één maand gewerkt)",
        "Survival in work: months of the first job spell after exit until the first month "
        "without work (Kaplan-Meier; exited to work and worked at least one month)",
    ),
    "t_survival_to_first_job": (
        "Tijd van uitstroom tot de eerste baan, in maanden (Kaplan-Meier; uitgestroomd naar werk; "
        "overleving = aandeel nog zonder werk)",
        "Time from exit to the first job, in months (Kaplan-Meier; exited to work; "
        "survival = share not yet in work)",
    ),
    "s_months": ("maand {a} t/m {b}", "months {a}-{b}"),
    "s_month": ("maand {a}", "month {a}"),
    "s_months_open": ("maand {a} en later", "month {a} onward"),
    "s_all_steps": ("alle perioden", "all steps"),
    "s_interval": ("95%-interval", "95% interval"),
    "s_events_survival_first_spell": ("Baan beëindigd", "Spells ended"),
    "s_events_survival_to_first_job": ("Eerste baan begonnen", "First job started"),
    "s_survival_survival_first_spell": ("Nog aan het werk", "Still in work"),
    "s_survival_survival_to_first_job": ("Nog zonder werk", "Not yet in work"),
    "s_not_reached": (
        "niet bereikt (de curve blijft boven 50%)",
        "not reached (the curve stays above 50%)",
    ),
    "s_note_steps": (
        "Elke rij is een periode: 'nog gevolgd' zijn de personen die ten minste tot het begin van "
        "de periode gevolgd zijn; '{events}' telt wie in die periode de gebeurtenis had; "
        "'{survival}' met het 95%-betrouwbaarheidsinterval (Greenwood, log-log) geldt aan het "
        "eind van de periode.",
        "Each row is a step: 'at risk' are the persons followed at least to the start of the "
        "step; '{events}' counts those with the event within the step; '{survival}' with its "
        "95% interval (Greenwood, log-log) holds at the step's end.",
    ),
    "s_note_pooled": (
        "Maanden zijn samengevoegd tot elke periode ten minste {t} gevolgde personen en {t} "
        "gebeurtenissen heeft, en de personen van wie de waarneming binnen de periode eindigt "
        "nul of ten minste {t} zijn.",
        "Months are merged until every step has at least {t} persons at risk and {t} events, "
        "and the persons whose observation ends within it are none or at least {t}.",
    ),
    "s_note_summary": (
        "Een mediaan is de tijd van één persoon en wordt niet getoond; wel de periode waarin de "
        "curve 50% bereikt. De overleving na 12 maanden wordt niet getoond (·) wanneer geen "
        "periode na 12 maanden eindigt.",
        "A median is one person's time and is not published; the step in which the curve "
        "reaches 50% is. Survival at 12 months is not shown (·) when no step can end there.",
    ),
    "s_note_suppressed": (
        "Deze tabel wordt in zijn geheel niet getoond: de groep is klein, de perioden kunnen niet "
        "tot de drempel worden samengevoegd, of de omvang van de groep is elders niet getoond.",
        "This table is not shown as a whole: the group is small, its steps cannot be merged up "
        "to the threshold, or the group's size is not shown elsewhere in the release.",
    ),
    # the models section
    "m_models": ("Modellen", "Models"),
    "m_intro": (
        "Regressie op de uitkomsten in de eindmaand (B: coëfficiënt, bij een logistische "
        "regressie op de log-odds-schaal; Exp(B): odds ratio; SE: standaardfout; p: tweezijdige "
        "p-waarde). Categorische variabelen worden vergeleken met hun referentiecategorie; een "
        "ontbrekende waarde is een eigen categorie 'onbekend', zodat geen deelnemer wegvalt. "
        "Elke categorie en elke cel van een interactie bevat ten minste de drempel aan "
        "personen met elke uitkomstwaarde, elke combinatie van categorieën ten minste de drempel "
        "aan personen, en de vrijheidsgraden halen het minimum van het regelprofiel. "
        "Projecteffecten (en dan de constante) worden geschat maar niet getoond.",
        "Regression on the outcomes at the end month (B: coefficient, on the log-odds scale "
        "for a logistic regression; Exp(B): odds ratio; SE: standard error; p: two-sided "
        "p-value). Categorical covariates are compared with their reference level; a missing "
        "value is its own level 'unknown', so no participant is left out. Every level and every "
        "cell of an interaction held at least the threshold of persons with each outcome value, "
        "every combination of levels at least the threshold of persons, and the residual "
        "degrees of freedom reach the profile's minimum. Project fixed effects "
        "(and then the intercept) are estimated but not published.",
    ),
    "m_title": ("{outcome} ({kind}; model {name})", "{outcome} ({kind}; model {name})"),
    "m_sample": ("steekproef: gekoppelde deelnemers", "sample: linked participants"),
    "m_excluded": (
        ", zonder de uitgestroomden naar {destinations}",
        ", leavers to {destinations} excluded",
    ),
    "m_references": ("referentiecategorieën: {levels}", "reference levels: {levels}"),
    "m_fixed_effects": (
        "projecteffecten geschat, niet getoond",
        "project fixed effects estimated, not published",
    ),
    "m_merged": (
        "{column}: {levels} samengevoegd met {target}",
        "{column}: {levels} merged into {target}",
    ),
    "m_merged_reference": (
        "{column}: {levels} samengevoegd met de referentiecategorie {target} (geen eigen "
        "categorie)",
        "{column}: {levels} merged into the reference level {target} (not a level of their own)",
    ),
    "m_filled": (
        "{column}: de enkele onbekende waarden zijn vervangen door het gemiddelde (zonder "
        "indicator)",
        "{column}: the few unknown values filled with the mean (no indicator)",
    ),
    "m_cell_merged": (
        "{a} × {b}: geen eigen term; opgenomen in de referentie (geen interactieterm)",
        "{a} × {b}: no term of its own; merged into the reference (no interaction term)",
    ),
    # settings the manifest records as text
    "p_snapshot": ("momentopname", "snapshot"),
    "p_population": ("populatie", "population"),
    "p_prorated": (
        "{end} (bedragen naar rato van de dagen in de maand)",
        "{end} (amounts prorated by days)",
    ),
    "p_snapshot_date": ("peildatum {date}", "snapshot date {date}"),
    "p_population_count": (
        "{rules}: {p} projecten",
        "{rules}: {p} projects",
    ),
    "p_no_rounding": ("geen", "none"),
    "p_language_nl": ("Nederlands", "Dutch"),
    "p_language_en": ("Engels", "English"),
    "p_all": ("alle deelnemers", "all records"),
    "p_merged": (
        "{k} tranches samengevoegd tot {n} projecten",
        "{k} tranches merged into {n} projects",
    ),
    "p_named": ("{k} projecten bij naam gekozen", "{k} projects named"),
    "p_excluded": ("{k} projecten bij naam uitgesloten", "{k} projects excluded by name"),
    "p_finished": ("projecten afgerond uiterlijk {date}", "projects finished by {date}"),
    # the workbook
    "x_contents": ("inhoud", "contents"),
    "x_sheet": ("Blad", "Sheet"),
    "x_title": ("Titel", "Title"),
    "x_note": ("Toelichting", "Note"),
    "x_note_text": (
        "Status 'niet getoond': het cijfer is leeg gelaten (zie disclosure-log.json); een lege "
        "'T/m maand' loopt tot het eind van de waarneming; aandelen als fractie (1 = 100%).",
        "Status 'not shown': the figure is left empty (see disclosure-log.json); an empty 'To "
        "month' runs to the end of observation; shares as fractions (1 = 100%).",
    ),
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


def heading(code: object, language: Language) -> str:
    """A label as a column or row heading: its first letter a capital."""
    text = label(code, language)
    return text[:1].upper() + text[1:]


def format_number(value: float, decimals: int, language: Language) -> str:
    """A number with thousands separators and the language's decimal mark."""
    text = f"{value:,.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if language == "nl" else text


def bin_label(code: object, language: Language) -> str:
    """A durability bin as a reader says it: ``[0.5, 0.8)`` -> ``50–80%``, ``1.0`` -> ``100%``."""
    text = str(code)
    if text.startswith("[") and text.endswith(")"):
        low, _, high = text[1:-1].partition(",")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            return label(text, language)
        return f"{round(lo * 100)}–{'<100%' if hi >= 1.0 else f'{round(hi * 100)}%'}"
    return "100%" if text in ("1.0", "1") else label(text, language)
