"""The register of orders and notices, the article's figures and the red proxy in real headless
Chromium, as a viewer: the search box narrows the rows in the browser, a click opens one with
its day's tasks; small household counts of the red proxy are suppressed; the inspections name
nobody."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import console_errors, goto, into_view, wait_for

pytestmark = pytest.mark.browser


def shown_rows(browser) -> list[str]:
    return [r.get_attribute("row-id") for r in browser.find_elements(
        By.CSS_SELECTOR, "#directive-table .ag-center-cols-container .ag-row")]


@pytest.fixture
def as_viewer(browser, live_server):
    """The shared browser signed in as the viewer, and signed out again afterwards (the next
    test on the shared server expects to sign in as whom it needs)."""
    browser.get(f"{live_server.url}/logout")
    goto(browser, live_server, "/?date=2020-02-29", "viewer")
    yield browser
    browser.get(f"{live_server.url}/logout")


def test_search_narrows_the_register_and_a_click_opens_an_order(as_viewer, snap):
    browser = as_viewer
    console_errors(browser)
    browser.refresh()
    into_view(browser, "directive-table")  # panels fill as they scroll into view
    wait_for(lambda: len(shown_rows(browser)) >= 8, timeout=40,
             message="the register did not fill")
    assert shown_rows(browser)[0] == "notice-18"  # the last one issued, on the last day
    figures = browser.find_element(By.ID, "headline-figures").text
    for text in ("17", "18", "320", "100%", "11,248", "6,289", "31", "42 件 69 人"):
        assert text in figures, text
    # the red proxy beside the alerts: a viewer gets small household counts suppressed
    into_view(browser, "proxy-panel")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#proxy-panel table"), timeout=20,
             message="no red-proxy table")
    red = browser.find_element(By.ID, "proxy-panel").text
    assert "累计上门" in red and "<5" in red and "户数过少" in red
    # the inspections: every figure, no name anywhere in the page for a viewer
    into_view(browser, "inspection-panel")
    wait_for(lambda: "18 件 33 人" in browser.find_element(By.ID, "inspection-panel").text,
             timeout=20, message="the inspections did not fill")
    inspected = browser.find_element(By.ID, "inspection-panel").text
    assert "18 件 33 人" in inspected and "无权查看" in inspected
    names = {n for value in snap.inspection_cases["people_names"].dropna()
             for n in json.loads(value)}
    assert names and not any(n in browser.page_source for n in names)
    count = into_view(browser, "directive-count").text
    assert count == "指挥部令 17 道、通告 18 份（截至 2020-02-29 24:00）"

    search = browser.find_element(By.ID, "directive-search")
    search.send_keys("卡口")
    wait_for(lambda: set(shown_rows(browser)) == {"order-3", "order-9", "order-16"}, timeout=15,
             message=f"the search did not narrow the rows: {shown_rows(browser)}")
    cell = browser.find_element(
        By.CSS_SELECTOR, '#directive-table [row-id="order-9"] [col-id=label]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    cell.click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR,
                                           '#directive-detail h4[data-directive="order-9"]'),
             timeout=20, message="the order did not open")
    detail = browser.find_element(By.ID, "directive-detail").text
    assert "关于省界卡口二十四小时值守的命令" in detail and "发布，已" in detail
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)  # as a user empties it (clear() fires no input event)
    wait_for(lambda: len(shown_rows(browser)) >= 8, timeout=15,
             message="clearing the search did not bring the rows back")
    assert console_errors(browser) == []


@pytest.fixture(scope="module")
def issue_server(seeded_db, tmp_path_factory):
    from tests.browser.conftest import private_server

    server = private_server(seeded_db, tmp_path_factory.mktemp("issue"))
    yield server
    server.stop()


def test_the_county_issues_an_order_from_the_register(browser, issue_server):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    server = issue_server
    browser.get(f"{server.url}/logout")
    goto(browser, server, "/", "viewer")
    into_view(browser, "directive-table")
    wait_for(lambda: len(shown_rows(browser)) >= 8, timeout=40, message="no register")
    assert not browser.find_elements(By.ID, "issue-button")  # a viewer has no form
    browser.get(f"{server.url}/logout")
    goto(browser, server, "/", "admin")
    console_errors(browser)
    into_view(browser, "directive-table")
    wait_for(lambda: len(shown_rows(browser)) >= 8, timeout=40, message="no register")
    form = browser.find_element(By.CSS_SELECTOR, ".gw-issue")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});"
                           "arguments[0].open = true;", form)
    browser.find_element(By.CSS_SELECTOR, "#issue-kind input[value=order]").click()
    browser.find_element(By.ID, "issue-title-zh").send_keys("关于浏览器测试的命令")
    browser.find_element(By.ID, "issue-button").click()
    wait_for(lambda: "指挥部令第18号已发布" in browser.find_element(By.ID, "issue-result").text,
             timeout=30, message="issuing did not answer")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    # the view moved to today, where the new order heads the register
    wait_for(lambda: today in browser.find_element(By.ID, "as-of-label").text, timeout=30,
             message="the view did not move to today")
    def first_row():  # by position (AG Grid keeps the rows it had in the DOM, in their order)
        rows = browser.find_elements(
            By.CSS_SELECTOR, '#directive-table .ag-center-cols-container .ag-row[row-index="0"]')
        return rows[0].get_attribute("row-id") if rows else None
    wait_for(lambda: first_row() == "order-18", timeout=30,
             message="the new order is not first")
    assert "指挥部令 18 道" in browser.find_element(By.ID, "directive-count").text
    assert browser.find_element(By.ID, "issue-title-zh").get_attribute("value") == ""
    assert console_errors(browser) == []
    browser.get(f"{server.url}/logout")
    browser.get("about:blank")  # nothing of this page may still load once its server stops
