"""The HTML report renders in a real headless Chromium, in English and in Dutch: title, tables,
embedded figures, the expected labels on screen and no internal code visible, in the survival
and models sections too (the demo's run has both)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

# Codes the tables carry and a reader must never see; the labels each language must show.
CODES = ("exit_work", "worked_1m", "observed_12m", "share_ge_90", "share_100", "weighted_mean",
         "temp_agency", "suppressed_secondary", "share_working", "count_working", "first-job",
         "exit_education", "enrolled_1m", "education_cohort", "share_enrolled_at_end", "at_risk",
         "from_month", "to_month", "half_interval", "survival_12m", "residual_dof", "pseudo_r2",
         "sex: woman", "age_group", "in_work_at_end", "(intercept)", "logit")  # fmt: skip
EXPECTED = {
    "en": ("Durability of work", "Exited to work", "Time-weighted mean", "≥ 90% of the time",
           "not shown (·)", "are merged (*)", "Sector-focused project", "Enrolled at least one month",
           "Survival in work", "At risk", "Curve reaches 50%", "Survival at 12 months", "Models",
           "In work in the end month (logistic regression", "Sex: woman", "Age group: ",
           "Residual degrees of freedom", "Pseudo R²", "reference levels: sex = man"),
    "nl": ("Duurzaamheid van werk", "Uitgestroomd naar werk", "Gemiddelde gewogen naar tijd",
           "≥ 90% van de tijd", "niet getoond (·)", "zijn samengevoegd (*)", "Sectorale insteek",
           "Ten minste één maand ingeschreven", "Duur van werk", "Nog gevolgd",
           "Curve bereikt 50%", "Overleving na 12 maanden", "Modellen",
           "Aan het werk in de eindmaand (logistische regressie", "Geslacht: vrouw",
           "Leeftijdsgroep: ", "Vrijheidsgraden (residu)", "Pseudo-R²",
           "referentiecategorieën: geslacht = man", "bedragen naar rato van de dagen",
           "alle deelnemers"),
}  # fmt: skip


def _render_dutch(export: Path, target: Path) -> Path:
    """The same checked tables rendered as a Dutch report (what `--language nl` writes), with a
    published first-spell survival table in place of the demo's (which the release suppresses
    whole), so the page shows survival steps too. Only rendered, never exported."""
    from nbnb_cbs.export.render import render_derived
    from nbnb_cbs.io.published import write_published
    from nbnb_cbs.survival import survival_table

    source = target.parent / "nl-tables"
    shutil.copytree(export, source)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    log = json.loads((source / "disclosure-log.json").read_text(encoding="utf-8"))
    manifest["parameters"]["language"] = "nl"
    steps = survival_table([m for m in range(1, 25) for _ in range(10)], [True] * 240, 10).published
    write_published(steps, source / "tables" / "survival_first_spell.csv", manifest["csv"])
    for entry in log["tables"]:
        if entry["table"] == "survival_first_spell":
            entry["status_counts"] = dict(steps.group_by("status").len().iter_rows())
    render_derived(source, target, manifest, log)
    return target / "report.html"


@pytest.mark.browser
@pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver not installed (apt-get install chromium chromium-driver)",
)
def test_report_renders_in_chromium_in_both_languages(cli: Cli, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    code, _, err = cli("demo", "--out", tmp_path / "demo", "--seed", "11", "--language", "en")
    assert code == 0, err
    # The English export's tables are ,-separated with a decimal point (the manifest says so).
    manifest = json.loads((tmp_path / "demo" / "export" / "manifest.json").read_text("utf-8"))
    assert manifest["csv"] == {"separator": ",", "decimal": "."}
    # The run has a model, both survival tables and the education table: their sections are checked.
    log = json.loads((tmp_path / "demo" / "export" / "disclosure-log.json").read_text("utf-8"))
    assert log["models"] and {"survival_first_spell", "survival_to_first_job", "education"} <= {
        t["table"] for t in log["tables"]
    }
    header = (tmp_path / "demo" / "export" / "tables" / "linkage_yield.csv").read_text("utf-8")
    assert header.startswith("sectoral,statistic,value,n,status\n")
    reports = {
        "en": tmp_path / "demo" / "export" / "report.html",
        "nl": _render_dutch(tmp_path / "demo" / "export", tmp_path / "nl"),
    }
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        driver.set_window_size(1200, 900)
        for language, report in reports.items():
            driver.get(report.as_uri())
            assert driver.title.startswith(EXPECTED[language][0])
            assert driver.execute_script("return document.documentElement.lang") == language
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
            )
            assert len(images) >= 3 and all(done and width > 100 for done, width in images)
            tables = driver.execute_script(
                "return document.querySelectorAll('table.result').length"
            )
            assert tables >= 10
            # What is on screen: the rendered text of the page, as the screenshots show it.
            shown = driver.execute_script("return document.body.innerText")
            missing = [text for text in EXPECTED[language] if text not in shown]
            assert not missing, f"{language}: labels not on screen: {missing}"
            if language == "nl":  # the published survival steps, as a study table
                assert "maand 1" in shown and "en later" in shown and "Baan beëindigd" in shown
            leaked = [code for code in CODES if code in shown]
            assert not leaked, f"{language}: internal codes on screen: {leaked}"
            # The durability table as the source study lays it out: a row per group.
            header = driver.execute_script(
                "return Array.from(document.querySelectorAll('table.result'))"
                ".map(t => t.rows[0].innerText).find(h => h.includes('N\\t'))"
            )
            assert header is not None and header.count("\t") >= 5
            height = driver.execute_script("return document.body.scrollHeight")
            shots = []
            for i, top in enumerate(range(0, min(height, 9000), 900)):
                driver.execute_script(f"window.scrollTo(0, {top})")
                shot = tmp_path / f"report-{language}-{i}.png"
                assert driver.save_screenshot(str(shot))
                shots.append(shot.stat().st_size)
            assert len(shots) >= 3 and min(shots) > 5000
    finally:
        driver.quit()
