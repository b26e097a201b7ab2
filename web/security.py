"""HTTP hardening for the whole server: security headers, a same-origin check, body caps,
no tracebacks to clients, cookie flags, and the options waitress is started with.

``install(app, settings)`` (called once by ``create_app``; a second call does nothing) adds to
``app.server``:

- **Headers on every response** (Dash pages and endpoints, assets, the API, errors, 404s): a
  Content-Security-Policy, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  same-origin``, ``X-Frame-Options: DENY``, a ``Permissions-Policy`` refusing camera,
  microphone, geolocation, payment and USB, and ``Cross-Origin-Opener-Policy: same-origin``.
  A view that sets one of them itself keeps its own value (``/kiosk`` sends ``no-referrer``).
- **A same-origin check** on POST, PUT, PATCH and DELETE requests that carry a cookie: their
  ``Origin`` (or, when absent, ``Referer``) must be this server's own ``scheme://host[:port]``,
  else 403 (a cookie with neither header is refused too). A request with
  ``Authorization: Bearer`` and no cookie (an API client) is not checked; one with neither
  is refused only when a browser says it comes from another site (a foreign ``Origin``: a
  login form posted from elsewhere). Behind a reverse proxy, the proxy must pass the
  original ``Host`` (and waitress trust its ``X-Forwarded-Proto``) for the comparison.
- **Body caps**: ``settings.max_request_bytes`` for every route (Flask ``MAX_CONTENT_LENGTH``),
  ``settings.max_upload_bytes`` for the paths in ``LARGE_BODY_PATHS``; a ``Content-Length``
  over the cap is answered 413 before anything reads the body, a chunked body is cut off
  while it is read. Waitress refuses anything over the larger cap itself
  (``waitress_options``), before reading it.
- **No tracebacks**: an unexpected exception anywhere is answered with a generic 500 carrying
  an error id; the id is logged with the traceback. (The ``/api/v1`` blueprint keeps its own
  JSON handlers. ``python app.py --debug`` runs Dash's dev tools, which show tracebacks on
  purpose: never expose a debug server.)

The Content-Security-Policy
---------------------------
::

    default-src 'self'; script-src 'self' 'sha256-…'; style-src 'self' 'unsafe-inline';
    img-src 'self' data: blob: [tile origin]; connect-src 'self'; font-src 'self' data:;
    object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'

- ``script-src``: only files from this server, plus the SHA-256 of each inline script of
  Dash's index page (``Dash.csp_hashes()``: the ``new DashRenderer(...)`` line, and any
  inline clientside callbacks). Dash collects inline scripts while callbacks are registered,
  so the hashes are taken from the app as it serves, not when ``install`` runs.
- No ``'unsafe-eval'``. Of the bundles this app runs (Dash 4.4 renderer, dcc, html,
  dash_table, dash-ag-grid 35, dash-leaflet 1.1, plotly.js 4.1 as shipped with plotly.py),
  string evaluation is only reached by features the app does not use: plotly.js's WebGL
  traces (``scattergl``, ``scatterpolargl``, ``splom``, ``parcoords``) compile their shaders'
  code with ``Function.apply`` (regl); AG Grid evaluates *string* ``valueGetter`` /
  ``valueFormatter`` expressions with ``new Function`` (dash-ag-grid's ``{"function": ...}``
  props go through its own parser, not eval); dcc's MathJax (``mathjax=True``) and
  dash-extensions' Lottie use ``eval``. The other hits are fallbacks modern browsers never
  run (webpack's ``new Function("return this")`` after ``globalThis``, polyfills of
  ``Function.prototype.bind``). A WebGL trace would need plotly's strict bundle
  (``plotly.js-strict-dist-min`` of the same version, in ``assets/``: ``dcc.Graph`` uses
  ``window.Plotly`` when it is already there) rather than ``'unsafe-eval'``; the browser
  tests count CSP violations as errors, so such a change shows up there.
- ``style-src 'unsafe-inline'``: plotly.js, AG Grid (its theming API) and Leaflet inject
  ``<style>`` elements and style attributes at run time; plotly has no nonce option, so
  hashes or nonces cannot cover them. Inline *styles* cannot run code; scripts stay strict.
- ``img-src data: blob:``: plotly and Leaflet draw icons and markers from ``data:`` URLs;
  plotly's "download plot as PNG" goes through a ``blob:``/``data:`` image. When a base map
  is configured (``settings.tile_url``) its origin is allowed too (``{s}`` subdomains as
  ``*.``).
- ``font-src data:``: fonts embedded in style sheets as ``data:`` URLs.
- ``connect-src 'self'``: callbacks, GeoJSON layers and exports all come from this server.
- ``object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'``: no
  plugins, no ``<base>`` hijack, forms (``/login``) post here only, and no framing
  (clickjacking; ``X-Frame-Options: DENY`` says the same to older browsers).
"""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from gridwatch.logs import REQUEST_ID

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")

EXTENSION = "gridwatch.security"

LARGE_BODY_PATHS: set[str] = {"/upload/boundaries"}
"""Paths (and everything below them) that may receive ``settings.max_upload_bytes``; every
other route is capped at ``settings.max_request_bytes``. Add a path here (before the first
request) for another upload route."""

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

MiB = 1024 * 1024
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PLACEHOLDER_LABEL = re.compile(r"^\{[^}]*\}$")


def cookie_options(settings) -> dict:
    """Keyword arguments for ``Response.set_cookie`` of a session cookie."""
    return {"httponly": True, "samesite": "Lax", "secure": bool(settings.cookie_secure),
            "path": "/"}


def waitress_options(settings) -> dict:
    """Keyword arguments for ``waitress.serve`` / ``waitress.create_server`` (besides the
    application, ``host`` and ``port``)."""
    return {
        # Waitress answers 413 from the Content-Length header (or while counting a chunked
        # body) before reading the body; it refuses a body *equal* to the limit, so +1 lets
        # exactly the cap through and Flask's per-route caps decide below it.
        "max_request_body_size": largest_body(settings) + 1,
        "max_request_header_size": 64 * 1024,  # cookies and a long query fit easily
        "channel_timeout": 60,  # seconds a connection may sit idle (slow clients, keep-alive)
        # open connections at once: a browser keeps up to 6 (80 browsers); idle ones close
        # after channel_timeout. Beyond it waitress stops accepting and browsers time out.
        "connection_limit": 500,
        "cleanup_interval": 15,
        "threads": 8,  # a fixed pool: a wall runs for days
        "backlog": 256,
        "asyncore_use_poll": True,  # poll(), not select(): no 1024 file descriptor ceiling
        # No proxy is trusted: X-Forwarded-* headers are dropped, never believed. Behind a
        # reverse proxy, add trusted_proxy=<its address> and trusted_proxy_headers.
        "trusted_proxy": None,
        "clear_untrusted_proxy_headers": True,
        "expose_tracebacks": False,
        "ident": "gridwatch",
    }


def largest_body(settings) -> int:
    return max(settings.max_request_bytes, settings.max_upload_bytes)


def body_cap(settings, path: str) -> int:
    """The largest body (bytes) accepted on ``path``."""
    for large in LARGE_BODY_PATHS:
        if path == large or path.startswith(large.rstrip("/") + "/"):
            return settings.max_upload_bytes
    return settings.max_request_bytes


def install(app, settings) -> None:
    """Harden ``app.server`` (a Dash app's Flask server) for ``settings``; once per server."""
    server: Flask = app.server
    if server.extensions.get(EXTENSION):
        return
    server.extensions[EXTENSION] = True
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    policy = _Policy(app, settings)

    def check_request():
        """The request's ID, the body cap and the same-origin check, before any other work
        on the request."""
        g.gridwatch_request_id = request_id(request.headers.get("X-Request-Id"))
        g.gridwatch_request_token = REQUEST_ID.set(g.gridwatch_request_id)
        cap = body_cap(settings, request.path)
        if cap != settings.max_request_bytes:
            request.max_content_length = cap
        if request.content_length is not None and request.content_length > cap:
            abort(413)
        if request.method in STATE_CHANGING:
            refusal = _cross_site()
            if refusal:
                log.warning("refused %s %s: %s", request.method, request.path, refusal)
                return _answer(403, f"cross-site request refused: {refusal}", "Origin")
        return None

    # First in line: a refusal costs no session lookup, no Dash set-up, no body read.
    server.before_request_funcs.setdefault(None, []).insert(0, check_request)

    def add_headers(response: Response) -> Response:
        headers = response.headers
        if "gridwatch_request_id" in g:
            headers["X-Request-Id"] = g.gridwatch_request_id
        headers.setdefault("Content-Security-Policy", policy.header())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

    server.after_request(add_headers)

    def forget_request_id(_exc=None) -> None:
        token = g.pop("gridwatch_request_token", None)
        if token is not None:
            REQUEST_ID.reset(token)

    server.teardown_request(forget_request_id)

    def too_large(_exc):
        cap = request.max_content_length or settings.max_request_bytes
        return _answer(413, f"the request body is larger than this server accepts here "
                            f"({_size(cap)})")

    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException) and not (
                isinstance(exc, InternalServerError) and exc.original_exception is not None):
            return exc  # 404, 405, ...: their own (traceback-free) answer
        original = getattr(exc, "original_exception", None) or exc
        error_id = g.get("gridwatch_request_id") or uuid.uuid4().hex[:16]
        log.error("unexpected failure %s answering %s %s", error_id, request.method,
                  request.path, exc_info=original)
        response = _answer(500, f"internal error (error id {error_id}); it has been logged")
        response.headers["X-Error-Id"] = error_id
        return response

    server.register_error_handler(413, too_large)
    server.register_error_handler(Exception, unexpected)


def request_id(given: str | None) -> str:
    """The request's ID: a proxy's ``X-Request-Id`` when it is short and plain, else a new one
    (16 hex digits). It names the request in every log line and in the answer's header."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex[:16]


class _Policy:
    """The Content-Security-Policy header, with the hashes of the app's inline scripts."""

    def __init__(self, app, settings) -> None:
        self.app = app
        self.static = _directives(settings)
        self._hashes: tuple[str, ...] | None = None
        self._value = ""

    def header(self) -> str:
        # Dash gathers inline scripts as callbacks are registered and hashes them cheaply:
        # asked on every response, the policy always matches the page being served.
        hashes = tuple(self.app.csp_hashes())
        if hashes != self._hashes:
            directives = dict(self.static)
            directives["script-src"] = ["'self'", *hashes]
            self._value = "; ".join(f"{name} {' '.join(values)}"
                                    for name, values in directives.items())
            self._hashes = hashes
        return self._value


def _directives(settings) -> dict[str, list[str]]:
    img = ["'self'", "data:", "blob:"]
    tiles = _tile_source(getattr(settings, "tile_url", ""))
    if tiles:
        img.append(tiles)
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # see the module docstring
        "img-src": img,
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def _tile_source(url: str) -> str | None:
    """The CSP source of a base map's tile URL template (None: same site, or none)."""
    if not url or "://" not in url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if any(_PLACEHOLDER_LABEL.match(label) for label in labels[1:]) or not labels[0]:
        return f"{parts.scheme}:"  # a placeholder CSP cannot express: the scheme alone
    if _PLACEHOLDER_LABEL.match(labels[0]):
        labels[0] = "*"
    port = "" if not port or _PLACEHOLDER_LABEL.match(port) else f":{port}"
    return f"{parts.scheme}://{'.'.join(labels)}{port}"


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower case, without the scheme's default port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if port is not None and str(port) != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def _cross_site() -> str | None:
    """Why the current state-changing request is refused as cross-site (None: it is not).

    With a cookie, the request must show it comes from this site's pages (Origin, else
    Referer). Without one there are no ambient credentials to abuse: only a browser's
    foreign ``Origin`` is refused (a login form posted from another site, "login CSRF"),
    unless the request authenticates itself with a bearer token (an API client).
    """
    own = _origin_of(f"{request.scheme}://{request.host}")
    origin = request.headers.get("Origin")
    if not request.headers.get("Cookie"):
        bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
        if bearer or origin is None or (own is not None and _origin_of(origin) == own):
            return None
        return f"Origin {origin[:100]!r} is not {own}"
    if origin is not None:
        if own is None or _origin_of(origin) != own:
            return f"Origin {origin[:100]!r} is not {own}"
        return None
    referer = request.headers.get("Referer")
    if referer:
        if own is None or _origin_of(referer) != own:
            return f"Referer from {(_origin_of(referer) or 'elsewhere')!r} is not {own}"
        return None
    return "a request with a cookie needs an Origin or Referer header"


def _wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.startswith("/_dash-")


def _answer(status: int, reason: str, field: str | None = None) -> Response:
    """A short refusal: JSON in the API's error shape for the API and Dash's endpoints, plain
    text elsewhere."""
    if _wants_json():
        response = jsonify({"errors": [{"row": None, "field": field, "reason": reason}]})
    else:
        response = Response(reason + "\n", mimetype="text/plain")
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _size(n: int) -> str:
    if n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    return f"{n // 1024} KiB"
