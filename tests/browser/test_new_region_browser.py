"""A new region in real headless Chromium (issue 13): a county's own boundaries (the demo
moved some 340 km east into UTM zone 51N and renamed) imported as a new region into an empty
store, given a history by ``python -m gridwatch simulate``: the analyst view and the wall
load, paint every grid in a risk colour where the region lies, and carry the region's name,
in both languages, without console errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import (
    console_errors,
    goto,
    new_region_server,
    stop_checked,
    wait_for,
)
from tests.unit.test_new_region import NAME_EN, NAME_ZH, SHIFT

pytestmark = pytest.mark.browser

TITLES = {"zh": (f"{NAME_ZH}网格化防控指挥平台", f"{NAME_ZH}疫情防控指挥大屏"),
          "en": (f"{NAME_EN} Grid Command", f"{NAME_EN} Command Wall")}

PAINTED = """
const map = window.gridwatchMap, out = {n: 0};
if (!map) return null;
const box = map.getBounds();
out.west = box.getWest(); out.east = box.getEast();
map.eachLayer(l => {
    if (!l.feature || l.feature.properties.k === undefined || !l.getBounds) return;
    const fill = l.options && l.options.fillColor;
    if (typeof fill === 'string' && fill.startsWith('#')) {
        out.n += 1; out[fill] = (out[fill] || 0) + 1;
    }
});
return out;
"""
"""Grid polygons drawn in one of the five risk colours, by colour, and the map's extent."""


@pytest.fixture(scope="module")
def region_server(region, tmp_path_factory):
    """A server over a store holding only the new region, with a simulated history."""
    server = new_region_server(region, tmp_path_factory.mktemp("new-region-live"), seed=7)
    yield server
    stop_checked(server)


def painted(browser, grids: int) -> dict:
    def every_grid():
        shown = browser.execute_script(PAINTED)
        return shown if shown and shown["n"] >= grids else None

    return wait_for(every_grid, timeout=60, message="every grid painted in a risk colour")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_analyst_view_and_the_wall_paint_the_new_region_under_its_name(
        region_server, browser, region, lang):
    grids = len(region.grids)
    analyst, wall = TITLES[lang]
    console_errors(browser)
    goto(browser, region_server, f"/?lang={lang}")
    wait_for(lambda: analyst in browser.title, timeout=30, message="the analyst title")
    shown = painted(browser, grids)
    assert len([c for c in shown if c.startswith("#")]) >= 2  # a history, not one colour
    # the map is where the region was moved to, not over Kaihua
    assert shown["west"] > 118.0 + SHIFT - 1 and shown["east"] > 118.7 + SHIFT
    header = browser.find_element(By.TAG_NAME, "header").text
    assert analyst in header and "开化" not in header and "Kaihua" not in header
    assert "2020-02-29" in browser.find_element(By.ID, "as-of-label").text
    assert console_errors(browser) == []

    goto(browser, region_server, f"/wall?lang={lang}")
    wait_for(lambda: wall in browser.find_element(By.CSS_SELECTOR, ".wall").text,
             timeout=30, message="the wall's title")
    painted(browser, grids)
    text = browser.find_element(By.CSS_SELECTOR, ".wall").text
    assert "开化" not in text and "Kaihua" not in text
    tiles = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".wall [data-kpi]"),
                     timeout=30, message="the wall's KPI tiles")
    assert any(any(ch.isdigit() for ch in tile.text) for tile in tiles)
    assert console_errors(browser) == []
    browser.get("about:blank")
