"""``POST /upload/boundaries`` on the real app: who may, what it answers, what it keeps, the
body cap, hostile bodies and files, and the temporary folder it leaves empty."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from sqlalchemy import select

import web.boundary_upload as route
from app import create_app
from gridwatch.auth.policy import Scope
from gridwatch.auth.tokens import create_token
from gridwatch.geo.layers import load_region
from gridwatch.ingest.boundary_files import export_boundaries
from gridwatch.ingest.boundary_versions import list_versions
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH, signed_in_client

ORIGIN = {"Origin": "http://localhost"}
PASSWORD = "a-known-password-1"
IMPORTED = ("townships", "villages", "grids", "checkpoints")
MiB = 1024 * 1024


def sign_in(app, source: DataSource, name: str, role: str):
    """A test client signed in as a new user ``name`` with ``role``."""
    scope = Scope("township", frozenset({"330824001"})) if role == "operator" else None
    return signed_in_client(app, source.writer, name, role, scope, PASSWORD)


def post(client, files=(), query: str = "", **fields):
    """Post ``files`` ((name, bytes) pairs) and ``fields`` as multipart/form-data."""
    data = {key: value for key, value in fields.items()}
    data["file"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/upload/boundaries{query}", data=data, headers=ORIGIN,
                       content_type="multipart/form-data")


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def region():
    return load_region(GEO_PATH)


@pytest.fixture(scope="module")
def gk_zip(region) -> bytes:
    """The demo boundaries as zipped Shapefiles in CGCS2000 Gauss-Kruger CM 120E: they check
    cleanly (see tests/unit/test_boundaries.py)."""
    return export_boundaries({n: region.layer(n) for n in IMPORTED}, "EPSG:4549")


@pytest.fixture
def site(fresh_source, spool):
    """The real app on a private copy of the demo store, and an admin signed in to it."""
    app = create_app(fresh_source.settings)
    return app, fresh_source, sign_in(app, fresh_source, "boss", "admin")


@pytest.fixture(scope="module")
def small_cap(seeded_db, tmp_path_factory):
    """The app with a 64 KiB upload cap (and an admin), for bodies over it that are sent."""
    import shutil

    path = tmp_path_factory.mktemp("small-cap") / "store.sqlite"
    shutil.copy(seeded_db, path)
    settings = Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH,
                        max_request_bytes=16 * 1024, max_upload_bytes=64 * 1024)
    app = create_app(settings)
    source = DataSource(settings)
    return app, source, sign_in(app, source, "boss", "admin")


# --- who may ----------------------------------------------------------------------------------

def test_anonymous_callers_get_401_and_nothing_is_read(site, gk_zip, spool):
    app, source, _admin = site
    answer = app.server.test_client().post(
        "/upload/boundaries", data={"file": (io.BytesIO(gk_zip), "k.zip"), "activate": "1"},
        headers=ORIGIN, content_type="multipart/form-data")
    assert answer.status_code == 401 and answer.json["error"] == "login_required"
    assert list_versions(source.engine) == []
    assert list(spool.iterdir()) == []


@pytest.mark.parametrize("role", ["viewer", "analyst", "operator"])
def test_anyone_but_an_admin_gets_403_json(site, gk_zip, spool, role):
    app, source, _admin = site
    client = sign_in(app, source, f"{role}-1", role)
    for lang, words in (("en", "may not administer"), ("zh", "无权管理")):
        answer = post(client, [("k.zip", gk_zip)], f"?lang={lang}", activate="1")
        assert answer.status_code == 403
        body = answer.json
        assert body["staged"] is False and body["activated"] is False and body["report"] is None
        assert body["errors"][0]["key"] == "ingest.request.not_permitted"
        assert words in body["errors"][0]["message"]
    assert list_versions(source.engine) == []
    assert list(spool.iterdir()) == []


def test_an_admin_token_may_upload_without_a_cookie(site, gk_zip):
    app, source, _admin = site
    _id, token = create_token(source.writer, "gis-office", "admin")
    answer = app.server.test_client().post(
        "/upload/boundaries", data={"file": (io.BytesIO(gk_zip), "k.zip"), "dry_run": "1"},
        headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")
    assert answer.status_code == 200 and answer.json["report"]["ok"] is True


def test_a_cookie_post_from_another_site_is_refused(site, gk_zip):
    _app, source, admin = site
    answer = admin.post("/upload/boundaries", data={"file": (io.BytesIO(gk_zip), "k.zip")},
                        headers={"Origin": "https://evil.example"},
                        content_type="multipart/form-data")
    assert answer.status_code == 403
    assert list_versions(source.engine) == []


# --- check, keep, activate ----------------------------------------------------------------------

def test_an_admin_checks_keeps_and_activates_with_their_own_name_in_the_audit(site, gk_zip,
                                                                              spool):
    _app, source, admin = site
    before = data_version(source.engine)
    checked = post(admin, [("kaihua-4549.zip", gk_zip)], "?lang=en&view=1", dry_run="1")
    assert checked.status_code == 200, checked.json
    body = checked.json
    assert (body["staged"], body["activated"], body["version_id"]) == (False, False, None)
    report = body["report"]
    assert report["ok"] is True and report["sources"] == ["kaihua-4549.zip"]
    assert report["counts"]["grids"] == 747 and report["counts"]["townships"] == 15
    assert any("EPSG:4549" in issue["message"] for issue in report["issues"])
    view = body["view"]  # what the page hands to its components
    assert view["activate_disabled"] is False and view["result"] is None
    assert "Valid: ready to activate" in json.dumps(view["report"], ensure_ascii=False)
    assert len(view["townships"]["features"]) == 15 and len(view["grids"]["features"]) == 747
    assert list_versions(source.engine) == [] and data_version(source.engine) == before

    kept = post(admin, [("kaihua-4549.zip", gk_zip)])  # neither flag: staged, as the CLI does
    assert kept.status_code == 200 and "view" not in kept.json  # not asked for
    assert (kept.json["staged"], kept.json["activated"], kept.json["status"]) == (
        True, False, "staged")
    assert data_version(source.engine) == before

    done = post(admin, [("kaihua-4549.zip", gk_zip)], "?view=1", activate="1", lang="zh")
    assert done.status_code == 200
    body = done.json
    assert body["activated"] is True and body["version_id"] == kept.json["version_id"]
    assert "已启用边界版本" in json.dumps(body["view"]["result"], ensure_ascii=False)
    assert "校验通过" in json.dumps(body["view"]["report"], ensure_ascii=False)
    [row] = list_versions(source.engine)
    assert row["status"] == "active" and row["created_by"].endswith(":boss")
    assert data_version(source.engine) == before + 1
    with source.engine.connect() as conn:
        actors = conn.execute(select(m.AuditEntry.actor, m.AuditEntry.action)
                              .where(m.AuditEntry.entity == "boundary_version")).all()
    assert {a for a, _ in actors} == {row["created_by"]}
    assert row["created_by"].startswith("user:")
    assert [action for _, action in actors] == ["boundary.stage", "boundary.activate"]
    assert list(spool.iterdir()) == []


def test_the_shipped_geopackage_checks_clean(site):
    # Its neighbours reach beyond the expected area, which context may (issue 13).
    _app, source, admin = site
    answer = post(admin, [("kaihua.gpkg", GEO_PATH.read_bytes())], "?lang=en&view=1",
                  dry_run="1")
    assert answer.status_code == 200, answer.json
    assert answer.json["report"]["ok"] is True and answer.json["staged"] is False
    assert answer.json["view"]["activate_disabled"] is False
    assert list_versions(source.engine) == []


def test_a_layer_far_away_is_refused_with_the_reason_in_the_request_language(site, region,
                                                                            tmp_path):
    _app, source, admin = site
    gpkg = tmp_path / "far.gpkg"
    for name in IMPORTED:
        frame = region.layer(name)
        if name == "checkpoints":
            frame = frame.assign(geometry=frame.translate(xoff=5))
        frame.to_file(gpkg, layer=name, driver="GPKG")
    data = gpkg.read_bytes()
    for lang, words in (("en", "does not lie within 50 km of Kaihua County"),
                        ("zh", "不在开化县附近")):
        answer = post(admin, [("far.gpkg", data)], f"?lang={lang}&view=1", dry_run="1")
        assert answer.status_code == 400
        body = answer.json
        [error] = body["errors"]
        assert error["key"] == "boundary.outside_far" and words in error["message"]
        assert body["report"] is None and body["staged"] is False
        assert body["view"]["activate_disabled"] is True
        assert words in json.dumps(body["view"]["report"], ensure_ascii=False)
    assert list_versions(source.engine) == []


def test_an_import_with_errors_is_reported_and_not_kept(site, region, tmp_path):
    _app, source, admin = site
    gpkg = tmp_path / "b.gpkg"
    for name in ("townships", "villages", "grids"):  # no checkpoints: an error in the report
        region.layer(name).to_file(gpkg, layer=name, driver="GPKG")
    data = gpkg.read_bytes()
    checked = post(admin, [("b.gpkg", data)], "?lang=en&view=1", dry_run="1")
    assert checked.status_code == 200
    assert checked.json["report"]["ok"] is False and checked.json["view"]["activate_disabled"]
    refused = post(admin, [("b.gpkg", data)], "?lang=en&view=1", activate="1")
    assert refused.status_code == 400
    assert refused.json["errors"][0]["key"] == "boundary.not_valid"
    assert "Not activated:" in json.dumps(refused.json["view"]["result"])
    assert refused.json["report"]["errors"] >= 1
    assert list_versions(source.engine) == []


def test_layer_files_name_the_layer_of_single_layer_files(site, region):
    _app, source, admin = site
    files = [(f"part{i}.geojson", region.layer(name).to_json().encode())
             for i, name in enumerate(IMPORTED)]
    naming = [f"{name}=part{i}.geojson" for i, name in enumerate(IMPORTED)]
    unnamed = post(admin, files, "?lang=en", dry_run="1")
    assert unnamed.status_code == 400
    assert unnamed.json["errors"][0]["key"] == "boundary.unknown_layer"
    named = post(admin, files, "?lang=en", dry_run="1", layer_files=naming)
    assert named.status_code == 200, named.json
    assert named.json["report"]["ok"] is True
    for bad, key in ((["streets=part0.geojson"], "boundary.bad_layer_files"),
                     (["part0.geojson"], "boundary.bad_layer_files"),
                     (["grids=other.geojson"], "boundary.layer_file_unknown")):
        answer = post(admin, files, "?lang=en", dry_run="1", layer_files=bad)
        assert answer.status_code == 400 and answer.json["errors"][0]["key"] == key
    assert list_versions(source.engine) == []


# --- refusals of the form -----------------------------------------------------------------------

def test_a_body_over_the_cap_is_refused_413_before_it_is_read(site):
    _app, source, admin = site
    cap = source.settings.max_upload_bytes

    class Unread(io.RawIOBase):
        """A body that fails the test if anything reads it."""

        def seekable(self):
            return True

        def seek(self, *_args):
            return 0

        def tell(self):
            return 0

        def read(self, *_args):
            raise AssertionError("the body was read")

        readinto = readline = read

    for lang, words in (("en", "larger than 100 MiB in all"), ("zh", "合计超过 100 MiB")):
        answer = admin.post(f"/upload/boundaries?lang={lang}&view=1", headers=ORIGIN,
                            input_stream=Unread(),
                            content_type="multipart/form-data; boundary=x",
                            environ_overrides={"CONTENT_LENGTH": str(cap + 1)})
        assert answer.status_code == 413 and answer.mimetype == "application/json"
        [error] = answer.json["errors"]
        assert error["key"] == "boundary.over_limit" and words in error["message"]
        assert answer.json["view"]["activate_disabled"] is True
    assert list_versions(source.engine) == []


def test_a_body_over_the_cap_without_its_length_is_cut_off(small_cap, spool):
    _app, _source, admin = small_cap
    body = (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.zip\"\r\n"
            b"Content-Type: application/zip\r\n\r\n" + b"\0" * (200 * 1024) + b"\r\n--x--\r\n")
    sent = admin.post("/upload/boundaries?lang=en", headers=ORIGIN, data=body,
                      content_type="multipart/form-data; boundary=x")
    assert sent.status_code == 413 and "64 KiB" in sent.json["errors"][0]["message"]
    chunked = admin.post("/upload/boundaries?lang=en", headers=ORIGIN,
                         input_stream=io.BytesIO(body),
                         content_type="multipart/form-data; boundary=x",
                         environ_overrides={"wsgi.input_terminated": True,  # no length:
                                            "HTTP_TRANSFER_ENCODING": "chunked"})
    assert chunked.status_code == 413 and chunked.json["errors"][0]["key"] == "boundary.over_limit"
    assert list(spool.iterdir()) == []


def test_a_body_that_is_not_multipart_is_400(site):
    _app, _source, admin = site
    for kwargs in ({"json": {"file": "k.zip"}},
                   {"data": {"file": "k.zip"}},  # application/x-www-form-urlencoded
                   {"data": b"PK\x03\x04", "content_type": "application/zip"}):
        answer = admin.post("/upload/boundaries?lang=en", headers=ORIGIN, **kwargs)
        assert answer.status_code == 400, kwargs
        assert answer.json["errors"][0]["key"] == "boundary.not_multipart"


@pytest.mark.parametrize(("body", "content_type"), [
    (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.zip\"\r\n\r\nPK",
     "multipart/form-data; boundary=x"),  # cut off before its end
    (b"no parts at all", "multipart/form-data"),  # no boundary
    (b"--y\r\nnot a header\r\n\r\nx\r\n--y--\r\n", "multipart/form-data; boundary=y"),
])
def test_a_broken_form_is_400_with_a_message(site, spool, body, content_type):
    _app, _source, admin = site
    answer = admin.post("/upload/boundaries?lang=zh", headers=ORIGIN, data=body,
                        content_type=content_type)
    assert answer.status_code == 400
    [error] = answer.json["errors"]
    assert error["key"] in ("boundary.bad_form", "boundary.no_files")
    assert error["message"] and "Traceback" not in answer.get_data(as_text=True)
    assert list(spool.iterdir()) == []


def test_hostile_files_are_400_with_the_message(site, spool):
    _app, source, admin = site
    bomb = zipped({"checkpoints.shp": b"\0" * (60 * MiB)})
    cases = [
        ("k.zip", bomb, "ingest.zip.bomb", "expands far beyond its size (a zip bomb?)"),
        ("k.zip", zipped({"../x.shp": b"x"}), None, "points outside the archive"),
        ("k.gpkg", b"garbage, not a database", "boundary.not_what_it_says", "is named .gpkg"),
        ("k.exe", b"MZ\x90\x00", "boundary.unsupported_type", "cannot be imported"),
        ("checkpoints.geojson", b'{"type": "FeatureCollection", "features": [NaN]}', None,
         "NaN is not a number JSON allows"),
        ("k.zip", b"", "boundary.empty_file", "is empty"),
    ]
    for name, data, key, words in cases:
        answer = post(admin, [(name, data)], "?lang=en&view=1", dry_run="1")
        assert answer.status_code == 400, (name, answer.json)
        [error] = answer.json["errors"]
        assert words in error["message"], (name, error)
        assert key is None or error["key"] == key, (name, error)
        assert words in json.dumps(answer.json["view"]["report"])
    assert list_versions(source.engine) == []
    assert list(spool.iterdir()) == []


def test_no_file_too_many_files_and_contradictory_flags_are_400(site):
    _app, _source, admin = site
    empty = admin.post("/upload/boundaries?lang=en", headers=ORIGIN,
                       data={"file": (io.BytesIO(b""), ""), "dry_run": "1"},
                       content_type="multipart/form-data")  # an empty file input's part
    assert empty.status_code == 400
    assert empty.json["errors"][0]["key"] == "boundary.no_files"
    many = post(admin, [(f"f{i}.zip", b"PK\x05\x06" + b"\0" * 18) for i in range(21)],
                "?lang=en", dry_run="1")
    assert many.status_code == 400
    assert many.json["errors"][0]["key"] == "ingest.upload.too_many_files"
    both = post(admin, [("k.zip", b"PK")], "?lang=en", dry_run="1", activate="1")
    assert both.status_code == 400 and both.json["errors"][0]["key"] == "boundary.both_modes"
    odd = post(admin, [("k.zip", b"PK")], "?lang=en", activate="please")
    assert odd.status_code == 400 and odd.json["errors"][0]["key"] == "boundary.bad_flag"
    parts = admin.post("/upload/boundaries?lang=en", headers=ORIGIN,
                       data={"layer_files": [f"grids=f{i}" for i in range(200)]},
                       content_type="multipart/form-data")
    assert parts.status_code == 413  # more parts than any upload needs


# --- never a traceback, never a file left behind -----------------------------------------------

def test_an_unexpected_failure_is_a_logged_500_without_a_traceback(site, gk_zip, spool,
                                                                   monkeypatch, caplog):
    _app, source, admin = site

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(route, "import_boundaries", boom)
    with caplog.at_level(logging.ERROR, logger="web.boundary_upload"):
        answer = post(admin, [("k.zip", gk_zip)], "?lang=en&view=1", activate="1")
    assert answer.status_code == 500 and answer.mimetype == "application/json"
    text = answer.get_data(as_text=True)
    assert "secret detail" not in text and "Traceback" not in text
    error_id = answer.headers["X-Error-Id"]
    [error] = answer.json["errors"]
    assert error["key"] == "boundary.failed" and error_id in error["message"]
    assert "Not activated:" in json.dumps(answer.json["view"]["result"])
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info and "secret detail" in str(record.exc_info[1])
    assert list_versions(source.engine) == []
    assert list(spool.iterdir()) == []


def test_the_files_are_spooled_to_a_private_folder_that_is_removed(site, gk_zip, spool,
                                                                   monkeypatch):
    from flask import request

    _app, source, admin = site
    seen, caps = [], []
    real = route.import_boundaries

    def watching(files, *args, **kwargs):
        [folder] = list(spool.iterdir())
        seen.append(sorted(p.name for p in folder.iterdir()))
        caps.append(request.max_content_length)
        return real(files, *args, **kwargs)

    monkeypatch.setattr(route, "import_boundaries", watching)
    answer = post(admin, [("../../etc/kaihua-4549.zip", gk_zip), ("x.zip", b"PK\x05\x06")],
                  "?lang=en", dry_run="1")
    assert answer.status_code == 400  # the second file holds no Shapefile
    assert seen == [["part-000", "part-001"]]  # numbered parts, never the names sent
    assert caps == [source.settings.max_upload_bytes]  # web.security's LARGE_BODY_PATHS cap
    assert source.settings.max_upload_bytes > source.settings.max_request_bytes
    assert list(spool.iterdir()) == []
    ok = post(admin, [("/home/gis/kaihua-4549.zip", gk_zip)], "?lang=en", dry_run="1")
    assert ok.status_code == 200 and ok.json["report"]["sources"] == ["kaihua-4549.zip"]
    assert list(spool.iterdir()) == []
