"""Accessibility (issue 14): every page, in Chinese and in English, checked in real Chromium
by axe-core (``tests/browser/vendor/axe.min.js``, vendored: nothing is fetched) against the
WCAG 2 A and AA rules, after the page has rendered its data. A critical or serious violation
fails the test, naming the rule and the first elements it found; moderate and minor ones are
left to review."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import console_errors, goto, wait_for

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

RUN_AXE = """
const done = arguments[arguments.length - 1];
// two frames first: assets/a11y.js patches what Dash rendered on the next one
new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))
.then(() => axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations']}))
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}))))
  .catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));
"""

DRAWN = """
let n = 0;
if (window.gridwatchMap) window.gridwatchMap.eachLayer(l => { if (l.feature) n += 1; });
return n;
"""
"""The map's features drawn (grids, townships, points)."""

PAGES = {
    "/": ".gw-analyst [data-kpi]",
    "/wall": ".wall [data-kpi]",
    "/data": "#boundary-file",
    "/work": "#work-list",
    "/account": "form",
    "/admin": "main",
    "/admin/users": "main",
    "/admin/kiosks": "main",
    "/admin/tokens": "main",
    "/admin/audit": "main",
}
"""Each page and an element that is there once it has rendered."""


def violations(browser) -> list[dict]:
    browser.set_script_timeout(120)
    browser.execute_script(AXE)
    found = browser.execute_async_script(RUN_AXE)
    return [v for v in found if v["impact"] in ("critical", "serious")]


def described(found: list[dict]) -> str:
    return "\n".join(f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['nodes'])}"
                     for v in found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_login_page_has_no_serious_violation(live_server, browser, lang):
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/login?lang={lang}")
    wait_for(lambda: browser.find_elements("css selector", "button[type=submit]"),
             message="the login form")
    assert browser.execute_script("return document.documentElement.lang") == (
        "en" if lang == "en" else "zh-CN")
    found = violations(browser)
    assert found == [], described(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_has_no_serious_violation(live_server, browser, path, lang):
    goto(browser, live_server, f"{path}?lang={lang}")
    wait_for(lambda: browser.find_elements("css selector", PAGES[path]), timeout=40,
             message=f"{path} rendered")
    if path in ("/", "/wall"):  # let the map and the charts draw
        wait_for(lambda: browser.execute_script(DRAWN) > 700, timeout=40,
                 message="the map drawn")
    assert browser.execute_script("return document.documentElement.lang") == (
        "en" if lang == "en" else "zh-CN")
    found = violations(browser)
    console_errors(browser)
    assert found == [], described(found)


FOCUS_RING = """
const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
return {tag: el.tagName, id: el.id, cls: String(el.className).slice(0, 60),
        width: parseFloat(s.outlineWidth) || 0, style: s.outlineStyle};
"""


@pytest.mark.parametrize("path", ["/", "/data", "/work"])
def test_keyboard_focus_is_visible_at_least_2px_on_every_stop(live_server, browser, path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    goto(browser, live_server, path)
    wait_for(lambda: browser.find_elements("css selector", PAGES[path]), timeout=40,
             message=f"{path} rendered")
    browser.execute_script("document.activeElement && document.activeElement.blur()")
    seen, thin = 0, []
    for _ in range(40):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        ring = browser.execute_script(FOCUS_RING)
        if ring is None:
            continue
        seen += 1
        if ring["style"] == "none" or ring["width"] < 2:
            thin.append(ring)
    assert seen >= 10, f"only {seen} focus stops on {path}"
    assert thin == [], thin
