"""The lead register and a lead's timeline in real headless Chromium: a lead reported and moved
through its stages over the API shows up, follows its stages and stops its clock once closed;
a viewer sees the stages and the clock but never the text."""

from __future__ import annotations

import json
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import (
    console_errors,
    goto,
    private_server_with_token,
    wait_for,
)

pytestmark = pytest.mark.browser

CODE = "L9001"
TEXT = "浏览器测试：一户四口自外地返回，孩子发热"


@pytest.fixture(scope="module")
def lead_server(seeded_db, tmp_path_factory):
    server, token = private_server_with_token(seeded_db, tmp_path_factory.mktemp("leads"),
                                              "lead-browser-test")
    yield server, token
    server.stop()


def post(server, token: str, kind: str, items: list[dict]) -> dict:
    request = urllib.request.Request(
        f"{server.url}/api/v1/{kind}", method="POST", data=json.dumps({"items": items}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def row_cells(browser) -> dict[str, str] | None:
    """The register row of ``CODE``: its cells' text by column, or None while it is absent or
    not yet drawn."""
    return browser.execute_script("""
        const grid = document.getElementById('lead-table');
        if (grid) grid.scrollIntoView({block: 'center'});  // AG Grid draws cells in view
        const row = document.querySelector(
            '#lead-table .ag-center-cols-container [row-id="' + arguments[0] + '"]');
        if (!row) return null;
        const out = {};
        for (const cell of row.querySelectorAll('[col-id]'))
            out[cell.getAttribute('col-id')] = cell.innerText.trim();
        out._class = Array.from(row.querySelectorAll('[col-id=code]')).map(
            c => c.className).join(' ');
        return out.code ? out : null;""", CODE)


def open_timeline(browser) -> None:
    browser.find_element(By.CSS_SELECTOR,
                         f'#lead-table .ag-center-cols-container [row-id="{CODE}"] '
                         '[col-id=code]').click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR,
                                           f'#lead-timeline h4[data-lead="{CODE}"]'),
             timeout=20, message="the timeline did not open")


def steps(browser) -> dict[str, str]:
    return {li.get_attribute("data-stage"): li.get_attribute("data-state")
            for li in browser.find_elements(By.CSS_SELECTOR, "#lead-timeline li.gw-step")}


def test_a_lead_follows_its_stages_on_screen_and_its_clock_stops_when_closed(browser,
                                                                             lead_server, region):
    server, token = lead_server
    grid = sorted(region.grids["code"])[0]
    assert post(server, token, "leads", [{
        "code": CODE, "grid_code": grid, "category": "fever", "summary_zh": TEXT,
        "reported_at": "2020-02-29T20:00:00+08:00"}])["applied"] == 1
    assert post(server, token, "lead-stages", [
        {"lead_code": CODE, "stage": "acknowledged", "at": "2020-02-29T20:03:00+08:00"}],
    )["applied"] == 1

    console_errors(browser)
    goto(browser, server, "/", "admin")
    wait_for(lambda: row_cells(browser), timeout=40, message="the new lead is not in the register")
    cells = row_cells(browser)
    # At the end of the demo's last day (24:00) the lead has been open four hours: overdue.
    assert cells["stage"] == "签收" and cells["clock"] == "已 4小时0分", cells
    assert "gw-lead-overdue" in cells["_class"]
    assert "2020-02-29 24:00" in browser.find_element(By.ID, "lead-as-of").text
    # its grid is marked on the map among the grids with an overdue lead (the legend counts
    # them: the demo's five and this one)
    marked = browser.find_element(By.CSS_SELECTOR, '#map-legend [data-legend="leads"]')
    assert marked.text.split()[-1] == "6", marked.text
    open_timeline(browser)
    # never escalated: no escalation or dispatch step awaited, only the close (overdue)
    assert steps(browser) == {"reported": "", "acknowledged": "met", "closed": "overdue"}
    assert TEXT in browser.find_element(By.ID, "lead-timeline").text  # an admin reads it

    # The rest of its stages arrive: the open page follows (no reload), the clock stops at 30.
    assert post(server, token, "lead-stages", [
        {"lead_code": CODE, "stage": "escalated", "at": "2020-02-29T20:06:00+08:00"},
        {"lead_code": CODE, "stage": "dispatched", "at": "2020-02-29T20:10:00+08:00"},
        {"lead_code": CODE, "stage": "closed", "at": "2020-02-29T20:30:00+08:00",
         "outcome": "送县人民医院"}])["applied"] == 3
    wait_for(lambda: (row_cells(browser) or {}).get("stage") == "办结", timeout=30,
             message="the register did not follow the new stages")
    cells = row_cells(browser)
    assert cells["clock"] == "用时 30分钟" and cells["sla"] == "全部按时", cells
    assert "gw-lead-overdue" not in cells["_class"]
    wait_for(lambda: steps(browser).get("closed") == "met", timeout=30,
             message="the open timeline did not follow")
    assert steps(browser) == {"reported": "", "acknowledged": "met", "escalated": "",
                              "dispatched": "met", "closed": "met"}
    assert "送县人民医院" in browser.find_element(By.ID, "lead-timeline").text
    assert console_errors(browser) == []

    # A viewer: the same stages and clock, no grid column, never the text.
    browser.get(f"{server.url}/logout")
    goto(browser, server, "/", "viewer")
    wait_for(lambda: row_cells(browser), timeout=40, message="a viewer has no register")
    cells = row_cells(browser)
    assert cells["clock"] == "用时 30分钟" and "grid" not in cells
    # nor which grids have overdue leads
    assert not browser.find_elements(By.CSS_SELECTOR, '#map-legend [data-legend="leads"]')
    open_timeline(browser)
    shown = browser.find_element(By.ID, "lead-timeline").text
    assert TEXT not in shown and "送县人民医院" not in shown
    assert TEXT not in browser.page_source


def action_result(browser) -> str:
    return browser.execute_script(
        "const e = document.querySelector('#lead-result [data-ok]');"
        "return e ? e.getAttribute('data-ok') + ':' + e.innerText : '';")


def offered(browser) -> list[str]:
    """The action buttons shown for the open lead."""
    return [b.get_attribute("data-act") for b in
            browser.find_elements(By.CSS_SELECTOR, "#lead-actions [data-act]") if b.is_displayed()]


def test_an_operator_acknowledges_and_closes_a_lead_from_its_timeline(browser, lead_server,
                                                                      region):
    import sqlite3

    server, token = lead_server
    code = "L9002"
    grid = sorted(region.grids["code"])[1]
    assert post(server, token, "leads", [{
        "code": code, "grid_code": grid, "category": "returnee", "summary_zh": "返乡人员报备",
        "reported_at": "2020-02-29T21:00:00+08:00"}])["applied"] == 1
    browser.get(f"{server.url}/logout")
    goto(browser, server, "/", "operator")

    def opened():
        browser.execute_script(
            "document.getElementById('lead-table').scrollIntoView({block: 'center'})")
        cells = browser.find_elements(
            By.CSS_SELECTOR, f'#lead-table .ag-center-cols-container [row-id="{code}"] '
                             '[col-id=code]')
        return cells
    wait_for(opened, timeout=40, message="the new lead is not in the register")[0].click()
    wait_for(lambda: offered(browser) == ["acknowledged"], timeout=20,
             message="acknowledging is not offered first")
    browser.find_element(By.CSS_SELECTOR, '#lead-actions [data-act="acknowledged"]').click()
    wait_for(lambda: action_result(browser).startswith("1:"), timeout=30,
             message="acknowledging did not answer")
    assert f"线索 {code} 已签收" in action_result(browser)
    # the view moved to today, where the stage is; the timeline shows it (long after its limit)
    wait_for(lambda: steps(browser).get("acknowledged") == "late", timeout=30,
             message="the timeline did not show the acknowledgement")
    wait_for(lambda: set(offered(browser)) == {"escalated", "dispatched", "closed"},
             timeout=20, message="the next stages are not offered")
    with sqlite3.connect(server.db_path) as db:
        assert db.execute("SELECT acknowledged_at IS NOT NULL FROM leads WHERE code = ?",
                          (code,)).fetchone() == (1,)

    # closing needs an outcome: without one nothing is written and the answer says so
    browser.find_element(By.CSS_SELECTOR, '#lead-actions [data-act="closed"]').click()
    wait_for(lambda: action_result(browser).startswith("0:"), timeout=20,
             message="closing without an outcome was not refused")
    box = browser.find_element(By.ID, "lead-outcome")
    box.send_keys("已核实，居家观察")
    browser.find_element(By.CSS_SELECTOR, '#lead-actions [data-act="closed"]').click()
    wait_for(lambda: "已办结" in action_result(browser), timeout=30,
             message="closing did not answer")
    wait_for(lambda: steps(browser).get("closed") in ("met", "late"), timeout=30,
             message="the timeline did not show the close")
    wait_for(lambda: not browser.find_element(By.ID, "lead-actions").is_displayed(),
             timeout=20, message="a closed lead still offers actions")
    assert "已核实，居家观察" in browser.find_element(By.ID, "lead-timeline").text
    assert console_errors(browser) == []
    browser.get(f"{server.url}/logout")
    browser.get("about:blank")  # nothing of this page may still load once its server stops
