"""Administration pages: users, kiosks, API tokens and the audit log, for admins only.

Plain server-rendered HTML forms (they work without JavaScript), in the request's language
(``?lang=zh|en``, else the settings' default); every text comes from ``gridwatch.i18n``.
Every route is checked on the server (``only_admins``, before each request of this
blueprint): a principal without ``allows(who, "admin")`` gets a 403 page, GET or POST alike
(anonymous callers were sent to ``/login`` by ``web.auth.guard`` before that).

- ``GET /admin``: an overview with links.
- ``GET /admin/users``: the users and a form to create one; ``POST /admin/users`` creates it
  and shows its generated password once. ``GET /admin/users/manage?id=``: one user's forms;
  ``POST /admin/users/role`` (role and scope), ``/admin/users/state`` (disable, enable) and
  ``/admin/users/password`` (a new generated password, shown once), each with ``id``.
- ``GET /admin/kiosks``, ``POST /admin/kiosks`` (shows the kiosk link once),
  ``POST /admin/kiosks/revoke`` (``id``).
- ``GET /admin/tokens``, ``POST /admin/tokens`` (shows the token once),
  ``POST /admin/tokens/revoke`` (``id``).
- ``GET /admin/audit?action=&actor=&entity=&key=&page=``: the audit log, newest first, 100 a
  page; ``action`` is a prefix (``login.``), ``actor`` a part of the actor, ``entity`` and
  ``key`` exact.

Secrets (passwords, kiosk links, tokens) appear only in the page answering the POST that made
them: never in a URL, never logged; every answer here is ``Cache-Control: no-store``. Changes
go through ``gridwatch.auth`` with the admin as ``actor``, so the audit log records who did
them. The last enabled admin can be neither disabled nor given another role. Which entry an
action is about travels in the form (``id``), not in the path.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridwatch.auth.accounts import (
    NAME_LENGTH,
    Account,
    AccountError,
    create_user,
    get_user,
    list_users,
    set_disabled,
    set_password,
    set_role,
)
from gridwatch.auth.audit import audit_access
from gridwatch.auth.policy import ROLES, Scope, allows
from gridwatch.auth.sessions import create_kiosk, list_kiosks, revoke_kiosk
from gridwatch.auth.tokens import create_token, list_tokens, revoke_token
from gridwatch.i18n import t
from gridwatch.store.models import AuditEntry, User
from web import html
from web.auth import _lang as page_language
from web.auth import client_address, current_principal
from web.context import data_source

blueprint = Blueprint("admin", __name__)

PAGE_SIZE = 100
"""Audit rows per page."""
SHORT_JSON = 80
"""Characters of an audit entry's before/after shown before it is folded away."""
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class Refusal(Exception):
    """A form that cannot be carried out; ``key`` names the catalogue message saying why."""

    def __init__(self, key: str, status: int = 400, **values) -> None:
        super().__init__(key)
        self.key, self.status, self.values = key, status, values

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


# --- the frame --------------------------------------------------------------------------------

SECTIONS = (("/admin", "admin.overview_title"), ("/admin/users", "admin.users_title"),
            ("/admin/kiosks", "admin.kiosks_title"), ("/admin/tokens", "admin.tokens_title"),
            ("/admin/audit", "admin.audit_title"))


def _page(lang: str, title: str, body: str, status: int = 200,
          switch_path: str | None = None, switch_args: dict | None = None) -> Response:
    suffix = f"?lang={lang}"
    current = ' aria-current="page"'
    links = [f'<a href="{path}{suffix}"{current if request.path == path else ""}>'
             f'{escape(t(key, lang))}</a>' for path, key in SECTIONS]
    links.append(f'<a href="/{suffix}">{escape(t("app.back_home", lang))}</a>')
    nav = (f'<nav class="gw-admin-nav" aria-label="{escape(t("admin.nav", lang))}">'
           + " ".join(links) + "</nav>")
    return html.page(lang, title, nav + body, status, body_class="gw-login gw-admin",
                     switch_path=switch_path, switch_args=switch_args)


def _hidden_lang(lang: str) -> str:
    return f'<input type="hidden" name="lang" value="{lang}">'


def _form(action: str, lang: str, inner: str, button: str, *, label: str = "",
          inline: bool = False) -> str:
    """A POST form to ``action`` on this site; ``label`` names a button whose text alone
    would not say what it acts on (one per table row)."""
    named = f' aria-label="{escape(label)}"' if label else ""
    cls = ' class="gw-admin-inline"' if inline else ""
    return (f'<form method="post" action="{escape(action)}"{cls}>{_hidden_lang(lang)}{inner}'
            f'<button type="submit"{named}>{escape(button)}</button></form>')


def _when(moment: datetime | None, seconds: bool = False) -> str:
    """A stored time (naive UTC) in the county's time zone."""
    if moment is None:
        return "—"
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(data_source().settings.timezone))
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _scope_text(scope: Scope | str, lang: str) -> str:
    scope = scope if isinstance(scope, Scope) else Scope.parse(scope)
    if scope.kind == "county":
        return t("admin.scope.county", lang)
    return t(f"admin.scope.{scope.kind}_codes", lang, codes=", ".join(sorted(scope.codes)))


def _role_options(lang: str) -> list[tuple[str, str]]:
    return [(role, t(f"role.{role}", lang)) for role in ROLES]


def _scope_fields(lang: str, prefix: str, blank: str, kind: str = "", codes: str = "") -> str:
    """The scope of a form: a kind (``blank`` for none chosen) and the codes it takes."""
    options = [("", t(blank, lang)), ("county", t("admin.scope.county", lang)),
               ("township", t("admin.scope.township", lang)),
               ("village", t("admin.scope.village", lang))]
    return (html.select("scope", t("admin.scope", lang), options, kind,
                        field_id=f"{prefix}-scope")
            + html.field("codes", t("admin.codes", lang), "text", "off", codes, required=False,
                         field_id=f"{prefix}-codes")
            + f'<p class="gw-admin-hint">{escape(t("admin.codes_hint", lang))}</p>')


def _form_scope(required: bool) -> Scope | None:
    """The scope a form gives, checked against the region; None when none was chosen."""
    kind = request.form.get("scope", "").strip()
    codes = frozenset(c for c in CODE_SEPARATORS.split(request.form.get("codes", "")) if c)
    if not kind:
        if required:
            raise Refusal("admin.error.scope_needed")
        if codes:
            raise Refusal("admin.error.scope_kind")
        return None
    if kind == "county":
        if codes:
            raise Refusal("admin.error.county_codes")
        return Scope()
    if kind not in ("township", "village"):
        raise Refusal("admin.error.scope_kind")
    if not codes:
        raise Refusal("admin.error.scope_codes")
    region = data_source().region()
    known = (region.townships["code"] if kind == "township"
             else region.grid_table["village_code"]).astype(str)
    unknown = sorted(codes - set(known))
    if unknown:
        raise Refusal(f"admin.error.unknown_{kind}", codes=", ".join(unknown))
    return Scope(kind, codes)


def _form_role() -> str:
    role = request.form.get("role", "")
    if role not in ROLES:
        raise Refusal("admin.error.role")
    return role


def _secret_block(lang: str, label: str, secret: str, note: str) -> str:
    """A secret shown this once, to copy."""
    return (f'<p>{escape(label)}</p><p><code class="gw-admin-secret">{escape(secret)}</code></p>'
            f'<p class="gw-admin-hint">{escape(note)}</p>')


@blueprint.before_request
def only_admins():
    """Every route here, every method: admins only, checked on the server."""
    if not allows(current_principal(), "admin"):
        lang = page_language()
        return html.page(lang, t("admin.forbidden_title", lang),
                         f'<p>{escape(t("auth.not_allowed", lang))}</p>'
                         f'<p><a href="/?lang={lang}">{escape(t("app.back_home", lang))}</a></p>',
                         403, switch_path=request.path if request.method == "GET" else "/")
    return None


@blueprint.after_request
def no_store(response: Response) -> Response:
    """Administration pages (some carrying a secret) are never kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- overview ---------------------------------------------------------------------------------

@blueprint.get("/admin")
def overview():
    lang = page_language()
    who = current_principal()
    items = "".join(f'<li><a href="{path}?lang={lang}">{escape(t(key, lang))}</a> — '
                    f'{escape(t(key.replace("_title", "_about"), lang))}</li>'
                    for path, key in SECTIONS[1:])
    body = (f'<p>{escape(t("admin.signed_in_as", lang, actor=who.actor))}</p>'
            f'<ul class="gw-admin-links">{items}</ul>')
    return _page(lang, t("admin.overview_title", lang), body)


# --- users ------------------------------------------------------------------------------------

def enabled_admins() -> int:
    """How many enabled users are admins."""
    with Session(data_source().engine) as s:
        return s.scalar(select(func.count()).select_from(User).where(
            User.role == "admin", User.disabled_at.is_(None))) or 0


def _keeps_an_admin(account: Account, role: str | None = None, disable: bool = False) -> None:
    """Refuse to leave the store without an enabled admin."""
    loses = account.role == "admin" and not account.disabled and (
        disable or (role is not None and role != "admin"))
    if loses and enabled_admins() <= 1:
        who = current_principal()
        mine = who.kind == "user" and who.id == account.id
        raise Refusal("admin.error.last_admin_self" if mine else "admin.error.last_admin", 409)


def _state_text(account: Account, lang: str) -> str:
    if account.disabled:
        return t("admin.state.disabled", lang)
    if account.locked_until is not None and account.locked_until > datetime.now(UTC).replace(
            tzinfo=None):
        return t("admin.state.locked", lang, until=_when(account.locked_until))
    return t("admin.state.enabled", lang)


def _users_page(lang: str, message: str = "", status: int = 200, ok: bool = False) -> Response:
    form = request.form if request.method == "POST" else {}
    rows = [[f'<a href="/admin/users/manage?id={a.id}&amp;lang={lang}">{escape(a.name)}</a>',
             escape(t(f"role.{a.role}", lang)), escape(_scope_text(a.scope, lang)),
             escape(_state_text(a, lang)), escape(_when(a.created_at))]
            for a in list_users(data_source().engine)]
    table = html.table(t("admin.users_caption", lang),
                       [t("admin.col.name", lang), t("admin.col.role", lang),
                        t("admin.col.scope", lang), t("admin.col.state", lang),
                        t("admin.col.created", lang)], rows, t("admin.none", lang))
    create = _form(
        "/admin/users", lang,
        html.field("name", t("auth.username", lang), "text", "off", form.get("name", ""),
                   field_id="new-name")
        + html.select("role", t("admin.role", lang), _role_options(lang),
                      form.get("role", "viewer"), field_id="new-role")
        + _scope_fields(lang, "new", "admin.scope.choose", form.get("scope", ""),
                        form.get("codes", "")),
        t("admin.users.create", lang))
    body = (html.alert(message, ok) + table
            + f'<h2>{escape(t("admin.users.create_title", lang))}</h2>'
            + f'<p class="gw-admin-hint">{escape(t("admin.users.create_hint", lang))}</p>'
            + create)
    return _page(lang, t("admin.users_title", lang), body, status, switch_path="/admin/users")


@blueprint.get("/admin/users")
def users():
    return _users_page(page_language())


def _check_new_name(name: str) -> str:
    name = name.strip()
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1] or any(c.isspace() for c in name):
        raise Refusal("admin.error.name")
    if any(a.name == name for a in list_users(data_source().engine)):
        raise Refusal("admin.error.name_taken", 409, name=name)
    return name


@blueprint.post("/admin/users")
def user_create():
    lang = page_language()
    source = data_source()
    try:
        name = _check_new_name(request.form.get("name", ""))
        role = _form_role()
        scope = _form_scope(required=role == "operator")
        try:
            account, password = create_user(source.writer, name, role, scope,
                                            actor=current_principal().actor,
                                            address=client_address())
        except AccountError as exc:  # e.g. the same name created meanwhile
            raise Refusal("admin.error.name_taken", 409, name=name) from exc
    except Refusal as refusal:
        return _users_page(lang, refusal.message(lang), refusal.status)
    body = (html.alert(t("admin.users.created", lang, name=account.name,
                         role=t(f"role.{account.role}", lang),
                         scope=_scope_text(account.scope, lang)), ok=True)
            + _secret_block(lang, t("admin.users.password_is", lang), password,
                            t("admin.shown_once", lang))
            + f'<p><a href="/admin/users?lang={lang}">{escape(t("admin.back_users", lang))}'
            f'</a></p>')
    return _page(lang, t("admin.users.created_title", lang), body, switch_path="/admin/users")


def _not_found(lang: str) -> Response:
    return _page(lang, t("admin.not_found_title", lang),
                 f'<p>{escape(t("admin.not_found", lang))}</p>', 404, switch_path="/admin")


def _user_page(lang: str, account: Account, message: str = "", status: int = 200,
               ok: bool = False) -> Response:
    ident = f'<input type="hidden" name="id" value="{account.id}">'
    facts = (f'<dl class="gw-admin-facts">'
             f'<dt>{escape(t("admin.col.name", lang))}</dt><dd>{escape(account.name)}</dd>'
             f'<dt>{escape(t("admin.col.role", lang))}</dt>'
             f'<dd>{escape(t(f"role.{account.role}", lang))}</dd>'
             f'<dt>{escape(t("admin.col.scope", lang))}</dt>'
             f'<dd>{escape(_scope_text(account.scope, lang))}</dd>'
             f'<dt>{escape(t("admin.col.state", lang))}</dt>'
             f'<dd>{escape(_state_text(account, lang))}</dd>'
             f'<dt>{escape(t("admin.col.created", lang))}</dt>'
             f'<dd>{escape(_when(account.created_at))}</dd></dl>')
    role_form = _form(
        "/admin/users/role", lang,
        ident + html.select("role", t("admin.role", lang), _role_options(lang), account.role,
                    field_id="edit-role")
        + _scope_fields(lang, "edit", "admin.scope.keep"),
        t("admin.users.change_role", lang))
    if account.disabled:
        state_form = _form("/admin/users/state", lang,
                           ident + '<input type="hidden" name="disabled" value="0">',
                           t("admin.users.enable", lang))
    else:
        state_form = _form("/admin/users/state", lang,
                           ident + '<input type="hidden" name="disabled" value="1">',
                           t("admin.users.disable", lang))
    password_form = _form("/admin/users/password", lang, ident,
                          t("admin.users.reset_password", lang))
    body = (html.alert(message, ok) + facts
            + f'<h2>{escape(t("admin.users.role_title", lang))}</h2>{role_form}'
            + f'<h2>{escape(t("admin.users.state_title", lang))}</h2>'
            + f'<p class="gw-admin-hint">{escape(t("admin.users.state_hint", lang))}</p>'
            + state_form
            + f'<h2>{escape(t("admin.users.password_title", lang))}</h2>'
            + f'<p class="gw-admin-hint">{escape(t("admin.users.password_hint", lang))}</p>'
            + password_form
            + f'<p><a href="/admin/users?lang={lang}">{escape(t("admin.back_users", lang))}'
            f'</a></p>')
    return _page(lang, t("admin.user_title", lang, name=account.name), body, status,
                 switch_path="/admin/users/manage", switch_args={"id": account.id})


def _id(values) -> int | None:
    """The ``id`` a form or query names, or None."""
    text = values.get("id", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _account() -> Account | None:
    """The user a request names with ``id``."""
    user_id = _id(request.values)
    return None if user_id is None else get_user(data_source().engine, user_id)


@blueprint.get("/admin/users/manage")
def user():
    account = _account()
    return _not_found(page_language()) if account is None else _user_page(page_language(),
                                                                          account)


@blueprint.post("/admin/users/role")
def user_role():
    lang = page_language()
    source = data_source()
    account = _account()
    if account is None:
        return _not_found(lang)
    try:
        role = _form_role()
        becomes_operator = role == "operator" and account.role != "operator"
        scope = _form_scope(required=becomes_operator) or account.scope
        _keeps_an_admin(account, role=role)
        changed = set_role(source.writer, account.name, role, scope,
                           actor=current_principal().actor, address=client_address())
    except AccountError as exc:  # the last admin, demoted by someone else meanwhile
        return _user_page(lang, account, str(exc), 409)
    except Refusal as refusal:
        return _user_page(lang, account, refusal.message(lang), refusal.status)
    return _user_page(lang, changed, t("admin.users.role_changed", lang, name=changed.name,
                                       role=t(f"role.{changed.role}", lang),
                                       scope=_scope_text(changed.scope, lang)), ok=True)


@blueprint.post("/admin/users/state")
def user_state():
    lang = page_language()
    source = data_source()
    account = _account()
    if account is None:
        return _not_found(lang)
    disable = request.form.get("disabled") == "1"
    try:
        _keeps_an_admin(account, disable=disable)
    except Refusal as refusal:
        return _user_page(lang, account, refusal.message(lang), refusal.status)
    try:
        changed = set_disabled(source.writer, account.name, disable,
                               actor=current_principal().actor, address=client_address())
    except AccountError as exc:  # the last admin, disabled by someone else meanwhile
        return _user_page(lang, account, str(exc), 409)
    key = "admin.users.disabled" if disable else "admin.users.enabled"
    return _user_page(lang, changed, t(key, lang, name=changed.name), ok=True)


@blueprint.post("/admin/users/password")
def user_password():
    lang = page_language()
    source = data_source()
    account = _account()
    if account is None:
        return _not_found(lang)
    password = set_password(source.writer, account.name, actor=current_principal().actor,
                            address=client_address())
    body = (html.alert(t("admin.users.password_reset", lang, name=account.name), ok=True)
            + _secret_block(lang, t("admin.users.password_is", lang), password,
                            t("admin.shown_once", lang))
            + f'<p><a href="/admin/users/manage?id={account.id}&amp;lang={lang}">'
            f'{escape(t("admin.back_user", lang, name=account.name))}</a></p>')
    return _page(lang, t("admin.users.password_title", lang), body,
                 switch_path="/admin/users/manage", switch_args={"id": account.id})


# --- kiosks -----------------------------------------------------------------------------------

def _kiosks_page(lang: str, message: str = "", status: int = 200, ok: bool = False) -> Response:
    rows = []
    for k in list_kiosks(data_source().engine):
        if k.revoked_at is None:
            action = _form("/admin/kiosks/revoke", lang,
                           f'<input type="hidden" name="id" value="{k.id}">',
                           t("admin.revoke", lang),
                           label=t("admin.kiosks.revoke_named", lang, name=k.name), inline=True)
            state = t("admin.state.live", lang)
        else:
            action, state = "", t("admin.state.revoked", lang, at=_when(k.revoked_at))
        rows.append([escape(k.name), escape(_when(k.created_at)), escape(_when(k.last_seen_at)),
                     escape(state), action])
    table = html.table(t("admin.kiosks_caption", lang),
                       [t("admin.col.name", lang), t("admin.col.created", lang),
                        t("admin.col.last_seen", lang), t("admin.col.state", lang),
                        t("admin.col.action", lang)], rows, t("admin.none", lang))
    create = _form("/admin/kiosks", lang,
                   html.field("name", t("admin.kiosks.name", lang), "text", "off",
                              field_id="kiosk-name"),
                   t("admin.kiosks.create", lang))
    body = (html.alert(message, ok) + table
            + f'<h2>{escape(t("admin.kiosks.create_title", lang))}</h2>'
            + f'<p class="gw-admin-hint">{escape(t("admin.kiosks.create_hint", lang))}</p>'
            + create)
    return _page(lang, t("admin.kiosks_title", lang), body, status, switch_path="/admin/kiosks")


@blueprint.get("/admin/kiosks")
def kiosks():
    return _kiosks_page(page_language())


@blueprint.post("/admin/kiosks")
def kiosk_create():
    lang = page_language()
    source = data_source()
    name = request.form.get("name", "").strip()
    if not 1 <= len(name) <= 64:
        return _kiosks_page(lang, t("admin.error.kiosk_name", lang), 400)
    if any(k.name == name for k in list_kiosks(source.engine)):
        return _kiosks_page(lang, t("admin.error.kiosk_taken", lang, name=name), 409)
    try:
        info, secret = create_kiosk(source.writer, name, actor=current_principal().actor)
    except AccountError:
        return _kiosks_page(lang, t("admin.error.kiosk_taken", lang, name=name), 409)
    body = (html.alert(t("admin.kiosks.created", lang, name=info.name), ok=True)
            + _secret_block(lang, t("admin.kiosks.url_is", lang),
                            f"{request.host_url}kiosk/{secret}", t("admin.shown_once", lang))
            + f'<p><a href="/admin/kiosks?lang={lang}">{escape(t("admin.back_kiosks", lang))}'
            f'</a></p>')
    return _page(lang, t("admin.kiosks.created_title", lang), body, switch_path="/admin/kiosks")


@blueprint.post("/admin/kiosks/revoke")
def kiosk_revoke():
    lang = page_language()
    source = data_source()
    kiosk_id = _id(request.form)
    info = next((k for k in list_kiosks(source.engine) if k.id == kiosk_id), None)
    if info is None:
        return _not_found(lang)
    revoke_kiosk(source.writer, info.name, actor=current_principal().actor)
    return _kiosks_page(lang, t("admin.kiosks.revoked", lang, name=info.name), ok=True)


# --- tokens -----------------------------------------------------------------------------------

def _tokens_page(lang: str, message: str = "", status: int = 200, ok: bool = False) -> Response:
    form = request.form if request.method == "POST" and not ok else {}
    rows = []
    for tok in list_tokens(data_source().engine):
        if tok["revoked_at"] is None:
            action = _form("/admin/tokens/revoke", lang,
                           f'<input type="hidden" name="id" value="{tok["id"]}">',
                           t("admin.revoke", lang),
                           label=t("admin.tokens.revoke_named", lang, name=tok["name"],
                                   prefix=tok["prefix"]), inline=True)
            state = t("admin.state.live", lang)
        else:
            action, state = "", t("admin.state.revoked", lang, at=_when(tok["revoked_at"]))
        rows.append([f'<code>{escape(tok["prefix"])}…</code>', escape(tok["name"]),
                     escape(t(f"role.{tok['role']}", lang)),
                     escape(_scope_text(tok["scope"], lang)), escape(_when(tok["created_at"])),
                     escape(_when(tok["last_used_at"])), escape(state), action])
    table = html.table(t("admin.tokens_caption", lang),
                       [t("admin.col.prefix", lang), t("admin.col.name", lang),
                        t("admin.col.role", lang), t("admin.col.scope", lang),
                        t("admin.col.created", lang), t("admin.col.last_used", lang),
                        t("admin.col.state", lang), t("admin.col.action", lang)],
                       rows, t("admin.none", lang))
    create = _form(
        "/admin/tokens", lang,
        html.field("name", t("admin.tokens.name", lang), "text", "off", form.get("name", ""),
                   field_id="token-name")
        + html.select("role", t("admin.role", lang), _role_options(lang),
                      form.get("role", "operator"), field_id="token-role")
        + _scope_fields(lang, "token", "admin.scope.choose", form.get("scope", ""),
                        form.get("codes", "")),
        t("admin.tokens.create", lang))
    body = (html.alert(message, ok) + table
            + f'<h2>{escape(t("admin.tokens.create_title", lang))}</h2>'
            + f'<p class="gw-admin-hint">{escape(t("admin.users.create_hint", lang))}</p>'
            + create)
    return _page(lang, t("admin.tokens_title", lang), body, status, switch_path="/admin/tokens")


@blueprint.get("/admin/tokens")
def tokens():
    return _tokens_page(page_language())


@blueprint.post("/admin/tokens")
def token_create():
    lang = page_language()
    source = data_source()
    who = current_principal()
    try:
        name = request.form.get("name", "").strip()
        if not 1 <= len(name) <= 64:
            raise Refusal("admin.error.token_name")
        role = _form_role()
        scope = _form_scope(required=role == "operator") or Scope()
    except Refusal as refusal:
        return _tokens_page(lang, refusal.message(lang), refusal.status)
    token_id, token = create_token(source.writer, name, role, scope)
    # gridwatch.auth.tokens does not audit; the admin's creation is recorded here.
    audit_access(source.writer, who, "token.create", "token", str(token_id), client_address(),
                 {"name": name, "role": role, "scope": str(scope), "prefix": token[:8]})
    body = (html.alert(t("admin.tokens.created", lang, name=name,
                         role=t(f"role.{role}", lang), scope=_scope_text(scope, lang)), ok=True)
            + _secret_block(lang, t("admin.tokens.token_is", lang), token,
                            t("admin.shown_once", lang))
            + f'<p><a href="/admin/tokens?lang={lang}">{escape(t("admin.back_tokens", lang))}'
            f'</a></p>')
    return _page(lang, t("admin.tokens.created_title", lang), body, switch_path="/admin/tokens")


@blueprint.post("/admin/tokens/revoke")
def token_revoke():
    lang = page_language()
    source = data_source()
    token_id = _id(request.form)
    info = next((tok for tok in list_tokens(source.engine) if tok["id"] == token_id), None)
    if info is None:
        return _not_found(lang)
    if revoke_token(source.writer, str(token_id)):
        audit_access(source.writer, current_principal(), "token.revoke", "token",
                     str(token_id), client_address(), {"name": info["name"]})
    return _tokens_page(lang, t("admin.tokens.revoked", lang, name=info["name"]), ok=True)


# --- audit log --------------------------------------------------------------------------------

AUDIT_FILTERS = ("action", "actor", "entity", "key")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_page(engine, filters: dict[str, str],
               page: int) -> tuple[list[AuditEntry], int, int]:
    """One page of the audit log, newest first, how many entries match ``filters`` and the
    page given (``page`` kept between the first and the last)."""
    conditions = []
    if filters.get("action"):
        conditions.append(AuditEntry.action.like(_like(filters["action"]) + "%", escape="\\"))
    if filters.get("actor"):
        conditions.append(AuditEntry.actor.like("%" + _like(filters["actor"]) + "%",
                                                escape="\\"))
    if filters.get("entity"):
        conditions.append(AuditEntry.entity == filters["entity"])
    if filters.get("key"):
        conditions.append(AuditEntry.entity_key == filters["key"])
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
        page = min(max(1, page), max(1, -(-total // PAGE_SIZE)))
        rows = s.scalars(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
                         .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        s.expunge_all()
    return list(rows), total, page


def _json_cell(text: str | None) -> str:
    if not text:
        return ""
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)
    except ValueError:
        pass
    if len(text) <= SHORT_JSON:
        return f"<code>{escape(text)}</code>"
    return (f"<details><summary><code>{escape(text[:SHORT_JSON])}…</code></summary>"
            f"<pre>{escape(text)}</pre></details>")


@blueprint.get("/admin/audit")
def audit():
    lang = page_language()
    filters = {name: request.args.get(name, "").strip()[:96] for name in AUDIT_FILTERS}
    given = request.args.get("page", "1")
    page = int(given) if given.isascii() and given.isdigit() and len(given) < 10 else 1
    rows, total, page = audit_page(data_source().engine, filters, page)
    pages = max(1, -(-total // PAGE_SIZE))
    cells = [[escape(_when(r.at, seconds=True)), escape(r.actor), escape(r.action),
              escape(r.entity), escape(r.entity_key), escape(r.address or ""),
              _json_cell(r.before), _json_cell(r.after)] for r in rows]
    table = html.table(t("admin.audit_caption", lang, page=page, pages=pages, total=total),
                       [t("admin.col.at", lang), t("admin.col.actor", lang),
                        t("admin.col.action_name", lang), t("admin.col.entity", lang),
                        t("admin.col.key", lang), t("admin.col.address", lang),
                        t("admin.col.before", lang), t("admin.col.after", lang)],
                       cells, t("admin.audit.none", lang))
    fields = "".join("<div>" + html.field(name, t(f"admin.audit.{name}", lang), "text", "off",
                                          filters[name], required=False,
                                          field_id=f"audit-{name}") + "</div>"
                     for name in AUDIT_FILTERS)
    search = (f'<form method="get" action="/admin/audit" class="gw-admin-filters">'
              f'{_hidden_lang(lang)}{fields}<div>'
              f'<button type="submit">{escape(t("admin.audit.filter", lang))}</button></div>'
              '</form>'
              f'<p class="gw-admin-hint">{escape(t("admin.audit.hint", lang))}</p>')
    kept = {name: value for name, value in filters.items() if value}

    def link(to: int, key: str) -> str:
        query = urlencode({**kept, "page": to, "lang": lang})
        return f'<a href="/admin/audit?{escape(query)}">{escape(t(key, lang))}</a>'

    pager = " ".join(part for part in (
        link(page - 1, "admin.audit.newer") if page > 1 else "",
        link(page + 1, "admin.audit.older") if page < pages else "") if part)
    pager = (f'<nav class="gw-admin-pager" aria-label="{escape(t("admin.audit.pages", lang))}">'
             f'{pager}</nav>') if pager else ""
    body = search + table + pager
    return _page(lang, t("admin.audit_title", lang), body)
