"""A new region through ``POST /upload/boundaries`` (the ``/data`` page's choice): the same
shared ingest code as ``import-boundaries --new-region`` (``import_boundaries(new_region=True)``,
``create_region``), the same refusals, in both languages; only an admin; a refusal changes
nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app import create_app
from gridwatch.auth.policy import Scope
from gridwatch.auth.tokens import create_token
from gridwatch.ingest.boundary_versions import HISTORY_TABLES, history_rows, list_versions
from gridwatch.store.db import data_version
from tests.conftest import signed_in_client
from tests.unit.test_new_region import moved

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "a-known-password-1"
LAYERS = ("county", "townships", "villages", "grids", "checkpoints")


@pytest.fixture(scope="module")
def donghai(region, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("donghai-upload") / "donghai.gpkg"
    for name in LAYERS:
        moved(region, name).to_file(path, layer=name, driver="GPKG")
    return path.read_bytes()


@pytest.fixture(autouse=True)
def _spooled(spool):
    """Every test here looks into the route's temporary folders (``spool``, tests/conftest.py)."""
    return spool


def admin(source, name="boss", role="admin"):
    app = create_app(source.settings)
    scope = Scope("township", frozenset({"330824001"})) if role == "operator" else None
    return app, signed_in_client(app, source.writer, name, role, scope, PASSWORD)


def post(client, data: bytes, query: str = "?view=1", **fields):
    body = dict(fields)
    body["file"] = [(io.BytesIO(data), "donghai.gpkg")]
    return client.post(f"/upload/boundaries{query}", data=body, headers=ORIGIN,
                       content_type="multipart/form-data")


def state(source) -> tuple:
    with source.engine.connect() as conn:
        rows = history_rows(conn)
    return data_version(source.engine), len(list_versions(source.engine)), rows


def region_api(app, source) -> dict:
    _id, token = create_token(source.writer, "region-check", "analyst")
    answer = app.server.test_client().get("/api/v1/region",
                                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.data
    return answer.json


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_new_region_on_a_store_with_history_is_refused_without_the_checkbox(
        fresh_source, donghai, lang):
    app, client = admin(fresh_source)
    before = state(fresh_source)
    assert before[2]  # the demo store has history
    checked = post(client, donghai, dry_run="1", new_region="1", lang=lang)
    assert checked.status_code == 200 and checked.json["report"]["ok"] is True
    said = str(checked.json["view"]["result"])  # said before Activate is pressed
    assert ("tick “Replace the history (archived first)”" if lang == "en"
            else "请勾选“替换历史记录（先归档）”") in said and "risk_assessments" in said
    answer = post(client, donghai, activate="1", new_region="1", lang=lang)
    assert answer.status_code == 400, answer.data
    body = answer.json
    assert [e["key"] for e in body["errors"]] == ["boundary.history_in_store_page"]
    message = body["errors"][0]["message"]
    if lang == "en":
        assert "a store holds one region's history" in message
        assert "Replace the history (archived first)" in message
    else:
        assert "一个数据库只保存一个区域的历史" in message and "替换历史记录（先归档）" in message
    assert body["activated"] is False and body["version_id"] is None
    assert body["report"]["ok"] is True  # the files themselves are fine
    assert message in str(body["view"]["result"])
    assert state(fresh_source) == before  # nothing changed
    assert region_api(app, fresh_source)["name_en"] == "Kaihua County"


def test_the_same_files_without_a_new_region_are_refused_by_the_nearness_guard(
        fresh_source, donghai):
    _app, client = admin(fresh_source)
    before = state(fresh_source)
    answer = post(client, donghai, activate="1", lang="en")
    assert answer.status_code == 400
    assert "a county elsewhere is a new region" in str(answer.json["errors"])
    assert state(fresh_source) == before


@pytest.mark.parametrize("fields, key", [
    ({"replace_history": "1"}, "boundary.replace_needs_new_region"),
    ({"name_zh": "东海县"}, "boundary.names_need_new_region"),
    ({"new_region": "1", "name_en": "x" * 61}, "boundary.bad_region_name"),
    ({"new_region": "maybe"}, "boundary.bad_flag"),
])
def test_fields_that_do_not_go_together_are_refused_in_both_languages(
        fresh_source, donghai, fields, key):
    _app, client = admin(fresh_source)
    before = state(fresh_source)
    messages = set()
    for lang in ("en", "zh"):
        answer = post(client, donghai, query=f"?view=1&lang={lang}", activate="1", **fields)
        assert answer.status_code == 400, answer.data
        [error] = answer.json["errors"]
        assert error["key"] == key and error["message"]
        messages.add(error["message"])
    assert len(messages) == 2
    assert state(fresh_source) == before


@pytest.mark.parametrize("role", ["viewer", "analyst", "operator"])
def test_only_an_admin_may_make_a_new_region(fresh_source, donghai, role):
    _app, client = admin(fresh_source, name=f"not-{role}", role=role)
    before = state(fresh_source)
    answer = post(client, donghai, activate="1", new_region="1", replace_history="1")
    assert answer.status_code == 403
    assert answer.json["errors"][0]["key"] == "ingest.request.not_permitted"
    assert state(fresh_source) == before


def test_a_new_region_is_accepted_on_an_empty_store_and_named_in_the_api(
        empty_source, donghai):
    app, client = admin(empty_source)
    checked = post(client, donghai, dry_run="1", new_region="1", name_zh="东海区",
                   name_en="Donghai District")
    assert checked.status_code == 200 and checked.json["report"]["ok"] is True
    assert checked.json["view"]["result"] is None  # no history: nothing to warn of
    assert list_versions(empty_source.engine) == []  # a dry run keeps nothing

    answer = post(client, donghai, activate="1", new_region="1", name_zh="东海区",
                  name_en="Donghai District")
    assert answer.status_code == 200, answer.data
    body = answer.json
    assert body["activated"] is True and body["status"] == "active"
    assert "Donghai District" in str(body["view"]["result"])
    [row] = list_versions(empty_source.engine)
    assert row["id"] == body["version_id"] and row["status"] == "active"
    named = region_api(app, empty_source)
    assert (named["code"], named["name_zh"], named["name_en"]) == \
        ("339999", "东海区", "Donghai District")
    assert named["synthetic"] is False and named["bounds"]["west"] > 121


def test_replacing_the_history_archives_it_first_then_the_new_region_is_in_force(
        fresh_source, donghai):
    app, client = admin(fresh_source)
    answer = post(client, donghai, activate="1", new_region="1", replace_history="1",
                  lang="zh")
    assert answer.status_code == 200, answer.data
    result = str(answer.json["view"]["result"])
    assert "新区域 东海县 / Donghai County" in result and "旧历史记录已归档" in result
    with fresh_source.engine.connect() as conn:
        assert history_rows(conn) == {}
        for model in HISTORY_TABLES:
            assert conn.execute(select(func.count()).select_from(model)).scalar() == 0
    db = fresh_source.settings.database_url
    if db.startswith("sqlite"):
        from gridwatch.store.backup import _sqlite_path

        store = _sqlite_path(db)
        assert list(store.parent.glob(f"{store.name}.archive-*.sqlite"))
    assert region_api(app, fresh_source)["name_en"] == "Donghai County"
