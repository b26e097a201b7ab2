"""Trust across processes: a lockout counted in the store holds in every server process, and
the first run of a fresh store prints an admin password that signs in."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gridwatch.auth.accounts import LOCKOUT_FAILURES, create_user
from gridwatch.store.db import make_write_engine
from tests.browser.conftest import LiveServer, free_port, private_server

PASSWORD = "two-process-password"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def log_in(server: LiveServer, name: str, password: str) -> int:
    """POST the login form as a browser would; the status (303 signed in)."""
    body = urllib.parse.urlencode({"username": name, "password": password}).encode()
    request = urllib.request.Request(f"{server.url}/login", data=body, method="POST",
                                     headers={"Origin": server.url})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def two_servers(seeded_db, tmp_path):
    first = private_server(seeded_db, tmp_path)
    env = dict(first.env)
    second = LiveServer(free_port(), first.db_path, tmp_path / "second.log", env)
    second.start()
    yield first, second
    first.stop()
    second.stop()


def test_a_lockout_counted_by_one_process_holds_in_the_other(two_servers):
    first, second = two_servers
    engine = make_write_engine(f"sqlite:///{first.db_path}")
    create_user(engine, "shared", "analyst", password=PASSWORD)
    engine.dispose()
    assert log_in(second, "shared", PASSWORD) == 303
    servers = [first, second]
    for attempt in range(LOCKOUT_FAILURES):
        status = log_in(servers[attempt % 2], "shared", f"wrong-password-{attempt}")
        assert status in (401, 429)
    assert status == 429  # the fifth failure locks
    assert log_in(first, "shared", PASSWORD) == 429  # the right password, still locked
    assert log_in(second, "shared", PASSWORD) == 429


def test_the_first_run_prints_an_admin_password_that_signs_in(tmp_path):
    import os
    import subprocess
    import sys

    from tests.browser.conftest import ROOT

    db = tmp_path / "fresh.sqlite"
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    # Not the embedded default store: init-store prepares it (a server never migrates it).
    init = subprocess.run([sys.executable, "-m", "gridwatch", "init-store", "--seed-demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert init.returncode == 0, init.stderr[-2000:]
    server = LiveServer(free_port(), db, tmp_path / "fresh.log", env)
    server.start(timeout=180)
    try:
        log = server.log_path.read_text()
        found = re.search(r"created the user 'admin' with the password\s+(\S+)", init.stderr)
        assert found, init.stderr[-2000:]
        assert log_in(server, "admin", found.group(1)) == 303
        assert log_in(server, "admin", "admin") == 401  # no default password
        server.stop()
        server.start()
        time.sleep(0.5)
        assert "created the user 'admin'" not in server.log_path.read_text()[len(log):]
    finally:
        server.stop()
