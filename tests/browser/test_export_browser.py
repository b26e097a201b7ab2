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
