"""The deploy steps (issue 10): ``init-store`` twice and at once, a server that refuses a store
it may not migrate, gunicorn with several workers on one store, and secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "data" / "geo" / "kaihua.gpkg"
PYTHON = sys.executable
GUNICORN = Path(sys.executable).with_name("gunicorn")
GRID = "33082400100101"
NOT_READY = "python -m gridwatch init-store"


def _env(url: str, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("GRIDWATCH_") and key not in ("DATABASE_URL", "WORKERS")}
    return {**env, "PYTHONPATH": str(ROOT), "GRIDWATCH_DATABASE_URL": url,
            "GRIDWATCH_SEED_DEMO": "false", "GRIDWATCH_GEO_PATH": str(GEO), **extra}


def _init_store(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", "gridwatch", "init-store", *args], cwd=ROOT,
                            env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process we started (by its PID), then SIGKILL if it lingers."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server ended with exit code {proc.returncode}")
        try:
            if _get(f"{base}/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"no answer from {base}/healthz in {seconds} s")


def _figures(url: str) -> subprocess.CompletedProcess:
    """``python -m gridwatch figures`` on ``url``: any command on a store, as a user runs it."""
    return subprocess.run([PYTHON, "-m", "gridwatch", "figures"], cwd=ROOT, env=_env(url),
                          capture_output=True, text=True, timeout=120, check=False)


def _store_behind(stores) -> str:
    """A seeded store that says it was made by older code (schema revision 0003)."""
    from sqlalchemy import create_engine, text

    url = stores.seeded("behind")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    engine.dispose()
    return url


# --- init-store ---------------------------------------------------------------------------------

@pytest.mark.stores
def test_init_store_twice_and_concurrently_on_an_empty_store(stores):
    url = stores.empty("init_twice")
    first, second = _init_store(url), _init_store(url)  # at once, on a store not there yet
    results = [_finish(first), _finish(second)]
    for code, out, err in results:
        assert code == 0, err
        assert "store ready at" in out and "Traceback" not in err
    outs = [out for _code, out, _err in results]
    assert sum("migrated the schema" in out for out in outs) == 1, outs
    assert sum("schema already current" in out for out in outs) == 1, outs
    # The first admin is made once, its password printed once (to standard error).
    errs = [err for _code, _out, err in results]
    assert sum("created the user 'admin'" in err for err in errs) == 1, errs
    assert sum("created the first admin" in out for out in outs) == 1

    code, out, err = _finish(_init_store(url))  # and again, later: nothing to do
    assert code == 0 and "schema already current" in out and "admin" not in err
    assert "seeded" not in out  # not the embedded default, not asked: no demo history

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_init_store_prints_the_database_url_without_its_password():
    from gridwatch.store.db import safe_url

    assert safe_url("postgresql+psycopg://gw:s3cret@db.example:5432/gw") == \
        "postgresql+psycopg://gw:***@db.example:5432/gw"
    assert "s3cret" not in safe_url("postgresql://gw:s3cret@db/gw")


# --- commands on a store that init-store has not prepared ---------------------------------------

@pytest.mark.stores
def test_a_command_on_another_store_says_init_store_must_run_first(stores):
    url = stores.empty("not_ready")
    figures = _figures(url)
    assert figures.returncode == 2, figures.stderr
    assert NOT_READY in figures.stderr and "no schema yet" in figures.stderr
    assert "Traceback" not in figures.stderr

    code, _out, err = _finish(_init_store(url))
    assert code == 0, err
    figures = _figures(url)
    assert figures.returncode == 0, figures.stderr


@pytest.mark.stores
def test_a_store_behind_the_code_is_refused_with_the_revisions_named(stores):
    from gridwatch.service import DataSource, StoreNotReady
    from gridwatch.settings import Settings

    url = _store_behind(stores)
    source = DataSource(Settings(database_url=url, geo_path=GEO))
    with pytest.raises(StoreNotReady, match=re.escape(NOT_READY)) as err:
        source.open()
    assert "0003" in str(err.value)


@pytest.mark.stores
def test_a_server_refuses_a_store_before_init_store_and_starts_after(stores):
    url = stores.empty("refused")
    port = _free_port()
    refused = subprocess.run([PYTHON, "app.py", "--port", str(port)], cwd=ROOT, env=_env(url),
                             capture_output=True, text=True, timeout=120, check=False)
    assert refused.returncode == 2, refused.stderr
    assert NOT_READY in refused.stderr and "no schema yet" in refused.stderr
    assert "Traceback" not in refused.stderr

    # Every command says the same instead of a traceback (and does not migrate either).
    figures = _figures(url)
    assert figures.returncode == 2 and NOT_READY in figures.stderr
    assert "Traceback" not in figures.stderr

    code, _out, err = _finish(_init_store(url))
    assert code == 0, err
    server = subprocess.Popen([PYTHON, "app.py", "--port", str(port)], cwd=ROOT, env=_env(url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
    finally:
        _stop(server)
        server.stderr.close()


@pytest.mark.stores
def test_create_app_checks_the_schema_revision_of_a_non_default_store(stores):
    from app import create_app
    from gridwatch.service import StoreNotReady
    from gridwatch.settings import Settings

    url = _store_behind(stores)
    settings = Settings(database_url=url, geo_path=GEO)
    with pytest.raises(StoreNotReady, match=re.escape(NOT_READY)) as err:
        create_app(settings)
    assert "0003" in str(err.value)


def test_only_the_embedded_default_store_counts_as_embedded(tmp_path):
    from gridwatch.service import is_embedded_default
    from gridwatch.settings import REPO_ROOT, Settings

    assert is_embedded_default(Settings())
    relative = os.path.relpath(REPO_ROOT / "instance" / "gridwatch.sqlite")
    assert is_embedded_default(Settings(database_url=f"sqlite:///{relative}"))
    assert not is_embedded_default(Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite'}"))
    assert not is_embedded_default(Settings(database_url="postgresql://gw:pw@localhost/gw"))


# --- secrets in logs ----------------------------------------------------------------------------

def test_log_lines_never_carry_a_database_password_or_a_token():
    from gridwatch.logs import SecretMaskingFilter, mask_secrets

    token = "gw_" + "A1b2C3d4" * 5
    kiosk = "gwk_" + "z9Y8x7W6" * 5
    line = (f"connect postgresql://gw:hunter2@db:5432/gw with {token} and {kiosk}; "
            "Authorization: Bearer whatever.secret")
    masked = mask_secrets(line)
    for secret in ("hunter2", token, kiosk, "whatever.secret"):
        assert secret not in masked
    assert "postgresql://gw:***@db:5432/gw" in masked and "gw_***" in masked

    record = logging.LogRecord("gridwatch.x", logging.INFO, __file__, 1,
                               "store at %s", ("postgresql://u:pw123@h/d",), None)
    assert SecretMaskingFilter().filter(record)
    assert record.getMessage() == "store at postgresql://u:***@h/d"
    assert mask_secrets("sqlite:////tmp/x.sqlite") == "sqlite:////tmp/x.sqlite"


def test_the_masking_filter_covers_child_loggers_once_installed(capsys):
    from gridwatch.logs import SecretMaskingFilter, install_masking

    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    root.addHandler(handler)
    try:
        install_masking()
        logging.getLogger("gridwatch.deploy-test").warning(
            "token %s", "gw_" + "Q" * 43)
    finally:
        root.removeHandler(handler)
        for f in list(root.filters):
            if isinstance(f, SecretMaskingFilter):
                root.removeFilter(f)
    err = capsys.readouterr().err
    assert "gw_***" in err and "Q" * 43 not in err


# --- gunicorn, several workers ------------------------------------------------------------------

def _wait(predicate, message: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the page is still loading
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out: {message}")


def _risk_batch(colour: str, at: str) -> bytes:
    return json.dumps({"items": [{"grid_code": GRID, "colour": colour, "observed_at": at,
                                  "source": "deploy-test"}]}).encode()


def _post(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201)
        return json.loads(response.read())


def _from_every_worker(base: str, auth: dict, log_path: Path, workers: set[str]) -> list:
    """``(colour, version)`` pairs read until every worker has answered since now (the access
    log names each request's worker); 30 at a time over new connections, at most 900."""
    offset = len(log_path.read_text())

    def one(_i):
        grid = _get(f"{base}/api/v1/grids/{GRID}", auth)
        health = _get(f"{base}/healthz")
        assert grid[0] == 200 and health[0] == 200, (grid, health)
        return json.loads(grid[1])["colour"], json.loads(health[1])["data_version"]

    seen: list = []
    with ThreadPoolExecutor(10) as pool:
        while len(seen) < 900:
            seen += pool.map(one, range(30))
            served = set(re.findall(r"pid=<?(\d+)>", log_path.read_text()[offset:]))
            if served >= workers:
                break
    assert served == workers, f"answered by {served}, workers {workers}"
    return seen


@pytest.mark.stores
def test_gunicorn_with_three_workers_serves_one_store(stores, tmp_path):
    """On a store just made by init-store (SQLite, and PostgreSQL in its lane): every worker
    answers the same colour and version after each write, and a wall served by the workers
    shows the write by itself."""
    url = stores.empty("gunicorn")
    code, _out, err = _finish(_init_store(url))
    assert code == 0, err

    from gridwatch.auth.sessions import create_kiosk
    from gridwatch.auth.tokens import create_token
    from gridwatch.store.db import make_engine

    engine = make_engine(url)
    _id, token = create_token(engine, "deploy-test", "admin")
    _kiosk, secret = create_kiosk(engine, "deploy-wall")
    engine.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log_file:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:server"], cwd=ROOT,
            env=_env(url, WORKERS="3", HOST="127.0.0.1", PORT=str(port), ACCESS_LOG="-"),
            stdout=log_file, stderr=subprocess.STDOUT)
    driver = None
    try:
        _wait_until_up(base, server, seconds=180)
        # Let all three workers finish booting (each builds its own app after the fork).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and log_path.read_text().count("Booting worker") < 3:
            time.sleep(0.3)
        time.sleep(3)
        workers = set(re.findall(r"Booting worker with pid: (\d+)", log_path.read_text()))
        assert len(workers) == 3

        auth = {"Authorization": f"Bearer {token}"}
        written = _post(f"{base}/api/v1/risk-assessments",
                        _risk_batch("orange", "2020-02-29T20:00:00+08:00"), auth)
        assert written["applied"] == 1
        seen = _from_every_worker(base, auth, log_path, workers)
        assert {colour for colour, _version in seen} == {"orange"}
        versions = {version for _colour, version in seen}
        assert len(versions) == 1
        assert versions.pop().partition("-")[0] == str(written["data_version"])

        # The wall, served by these workers, shows the next write by itself.
        from gridwatch.settings import DEFAULT_PALETTE
        from tests.browser.driver import make_driver
        from tests.browser.test_wall import grid_colour_on_wall

        driver = make_driver(1920, 1080)
        driver.get(f"{base}/kiosk/{secret}")
        assert driver.current_url.endswith("/wall")
        orange, red = DEFAULT_PALETTE["orange"], DEFAULT_PALETTE["red"]
        _wait(lambda: grid_colour_on_wall(driver, GRID) == orange, "the wall shows orange")
        written = _post(f"{base}/api/v1/risk-assessments",
                        _risk_batch("red", "2020-02-29T21:00:00+08:00"), auth)
        assert written["applied"] == 1
        _wait(lambda: grid_colour_on_wall(driver, GRID) == red, "the wall shows the write")
        seen = _from_every_worker(base, auth, log_path, workers)
        assert {colour for colour, _version in seen} == {"red"}
        assert {version.partition("-")[0] for _colour, version in seen} == \
            {str(written["data_version"])}
    finally:
        if driver is not None:
            driver.quit()
        _stop(server)
    text_log = log_path.read_text()
    assert "Traceback" not in text_log, text_log[-3000:]
    assert token not in text_log
