"""Every route and every callback is guarded on the server, and each role sees what it may.

The routes and callbacks are enumerated from the running app (Flask's URL map, Dash's
callback map), so one added later is checked without anyone remembering to.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import shutil
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from app import create_app
from callbacks import REQUIRES
from gridwatch.auth.accounts import create_user
from gridwatch.auth.policy import ACTIONS, Scope
from gridwatch.auth.policy import system as system_principal
from gridwatch.auth.sessions import create_kiosk
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from tests.conftest import GEO_PATH
from web.auth import PUBLIC_ENDPOINTS, PUBLIC_PATHS

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "trust-tests-password"
TOWNSHIP = "330824001"


@dataclass
class Site:
    app: object
    source: DataSource
    names: itertools.count
    last: str = ""

    def client(self, role: str | None = None, scope: Scope | None = None) -> FlaskClient:
        """A browser: anonymous, or signed in as a new user with ``role``."""
        client = self.app.server.test_client()
        if role is None:
            return client
        name = self.last = f"{role}-{next(self.names)}"
        if role == "operator" and scope is None:
            scope = Scope("township", frozenset({TOWNSHIP}))
        create_user(self.source.writer, name, role, scope, password=PASSWORD)
        answer = client.post("/login", data={"username": name, "password": PASSWORD},
                             headers=ORIGIN)
        assert answer.status_code == 303, answer.data
        return client

    def kiosk(self) -> FlaskClient:
        client = self.app.server.test_client()
        _info, secret = create_kiosk(self.source.writer, f"wall-{next(self.names)}")
        assert client.get(f"/kiosk/{secret}").status_code == 303
        return client


@pytest.fixture(scope="module")
def site(seeded_db, tmp_path_factory) -> Site:
    path = tmp_path_factory.mktemp("trust") / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH)
    return Site(create_app(settings), DataSource(settings), itertools.count(1))


# --- enumerating what the server answers ----------------------------------------------------

SAMPLES = {"path": "wall", "secret": "gwk_unknown", "name": "townships", "digest": "0",
           "code": "X", "export_id": "000000000000", "kind": "csv", "_rest": "nope",
           "filename": "style.css", "package_name": "dash",
           "fingerprinted_path": "dash_renderer/dash_renderer.v4_4_1m1.min.js"}


def routes(app) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, sample URL) the Flask server answers."""
    out = []
    for rule in app.server.url_map.iter_rules():
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url))
    return out


def server_callbacks(app) -> list[str]:
    """The keys of the callbacks that run on the server (clientside ones run in the page)."""
    return [key for key, spec in app.callback_map.items() if "callback" in spec]


def callback_name(app, key: str) -> str:
    return app.callback_map[key]["callback"].__wrapped__.__name__


def payload(app, key: str, value=None) -> dict:
    """The body the browser posts to run callback ``key``, every input set to ``value``."""
    spec = app.callback_map[key]
    outputs = [{"id": str(o.component_id), "property": o.component_property.split("@")[0]}
               for o in spec["output"]] if isinstance(spec["output"], list) else {
        "id": str(spec["output"].component_id),
        "property": spec["output"].component_property.split("@")[0]}
    inputs = [{"id": str(i["id"]), "property": i["property"], "value": value}
              for i in spec["inputs"]]
    state = [{"id": str(s["id"]), "property": s["property"], "value": value}
             for s in spec["state"]]
    return {"output": key, "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else []}


def run(client: FlaskClient, app, key: str, value=None):
    return client.post("/_dash-update-component", json=payload(app, key, value), headers=ORIGIN)


def test_the_enumeration_sees_every_route_and_callback(site):
    endpoints = {endpoint for endpoint, _m, _u in routes(site.app)}
    assert {"auth.login", "api.lead", "exports.export", "geo.geometry", "/_dash-layout",
            "/_dash-update-component", "/<path:path>", "_dash_assets.static"} <= endpoints
    names = {callback_name(site.app, key) for key in server_callbacks(site.app)}
    assert names == set(REQUIRES), "every bound callback has its right, and only those"
    assert set(REQUIRES.values()) <= set(ACTIONS)


def test_without_a_session_only_the_public_routes_answer(site):
    client = site.client()
    for endpoint, method, url in routes(site.app):
        answer = client.open(url, method=method, headers=ORIGIN)
        if endpoint in PUBLIC_ENDPOINTS or url in PUBLIC_PATHS:
            assert answer.status_code < 500, (endpoint, url, answer.status_code)
            continue
        assert answer.status_code == 401, (endpoint, method, url, answer.status_code)
    for path in PUBLIC_PATHS - {"/favicon.ico"}:
        assert client.get(path).status_code == 200, path


def test_a_browser_without_a_session_is_sent_to_the_login_page(site):
    client = site.client()
    for url in ("/", "/wall?lang=en", "/data", "/export/csv?colour=red"):
        answer = client.get(url, headers={"Accept": "text/html"})
        assert answer.status_code == 302, url
        assert answer.headers["Location"] == ("/login" if url == "/" else
                                              "/login?" + urlencode({"next": url}))
    form = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in form and 'name="password"' in form and "<script" not in form


def test_health_says_only_that_it_is_up(site):
    assert set(site.client().get("/healthz").json) == {"status", "data_version"}


def test_without_a_session_no_callback_runs(site):
    client = site.client()
    for key in server_callbacks(site.app):
        assert run(client, site.app, key).status_code == 401, callback_name(site.app, key)


@pytest.mark.parametrize("role", ["kiosk", "viewer", "analyst", "operator", "admin"])
def test_each_callback_asks_for_its_right(site, role):
    from gridwatch.auth.policy import KIOSK_ACTIONS

    client = site.kiosk() if role == "kiosk" else site.client(role)
    granted = KIOSK_ACTIONS if role == "kiosk" else {
        action for action, roles in ACTIONS.items() if role in roles}
    for key in server_callbacks(site.app):
        action = REQUIRES[callback_name(site.app, key)]
        status = run(client, site.app, key).status_code
        if action in granted:
            assert status != 403, (role, key)
        else:
            assert status == 403, (role, key)


HOSTILE = [None, "", "zh'; DROP TABLE users;--", 10 ** 30, -1, 3.5, True, [], [None],
           {"a": [1, {"b": None}]}, "x" * 5000, {"levels": "1", "townships": 5, "as_of": []}]


def test_hostile_callback_inputs_never_answer_500(site):
    """Every callback, every input at once set to hostile values, as an admin (who may run
    them all): a clear refusal or an answer, never a server error."""
    client = site.client("admin")
    failures = []
    for key, value in itertools.product(server_callbacks(site.app), HOSTILE):
        status = run(client, site.app, key, value).status_code
        if status >= 500:
            failures.append(callback_name(site.app, key))
    assert sorted(set(failures)) == []


def test_browser_state_saying_admin_changes_nothing(site):
    """A viewer posting a payload with made-up state (a role, a token) is still a viewer."""
    client = site.client("viewer")
    key = next(k for k in server_callbacks(site.app)
               if callback_name(site.app, k) == "export_links")
    body = payload(site.app, key)
    body["state"] = [*body["state"], {"id": "session", "property": "data",
                                      "value": {"role": "admin"}}]
    answer = client.post("/_dash-update-component", json=body,
                         headers={**ORIGIN, "X-Role": "admin"})
    assert answer.status_code in (400, 403)  # a made-up state item is refused either way
    answer = client.post("/_dash-update-component", json=payload(site.app, key),
                         headers={**ORIGIN, "X-Role": "admin"})
    assert answer.status_code == 403


@pytest.mark.parametrize("body", [None, [], "x", {"output": 5}, {"output": "nope"},
                                  {"output": "..page.children...lang-store.data..",
                                   "inputs": [{"id": "x", "property": "y", "value": 1}],
                                   "outputs": []}])
def test_a_malformed_callback_request_is_refused_not_a_500(site, body):
    answer = site.client("admin").post("/_dash-update-component", json=body, headers=ORIGIN)
    assert answer.status_code == 400


# --- what each role sees --------------------------------------------------------------------

def grid_csv(client: FlaskClient, query: str = "") -> list[dict]:
    answer = client.get(f"/export/csv?{query}")
    assert answer.status_code == 200, answer.data[:200]
    return list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))


def test_exports_suppress_small_household_counts_for_an_analyst(site):
    admin, analyst = site.client("admin"), site.client("analyst")
    full = {r["code"]: r for r in grid_csv(admin)}
    shown = {r["code"]: r for r in grid_csv(analyst)}
    assert full.keys() == shown.keys()
    small = [(c, col) for c, r in full.items() for col in ("home_isolation", "open_leads")
             if r[col].isdigit() and 0 < int(r[col]) < 5]
    assert small, "the demo store has small counts"
    assert all(shown[c][col] == "<5" for c, col in small)
    assert all(shown[c]["population"] == full[c]["population"] for c in full)


def test_an_operator_sees_its_own_townships_in_full(site):
    full = {r["code"]: r for r in grid_csv(site.client("admin"))}
    mine = {r["code"]: r for r in grid_csv(site.client("operator"))}
    for code, row in mine.items():
        if row["township_code"] == TOWNSHIP:
            assert row == full[code]
    assert any(row["township_code"] != TOWNSHIP and row != full[code]
               for code, row in mine.items())


def test_a_recorded_export_is_given_again_only_to_the_same_view(site):
    admin, analyst = site.client("admin"), site.client("analyst")
    made = admin.get("/export/csv?colour=red")
    eid = made.headers["X-Export-Id"]
    assert admin.get(f"/export/id/{eid}").data == made.data
    assert analyst.get(f"/export/id/{eid}").status_code == 403
    theirs = analyst.get("/export/csv?colour=red")
    assert theirs.headers["X-Export-Id"] != eid


def test_viewers_and_kiosks_export_nothing(site):
    for client in (site.client("viewer"), site.kiosk()):
        for kind in ("csv", "geojson", "gpkg", "png", "pdf", "pack"):
            assert client.get(f"/export/{kind}").status_code == 403, kind


def test_a_kiosk_sees_only_the_wall(site):
    kiosk = site.kiosk()
    assert kiosk.get("/", headers={"Accept": "text/html"}).headers["Location"] == "/wall"
    assert kiosk.get("/live").status_code == 200
    assert kiosk.get("/api/v1/grids/33082400100101").status_code == 403
    assert kiosk.get("/account").status_code == 403


def test_exports_and_reads_of_household_data_are_audited(site):
    admin = site.client("admin")
    made = admin.get("/export/csv?colour=orange")
    audit = admin.get("/api/v1/audit?entity=export&key=" + made.headers["X-Export-Id"]).json
    assert audit["items"][0]["action"] == "export"
    assert audit["items"][0]["actor"].startswith("user:")


def test_a_disabled_user_or_a_role_change_takes_effect_at_the_next_request(site):
    from gridwatch.auth.accounts import set_disabled, set_role

    analyst = site.client("analyst")
    name = site.last
    assert analyst.get("/export/csv").status_code == 200
    set_role(site.source.writer, name, "viewer")
    assert analyst.get("/export/csv").status_code == 403
    set_disabled(site.source.writer, name)
    assert analyst.get("/live").status_code == 401
    assert analyst.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_logging_out_ends_the_session_for_good(site):
    client = site.client("viewer")
    assert client.get("/live").status_code == 200
    cookie = client.get_cookie("gw_session").value
    client.get("/logout")
    client.set_cookie("gw_session", cookie)  # the old cookie, replayed
    assert client.get("/live").status_code == 401


def test_the_last_enabled_admin_stays(fresh_source):
    from gridwatch.auth.accounts import AccountError, set_disabled, set_role

    with pytest.raises(AccountError):
        set_disabled(fresh_source.writer, "admin")
    with pytest.raises(AccountError):
        set_role(fresh_source.writer, "admin", "viewer")
    create_user(fresh_source.writer, "deputy", "admin", password=PASSWORD)
    set_role(fresh_source.writer, "admin", "viewer")  # now there is another admin
    with pytest.raises(AccountError):
        set_disabled(fresh_source.writer, "deputy")


def test_the_wall_never_shows_a_leads_text(snap):
    """The wall is a public screen: a lead is shown by its kind and township, never by its
    summary (which names families), whoever is signed in."""
    from gridwatch import leads
    from gridwatch.metrics import attention, cutoff, latest_events
    from layouts.wall import focus_panel, ticker_items

    day = snap.last_day
    events = latest_events(snap, day, limit=200)
    assert (events["kind"] == "lead").sum() > 20
    # as the wall shows them: with their stage and clock (gridwatch.leads.ticker)
    events = leads.ticker(events, snap.leads, cutoff(day), leads.Sla(), limit=200)
    assert events["stage"].notna().sum() > 20
    texts = set(snap.leads["summary_zh"]) | set(snap.leads["summary_en"])
    for lang in ("zh", "en"):
        shown = str(ticker_items(events, lang, snap.region.names("townships", lang)))
        shown += "".join(str(focus_panel(a, snap.region.names("grids", lang), cutoff(day),
                                         lang)) for a in attention(snap, day))
        assert [text for text in texts if text in shown] == []
        assert ("返乡人员" if lang == "zh" else "returnee") in shown


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\t/evil.example",
                                    "/\n/evil.example", "/\\evil.example", "\\\\evil.example",
                                    "evil.example", "/ /evil.example", "/" + "a" * 3000])
def test_after_login_the_browser_never_leaves_the_site(target):
    from web.auth import safe_next

    assert safe_next(target) == "/"
    assert safe_next("/wall?lang=en") == "/wall?lang=en"


def test_a_lockout_answers_alike_for_known_and_unknown_names(fresh_source):
    from gridwatch.auth.accounts import LOCKOUT_FAILURES, log_in

    create_user(fresh_source.writer, "known", "viewer", password=PASSWORD)
    for name in ("known", "nosuchuser"):
        answers = [log_in(fresh_source.writer, name, "wrong-password").locked_until is not None
                   for _ in range(LOCKOUT_FAILURES + 2)]
        assert answers == [False] * (LOCKOUT_FAILURES - 1) + [True] * 3, name


def test_changing_ones_own_password_ends_ones_other_sessions(site):
    first = site.client("analyst")
    name = site.last
    second = site.app.server.test_client()
    second.post("/login", data={"username": name, "password": PASSWORD}, headers=ORIGIN)
    assert second.get("/live").status_code == 200
    answer = first.post("/account", data={"current": PASSWORD, "new": PASSWORD + "-2",
                                           "again": PASSWORD + "-2"}, headers=ORIGIN)
    assert answer.status_code == 200
    assert first.get("/live").status_code == 200  # the session that changed it stays
    assert second.get("/live").status_code == 401


def test_a_viewer_sees_how_many_leads_a_grid_has_not_which(literal):
    from callbacks.detail import show_detail
    from gridwatch.filters import Filters
    from tests.unit.literal import D2, G2

    out = show_detail(literal, chosen={"code": G2}, filters=Filters(as_of=D2).to_dict(),
                      version=None, lang="en", who=system_principal("viewer"))
    text = str(out["panel"])
    assert "<5 leads" in text and "L0003" not in text
