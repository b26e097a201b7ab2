"""Scope applies to writes: through the API with tokens of each role and scope, and through the
``/data`` table upload as the signed-in user (its callbacks called as functions)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from callbacks.table_upload import commit_upload, preview_upload
from gridwatch.auth.policy import Principal, Scope, system
from gridwatch.auth.tokens import create_token
from gridwatch.ingest.batches import KINDS, submit
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places, check_scope
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH

pytestmark = pytest.mark.stores


@dataclass(frozen=True)
class Geo:
    """Places of the shipped region picked for these tests: a township ``town`` with a
    checkpoint, two of its grids in different villages, and a grid and a checkpoint elsewhere."""

    town: str
    village: str
    grid: str  # in ``village``
    sibling: str  # in ``town``, another village
    other_grid: str  # another township
    checkpoint: str  # in ``town``
    other_checkpoint: str  # another township


@pytest.fixture(scope="module")
def geo(region) -> Geo:
    checkpoints = region.checkpoints
    grids = region.grids
    for town in checkpoints["township_code"]:
        mine = grids[grids["township_code"] == town]
        if mine["village_code"].nunique() >= 2:
            break
    first = mine.iloc[0]
    sibling = mine[mine["village_code"] != first["village_code"]].iloc[0]
    return Geo(town=town, village=first["village_code"], grid=first["code"],
               sibling=sibling["code"],
               other_grid=grids[grids["township_code"] != town].iloc[0]["code"],
               checkpoint=checkpoints[checkpoints["township_code"] == town].iloc[0]["code"],
               other_checkpoint=checkpoints[checkpoints["township_code"] != town]
               .iloc[0]["code"])


@dataclass
class Api:
    client: FlaskClient
    source: DataSource

    def token(self, role: str, scope: Scope | None = None) -> str:
        name = f"{role}-{scope or 'county'}"[:64]
        return create_token(self.source.engine, name, role,
                            scope or Scope.of(county=True))[1]

    def post(self, token: str, kind: str, items, key: str | None = None):
        headers = {"Authorization": f"Bearer {token}",
                   **({"Idempotency-Key": key} if key else {})}
        return self.client.post(f"/api/v1/{kind}", json={"items": items}, headers=headers)

    def count(self, model) -> int:
        with self.source.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar()

    def version(self) -> int:
        return data_version(self.source.engine)


@pytest.fixture(scope="module")
def api(stores) -> Api:
    settings = Settings(database_url=stores.seeded("scope"), geo_path=GEO_PATH)
    return Api(create_app(settings).server.test_client(), DataSource(settings))


def risk(grid: str, at: str, source: str, colour: str = "orange") -> dict:
    return {"grid_code": grid, "colour": colour, "observed_at": at, "source": source}


def count(checkpoint: str, hour: str) -> dict:
    return {"checkpoint_code": checkpoint, "hour_start": hour, "vehicles": 3, "people": 5,
            "qr_registrations": 2, "flagged": 0}


def refused_whole(api: Api, response, model, before: tuple[int, int]) -> list[tuple]:
    """Assert a 403 that wrote nothing; return its (row, field) pairs."""
    assert response.status_code == 403, response.json
    assert (api.count(model), api.version()) == before
    return [(e["row"], e["field"]) for e in response.json["errors"]]


# --- the API ------------------------------------------------------------------------------------

def test_a_township_operator_writes_its_townships_grids_and_nothing_else(api, geo):
    token = api.token("operator", Scope.of(townships=[geo.town]))
    at = "2020-02-20T09:00:00+08:00"
    ok = api.post(token, "risk-assessments", [risk(geo.grid, at, "town-op"),
                                              risk(geo.sibling, at, "town-op")])
    assert ok.status_code == 200 and ok.json["applied"] == 2
    before = (api.count(m.RiskAssessment), api.version())
    mixed = api.post(token, "risk-assessments", [risk(geo.grid, at, "town-op-2"),
                                                 risk(geo.other_grid, at, "town-op-2")])
    assert refused_whole(api, mixed, m.RiskAssessment, before) == [(1, "grid_code")]
    reason = mixed.json["errors"][0]["reason"]
    assert reason == f"grid {geo.other_grid} is outside the scope of this account or token"
    zh = api.client.post("/api/v1/risk-assessments",
                         json={"items": [risk(geo.other_grid, at, "town-op-2")]},
                         headers={"Authorization": f"Bearer {token}",
                                  "Accept-Language": "zh-CN"})
    assert zh.status_code == 403
    assert zh.json["errors"][0]["reason"] == f"网格 {geo.other_grid} 不在当前账户或令牌的管辖范围内"


def test_a_village_operator_writes_its_villages_grids_only(api, geo):
    token = api.token("operator", Scope.of(villages=[geo.village]))
    at = "2020-02-20T10:00:00+08:00"
    assert api.post(token, "risk-assessments", [risk(geo.grid, at, "village-op")])\
        .status_code == 200
    before = (api.count(m.RiskAssessment), api.version())
    # A grid of the same township but another village is outside, as is one elsewhere.
    mixed = api.post(token, "risk-assessments", [risk(geo.sibling, at, "village-op-2"),
                                                 risk(geo.grid, at, "village-op-2"),
                                                 risk(geo.other_grid, at, "village-op-2")])
    assert refused_whole(api, mixed, m.RiskAssessment, before) == [(0, "grid_code"),
                                                                   (2, "grid_code")]
    # A checkpoint lies in no village: a village scope never covers one.
    before = (api.count(m.CheckpointCount), api.version())
    refused = api.post(token, "checkpoint-counts",
                       [count(geo.checkpoint, "2020-03-05T10:00:00+08:00")])
    assert refused_whole(api, refused, m.CheckpointCount, before) == [(0, "checkpoint_code")]


def test_checkpoint_counts_lie_in_the_checkpoints_township(api, geo):
    token = api.token("operator", Scope.of(townships=[geo.town]))
    hour = "2020-03-05T08:00:00+08:00"
    assert api.post(token, "checkpoint-counts", [count(geo.checkpoint, hour)]).status_code == 200
    before = (api.count(m.CheckpointCount), api.version())
    mixed = api.post(token, "checkpoint-counts", [count(geo.other_checkpoint, hour),
                                                  count(geo.checkpoint,
                                                        "2020-03-05T09:00:00+08:00")])
    assert refused_whole(api, mixed, m.CheckpointCount, before) == [(0, "checkpoint_code")]
    assert geo.other_checkpoint in mixed.json["errors"][0]["reason"]


def test_county_wide_rows_need_the_county_scope(api, geo):
    town_op = api.token("operator", Scope.of(townships=[geo.town]))
    village_op = api.token("operator", Scope.of(villages=[geo.village]))
    level = {"township_code": geo.town, "level": 2, "effective_at":
             "2020-02-22T08:00:00+08:00", "source": "scope-test"}
    directive = {"kind": "notice", "number": 901, "title_zh": "通告", "title_en": "Notice",
                 "issued_at": "2020-02-22T08:00:00+08:00"}
    task = {"code": "TS901", "title_zh": "任务", "title_en": "Task", "scope": "county",
            "issued_at": "2020-02-22T08:00:00+08:00", "due_at": "2020-02-23T08:00:00+08:00"}
    cases = [("control-levels", level, m.ControlLevelChange, "township_code", geo.town),
             ("directives", directive, m.Directive, "number", "notice/901"),
             ("tasks", task, m.Task, "code", "TS901")]
    for token in (town_op, village_op):
        for kind, row, model, name, code in cases:
            before = (api.count(model), api.version())
            response = api.post(token, kind, [row])
            # Even a township's own control level: only the county sets levels.
            assert refused_whole(api, response, model, before) == [(0, name)], kind
            assert response.json["errors"][0]["reason"].endswith(
                f"{code}: only an account or token for the whole county may write this")
    county_op = api.token("operator")
    for kind, row, _model, _name, _code in cases:
        assert api.post(county_op, kind, [row]).status_code == 200, kind


def test_task_assignments_events_and_lead_stages_lie_in_their_grid(api, geo):
    county_op, town_op = api.token("operator"), api.token("operator",
                                                           Scope.of(townships=[geo.town]))
    task = {"code": "TS902", "title_zh": "任务", "title_en": "Task", "scope": "grids",
            "issued_at": "2020-02-22T08:00:00+08:00", "due_at": "2020-02-25T08:00:00+08:00"}
    assert api.post(county_op, "tasks", [task]).status_code == 200
    assert api.post(county_op, "task-assignments", [{"task_code": "TS902",
                                                     "grid_code": geo.other_grid}])\
        .status_code == 200
    assert api.post(town_op, "task-assignments", [{"task_code": "TS902",
                                                   "grid_code": geo.grid}]).status_code == 200
    before = (api.count(m.TaskAssignment), api.version())
    refused = api.post(town_op, "task-assignments", [{"task_code": "TS902",
                                                      "grid_code": geo.sibling},
                                                     {"task_code": "TS902",
                                                      "grid_code": geo.other_grid}])
    assert refused_whole(api, refused, m.TaskAssignment, before) == [(1, "grid_code")]
    event = {"task_code": "TS902", "event": "handed_off", "at": "2020-02-22T09:00:00+08:00"}
    assert api.post(town_op, "task-events", [{**event, "grid_code": geo.grid}])\
        .status_code == 200
    before = (api.count(m.TaskAssignment), api.version())
    assert refused_whole(api, api.post(town_op, "task-events",
                                       [{**event, "grid_code": geo.other_grid}]),
                         m.TaskAssignment, before) == [(0, "grid_code")]

    lead = {"code": "LS901", "category": "fever", "summary_zh": "发热",
            "reported_at": "2020-02-22T08:00:00+08:00"}
    assert api.post(town_op, "leads", [{**lead, "grid_code": geo.grid}]).status_code == 200
    before = (api.count(m.Lead), api.version())
    assert refused_whole(api, api.post(town_op, "leads", [{**lead, "code": "LS902",
                                                          "grid_code": geo.other_grid}]),
                         m.Lead, before) == [(0, "grid_code")]
    assert api.post(county_op, "leads", [{**lead, "code": "LS903",
                                          "grid_code": geo.other_grid}]).status_code == 200
    stage = {"stage": "acknowledged", "at": "2020-02-22T08:30:00+08:00"}
    assert api.post(town_op, "lead-stages", [{**stage, "lead_code": "LS901"}])\
        .status_code == 200
    before = (api.count(m.Lead), api.version())
    # A stage change lies in the stored lead's grid.
    refused = api.post(town_op, "lead-stages", [{**stage, "lead_code": "LS903"}])
    assert refused_whole(api, refused, m.Lead, before) == [(0, "lead_code")]
    assert refused.json["errors"][0]["reason"].startswith("lead LS903 is outside")
    with api.source.engine.connect() as conn:
        assert conn.execute(select(m.Lead.acknowledged_at)
                            .where(m.Lead.code == "LS903")).scalar() is None
    # An unknown lead is the applier's to report (422), not a scope question.
    assert api.post(town_op, "lead-stages", [{**stage, "lead_code": "LS999"}])\
        .status_code == 422


SAMPLES = {
    "risk-assessments": {"grid_code": "G", "colour": "red", "observed_at": "x", "source": "s"},
    "control-levels": {"township_code": "T", "level": 2, "effective_at": "x",
                       "source": "s"},
    "checkpoint-counts": {"checkpoint_code": "CP01"},
}


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_may_not_write_anywhere(api, role):
    token = api.token(role)
    before = api.version()
    for kind in KINDS:
        response = api.post(token, kind, [SAMPLES.get(kind, {"code": "X"})])
        assert response.status_code == 403, kind
        assert response.json["errors"][0]["field"] == "Authorization"
    assert api.version() == before


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_a_county_operator_and_an_admin_write_anywhere(api, geo, role):
    token = api.token(role)
    at = "2020-02-23T08:00:00+08:00"
    response = api.post(token, "risk-assessments", [risk(g, at, f"anywhere-{role}") for g in
                                                    (geo.grid, geo.sibling, geo.other_grid)])
    assert response.status_code == 200 and response.json["applied"] == 3
    hour = {"operator": "2020-03-06T08:00:00+08:00", "admin": "2020-03-06T09:00:00+08:00"}[role]
    assert api.post(token, "checkpoint-counts", [count(geo.checkpoint, hour),
                                                 count(geo.other_checkpoint, hour)])\
        .json["applied"] == 2
    level = {"township_code": geo.town, "level": 1, "effective_at": at,
             "source": f"anywhere-{role}"}
    assert api.post(token, "control-levels", [level]).status_code == 200


def test_an_admin_token_scoped_to_a_township_still_writes_anywhere(api, geo):
    token = api.token("admin", Scope.of(townships=[geo.town]))
    assert api.post(token, "risk-assessments",
                    [risk(geo.other_grid, "2020-02-23T10:00:00+08:00", "scoped-admin")])\
        .status_code == 200


def test_idempotency_keys_are_per_writer(api, geo):
    one, two = api.token("operator"), api.token("operator", Scope.of(townships=[geo.town]))
    items = [risk(geo.grid, "2020-02-24T08:00:00+08:00", "idem")]
    assert api.post(one, "risk-assessments", items, key="same-key").json["replayed"] is False
    again = api.post(two, "risk-assessments", items, key="same-key")
    assert again.status_code == 200 and again.json["replayed"] is False  # not the other's answer
    assert again.json["duplicates"] == 1
    # A refused batch keeps no key: the same key may be used again for a batch in scope.
    outside = [risk(geo.other_grid, "2020-02-24T08:00:00+08:00", "idem")]
    assert api.post(two, "risk-assessments", outside, key="key-2").status_code == 403
    assert api.post(two, "risk-assessments", items, key="key-2").json["replayed"] is False


def test_every_kind_says_where_its_rows_lie():
    where = {name: (k.where.what, k.where.field, k.where.county) for name, k in KINDS.items()}
    assert where == {
        "risk-assessments": ("grid", "grid_code", False),
        "control-levels": ("township", "township_code", True),
        "directives": ("directive", "number", True),
        "tasks": ("task", "code", True),
        "task-assignments": ("grid", "grid_code", False),
        "task-events": ("grid", "grid_code", False),
        "checkpoint-counts": ("checkpoint", "checkpoint_code", False),
        "leads": ("grid", "grid_code", False),
        "lead-stages": ("lead", "lead_code", False),
    }


def test_without_the_regions_places_a_narrow_scope_is_refused_not_let_through(region, geo):
    # Outside a request and without ``places``, only a Reference is known: it has no villages.
    rows = [{"grid_code": geo.grid}]
    village_op = system("operator", scope=Scope.of(villages=[geo.village]))
    with pytest.raises(IngestError) as caught:
        check_scope(KINDS["risk-assessments"].where, rows, village_op, None,
                    ref=Reference.from_region(region))
    assert caught.value.status == 403
    check_scope(KINDS["risk-assessments"].where, rows, village_op, Places.of(region))


def test_submit_refuses_a_writer_that_may_not_write(fresh_source, region, geo):
    before = data_version(fresh_source.engine)
    with pytest.raises(IngestError) as caught:
        submit(fresh_source.writer, Reference.from_region(region), "risk-assessments",
               {"items": [risk(geo.grid, "2020-02-24T08:00:00+08:00", "x")]},
               system("analyst"), places=Places.of(region))
    assert caught.value.status == 403
    assert data_version(fresh_source.engine) == before


# --- the table upload ---------------------------------------------------------------------------

HEADER = "grid_code,colour,observed_at,source\n"


def data_url(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def test_an_upload_reports_rows_outside_the_scope_by_file_line_and_writes_nothing(fresh_source,
                                                                                  geo):
    who = system("operator", "town-op", Scope.of(townships=[geo.town]))
    csv = data_url(HEADER + f"{geo.grid},red,2020-02-25T08:00:00+08:00,upload\n"
                   f"{geo.other_grid},red,2020-02-25T08:00:00+08:00,upload\n"
                   f"{geo.sibling},red,2020-02-25T08:00:00+08:00,upload\n"
                   f"{geo.other_grid},blue,2020-02-25T09:00:00+08:00,upload\n")
    shown = preview_upload(fresh_source, contents=csv, kind="risk-assessments",
                           filename="marks.csv", lang="en", who=who)
    assert shown["commit_disabled"] is True
    report = str(shown["report"]).replace("children=", "")
    assert "2 problems found" in report
    outside = f"grid {geo.other_grid} is outside the scope of this account or token"
    assert report.count(outside) == 2
    assert "Td(3)" in report and "Td(5)" in report  # the file's lines (the header is line 1)
    assert "Td(2)" not in report and "Td(4)" not in report
    zh = str(preview_upload(fresh_source, contents=csv, kind="risk-assessments",
                            filename="marks.csv", lang="zh", who=who)["report"])
    assert f"网格 {geo.other_grid} 不在当前账户或令牌的管辖范围内" in zh

    before = (data_version(fresh_source.engine), _risks(fresh_source))
    done = str(commit_upload(fresh_source, clicks=1, kind="risk-assessments",
                             filename="marks.csv", contents=csv, lang="en", who=who)["result"])
    assert "2 problems found" in done and "Nothing was stored" in done
    assert (data_version(fresh_source.engine), _risks(fresh_source)) == before


def test_a_village_scoped_upload_of_checkpoint_counts_is_refused(fresh_source, geo):
    who = Principal("user", "operator", Scope.of(villages=[geo.village]), 7, "village-op")
    csv = data_url("checkpoint_code,hour_start,vehicles,people,qr_registrations,flagged\n"
                   f"{geo.checkpoint},2020-03-07T08:00:00+08:00,1,2,1,0\n")
    shown = preview_upload(fresh_source, contents=csv, kind="checkpoint-counts",
                           filename="c.csv", lang="en", who=who)
    assert shown["commit_disabled"] is True
    assert f"checkpoint {geo.checkpoint} is outside the scope" in str(shown["report"])
    before = data_version(fresh_source.engine)
    done = commit_upload(fresh_source, clicks=1, kind="checkpoint-counts", filename="c.csv",
                         contents=csv, lang="en", who=who)
    assert "Nothing was stored" in str(done["result"])
    assert data_version(fresh_source.engine) == before


def test_an_upload_in_scope_is_written_as_the_signed_in_user(fresh_source, geo):
    who = Principal("user", "operator", Scope.of(townships=[geo.town]), 42, "town-user")
    create_token(fresh_source.writer, "idle")  # a token the user's write must not touch
    csv = data_url(HEADER + f"{geo.grid},red,2020-02-26T08:00:00+08:00,upload\n"
                   f"{geo.sibling},yellow,2020-02-26T08:00:00+08:00,upload\n")
    shown = preview_upload(fresh_source, contents=csv, kind="risk-assessments",
                           filename="marks.csv", lang="en", who=who)
    assert shown["commit_disabled"] is False
    before = _risks(fresh_source)
    done = str(commit_upload(fresh_source, clicks=1, kind="risk-assessments",
                             filename="marks.csv", contents=csv, lang="en", who=who)["result"])
    assert "2 new rows" in done
    assert _risks(fresh_source) == before + 2
    with fresh_source.engine.connect() as conn:
        actors = set(conn.execute(select(m.AuditEntry.actor).where(
            m.AuditEntry.entity_key.in_([geo.grid, geo.sibling]),
            m.AuditEntry.action == "risk.assess",
            m.AuditEntry.actor.like("user:%"))).scalars())
        keys = conn.execute(select(m.IdempotencyKey.actor)).scalars().all()
        used = conn.execute(select(func.count()).select_from(m.ApiToken)
                            .where(m.ApiToken.last_used_at.is_not(None))).scalar()
    assert actors == {"user:42:town-user"}
    assert "user:42:town-user" in keys
    assert used == 0  # a user's write touches no token's last use
    again = commit_upload(fresh_source, clicks=1, kind="risk-assessments",
                          filename="marks.csv", contents=csv, lang="en", who=who)
    assert "already committed" in str(again["result"])


def test_the_upload_page_asks_for_no_token_and_shows_the_boundary_import_to_admins_only():
    from layouts.upload import layout

    operator = str(layout("en", "/data", Settings(), who=system("operator")))
    admin = str(layout("en", "/data", Settings(), who=system("admin")))
    assert "upload-token" not in operator and "upload-token" not in admin
    assert "written as the signed-in account" in operator
    assert "boundary-versions" in admin and "boundary-versions" not in operator


def _risks(source: DataSource) -> int:
    with source.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(m.RiskAssessment)).scalar()
