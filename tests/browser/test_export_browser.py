"""The export panel in real Chromium: a click on the download link yields the file."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By

from layouts.ids import ID
from tests.browser.conftest import console_errors, goto, wait_for

pytestmark = pytest.mark.browser


def test_export_button_downloads_the_map_for_the_current_filters(live_server, browser,
                                                                  tmp_path):
    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    console_errors(browser)  # what an earlier test's page left in the log is not this one's
    goto(browser, live_server, "/?colour=red,orange&date=2020-02-02")
    link = wait_for(lambda: browser.find_element(By.ID, ID.EXPORT_DOWNLOAD), timeout=30,
                    message="export panel did not render")
    wait_for(lambda: "colour=red,orange" in (link.get_attribute("href") or ""), timeout=20,
             message="export link did not follow the filters")
    query = parse_qs(urlparse(link.get_attribute("href")).query)
    assert query["date"] == ["2020-02-02"] and query["paper"] == ["A4"]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()

    def downloaded():
        files = [p for p in tmp_path.iterdir() if not p.name.endswith(".crdownload")]
        return files[0] if files else None

    path = wait_for(downloaded, timeout=45, interval=0.3, message="no file was downloaded")
    time.sleep(0.3)
    assert path.name.startswith("gridwatch-map_2020-02-02_") and path.suffix == ".png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert console_errors(browser) == []


def test_the_pack_options_and_the_empty_selection_note_on_the_card(live_server, browser,
                                                                    tmp_path):
    """The issuing unit and issue number go into the pack link; a bad issue number is left
    out with a word why; filters that keep no grid are named on the card before a download."""
    from gridwatch.i18n import t

    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    console_errors(browser)
    goto(browser, live_server, "/?date=2020-02-02&lang=en")
    pack = wait_for(lambda: browser.find_element(By.ID, ID.EXPORT_PACK), timeout=30,
                    message="export panel did not render")
    unit = browser.find_element(By.ID, ID.EXPORT_UNIT)
    issue = browser.find_element(By.ID, ID.EXPORT_ISSUE)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", unit)
    unit.send_keys("Kaihua Command Office\t")
    issue.send_keys("12\t")
    wait_for(lambda: "issue=12" in (pack.get_attribute("href") or ""), timeout=20,
             message="the pack link did not take the issue number")
    query = parse_qs(urlparse(pack.get_attribute("href")).query)
    assert query["unit"] == ["Kaihua Command Office"] and query["issue"] == ["12"]
    card = browser.find_element(By.CLASS_NAME, "gw-export")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", card)
    card.screenshot(str(tmp_path / "export-card-en.png"))
    issue.clear()
    issue.send_keys("0\t")
    note = browser.find_element(By.ID, ID.EXPORT_NOTE)
    wait_for(lambda: t("export.panel.bad_issue", "en", n=9999) in note.text, timeout=20,
             message="a bad issue number was not named")
    assert "issue=" not in (pack.get_attribute("href") or "")
    goto(browser, live_server, "/?date=2020-02-02&lang=en&level=3&township=330824001")
    note = wait_for(lambda: browser.find_element(By.ID, ID.EXPORT_NOTE), timeout=30,
                    message="export panel did not render")
    wait_for(lambda: t("export.panel.no_match", "en") in note.text, timeout=20,
             message="the card did not say that the filters keep no grid")
    assert console_errors(browser) == []
