"""Who is asking, on every request: the guard, login and logout, kiosk links, the live signal.

``guard`` runs before every request of the server (Flask routes *and* Dash's endpoints, whose
callbacks are HTTP endpoints too) and puts the caller in ``flask.g.principal``: from an
``Authorization: Bearer`` token, else from the session cookie, else anonymous. Only
``PUBLIC_ENDPOINTS`` and ``PUBLIC_PATHS`` answer without a session; everything else answers
401 (API, callbacks, data) or redirects to ``/login`` (pages). What a principal may then do is
``gridwatch.auth.policy``'s question, asked by each route and callback on the server; nothing
the browser sends about roles is ever read.

- ``/login``: a plain HTML form (works without JavaScript), ``username`` and ``password``,
  then a redirect to ``next`` (a path on this site only). ``/logout`` ends the session.
- ``/account``: a user changes their own password.
- ``/kiosk/<secret>``: a wall display's link; the secret is exchanged for an HttpOnly
  session cookie and the browser redirected to ``/wall``, so the secret does not stay in the
  address bar or the access log of later requests.
- ``/live``: the wall's live signal (version, freshness) for a signed-in wall; ``/healthz``
  says only that the service is up, for load balancers.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, request

from gridwatch.auth.accounts import AccountError, change_own_password, log_in
from gridwatch.auth.policy import ANONYMOUS, Principal, allows
from gridwatch.auth.sessions import (
    Lifetimes,
    end_session,
    exchange_kiosk_secret,
    resolve,
    start_session,
)
from gridwatch.auth.tokens import authenticate
from gridwatch.i18n import normalise_language, t
from web.context import data_source
from web.html import field as _field
from web.html import page as _page

blueprint = Blueprint("auth", __name__)

COOKIE = "gw_session"
KIOSK_COOKIE = "gw_kiosk"
"""A readable (not HttpOnly) marker that this browser is a kiosk wall: when its access ends,
the wall shows "access revoked" instead of a login form nobody is there to fill in."""

PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.kiosk", "health.health"})
PUBLIC_PATHS = frozenset({"/assets/login.css", "/_favicon.ico", "/favicon.ico"})
"""What answers without a session: the login page, its style sheet, kiosk links, /healthz."""

KIOSK_PAGES = frozenset({"/wall"})
"""The pages a kiosk may open; any other page sends it to the wall."""


def client_address() -> str:
    return (request.remote_addr or "")[:64]


def current_principal() -> Principal:
    """The caller of the current request (set by ``guard``)."""
    return g.get("principal", ANONYMOUS)


def identify() -> Principal | None:
    """The caller: a bearer token, else the session cookie, else anonymous; None when a token
    is given but is not a live one."""
    source = data_source()
    header = request.headers.get("Authorization")
    if header:
        return authenticate(source.engine, header)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        principal = resolve(source.engine, cookie, Lifetimes.of(source.settings))
        if principal is not None:
            return principal
    return ANONYMOUS


def _wants_page() -> bool:
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def _login_url(next_path: str | None = None) -> str:
    query = {"next": next_path} if next_path and next_path != "/" else {}
    return "/login" + (f"?{urlencode(query)}" if query else "")


def refuse_anonymous(status: int = 401, reason: str = "login_required") -> Response:
    """401 (or 403) for an API client or a script; a redirect to the login page for a page."""
    if status == 401 and _wants_page():
        full = request.full_path.rstrip("?")
        return redirect(_login_url(full))
    if request.path.startswith("/api/"):
        from gridwatch.ingest.errors import refuse, say
        from web.api import error_response

        if status == 401:
            return error_response(refuse(401, "request.needs_login", "Authorization"))
        return error_response(refuse(403, "request.not_permitted", "Authorization",
                                     action=say(f"action.{reason}")))
    response = jsonify({"error": reason, "login": _login_url(request.path)})
    response.status_code = status
    return response


def guard():
    """Before every request: who is asking, and may they ask at all."""
    principal = identify()
    if principal is None:
        g.principal = ANONYMOUS
        from gridwatch.ingest.errors import refuse
        from web.api import error_response

        return error_response(refuse(401, "request.bad_token", "Authorization"))
    g.principal = principal
    if request.endpoint in PUBLIC_ENDPOINTS or request.path in PUBLIC_PATHS:
        return None
    if not principal.authenticated:
        return refuse_anonymous()
    if principal.kind == "kiosk" and _wants_page() and request.path not in KIOSK_PAGES:
        return redirect("/wall")
    return None


def private_cache(response: Response) -> Response:
    """Answers behind a login are for that browser only: never kept by a shared cache."""
    if current_principal().authenticated:
        value = response.headers.get("Cache-Control", "no-cache")
        if "no-store" not in value and "private" not in value:
            value = ", ".join(["private", *(part.strip() for part in value.split(",")
                                           if part.strip() != "public")])
        response.headers["Cache-Control"] = value
        response.vary.add("Cookie")
    return response


def _cookie_options() -> dict:
    settings = data_source().settings
    return {"httponly": True, "samesite": "Lax", "secure": settings.cookie_secure, "path": "/"}


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/\t/evil.example`` would become ``//evil.example``: any whitespace, control character
    or backslash, or a start that is not a single slash, gives the home page instead."""
    if (not value or len(value) > 2048 or not value.startswith("/") or value.startswith("//")
            or any(c.isspace() or ord(c) < 32 or c == "\\" for c in value)):
        return "/"
    return value


# --- pages ----------------------------------------------------------------------------------

def _lang() -> str:
    """The page's language: ``lang``, else the one of the page the login leads to."""
    lang = request.values.get("lang")
    if not lang:
        lang = parse_qs(urlsplit(request.values.get("next") or "").query).get("lang", [None])[0]
    return normalise_language(lang or data_source().settings.default_language)


def login_page(lang: str, next_path: str, name: str = "", message: str = "",
               status: int = 200) -> Response:
    alert = f'<p class="gw-login-error" role="alert">{escape(message)}</p>' if message else ""
    body = (f'{alert}<form method="post" action="/login">'
            f'<input type="hidden" name="next" value="{escape(next_path)}">'
            f'<input type="hidden" name="lang" value="{lang}">'
            + _field("username", t("auth.username", lang), "text", "username", name)
            + _field("password", t("auth.password", lang), "password", "current-password")
            + f'<button type="submit">{escape(t("auth.log_in", lang))}</button></form>')
    return _page(lang, t("auth.login_title", lang), body, status)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    lang = _lang()
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return login_page(lang, next_path)
    source = data_source()
    name = request.form.get("username", "")
    result = log_in(source.engine, name, request.form.get("password", ""), client_address())
    if result.account is None:
        if result.locked_until is not None:
            return login_page(lang, next_path, name, t("auth.locked", lang), 429)
        return login_page(lang, next_path, name, t("auth.failed", lang), 401)
    old = request.cookies.get(COOKIE)
    if old:
        end_session(source.engine, old)  # a new session on every login: no fixation
    cookie = start_session(source.engine, user_id=result.account.id, address=client_address())
    response = redirect(next_path, code=303)
    response.set_cookie(COOKIE, cookie, **_cookie_options())
    response.delete_cookie(KIOSK_COOKIE, path="/")
    return response


@blueprint.route("/logout", methods=["GET", "POST"])
def logout():
    end_session(data_source().engine, request.cookies.get(COOKIE))
    response = redirect(_login_url() + (f"?lang={_lang()}" if request.values.get("lang") else ""),
                        code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@blueprint.get("/kiosk/<secret>")
def kiosk(secret: str):
    source = data_source()
    end_session(source.engine, request.cookies.get(COOKIE))  # whoever this browser was before
    cookie = exchange_kiosk_secret(source.engine, secret, client_address())
    lang = _lang()
    if cookie is None:
        return _page(lang, t("auth.kiosk_revoked_title", lang),
                     f'<p>{escape(t("auth.kiosk_revoked", lang))}</p>', 403)
    response = redirect("/wall" + (f"?lang={lang}" if request.args.get("lang") else ""),
                        code=303)
    response.set_cookie(COOKIE, cookie, **_cookie_options())
    response.set_cookie(KIOSK_COOKIE, "1", samesite="Lax", path="/",
                        secure=source.settings.cookie_secure)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.route("/account", methods=["GET", "POST"])
def account():
    principal = current_principal()
    lang = _lang()
    if principal.kind != "user":
        return _page(lang, t("auth.account_title", lang),
                     f'<p>{escape(t("auth.account_users_only", lang))}</p>', 403)
    message, ok = "", False
    status = 200
    if request.method == "POST":
        new, again = request.form.get("new", ""), request.form.get("again", "")
        if new != again:
            message, status = t("auth.password_mismatch", lang), 400
        else:
            try:
                change_own_password(data_source().engine, principal.id,
                                    request.form.get("current", ""), new,
                                    address=client_address(), keep_session=principal.session)
                message, ok = t("auth.password_changed", lang), True
            except AccountError as exc:
                message = t("auth.password_short", lang) if "characters" in str(exc) \
                    else t("auth.password_wrong", lang)
                status = 400
    cls = "gw-login-ok" if ok else "gw-login-error"
    alert = f'<p class="{cls}" role="alert">{escape(message)}</p>' if message else ""
    who = t("auth.signed_in_as", lang, name=principal.name, role=t(f"role.{principal.role}", lang))
    body = (f'<p>{escape(who)}</p>{alert}<form method="post" action="/account">'
            f'<input type="hidden" name="lang" value="{lang}">'
            # for password managers: whose password this is (not read by the server)
            f'<input type="text" name="username" value="{escape(principal.name)}" '
            f'autocomplete="username" hidden aria-hidden="true">'
            + _field("current", t("auth.current_password", lang), "password", "current-password")
            + _field("new", t("auth.new_password", lang), "password", "new-password")
            + _field("again", t("auth.new_password_again", lang), "password", "new-password")
            + f'<button type="submit">{escape(t("auth.change_password", lang))}</button></form>'
            f'<p><a href="/?lang={lang}">{escape(t("app.back_home", lang))}</a> · '
            f'<a href="/logout">{escape(t("auth.log_out", lang))}</a></p>')
    return _page(lang, t("auth.account_title", lang), body, status)


@blueprint.get("/live")
def live():
    """The wall's live signal: data version and freshness, for a wall signed in or a kiosk.

    Read from the store's version row, never a snapshot (``web.health.read_state``): a wall's
    poll right after a write does not wait for the store to be read again. The wall reads
    ``data_version``, ``stale`` and ``updated_at``; there is no ``latest_day`` here.
    """
    if not allows(current_principal(), "wall"):
        return refuse_anonymous(403, "wall")
    from web.health import healthz

    response = jsonify(healthz(data_source(), latest_day=False))
    response.headers["Cache-Control"] = "no-store"
    return response


def login_link(path: str) -> str:
    return "/login?next=" + quote(path)
