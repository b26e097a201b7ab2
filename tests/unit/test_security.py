"""HTTP hardening (``web.security``) on the real app: headers on every answer, a CSP that lets
exactly Dash's inline scripts run, the same-origin check, body caps (Flask and waitress), no
tracebacks to clients."""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from flask import Flask

from app import create_app
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from tests.conftest import GEO_PATH
from web import security

try:  # the token functions' new home (the login work moves them there)
    from gridwatch.auth.tokens import create_token
except ImportError:  # pragma: no cover - before that move
    from gridwatch.ingest.auth import create_token

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
OWN = "http://localhost"  # what Flask's test client requests
FOREIGN = "https://evil.example"
BOOM = "a secret detail 4711"


@dataclass
class Site:
    app: object
    server: Flask
    settings: Settings
    token: str

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, cookie: bool = False):
        client = self.server.test_client()
        if cookie:
            client.set_cookie("gw_session", "not-a-live-session")
        return client


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory) -> Site:
    path = tmp_path_factory.mktemp("security") / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH)
    app = create_app(settings)
    security.install(app, settings)  # a no-op once create_app installs it itself
    server = app.server

    def boom():
        raise RuntimeError(BOOM)

    server.add_url_rule("/_test/boom", "test_boom", boom, methods=["GET", "POST"])
    server.add_url_rule("/_test/echo", "test_echo", lambda: "ok", methods=["POST"])
    _id, token = create_token(DataSource(settings).engine, "security-tests")
    return Site(app, server, settings, token)


def csp(response) -> dict[str, list[str]]:
    value = response.headers["Content-Security-Policy"]
    directives = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_hardened(response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy
    directives = csp(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'"
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]
    assert directives["font-src"] == ["'self'", "data:"]


def callback_request(site: Site) -> dict:
    """A real callback's request: the grid table's CSV button, as the renderer sends it."""
    deps = site.client().get("/_dash-dependencies", headers=site.bearer).json
    dep = next(d for d in deps if "grid-table.csvExportParams" in d["output"])
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs,
            "inputs": [{**i, "value": 1} for i in dep["inputs"]],
            "state": [{**s, "value": None} for s in dep["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]]}


# --- headers on every answer -------------------------------------------------------------------

def test_headers_on_a_page_an_asset_and_a_login_redirect(site):
    page = site.client().get("/", headers={**site.bearer, "Accept": "text/html"})
    assert page.status_code == 200 and b"_dash-renderer" in page.data
    assert_hardened(page)
    asset = site.client().get("/assets/style.css", headers=site.bearer)
    assert asset.status_code == 200
    assert_hardened(asset)
    suite = site.client().get("/_dash-dependencies", headers=site.bearer)
    assert_hardened(suite)
    anonymous = site.client().get("/data", headers={"Accept": "text/html"})
    assert anonymous.status_code in (200, 302, 303)  # a redirect to /login once logins are on
    assert_hardened(anonymous)


def test_headers_on_a_callback(site):
    response = site.client().post("/_dash-update-component", json=callback_request(site),
                                  headers={**site.bearer, "Origin": OWN})
    assert response.status_code == 200, response.data[:300]
    assert b"csvExportParams" in response.data
    assert_hardened(response)


def test_headers_on_api_errors_and_404s(site):
    response = site.client().get("/api/v1/no-such-thing", headers=site.bearer)
    assert response.status_code == 404 and "errors" in response.json
    assert_hardened(response)
    response = site.client().post("/healthz", headers={**site.bearer, "Origin": OWN})
    assert response.status_code == 405  # GET only
    assert_hardened(response)
    response = site.client().get("/assets/no-such-file.css", headers=site.bearer)
    assert response.status_code == 404
    assert_hardened(response)


def test_a_view_may_set_its_own_stricter_header(site):
    app = Flask(__name__)

    class Fake:  # the Dash surface install uses
        server = app

        @staticmethod
        def csp_hashes():
            return ["'sha256-abc'"]

    app.add_url_rule("/", "own", lambda: ("x", 200, {"Referrer-Policy": "no-referrer"}))
    security.install(Fake, site.settings)
    response = app.test_client().get("/")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert csp(response)["script-src"] == ["'self'", "'sha256-abc'"]


# --- the CSP lets Dash's own inline scripts run, and nothing else --------------------------------

class Scripts(HTMLParser):
    """Every <script> of a page: its attributes and text; and any inline event handler."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict, str]] = []
        self.handlers: list[str] = []
        self._open: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [f"{tag} {name}" for name in attrs if name.lower().startswith("on")]
        if tag == "script":
            self._open, self._text = attrs, []

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open, "".join(self._text)))
            self._open = None


EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}


def test_the_csp_hashes_are_those_of_the_index_pages_inline_scripts(site):
    page = site.client().get("/", headers={**site.bearer, "Accept": "text/html"})
    assert page.status_code == 200
    parser = Scripts()
    parser.feed(page.get_data(as_text=True))
    allowed = set(csp(page)["script-src"][1:])
    inline = [text for attrs, text in parser.scripts
              if "src" not in attrs
              and (attrs.get("type") or "").strip().lower() in EXECUTABLE_TYPES]
    assert inline, "Dash's index page has at least the DashRenderer line"
    for text in inline:
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, text[:200]
    # Every other script is a file of this server ('self'), and no element has onclick=...
    for attrs, _text in parser.scripts:
        if "src" in attrs:
            assert attrs["src"].startswith("/") and not attrs["src"].startswith("//")
    assert parser.handlers == []
    # JSON data (Dash's config) is never executed, so it needs no hash.
    assert any(attrs.get("type") == "application/json" for attrs, _ in parser.scripts)


def test_a_base_map_origin_is_allowed_for_images():
    tiles = Settings(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png")
    img = security._directives(tiles)["img-src"]
    assert img == ["'self'", "data:", "blob:", "https://*.tile.example.org"]
    assert security._tile_source("http://tiles.local:8080/{z}/{x}/{y}.png") == \
        "http://tiles.local:8080"
    assert security._tile_source("/tiles/{z}/{x}/{y}.png") is None
    assert security._tile_source("https://a.{s}.example.org/{z}.png") == "https:"


# --- the same-origin check ------------------------------------------------------------------

def refused_as_cross_site(response) -> bool:
    return response.status_code == 403 and b"cross-site" in response.data


@pytest.mark.parametrize("headers", [
    {"Origin": FOREIGN},
    {"Origin": "null"},
    {"Origin": "http://localhost:8080"},  # another port is another origin
    {"Referer": f"{FOREIGN}/page"},
    {},  # a cookie, and nothing saying where the request comes from
])
def test_a_cookie_from_another_site_is_refused(site, headers):
    for path in ("/_test/echo", "/_dash-update-component", "/login", "/api/v1/risk-assessments"):
        response = site.client(cookie=True).post(path, headers=headers, json={})
        assert refused_as_cross_site(response), (path, response.status_code)
    response = site.client(cookie=True).post("/_dash-update-component", headers=headers, json={})
    assert "Origin" in response.json["errors"][0]["field"]
    page = site.client(cookie=True).post("/login", headers=headers, data={})
    assert page.mimetype == "text/plain"


@pytest.mark.parametrize("headers", [
    {"Origin": OWN},
    {"Origin": "http://LOCALHOST:80"},
    {"Referer": f"{OWN}/data?lang=en"},
])
def test_a_cookie_from_this_site_passes(site, headers):
    response = site.client(cookie=True).post("/_test/echo", headers=headers)
    assert not refused_as_cross_site(response)
    assert response.status_code != 403  # 401 (no live session) once logins are on, else 200


def test_a_bearer_token_without_a_cookie_is_not_checked(site):
    for headers in ({}, {"Origin": FOREIGN}):
        response = site.client().post("/_test/echo", headers={**site.bearer, **headers})
        assert response.status_code == 200, response.data
    # ... but a cookie beside the token is.
    response = site.client(cookie=True).post("/_test/echo",
                                             headers={**site.bearer, "Origin": FOREIGN})
    assert refused_as_cross_site(response)


def test_without_cookie_or_token_only_a_foreign_browser_origin_is_refused(site):
    # A login form posted from another site ("login CSRF") ...
    assert refused_as_cross_site(site.client().post("/login", headers={"Origin": FOREIGN}))
    # ... while a script without an Origin (curl) is left to the login and API checks.
    assert not refused_as_cross_site(site.client().post("/login", data={}))


def test_reads_are_not_checked(site):
    response = site.client(cookie=True).get("/healthz", headers={"Origin": FOREIGN})
    assert response.status_code == 200


# --- body caps ------------------------------------------------------------------------------

def post_length(site: Site, path: str, length: int, **headers):
    """A POST announcing ``length`` bytes but sending none: a 413 must not need the body."""
    return site.client().post(path, headers={**site.bearer, "Origin": OWN, **headers},
                              content_type="application/json", data=b"",
                              environ_overrides={"CONTENT_LENGTH": str(length)})


def test_a_body_over_the_cap_is_refused_from_its_length(site):
    cap = site.settings.max_request_bytes
    mib = f"{cap // (1024 * 1024)} MiB"
    response = post_length(site, "/_dash-update-component", cap + 1)
    assert response.status_code == 413
    assert mib in response.json["errors"][0]["reason"]
    assert_hardened(response)
    response = post_length(site, "/_test/echo", cap + 1)
    assert response.status_code == 413 and response.mimetype == "text/plain"
    assert mib.encode() in response.data
    response = post_length(site, "/api/v1/risk-assessments", cap + 1)
    assert response.status_code == 413 and mib in response.json["errors"][0]["reason"]
    assert post_length(site, "/_test/echo", 0).status_code == 200


def test_the_upload_route_has_the_larger_cap(site):
    assert "/upload/boundaries" in security.LARGE_BODY_PATHS
    over_small = site.settings.max_request_bytes + 1
    response = post_length(site, "/upload/boundaries", over_small)
    assert response.status_code != 413  # whatever the route says (404 until it exists)
    response = post_length(site, "/upload/boundaries", site.settings.max_upload_bytes + 1)
    assert response.status_code == 413 and b"100 MiB" in response.data


# --- no tracebacks --------------------------------------------------------------------------

def test_an_unexpected_error_answers_an_error_id_and_logs_the_traceback(site, caplog):
    with caplog.at_level(logging.ERROR, logger="web.security"):
        page = site.client().get("/_test/boom", headers=site.bearer)
    assert page.status_code == 500
    assert_hardened(page)
    text = page.get_data(as_text=True)
    assert BOOM not in text and "Traceback" not in text and "RuntimeError" not in text
    error_id = page.headers["X-Error-Id"]
    assert error_id in text
    record = next(r for r in caplog.records if error_id in r.getMessage())
    assert record.exc_info and str(record.exc_info[1]) == BOOM


def test_a_failing_callback_shows_no_traceback(site, monkeypatch):
    # The CSV button's callback, made to fail: Dash's dispatch lets the exception through to Flask.
    body = callback_request(site)

    def broken(*_args, **_kwargs):
        raise RuntimeError(BOOM)

    monkeypatch.setattr(site.app, "_execute_callback", broken)
    response = site.client().post("/_dash-update-component", json=body,
                                  headers={**site.bearer, "Origin": OWN})
    assert response.status_code == 500
    assert BOOM not in response.get_data(as_text=True)
    assert response.json["errors"][0]["reason"].startswith("internal error (error id ")


# --- cookies, idempotence, waitress ---------------------------------------------------------

def test_cookie_options_follow_the_settings():
    assert security.cookie_options(Settings()) == {
        "httponly": True, "samesite": "Lax", "secure": False, "path": "/"}
    assert security.cookie_options(Settings(cookie_secure=True))["secure"] is True


def test_install_twice_installs_once(site):
    before = list(site.server.before_request_funcs[None])
    after = list(site.server.after_request_funcs[None])
    security.install(site.app, site.settings)
    assert site.server.before_request_funcs[None] == before
    assert site.server.after_request_funcs[None] == after
    assert site.server.config["MAX_CONTENT_LENGTH"] == site.settings.max_request_bytes


@pytest.fixture
def waitress_server(site):
    from waitress import create_server

    options = security.waitress_options(site.settings)
    server = create_server(site.server, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.close()
    thread.join(5)


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_waitress_refuses_a_body_over_the_largest_cap_before_reading_it(site, waitress_server):
    largest = max(site.settings.max_request_bytes, site.settings.max_upload_bytes)
    assert security.waitress_options(site.settings)["max_request_body_size"] == largest + 1
    head = (f"POST /upload/boundaries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {largest + 1}\r\n"
            f"\r\n").encode()
    started = time.monotonic()
    answer = raw_request(waitress_server.effective_port, head)  # and no body at all
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 2


def test_below_waitress_the_route_cap_answers(site, waitress_server):
    cap = site.settings.max_request_bytes
    head = (f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {site.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {cap + 1}\r\nConnection: close\r\n\r\n").encode()
    answer = raw_request(waitress_server.effective_port, head, b" " * (cap + 1))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Content-Security-Policy:" in answer and b"Server: gridwatch" in answer


def test_a_chunked_body_over_the_cap_is_refused(site, waitress_server):
    # Waitress de-chunks the body and then gives its length to the app, which refuses it.
    cap = site.settings.max_request_bytes
    data = b" " * (cap + 10)
    head = (f"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {site.token}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    answer = raw_request(waitress_server.effective_port, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
