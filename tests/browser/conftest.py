"""Browser-test fixtures: a real server on a private copy of the demo store, and Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.driver import make_driver

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-tests-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A running ``app.py`` process; ``restart()`` keeps the same port and store."""

    port: int
    db_path: Path
    log_path: Path
    env: dict
    process: subprocess.Popen | None = None
    users: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(self.port)], cwd=ROOT,
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not come up")

    def health(self) -> dict:
        """``/healthz`` (status and data version), plus the region's fingerprint (the data
        version's second part)."""
        with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
            health = json.load(r)
        return {**health, "region": health["data_version"].partition("-")[2]}

    def user(self, role: str = "admin") -> str:
        """A user of ``role`` on this server's store (made once): its name; the password is
        ``PASSWORD``. Operators get the county scope."""
        if role not in self.users:
            from gridwatch.auth.accounts import create_user
            from gridwatch.auth.policy import COUNTY
            from gridwatch.store.db import make_write_engine

            engine = make_write_engine(f"sqlite:///{self.db_path}")
            name = f"browser-{role}"
            create_user(engine, name, role, COUNTY if role == "operator" else None,
                        password=PASSWORD)
            engine.dispose()
            self.users[role] = name
        return self.users[role]

    def kiosk_url(self, name: str) -> str:
        """A new kiosk's link on this server."""
        from gridwatch.auth.sessions import create_kiosk
        from gridwatch.store.db import make_write_engine

        engine = make_write_engine(f"sqlite:///{self.db_path}")
        _info, secret = create_kiosk(engine, name)
        engine.dispose()
        return f"{self.url}/kiosk/{secret}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def private_server(seeded_db: Path, folder: Path) -> LiveServer:
    """A started server on a free port over its own copy of the seeded demo store."""
    db = folder / "store.sqlite"
    shutil.copy(seeded_db, db)
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    env.pop("GRIDWATCH_TILE_URL", None)
    server = LiveServer(free_port(), db, folder / "server.log", env)
    server.start()
    return server


def new_region_server(region, folder: Path, seed: int | None = None) -> LiveServer:
    """A started server over a store holding only a new region: the demo moved 3.5° east
    and renamed 东海县 / Donghai County (``tests.unit.test_new_region.moved``), imported
    with ``--new-region``; with ``seed``, given a history by ``simulate --seed``. The caller
    stops it (``stop_checked``)."""
    from gridwatch.__main__ import main
    from gridwatch.service import DataSource
    from gridwatch.settings import Settings
    from tests.conftest import GEO_PATH
    from tests.unit.test_new_region import moved, write_gpkg

    gpkg = write_gpkg(folder / "donghai.gpkg", {name: moved(region, name) for name in (
        "county", "townships", "villages", "grids", "checkpoints")})
    db = folder / "store.sqlite"
    url = f"sqlite:///{db}"
    source = DataSource(Settings(database_url=url, geo_path=GEO_PATH, seed_demo=False))
    source.prepare(seed=False)
    source.engine.dispose()
    source.writer.dispose()
    assert main(["import-boundaries", str(gpkg), "--new-region", "--database-url", url]) == 0
    if seed is not None:
        assert main(["simulate", "--database-url", url, "--seed", str(seed)]) == 0
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": url, "GRIDWATCH_SEED_DEMO": "false",
           "PYTHONUNBUFFERED": "1"}
    env.pop("GRIDWATCH_TILE_URL", None)
    server = LiveServer(free_port(), db, folder / "server.log", env)
    server.start()
    return server


def stop_checked(server: LiveServer) -> None:
    """Stop ``server``; its log must hold no traceback."""
    server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def private_server_with_token(seeded_db: Path, folder: Path, token_name: str):
    """``private_server`` plus a write token for it: ``(server, token)``."""
    from gridwatch.auth.tokens import create_token
    from gridwatch.store.db import make_engine

    server = private_server(seeded_db, folder)
    engine = make_engine(f"sqlite:///{server.db_path}")
    _id, token = create_token(engine, token_name)
    engine.dispose()
    return server, token


@pytest.fixture(scope="session")
def live_server(seeded_db, tmp_path_factory):
    """The app on a free port, over a private copy of the seeded demo store."""
    server = private_server(seeded_db, tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    driver = make_driver(1920, 1080)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def _blank_after_each(request):
    """After each test the shared browser goes to about:blank: a page left open (the wall's
    animations, a poll of a stopped server) would take a core from the tests that follow."""
    yield
    if "browser" in request.fixturenames:
        try:
            request.getfixturevalue("browser").get("about:blank")
        except Exception:  # a broken session fails the next test that uses it
            pass


def console_errors(driver) -> list[str]:
    """SEVERE console entries since the last call (reading the log clears it), and every
    Content-Security-Policy violation whatever its level: Chromium logs some of them (e.g.
    an eval refused inside a try, a report-only policy) as warnings, and a page that works
    only because a blocked script failed quietly must still fail the test."""
    csp = ("Refused to ", "Content Security Policy", "Content-Security-Policy")
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or any(marker in e["message"] for marker in csp)]


def sign_in(driver, server: LiveServer, role: str = "admin") -> None:
    """Fill in the login page the browser is on as ``server``'s user of ``role``."""
    from selenium.webdriver.common.by import By

    for name, value in (("username", server.user(role)), ("password", PASSWORD)):
        box = driver.find_element(By.ID, name)
        box.clear()  # after a failed login the page keeps the name typed
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/login" not in driver.current_url, message="the login did not go through")


def goto(driver, server: LiveServer, path: str, role: str = "admin") -> None:
    """Open ``path`` on ``server``, signing in as its user of ``role`` when the login page
    comes first (servers share 127.0.0.1, and cookies do not tell ports apart, so a browser
    that visited another test server arrives here without a session)."""
    driver.get(f"{server.url}{path}")
    if "/login" in driver.current_url:
        sign_in(driver, server, role)


def into_view(driver, element_id: str, timeout: float = 40):
    """Scroll the page so that the element ``element_id`` (once the page has drawn it) is in
    the middle of the screen, as a user scrolls to a panel (the analyst view fills its panels
    while they are in view, ``assets/analyst.js``); the element."""
    from selenium.webdriver.common.by import By

    element = wait_for(lambda: driver.find_element(By.ID, element_id), timeout=timeout,
                       message=f"the page has no #{element_id}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def click_map_at(driver, lat: float, lon: float) -> None:
    """A real mouse click on the analyst map (``.gw-map``) at ``lat``, ``lon``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    x, y = driver.execute_script(
        "const p = window.gridwatchMap.latLngToContainerPoint([arguments[0], arguments[1]]);"
        "return [p.x, p.y];", lat, lon)
    element = driver.find_element(By.CSS_SELECTOR, ".gw-map")
    size = element.size
    ActionChains(driver).move_to_element_with_offset(
        element, int(x - size["width"] / 2), int(y - size["height"] / 2)).click().perform()


def wait_for(predicate, timeout: float = 15, interval: float = 0.2, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail with ``message`` otherwise."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out: {message} (last: {last!r})")
