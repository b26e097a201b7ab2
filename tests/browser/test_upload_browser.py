"""Upload a CSV in the browser as a signed-in operator: see the validation report (rows
outside the operator's township too), commit, and watch the map change."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from gridwatch.auth.accounts import create_user
from gridwatch.auth.policy import Scope
from gridwatch.settings import DEFAULT_PALETTE
from gridwatch.store.db import make_write_engine
from tests.browser.conftest import console_errors, private_server, wait_for
from tests.unit.test_ingest import zipped

pytestmark = pytest.mark.browser

GRID = "33082400100101"
TOWNSHIP = "330824001"  # GRID's township: the uploader's scope
ELSEWHERE = "33082421800101"  # a grid of another township
USER, PASSWORD = "browser-uploader", "upload-in-the-browser-2020"

FILL_OF_GRID = """
const map = window.gridwatchMap;
if (!map) return null;
let fill = null;
map.eachLayer(function (layer) {
  // the grid's polygon (its hotspot mark is a point feature with the same code)
  if (layer.feature && layer.feature.properties.code === arguments[0]
      && layer.feature.geometry.type !== "Point") {
    fill = layer.options.fillColor;
  }
}.bind(null));
return fill;
"""


@pytest.fixture(scope="module")
def upload_server(seeded_db, tmp_path_factory):
    """A server over its own copy of the store (the upload writes to it), with an operator of
    ``TOWNSHIP`` who signs in."""
    server = private_server(seeded_db, tmp_path_factory.mktemp("upload-live"))
    engine = make_write_engine(f"sqlite:///{server.db_path}")
    create_user(engine, USER, "operator", Scope.of(townships=[TOWNSHIP]), password=PASSWORD,
                actor="test")
    engine.dispose()
    yield server
    server.stop()


def sign_in_as(driver, server, name: str, password: str) -> None:
    """Fill in /login's form as ``name`` (the shared ``sign_in`` knows only county-wide users
    of each role); wait until it has sent the browser on."""
    driver.get(server.url + "/login?next=/%3Flang%3Den")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/login" not in driver.current_url, message="signed in")


FETCH_TEXT = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(r => r.text().then(text => done([r.status, text])));
"""


def grid_fill(driver, code: str):
    return driver.execute_script(FILL_OF_GRID.replace("arguments[0]", repr(code)))


def upload(driver, path) -> None:
    driver.find_element(By.CSS_SELECTOR, "#upload-file input[type=file]").send_keys(str(path))


def report_text(driver) -> str:
    return driver.find_element(By.ID, "upload-report").text


def test_upload_a_csv_see_the_report_commit_and_see_the_map_change(upload_server, browser,
                                                                    tmp_path):
    server = upload_server
    red = DEFAULT_PALETTE["red"]
    console_errors(browser)  # drop what pages of earlier tests logged (a server they left)
    sign_in_as(browser, server, USER, PASSWORD)
    browser.get(server.url + "/?lang=en")
    before = wait_for(lambda: grid_fill(browser, GRID), 30, message="grid drawn on the map")
    assert before != red
    analyst_tab = browser.current_window_handle

    browser.switch_to.new_window("tab")
    browser.get(server.url + "/data?lang=en")
    wait_for(lambda: browser.find_element(By.ID, "upload-file"), message="upload page")
    assert browser.find_elements(By.ID, "upload-token") == []  # the signed-in user writes

    # A CSV and an XLSX template per kind; the signed-in operator's browser gets them.
    links = browser.find_elements(By.CSS_SELECTOR, ".gw-upload-template-links a")
    assert [a.text for a in links] == ["CSV", "XLSX", "CSV", "XLSX"]
    got = browser.execute_async_script(FETCH_TEXT, links[0].get_attribute("href"))
    assert got[0] == 200 and got[1].startswith("grid_code,colour,observed_at,source,note")
    assert f"\n{TOWNSHIP}" in got[1]  # example rows with the operator's own grids

    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(zipped({"xl/workbook.xml": b"<x/>",
                             "xl/worksheets/sheet1.xml": b"\0" * (80 * 1024 * 1024)}))
    upload(browser, bomb)
    wait_for(lambda: "zip bomb" in report_text(browser), message="zip bomb refused")
    assert "bomb.xlsx" in report_text(browser)
    assert not browser.find_element(By.ID, "upload-commit").is_enabled()

    bad = tmp_path / "bad.csv"
    bad.write_text("grid_code,colour,observed_at,source\n"
                   f"{GRID},red,2020-02-29T21:00:00+08:00,township-review\n"
                   f"{GRID},crimson,2020-02-29 21:00,township-review\n", encoding="utf-8")
    upload(browser, bad)
    wait_for(lambda: "problems found" in report_text(browser), message="validation report")
    text = report_text(browser)
    assert "crimson" in text and "no time zone offset" in text
    rows = browser.find_elements(By.CSS_SELECTOR, ".gw-upload-errors tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == ["3", "3"]
    assert not browser.find_element(By.ID, "upload-commit").is_enabled()

    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("grid_code,colour,observed_at,source\n"
                         f"{GRID},red,2020-02-29T21:00:00+08:00,township-review\n"
                         f"{ELSEWHERE},red,2020-02-29T21:00:00+08:00,township-review\n",
                         encoding="utf-8")
    upload(browser, elsewhere)
    wait_for(lambda: "outside the scope" in report_text(browser), message="scope report")
    assert f"grid {ELSEWHERE} is outside the scope" in report_text(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, ".gw-upload-errors tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == ["3"]
    assert not browser.find_element(By.ID, "upload-commit").is_enabled()

    good = tmp_path / "good.csv"
    good.write_text("grid_code,colour,observed_at,source,note\n"
                    f"{GRID},red,2020-02-29T21:00:00+08:00,township-review,fever cluster\n",
                    encoding="utf-8")
    upload(browser, good)
    wait_for(lambda: "1 rows ready" in report_text(browser), message="valid report")
    assert "fever cluster" in report_text(browser)  # the preview shows the rows
    commit = browser.find_element(By.ID, "upload-commit")
    wait_for(commit.is_enabled, message="commit enabled")
    commit.click()
    result = wait_for(lambda: browser.find_element(By.ID, "upload-result").text, 15,
                      message="commit result")
    assert "1 new rows" in result
    assert console_errors(browser) == []
    browser.close()

    browser.switch_to.window(analyst_tab)
    # The analyst view polls the data version every 4 s: the grid turns red without a reload.
    wait_for(lambda: grid_fill(browser, GRID) == red, 10, message="grid turned red")
    assert console_errors(browser) == []
