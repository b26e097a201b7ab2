"""An empty new region in real headless Chromium (issue 13): the analyst view and the wall of
a region imported into a store without history load and say "no data yet" with the region's
name, in both languages, without console errors; the wall still fits its screen."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from gridwatch.i18n import t
from layouts.ids import ID
from tests.browser.conftest import (
    console_errors,
    goto,
    new_region_server,
    stop_checked,
    wait_for,
)
from tests.browser.driver import set_viewport
from tests.browser.test_wall import FIT_CHECK
from tests.unit.test_new_region import NAME_EN, NAME_ZH

pytestmark = pytest.mark.browser

NAMES = {"zh": NAME_ZH, "en": NAME_EN}


@pytest.fixture(scope="module")
def empty_server(region, tmp_path_factory):
    """A server over a store holding only a new region (the demo moved and renamed)."""
    server = new_region_server(region, tmp_path_factory.mktemp("empty-live"))
    yield server
    stop_checked(server)


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_analyst_view_of_an_empty_region_says_no_data_yet(empty_server, browser, lang):
    console_errors(browser)
    goto(browser, empty_server, f"/?lang={lang}")
    wait_for(lambda: t("nodata.title", lang) in text_of(browser, ID.KPIS), timeout=60,
             message="the KPI row did not say no data yet")
    kpis = text_of(browser, ID.KPIS)
    assert NAMES[lang] in kpis and "python -m gridwatch simulate" in kpis
    wait_for(lambda: text_of(browser, ID.AS_OF_LABEL) == t("nodata.as_of", lang), timeout=30,
             message="the header did not say no data yet")
    assert NAMES[lang] in browser.title
    wait_for(lambda: t("nodata.chart", lang) in browser.find_element(
        By.ID, ID.TASK_CHART).text, timeout=30, message="the task chart did not say so")
    ticks = f"return document.querySelectorAll('#{ID.TASK_CHART} .xtick').length"
    assert browser.execute_script(ticks) == 0
    assert console_errors(browser) == []


@pytest.mark.parametrize(("lang", "size"), [("zh", (3840, 2160)), ("en", (1920, 1080))])
def test_the_wall_of_an_empty_region_says_no_data_yet_and_fits(empty_server, browser, lang,
                                                              size):
    console_errors(browser)
    set_viewport(browser, *size)
    try:
        goto(browser, empty_server, f"/wall?lang={lang}")
        wait_for(lambda: t("nodata.title", lang) in text_of(browser, ID.WALL_KPIS),
                 timeout=60, message="the wall's KPIs did not say no data yet")
        assert NAMES[lang] in text_of(browser, ID.WALL_KPIS)
        assert NAMES[lang] in browser.find_element(By.CSS_SELECTOR, ".wall-head h1").text
        wait_for(lambda: text_of(browser, ID.WALL_AS_OF).startswith(t("nodata.as_of", lang)),
                 timeout=30, message="the wall's date did not say no data yet")
        wait_for(lambda: t("nodata.chart", lang) in text_of(browser, ID.WALL_PANEL),
                 timeout=30, message="the wall's chart did not say no data yet")
        assert "2012" not in text_of(browser, ID.WALL_PANEL)
        assert browser.execute_script(FIT_CHECK) == []
        assert console_errors(browser) == []
    finally:
        set_viewport(browser, 1920, 1080)
