"""The analyst view in real headless Chromium against a real server."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

import geopandas as gpd
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from gridwatch.filters import Filters
from gridwatch.metrics import grid_detail, grid_status, select_grids, township_levels
from gridwatch.settings import DEFAULT_PALETTE
from tests.browser.conftest import click_map_at, console_errors, goto, into_view, wait_for

pytestmark = pytest.mark.browser

DAY = date(2020, 2, 1)
BACKGROUND = (0xF5, 0xF7, 0xF8)
MUTED = (0xCF, 0xD8, 0xDC)
FILL_OPACITY = 0.78


def hex_rgb(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


def blend(colour, alpha, under=BACKGROUND):
    return tuple(round(alpha * c + (1 - alpha) * u) for c, u in zip(colour, under, strict=True))


EXPECTED = {name: blend(hex_rgb(h), FILL_OPACITY) for name, h in DEFAULT_PALETTE.items()}
EXPECTED["muted"] = blend(MUTED, 0.35)


def nearest(pixel) -> str:
    return min(EXPECTED, key=lambda k: sum((a - b) ** 2 for a, b in zip(pixel, EXPECTED[k],
                                                                             strict=True)))


def open_view(browser, server, query: str = "") -> None:
    console_errors(browser)  # drop what earlier pages logged
    goto(browser, server, f"/{query}")
    wait_for(lambda: browser.execute_script(
        "return window.gridwatchMap && document.querySelectorAll('[data-kpi]').length === 6"
        " && document.querySelector('.ag-center-cols-container .ag-row') !== null"),
        timeout=30, message="analyst view did not finish loading")


def kpi_selected(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "[data-kpi=colours] .gw-tile-note").text


def sample_points(region, status, per_colour: int = 3):
    """The largest grids of each colour, each with a point well inside it (lat, lon)."""
    metric = region.grids.set_index("code").to_crs("EPSG:32650")
    picked = []
    for colour in DEFAULT_PALETTE:
        codes = status.index[status["colour"] == colour]
        for code in metric.loc[codes].area.sort_values(ascending=False).index[:per_colour]:
            shape = metric.loc[code, "geometry"]
            inner = shape.buffer(-150)
            point = (shape if inner.is_empty else inner).representative_point()
            p = gpd.GeoSeries([point], crs="EPSG:32650").to_crs(4326).iloc[0]
            picked.append((code, colour, p.y, p.x))
    return picked


HIDE_OVERLAYS = """
    for (const pane of ['points', 'labels', 'villageLabels', 'hotspots', 'townships', 'county',
                        'tooltipPane'])
        window.gridwatchMap.getPane(pane).style.display = arguments[0] ? 'none' : '';
    for (const el of document.querySelectorAll('.gw-legend, .gw-map-hint, .leaflet-control'))
        el.style.display = arguments[0] ? 'none' : '';
"""


def grid_pixels(browser, points, zoom: int = 14) -> dict[str, tuple]:
    """Centre the map on each point in turn, with everything but the grid fills hidden, and
    read the pixel there from a real screenshot."""
    browser.execute_script(HIDE_OVERLAYS, True)
    pixels = {}
    try:
        for code, _colour, lat, lon in points:
            browser.execute_script(
                "window.gridwatchMap.setView([arguments[0], arguments[1]], arguments[2],"
                " {animate: false});", lat, lon, zoom)
            browser.execute_script("return new Promise(r => requestAnimationFrame("
                                   "() => requestAnimationFrame(r)))")
            x, y = browser.execute_script("""
                const rect = window.gridwatchMap.getContainer().getBoundingClientRect();
                const p = window.gridwatchMap.latLngToContainerPoint([arguments[0], arguments[1]]);
                return [Math.round(rect.left + p.x), Math.round(rect.top + p.y)];""", lat, lon)
            image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
            pixels[code] = image.getpixel((x, y))
    finally:
        browser.execute_script(HIDE_OVERLAYS, False)
    return pixels


def test_grids_are_painted_in_their_risk_colours(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    snap = source.snapshot()
    region = snap.region
    status = grid_status(snap, DAY)
    points = sample_points(region, status)
    assert {colour for _c, colour, *_ in points} == set(DEFAULT_PALETTE)
    pixels = grid_pixels(browser, points)
    wrong = {code: (colour, pixels[code]) for code, colour, *_ in points
             if nearest(pixels[code]) != colour}
    assert wrong == {}
    assert console_errors(browser) == []


def test_control_level_filter_changes_map_kpis_and_table(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    snap = source.snapshot()
    region = snap.region
    status = grid_status(snap, DAY)
    inside = status[select_grids(status, Filters(levels=(1,), as_of=DAY))]
    assert 0 < len(inside) < 747
    assert "747" in kpi_selected(browser)

    browser.find_element(By.CSS_SELECTOR, "#filter-level input[value='1']").click()
    wait_for(lambda: "level=1" in browser.current_url, message="URL did not follow the filter")
    wait_for(lambda: str(len(inside)) in kpi_selected(browser), message="KPIs did not follow")
    # the table below fills when it scrolls into view, with the filters chosen meanwhile
    into_view(browser, "grid-table-count")
    wait_for(lambda: browser.find_element(By.ID, "grid-table-count").text.startswith(
        f"共 {len(inside)} "), message="table did not follow")
    rows = browser.execute_script(
        "return document.querySelectorAll('.ag-center-cols-container .ag-row').length")
    assert rows > 0
    browser.execute_script("window.scrollTo(0, 0)")

    levels = township_levels(snap, DAY)
    outside = status[~status["township_code"].isin(levels[levels == 1].index)]
    points = sample_points(region, inside, per_colour=1)[:3] + [
        (code, "muted", lat, lon) for code, _c, lat, lon in
        sample_points(region, outside, per_colour=1)[:3]]
    pixels = grid_pixels(browser, points)
    for code, colour, *_ in points:
        expected = status.loc[code, "colour"] if colour != "muted" else "muted"
        assert nearest(pixels[code]) == expected, code
    assert console_errors(browser) == []


def test_filters_change_styles_not_geometry(browser, live_server):
    open_view(browser, live_server)
    count = ("return performance.getEntriesByType('resource').filter("
             "e => e.name.includes('/geo/')).length")
    # the layers fetch their geometry by themselves: wait until they all have, then once more
    wait_for(lambda: browser.execute_script(count) >= 10, timeout=30,
             message="the layers did not all load")
    time.sleep(0.5)
    geo_before = browser.execute_script(count)
    # 7 layers, the township and village label points and the grid points (hotspot marks),
    # each once
    assert geo_before == 10
    browser.execute_script("performance.clearResourceTimings()")
    for value in ("1", "2"):
        browser.find_element(By.CSS_SELECTOR, f"#filter-level input[value='{value}']").click()
        wait_for(lambda v=value: f"level=1{',2' if v == '2' else ''}" in browser.current_url)
    browser.find_element(By.ID, "filter-prev-day").click()
    wait_for(lambda: "date=2020-02-28" in browser.current_url)
    wait_for(lambda: "2020-02-28" in browser.find_element(By.ID, "as-of-label").text)
    entries = browser.execute_script(
        "return performance.getEntriesByType('resource').map("
        "e => [e.name, e.transferSize, e.encodedBodySize])")
    assert not [e for e in entries if "/geo/" in e[0]], "geometry was fetched again"
    updates = [e for e in entries if "_dash-update-component" in e[0]]
    assert updates
    assert max(e[2] for e in updates) < 120_000, "a callback response is suspiciously large"
    assert console_errors(browser) == []


def test_a_copied_link_reopens_the_same_view(browser, live_server):
    open_view(browser, live_server, "?level=1&colour=red,orange&date=2020-02-03")
    checked = browser.execute_script(
        "return [...document.querySelectorAll('#filter-level input:checked, "
        "#filter-colour input:checked')].map(e => e.value)")
    assert sorted(checked) == ["1", "orange", "red"]
    summary = browser.find_element(By.ID, "filter-summary").text
    assert "一级管控" in summary and "2020-02-03" in summary
    assert "2020-02-03" in browser.find_element(By.ID, "as-of-label").text
    assert console_errors(browser) == []


def test_a_bad_link_says_what_was_wrong(browser, live_server):
    open_view(browser, live_server, "?level=9&colour=purple")
    message = wait_for(lambda: browser.find_element(By.ID, "url-problems").text)
    assert "9" in message and "purple" in message
    assert "747" in kpi_selected(browser)
    assert console_errors(browser) == []


def test_clicking_a_grid_opens_its_detail(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    region = source.region()
    snap = source.snapshot()
    status = grid_status(snap, DAY)
    # a red grid marked on the day itself: the day before, its newest mark is an older one
    newest = {c: grid_detail(snap, c, DAY).history["observed_at"].iloc[0]
              for c in status.index[status["colour"] == "red"]}
    marked = status.loc[[c for c, at in newest.items() if at.date() == DAY]]
    code, _colour, lat, lon = sample_points(region, marked, 1)[0]
    browser.execute_script(
        "window.gridwatchMap.setView([arguments[0], arguments[1]], 14, {animate: false});",
        lat, lon)
    # The view must have settled there (a late answer may still move the map) before the
    # click is aimed: the same centre and zoom twice, 300 ms apart.
    settled = """
        const m = window.gridwatchMap, c = m.getCenter();
        if (m.getZoom() !== 14 || Math.abs(c.lat - arguments[0]) > 1e-6
            || Math.abs(c.lng - arguments[1]) > 1e-6) {
            m.setView([arguments[0], arguments[1]], 14, {animate: false});
            return false;
        }
        return true;"""
    wait_for(lambda: browser.execute_script(settled, lat, lon) and not time.sleep(0.3)
             and browser.execute_script(settled, lat, lon), timeout=20,
             message="the map did not stay on the grid")
    click_map_at(browser, lat, lon)
    heading = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#grid-detail h4"))
    assert heading.get_attribute("data-grid") == code
    detail = browser.find_element(By.ID, "grid-detail").text
    assert "颜色变化" in detail and "红" in detail
    assert newest[code].strftime("%m-%d %H:%M") in detail
    # While it is open the detail follows the day (assets/analyst.js asks for it).
    before = grid_detail(snap, code, DAY - timedelta(days=1)).history["observed_at"].iloc[0]
    browser.find_element(By.ID, "filter-prev-day").click()
    wait_for(lambda: before.strftime("%m-%d %H:%M") in browser.find_element(
        By.CSS_SELECTOR, "#grid-detail li").text, message="the detail on the day before")
    assert newest[code].strftime("%m-%d %H:%M") not in browser.find_element(
        By.ID, "grid-detail").text
    assert browser.find_element(By.CSS_SELECTOR, "#grid-detail h4").get_attribute(
        "data-grid") == code
    assert console_errors(browser) == []


def test_the_view_speaks_english(browser, live_server):
    open_view(browser, live_server, "?lang=en")
    assert browser.find_element(By.CSS_SELECTOR, ".gw-brand h1").text == \
        "Kaihua County Grid Command"
    assert "Grids by risk colour" in browser.find_element(By.ID, "kpis").text
    assert browser.find_element(By.ID, "lang-link").text == "中文"
    assert console_errors(browser) == []


def test_a_panel_below_the_fold_fills_when_it_scrolls_into_view(browser, live_server):
    """The inspections card, far below the fold at 1920×1080, is asked for only once it is
    scrolled to; a filter changed while it is out of view reaches it when it comes back."""
    open_view(browser, live_server, f"?date={DAY}")

    def inspections() -> str:
        return browser.find_element(By.ID, "inspection-panel").text

    assert inspections() == ""  # nothing asked for it: the page opened at the top
    into_view(browser, "inspection-panel")
    everywhere = wait_for(inspections, timeout=20, message="the card did not fill in view")
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element(By.CSS_SELECTOR, "#filter-level input[value='1']").click()
    wait_for(lambda: "level=1" in browser.current_url, message="the filter did not apply")
    time.sleep(1.5)  # the filter's answers have come: the card out of view kept its text
    assert inspections() == everywhere
    into_view(browser, "inspection-panel")
    wait_for(lambda: inspections() and inspections() != everywhere, timeout=20,
             message="the card did not follow the filter once back in view")
    browser.execute_script("window.scrollTo(0, 0)")
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang, month, weekday, other", [("zh", "二月", "一", "February"),
                                                        ("en", "February", "Mo", "二月")])
def test_the_date_picker_speaks_the_pages_language_and_opens_over_the_map(
        browser, live_server, lang, month, weekday, other):
    open_view(browser, live_server, f"?date=2020-02-10&lang={lang}")
    browser.find_element(By.ID, "filter-date").click()
    found = wait_for(lambda: browser.execute_script("""
        const pop = document.querySelector('.dash-datepicker-content');
        if (!pop) return null;
        const box = pop.getBoundingClientRect();
        const top = document.elementFromPoint(box.right - 8, box.top + box.height / 2);
        return {names: pop.textContent, shown: pop.innerText, over: pop.contains(top)};"""),
        timeout=10, message="the calendar did not open")
    assert month in found["names"] and other not in found["names"], found["names"][:80]
    assert weekday in found["shown"].split(), found["shown"][:80]
    assert found["over"], "the calendar is under the map"
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
