"""A special task from the screen in real headless Chromium: county staff publish it to a
township, the township's operator hands it off, one grid acknowledges and completes it; the
funnel, the task's grids, the map's marks and the wall follow each step without a reload; a
viewer sees the same funnel and no button."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import (
    PASSWORD,
    console_errors,
    goto,
    private_server,
    wait_for,
)
from tests.browser.driver import set_viewport

pytestmark = pytest.mark.browser

TITLE = "浏览器测试：核查返乡人员健康码"


@pytest.fixture(scope="module")
def task_server(seeded_db, tmp_path_factory):
    server = private_server(seeded_db, tmp_path_factory.mktemp("tasks"))
    yield server
    server.stop()


def township_operator(server, town: str) -> str:
    from gridwatch.auth.accounts import create_user
    from gridwatch.auth.policy import Scope
    from gridwatch.store.db import make_write_engine

    engine = make_write_engine(f"sqlite:///{server.db_path}")
    create_user(engine, "browser-township", "operator", Scope("township", frozenset({town})),
                password=PASSWORD)
    engine.dispose()
    return "browser-township"


def sign_in_as(browser, server, name: str) -> None:
    browser.get(f"{server.url}/logout")
    browser.get(f"{server.url}/login")
    for field, value in (("username", name), ("password", PASSWORD)):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/login" not in browser.current_url, message="the login did not go through")


def funnel(browser) -> list[int] | None:
    return browser.execute_script("""
        const card = document.getElementById('task-funnel');
        if (card) card.scrollIntoView({block: 'center'});  // panels fill while in view
        const g = document.querySelector('#task-funnel .js-plotly-plot');
        return g && g.data && g.data[0] ? Array.from(g.data[0].x) : null;""")


def grid_cells(browser) -> list[dict]:
    """The open task's grid rows as the grid holds them (AG Grid draws only the rows in
    view), each with whether it is ticked (``_ticked``)."""
    return browser.execute_script("""
        const api = window.dash_ag_grid && dash_ag_grid.getApi('task-grids');
        if (!api) return [];
        const out = [];
        api.forEachNode(n => out.push(Object.assign({_id: n.id, _ticked: n.isSelected()},
                                                     n.data)));
        return out;""")


def result(browser, element_id: str) -> str:
    """The answer an action shows (read in one go: it is redrawn while we look)."""
    return browser.execute_script(
        "const e = document.querySelector('#' + arguments[0] + ' [data-ok]');"
        "return e ? e.innerText : '';", element_id)


def open_task(browser, code: str) -> None:
    def row():
        browser.execute_script(
            "document.getElementById('task-table').scrollIntoView({block: 'center'})")
        return browser.find_elements(
            By.CSS_SELECTOR, f'#task-table .ag-center-cols-container [row-id="{code}"] '
                             '[col-id=code]')
    wait_for(row, timeout=30, message=f"{code} is not in the task list")[0].click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f'#task-detail h4[data-task="{code}"]'),
             timeout=20, message="the task did not open")


def test_a_task_goes_from_the_county_through_the_township_to_a_grid_on_screen(
        browser, task_server, region):
    server = task_server
    towns = region.townships.set_index("code")
    grids = region.grid_table
    town = sorted(grids.groupby("township_code").size().loc[lambda s: s <= 40].index)[0]
    in_town = sorted(grids.loc[grids["township_code"] == town, "code"])
    operator = township_operator(server, town)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    # county staff publish the task to the township from the analyst view
    console_errors(browser)
    goto(browser, server, "/", "admin")
    wait_for(lambda: funnel(browser) is not None, timeout=30, message="no funnel")
    summary = browser.find_element(By.CSS_SELECTOR, ".gw-publish summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    browser.find_element(By.ID, "publish-title-zh").send_keys(TITLE)
    browser.find_element(By.XPATH, "//*[@id='publish-scope']//input[@value='township']"
                                   "/ancestor::label").click()
    browser.find_element(By.ID, "publish-townships").click()  # Dash 4: a button and a popover
    wait_for(lambda: browser.find_elements(
        By.XPATH, f"//*[contains(@class,'dash-dropdown-content')]//input[@value='{town}']"
                  "/ancestor::label"), message="the township list did not open")[0].click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait_for(lambda: towns.at[town, "name_zh"] in browser.find_element(
        By.ID, "publish-townships").text, message="the township was not chosen")
    browser.find_element(By.ID, "publish-button").click()
    wait_for(lambda: "T0321" in result(browser, "publish-result"), timeout=30,
             message=f"not published: {result(browser, 'publish-result')!r}")
    # the view moved to today, where the new task is the day's only work
    wait_for(lambda: today in browser.find_element(By.ID, "as-of-label").text, timeout=20,
             message="the day did not move")
    wait_for(lambda: funnel(browser) == [len(in_town), 0, 0, 0], timeout=30,
             message=f"funnel after publishing: {funnel(browser)}")

    # the township's operator hands it off to all its grids
    sign_in_as(browser, server, operator)
    goto(browser, server, "/", "admin")
    open_task(browser, "T0321")
    wait_for(lambda: len(grid_cells(browser)) == len(in_town), timeout=20,
             message="the task's grids are not listed")
    assert {r["waiting"] for r in grid_cells(browser)} == {"乡镇"}
    button = browser.find_element(By.ID, "task-hand-off")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_for(lambda: f"已交办 {len(in_town)} 个网格" in result(browser, "task-result"),
             timeout=30, message=f"hand-off: {result(browser, 'task-result')!r}")
    wait_for(lambda: {r["stage"] for r in grid_cells(browser)} == {"乡镇交办"}, timeout=30,
             message=f"grids after the hand-off: {grid_cells(browser)[:2]}")
    wait_for(lambda: funnel(browser) == [len(in_town), len(in_town), 0, 0], timeout=30,
             message=f"funnel after the hand-off: {funnel(browser)}")

    # one grid acknowledges, then completes
    first = in_town[0]
    tick = browser.find_element(
        By.CSS_SELECTOR, f'#task-grids [row-id="{first}"] .ag-selection-checkbox input')
    tick.click()
    browser.find_element(By.ID, "task-acknowledge").click()
    wait_for(lambda: "1 个网格已签收" in result(browser, "task-result"), timeout=30,
             message=f"acknowledge: {result(browser, 'task-result')!r}")
    wait_for(lambda: funnel(browser) == [len(in_town), len(in_town), 1, 0], timeout=30,
             message=f"funnel after acknowledging: {funnel(browser)}")
    wait_for(lambda: {r["_id"]: r for r in grid_cells(browser)}[first]["stage"] == "网格签收",
             timeout=30, message="the grid's stage did not follow")
    assert {r["_id"]: r for r in grid_cells(browser)}[first]["_ticked"]  # kept over refresh
    browser.find_element(By.ID, "task-complete").click()
    wait_for(lambda: "1 个网格已完成" in result(browser, "task-result"), timeout=30,
             message=f"complete: {result(browser, 'task-result')!r}")
    wait_for(lambda: funnel(browser) == [len(in_town), len(in_town), 1, 1], timeout=30,
             message=f"funnel after completing: {funnel(browser)}")
    done = {r["_id"]: r for r in grid_cells(browser)}[first]
    assert done["stage"] == "完成" and done["completed"]
    assert console_errors(browser) == []

    # the wall's task view shows where the township's grids stand
    goto(browser, server, "/wall?views=tasks", "admin")
    wait_for(lambda: browser.execute_script("""
        const g = document.querySelector('.wall-graph .js-plotly-plot');
        if (!g || !g.data) return false;
        // each bar's label is its count (the numbers themselves travel base64-encoded)
        const sum = name => g.data.filter(d => d.name === name)
            .reduce((n, d) => n + (d.text || []).reduce((a, b) => a + (+b || 0), 0), 0);
        return sum('已完成') === 1 && sum('已签收办理中') === 0
            && sum('待网格签收') === arguments[0] - 1 && sum('待乡镇交办') === 0;""",
        len(in_town)), timeout=40, message="the wall does not show the task's stages")

    # a viewer sees the funnel and the task's grids, and no button
    sign_in_as(browser, server, server.user("viewer"))
    goto(browser, server, "/", "viewer")
    wait_for(lambda: funnel(browser) == [len(in_town), len(in_town), 1, 1], timeout=30,
             message="the viewer's funnel")
    open_task(browser, "T0321")
    assert not browser.find_elements(By.ID, "task-hand-off")
    assert not browser.find_elements(By.CSS_SELECTOR, "#task-grids .ag-selection-checkbox")
    assert not browser.find_elements(By.CSS_SELECTOR, ".gw-publish")
    browser.get(f"{server.url}/logout")


def test_a_grid_worker_acknowledges_and_completes_on_a_phone(browser, task_server, region):
    """After the test above: the township's operator on a 375×667 screen (``/work``)."""
    server = task_server
    set_viewport(browser, 375, 667)
    try:
        sign_in_as(browser, server, "browser-township")
        goto(browser, server, "/work", "admin")
        items = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".gw-work-list label"),
                         timeout=30, message="no open work listed")
        count = browser.find_element(By.ID, "work-count").text
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 375, f"the page is {width} px wide on a 375 px phone"
        first = items[0]
        chosen = first.find_element(By.TAG_NAME, "input").get_attribute("value")
        assert "乡镇交办" in first.text and chosen.startswith("T0321|")
        first.click()
        browser.find_element(By.ID, "work-acknowledge").click()
        wait_for(lambda: "已签收任务 T0321" in result(browser, "work-result"), timeout=30,
                 message=f"acknowledge: {result(browser, 'work-result')!r}")
        label = wait_for(lambda: browser.find_elements(
            By.XPATH, f"//*[@id='work-list']//input[@value='{chosen}']/ancestor::label"),
            timeout=10)[0]
        assert "网格签收" in label.text
        browser.find_element(By.ID, "work-complete").click()
        wait_for(lambda: "已完成任务 T0321" in result(browser, "work-result"), timeout=30,
                 message=f"complete: {result(browser, 'work-result')!r}")
        wait_for(lambda: not browser.find_elements(
            By.XPATH, f"//*[@id='work-list']//input[@value='{chosen}']"), timeout=10,
            message="the completed assignment is still listed")
        assert browser.find_element(By.ID, "work-count").text != count
        # completing it twice is refused with a reason, and changes nothing
        browser.find_element(By.ID, "work-complete").click()
        wait_for(lambda: "请先选择" in result(browser, "work-result"), timeout=20)
        assert console_errors(browser) == []
    finally:
        set_viewport(browser, 1920, 1080)
        browser.get(f"{server.url}/logout")
