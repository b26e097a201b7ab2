"""The offline basemap in the browser: a server started with GRIDWATCH_BASEMAP_FILE (an
MBTiles file made here, with some tiles missing) paints its tiles from its own /basemap route
on the analyst view and on a kiosk's wall, with nothing in the console."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.conftest import LiveServer, console_errors, free_port, goto, wait_for
from tests.browser.driver import set_viewport
from tests.unit.test_basemap import county_tiles, tile_range, write_mbtiles

pytestmark = pytest.mark.browser

LOADED_TILES = """
return Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))
    .filter(img => img.naturalWidth > 0).map(img => img.src);
"""
REQUESTED = """
return performance.getEntriesByType('resource').map(e => e.name)
    .filter(name => name.includes('/basemap/'));
"""


@pytest.fixture(scope="module")
def basemap_server(seeded_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("basemap-live")
    # Zooms 8 to 13, every seventh tile left out: Leaflet is given 204 for those.
    zooms = range(8, 14)
    every = [key for z in zooms for key in tile_range((117.95, 28.85, 118.75, 29.55), z)]
    tiles = county_tiles(zooms, skip=frozenset(every[::7]))
    path = write_mbtiles(folder / "county.mbtiles", tiles, {"maxzoom": "13"})
    db = folder / "store.sqlite"
    shutil.copy(seeded_db, db)
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1",
           "GRIDWATCH_BASEMAP_FILE": str(path)}
    env.pop("GRIDWATCH_TILE_URL", None)
    server = LiveServer(free_port(), db, folder / "server.log", env)
    server.start()
    yield server
    server.stop()


def painted(driver, server: LiveServer) -> list[str]:
    return wait_for(lambda: driver.execute_script(LOADED_TILES), timeout=40,
                    message="no basemap tile was painted")


def test_the_basemap_is_painted_from_the_app_itself(basemap_server, browser, tmp_path):
    server = basemap_server
    set_viewport(browser, 1920, 1080)
    goto(browser, server, "/?lang=en")
    console_errors(browser)  # what the login page logged is not this test's
    painted(browser, server)
    # Let the view settle (the map fits the county, then the panels fill).
    wait_for(lambda: len(browser.execute_script(LOADED_TILES)) >= 6, timeout=40,
             message="the basemap stays nearly empty")
    wait_for(lambda: browser.execute_script(
        "return document.querySelectorAll('.gw-neighbour-label').length"), timeout=40,
        message="the neighbours' names did not come")
    tiles = browser.execute_script(LOADED_TILES)
    assert all(src.startswith(f"{server.url}/basemap/") and src.endswith(".png")
               for src in tiles), tiles[:5]
    requested = browser.execute_script(REQUESTED)
    assert requested and all(name.startswith(server.url) for name in requested)
    attribution = browser.execute_script(
        "return document.querySelector('.leaflet-control-attribution').textContent")
    assert "© Test map" in attribution
    browser.save_screenshot(str(tmp_path / "basemap-analyst-1920x1080.png"))
    shot = os.environ.get("GRIDWATCH_SCREENSHOT_DIR")
    if shot:
        browser.save_screenshot(os.path.join(shot, "basemap-analyst-1920x1080.png"))
    assert console_errors(browser) == []


def test_the_wall_shows_the_basemap_through_its_kiosk_link(basemap_server, browser, tmp_path):
    server = basemap_server
    set_viewport(browser, 1920, 1080)
    browser.get(server.kiosk_url("basemap-wall"))
    wait_for(lambda: "/wall" in browser.current_url, message="the kiosk link did not open")
    console_errors(browser)
    tiles = painted(browser, server)
    assert all(src.startswith(f"{server.url}/basemap/") for src in tiles)
    # The wall's dark theme turns the light tiles dark.
    dark = browser.execute_script(
        "return getComputedStyle(document.querySelector('.wall .gw-basemap')).filter")
    assert "invert" in dark
    shot = os.environ.get("GRIDWATCH_SCREENSHOT_DIR")
    if shot:
        browser.save_screenshot(os.path.join(shot, "basemap-wall-1920x1080.png"))
    assert console_errors(browser) == []
