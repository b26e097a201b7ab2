"""The administration pages (web.admin): admins only, both languages, plain accessible forms,
every change audited with the admin as actor, secrets shown once."""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from app import create_app
from gridwatch.auth.accounts import create_user, get_user, list_users, set_disabled
from gridwatch.auth.policy import Scope
from gridwatch.auth.tokens import create_token
from gridwatch.i18n import t
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from tests.conftest import GEO_PATH

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "a-known-password-1"
TOWNSHIP = "330824001"
PAGES = ("/admin", "/admin/users", "/admin/kiosks", "/admin/tokens", "/admin/audit")
SECRET = re.compile(r'<code class="gw-admin-secret">([^<]+)</code>')


@dataclass
class Site:
    app: object
    source: DataSource
    names: itertools.count

    def user(self, role: str, scope: Scope | None = None) -> tuple[str, FlaskClient]:
        """A new user with ``role``, signed in in a browser of its own."""
        name = f"{role}-{next(self.names)}"
        if role == "operator" and scope is None:
            scope = Scope("township", frozenset({TOWNSHIP}))
        create_user(self.source.writer, name, role, scope, password=PASSWORD)
        return name, self.login(name, PASSWORD)

    def login(self, name: str, password: str) -> FlaskClient:
        client = self.app.server.test_client()
        answer = client.post("/login", data={"username": name, "password": password},
                             headers=ORIGIN)
        assert answer.status_code == 303, answer.get_data(as_text=True)
        return client

    def account(self, name: str):
        return next(a for a in list_users(self.source.engine) if a.name == name)


def build(settings: Settings) -> Site:
    return Site(create_app(settings), DataSource(settings), itertools.count(1))


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory) -> Site:
    """One app on a private copy of the store, shared by the tests that do not need a store
    of their own."""
    path = tmp_path_factory.mktemp("admin") / "store.sqlite"
    shutil.copy(seeded_db, path)
    return build(Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH))


@pytest.fixture(scope="module")
def admin(site) -> FlaskClient:
    return site.user("admin")[1]


def post(client: FlaskClient, path: str, **data):
    return client.post(path, data=data, headers=ORIGIN)


def text(answer) -> str:
    return answer.get_data(as_text=True)


class Controls(HTMLParser):
    """What a page's accessibility rests on: labels, controls, tables, the lang attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.tables = self.captions = 0
        self.headers: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "label":
            self.labels.add(attrs.get("for"))
        elif tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs.get("id"))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th":
            self.headers.append(attrs)


def assert_accessible(page: str, lang: str) -> None:
    found = Controls()
    found.feed(page)
    assert found.lang == ("zh-CN" if lang == "zh" else "en")
    assert all(c and c in found.labels for c in found.controls), found.controls
    assert found.tables == found.captions
    assert all(h.get("scope") == "col" for h in found.headers)
    # Every text from the catalogue: a missing key would show as itself.
    visible = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\badmin\.[a-z_]+\.?[a-z_]*", visible), visible


# --- who may open the pages -------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_sees_every_page_in_both_languages(site, admin, lang):
    other, _client = site.user("analyst")
    pages = [*PAGES, f"/admin/users/manage?id={site.account(other).id}"]
    for path in pages:
        answer = admin.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
        page = text(answer)
        assert_accessible(page, lang)
        assert "<script" not in page
    assert t("admin.users_title", lang) in text(admin.get(f"/admin/users?lang={lang}"))
    assert t("admin.audit_title", lang) in text(admin.get(f"/admin/audit?lang={lang}"))
    assert "gw-admin" in text(admin.get(f"/admin?lang={lang}"))


def admin_routes(site) -> list[tuple[str, str]]:
    rules = [r for r in site.app.server.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert not any(r.arguments for r in rules), "ids travel in the form, not in the path"
    return [(method, r.rule) for r in rules for method in sorted(r.methods - {"HEAD", "OPTIONS"})]


@pytest.mark.parametrize("role", ["viewer", "analyst", "operator", "kiosk"])
def test_other_roles_get_403_on_every_admin_route(site, role):
    if role == "kiosk":
        from gridwatch.auth.sessions import create_kiosk

        client = site.app.server.test_client()
        _info, secret = create_kiosk(site.source.writer, f"wall-{next(site.names)}")
        assert client.get(f"/kiosk/{secret}").status_code == 303
    else:
        _name, client = site.user(role)
    routes = admin_routes(site)
    assert {("GET", "/admin"), ("POST", "/admin/users"), ("POST", "/admin/users/role"),
            ("POST", "/admin/tokens"), ("GET", "/admin/audit")} <= set(routes)
    victim = site.account("admin")
    for lang in ("zh", "en"):
        for method, path in routes:
            form = {"lang": lang, "id": str(victim.id), "name": "sneaky", "role": "admin",
                    "scope": "county", "disabled": "1"}
            answer = client.open(path, method=method, headers=ORIGIN,
                                 **({"query_string": form} if method == "GET" else {"data": form}))
            assert answer.status_code == 403, (role, method, path)
            assert t("auth.not_allowed", lang) in text(answer)
            assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in text(answer)
    assert not any(a.name == "sneaky" for a in list_users(site.source.engine))
    assert get_user(site.source.engine, victim.id) == victim


def test_anonymous_browsers_are_sent_to_the_login_page(site):
    answer = site.app.server.test_client().get("/admin/users", headers={"Accept": "text/html"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


# --- users ------------------------------------------------------------------------------------

def test_a_created_user_sees_the_password_once_and_signs_in_with_it(site, admin):
    answer = post(admin, "/admin/users", name="newcomer", role="analyst", scope="",
                  codes="", lang="en")
    assert answer.status_code == 200
    page = text(answer)
    (password,) = SECRET.findall(page)
    assert "newcomer" in page and t("admin.shown_once", "en") in page
    assert answer.headers["Cache-Control"] == "no-store" and "Location" not in answer.headers
    assert password not in text(admin.get("/admin/users"))
    assert site.account("newcomer").role == "analyst"
    assert site.account("newcomer").scope == Scope()
    fresh = site.login("newcomer", password)
    assert fresh.get("/", headers={"Accept": "text/html"}).status_code == 200
    audit = text(admin.get("/admin/audit?action=user.create&key=newcomer"))
    assert "user:" in audit and "newcomer" in audit
    assert password not in audit


def test_user_forms_are_checked_against_the_region(site, admin):
    village = str(site.source.region().grid_table["village_code"].iloc[0])
    answer = post(admin, "/admin/users", name="op-a", role="operator", scope="", lang="en")
    assert answer.status_code == 400 and t("admin.error.scope_needed", "en") in text(answer)
    assert 'value="op-a"' in text(answer)  # the form keeps what was typed
    answer = post(admin, "/admin/users", name="op-a", role="operator", scope="township",
                  codes=f"{TOWNSHIP}, 999999999", lang="en")
    assert answer.status_code == 400 and "999999999" in text(answer)
    answer = post(admin, "/admin/users", name="op-a", role="operator", scope="township",
                  codes="", lang="zh")
    assert answer.status_code == 400 and t("admin.error.scope_codes", "zh") in text(answer)
    answer = post(admin, "/admin/users", name="has space", role="viewer", lang="en")
    assert answer.status_code == 400 and t("admin.error.name", "en") in text(answer)
    assert not any(a.name == "op-a" for a in list_users(site.source.engine))
    answer = post(admin, "/admin/users", name="op-a", role="operator", scope="village",
                  codes=village, lang="en")
    assert answer.status_code == 200
    assert site.account("op-a").scope == Scope("village", frozenset({village}))
    answer = post(admin, "/admin/users", name="op-a", role="viewer", lang="en")
    assert answer.status_code == 409 and t("admin.error.name_taken", "en", name="op-a") in \
        text(answer)


def test_a_role_change_applies_at_the_users_next_request(site, admin):
    name, analyst = site.user("analyst")
    assert analyst.get("/export/csv").status_code == 200
    answer = post(admin, "/admin/users/role", id=str(site.account(name).id), role="viewer",
                  scope="", lang="en")
    assert answer.status_code == 200
    assert t("role.viewer", "en") in text(answer)
    assert site.account(name).role == "viewer"
    assert analyst.get("/export/csv").status_code == 403  # the same open session
    audit = text(admin.get(f"/admin/audit?action=user.role&key={name}"))
    assert "analyst" in audit and "viewer" in audit


def test_becoming_an_operator_needs_a_scope(site, admin):
    name, _client = site.user("viewer")
    ident = str(site.account(name).id)
    answer = post(admin, "/admin/users/role", id=ident, role="operator", scope="", lang="en")
    assert answer.status_code == 400 and t("admin.error.scope_needed", "en") in text(answer)
    answer = post(admin, "/admin/users/role", id=ident, role="operator", scope="township",
                  codes=TOWNSHIP, lang="en")
    assert answer.status_code == 200
    assert site.account(name).scope == Scope("township", frozenset({TOWNSHIP}))
    # Keeping the scope keeps it.
    assert post(admin, "/admin/users/role", id=ident, role="analyst", scope="").status_code == 200
    assert site.account(name).scope == Scope("township", frozenset({TOWNSHIP}))


def test_disabling_ends_the_session_at_the_next_request(site, admin):
    name, user = site.user("analyst")
    ident = str(site.account(name).id)
    assert user.get("/", headers={"Accept": "text/html"}).status_code == 200
    answer = post(admin, "/admin/users/state", id=ident, disabled="1", lang="en")
    assert answer.status_code == 200 and t("admin.state.disabled", "en") in text(answer)
    answer = user.get("/", headers={"Accept": "text/html"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert post(admin, "/admin/users/state", id=ident, disabled="0").status_code == 200
    site.login(name, PASSWORD)


def test_a_reset_password_is_shown_once_and_replaces_the_old_one(site, admin):
    name, user = site.user("viewer")
    answer = post(admin, "/admin/users/password", id=str(site.account(name).id), lang="zh")
    assert answer.status_code == 200
    (password,) = SECRET.findall(text(answer))
    assert user.get("/", headers={"Accept": "text/html"}).status_code == 302  # sessions ended
    bad = site.app.server.test_client().post(
        "/login", data={"username": name, "password": PASSWORD}, headers=ORIGIN)
    assert bad.status_code == 401
    site.login(name, password)


def test_an_unknown_user_id_is_not_found(site, admin):
    assert admin.get("/admin/users/manage?id=999999").status_code == 404
    assert admin.get("/admin/users/manage?id=abc").status_code == 404
    assert admin.get("/admin/users/manage?id=²").status_code == 404
    assert post(admin, "/admin/users/state", id="999999", disabled="1").status_code == 404


def test_the_last_admin_cannot_disable_or_demote_themselves(fresh_source):
    site = build(fresh_source.settings)
    name, me = site.user("admin")
    set_disabled(site.source.writer, "admin", True)  # the first run's admin: out of the way
    ident = str(site.account(name).id)
    for form in ({"disabled": "1"}, {"role": "viewer", "scope": ""}):
        path = "/admin/users/state" if "disabled" in form else "/admin/users/role"
        answer = post(me, path, id=ident, lang="en", **form)
        assert answer.status_code == 409, path
        assert t("admin.error.last_admin_self", "en") in text(answer)
    account = site.account(name)
    assert account.role == "admin" and not account.disabled
    assert me.get("/admin").status_code == 200
    # With a second admin, stepping down is allowed, and takes effect at the next request.
    assert post(me, "/admin/users", name="deputy", role="admin", scope="").status_code == 200
    answer = post(me, "/admin/users/role", id=ident, role="analyst", scope="")
    assert answer.status_code == 200
    assert me.get("/admin").status_code == 403
    assert post(me, "/admin/users/state", id=ident, disabled="1").status_code == 403
    # The deputy, now the last admin, cannot be disabled by anyone (here an admin token).
    _id, token = create_token(site.source.writer, "admin-script", "admin")
    answer = site.app.server.test_client().post(
        "/admin/users/state", data={"id": str(site.account("deputy").id), "disabled": "1",
                                    "lang": "en"},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 409 and t("admin.error.last_admin", "en") in text(answer)
    assert not site.account("deputy").disabled


# --- kiosks and tokens ------------------------------------------------------------------------

def test_a_kiosk_link_is_shown_once_and_can_be_revoked(site, admin):
    answer = post(admin, "/admin/kiosks", name="Hall wall", lang="en")
    assert answer.status_code == 200
    (url,) = SECRET.findall(text(answer))
    assert url.startswith("http://localhost/kiosk/gwk_")
    assert url not in text(admin.get("/admin/kiosks"))
    wall = site.app.server.test_client()
    path = url.removeprefix("http://localhost")
    assert wall.get(path).status_code == 303
    assert wall.get("/live").status_code == 200
    assert post(admin, "/admin/kiosks", name="Hall wall").status_code == 409
    page = text(admin.get("/admin/kiosks?lang=en"))
    ident = re.search(r'name="id" value="(\d+)"><button type="submit" '
                      r'aria-label="Revoke the kiosk Hall wall"', page).group(1)
    answer = post(admin, "/admin/kiosks/revoke", id=ident, lang="en")
    assert answer.status_code == 200
    assert t("admin.kiosks.revoked", "en", name="Hall wall") in text(answer)
    assert wall.get("/live").status_code == 401
    assert site.app.server.test_client().get(path).status_code == 403
    audit = text(admin.get("/admin/audit?entity=kiosk&key=Hall+wall"))
    assert "kiosk.create" in audit and "kiosk.revoke" in audit


def test_a_token_is_shown_once_and_can_be_revoked(site, admin):
    answer = post(admin, "/admin/tokens", name="feeder", role="operator", scope="", lang="en")
    assert answer.status_code == 400 and t("admin.error.scope_needed", "en") in text(answer)
    answer = post(admin, "/admin/tokens", name="feeder", role="analyst", scope="county",
                  lang="en")
    assert answer.status_code == 200
    (token,) = SECRET.findall(text(answer))
    assert token.startswith("gw_")
    page = text(admin.get("/admin/tokens?lang=en"))
    assert token not in page and token[:8] in page
    api = site.app.server.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/live", headers=bearer).status_code == 200
    ident = re.search(r'name="id" value="(\d+)"><button type="submit" '
                      r'aria-label="Revoke the token feeder', page).group(1)
    answer = post(admin, "/admin/tokens/revoke", id=ident, lang="en")
    assert answer.status_code == 200
    assert t("admin.tokens.revoked", "en", name="feeder") in text(answer)
    assert api.get("/live", headers=bearer).status_code == 401
    audit = text(admin.get(f"/admin/audit?entity=token&key={ident}"))
    assert "token.create" in audit and "token.revoke" in audit and "user:" in audit


# --- audit log --------------------------------------------------------------------------------

def test_the_audit_log_shows_a_failed_login_and_filters_by_action(site, admin):
    answer = site.app.server.test_client().post(
        "/login", data={"username": "mallory", "password": "not-the-password"}, headers=ORIGIN)
    assert answer.status_code == 401
    page = text(admin.get("/admin/audit?action=login.&lang=en"))
    rows = re.findall(r"<tr><td>.*?</tr>", page)
    assert rows
    actions = [re.findall(r"<td>(.*?)</td>", row)[2] for row in rows]
    assert all(a.startswith("login.") for a in actions)
    assert "login.failed" in actions and "login.ok" in actions
    failed = next(row for row in rows if "login.failed" in row and "mallory" in row)
    assert "127.0.0.1" in failed  # the address column
    page = text(admin.get("/admin/audit?action=login.failed&actor=mallory"))
    assert "mallory" in page and "login.ok" not in page
    nothing = text(admin.get("/admin/audit?action=no.such.&lang=en"))
    assert t("admin.audit.none", "en") in nothing


def test_the_audit_log_is_paged_newest_first(site, admin):
    from gridwatch.auth.audit import audit_access
    from gridwatch.auth.policy import system

    for n in range(120):
        audit_access(site.source.writer, system(), "export", "export", f"paging-{n}",
                     detail={"n": n, "note": "x" * 100})
    first = text(admin.get("/admin/audit?lang=en"))
    assert len(re.findall(r"<tr><td>", first)) == 100
    assert "paging-119" in first and "paging-19<" not in first
    assert "<details>" in first  # a long before/after folded away
    assert t("admin.audit.older", "en") in first and t("admin.audit.newer", "en") not in first
    page_two = text(admin.get("/admin/audit?page=2&lang=en"))
    assert t("admin.audit.newer", "en") in page_two and "paging-19<" in page_two
    filtered = text(admin.get("/admin/audit?action=export&actor=system&page=2&lang=en"))
    assert len(re.findall(r"<tr><td>", filtered)) == 20
    assert "actor=system" in filtered  # the pager keeps the filters
    times = re.findall(r"<tr><td>([^<]+)</td>", first + page_two)
    assert times == sorted(times, reverse=True)
    assert admin.get("/admin/audit?page=abc").status_code == 200
    last = admin.get("/admin/audit?page=99999&lang=en")
    assert last.status_code == 200 and t("admin.audit.newer", "en") in text(last)
    assert admin.get(f"/admin/audit?page={10 ** 30}").status_code == 200
