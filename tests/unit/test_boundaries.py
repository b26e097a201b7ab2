"""Boundary import: round trip through a projected Shapefile, CRS detection, checks, hostile
files, versions with one-switch activation and audit, the CLI and the /data page's steps (the
upload route itself: tests/unit/test_boundary_upload.py)."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon
from sqlalchemy import select

from callbacks.boundary_import import reactivate_enabled, reactivate_version, show_versions
from gridwatch.__main__ import main
from gridwatch.auth.policy import Principal, system
from gridwatch.geo.generate import check_tiling
from gridwatch.ingest.archives import ArchiveError
from gridwatch.ingest.boundaries import ExpectedArea, Report, import_boundaries, to_wgs84
from gridwatch.ingest.boundary_files import BoundaryError, RawLayer, export_boundaries
from gridwatch.ingest.boundary_versions import (
    activate_version,
    list_versions,
    stage,
)
from gridwatch.ingest.errors import LocalisedError
from gridwatch.ingest.tables import read_table
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from gridwatch.store.regions import cache_dir
from tests.unit.test_ingest import understated

IMPORTED = ("townships", "villages", "grids", "checkpoints")


def layers_of(region) -> dict[str, gpd.GeoDataFrame]:
    return {name: region.layer(name) for name in IMPORTED}


def gpkg_bytes(layers: dict[str, gpd.GeoDataFrame], tmp_path, name="b.gpkg") -> bytes:
    path = tmp_path / name
    for layer, frame in layers.items():
        frame.to_file(path, layer=layer, driver="GPKG")
    return path.read_bytes()


def zipped(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def adjacency(frame: gpd.GeoDataFrame) -> set[tuple[str, str]]:
    geoms = frame.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    codes = frame["code"].to_numpy()
    return {(codes[i], codes[j]) for i, j in zip(a, b, strict=True) if codes[i] < codes[j]}


@pytest.fixture(scope="module")
def gk_zip(region) -> bytes:
    """The demo boundaries as zipped Shapefiles in CGCS2000 3-degree Gauss-Kruger CM 120E."""
    return export_boundaries(layers_of(region), "EPSG:4549")


@pytest.fixture(scope="module")
def round_trip(region, gk_zip):
    return import_boundaries([("kaihua-4549.zip", gk_zip)], region)


# --- the round trip -----------------------------------------------------------------------------

def test_a_projected_shapefile_export_imports_with_the_same_ids_and_topology(region, gk_zip,
                                                                             round_trip):
    with zipfile.ZipFile(io.BytesIO(gk_zip)) as archive:
        assert "grids.prj" in archive.namelist()
    report = round_trip.report
    assert report.ok, [i.message("en") for i in report.errors]
    assert report.warnings == []
    assert any(i.key == "crs_declared" and "EPSG:4549" in i.message("en") for i in report.issues)
    new = round_trip.layers
    for name in IMPORTED:
        assert sorted(new[name]["code"]) == sorted(region.layer(name)["code"]), name
    old_grids = region.grids.set_index("code")
    grids = new["grids"].set_index("code").loc[old_grids.index]
    assert (grids["village_code"] == old_grids["village_code"]).all()
    assert (grids["township_code"] == old_grids["township_code"]).all()
    assert (grids["population"] == old_grids["population"]).all()
    villages = new["villages"].set_index("code").loc[region.villages["code"]]
    assert (villages["township_code"].to_numpy() == region.villages["township_code"]).all()
    for name in ("townships", "villages", "grids"):
        assert adjacency(new[name]) == adjacency(region.layer(name)), name
        area_new = new[name].set_index("code").to_crs(32650).area
        area_old = region.layer(name).set_index("code").to_crs(32650).area
        assert np.allclose(area_new.loc[area_old.index], area_old, rtol=1e-6), name
    check_tiling(new["townships"], new["villages"], "township_code", tolerance=1e-6)
    check_tiling(new["villages"], new["grids"], "village_code", tolerance=1e-6)
    assert report.counts["grids"] == 747 and len(new["neighbours"]) == 6


# --- coordinate systems -------------------------------------------------------------------------

@pytest.mark.parametrize("epsg", [4549, 4528, 32650, 3857, 4490])
def test_an_undeclared_crs_is_inferred_from_the_coordinates_and_said(region, epsg):
    points = region.checkpoints.to_crs(epsg)
    raw = RawLayer("checkpoints", "cp.geojson", points.set_crs(None, allow_override=True), False)
    report = Report()
    out = to_wgs84(raw, ExpectedArea.from_region(region), report)
    moved = out.to_crs(32650).distance(region.checkpoints.to_crs(32650))
    assert moved.max() < 2.0  # metres
    assert report.issues[0].level == "warning"
    assert report.issues[0].key.startswith("crs_assumed")


def test_swapped_axes_are_refused_with_a_hint(region):
    points = region.checkpoints.copy()
    points["geometry"] = shapely.transform(points.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    with pytest.raises(BoundaryError) as err:
        to_wgs84(RawLayer("checkpoints", "cp.geojson", points, True),
                 ExpectedArea.from_region(region), Report())
    assert err.value.key == "outside_swapped"
    assert "latitude and longitude" in str(err.value)
    assert "经纬度互换" in err.value.message("zh")


def test_a_wrong_declared_crs_is_refused_naming_the_one_that_fits(region):
    points = region.checkpoints.to_crs(4549).set_crs(32650, allow_override=True)
    with pytest.raises(BoundaryError) as err:
        to_wgs84(RawLayer("checkpoints", "cp.shp", points, True),
                 ExpectedArea.from_region(region), Report())
    assert err.value.key == "outside_wrong_crs"
    assert "UTM zone 50N" in str(err.value) and "CM 120E" in str(err.value)


def test_features_far_away_are_refused_with_the_distance(region):
    far = region.checkpoints.copy()
    far["geometry"] = far.geometry.translate(-116.0, 19.0)  # near Paris
    with pytest.raises(BoundaryError) as err:
        to_wgs84(RawLayer("checkpoints", "cp.geojson", far, False),
                 ExpectedArea.from_region(region), Report())
    assert err.value.key == "outside_area"
    assert "wrong CRS, or swapped axes" in str(err.value)


def test_degrees_declared_but_metres_given_are_refused(region):
    metres = region.checkpoints.to_crs(32650).set_crs(4326, allow_override=True)
    with pytest.raises(BoundaryError) as err:
        to_wgs84(RawLayer("checkpoints", "cp.gpkg", metres, True),
                 ExpectedArea.from_region(region), Report())
    assert err.value.key == "geographic_out_of_range"


# --- checks and repairs -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def broken(region, tmp_path_factory, source):
    """One GeoPackage with a self-intersecting grid, a grid claiming the wrong village, a grid
    swollen over its neighbours, a missing grid and a duplicate checkpoint code."""
    from gridwatch.ingest.boundary_versions import store_codes

    layers = {k: v.copy() for k, v in layers_of(region).items()}
    grids = layers["grids"]
    codes = grids["code"].tolist()
    bow, liar, fat, gone = codes[10], codes[100], codes[200], codes[300]
    ring = list(grids.loc[grids["code"] == bow, "geometry"].iloc[0].exterior.coords)

    def swapped(i: int) -> Polygon:
        out = ring.copy()
        out[i], out[i + 1] = out[i + 1], out[i]
        return Polygon(out)
    # Two neighbouring vertices swapped so that the ring crosses itself (the first such pair:
    # which pairs do depends on the demo geometry).
    grids.loc[grids["code"] == bow, "geometry"] = next(
        swapped(i) for i in range(1, len(ring) - 2) if not swapped(i).is_valid)
    other_village = grids.loc[grids["code"] == codes[400], "village_code"].iloc[0]
    grids.loc[grids["code"] == liar, "village_code"] = other_village
    fat_geom = gpd.GeoSeries(grids.loc[grids["code"] == fat, "geometry"], crs=4326)
    grids.loc[grids["code"] == fat, "geometry"] = fat_geom.to_crs(32650).buffer(300).to_crs(
        4326).to_numpy()
    layers["grids"] = grids[grids["code"] != gone]
    cps = layers["checkpoints"]
    cps.loc[cps.index[1], "code"] = cps["code"].iloc[0]
    data = gpkg_bytes(layers, tmp_path_factory.mktemp("broken"))
    imported = import_boundaries([("broken.gpkg", data)], region, store_codes(source.engine))
    return imported, {"bow": bow, "liar": liar, "fat": fat, "gone": gone,
                      "cp": cps["code"].iloc[0], "village": other_village}


def keys_for(report, key) -> list:
    return [i for i in report.issues if i.key == key]


def test_repairs_and_problems_are_reported_by_code(broken):
    imported, c = broken
    report = imported.report
    assert not report.ok
    repaired = keys_for(report, "repaired")
    assert [i.codes for i in repaired] == [(c["bow"],)]
    assert "Self-intersection" in repaired[0].message("en")
    assert imported.layers["grids"].set_index("code").loc[c["bow"], "geometry"].is_valid
    wrong = keys_for(report, "wrong_parent")
    assert [i.codes for i in wrong] == [(c["liar"],)]
    assert f"says it is in villages {c['village']}" in wrong[0].message("en")
    overlaps = keys_for(report, "overlap")
    assert overlaps and all(c["fat"] in i.codes for i in overlaps)
    assert any(c["fat"] in i.codes for i in keys_for(report, "straddles"))
    gaps = keys_for(report, "gap")
    assert any(i.params["parent"] == c["gone"][:12] for i in gaps)
    assert [i.codes for i in keys_for(report, "code_repeated")] == [(c["cp"],)]
    missing = keys_for(report, "store_grids_missing")
    assert missing and c["gone"] in missing[0].message("en")
    assert "网格编码不在新边界中" in missing[0].message("zh")
    assert {c["bow"], c["liar"], c["fat"]} <= report.flagged_codes()


def test_missing_columns_are_named_with_what_the_file_has(region, tmp_path):
    layers = layers_of(region)
    layers["villages"] = layers["villages"].drop(columns=["township_code"])
    report = import_boundaries([("b.gpkg", gpkg_bytes(layers, tmp_path))], region).report
    [issue] = report.errors
    assert issue.key == "missing_column" and issue.layer == "villages"
    text = issue.message("en")
    assert "no township_code column" in text and "code, name_zh, name_en" in text


def test_checkpoint_capacity_is_read_under_its_chinese_name_and_its_absence_is_said(region,
                                                                                  tmp_path):
    layers = layers_of(region)
    cps = layers["checkpoints"].rename(columns={"capacity": "通行能力"})
    cps.loc[cps.index[0], "通行能力"] = 77
    layers["checkpoints"] = cps
    result = import_boundaries([("b.gpkg", gpkg_bytes(layers, tmp_path))], region)
    assert result.report.ok
    got = result.layers["checkpoints"].set_index("code")["capacity"]
    assert got.iloc[0] == 77 and got.to_dict() == {**region.checkpoints.set_index("code")[
        "capacity"].to_dict(), cps["code"].iloc[0]: 77}
    assert not any(i.key == "checkpoint_capacity_missing" for i in result.report.issues)
    layers["checkpoints"] = cps.drop(columns=["通行能力"])
    bare = import_boundaries([("b.gpkg", gpkg_bytes(layers, tmp_path, "c.gpkg"))], region)
    assert bare.report.ok and (bare.layers["checkpoints"]["capacity"] == 0).all()
    [said] = [i for i in bare.report.issues if i.key == "checkpoint_capacity_missing"]
    assert said.level == "info" and "no over-capacity alerts" in said.message("en")
    layers["checkpoints"] = cps.assign(通行能力=-5)
    bad = import_boundaries([("b.gpkg", gpkg_bytes(layers, tmp_path, "d.gpkg"))], region)
    assert any(i.key == "bad_number" and i.params.get("column") == "capacity"
               for i in bad.report.errors)


def test_a_missing_layer_is_an_error(region, tmp_path):
    layers = layers_of(region)
    del layers["grids"]
    report = import_boundaries([("b.gpkg", gpkg_bytes(layers, tmp_path))], region).report
    assert [i.key for i in report.errors] == ["missing_layer"]


# --- hostile input ------------------------------------------------------------------------------

def shp_members(region) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export_boundaries(layers_of(region), "EPSG:4549",
                                                      ["checkpoints"]))) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def nan_shapefile(region) -> bytes:
    members = shp_members(region)
    shp = bytearray(members["checkpoints.shp"])
    shp[100 + 8 + 4: 100 + 8 + 12] = np.array([np.nan]).astype("<f8").tobytes()
    members["checkpoints.shp"] = bytes(shp)
    return zipped(members)


GEOJSON_NAN = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},' \
              b'"geometry":{"type":"Point","coordinates":[NaN,29.1]}}]}'
GEOJSON_INF = GEOJSON_NAN.replace(b"NaN", b"1e999")
GEOJSON_LAT = GEOJSON_NAN.replace(b"NaN,29.1", b"118.4,95.0")


def deep_geojson(levels: int) -> bytes:
    nested = "[" * levels + "]" * levels
    return ('{"type":"FeatureCollection","features":[],"x":' + nested + "}").encode()


def hostile_cases(region):
    sqlite_db = sqlite3.connect(":memory:")
    sqlite_db.close()
    sixty_mib = 60 * 1024 * 1024
    return {
        "zip bomb": ("checkpoints.zip", zipped({"checkpoints.shp": b"\0" * sixty_mib}),
                     "ingest.zip.bomb"),
        "zip bomb understating its size": (
            "checkpoints.zip", understated("checkpoints.shp", sixty_mib, 1000),
            "ingest.zip.member_unreadable"),
        "path escaping": ("b.zip", zipped({"../../etc/checkpoints.shp": b"x"}),
                          "ingest.zip.escape"),
        "absolute path": ("b.zip", zipped({"/tmp/checkpoints.shp": b"x"}), "ingest.zip.escape"),
        "gpkg that is a zip": ("b.gpkg", zipped({"a.txt": b"x"}), "boundary.not_what_it_says"),
        "zip that is sqlite": ("b.zip", b"SQLite format 3\x00" + b"\0" * 100,
                               "boundary.not_what_it_says"),
        "geojson that is binary": ("grids.geojson", b"\x89PNG\r\n\x1a\n",
                                   "boundary.not_what_it_says"),
        "shp that is not a shapefile": ("b.zip", zipped({"checkpoints.shp": b"hello",
                                                          "checkpoints.shx": b"x",
                                                          "checkpoints.dbf": b"x"}),
                                        "boundary.not_what_it_says"),
        "exe in the archive": ("b.zip", zipped({"run.exe": b"MZ"}), "boundary.zip_unexpected"),
        "NaN in GeoJSON": ("checkpoints.geojson", GEOJSON_NAN, "boundary.json_refused"),
        "Infinity in GeoJSON": ("checkpoints.geojson", GEOJSON_INF, "boundary.json_refused"),
        "GeoJSON nested too deeply": ("checkpoints.geojson", deep_geojson(100_000),
                                      "boundary.json_refused"),
        "NaN in a Shapefile": ("checkpoints.zip", nan_shapefile(region), "boundary.non_finite"),
        "latitude 95": ("checkpoints.geojson", GEOJSON_LAT, "boundary.lonlat_out_of_range"),
        "unknown extension": ("b.kml", b"<kml/>", "boundary.unsupported_type"),
    }


@pytest.fixture(scope="module")
def hostile(region):
    return hostile_cases(region)


@pytest.mark.parametrize("case", ["zip bomb", "zip bomb understating its size", "path escaping",
                                  "absolute path", "gpkg that is a zip", "zip that is sqlite",
                                  "geojson that is binary", "shp that is not a shapefile",
                                  "exe in the archive", "NaN in GeoJSON", "Infinity in GeoJSON",
                                  "GeoJSON nested too deeply", "NaN in a Shapefile",
                                  "latitude 95", "unknown extension"])
def test_hostile_files_get_a_clear_error_and_change_nothing(case, hostile, fresh_source,
                                                            tmp_path, capsys):
    name, data, key = hostile[case]
    with pytest.raises(LocalisedError) as err:
        import_boundaries([(name, data)], fresh_source.region())
    assert err.value.catalogue_key == key
    assert err.value.message("zh") != err.value.message("en")
    path = tmp_path / name.replace("/", "_")
    path.write_bytes(data)
    url = fresh_source.settings.database_url
    before = data_version(fresh_source.engine)
    assert main(["import-boundaries", str(path), "--activate", "--database-url", url]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert data_version(fresh_source.engine) == before
    assert list_versions(fresh_source.engine) == []


@pytest.mark.parametrize(("data", "reason"), [
    (GEOJSON_NAN, "NaN is not a number JSON allows"),
    (GEOJSON_INF, "the number 1e999 is out of range"),
    (deep_geojson(17), "nested too deeply (at most 16 levels)"),
    (b'{"type":"FeatureCollection","features":[],"type":"Feature"}', "appears twice"),
    (b'{"type":"FeatureCollection",', "not valid JSON"),
])
def test_geojson_is_read_by_the_strict_json_reader(region, data, reason):
    with pytest.raises(BoundaryError) as err:
        import_boundaries([("checkpoints.geojson", data)], region)
    assert err.value.message("en").startswith("checkpoints.geojson: ")
    assert reason in str(err.value)


def test_a_zip_bomb_in_an_upload_is_refused_by_the_same_guard_as_a_workbook(region):
    bomb = zipped({"checkpoints.shp": b"\0" * (60 * 1024 * 1024)})
    with pytest.raises(ArchiveError) as from_boundaries:
        import_boundaries([("k.zip", bomb)], region)
    with pytest.raises(ArchiveError) as from_tables:
        read_table("k.xlsx", bomb)
    assert from_boundaries.value.catalogue_key == from_tables.value.catalogue_key
    expands = "expands far beyond its size (a zip bomb?)"
    assert str(from_boundaries.value) == f"the archive k.zip {expands}"
    assert str(from_tables.value) == f"the archive k.xlsx {expands}"


# --- versions, activation, audit ----------------------------------------------------------------

def test_stage_activate_and_switch_back_with_an_audit_trail(fresh_source, round_trip, region):
    engine = fresh_source.writer
    settings = fresh_source.settings
    before = data_version(engine)
    staged = stage(engine, settings, round_trip, "token:1:gis-office")
    assert staged["status"] == "staged"
    assert fresh_source.region().path == region.path  # staging changes nothing shown
    assert data_version(engine) == before
    active = activate_version(engine, settings, staged["id"], "token:1:gis-office")
    assert active["status"] == "active"
    assert data_version(engine) == before + 1
    now = fresh_source.region()
    assert now.path.parent == cache_dir()  # the version's bytes, materialised from the store
    assert now.path.name == f"{hashlib.sha256(now.path.read_bytes()).hexdigest()}.gpkg"
    assert now.fingerprint != region.fingerprint
    assert sorted(now.grids["code"]) == sorted(region.grids["code"])
    assert stage(engine, settings, round_trip, "someone-else")["id"] == staged["id"]  # same file
    with engine.connect() as conn:
        rows = conn.execute(select(m.AuditEntry.actor, m.AuditEntry.action,
                                   m.AuditEntry.entity_key, m.AuditEntry.after)
                            .where(m.AuditEntry.entity == "boundary_version")).all()
    assert [(r.actor, r.action) for r in rows] == [("token:1:gis-office", "boundary.stage"),
                                                   ("token:1:gis-office", "boundary.activate")]
    assert json.loads(rows[1].after) == {"active": staged["id"]}
    with pytest.raises(BoundaryError) as err:
        activate_version(engine, settings, 999, "x")
    assert err.value.key == "no_version"


def test_re_activating_an_earlier_version_is_one_switch(fresh_source, round_trip, region,
                                                         tmp_path):
    engine = fresh_source.writer
    settings = fresh_source.settings
    first = stage(engine, settings, round_trip, "a", activate=True)
    other = import_boundaries([("b.gpkg", gpkg_bytes(layers_of(region), tmp_path))], region)
    second = stage(engine, settings, other, "b", activate=True)
    assert {r["id"]: r["status"] for r in list_versions(engine)} == {
        first["id"]: "retired", second["id"]: "active"}
    path_second = fresh_source.region().path
    before = data_version(engine)
    activate_version(engine, settings, first["id"], "c")
    assert {r["id"]: r["status"] for r in list_versions(engine)} == {
        first["id"]: "active", second["id"]: "retired"}
    assert data_version(engine) == before + 1
    assert fresh_source.region().path != path_second
    with engine.connect() as conn:
        last = conn.execute(select(m.AuditEntry.before, m.AuditEntry.after)
                            .order_by(m.AuditEntry.id.desc())).first()
    assert json.loads(last.before) == {"active": [second["id"]]}


def test_cli_dry_run_stores_nothing_and_activate_switches(fresh_source, gk_zip, tmp_path,
                                                          capsys):
    url = fresh_source.settings.database_url
    path = tmp_path / "kaihua-4549.zip"
    path.write_bytes(gk_zip)
    assert main(["import-boundaries", str(path), "--dry-run", "--database-url", url]) == 0
    assert "dry run: nothing stored" in capsys.readouterr().out
    assert list_versions(fresh_source.engine) == []
    assert main(["import-boundaries", str(path), "--database-url", url]) == 0
    [row] = list_versions(fresh_source.engine)
    assert row["status"] == "staged" and row["created_by"].startswith("cli")
    assert main(["boundaries", "activate", str(row["id"]), "--database-url", url]) == 0
    assert main(["boundaries", "list", "--database-url", url]) == 0
    assert f"*{row['id']:>4}  active" in capsys.readouterr().out
    assert main(["boundaries", "activate", "42", "--database-url", url]) == 1


# --- the /data page's steps ---------------------------------------------------------------------

def test_the_page_switches_versions_as_the_signed_in_admin(fresh_source, round_trip, region,
                                                          tmp_path):
    engine = fresh_source.writer
    settings = fresh_source.settings
    first = stage(engine, settings, round_trip, "a", activate=True)
    other = import_boundaries([("b.gpkg", gpkg_bytes(layers_of(region), tmp_path))], region)
    second = stage(engine, settings, other, "b", activate=True)
    boss = Principal("user", "admin", id=7, name="boss")
    done = reactivate_version(fresh_source, clicks=1, version_id=str(first["id"]), lang="zh",
                              who=boss)["result"]
    assert "已启用边界版本" in done.children
    assert {r["id"]: r["status"] for r in list_versions(engine)} == {
        first["id"]: "active", second["id"]: "retired"}
    with engine.connect() as conn:
        last = conn.execute(select(m.AuditEntry.actor, m.AuditEntry.action)
                            .order_by(m.AuditEntry.id.desc())).first()
    assert (last.actor, last.action) == ("user:7:boss", "boundary.activate")
    before = data_version(engine)
    refused = reactivate_version(fresh_source, clicks=1, version_id=second["id"], lang="en",
                                 who=system("operator"))["result"]
    assert refused.children == "Not activated: this account or token may not administer"
    assert data_version(engine) == before
    versions = show_versions(fresh_source, result=done, lang="en")
    assert versions["value"] == first["id"]
    assert versions["current"].startswith("/geo/townships.")
    active, retired = sorted(versions["options"], key=lambda o: o["value"] != first["id"])
    assert active["label"].startswith(f"#{first['id']} · active") and active["disabled"]
    assert reactivate_enabled(fresh_source, value=first["id"],
                              options=versions["options"]) == {"disabled": True}
    assert reactivate_enabled(fresh_source, value=retired["value"],
                              options=versions["options"]) == {"disabled": False}


def _components(node):
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "to_plotly_json"):
            yield item
            stack.append(getattr(item, "children", None))


def test_the_section_posts_a_form_to_the_upload_route_and_states_its_cap():
    from dash import dcc

    from gridwatch.settings import Settings
    from layouts import boundaries as panel

    section = panel.section("en", Settings(max_upload_bytes=80 * 1024 * 1024))
    parts = list(_components(section))
    [form] = [c for c in parts if type(c).__name__ == "Form"]
    assert (form.id, form.action, form.method, form.encType) == (
        "boundary-file", "/upload/boundaries", "post", "multipart/form-data")
    said = form.to_plotly_json()["props"]
    assert said["data-max-bytes"] == str(80 * 1024 * 1024) and said["data-lang"] == "en"
    assert "80 MiB" in said["data-too-large"] and "{status}" in said["data-failed"]
    assert "up to 80 MiB in all" in str(form)
    [button] = [c for c in _components(form) if getattr(c, "id", None) == "boundary-activate"]
    assert (button.type, button.name, button.value, button.disabled) == (
        "submit", "activate", "1", True)
    assert not any(isinstance(c, dcc.Upload) for c in parts)  # no base64 path left
    assert not any(getattr(c, "id", None) == "upload-token" for c in parts)  # no token field
    assert "token" not in str(section).lower()
