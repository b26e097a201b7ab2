"""A county's own files as they come, all at once (issue 13's combined case): the demo region
moved some 340 km east and renamed, three villages split over two features each, one grid
dropped, the grids' village column stripped, two neighbours given, and every coordinate
shifted into GCJ-02. Imported with ``--new-region --datum gcj02`` into an empty store, it
reports each of these (none is a crash), lands where it was moved to, and the pages, the
wall and the exports carry the new name in the new region's own projection zone."""

from __future__ import annotations

import contextlib
import io

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from gridwatch.__main__ import main
from gridwatch.geo.datum import frame_wgs84_to_gcj02
from tests.conftest import dispose, source_for
from tests.unit.test_new_region import NAME_EN, NAME_ZH, moved

SPLIT = 3
"""Villages cut in two halves that keep their code."""
DROPPED = 100
"""The row of the grid left out."""


def split(villages: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """The first ``n`` villages each as two features (west and east half), same code."""
    rows = []
    for i, row in villages.iterrows():
        if i >= n:
            rows.append(row)
            continue
        west, south, east, north = row.geometry.bounds
        middle = (west + east) / 2
        for half in (box(west - 1, south - 1, middle, north + 1),
                     box(middle, south - 1, east + 1, north + 1)):
            part = row.copy()
            part["geometry"] = row.geometry.intersection(half)
            rows.append(part)
    return gpd.GeoDataFrame(rows, crs=villages.crs).reset_index(drop=True)


@pytest.fixture(scope="module")
def truth(region) -> dict[str, gpd.GeoDataFrame]:
    """The moved, renamed region in WGS84, as it should come out of the import."""
    return {name: moved(region, name) for name in
            ("county", "neighbours", "townships", "villages", "grids", "checkpoints")}


@pytest.fixture(scope="module")
def county_files(truth, tmp_path_factory):
    """One GeoPackage as the county's IT staff would bring it (GCJ-02, untidy)."""
    layers = dict(truth)
    layers["neighbours"] = truth["neighbours"].iloc[:2]
    layers["villages"] = split(truth["villages"], SPLIT)
    grids = truth["grids"]
    layers["grids"] = grids.drop(index=DROPPED).drop(columns="village_code")
    path = tmp_path_factory.mktemp("combined") / "donghai-gcj02.gpkg"
    for name, frame in layers.items():
        gcj = frame_wgs84_to_gcj02(frame)
        if name == "townships":  # the seats are GCJ-02 too, as the file's other points
            seats = frame_wgs84_to_gcj02(gpd.GeoDataFrame(
                geometry=gpd.points_from_xy(frame["seat_lon"], frame["seat_lat"]),
                crs="EPSG:4326"))
            gcj["seat_lon"], gcj["seat_lat"] = seats.geometry.x, seats.geometry.y
        gcj.to_file(path, layer=name, driver="GPKG")
    return path, grids.iloc[DROPPED]


@pytest.fixture(scope="module")
def imported(stores, county_files):
    """The CLI's import into an empty store: its exit code, what it printed, and the store."""
    path, _dropped = county_files
    source = source_for(stores.empty("combined"))
    source.prepare(seed=False)
    said = io.StringIO()
    with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
        code = main(["import-boundaries", str(path), "--new-region", "--datum", "gcj02",
                     "--database-url", source.settings.database_url])
    yield code, said.getvalue(), source
    dispose(source)


def test_every_untidiness_is_reported_and_the_region_is_made(imported, county_files):
    code, said, _source = imported
    _path, dropped = county_files
    assert code == 0, said
    assert "Traceback" not in said
    assert "Valid: ready to activate" in said
    assert f"new region {NAME_ZH} / {NAME_EN} (339999)" in said
    for layer in ("county", "neighbours", "townships", "villages", "grids", "checkpoints"):
        assert f"donghai-gcj02.gpkg:{layer}: read as GCJ-02 and converted to WGS84" in said
    assert said.count("comes as 2 features") == SPLIT
    assert "has no village_code column: each grid is given the village it overlaps most " \
           "(746 of 746 placed)" in said
    gaps = [line for line in said.splitlines() if "is in none of the grids" in line]
    assert any(dropped["village_code"] in line for line in gaps), said  # the dropped grid
    assert "no quarantine sites given: the new region has none" in said


def test_it_lies_where_it_was_moved_to_within_a_metre(imported, truth):
    _code, _said, source = imported
    region = source.region()
    assert len(region.grids) == len(truth["grids"]) - 1
    assert len(region.villages) == len(truth["villages"])
    metric = "EPSG:32651"
    here = region.county.to_crs(metric).geometry.iloc[0]
    there = truth["county"].to_crs(metric).geometry.iloc[0]
    assert here.centroid.distance(there.centroid) < 1.0
    assert shapely.hausdorff_distance(here, there) < 25.0  # the 20 m simplification
    grids = region.grids.set_index("code").to_crs(metric)
    given = truth["grids"].set_index("code").to_crs(metric).loc[grids.index]
    apart = grids.geometry.centroid.distance(given.geometry.centroid)
    assert float(apart.max()) < 1.0
    towns = region.townships.set_index("code")
    seats = gpd.GeoSeries(gpd.points_from_xy(towns["seat_lon"], towns["seat_lat"]),
                          crs="EPSG:4326").to_crs(metric)
    expected = truth["townships"].set_index("code").loc[towns.index]
    want = gpd.GeoSeries(gpd.points_from_xy(expected["seat_lon"], expected["seat_lat"]),
                         crs="EPSG:4326").to_crs(metric)
    assert float(np.max(seats.distance(want, align=False))) < 1.0
    # each grid found its village from the geometry: the one it came from
    placed = region.grids.set_index("code")["village_code"]
    assert (placed == truth["grids"].set_index("code").loc[placed.index,
                                                             "village_code"]).all()


def test_its_neighbours_are_those_given_and_nothing_is_kept_from_kaihua(imported, truth):
    _code, _said, source = imported
    region = source.region()
    assert list(region.neighbours["code"]) == list(truth["neighbours"]["code"].iloc[:2])
    assert len(region.quarantine_sites) == 0


def test_the_pages_the_wall_and_the_exports_carry_the_new_name_in_zone_51n(imported):
    from pypdf import PdfReader

    from callbacks.router import render_page
    from gridwatch.auth.policy import system
    from gridwatch.export import ExportRequest, run_export
    from gridwatch.filters import Filters
    from tests.unit.test_callbacks import text_of

    _code, _said, source = imported
    for lang, title, wall in (("en", "Donghai County Grid Command", "Donghai County Command Wall"),
                              ("zh", "东海县网格化防控指挥平台", "东海县疫情防控指挥大屏")):
        page, _ = render_page(source, "/", f"?lang={lang}", system())
        assert title in text_of(page) and "开化" not in text_of(page)
        page, _ = render_page(source, "/wall", f"?lang={lang}", system())
        assert wall in text_of(page) and "Kaihua" not in text_of(page)
    day = Filters(as_of=source.snapshot().last_day)
    drawn = run_export(source, ExportRequest(kind="pdf", filters=day, lang="en"))
    text = PdfReader(io.BytesIO(drawn.content)).pages[0].extract_text()
    assert "Donghai County" in text and "UTM zone 51N (EPSG:32651)" in text
    assert "Kaihua" not in text and "32650" not in text


def test_the_same_file_checks_the_same_on_the_data_page(imported, county_files):
    """``/data`` posts the datum chosen on the page: the same findings as the CLI's."""
    from app import create_app
    from tests.conftest import signed_in_client

    _code, _said, source = imported
    path, _dropped = county_files
    client = signed_in_client(create_app(source.settings), source.writer, "it-staff",
                              "admin", None, "a-known-password-1")

    def check(**fields):
        return client.post("/upload/boundaries?lang=en", headers={"Origin": "http://localhost"},
                           content_type="multipart/form-data",
                           data={"file": [(io.BytesIO(path.read_bytes()), path.name)],
                                 "dry_run": "1", "new_region": "1", **fields})

    answer = check(datum="gcj02")
    assert answer.status_code == 200, answer.json
    keys = [i["key"] for i in answer.json["report"]["issues"]]
    assert answer.json["report"]["ok"] is True
    assert keys.count("datum_converted") == 6 and keys.count("code_dissolved") == SPLIT
    as_wgs84 = check()  # the default datum: nothing converted
    assert "datum_converted" not in [i["key"] for i in as_wgs84.json["report"]["issues"]]
