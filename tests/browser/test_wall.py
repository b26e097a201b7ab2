"""The situation-room wall in real headless Chromium: fit, live updates and the health banner."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from gridwatch.store import models as m
from gridwatch.store.db import make_engine
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc
from tests.browser.conftest import console_errors, goto, private_server, wait_for
from tests.browser.driver import make_driver

pytestmark = pytest.mark.browser

FIT_CHECK = """
const vw = window.innerWidth, vh = window.innerHeight, problems = [];
const root = document.documentElement;
if (root.scrollWidth > vw || root.scrollHeight > vh) problems.push('page scrolls');
for (const el of document.querySelectorAll('.wall *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.closest('.leaflet-pane, .wall-ticker, .js-plotly-plot, .leaflet-control-container'))
        continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1)
        problems.push('outside the viewport: ' + el.className + ' ' + el.textContent.slice(0, 30));
    const clipsText = el.childNodes.length && [...el.childNodes].some(
        n => n.nodeType === 3 && n.textContent.trim());
    if (clipsText && (el.scrollWidth > el.clientWidth + 1) && style.textOverflow !== 'ellipsis')
        problems.push('clipped text: ' + el.className + ' ' + el.textContent.slice(0, 30));
}
const cards = [...document.querySelectorAll('.wall-card, .wall-tile, .wall-map')];
for (let i = 0; i < cards.length; i++) for (let j = i + 1; j < cards.length; j++) {
    const a = cards[i].getBoundingClientRect(), b = cards[j].getBoundingClientRect();
    if (a.left < b.right - 1 && b.left < a.right - 1
        && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        problems.push('overlap: ' + cards[i].className + ' / ' + cards[j].className);
}
return problems;
"""


def open_wall(driver, server, query: str = "?rotate=3"):
    console_errors(driver)  # drop what earlier pages logged
    goto(driver, server, f"/wall{query}")
    wait_for(lambda: driver.execute_script(
        "return window.gridwatchMap && document.querySelectorAll('.wall-tile').length === 5"
        " && document.querySelector('.wall-tick') !== null"), timeout=60,
        message="the wall did not fill in")


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160), (3840, 1080)])
def test_the_wall_fits_the_screen_exactly(live_server, size):
    driver = make_driver(*size)
    try:
        open_wall(driver, live_server)
        time.sleep(1.5)
        assert driver.execute_script(FIT_CHECK) == []
        # text is sized to the screen: the big figures scale with the viewport
        figure = driver.find_element(By.CSS_SELECTOR, "[data-kpi=colours] .wall-figure")
        assert float(figure.value_of_css_property("font-size")[:-2]) >= 0.035 * size[1]
        assert driver.execute_script("return document.querySelectorAll("
                                     "'button, input, select, .leaflet-control-zoom').length") == 0
        assert console_errors(driver) == []
    finally:
        driver.quit()


def grid_colour_on_wall(driver, code: str) -> str | None:
    return driver.execute_script("""
        let found = null;
        window.gridwatchMap.eachLayer(l => {
            if (l.feature && l.feature.properties.code === arguments[0] && l.options.fillColor
                && l.feature.geometry.type !== 'Point')
                found = l.options.fillColor;
        });
        return found;""", code)


@pytest.fixture
def own_server(seeded_db, tmp_path):
    """A server of this test's own: it writes to the store."""
    server = private_server(seeded_db, tmp_path)
    yield server
    server.stop()


def green_grid(engine) -> str:
    """A grid whose newest mark is green (so it is green on the wall)."""
    with engine.connect() as conn:
        rows = conn.execute(select(m.RiskAssessment.grid_code, m.RiskAssessment.colour)
                            .order_by(m.RiskAssessment.observed_at, m.RiskAssessment.id)).all()
    newest = dict(rows)
    return sorted(code for code, colour in newest.items() if colour == "green")[0]


def mark_red(engine, code: str, observed_local: datetime, source: str) -> None:
    observed = local_to_utc(observed_local, "Asia/Shanghai")
    with write_session(engine) as s:
        s.add(m.RiskAssessment(grid_code=code, colour="red", observed_at=observed,
                               recorded_at=observed, source=source))


def test_a_risk_change_reaches_the_wall(own_server, browser):
    """The write arrives by itself (how fast is measured by ``make bench``, not here)."""
    open_wall(browser, own_server)
    engine = make_engine(f"sqlite:///{own_server.db_path}")
    code = green_grid(engine)
    assert grid_colour_on_wall(browser, code) == "#43a047"
    mark_red(engine, code, datetime(2020, 2, 29, 22, 30), "wall-test")
    wait_for(lambda: grid_colour_on_wall(browser, code) == "#e53935", timeout=60,
             message="the wall did not show the new colour")
    change = wait_for(lambda: browser.find_element(
        By.CSS_SELECTOR, f".wall-change.is-live[data-grid='{code}']"), timeout=30,
        message="the change is not listed as live")
    assert "▲" in change.text
    red = browser.find_element(By.CSS_SELECTOR, "[data-kpi=colours] [data-colour=red] b").text
    assert int(red) >= 1
    engine.dispose()
    assert console_errors(browser) == []


def test_the_banner_shows_when_the_server_is_gone_and_clears_when_it_is_back(live_server,
                                                                              browser):
    open_wall(browser, live_server)
    banner = browser.find_element(By.ID, "wall-banner")
    assert not banner.is_displayed()
    live_server.stop()
    try:
        wait_for(banner.is_displayed, timeout=60, message="no banner after stopping")
        assert banner.text  # says since when
        assert_covers_no_tile(browser, banner)
    finally:
        live_server.start()
    wait_for(lambda: not banner.is_displayed(), timeout=60, message="banner did not clear")
    # the page recovered by itself: still the same page, still live
    assert browser.execute_script("return window.gridwatchMap !== undefined")
    # While the server is down the browser itself logs each failed request ("Failed to load
    # resource"); once the wall knows it is offline it stops calling the server, so Dash reports
    # at most the one callback that was in flight when the server went away.
    errors = [e for e in console_errors(browser) if "Failed to load resource" not in e]
    assert len(errors) <= 1 and all("server did not respond" in e for e in errors), errors


def test_quiet_townships_are_skipped_by_the_rotation(live_server, browser):
    open_wall(browser, live_server, "?rotate=2&views=focus")
    titles = set()
    deadline = time.time() + 12
    while time.time() < deadline:
        titles.add(browser.find_element(By.ID, "wall-panel-title").text)
        time.sleep(0.5)
    step = browser.find_element(By.ID, "wall-panel-step").text
    total = int(step.split("/")[1])
    assert 1 <= total < 15, "only townships needing attention are shown"
    assert all(title.startswith("重点关注") for title in titles if title)
    assert console_errors(browser) == []


# --- hotspots: every red and orange grid visible from across the room -------------------------

HOTSPOT_MARKS = """
const codes = arguments[0], map = window.gridwatchMap, out = {};
const box = map.getContainer().getBoundingClientRect();
map.eachLayer(l => {
    const c = l.options && l.options.className;
    if (!l.feature || !c || !c.startsWith('gw-hotspot ')) return;
    const code = l.feature.properties.code;
    if (!codes.includes(code)) return;
    const p = map.latLngToContainerPoint(l.getLatLng());
    out[code] = {x: box.left + p.x, y: box.top + p.y, r: l._radius, fill: l.options.fillColor,
                 inside: p.x >= 0 && p.y >= 0 && p.x <= box.width && p.y <= box.height};
});
return out;
"""

# What the browser shows on top at points across each mark's dot (the marks do not catch the
# mouse, so for this look only they are made to answer elementFromPoint): a hotspot mark, or
# the name of whatever covers it.
TOP_OF_MARKS = """
const marks = arguments[0], covered = [];
const paths = [...document.querySelectorAll('.leaflet-hotspots-pane path')];
paths.forEach(p => p.style.pointerEvents = 'auto');
for (const [code, m] of Object.entries(marks)) {
    for (const [dx, dy] of [[0, 0], [0.7, 0], [-0.7, 0], [0, 0.7], [0, -0.7]]) {
        const el = document.elementFromPoint(m.x + dx * m.r, m.y + dy * m.r);
        const cls = el ? (el.getAttribute('class') || el.tagName) : 'nothing';
        if (!cls.includes('gw-hotspot')) covered.push(code + ' under ' + cls);
    }
}
paths.forEach(p => p.style.pointerEvents = '');
return covered;
"""


def smallest_grids(region, n: int) -> list[str]:
    from gridwatch.geo.layers import METRIC_CRS

    grids = region.grids.to_crs(METRIC_CRS)
    return grids.assign(area=grids.area).nsmallest(n, "area")["code"].tolist()


def test_the_smallest_grids_turned_red_are_marked_above_everything_on_the_wall(own_server,
                                                                                 region):
    """Ten of the smallest grids (urban cells of a few hundred metres) turn red through the API;
    at county zoom on a 1080p wall each carries a red mark at least 10 px across, and at every
    point of it the mark is on top: no checkpoint, quarantine marker, label or legend over it."""
    import json
    import urllib.request

    from gridwatch.auth.tokens import create_token
    from gridwatch.settings import DEFAULT_PALETTE

    codes = smallest_grids(region, 10)
    engine = make_engine(f"sqlite:///{own_server.db_path}")
    _id, token = create_token(engine, "hotspot-test", "admin")
    engine.dispose()
    items = [{"grid_code": code, "colour": "red", "observed_at": "2020-02-29T21:00:00+08:00",
              "source": "hotspot-test"} for code in codes]
    request = urllib.request.Request(
        f"{own_server.url}/api/v1/risk-assessments", method="POST",
        data=json.dumps({"items": items}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert json.load(answer)["applied"] == 10

    driver = make_driver(1920, 1080)
    try:
        driver.get(own_server.kiosk_url("hotspot-wall"))
        driver.get(f"{own_server.url}/wall?rotate=600")  # stay at county zoom
        wait_for(lambda: len(driver.execute_script(HOTSPOT_MARKS, codes)) == 10, timeout=60,
                 message="the ten red grids have no marks on the wall")
        time.sleep(1.5)  # the view settles (fit to the county)
        marks = driver.execute_script(HOTSPOT_MARKS, codes)
        for code, mark in marks.items():
            assert mark["inside"], f"{code} is off the map"
            assert mark["fill"] == DEFAULT_PALETTE["red"], code
            assert 2 * mark["r"] >= 10, f"{code}: a mark {2 * mark['r']:.1f} px across"
        assert driver.execute_script(TOP_OF_MARKS, marks) == []
        assert console_errors(driver) == []
    finally:
        driver.quit()


def test_a_grid_turning_red_puts_the_wall_in_its_alarm_state(own_server, browser):
    open_wall(browser, own_server, "?rotate=600")
    alarm = browser.find_element(By.ID, "wall-alarm")
    assert not alarm.is_displayed()
    engine = make_engine(f"sqlite:///{own_server.db_path}")
    code = green_grid(engine)
    mark_red(engine, code, datetime(2020, 2, 29, 22, 40), "alarm-test")
    engine.dispose()
    wait_for(alarm.is_displayed, timeout=60, message="no alarm after a grid turned red")
    assert "新增红色网格 1 个" in alarm.text
    assert_covers_no_tile(browser, alarm)


def assert_covers_no_tile(driver, element) -> None:
    """``element`` overlaps none of the wall's KPI tiles."""
    a = element.rect
    assert a["width"] > 0 and a["height"] > 0
    for tile in driver.find_elements(By.CSS_SELECTOR, ".wall-tile"):
        t = tile.rect
        assert (a["x"] + a["width"] <= t["x"] or t["x"] + t["width"] <= a["x"]
                or a["y"] + a["height"] <= t["y"] or t["y"] + t["height"] <= a["y"]), \
            f"{element.get_attribute('id')} covers a KPI tile"
