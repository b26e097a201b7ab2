"""Specification of the committed demo geography, ``data/geo/kaihua.gpkg``.

The county and neighbour outlines are real; townships, villages, grids, checkpoints and
quarantine sites are synthetic (see ``data/geo/README.md``) but must behave like real
administrative units: they nest by code and tile their parents exactly.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from gridwatch.geo.generate import LAYERS

REPO_ROOT = Path(__file__).resolve().parents[2]
GPKG = REPO_ROOT / "data" / "geo" / "kaihua.gpkg"
METRIC = "EPSG:32650"
AREA_TOLERANCE = 1e-4  # 0.01 %

COLUMNS = {
    "county": ["code", "name_zh", "name_en"],
    "neighbours": ["code", "name_zh", "name_en", "province_zh", "province_en"],
    "townships": ["code", "name_zh", "name_en", "kind", "seat_lon", "seat_lat", "area_km2"],
    "villages": ["code", "name_zh", "name_en", "township_code"],
    "grids": [
        "code",
        "name_zh",
        "name_en",
        "village_code",
        "township_code",
        "population",
        "households",
    ],
    "checkpoints": ["code", "name_zh", "name_en", "township_code", "kind", "capacity"],
    "quarantine_sites": ["code", "name_zh", "name_en", "township_code", "capacity"],
}
CHECKPOINT_KINDS = {"provincial_border", "county_border", "expressway_exit", "town_entrance"}


@pytest.fixture(scope="module")
def region() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(GPKG, layer=name) for name in LAYERS}


def assert_tiles(parent: gpd.GeoDataFrame, child: gpd.GeoDataFrame, key: str | None) -> None:
    """Each parent equals the union of its children, with no overlaps (areas in UTM 50N)."""
    parent, child = parent.to_crs(METRIC), child.to_crs(METRIC)
    for _, row in parent.iterrows():
        kids = child if key is None else child[child[key] == row["code"]]
        assert len(kids) > 0, row["code"]
        area = row.geometry.area
        union = shapely.union_all(kids.geometry.to_numpy())
        assert abs(kids.area.sum() - area) / area < AREA_TOLERANCE, row["code"]  # no overlaps
        assert abs(union.area - area) / area < AREA_TOLERANCE, row["code"]  # no gaps
        assert shapely.symmetric_difference(union, row.geometry).area / area < AREA_TOLERANCE


# ---------------------------------------------------------------- layers and attributes


def test_file_has_exactly_the_expected_layers_in_wgs84(region):
    assert [name for name, _ in pyogrio.list_layers(GPKG)] == list(LAYERS)
    for name, gdf in region.items():
        assert gdf.crs.to_epsg() == 4326, name


def test_feature_counts(region):
    assert len(region["county"]) == 1
    assert len(region["neighbours"]) == 6
    assert len(region["townships"]) == 15
    assert len(region["villages"]) == 266
    assert len(region["grids"]) == 747
    assert 22 <= len(region["checkpoints"]) <= 26
    assert 5 <= len(region["quarantine_sites"]) <= 7


def test_columns_are_exact_and_never_null(region):
    for name, columns in COLUMNS.items():
        gdf = region[name]
        assert list(gdf.columns) == [*columns, "geometry"], name
        assert not gdf.isna().any().any(), name
        assert gdf["code"].map(type).eq(str).all(), name


def test_county_and_neighbours(region):
    county = region["county"].iloc[0]
    assert (county.code, county.name_zh, county.name_en) == ("330824", "开化县", "Kaihua County")
    nb = region["neighbours"]
    assert set(nb.province_zh) == {"浙江省", "安徽省", "江西省"}
    mapping = dict(zip(nb.province_zh, nb.province_en, strict=True))
    assert mapping == {"浙江省": "Zhejiang", "安徽省": "Anhui", "江西省": "Jiangxi"}
    assert nb.code.str.fullmatch(r"\d{6}").all()


def test_townships_match_the_source_list_and_report_their_real_area(region):
    tw = region["townships"]
    assert tw.code.str.fullmatch(r"330824\d{3}").all()
    assert set(tw.kind) == {"subdistrict", "town", "township"}
    assert (tw.kind == "subdistrict").sum() == 1
    measured = tw.to_crs(METRIC).area / 1e6
    assert np.allclose(tw.area_km2, measured, rtol=1e-4)
    assert tw.area_km2.min() > 30  # real-looking units, not slivers
    assert tw.area_km2.max() / tw.area_km2.min() > 2  # uneven, not a chessboard


def test_every_township_contains_its_seat(region):
    tw = region["townships"]
    seats = gpd.points_from_xy(tw.seat_lon, tw.seat_lat)
    assert tw.geometry.contains(gpd.GeoSeries(seats, index=tw.index, crs=tw.crs)).all()


# ---------------------------------------------------------------- codes and nesting


def test_codes_are_unique_in_every_layer(region):
    for name, gdf in region.items():
        assert gdf["code"].is_unique, name


def test_codes_nest_township_village_grid(region):
    tw, vil, grid = region["townships"], region["villages"], region["grids"]
    assert vil.code.str.fullmatch(r"\d{12}").all()
    assert grid.code.str.fullmatch(r"\d{14}").all()
    assert set(vil.township_code) == set(tw.code)
    assert all(c.startswith(t) for c, t in zip(vil.code, vil.township_code, strict=True))
    assert set(grid.village_code) == set(vil.code)  # every village has at least one grid
    assert all(c.startswith(v) for c, v in zip(grid.code, grid.village_code, strict=True))
    village_township = vil.set_index("code").township_code
    assert (grid.township_code.to_numpy() == village_township[grid.village_code].to_numpy()).all()
    assert vil.groupby("township_code").size().min() >= 5


def test_names_are_unique_and_follow_the_patterns(region):
    vil, grid = region["villages"], region["grids"]
    assert vil.name_zh.is_unique and vil.name_en.is_unique
    assert vil.name_zh.str.fullmatch(r".+(村|社区)").all()
    assert vil.name_en.str.fullmatch(r"[A-Z][a-z']+ (Village|Community)").all()
    names = vil.set_index("code")
    for row in grid.sample(50, random_state=0).itertuples():
        n = int(row.code[-2:])
        assert row.name_zh == f"{names.name_zh[row.village_code]}第{n}网格"
        assert row.name_en == f"{names.name_en[row.village_code]} Grid {n}"


# ---------------------------------------------------------------- geometry


def test_polygons_are_valid_single_polygons(region):
    for name in ("county", "townships", "villages", "grids"):
        geoms = region[name].geometry
        assert geoms.is_valid.all(), name
        assert (geoms.geom_type == "Polygon").all(), name


def test_townships_tile_the_county(region):
    assert_tiles(region["county"], region["townships"], None)


def test_villages_tile_their_township(region):
    assert_tiles(region["townships"], region["villages"], "township_code")


def test_grids_tile_their_village(region):
    assert_tiles(region["villages"], region["grids"], "village_code")
    villages = region["villages"].set_index("code").geometry
    grids = region["grids"]
    points = grids.geometry.representative_point()
    parents = gpd.GeoSeries(
        villages[grids.village_code].to_numpy(), index=grids.index, crs=grids.crs
    )
    assert parents.contains(points).all()


def test_vertex_counts_stay_moderate(region):
    counts = shapely.get_num_coordinates(region["grids"].geometry.to_numpy())
    assert counts.mean() <= 60
    assert shapely.get_num_coordinates(region["villages"].geometry.to_numpy()).mean() <= 120


# ---------------------------------------------------------------- population


def test_population_matches_kaihua(region):
    grids = region["grids"]
    assert 355_000 <= grids.population.sum() <= 365_000
    assert (grids.population > 0).all()
    ratio = grids.population / grids.households
    assert ratio.between(2.5, 3.3).all()
    assert 2.6 <= grids.population.sum() / grids.households.sum() <= 3.2


def test_county_town_is_the_densest_township(region):
    tw = region["townships"].set_index("code")
    pop = region["grids"].groupby("township_code").population.sum()
    density = pop / tw.area_km2[pop.index]
    capital = tw.index[tw.kind == "subdistrict"][0]
    assert density.idxmax() == capital
    assert pop[capital] == pop.max()


# ---------------------------------------------------------------- points


def _inside_own_township(points: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> bool:
    polys = townships.set_index("code").geometry[points.township_code].to_numpy()
    return bool(shapely.contains(polys, points.geometry.to_numpy()).all())


def test_checkpoints_lie_in_their_township_and_the_county(region):
    cps, county = region["checkpoints"], region["county"].geometry.iloc[0]
    assert (cps.capacity > 0).all()  # people per hour: what over-capacity alerts compare with
    assert set(cps.kind) <= CHECKPOINT_KINDS
    assert cps.code.tolist() == [f"CP{i:02d}" for i in range(1, len(cps) + 1)]
    assert cps.geometry.within(county).all()
    assert _inside_own_township(cps, region["townships"])


def test_provincial_border_checkpoints_sit_on_the_anhui_jiangxi_border(region):
    cps = region["checkpoints"].to_crs(METRIC)
    county = region["county"].to_crs(METRIC).geometry.iloc[0]
    nb = region["neighbours"].to_crs(METRIC)
    other_province = nb[nb.province_en.isin(["Anhui", "Jiangxi"])].geometry.buffer(300).union_all()
    border = county.boundary.intersection(other_province)
    assert border.length > 100_000  # Xiuning, Wuyuan, Dexing and Yushan
    prov = cps[cps.kind == "provincial_border"]
    assert len(prov) >= len(cps) / 2
    near = prov.distance(border) < 1_000
    assert near.mean() >= 0.8
    county_border = cps[cps.kind == "county_border"]
    assert len(county_border) >= 2
    assert (county_border.distance(county.boundary) < 1_000).all()


def test_quarantine_sites_lie_in_their_township(region):
    sites = region["quarantine_sites"]
    assert sites.code.tolist() == [f"QS{i:02d}" for i in range(1, len(sites) + 1)]
    assert (sites.capacity > 0).all()
    assert _inside_own_township(sites, region["townships"])
