"""GCJ-02 (issue 13): the conversion (``gridwatch.geo.datum``, the pinned ``prcoords``) against
published test vectors and by round trip; ``import_boundaries(datum="gcj02")`` and
``import-boundaries --datum gcj02`` convert every layer; a file taken as WGS84 that lies on the
region's outline only once read as GCJ-02 is reported as looking GCJ-02; the shipped demo
region is WGS84 (its sources were converted) and is not reported so."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from gridwatch.__main__ import main
from gridwatch.geo import datum
from gridwatch.i18n import t
from gridwatch.ingest.boundaries import import_boundaries
from gridwatch.ingest.boundary_files import BoundaryError

# Published test vectors: googollee/eviltransform (MIT), the reference GCJ-02 implementation in
# many languages, lists the same three points in its Python, Go, C and JavaScript tests
# (python/test.py ``TESTS``, go/transform_test.go ``tests``): wgsLat, wgsLng, gcjLat, gcjLng.
# Its forward test asserts 6 decimal places; its exact inverse is asserted within 0.5 m.
EVILTRANSFORM_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

DEMO_LAYERS = ("county", "neighbours", "townships", "villages", "grids", "checkpoints")


def metres(lon1, lat1, lon2, lat2):
    """Great-circle distance (m) between lon/lat arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, float)) for v in (lon1, lat1, lon2, lat2))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 6371000.0 * 2 * np.arcsin(np.sqrt(h))


# --- the conversion -------------------------------------------------------------------------

@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_VECTORS)
def test_wgs84_to_gcj02_matches_the_published_vectors(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    [[lon, lat]] = datum.wgs84_to_gcj02_xy(np.array([[wgs_lon, wgs_lat]]))
    assert lat == pytest.approx(gcj_lat, abs=1e-6) and lon == pytest.approx(gcj_lon, abs=1e-6)
    assert metres(lon, lat, gcj_lon, gcj_lat) < 0.05


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", EVILTRANSFORM_VECTORS)
def test_gcj02_to_wgs84_recovers_the_published_vectors(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    [[lon, lat]] = datum.gcj02_to_wgs84_xy(np.array([[gcj_lon, gcj_lat]]))
    # eviltransform asks 0.5 m of its exact inverse; the iterative inverse used is far closer
    # (the vectors' own forward used a slightly different radius: millimetres).
    assert metres(lon, lat, wgs_lon, wgs_lat) < 0.05


def test_a_round_trip_across_china_is_accurate_to_a_centimetre():
    lon, lat = np.meshgrid(np.linspace(74.0, 134.0, 61), np.linspace(4.0, 53.0, 50))
    wgs = np.column_stack([lon.ravel(), lat.ravel()])
    gcj = datum.wgs84_to_gcj02_xy(wgs)
    back = datum.gcj02_to_wgs84_xy(gcj)
    offset = metres(wgs[:, 0], wgs[:, 1], gcj[:, 0], gcj[:, 1])
    assert offset.min() > 1 and offset.max() < 1500  # GCJ-02 does move points, by < 1.5 km
    assert metres(wgs[:, 0], wgs[:, 1], back[:, 0], back[:, 1]).max() < 0.01


def test_the_offset_at_kaihua_is_about_580_m():
    [[lon, lat]] = datum.wgs84_to_gcj02_xy(np.array([[118.41, 29.14]]))
    assert 500 < metres(118.41, 29.14, lon, lat) < 650


@pytest.mark.parametrize("lon, lat", [(139.69, 35.69), (-0.13, 51.51), (151.21, -33.87),
                                      (72.0, 30.0), (100.0, 0.5), (120.0, 56.0)])
def test_points_outside_china_are_unchanged(lon, lat):
    xy = np.array([[lon, lat]])
    assert (datum.gcj02_to_wgs84_xy(xy) == xy).all()
    assert (datum.wgs84_to_gcj02_xy(xy) == xy).all()
    assert datum.gcj02_to_wgs84(Point(lon, lat)).equals(Point(lon, lat))


def test_geometries_keep_their_shape_holes_and_shared_vertices():
    shell = [(118.0, 29.0), (118.2, 29.0), (118.2, 29.2), (118.0, 29.2)]
    hole = [(118.05, 29.05), (118.1, 29.05), (118.1, 29.1), (118.05, 29.1)]
    left = Polygon(shell, [hole])
    right = Polygon([(118.2, 29.0), (118.4, 29.0), (118.4, 29.2), (118.2, 29.2)])
    out = datum.gcj02_to_wgs84(np.array([MultiPolygon([left]), right, None], dtype=object))
    assert out[2] is None
    assert shapely.get_num_interior_rings(shapely.get_geometry(out[0], 0)) == 1
    assert shapely.get_num_coordinates(out[0]) == shapely.get_num_coordinates(left)
    # A vertex two polygons share is converted to one and the same point (they still tile).
    assert shapely.intersection(out[0], out[1]).length > 0
    assert shapely.intersection(out[0], out[1]).area == pytest.approx(0, abs=1e-12)
    back = datum.wgs84_to_gcj02(out[1])
    assert shapely.equals_exact(back, right, tolerance=1e-8)


def test_a_frame_must_be_lon_lat():
    frame = gpd.GeoDataFrame({"code": ["a"]}, geometry=[Point(500000, 3200000)], crs=32650)
    with pytest.raises(ValueError, match="EPSG:4326"):
        datum.frame_gcj02_to_wgs84(frame)
    lonlat = frame.to_crs(4326)
    out = datum.frame_gcj02_to_wgs84(lonlat)
    assert out.crs.equals(lonlat.crs) and list(out["code"]) == ["a"]
    assert 400 < metres(*lonlat.geometry.iloc[0].coords[0], *out.geometry.iloc[0].coords[0]) < 800
    assert lonlat.geometry.iloc[0].equals(frame.to_crs(4326).geometry.iloc[0])  # not in place


# --- the shipped demo region is WGS84 ---------------------------------------------------------

def test_the_shipped_sources_are_wgs84(region):
    """The demo's outline was GCJ-02 (DataV); converted, it is ~590 m from where it was. Read
    as GCJ-02 once more, it would move as far again: it must not be taken as GCJ-02 now."""
    imported = import_boundaries([("demo.gpkg", _gpkg_bytes(region, DEMO_LAYERS))], region)
    assert not [i for i in imported.report.issues if i.key == "looks_gcj02"]


# --- import ----------------------------------------------------------------------------------

def _gpkg_bytes(region, names, transform=None) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.gpkg"
        for name in names:
            frame = region.layer(name)
            (transform(name, frame) if transform else frame).to_file(path, layer=name,
                                                                      driver="GPKG")
        return path.read_bytes()


def _in_gcj02(name, frame):
    out = datum.frame_wgs84_to_gcj02(frame)
    if name == "townships":
        seats = datum.wgs84_to_gcj02_xy(np.column_stack([frame["seat_lon"], frame["seat_lat"]]))
        out["seat_lon"], out["seat_lat"] = seats[:, 0], seats[:, 1]
    return out


@pytest.fixture(scope="module")
def gcj_demo(region):
    """The demo region shifted into GCJ-02, as a DataV-style source would give it."""
    return _gpkg_bytes(region, DEMO_LAYERS, _in_gcj02)


def test_a_gcj02_file_taken_as_wgs84_is_reported_as_looking_gcj02(region, gcj_demo):
    imported = import_boundaries([("gcj.gpkg", gcj_demo)], region)
    looks = {i.layer: i for i in imported.report.issues if i.key == "looks_gcj02"}
    assert set(looks) == {"county", "neighbours", "townships", "villages", "grids"}
    assert all(i.level == "warning" for i in looks.values())
    assert imported.report.ok  # a warning, not a refusal
    county = looks["county"]
    assert 500 < float(county.params["shift"].replace(",", "")) < 650
    en, zh = county.message("en"), county.message("zh")
    assert "looks GCJ-02" in en and "--datum gcj02" in en and "gcj.gpkg" in en
    assert "GCJ-02" in zh and "--datum gcj02" in zh and "看起来是" in zh


def test_datum_gcj02_converts_every_layer_back_onto_the_region(region, gcj_demo):
    imported = import_boundaries([("gcj.gpkg", gcj_demo)], region, datum="gcj02")
    report = imported.report
    assert report.ok and not [i for i in report.issues if i.key == "looks_gcj02"]
    notes = {i.layer: i for i in report.issues if i.key == "datum_converted"}
    assert set(notes) == set(DEMO_LAYERS) and all(i.level == "info" for i in notes.values())
    assert "converted to WGS84 with prcoords 1.0.2" in notes["grids"].message("en")
    assert "转换为 WGS84" in notes["grids"].message("zh")
    for name in ("county", "grids", "checkpoints"):
        got = shapely.get_coordinates(imported.layers[name].geometry.to_numpy())
        want = shapely.get_coordinates(region.layer(name).geometry.to_numpy())
        assert got.shape == want.shape
        assert metres(got[:, 0], got[:, 1], want[:, 0], want[:, 1]).max() < 0.01
    # The same files in another datum are other boundaries: another fingerprint.
    assert imported.sha256 != import_boundaries([("gcj.gpkg", gcj_demo)], region).sha256


def test_an_unknown_datum_is_refused_with_a_message(region, gcj_demo):
    with pytest.raises(BoundaryError) as caught:
        import_boundaries([("gcj.gpkg", gcj_demo)], region, datum="bd09")
    assert "unknown datum bd09" in caught.value.message("en")
    assert "bd09" in caught.value.message("zh")


def test_a_new_region_moved_and_in_gcj02_is_placed_by_datum_gcj02(region):
    """The combined case: the demo moved 3.5° east (a new region) and shifted into GCJ-02."""
    def moved_gcj(name, frame):
        frame = frame.copy()
        frame["geometry"] = frame.geometry.translate(3.5, 0)
        if name == "townships":
            frame["seat_lon"] = frame["seat_lon"] + 3.5
        if name == "county":
            frame = frame.assign(code="339999", name_zh="东海县", name_en="Donghai County")
        return _in_gcj02(name, frame)

    data = _gpkg_bytes(region, ("county", "townships", "villages", "grids", "checkpoints"),
                       moved_gcj)
    plain = import_boundaries([("donghai.gpkg", data)], region, new_region=True)
    assert plain.report.ok  # all of it in GCJ-02 agrees with itself: nothing to tell it by
    imported = import_boundaries([("donghai.gpkg", data)], region, new_region=True,
                                 datum="gcj02")
    assert imported.report.ok
    assert {i.layer for i in imported.report.issues if i.key == "datum_converted"} == {
        "county", "townships", "villages", "grids", "checkpoints"}
    got = shapely.get_coordinates(imported.layers["county"].geometry.to_numpy())
    want = shapely.get_coordinates(region.county.geometry.translate(3.5, 0).to_numpy())
    assert metres(got[:, 0], got[:, 1], want[:, 0], want[:, 1]).max() < 0.01


def test_a_new_region_whose_grids_alone_are_gcj02_is_warned_about(region):
    """Within a new region the county outline is the reference: grids in GCJ-02 against a
    WGS84 outline look GCJ-02."""
    data = _gpkg_bytes(region, ("county", "townships", "villages", "grids", "checkpoints"),
                       lambda name, frame: _in_gcj02(name, frame) if name == "grids" else frame)
    imported = import_boundaries([("mixed.gpkg", data)], region, new_region=True,
                                 names={"name_zh": "混合县", "name_en": "Mixed County"})
    assert [i.layer for i in imported.report.issues if i.key == "looks_gcj02"] == ["grids"]


def test_the_cli_takes_datum_gcj02(region, gcj_demo, tmp_path, empty_source, capsys):
    path = tmp_path / "gcj.gpkg"
    path.write_bytes(gcj_demo)
    url = empty_source.settings.database_url
    code = main(["import-boundaries", str(path), "--dry-run", "--database-url", url])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "looks GCJ-02" in out.out and "--datum gcj02" in out.out
    code = main(["import-boundaries", str(path), "--dry-run", "--datum", "gcj02", "--lang",
                 "zh", "--database-url", url])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "按 GCJ-02 坐标读取" in out.out and "看起来是 GCJ-02" not in out.out
    with pytest.raises(SystemExit):
        main(["import-boundaries", str(path), "--datum", "bd09", "--database-url", url])
    assert "invalid choice" in capsys.readouterr().err


def test_the_footer_says_the_outline_is_wgs84_converted_from_gcj02():
    assert "WGS84" in t("app.demo_note", "en") and "GCJ-02" in t("app.demo_note", "en")
    assert "WGS84" in t("app.demo_note", "zh") and "GCJ-02" in t("app.demo_note", "zh")
