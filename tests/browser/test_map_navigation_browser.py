"""The tree both ways on the analyst map, in real Chromium: drill down by clicking, back up by
the breadcrumb, search, zoom to a selection, a second label click, an empty result's reason,
and none of it fetching or sending geometry again."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import geopandas as gpd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from gridwatch import navigation
from gridwatch.filters import Filters
from gridwatch.geo.crs import region_crs
from gridwatch.metrics import grid_status, kept_grids
from tests.browser.conftest import click_map_at, console_errors, goto, wait_for

pytestmark = pytest.mark.browser

DAY = date(2020, 2, 3)
GEO_COUNT = ("return performance.getEntriesByType('resource').filter("
             "e => e.name.includes('/geo/')).length")


def open_view(browser, server, query: str = "") -> None:
    console_errors(browser)  # drop what earlier pages logged
    goto(browser, server, f"/{query}")
    wait_for(lambda: browser.execute_script(
        "return window.gridwatchMap && document.querySelectorAll('[data-kpi]').length === 6"),
        timeout=30, message="analyst view did not finish loading")
    # every layer has fetched its geometry (10 files: see test_analyst) before anything else
    wait_for(lambda: browser.execute_script(GEO_COUNT) >= 10, timeout=30,
             message="the layers did not all load")


def map_bounds(browser) -> list[list[float]]:
    return browser.execute_script(
        "const b = window.gridwatchMap.getBounds();"
        "return [[b.getSouth(), b.getWest()], [b.getNorth(), b.getEast()]];")


def contains(outer, inner, slack: float = 1e-6) -> bool:
    return (outer[0][0] <= inner[0][0] + slack and outer[0][1] <= inner[0][1] + slack
            and outer[1][0] >= inner[1][0] - slack and outer[1][1] >= inner[1][1] - slack)


def area(bounds) -> float:
    return (bounds[1][0] - bounds[0][0]) * (bounds[1][1] - bounds[0][1])


def settled_on(browser, target, county) -> bool:
    """The map stopped moving with ``target`` in view and shows less than the county."""
    first = map_bounds(browser)
    time.sleep(0.3)
    now = map_bounds(browser)
    return now == first and contains(now, target) and area(now) < area(county)


def crumbs(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('.gw-crumb')].filter(b => !b.hidden)"
        ".map(b => b.childNodes[0].textContent)")


def click_label(browser, selector: str, text: str) -> None:
    """Click the map label (township or village) that reads ``text``."""
    wait_for(lambda: browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].some("
        "e => e.textContent === arguments[1])", selector, text),
        message=f"no label {text}")
    browser.execute_script(
        "const el = [...document.querySelectorAll(arguments[0])].find("
        "e => e.textContent === arguments[1]);"
        "el.dispatchEvent(new MouseEvent('click', {bubbles: true}));", selector, text)


def search_and_pick(browser, text: str, value: str) -> None:
    """Type ``text`` into the map's search and pick the result ``value`` ("grid:<code>")
    with the keyboard alone: arrow down to it, Enter."""
    field = browser.find_element(By.ID, "map-search")
    field.clear()
    field.send_keys(text)
    code = value.split(":", 1)[1]
    wait_for(lambda: browser.execute_script(
        "return [...document.querySelectorAll('#map-search-results .gw-search-result')]"
        ".some(o => o.textContent.includes(arguments[0]))", code),
        timeout=15, message=f"the search did not find {value}")
    n = browser.execute_script(
        "return [...document.querySelectorAll('#map-search-results .gw-search-result')]"
        ".findIndex(o => o.textContent.includes(arguments[0]))", code)
    for _ in range(n + 1):
        browser.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    active = browser.switch_to.active_element
    assert code in active.text and "gw-search-result" in active.get_attribute("class")
    active.send_keys(Keys.ENTER)


def grid_point_away_from_label(region, village: str) -> tuple[str, float, float]:
    """The grid of ``village`` whose inner point lies farthest from the village's name
    (drawn at its representative point): its code and that point (lat, lon)."""
    crs = region_crs(region)
    grids = region.grids[region.grids["village_code"] == village].to_crs(crs)
    label = region.villages[region.villages["code"] == village].to_crs(crs) \
        .representative_point().iloc[0]
    inner = grids.geometry.buffer(-60)
    inner = inner.where(~inner.is_empty, grids.geometry)
    points = inner.representative_point()
    far = points.distance(label).idxmax()
    point = gpd.GeoSeries([points.loc[far]], crs=crs).to_crs(4326).iloc[0]
    return grids.loc[far, "code"], point.y, point.x


def test_drill_down_by_clicking_and_back_up_by_the_breadcrumb(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    region = source.region()
    county = map_bounds(browser)
    town = region.townships.sort_values("code").iloc[0]
    village = region.villages[region.villages["township_code"] == town["code"]] \
        .sort_values("code").iloc[0]
    assert crumbs(browser) == [region.county["name_zh"].iloc[0]]

    click_label(browser, ".gw-township-label span", town["name_zh"])
    wait_for(lambda: f"township={town['code']}" in browser.current_url)
    wait_for(lambda: crumbs(browser) == [region.county["name_zh"].iloc[0], town["name_zh"]])
    target = navigation.place_bounds(region, "township", town["code"])
    wait_for(lambda: settled_on(browser, target, county), timeout=15,
             message="the map did not zoom to the township")

    click_label(browser, ".gw-village-label span", village["name_zh"])
    wait_for(lambda: f"village={village['code']}" in browser.current_url)
    wait_for(lambda: crumbs(browser)[-1] == village["name_zh"])
    vbounds = navigation.place_bounds(region, "village", village["code"])
    wait_for(lambda: settled_on(browser, vbounds, target), timeout=15,
             message="the map did not zoom to the village")

    # a real click on a grid of the village, at a point well inside it and away from the
    # village's name (the outlines above the grids must let the click through)
    code, lat, lon = grid_point_away_from_label(region, village["code"])
    click_map_at(browser, lat, lon)
    grid = region.grids[region.grids["code"] == code].iloc[0]
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#grid-detail h4")
             .get_attribute("data-grid") == grid["code"], message="the detail did not open")
    wait_for(lambda: f"grid={grid['code']}" in browser.current_url)
    assert crumbs(browser) == [region.county["name_zh"].iloc[0], town["name_zh"],
                               village["name_zh"], grid["name_zh"]]

    # back up: the village crumb closes the grid, the township crumb leaves the village
    browser.find_element(By.ID, "crumb-village").click()
    wait_for(lambda: "grid=" not in browser.current_url, message="the grid stayed open")
    wait_for(lambda: crumbs(browser)[-1] == village["name_zh"])
    assert browser.find_elements(By.CSS_SELECTOR, "#grid-detail h4") == []
    browser.find_element(By.ID, "crumb-township").click()
    wait_for(lambda: "village=" not in browser.current_url)
    wait_for(lambda: crumbs(browser) == [region.county["name_zh"].iloc[0], town["name_zh"]])
    wait_for(lambda: settled_on(browser, target, county), timeout=15,
             message="the map did not go back to the township")
    browser.find_element(By.ID, "crumb-county").click()
    wait_for(lambda: "township=" not in browser.current_url)
    wait_for(lambda: crumbs(browser) == [region.county["name_zh"].iloc[0]])
    wait_for(lambda: contains(map_bounds(browser), region.bounds, 1e-3), timeout=15,
             message="the map did not go back to the county")
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_search_a_grid_by_code_and_by_chinese_name(browser, live_server, source, lang):
    open_view(browser, live_server, f"?date={DAY}&lang={lang}")
    region = source.region()
    county = map_bounds(browser)
    grids = region.grid_table.sort_values("code")
    by_code, by_name = grids.iloc[40], grids.iloc[300]
    for text, grid in ((by_code["code"], by_code), (by_name["name_zh"], by_name)):
        search_and_pick(browser, text, f"grid:{grid['code']}")
        wait_for(lambda g=grid: browser.find_elements(By.CSS_SELECTOR, "#grid-detail h4")
                 and browser.find_element(By.CSS_SELECTOR, "#grid-detail h4")
                 .get_attribute("data-grid") == g["code"], timeout=15,
                 message=f"the search did not open {grid['code']}")
        wait_for(lambda g=grid: f"grid={g['code']}" in browser.current_url
                 and f"township={g['township_code']}" in browser.current_url)
        target = navigation.place_bounds(region, "grid", grid["code"])
        wait_for(lambda t=target: settled_on(browser, t, county), timeout=15,
                 message="the map did not zoom to the grid")
        assert crumbs(browser)[-1] == grid[f"name_{lang}"]
    assert console_errors(browser) == []


def test_a_shared_link_opens_on_the_same_village_and_grid(browser, live_server, source):
    region = source.region()
    grid = region.grids.sort_values("code").iloc[100]
    open_view(browser, live_server, f"?township={grid['township_code']}&village="
              f"{grid['village_code']}&grid={grid['code']}&date={DAY}")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#grid-detail h4"),
             message="the grid's detail did not open from the link")
    assert browser.find_element(By.CSS_SELECTOR, "#grid-detail h4").get_attribute(
        "data-grid") == grid["code"]
    assert crumbs(browser)[-1] == grid["name_zh"]
    # and the map on the grid (the county's own fit on loading does not undo it)
    target = navigation.place_bounds(region, "grid", grid["code"])
    wait_for(lambda: settled_on(browser, target, region.bounds), timeout=15,
             message="the map did not open on the grid")
    time.sleep(1)
    assert settled_on(browser, target, region.bounds)
    assert console_errors(browser) == []


def test_a_colour_filter_zooms_to_the_grids_it_keeps_and_a_new_day_does_not(
        browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    snap = source.snapshot()
    county = map_bounds(browser)
    browser.find_element(By.CSS_SELECTOR, "#filter-colour input[value='red']").click()
    wait_for(lambda: "colour=red" in browser.current_url)
    kept = kept_grids(snap, Filters(colours=("red",), as_of=DAY))
    target = navigation.grids_bounds(snap.region, kept.index[kept.to_numpy()])
    wait_for(lambda: settled_on(browser, target, county), timeout=15,
             message="the map did not zoom to the red grids")
    # a mere recolour (the day before) leaves the view where it is
    browser.execute_script("window.gridwatchMap.panBy([60, 40], {animate: false})")
    moved = map_bounds(browser)
    browser.find_element(By.ID, "filter-prev-day").click()
    wait_for(lambda: "2020-02-02" in browser.find_element(By.ID, "as-of-label").text)
    time.sleep(1)
    assert map_bounds(browser) == moved
    assert console_errors(browser) == []


def test_a_second_click_on_a_chosen_township_label_clears_it(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    town = source.region().townships.sort_values("code").iloc[3]
    click_label(browser, ".gw-township-label span", town["name_zh"])
    wait_for(lambda: f"township={town['code']}" in browser.current_url)
    wait_for(lambda: browser.execute_script(
        "return !!document.querySelector('.gw-township-label.is-selected')"))
    click_label(browser, ".gw-township-label.is-selected span", town["name_zh"])
    wait_for(lambda: "township=" not in browser.current_url, message="the second click kept it")
    wait_for(lambda: browser.find_element(By.ID, "filter-township").text.strip() in (
        "", "全部乡镇"), message="the township list kept it")
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_result_says_which_filters_exclude_everything(browser, live_server, source,
                                                              lang):
    snap = source.snapshot()
    # a day, a level and a colour that no township of that level has on the day (the data)
    days = [snap.first_day + timedelta(days=n)
            for n in range((snap.last_day - snap.first_day).days + 1)]
    day, level, colour = next(
        (d, lv, c) for d in days for lv in (1, 2, 3)
        for c in ("red", "orange", "yellow", "blue", "green")
        if lv in set(grid_status(snap, d)["level"])
        and not ((grid_status(snap, d)["level"] == lv)
                 & (grid_status(snap, d)["colour"] == c)).any())
    status = grid_status(snap, day)
    open_view(browser, live_server, f"?level={level}&colour={colour}&date={day}&lang={lang}")
    message = wait_for(lambda: browser.find_element(By.ID, "map-empty").text, timeout=15,
                       message="no word of why")
    expected = navigation.why_empty(status, Filters(levels=(level,), colours=(colour,),
                                                    as_of=day),
                                    snap.region.names("townships", lang), lang)
    assert message == expected and day.isoformat() in message
    browser.find_element(By.CSS_SELECTOR, f"#filter-colour input[value='{colour}']").click()
    wait_for(lambda: not browser.find_element(By.ID, "map-empty").is_displayed(),
             message="the reason stayed when the filters kept grids again")
    assert console_errors(browser) == []


def test_navigating_fetches_and_sends_no_geometry(browser, live_server, source):
    open_view(browser, live_server, f"?date={DAY}")
    region = source.region()
    time.sleep(0.5)
    assert browser.execute_script(GEO_COUNT) == 10
    browser.execute_script("performance.clearResourceTimings()")
    # every callback answer from here on, read as the page gets it
    browser.execute_script("""
        window.gwAnswers = [];
        const original = window.fetch;
        window.fetch = function (resource) {
          const url = String((resource && resource.url) || resource);
          return original.apply(this, arguments).then(function (response) {
            if (url.includes('_dash-update-component'))
              response.clone().text().then(text => window.gwAnswers.push(text));
            return response;
          });
        };""")
    town = region.townships.sort_values("code").iloc[0]
    village = region.villages[region.villages["township_code"] == town["code"]] \
        .sort_values("code").iloc[1]
    click_label(browser, ".gw-township-label span", town["name_zh"])
    wait_for(lambda: f"township={town['code']}" in browser.current_url)
    click_label(browser, ".gw-village-label span", village["name_zh"])
    wait_for(lambda: f"village={village['code']}" in browser.current_url)
    grid = region.grids.sort_values("code").iloc[500]
    search_and_pick(browser, grid["code"], f"grid:{grid['code']}")
    wait_for(lambda: f"grid={grid['code']}" in browser.current_url)
    browser.find_element(By.ID, "crumb-county").click()
    wait_for(lambda: "township=" not in browser.current_url)
    browser.find_element(By.ID, "map-zoom").click()
    time.sleep(1)
    entries = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.encodedBodySize])")
    assert not [e for e in entries if "/geo/" in e[0]], "geometry was fetched again"
    updates = [e for e in entries if "_dash-update-component" in e[0]]
    assert updates
    assert max(e[1] for e in updates) < 120_000, "a callback response is suspiciously large"
    # and no answer carried a shape: styles, codes, texts and bounds only
    answers = browser.execute_script("return window.gwAnswers")
    assert len(answers) >= 5
    assert not [a for a in answers if '"coordinates"' in a or '"geometry"' in a]
    assert all(json.loads(a) for a in answers)
    assert console_errors(browser) == []


WALL_TOWNSHIP_STYLES = """
const out = {};
window.gridwatchMap.eachLayer(l => {
    if (l.feature && l.options && l.feature.properties.code && l.feature.properties.kind
        && l.feature.geometry.type !== 'Point')
        out[l.feature.properties.code] = [l.options.weight, l.options.color,
                                          l.options.className || ''];
});
return out;
"""


def test_the_walls_focused_township_is_highlighted_on_its_map(browser, live_server, source):
    from callbacks.wall import rotation_views

    snap = source.snapshot()
    focus = [v.split(":", 1)[1] for v in rotation_views(snap, ["focus"])
             if v.startswith("focus:")]
    assert focus
    console_errors(browser)
    # the rotation comes to the focus views after the checkpoints' (as on a real wall, where
    # the layers have their geometry by then)
    goto(browser, live_server, "/wall?rotate=3&views=checkpoints,focus")
    wait_for(lambda: browser.execute_script(
        "return window.gridwatchMap && document.querySelector('.wall-tick') !== null"),
        timeout=60, message="the wall did not fill in")
    def highlighted_styles():
        found = browser.execute_script(WALL_TOWNSHIP_STYLES)
        return found if any(v[2] == "gw-focus-township" for v in found.values()) else None

    styles = wait_for(highlighted_styles, timeout=30, message="no township highlighted")
    highlighted = [code for code, v in styles.items() if v[2] == "gw-focus-township"]
    assert len(highlighted) == 1 and highlighted[0] in focus
    others = [v[0] for code, v in styles.items() if code != highlighted[0]]
    assert styles[highlighted[0]][0] > max(others), "the focused outline is not the thickest"
    assert console_errors(browser) == []
