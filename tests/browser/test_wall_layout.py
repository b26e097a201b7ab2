"""The wall at 1920x1080, 3840x2160 and 3840x1080 in Chinese and English, in real headless
Chromium: nothing clipped, nothing off the screen sideways (the ticker excepted), no text
under the wall's floor (1.8% of the screen height); the "what changed" list's whole rows and
"N more", the rotation's progress, the KPI tiles' sparklines and the alarm's sound."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import console_errors, goto, private_server, wait_for
from tests.browser.driver import make_driver, set_viewport
from tests.browser.test_wall import green_grid, mark_red

pytestmark = pytest.mark.browser

SIZES = [(1920, 1080), (3840, 2160), (3840, 1080)]
FLOOR = 0.018
"""The wall's smallest text as a share of the screen height (issue 14)."""

# Every element with text of its own: its font size, and each of its text runs (measured with
# a Range, so a run that overflows its element counts) inside every box that clips it and
# inside the screen; any element at all off the screen sideways. The ticker scrolls by design;
# the map's panes and the charts are clipped by the map and the chart on purpose (a label
# at the map's edge), so for them only the size counts.
LAYOUT_CHECK = """
const vw = innerWidth, vh = innerHeight, floor = arguments[0] * vh - 0.01, problems = [];
const shown = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden' || +s.opacity === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
};
const name = el => (el.getAttribute('class') || el.tagName) + ' "'
    + el.textContent.trim().slice(0, 40) + '"';
const clips = s => s.overflowX !== 'visible' || s.overflowY !== 'visible';
for (const el of document.querySelectorAll('.wall *')) {
    if (!shown(el)) continue;
    const ticker = el.closest('.wall-ticker');
    const drawn = el.closest('.leaflet-pane, .js-plotly-plot');
    const r = el.getBoundingClientRect();
    if (!ticker && !drawn && (r.left < -1 || r.right > vw + 1))
        problems.push('off the screen sideways: ' + name(el));
    const runs = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!runs.length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < floor)
        problems.push(`text of ${size.toFixed(1)} px (< ${floor.toFixed(1)}): ` + name(el));
    if (ticker || drawn) continue;
    const s = getComputedStyle(el);
    if (clips(s) && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
        problems.push('text cut by its own box: ' + name(el));
    // a run's box is its font's full height (ascent and descent, about 1.45 em for the CJK
    // font), taller than a tight line's glyphs: up to a quarter em of it may stick out
    const slack = 1 + 0.25 * size;
    for (const run of runs) {
        const range = document.createRange();
        range.selectNodeContents(run);
        const t = range.getBoundingClientRect();
        if (t.width === 0) continue;
        if (t.left < -1 || t.right > vw + 1 || t.top < -slack || t.bottom > vh + slack)
            problems.push('text off the screen: ' + name(el));
        for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
            if (!clips(getComputedStyle(a))) continue;
            const b = a.getBoundingClientRect();
            if (t.left < b.left - 1 || t.right > b.right + 1 || t.top < b.top - slack
                    || t.bottom > b.bottom + slack) {
                problems.push('text cut by ' + (a.getAttribute('class') || a.tagName) + ': '
                              + name(el));
                break;
            }
        }
    }
}
const root = document.documentElement;
if (root.scrollWidth > vw || root.scrollHeight > vh) problems.push('the page scrolls');
return problems;
"""

CHANGES = """
const box = document.getElementById('wall-changes');
const visible = el => getComputedStyle(el).display !== 'none' && !el.hidden
    && el.getBoundingClientRect().height > 0;
const rows = [...box.querySelectorAll('.wall-change')];
const more = box.querySelector('.wall-fit-more');
const b = box.getBoundingClientRect();
return {sent: rows.length, shown: rows.filter(visible).length,
        inside: rows.filter(visible).every(r => r.getBoundingClientRect().bottom <= b.bottom + 0.5),
        total: more ? +more.dataset.total : null,
        more: more && visible(more) ? more.textContent : null};
"""

PROGRESS = """
const bar = document.querySelector('.wall-progress-bar');
const m = getComputedStyle(bar).transform.match(/matrix\\(([^,]+)/);
const dots = [...document.querySelectorAll('#wall-panel-step .wall-dot')];
return {step: document.querySelector('#wall-panel-step .wall-step-count').textContent,
        dots: dots.length, current: dots.findIndex(d => d.classList.contains('is-current')),
        lit: dots.filter(d => d.classList.contains('is-current')).length,
        fill: m ? parseFloat(m[1]) : 0,
        width: bar.parentElement.getBoundingClientRect().width};
"""

SPARKS = """
return [...document.querySelectorAll('.wall-tile .wall-spark')].map(img => ({
    kind: img.dataset.spark, loaded: img.complete && img.naturalWidth > 0,
    height: img.getBoundingClientRect().height, lines: decodeURIComponent(img.src)
        .split('<path').length - 1}));
"""


def open_wall(driver, server, query: str) -> None:
    goto(driver, server, f"/wall{query}")
    wait_for(lambda: driver.execute_script(
        "return window.gridwatchMap && document.querySelectorAll('.wall-tile').length === 5"
        " && document.querySelector('.wall-tick') !== null"
        " && document.querySelector('#wall-panel-step .wall-dot') !== null"), timeout=60,
        message="the wall did not fill in")


def step_text(driver) -> str:
    return driver.execute_script(
        "const s = document.querySelector('#wall-panel-step .wall-step-count');"
        " return s ? s.textContent : '';")


def next_step(driver) -> str:
    """Wait for the rotation to move on (the panel then has the screen's text sizes)."""
    before = step_text(driver)
    wait_for(lambda: step_text(driver) not in ("", before), timeout=30,
             message=f"the rotation did not move on from {before}")
    time.sleep(1.5)  # the map's flight and the lists' fit settle
    return step_text(driver)


def assert_progress(driver) -> None:
    """A dot per view, the current one lit, "n/total", and a bar filling within a step."""
    for _attempt in range(6):  # two looks within one step (the bar restarts at each step,
        earlier = driver.execute_script(PROGRESS)  # a moment before the server's new "n/total")
        time.sleep(0.6)
        later = driver.execute_script(PROGRESS)
        if earlier["step"] == later["step"] and earlier["fill"] < later["fill"]:
            break
    n, total = (int(v) for v in later["step"].split("/"))
    assert later["dots"] == total and later["lit"] == 1 and later["current"] == n - 1, later
    assert 0 <= earlier["fill"] < later["fill"] <= 1, (earlier, later)
    assert later["width"] > 0


def assert_changes(driver, lang: str) -> None:
    """Whole rows only, and "N more" counting the rest."""
    c = driver.execute_script(CHANGES)
    assert c["shown"] >= 1 and c["inside"], c
    assert c["total"] is not None and c["total"] >= c["sent"] >= c["shown"], c
    if c["total"] > c["shown"]:
        assert c["more"] is not None, c
        assert re.search(rf"\b{c['total'] - c['shown']}\b", c["more"]), c
        assert ("另有" in c["more"]) == (lang == "zh"), c
    else:
        assert c["more"] is None, c


def assert_sparks(driver, height: int) -> None:
    sparks = driver.execute_script(SPARKS)
    kinds = sorted(s["kind"] for s in sparks)
    assert kinds == sorted(["checkpoints", "leads", "tasks", *(
        f"colour-{c}" for c in ("red", "orange", "yellow", "blue", "green"))]), kinds
    for s in sparks:
        assert s["loaded"] and s["height"] >= 0.02 * height, s
        assert s["lines"] >= 2, s  # a line and its last day's dot at least


def test_nothing_on_the_wall_is_cut_off_or_too_small_at_any_size_in_either_language(
        live_server, browser):
    """One page per language, resized to each size; each size is looked at on two views of
    the rotation (its charts drawn for that size)."""
    # the demo's last day changed 16 grids: more than a 1080p list can hold
    views = "checkpoints,tasks,rings,focus"
    try:
        for lang in ("zh", "en"):
            console_errors(browser)
            set_viewport(browser, *SIZES[0])
            open_wall(browser, live_server, f"?rotate=3&views={views}&lang={lang}")
            for width, height in SIZES:
                set_viewport(browser, width, height)
                for _view in range(2):
                    step = next_step(browser)
                    problems = browser.execute_script(LAYOUT_CHECK, FLOOR)
                    assert problems == [], f"{lang} {width}x{height} view {step}: {problems}"
                    assert_changes(browser, lang)
                assert_progress(browser)
                assert_sparks(browser, height)
            assert console_errors(browser) == []
    finally:
        set_viewport(browser, *SIZES[0])


def test_the_sound_switch_asks_for_a_click_then_chimes(live_server, browser):
    """``?sound=on``: a switch in the header (browsers let a page sound only after a gesture);
    the click starts the audio and answers with the chime. Off (the default), no switch."""
    open_wall(browser, live_server, "?rotate=600")
    assert browser.find_elements(By.CSS_SELECTOR, ".wall-sound") == []
    open_wall(browser, live_server, "?rotate=600&sound=on")
    switch = browser.find_element(By.CSS_SELECTOR, ".wall-sound")
    assert switch.is_displayed() and switch.text == "开启提示音"
    assert browser.execute_script("return window.gridwatchWallSound.state()") == "off"
    switch.click()
    wait_for(lambda: browser.execute_script(
        "return window.gridwatchWallSound.state() === 'running'"
        " && window.gridwatchWallSound.played() === 1"), timeout=10,
        message="the click did not start the sound")
    assert switch.text == "提示音已开"
    assert console_errors(browser) == []


@pytest.fixture
def own_server(seeded_db, tmp_path):
    """A server of this test's own: it writes to the store."""
    server = private_server(seeded_db, tmp_path)
    yield server
    server.stop()


def test_the_wall_chimes_when_it_enters_the_alarm_state(own_server):
    from gridwatch.store.db import make_engine

    driver = make_driver(1920, 1080)
    try:
        open_wall(driver, own_server, "?rotate=600&sound=on&lang=en")
        driver.find_element(By.CSS_SELECTOR, ".wall-sound").click()
        wait_for(lambda: driver.execute_script("return window.gridwatchWallSound.played()") == 1,
                 timeout=10, message="no chime for the click")
        engine = make_engine(f"sqlite:///{own_server.db_path}")
        mark_red(engine, green_grid(engine), datetime(2020, 2, 29, 22, 50), "sound-test")
        engine.dispose()
        alarm = driver.find_element(By.ID, "wall-alarm")
        wait_for(alarm.is_displayed, timeout=60, message="no alarm after a grid turned red")
        wait_for(lambda: driver.execute_script("return window.gridwatchWallSound.played()") == 2,
                 timeout=10, message="no chime when the wall entered its alarm state")
        assert driver.execute_script(LAYOUT_CHECK, FLOOR) == []  # the strip cuts nothing
        assert console_errors(driver) == []
    finally:
        driver.quit()
