"""Signing in as each role, and a kiosk wall revoked while it runs, in a real browser."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import PASSWORD, console_errors, private_server, sign_in, wait_for
from tests.browser.driver import make_driver


@pytest.fixture(scope="module")
def trust_server(seeded_db, tmp_path_factory):
    server = private_server(seeded_db, tmp_path_factory.mktemp("trust-live"))
    yield server
    server.stop()


@pytest.fixture
def fresh_browser():
    """A browser with no cookies (each role signs in from nothing)."""
    driver = make_driver(1920, 1080)
    yield driver
    driver.quit()


def analyst_page_ready(driver) -> bool:
    return driver.execute_script(
        "return window.gridwatchMap && document.querySelectorAll('[data-kpi]').length === 6"
        " && document.querySelector('.ag-center-cols-container .ag-row') !== null")


@pytest.mark.parametrize(("role", "sees", "does_not_see"), [
    ("viewer", [], ["export-download", "grid-table-csv", "a[href^='/data']",
                    "a[href^='/admin']"]),
    ("analyst", ["export-download", "grid-table-csv"], ["a[href^='/data']",
                                                        "a[href^='/admin']"]),
    ("operator", ["export-download", "a[href^='/data']"], ["a[href^='/admin']"]),
    ("admin", ["export-download", "a[href^='/data']", "a[href^='/admin']"], []),
])
def test_each_role_signs_in_and_sees_what_it_may(trust_server, fresh_browser, role, sees,
                                                 does_not_see):
    driver = fresh_browser
    driver.get(f"{trust_server.url}/?lang=en")
    assert "/login" in driver.current_url  # no session: the login page first
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    sign_in(driver, trust_server, role)
    wait_for(lambda: analyst_page_ready(driver), timeout=40,
             message=f"the analyst view did not load for {role}")

    def present(selector: str) -> bool:
        css = selector if selector.startswith("a[") else f"#{selector}"
        return bool(driver.find_elements(By.CSS_SELECTOR, css))

    assert [s for s in sees if not present(s)] == []
    assert [s for s in does_not_see if present(s)] == []
    assert trust_server.user(role) in driver.find_element(By.CSS_SELECTOR, ".gw-user").text
    driver.get(f"{trust_server.url}/data?lang=en")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".gw-not-found, .gw-upload"),
             timeout=30, message="the data page did not render")
    allowed = bool(driver.find_elements(By.CSS_SELECTOR, ".gw-upload"))
    assert allowed == (role in ("operator", "admin"))
    assert console_errors(driver) == []


def test_a_wrong_password_says_so_and_signing_out_ends_the_session(trust_server,
                                                                   fresh_browser):
    driver = fresh_browser
    driver.get(f"{trust_server.url}/login?lang=en")
    driver.find_element(By.ID, "username").send_keys(trust_server.user("analyst"))
    driver.find_element(By.ID, "password").send_keys(PASSWORD + "-wrong")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".gw-login-error"))
    assert "not right" in alert.text
    sign_in(driver, trust_server, "analyst")
    wait_for(lambda: analyst_page_ready(driver), timeout=40, message="no analyst view")
    driver.get(f"{trust_server.url}/logout")
    driver.get(f"{trust_server.url}/wall")
    assert "/login" in driver.current_url


def test_a_revoked_kiosk_stops_its_wall(trust_server, fresh_browser):
    from gridwatch.auth.sessions import revoke_kiosk
    from gridwatch.store.db import make_write_engine

    driver = fresh_browser
    url = trust_server.kiosk_url("lobby")
    driver.get(url + "?lang=en")
    wait_for(lambda: driver.current_url.startswith(f"{trust_server.url}/wall"), timeout=20,
             message="the kiosk link did not open the wall")
    assert "/kiosk/" not in driver.current_url  # the secret left the address bar
    wait_for(lambda: driver.execute_script(
        "return document.querySelectorAll('.wall-tile').length === 5"), timeout=60,
        message="the wall did not fill in")
    driver.get(f"{trust_server.url}/")  # a kiosk opens the wall whatever it asks for
    wait_for(lambda: driver.current_url.endswith("/wall"), message="not sent to the wall")
    engine = make_write_engine(f"sqlite:///{trust_server.db_path}")
    assert revoke_kiosk(engine, "lobby") == 1
    engine.dispose()
    screen = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".wall-revoked"),
                      timeout=20, message="the revoked wall kept running")
    assert "revoked" in screen.text
