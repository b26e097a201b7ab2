"""Import boundaries in the browser as a signed-in admin: upload a projected zipped Shapefile
(posted to /upload/boundaries by assets/boundaries.js, no token field), read the report and the
preview map, activate, and see the served region change."""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By

from gridwatch.geo.layers import load_region
from gridwatch.ingest.boundary_files import export_boundaries
from gridwatch.ingest.boundary_versions import list_versions
from gridwatch.store.db import make_engine
from tests.browser.conftest import console_errors, goto, private_server, wait_for
from tests.conftest import GEO_PATH

pytestmark = pytest.mark.browser

PREVIEW_FEATURES = """
let n = 0;
document.querySelectorAll('#boundary-map path.leaflet-interactive').forEach(() => { n += 1; });
return n;
"""


FILE_INPUT = "#boundary-file input[type=file]"
"""The form's file input (made by assets/boundaries.js inside the form #boundary-file)."""


@pytest.fixture(scope="module")
def boundary_server(seeded_db, tmp_path_factory):
    server = private_server(seeded_db, tmp_path_factory.mktemp("boundary-live"))
    yield server
    server.stop()


def report_text(driver) -> str:
    return driver.find_element(By.ID, "boundary-report").text


def test_import_a_projected_shapefile_and_activate_it(boundary_server, browser, tmp_path):
    server = boundary_server
    region = load_region(GEO_PATH)
    shipped = server.health()["region"]
    archive = tmp_path / "kaihua-cgcs2000-gk-cm120.zip"
    archive.write_bytes(export_boundaries(
        {n: region.layer(n) for n in ("townships", "villages", "grids", "checkpoints")},
        "EPSG:4549"))

    # Tabs left open by earlier tests keep polling servers that have stopped: close them.
    browser.switch_to.new_window("tab")
    mine = browser.current_window_handle
    for handle in browser.window_handles:
        if handle != mine:
            browser.switch_to.window(handle)
            browser.close()
    browser.switch_to.window(mine)
    console_errors(browser)
    goto(browser, server, "/data?lang=en", "admin")
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, FILE_INPUT),
             message="the boundary form's file input")
    wait_for(lambda: "No boundary versions" in browser.find_element(
        By.ID, "boundary-versions").text, message="empty version list")
    assert browser.find_elements(By.ID, "upload-token") == []  # the signed-in admin acts
    form = browser.find_element(By.ID, "boundary-file")
    assert form.tag_name == "form" and form.get_attribute("enctype") == "multipart/form-data"
    assert form.get_attribute("action").endswith("/upload/boundaries")
    browser.find_element(By.CSS_SELECTOR, FILE_INPUT).send_keys(str(archive))
    wait_for(lambda: "Valid: ready to activate" in report_text(browser), 30,
             message="validation report")
    text = report_text(browser)
    assert "15 townships, 266 villages, 747 grids, 25 checkpoints" in text
    assert "EPSG:4549" in text
    wait_for(lambda: browser.execute_script(PREVIEW_FEATURES) >= 747, 15,
             message="staged grids drawn on the preview map")
    if os.environ.get("GRIDWATCH_SCREENSHOT"):
        browser.save_screenshot(os.environ["GRIDWATCH_SCREENSHOT"])

    activate = browser.find_element(By.ID, "boundary-activate")
    wait_for(activate.is_enabled, message="activate enabled")
    activate.click()
    result = wait_for(lambda: "is active" in browser.find_element(By.ID, "boundary-result").text,
                      30, message="activation result") and \
        browser.find_element(By.ID, "boundary-result").text
    assert "Boundary version 1 is active" in result
    assert "/upload/boundaries" not in browser.current_url  # the page did not reload
    imported = server.health()["region"]
    assert imported != shipped
    engine = make_engine(f"sqlite:///{server.db_path}")
    [row] = list_versions(engine)
    engine.dispose()
    assert row["status"] == "active" and row["created_by"].endswith(":" + server.user("admin"))
    wait_for(lambda: "#1 · active" in browser.find_element(By.ID, "boundary-versions").text,
             message="version list marks the active one")
    assert console_errors(browser) == []


@pytest.fixture(scope="module")
def new_region_server(seeded_db, tmp_path_factory):
    server = private_server(seeded_db, tmp_path_factory.mktemp("new-region-live"))
    yield server
    server.stop()


def result_text(driver) -> str:
    return driver.find_element(By.ID, "boundary-result").text


def test_a_new_region_from_the_page_needs_the_history_box_on_a_store_with_history(
        new_region_server, browser, tmp_path):
    """The demo moved 3.5° east, chosen as a new region and named on the page: refused while
    the store has history and "Replace the history" is not ticked (nothing changes), made
    the region in force once it is."""
    server = new_region_server
    region = load_region(GEO_PATH)
    shipped = server.health()["region"]
    gpkg = tmp_path / "donghai.gpkg"
    for name in ("county", "townships", "villages", "grids", "checkpoints"):
        frame = region.layer(name).copy()
        frame["geometry"] = frame.geometry.translate(3.5, 0)
        if name == "townships":
            frame["seat_lon"] = frame["seat_lon"] + 3.5
        if name == "county":
            frame = frame.assign(code="339999")
        frame.to_file(gpkg, layer=name, driver="GPKG")

    console_errors(browser)
    goto(browser, server, "/data?lang=en", "admin")
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, FILE_INPUT),
             message="the boundary form's file input")
    browser.find_element(By.CSS_SELECTOR, "#boundary-new-region input[type=checkbox]").click()
    browser.find_element(By.ID, "boundary-name-zh").send_keys("东海区")
    browser.find_element(By.ID, "boundary-name-en").send_keys("Donghai District")
    browser.find_element(By.CSS_SELECTOR, FILE_INPUT).send_keys(str(gpkg))
    wait_for(lambda: "Valid: ready to activate" in report_text(browser), 30,
             message="the new region checked")
    wait_for(lambda: "tick “Replace the history" in result_text(browser), 10,
             message="the history box asked for before Activate")
    activate = browser.find_element(By.ID, "boundary-activate")
    wait_for(activate.is_enabled, message="activate enabled")
    activate.click()
    wait_for(lambda: "a store holds one region's history" in result_text(browser), 30,
             message="refused without the history box")
    assert "Replace the history (archived first)" in result_text(browser)
    assert server.health()["region"] == shipped  # nothing changed

    browser.find_element(By.CSS_SELECTOR,
                         "#boundary-replace-history input[type=checkbox]").click()
    wait_for(activate.is_enabled, message="activate enabled again")
    activate.click()
    wait_for(lambda: "New region 东海区 / Donghai District" in result_text(browser), 60,
             message="the new region in force")
    assert "The old history was archived into" in result_text(browser)
    assert server.health()["region"] != shipped
    assert "/upload/boundaries" not in browser.current_url
    # the refusal is a 400 the browser logs; nothing else may be
    assert [e for e in console_errors(browser)
            if not ("/upload/boundaries" in e and "status of 400" in e)] == []
    browser.get("about:blank")


def test_the_mapping_step_names_the_columns_a_countys_own_file_uses(boundary_server, browser,
                                                                    tmp_path):
    """Grids whose code and name columns no alias knows: the check stops with both fields
    marked in the mapping step; choosing the columns there checks the files again, valid."""
    from selenium.webdriver.support.ui import Select

    region = load_region(GEO_PATH)
    paths = []
    for name in ("townships", "villages", "grids", "checkpoints"):
        frame = region.layer(name)
        if name == "grids":
            frame = frame.rename(columns={"code": "WGBM", "name_zh": "WGMC"})
        path = tmp_path / f"{name}.geojson"
        path.write_text(frame.to_json(drop_id=True))
        paths.append(str(path))

    def choice(field: str):
        return browser.find_element(
            By.CSS_SELECTOR, f"select.gw-map-select[data-layer=grids][data-field={field}]")

    console_errors(browser)
    goto(browser, boundary_server, "/data?lang=en", "admin")
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, FILE_INPUT),
             message="the boundary form's file input")
    browser.find_element(By.CSS_SELECTOR, FILE_INPUT).send_keys("\n".join(paths))
    wait_for(lambda: "required fields without a column: 2" in report_text(browser), 30,
             message="the mapping step asks for two columns")
    assert "grids.geojson has no code column" in report_text(browser)
    assert Select(choice("code")).first_selected_option.text == "— choose —"
    assert Select(choice("population")).first_selected_option.get_attribute("value") \
        == "population"  # found by its alias, shown as chosen
    assert not browser.find_element(By.ID, "boundary-activate").is_enabled()

    Select(choice("code")).select_by_value("WGBM")
    wait_for(lambda: "required fields without a column: 1" in report_text(browser), 30,
             message="checked again with the code column")
    Select(choice("name_zh")).select_by_value("WGMC")
    wait_for(lambda: "Valid: ready to activate" in report_text(browser), 30,
             message="valid once both columns are chosen")
    assert "code ← WGBM, name_zh ← WGMC" in report_text(browser)
    wait_for(browser.find_element(By.ID, "boundary-activate").is_enabled,
             message="activate enabled")
    # the datum chosen on the form goes with the files (and the columns chosen stay)
    Select(browser.find_element(By.ID, "boundary-datum")).select_by_value("gcj02")
    wait_for(lambda: "grids.geojson: read as GCJ-02 and converted to WGS84"
             in report_text(browser), 30, message="checked again as GCJ-02")
    assert "code ← WGBM, name_zh ← WGMC" in report_text(browser)
    assert console_errors(browser) == []
    browser.get("about:blank")
