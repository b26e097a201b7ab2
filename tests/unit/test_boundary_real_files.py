"""Boundary import of real files as they come (issue 13): findings counted once per kind, a
missing grid, GeoJSON arrays, GBK zip member names, the shipped GeoPackage's round trip, and,
through the CLI, reports instead of tracebacks."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridwatch.__main__ import main
from gridwatch.geo.layers import LAYERS
from gridwatch.ingest import boundaries
from gridwatch.ingest.archives import member_name
from gridwatch.ingest.boundaries import (
    ExpectedArea,
    Report,
    import_boundaries,
    parse_mapping,
    to_wgs84,
)
from gridwatch.ingest.boundary_files import BoundaryError, RawLayer, export_boundaries
from gridwatch.ingest.boundary_versions import list_versions
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH

IMPORTED = ("townships", "villages", "grids", "checkpoints")


def layers_of(region) -> dict[str, gpd.GeoDataFrame]:
    return {name: region.layer(name).copy() for name in IMPORTED}


def gpkg(layers: dict[str, gpd.GeoDataFrame], folder, name="b.gpkg"):
    path = folder / name
    for layer, frame in layers.items():
        frame.to_file(path, layer=layer, driver="GPKG")
    return path


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["import-boundaries", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- the report ---------------------------------------------------------------------------------

def test_findings_beyond_the_cap_are_counted_in_one_line_per_kind(monkeypatch):
    monkeypatch.setattr(boundaries, "MAX_LISTED", 3)
    report = Report()
    for i in range(10):
        report.add("error", "overlap", "grids", codes=[f"G{i}", "X"], a=f"G{i}", b="X", area=5e3)
    for i in range(4):
        report.add("error", "overlap", "villages", codes=[f"V{i}", "Y"], a=f"V{i}", b="Y",
                   area=5e3)
    more = [i for i in report.issues if i.key == "more_of_kind"]
    assert [(i.layer, i.params) for i in more] == [("grids", {"n": 7, "total": 10}),
                                                   ("villages", {"n": 1, "total": 4})]
    assert len(report.issues) == 3 + 1 + 3 + 1
    assert more[0].message("en") == "… 7 more findings of this kind are not listed (10 in all)"
    assert more[0].message("zh") == "……同类问题另有 7 条未列出（共 10 条）"
    assert report.issues[3] is more[0]  # right after the findings it continues
    assert len(report.errors) == 8
    assert Report.from_dict(report.to_dict()).issues[3].message("en") == more[0].message("en")


def test_missing_grids_are_gaps_in_the_report_not_a_crash(region, source, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.setattr(boundaries, "MAX_LISTED", 2)
    layers = layers_of(region)
    grids = layers["grids"]
    gone = grids["code"].iloc[[5, 60, 120, 300, 500]].tolist()
    layers["grids"] = grids[~grids["code"].isin(gone)]
    path = gpkg(layers, tmp_path)
    url = source.settings.database_url
    for lang in ("en", "zh"):
        code, out, err = run_cli(capsys, path, "--dry-run", "--lang", lang, "--database-url",
                                 url)
        assert code == 0, err
        assert "Traceback" not in out + err
    assert out.count("同类问题另有 3 条未列出（共 5 条）") == 1
    assert out.count("网格编码不在新边界中") == 1
    one = layers_of(region)
    one["grids"] = grids[grids["code"] != gone[0]]
    report = import_boundaries([("b.gpkg", gpkg(one, tmp_path, "one.gpkg").read_bytes())],
                               region).report
    assert report.ok
    [gap] = [i for i in report.issues if i.key == "gap"]
    assert gap.layer == "grids" and "in none of the grids" in gap.message("en")
    assert "不属于任何网格" in gap.message("zh")


# --- files as they come -------------------------------------------------------------------------

def test_a_geojson_file_holding_a_bare_array_of_features_is_read(region, tmp_path):
    layers = layers_of(region)
    files = [(f"{name}.gpkg", gpkg({name: frame}, tmp_path, f"{name}.gpkg").read_bytes())
             for name, frame in layers.items() if name != "checkpoints"]
    collection = json.loads(layers["checkpoints"].to_json(drop_id=True))
    array = json.dumps(collection["features"], ensure_ascii=False).encode()
    assert array.startswith(b"[")
    result = import_boundaries([*files, ("checkpoints.json", array)], region)
    assert result.report.ok, [i.message("en") for i in result.report.errors]
    got = result.layers["checkpoints"].set_index("code")
    assert sorted(got.index) == sorted(region.checkpoints["code"])
    assert got.loc[region.checkpoints["code"].iloc[0], "name_zh"] == \
        region.checkpoints["name_zh"].iloc[0]
    assert any(i.key == "crs_assumed_lonlat" and i.layer == "checkpoints"
               for i in result.report.issues)


@pytest.mark.parametrize(("data", "key", "en"), [
    (b"[]", "geojson_array_empty", "cp.json is an empty JSON array: it holds no features"),
    (b'[{"type": "Feature", "geometry": null, "properties": {}}, 3]', "geojson_array_item",
     "cp.json is a JSON array, but its item 2 is not a GeoJSON Feature"),
])
def test_an_array_that_is_not_one_of_features_is_refused_naming_the_item(region, data, key,
                                                                          en):
    with pytest.raises(BoundaryError) as err:
        import_boundaries([("cp.json", data)], region, layer_names={"cp.json": "checkpoints"})
    assert err.value.key == key and str(err.value) == en
    assert err.value.message("zh") != en


class GBKInfo(zipfile.ZipInfo):
    """A member whose name is written in GBK without the UTF-8 flag, as Chinese Windows tools
    write it."""

    def _encodeFilenameFlags(self):  # zipfile's own (private) name
        return self.filename.encode("gbk"), self.flag_bits


CHINESE = {"townships": "乡镇", "villages": "村社", "grids": "网格", "checkpoints": "卡口"}


def gbk_zip(region) -> bytes:
    exported = zipfile.ZipFile(io.BytesIO(export_boundaries(layers_of(region), "EPSG:4549")))
    out = io.BytesIO()
    with exported, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in exported.namelist():
            stem, ext = member.rsplit(".", 1)
            archive.writestr(GBKInfo(f"边界/{CHINESE[stem]}.{ext}"), exported.read(member))
    return out.getvalue()


def test_zip_member_names_in_gbk_are_decoded_so_layers_are_named_right(region):
    data = gbk_zip(region)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        assert not info.flag_bits & 0x800 and "乡镇" not in info.filename  # read as CP437
        assert member_name(info) in {f"边界/{n}.{e}" for n in CHINESE.values()
                                     for e in ("shp", "shx", "dbf", "prj", "cpg")}
    result = import_boundaries([("开化.zip", data)], region)
    assert result.report.ok, [i.message("en") for i in result.report.errors]
    sources = {i.layer: i.params["file"] for i in result.report.issues
               if i.key == "crs_declared"}
    assert sources == {layer: f"开化.zip:边界/{name}.shp" for layer, name in CHINESE.items()}
    assert len(result.layers["grids"]) == len(region.grids)


def test_a_member_name_that_is_neither_utf8_nor_gbk_is_left_as_read():
    info = zipfile.ZipInfo("caf\N{LATIN SMALL LETTER E WITH ACUTE}.shp")
    assert member_name(info) == info.filename  # not read as CP437 (no bytes to redo)
    odd = zipfile.ZipInfo(b"\x82.shp".decode("cp437"))
    assert member_name(odd) == odd.filename  # 0x82 then "." is not GB18030 either


# --- the shipped region -------------------------------------------------------------------------

def test_the_shipped_geopackage_round_trips_through_import_boundaries(region, fresh_source,
                                                                      capsys):
    url = fresh_source.settings.database_url
    code, out, err = run_cli(capsys, GEO_PATH, "--activate", "--database-url", url)
    assert code == 0, out + err
    assert "[neighbours] kaihua.gpkg:neighbours: CRS WGS 84" in out
    assert "Valid: ready to activate (0 warnings)." in out and "ERROR" not in out
    [row] = list_versions(fresh_source.engine)
    assert row["status"] == "active"
    now = fresh_source.region()
    assert now.path != region.path
    for name in LAYERS:
        shipped = region.layer(name).set_index("code").sort_index()
        back = now.layer(name).set_index("code").sort_index()
        assert list(back.index) == list(shipped.index), name
        assert sorted(back.columns) == sorted(shipped.columns), name
        for column in shipped.columns.drop("geometry"):
            assert back[column].astype(str).tolist() == shipped[column].astype(str).tolist(), \
                (name, column)
        assert back.geometry.geom_equals_exact(shipped.geometry, 1e-9).all(), name


def test_neighbours_need_only_reach_into_the_expected_area(region):
    expected = ExpectedArea.from_region(region)
    neighbours = region.neighbours
    xy = shapely.get_coordinates(neighbours.geometry.to_numpy())
    assert not expected.contains(xy[:, 0], xy[:, 1])  # they reach far beyond the county
    raw = RawLayer("neighbours", "n.gpkg", neighbours, True)
    assert len(to_wgs84(raw, expected, Report())) == len(neighbours)
    far = RawLayer("neighbours", "n.gpkg",
                   neighbours.assign(geometry=neighbours.translate(xoff=5)), True)
    with pytest.raises(BoundaryError) as err:
        to_wgs84(far, expected, Report())
    assert err.value.key == "outside_far"  # in China: a county elsewhere
    undeclared = RawLayer("neighbours", "n.gpkg", neighbours.to_crs(4549).set_crs(
        None, allow_override=True), False)
    report = Report()
    moved = to_wgs84(undeclared, expected, report).to_crs(32650).distance(
        neighbours.to_crs(32650))
    assert moved.max() < 2.0 and "EPSG:4549" in report.issues[0].message("en")


# --- column mapping -----------------------------------------------------------------------------

RENAMED = {
    "townships": {"code": "ADCODE", "name_zh": "NAME"},
    "villages": {"code": "ADCODE", "name_zh": "NAME", "township_code": "SSXZ"},
    "grids": {"code": "WGBM", "name_zh": "WGMC", "village_code": "SSCUN", "population": "RKS"},
}
MAPPING = ["code=ADCODE", "name_zh=NAME", "villages.township_code=SSXZ", "grids.code=WGBM",
           "网格.name_zh=WGMC", "grids.village_code=SSCUN", "grids.population=RKS"]


@pytest.fixture(scope="module")
def renamed(region, tmp_path_factory):
    """The demo boundaries with a county GIS office's column names; the villages also carry a
    ``code`` column that is only a row number (the mapping must win over it)."""
    layers = layers_of(region)
    for name, columns in RENAMED.items():
        layers[name] = layers[name].rename(columns=columns)
    layers["villages"]["code"] = [str(i) for i in range(len(layers["villages"]))]
    return gpkg(layers, tmp_path_factory.mktemp("renamed"), "zhejiang.gpkg")


def test_a_column_mapping_reads_a_county_s_own_column_names(region, renamed):
    data = [("zhejiang.gpkg", renamed.read_bytes())]
    bare = import_boundaries(data, region).report
    assert {(i.layer, i.params["column"]) for i in bare.errors if i.key == "missing_column"} \
        >= {("townships", "code"), ("grids", "code")}
    result = import_boundaries(data, region, mapping=parse_mapping(MAPPING))
    assert result.report.ok, [i.message("en") for i in result.report.errors]
    for name in IMPORTED:
        assert sorted(result.layers[name]["code"]) == sorted(region.layer(name)["code"]), name
    grids = result.layers["grids"].set_index("code").loc[region.grids["code"]]
    assert (grids["population"].to_numpy() == region.grids["population"].to_numpy()).all()
    assert (grids["village_code"].to_numpy() == region.grids["village_code"].to_numpy()).all()
    noted = {i.layer: i.message("en") for i in result.report.issues if i.key == "columns_mapped"}
    assert set(noted) == {"townships", "villages", "grids"}  # checkpoints keep their names
    assert noted["grids"].endswith("code ← WGBM, name_zh ← WGMC, village_code ← SSCUN, "
                                   "population ← RKS")


@pytest.mark.parametrize(("spec", "key", "en"), [
    (["colour=FOO"], "map_unknown_field", "--map colour=FOO: there is no field colour"),
    (["streets.code=X"], "map_unknown_layer", "--map streets.code=X: there is no layer streets"),
    (["grids.capacity=RS"], "map_unknown_layer_field",
     "--map grids.capacity=RS: the grids layer has no field capacity (its fields: code, "),
    (["code"], "map_bad", "--map code: write FIELD=COLUMN or LAYER.FIELD=COLUMN"),
    (["code=A", "code=B"], "map_twice", "--map gives code two different columns: A and B"),
])
def test_a_mapping_that_names_no_known_field_is_refused_before_anything_is_read(spec, key, en):
    with pytest.raises(BoundaryError) as err:
        parse_mapping(spec)
    assert err.value.key == key and str(err.value).startswith(en)
    assert err.value.message("zh") != str(err.value)


def test_a_mapped_column_the_files_lack_is_named_and_nothing_is_imported(region, renamed,
                                                                         fresh_source, capsys):
    url = fresh_source.settings.database_url
    before = data_version(fresh_source.engine)
    maps = [a for m in MAPPING for a in ("--map", m)]
    code, out, err = run_cli(capsys, renamed, *maps, "--map", "grids.households=HS",
                             "--activate", "--database-url", url)
    assert code == 1 and "Traceback" not in out + err
    assert ("ERROR    [grids] zhejiang.gpkg:grids has no column HS, which --map gives for the "
            "field households (the file has: WGBM, WGMC") in out
    code, out, err = run_cli(capsys, renamed, *maps, "--map", "population=POP", "--lang", "zh",
                             "--activate", "--database-url", url)
    assert code == 1
    assert ("ERROR    --map population=POP：含字段 population 的图层（zhejiang.gpkg:grids）"
            "都没有列 POP") in out
    code, out, err = run_cli(capsys, renamed, "--map", "grids.colour=X", "--database-url", url)
    assert code == 2 and err.startswith("error: --map grids.colour=X: the grids layer has no")
    assert list_versions(fresh_source.engine) == [] and data_version(fresh_source.engine) == before
    code, out, err = run_cli(capsys, renamed, *maps, "--activate", "--database-url", url)
    assert code == 0, out + err
    assert [r["status"] for r in list_versions(fresh_source.engine)] == ["active"]


# --- one feature per code -----------------------------------------------------------------------

def split(frame: gpd.GeoDataFrame, code: str, parts: int) -> gpd.GeoDataFrame:
    """``frame`` with the feature ``code`` cut into ``parts`` vertical strips, each a row of its
    own with the same attributes, the strips placed at the end."""
    row = frame[frame["code"] == code]
    geom = row.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    step = (x1 - x0) / parts
    strips = [geom.intersection(shapely.box(x0 + i * step, y0 - 1, x0 + (i + 1) * step, y1 + 1))
              for i in range(parts)]
    pieces = row.loc[row.index.repeat(parts)].copy()
    pieces["geometry"] = strips
    return gpd.GeoDataFrame(pd.concat([frame[frame["code"] != code], pieces],
                                      ignore_index=True), crs=frame.crs)


def test_features_of_one_code_are_dissolved_with_a_note(region, fresh_source, tmp_path, capsys):
    layers = layers_of(region)
    village, grid = region.villages["code"].iloc[7], region.grids["code"].iloc[42]
    villages = split(layers["villages"], village, 3)
    villages.loc[villages.index[-1], "name_zh"] = ""  # an empty value agrees with any
    layers["villages"] = villages
    grids = split(layers["grids"], grid, 2)
    grids.loc[grids.index[-2:], "population"] = [100, 23]  # per part: summed
    layers["grids"] = grids
    path = gpkg(layers, tmp_path)
    result = import_boundaries([("b.gpkg", path.read_bytes())], region)
    assert result.report.ok, [i.message("en") for i in result.report.errors]
    notes = {i.codes[0]: i.message("en") for i in result.report.issues
             if i.key.startswith("code_dissolved")}
    n = len(region.villages)
    assert notes == {
        village: f"b.gpkg:villages: {village} comes as 3 features (rows {n}, {n + 1}, {n + 2}): "
                 "dissolved into one",
        grid: f"b.gpkg:grids: {grid} comes as 2 features (rows {len(region.grids)}, "
              f"{len(region.grids) + 1}): dissolved into one, its population the sum of the "
              "parts'"}
    got = result.layers["villages"].set_index("code")
    assert len(got) == n and got.loc[village, "name_zh"] == \
        region.villages.set_index("code").loc[village, "name_zh"]
    before = region.villages.set_index("code").to_crs(32650).area[village]
    assert abs(got.to_crs(32650).area[village] / before - 1) < 1e-5
    assert result.layers["grids"].set_index("code").loc[grid, "population"] == 123
    url = fresh_source.settings.database_url
    code, out, err = run_cli(capsys, path, "--activate", "--lang", "zh", "--database-url", url)
    assert code == 0, out + err
    assert f"{village} 由 3 个要素组成" in out
    assert len(fresh_source.region().villages) == n


def test_parts_of_one_code_that_disagree_are_errors_per_row(region, tmp_path):
    layers = layers_of(region)
    village = region.villages["code"].iloc[7]
    villages = split(layers["villages"], village, 2)
    villages.loc[villages.index[-1], "township_code"] = "330824999"
    layers["villages"] = villages
    report = import_boundaries([("b.gpkg", gpkg(layers, tmp_path).read_bytes())], region).report
    [error] = [i for i in report.errors if i.key == "code_parts_differ"]
    said = region.villages.set_index("code").loc[village, "township_code"]
    n = len(region.villages)
    assert error.message("en") == (
        f"b.gpkg:villages, row {n + 1}: township_code of {village} is “330824999”, but row {n} "
        f"with the same code says “{said}”")
    assert report.errors == [error]  # dissolved all the same: the checks ran without it


def test_empty_or_repeated_point_codes_are_reported_per_row(region, fresh_source, tmp_path,
                                                            capsys):
    layers = layers_of(region)
    layers["quarantine_sites"] = region.quarantine_sites.copy()
    cps, sites = layers["checkpoints"], layers["quarantine_sites"]
    cps.loc[cps.index[2], "code"] = ""
    cps.loc[cps.index[[4, 9]], "code"] = cps["code"].iloc[3]
    sites.loc[sites.index[1], "code"] = None
    sites.loc[sites.index[5], "code"] = sites["code"].iloc[0]
    path = gpkg(layers, tmp_path)
    url = fresh_source.settings.database_url
    code, out, err = run_cli(capsys, path, "--activate", "--database-url", url)
    assert code == 1 and "Traceback" not in out + err
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    cp, site = cps["code"].iloc[3], sites["code"].iloc[0]
    assert errors == [
        "ERROR    [checkpoints] b.gpkg:checkpoints, row 3: the code (column code) is empty",
        f"ERROR    [checkpoints] b.gpkg:checkpoints, row 5: the code {cp} repeats row 4",
        f"ERROR    [checkpoints] b.gpkg:checkpoints, row 10: the code {cp} repeats row 4",
        "ERROR    [quarantine_sites] b.gpkg:quarantine_sites, row 2: the code (column code) is "
        "empty",
        f"ERROR    [quarantine_sites] b.gpkg:quarantine_sites, row 6: the code {site} repeats "
        "row 1"]
    assert list_versions(fresh_source.engine) == []


# --- a grid's village from its geometry ---------------------------------------------------------

def test_a_grid_s_village_is_the_one_it_overlaps_most_when_the_column_is_missing(region,
                                                                                 tmp_path):
    layers = layers_of(region)
    layers["grids"] = layers["grids"].drop(columns=["village_code", "township_code"])
    result = import_boundaries([("b.gpkg", gpkg(layers, tmp_path).read_bytes())], region)
    assert result.report.ok, [i.message("en") for i in result.report.errors]
    [note] = [i for i in result.report.issues if i.key == "parent_from_geometry"]
    assert note.level == "info" and note.layer == "grids"
    assert note.message("en") == ("b.gpkg:grids has no village_code column: each grid is given "
                                  "the village it overlaps most (747 of 747 placed)")
    assert "重叠面积最大的村社" in note.message("zh")
    got = result.layers["grids"].set_index("code").loc[region.grids["code"]]
    assert (got["village_code"].to_numpy() == region.grids["village_code"].to_numpy()).all()
    assert (got["township_code"].to_numpy() == region.grids["township_code"].to_numpy()).all()


def test_a_grid_in_no_village_is_said_to_lie_in_none(region, tmp_path, source, capsys):
    layers = layers_of(region)
    grids = layers["grids"].drop(columns=["village_code"])
    lost = grids["code"].iloc[3]
    moved = grids["code"] == lost
    grids.loc[moved, "geometry"] = grids.loc[moved].translate(yoff=-0.3)  # 33 km south
    layers["grids"] = grids
    path = gpkg(layers, tmp_path)
    report = import_boundaries([("b.gpkg", path.read_bytes())], region).report
    assert [(i.key, i.codes) for i in report.errors] == [("outside_parents", (lost,))]
    assert "746 of 747 placed" in next(i.message("en") for i in report.issues
                                       if i.key == "parent_from_geometry")
    code, out, err = run_cli(capsys, path, "--dry-run", "--database-url",
                             source.settings.database_url)
    assert code == 1 and "Traceback" not in out + err
    assert f"ERROR    [grids] {lost} lies in none of the villages" in out


# --- never a traceback --------------------------------------------------------------------------

def test_the_cli_ends_in_a_message_whatever_happens(source, tmp_path, capsys, monkeypatch):
    url = source.settings.database_url
    code, out, err = run_cli(capsys, tmp_path / "nowhere.gpkg", "--database-url", url)
    assert code == 2 and err.startswith("error: ") and "nowhere.gpkg" in err
    assert "No such file or directory" in err and "Traceback" not in err
    path = tmp_path / "b.geojson"
    path.write_bytes(b"[]")

    def broken(*_args, **_kwargs):
        raise KeyError("layer")

    monkeypatch.setattr("gridwatch.ingest.cli.import_boundaries", broken)
    code, out, err = run_cli(capsys, path, "--lang", "zh", "--database-url", url)
    assert code == 3 and out == ""
    assert err == ("error: 导入边界时出现未预料的错误（KeyError：'layer'），未保存任何内容；"
                   "请将此信息和文件报告给维护者\n")
