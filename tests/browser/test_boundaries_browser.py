"""Import boundaries in the browser: upload a projected zipped Shapefile, read the report and the
preview map, activate, and see the served region change."""

from __future__ import annotations

import os

import pytest
from selenium.webdriver.common.by import By

from gridwatch.geo.layers import load_region
from gridwatch.ingest.boundary_files import export_boundaries
from tests.browser.conftest import console_errors, private_server_with_token, wait_for
from tests.conftest import GEO_PATH

pytestmark = pytest.mark.browser

PREVIEW_FEATURES = """
let n = 0;
document.querySelectorAll('#boundary-map path.leaflet-interactive').forEach(() => { n += 1; });
return n;
"""


@pytest.fixture(scope="module")
def boundary_server(seeded_db, tmp_path_factory):
    server, token = private_server_with_token(seeded_db, tmp_path_factory.mktemp("boundary-live"),
                                              "gis-office")
    yield server, token
    server.stop()


def report_text(driver) -> str:
    return driver.find_element(By.ID, "boundary-report").text


def test_import_a_projected_shapefile_and_activate_it(boundary_server, browser,
                                                                  tmp_path):
    server, token = boundary_server
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
    browser.get(server.url + "/data?lang=en")
    wait_for(lambda: browser.find_element(By.ID, "boundary-file"), message="boundaries section")
    wait_for(lambda: "No boundary versions" in browser.find_element(
        By.ID, "boundary-versions").text, message="empty version list")
    browser.find_element(By.ID, "upload-token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, "#boundary-file input[type=file]").send_keys(
        str(archive))
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
    result = wait_for(lambda: browser.find_element(By.ID, "boundary-result").text, 30,
                      message="activation result")
    assert "Boundary version 1 is active" in result
    imported = server.health()["region"]
    assert imported != shipped
    wait_for(lambda: "#1 · active" in browser.find_element(By.ID, "boundary-versions").text,
             message="version list marks the active one")
    assert console_errors(browser) == []
