"""A new region from a county's own boundary files (issue 13): the demo region moved several
hundred kilometres east and renamed is imported as a region of its own into a store without
history; without ``--new-region`` it is refused with its edge-to-edge distance; into a store
with history only with ``--replace-history``, which archives the old history first."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import pytest
from sqlalchemy import func, select

from gridwatch.__main__ import main
from gridwatch.ingest.boundaries import ExpectedArea, Report, to_wgs84
from gridwatch.ingest.boundary_files import BoundaryError, RawLayer
from gridwatch.ingest.boundary_versions import (
    HISTORY_TABLES,
    REGION_KEY,
    current_region,
    history_rows,
    list_versions,
)
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH, dispose, source_for

SHIFT = 3.5
"""Degrees of longitude the demo region is moved east: about 340 km at 29°N (UTM 50 → 51)."""
NAME_ZH, NAME_EN = "东海县", "Donghai County"


def moved(region, name: str, shift: float = SHIFT) -> gpd.GeoDataFrame:
    frame = region.layer(name).copy()
    frame["geometry"] = frame.geometry.translate(shift, 0)
    if name == "townships":
        frame["seat_lon"] = frame["seat_lon"] + shift
    if name == "county":
        frame = frame.assign(code="339999", name_zh=NAME_ZH, name_en=NAME_EN)
    return frame


def write_gpkg(path, layers: dict[str, gpd.GeoDataFrame]):
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")
    return path


@pytest.fixture(scope="module")
def donghai(region, tmp_path_factory):
    """The demo region moved +3.5° and renamed: county, townships, villages, grids and
    checkpoints (no neighbours, no quarantine sites)."""
    folder = tmp_path_factory.mktemp("donghai")
    return write_gpkg(folder / "donghai.gpkg", {name: moved(region, name) for name in (
        "county", "townships", "villages", "grids", "checkpoints")})


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([*map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_moved_renamed_county_is_a_new_region_in_a_store_without_history(
        donghai, empty_source, capsys):
    url = empty_source.settings.database_url
    code, out, err = run_cli(capsys, "import-boundaries", donghai, "--new-region",
                             "--database-url", url)
    assert code == 0, out + err
    assert "Valid: ready to activate" in out
    assert f"new region {NAME_ZH} / {NAME_EN} (339999)" in out
    assert "no neighbours given: the new region has none" in out
    [row] = list_versions(empty_source.engine)
    assert row["status"] == "active" and row["region"]
    region = empty_source.region()
    county = region.county.iloc[0]
    assert (county["code"], county["name_zh"], county["name_en"]) == ("339999", NAME_ZH,
                                                                      NAME_EN)
    assert len(region.grids) == 747 and region.bounds[0][1] > 121  # it lies where it was put
    assert len(region.neighbours) == 0 and len(region.quarantine_sites) == 0  # none kept
    with empty_source.engine.connect() as conn:
        named = current_region(conn)
        assert named["id"] == row["region"] and named["name_en"] == NAME_EN
        assert named["version"] == row["id"]
        assert history_rows(conn) == {}
    snap = empty_source.snapshot()  # an empty history reads
    assert snap.region is region and len(snap.risk) == 0


def test_a_new_region_takes_the_neighbours_and_sites_it_is_given(region, empty_source,
                                                                 tmp_path, capsys):
    layers = {name: moved(region, name) for name in (
        "townships", "villages", "grids", "checkpoints", "quarantine_sites")}
    layers["neighbours"] = moved(region, "neighbours").iloc[:2]
    path = write_gpkg(tmp_path / "with-context.gpkg", layers)
    code, out, err = run_cli(capsys, "import-boundaries", path, "--new-region", "--name-zh",
                             NAME_ZH, "--name-en", NAME_EN, "--database-url",
                             empty_source.settings.database_url)
    assert code == 0, out + err
    now = empty_source.region()
    assert sorted(now.neighbours["code"]) == sorted(region.neighbours["code"].iloc[:2])
    assert sorted(now.quarantine_sites["code"]) == sorted(region.quarantine_sites["code"])
    county = now.county.iloc[0]
    assert (county["name_zh"], county["name_en"]) == (NAME_ZH, NAME_EN)
    assert county["code"] == "330824"  # the townships' shared division code


def test_a_new_region_needs_a_name(region, empty_source, tmp_path, capsys):
    path = write_gpkg(tmp_path / "nameless.gpkg", {name: moved(region, name) for name in (
        "townships", "villages", "grids", "checkpoints")})
    code, out, _err = run_cli(capsys, "import-boundaries", path, "--new-region",
                              "--database-url", empty_source.settings.database_url)
    assert code == 1
    assert "a new region needs its name" in out
    assert list_versions(empty_source.engine) == []


def test_replacing_the_county_s_boundaries_with_far_ones_says_how_far_edge_to_edge(
        donghai, fresh_source, capsys):
    url = fresh_source.settings.database_url
    before = data_version(fresh_source.engine)
    code, out, err = run_cli(capsys, "import-boundaries", donghai, "--database-url", url)
    assert code == 2, out + err
    assert "does not lie within 50 km of Kaihua County" in err
    assert "(edge to edge)" in err and "--new-region" in err
    assert "wrong CRS" not in err  # lon/lat in China: a county elsewhere, not a CRS mistake
    nearest = int(err.split(" km from its boundary at the nearest")[0].split()[-1])
    # Kaihua is about 0.61° wide at 29°N: the moved outline is some 2.9° (280 km) clear of it
    assert 250 < nearest < 310, err
    assert list_versions(fresh_source.engine) == [] and data_version(fresh_source.engine) \
        == before
    code, _out, err = run_cli(capsys, "import-boundaries", donghai, "--lang", "zh",
                              "--database-url", url)
    assert code == 2 and "边界到边界" in err and "--new-region" in err


def test_the_distance_is_measured_edge_to_edge_not_centre_to_centre(region):
    expected = ExpectedArea.from_region(region)
    # checkpoints 0.9° east: the nearest is inside the county's 50 km, others beyond it
    near = region.checkpoints.assign(geometry=region.checkpoints.translate(0.9, 0))
    with pytest.raises(BoundaryError) as err:
        to_wgs84(RawLayer("checkpoints", "cp.gpkg", near, True), expected, Report())
    assert err.value.key == "outside_far"
    nearest, farthest = (float(err.value.params[k].replace(",", "")) for k in ("km", "far"))
    assert nearest < 50 < farthest
    centre = expected.distance_km(float(near.geometry.x.mean()), float(near.geometry.y.mean()))
    assert nearest < centre - 20  # centre to centre would have said much more


def test_coordinates_that_do_not_look_like_a_county_still_suggest_a_wrong_crs(region):
    expected = ExpectedArea.from_region(region)
    far = region.checkpoints.assign(geometry=region.checkpoints.translate(-116.0, 19.0))
    with pytest.raises(BoundaryError) as err:  # near Paris: outside any Chinese county
        to_wgs84(RawLayer("checkpoints", "cp.geojson", far, False), expected, Report())
    assert err.value.key == "outside_area" and "wrong CRS, or swapped axes" in str(err.value)


def test_a_new_region_into_a_store_with_history_needs_replace_history_which_archives(
        donghai, fresh_source, tmp_path, capsys):
    url = fresh_source.settings.database_url
    engine = fresh_source.engine
    # a version of the demo region, kept but not active: it must never come back over the
    # new region's history
    code, out, err = run_cli(capsys, "import-boundaries", GEO_PATH, "--database-url", url)
    assert code == 0, out + err
    [kaihua] = list_versions(engine)
    with engine.connect() as conn:
        old = history_rows(conn)
    assert old["risk_assessments"] > 0 and old["leads"] > 0
    before = data_version(engine)

    code, out, err = run_cli(capsys, "import-boundaries", donghai, "--new-region",
                             "--database-url", url)
    assert code == 1, out + err
    assert "a store holds one region's history" in err and "--replace-history" in err
    assert data_version(engine) == before and len(list_versions(engine)) == 1

    from gridwatch.auth.accounts import create_user
    from gridwatch.auth.policy import Scope

    create_user(fresh_source.writer, "qy-room", "operator", Scope("township", {"330824001"}),
                password="a-long-password-1")
    archive = tmp_path / "kaihua-history.sqlite"
    code, out, err = run_cli(capsys, "import-boundaries", donghai, "--new-region",
                             "--replace-history", "--archive", archive, "--database-url", url)
    assert code == 0, out + err
    assert f"archived into {archive}" in out and "risk_assessments" in out
    # the moved county keeps the demo's codes: a scope of them still names its places
    assert "qy-room" not in err
    with engine.connect() as conn:
        assert history_rows(conn) == {}
        for model in HISTORY_TABLES:
            assert conn.execute(select(func.count()).select_from(model)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(m.User)).scalar() >= 0
        audit = conn.execute(select(m.AuditEntry.after).where(
            m.AuditEntry.action == "region.create")).scalars().all()
        named = json.loads(conn.execute(select(m.StoreMeta.value).where(
            m.StoreMeta.key == REGION_KEY)).scalar())
    assert len(audit) == 1 and json.loads(audit[0])["name_zh"] == NAME_ZH
    assert named["name_en"] == NAME_EN
    with sqlite3.connect(archive) as kept:  # the archive is a backup of the whole old store
        for table, n in old.items():
            assert kept.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n, table
    snap = fresh_source.snapshot()
    assert snap.region.county.iloc[0]["name_en"] == NAME_EN
    assert len(snap.risk) == 0 and len(snap.leads) == 0

    code, out, err = run_cli(capsys, "boundaries", "activate", str(kaihua["id"]),
                             "--database-url", url)
    assert code == 1 and "belongs to another region" in err
    assert fresh_source.region().county.iloc[0]["name_en"] == NAME_EN


def test_replace_history_goes_with_new_region(donghai, empty_source, capsys):
    code, _out, err = run_cli(capsys, "import-boundaries", donghai, "--replace-history",
                              "--database-url", empty_source.settings.database_url)
    assert code == 2 and "--replace-history goes with --new-region" in err


# --- the region's own name ----------------------------------------------------------------------

def new_region_source(stores, label: str, gpkg):
    """A store without history (``stores.empty(label)``) whose region in force is ``gpkg``,
    imported with ``--new-region``; the caller disposes of it."""
    source = source_for(stores.empty(label))
    source.prepare(seed=False)
    assert main(["import-boundaries", str(gpkg), "--new-region", "--database-url",
                 source.settings.database_url]) == 0
    return source


@pytest.fixture(scope="module")
def donghai_source(stores, donghai):
    """A store without history whose region in force is the moved, renamed county."""
    source = new_region_source(stores, "donghai", donghai)
    yield source
    dispose(source)


def texts(component) -> str:
    from tests.unit.test_callbacks import text_of

    return text_of(component)


def test_pages_and_the_wall_carry_the_new_region_s_name(donghai_source):
    from callbacks.router import render_page, route
    from gridwatch.auth.policy import system

    for lang, title, wall in (("en", "Donghai County Grid Command", "Donghai County Command Wall"),
                              ("zh", "东海县网格化防控指挥平台", "东海县疫情防控指挥大屏")):
        page, _ = render_page(donghai_source, "/", f"?lang={lang}", system())
        text = texts(page)
        assert title in text
        assert "开化" not in text and "Kaihua" not in text
        assert "synthetic" not in text and "合成" not in text  # the footer's demo note
        assert "合成" not in str(page) and "synthetic" not in str(page)  # nor the map's
        page, _ = render_page(donghai_source, "/wall", f"?lang={lang}", system())
        text = texts(page)
        assert wall in text and "开化" not in text and "Kaihua" not in text
        assert route(donghai_source, "/", f"?lang={lang}", system())["title"] == title
        assert route(donghai_source, "/wall", f"?lang={lang}", system())["title"] == wall


def test_the_demo_keeps_its_own_name(source):
    from callbacks.router import page_title, render_page
    from gridwatch.auth.policy import system

    page, _ = render_page(source, "/wall", "?lang=zh", system())
    assert "开化县疫情防控指挥大屏" in texts(page)
    page, _ = render_page(source, "/", "?lang=en", system())
    assert "synthetic demo data" in texts(page)  # the footer's note: the demo region's
    assert page_title(source, "/", "en", system()) == "Kaihua County Grid Command"


def test_exports_and_the_pack_carry_the_new_region_s_name(donghai_source):
    import io

    from pypdf import PdfReader

    from gridwatch.export import ExportRequest, run_export
    from gridwatch.filters import Filters

    day = Filters(as_of=donghai_source.snapshot().last_day)
    drawn = run_export(donghai_source, ExportRequest(kind="pdf", filters=day))
    text = PdfReader(io.BytesIO(drawn.content)).pages[0].extract_text()
    assert "东海县网格风险态势图" in text and "东海县网格化防控指挥平台" in text
    assert "开化" not in text and "合成演示数据" not in text  # not the synthetic demo
    pack = run_export(donghai_source, ExportRequest(kind="pack", lang="en", filters=day))
    reader = PdfReader(io.BytesIO(pack.content))
    assert reader.metadata["/Title"].startswith("Donghai County grid command briefing")
    whole = "".join(p.extract_text() for p in reader.pages)
    assert "Donghai County Grid Command" in whole and "Kaihua" not in whole


def test_the_api_and_the_login_page_carry_the_new_region_s_name(donghai_source):
    from app import create_app
    from gridwatch.auth.tokens import create_token

    app = create_app(donghai_source.settings)
    client = app.server.test_client()
    assert "东海县网格化防控指挥平台" in client.get("/login").get_data(as_text=True)
    _id, token = create_token(donghai_source.writer, "region-test", "analyst")
    answer = client.get("/api/v1/region", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.data
    body = answer.json
    assert (body["code"], body["name_zh"], body["name_en"]) == ("339999", NAME_ZH, NAME_EN)
    assert body["synthetic"] is False and body["counts"]["grids"] == 747
    assert body["counts"]["neighbours"] == 0 and body["bounds"]["west"] > 121
    assert client.get("/api/v1/region").status_code == 401


# --- context that fits --------------------------------------------------------------------------

def test_maps_and_areas_are_drawn_in_the_region_s_own_zone(region, donghai_source):
    import io

    from pypdf import PdfReader

    from gridwatch.export import ExportRequest, run_export
    from gridwatch.export.render import projected
    from gridwatch.filters import Filters
    from gridwatch.geo.crs import gk3_epsg, region_epsg

    moved_region = donghai_source.region()
    assert region_epsg(region) == 32650 and region_epsg(moved_region) == 32651
    assert projected(moved_region)["grids"].crs.to_epsg() == 32651
    assert gk3_epsg(118.33) == 4548 and gk3_epsg(121.83) == 4550  # CM 117E, CM 123E
    day = Filters(as_of=donghai_source.snapshot().last_day)
    for lang, words in (("en", "UTM zone 51N (EPSG:32651)"),
                        ("zh", "UTM 第 51 带北（EPSG:32651）")):
        drawn = run_export(donghai_source, ExportRequest(kind="pdf", filters=day, lang=lang))
        text = PdfReader(io.BytesIO(drawn.content)).pages[0].extract_text()
        assert words in text and "32650" not in text
    # the scale bar still measures: the county is some 58 km across in its own zone
    xmin, _, xmax, _ = projected(moved_region)["county"].total_bounds
    assert 50_000 < xmax - xmin < 65_000


def test_the_demo_s_exports_stay_in_utm_zone_50n(fresh_source):
    import io

    from pypdf import PdfReader

    from gridwatch.export import ExportRequest, run_export
    from gridwatch.filters import Filters

    day = Filters(as_of=fresh_source.snapshot().last_day)
    drawn = run_export(fresh_source, ExportRequest(kind="pdf", filters=day, lang="en"))
    text = PdfReader(io.BytesIO(drawn.content)).pages[0].extract_text()
    assert "UTM zone 50N (EPSG:32650)" in text


def test_the_api_names_the_region_s_projection(donghai_source):
    from app import create_app
    from gridwatch.auth.tokens import create_token

    client = create_app(donghai_source.settings).server.test_client()
    _id, token = create_token(donghai_source.writer, "projection-test", "viewer")
    body = client.get("/api/v1/region", headers={"Authorization": f"Bearer {token}"}).json
    assert body["projection"]["epsg"] == 32651
    assert body["projection"]["name"] == "WGS 84 / UTM zone 51N"
    assert body["projection"]["gauss_kruger_3deg_epsg"] == 4550


def test_accounts_scoped_to_places_the_new_region_lacks_are_named(donghai, empty_source,
                                                                   capsys):
    from gridwatch.auth.accounts import create_user
    from gridwatch.auth.policy import Scope
    from gridwatch.auth.tokens import create_token

    create_user(empty_source.writer, "elsewhere", "operator",
                Scope("township", {"330899001"}), password="a-long-password-1")
    create_token(empty_source.writer, "village-feed", "operator",
                 Scope("village", {"330824001001"}))
    code, out, err = run_cli(capsys, "import-boundaries", donghai, "--new-region",
                             "--database-url", empty_source.settings.database_url)
    assert code == 0, out + err
    assert "warning: user elsewhere's scope township:330899001 names places the new region " \
           "lacks (330899001)" in err
    assert "village-feed" not in err
