"""The HTML report renders in a real headless Chromium: title, tables and embedded figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.mark.browser
@pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver not installed (apt-get install chromium chromium-driver)",
)
def test_report_renders_in_chromium(cli: Cli, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    code, _, err = cli("demo", "--out", tmp_path / "demo", "--seed", "11")
    assert code == 0, err
    report = tmp_path / "demo" / "export" / "report.html"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        driver.set_window_size(1200, 900)
        driver.get(report.as_uri())
        assert driver.title.startswith("Durability of work")
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
        )
        assert len(images) == 3 and all(done and width > 100 for done, width in images)
        tables = driver.execute_script("return document.querySelectorAll('table.result').length")
        assert tables >= 10
        assert driver.save_screenshot(str(tmp_path / "report.png"))
    finally:
        driver.quit()
