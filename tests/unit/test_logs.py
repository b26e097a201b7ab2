"""Structured logs: JSON lines with the request's ID, secrets masked; the ID in the answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from gridwatch.settings import Settings
from tests.conftest import GEO_PATH

ROOT = Path(__file__).resolve().parents[2]

# A child process: JSON logging configured as wsgi.py does, one refused cross-site write (a
# warning naming the request) and a log line carrying a database password and a token.
CHILD = """
import logging, sys
from gridwatch.logs import configure_logging
configure_logging("json")
from app import create_app
from gridwatch.settings import Settings
app = create_app(Settings(database_url=sys.argv[1], geo_path=sys.argv[2]))
client = app.server.test_client()
answer = client.post("/api/v1/risk-assessments", json={}, headers={
    "Origin": "http://evil.example", "Cookie": "gw_session=x", "X-Request-Id": "proxy-42"})
print(answer.status_code, answer.headers.get("X-Request-Id"), flush=True)
logging.getLogger("gridwatch.test").error(
    "cannot reach postgresql+psycopg://gw:s3cret@db/gw with Bearer gw_abcdefghijklmnop")
"""


@pytest.fixture(scope="module")
def child_lines(stores, tmp_path_factory) -> tuple[str, list[dict]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDWATCH_")}
    done = subprocess.run([sys.executable, "-c", CHILD, stores.seeded("logs"), str(GEO_PATH)],
                          cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return done.stdout, [json.loads(line) for line in lines]  # every line is JSON


def test_json_log_lines_carry_time_level_logger_pid_and_message(child_lines):
    _out, lines = child_lines
    assert lines
    for entry in lines:
        assert {"time", "level", "logger", "pid", "message"} <= set(entry)
        assert entry["time"].endswith("+00:00")


def test_a_request_is_named_by_its_id_in_the_log_and_in_the_answer(child_lines):
    out, lines = child_lines
    assert out.split() == ["403", "proxy-42"]
    refused = [e for e in lines if "cross-site request" in e["message"]
               or "refused POST" in e["message"]]
    assert refused and refused[0]["request_id"] == "proxy-42"
    # Outside a request, no ID.
    assert "request_id" not in next(e for e in lines if e["logger"] == "gridwatch.test")


def test_json_lines_mask_passwords_and_tokens(child_lines):
    _out, lines = child_lines
    text = json.dumps(lines)
    assert "s3cret" not in text and "abcdefghijklmnop" not in text
    line = next(e for e in lines if e["logger"] == "gridwatch.test")
    assert "gw:***@db" in line["message"] and "Bearer ***" in line["message"]


@pytest.fixture(scope="module")
def client(stores):
    return create_app(Settings(database_url=stores.seeded("request_ids"),
                               geo_path=GEO_PATH)).server.test_client()


def test_every_answer_names_its_request(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2 and all(len(i) == 16 for i in ids)


@pytest.mark.parametrize("given", ["", "x" * 65, "a b", "id;Set-Cookie: x=1", "<script>"])
def test_an_odd_request_id_from_outside_is_replaced(client, given):
    answer = client.get("/healthz", headers={"X-Request-Id": given})
    assert answer.headers["X-Request-Id"] != given
    assert len(answer.headers["X-Request-Id"]) == 16


def test_an_unknown_log_format_is_a_settings_error():
    from gridwatch.settings import SettingsError

    with pytest.raises(SettingsError, match="GRIDWATCH_LOG_FORMAT"):
        Settings.from_env({"GRIDWATCH_LOG_FORMAT": "xml"})


def test_the_json_formatter_masks_by_itself():
    """gunicorn's master formats its lines without the masking filter."""
    import logging

    from gridwatch.logs import JsonFormatter

    try:
        raise RuntimeError("connect postgresql://gw:s3cret@db/gw failed")
    except RuntimeError:
        import sys

        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                   "token gw_abcdefghijklmnop", None, sys.exc_info())
    line = JsonFormatter().format(record)
    assert "s3cret" not in line and "abcdefghijklmnop" not in line
    assert "gw:***@db" in json.loads(line)["exception"]
