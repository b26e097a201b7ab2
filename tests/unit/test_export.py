"""Briefing exports: every produced file is opened and checked like a reader would."""

from __future__ import annotations

import io
import json
import warnings
import xml.etree.ElementTree as ET
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import box

from gridwatch.__main__ import main as cli_main
from gridwatch.export import (
    ExportOptionError,
    ExportRequest,
    StaleExport,
    UnknownExport,
    export_id,
    replay,
    request_from_params,
    run_export,
)
from gridwatch.export.ids import ExportLog
from gridwatch.export.render import Stamp, map_page
from gridwatch.export.tables import neutralise, safe_csv
from gridwatch.filters import Filters
from gridwatch.geo.layers import METRIC_CRS
from gridwatch.metrics import grid_status, grid_table, select_grids
from gridwatch.store.db import make_engine, migrate
from gridwatch.style import MUTED_FILL
from web.exports import export_href

DAY = date(2020, 2, 2)  # the demo's busiest day: every colour is on the map
HOT = Filters(colours=("red", "orange", "yellow"), as_of=DAY)


def request(kind: str, **kw) -> ExportRequest:
    kw.setdefault("filters", HOT)
    return ExportRequest(kind=kind, **kw)


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> ExportLog:
    """An export log in a store of its own (migrated, empty): the shared demo store stays
    untouched."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('exports') / 'exports.sqlite'}")
    migrate(engine)
    yield ExportLog(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def pdf_map(source, log):
    return run_export(source, request("pdf"), log)


def hex_rgb(value: str) -> tuple[int, int, int]:
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


# --- the map ---------------------------------------------------------------------------------

MARK_REACH = 1500
"""Metres around a red or orange grid's point that its printed mark (halo) may cover."""


def clear_points(region, status, filters, labels,
                 per_colour: int = 3) -> list[tuple[str, object]]:
    """Per colour (and muted), grids whose representative point lies well away from every
    line, marker and label drawn on top of the grid fills, and from the hotspot mark of any
    red or orange grid that would be drawn over it (a red or orange grid's own dot has its own
    colour; red marks lie above orange ones)."""
    grids = region.grids.set_index("code").sort_index().to_crs(METRIC_CRS)
    points = grids.representative_point()
    towns = region.townships.to_crs(METRIC_CRS)
    obstacles = gpd.GeoSeries(
        [*towns.boundary.buffer(250), *labels,
         *region.checkpoints.to_crs(METRIC_CRS).buffer(800),
         *region.quarantine_sites.to_crs(METRIC_CRS).buffer(700)], crs=METRIC_CRS).union_all()
    keep = select_grids(status, filters)
    hot = {colour: points[status.index[keep & (status["colour"] == colour)]].buffer(
        MARK_REACH).union_all() for colour in ("red", "orange")}
    above = {"red": [], "orange": [hot["red"]]}
    picked = []
    for key in ("red", "orange", "yellow", "muted"):
        codes = status.index[~keep] if key == "muted" else status.index[
            keep & (status["colour"] == key)]
        found = 0
        for code in codes:
            p = points[code]
            if any(p.within(mark) for mark in above.get(key, hot.values())):
                continue
            if not p.within(obstacles) and p.distance(grids.loc[code].geometry.boundary) > 120:
                picked.append((key, code, p))
                found += 1
            if found == per_colour:
                break
        assert found, f"no clear {key} grid to sample"
    return picked


def test_png_is_a4_at_300_dpi_and_every_grid_has_its_screen_colour(source, snap, region):
    stamp = Stamp("test00000000", snap.version,
                  pd.Timestamp("2020-02-03 08:00", tz="Asia/Shanghai"), True)
    palette = source.settings.palette
    drawn = map_page(snap, request("png"), palette, stamp)
    image = Image.open(io.BytesIO(drawn.page.save("png", stamp, "t", "s")))
    assert image.size in ((3508, 2480), (3507, 2480))  # 297 × 210 mm
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    pixels = np.asarray(image.convert("RGB"))
    status = grid_status(snap, DAY).sort_index()
    # Labels, as drawn, are obstacles too: their extent in map units.
    to_data = drawn.ax.transData.inverted()
    labels = []
    for text in drawn.ax.texts:
        (x0, y0), (x1, y1) = to_data.transform(text.get_window_extent().get_points())
        labels.append(box(x0, y0, x1, y1).buffer(150))
    samples = clear_points(region, status, HOT, labels)
    for key, code, point in samples:
        x, y = drawn.ax.transData.transform((point.x, point.y))
        pixel = tuple(int(v) for v in pixels[pixels.shape[0] - 1 - round(y), round(x)])
        expected = hex_rgb(MUTED_FILL if key == "muted" else palette[key])
        # Opaque fills: the pixel is the palette colour (a little antialiasing aside).
        assert max(abs(a - b) for a, b in zip(pixel, expected, strict=True)) <= 8, (
            f"grid {code} ({key}) printed as {pixel}, expected {expected}")


def test_pdf_map_is_vector_with_chinese_title_legend_and_export_id(pdf_map):
    reader = PdfReader(io.BytesIO(pdf_map.content))
    assert len(reader.pages) == 1
    width, height = (float(v) / 72 * 25.4 for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (297, 210)
    text = reader.pages[0].extract_text()
    for expected in ("开化县网格风险态势图", "图例", "网格风险（个）", "红", "橙", "不在筛选范围",
                     "位置示意", "千米", "风险颜色：红、橙、黄", "数据截至 2020-02-02",
                     f"导出编号 {pdf_map.record.export_id}", "合成演示数据"):
        assert expected in text, expected
    assert reader.metadata["/Keywords"].startswith(f"export-id={pdf_map.record.export_id}")
    # The CJK font is embedded as real TrueType (not CFF data under a TrueType label).
    raw = pdf_map.content
    assert b"/FontFile2" in raw and b"/FontFile3" not in raw
    fonts = [f.get_object()["/BaseFont"] for f in
             reader.pages[0]["/Resources"]["/Font"].values()]
    assert any("CJK" in name for name in fonts)


def test_nothing_is_drawn_with_a_missing_glyph(source, log):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_export(source, request("svg", lang="en", title="Glyph check 开化"), log)
        run_export(source, request("pdf", title="字形检查 ①"), log)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_svg_parses_and_says_what_it_is(source, log):
    result = run_export(source, request("svg", orientation="portrait", paper="A3"), log)
    root = ET.fromstring(result.content)
    assert root.tag.endswith("svg")
    assert root.attrib["width"].startswith("841") and root.attrib["height"].startswith("1190")
    assert result.record.export_id.encode() in result.content
    assert b"<text" not in result.content  # glyphs are paths: no viewer needs the font


def test_current_view_extent_is_recorded_and_changes_the_export(source, log):
    whole = run_export(source, request("png"), log)
    view = run_export(source, request("png", bbox=(118.35, 29.05, 118.5, 29.2)), log)
    assert whole.record.export_id != view.record.export_id
    assert view.record.request["bbox"] == [118.35, 29.05, 118.5, 29.2]
    assert Image.open(io.BytesIO(view.content)).size == Image.open(
        io.BytesIO(whole.content)).size


# --- reproducibility -------------------------------------------------------------------------

def test_same_request_on_same_data_gives_the_same_bytes(source, log, pdf_map):
    again = run_export(source, request("pdf"), log)
    assert again.record == pdf_map.record
    assert again.content == pdf_map.content
    svg1 = run_export(source, request("svg"), log)
    assert run_export(source, request("svg"), log).content == svg1.content


def test_export_id_follows_request_and_data_version():
    a = request("png")
    assert export_id(a, "1-x") == export_id(request("png"), "1-x")
    assert export_id(a, "1-x") != export_id(a, "2-x")
    assert export_id(a, "1-x") != export_id(request("png", lang="en"), "1-x")
    assert export_id(a, "1-x") != export_id(request("png", title="Briefing"), "1-x")
    # Paper does not change a data download.
    assert export_id(request("csv"), "1") == export_id(request("csv", paper="A3"), "1")


def test_replay_by_id_and_refusal_on_changed_data(source, log, pdf_map):
    assert replay(source, pdf_map.record.export_id, "full", log).content == pdf_map.content
    with pytest.raises(UnknownExport):
        replay(source, "000000000000", "full", log)
    log.record(request("csv"), "0-old", "Asia/Shanghai")
    eid = export_id(request("csv"), "0-old")
    with pytest.raises(StaleExport):
        replay(source, eid, "full", log)


# --- the briefing pack -----------------------------------------------------------------------

def test_briefing_pack_has_every_section_in_chinese(source, log):
    result = run_export(source, request("pack", filters=Filters(as_of=DAY)), log)
    reader = PdfReader(io.BytesIO(result.content))
    texts = [page.extract_text() for page in reader.pages]
    assert len(reader.pages) >= 6
    everything = "\n".join(texts)
    for heading in ("开化县网格风险态势图", "关键指标", "各乡镇专项任务完成情况", "卡口每日查验量",
                    "红色、橙色网格", "逾期专项任务", "2020-02-01 以来的变化", "风险升高"):
        assert heading in everything, heading
    assert f"第 {len(texts)}/{len(texts)} 页" in texts[-1]
    red = grid_table(source.snapshot(), Filters(colours=("red",), as_of=DAY))
    assert red["code"].iloc[0] in everything  # the most urgent red grid is listed


def test_briefing_pack_lists_the_checkpoint_alerts_and_the_map_marks_them(source, log):
    last = date(2020, 2, 29)
    result = run_export(source, request("pack", filters=Filters(as_of=last)), log)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(result.content)).pages]
    (page,) = [p for p in texts if "· 卡口告警" in p]
    names = source.snapshot().region.names("checkpoints", "zh")
    for text in ("断报", names["CP09"], "19:00 起无报数（4 小时）", "漏报", names["CP14"],
                 "缺 11:00 时段报数", "未解除"):
        assert text in page, text
    assert "断报" in texts[0] and "漏报" in texts[0]  # the map's legend keys the marked ones
    calm = run_export(source, request("pack", lang="en", filters=Filters(as_of=DAY)), log)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(calm.content)).pages]
    (page,) = [p for p in pages if "· Checkpoint alerts" in p]
    assert "Quiet" not in pages[0]


def test_briefing_pack_has_the_red_proxy_per_township_shaped_for_its_view(source, log):
    # A day on which some townships have 1-4 requests (which days do follows from the demo's
    # geography), so that a view that hides small cells has some to hide.
    day = Filters(as_of=date(2020, 2, 11))
    full = run_export(source, request("pack", filters=day), log)
    (page,) = [p.extract_text() for p in PdfReader(io.BytesIO(full.content)).pages
               if "· 红色代办" in p.extract_text()]
    for text in ("合计", "当日申请", "累计上门", "芹阳办事处", "207"):
        assert text in page, text
    none = run_export(source, request("pack", filters=day, view="none<5"), log)
    (page,) = [p.extract_text() for p in PdfReader(io.BytesIO(none.content)).pages
               if "· 红色代办" in p.extract_text()]
    assert "<5" in page and "芹阳办事处" in page


def test_briefing_pack_lists_the_inspections_and_never_names_anyone(source, log):
    from gridwatch.inspection import cases
    from gridwatch.timeutil import cutoff

    last = date(2020, 2, 29)
    result = run_export(source, request("pack", filters=Filters(as_of=last)), log)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(result.content)).pages]
    page = "\n".join(p for p in pages if "· 纠察督导" in p)
    assert "聚集活动劝阻不力" in page and "已通报" in page and "第30纠察队" in page
    snap = source.snapshot()
    found = cases(snap, cutoff(last), snap.region.townships["code"])
    names = {n for group in found["names"] for n in group}
    assert names and not any(n in "\n".join(pages) for n in names)


def test_briefing_pack_has_the_six_rings_per_township(source, log):
    result = run_export(source, request("pack", lang="en",
                                        filters=Filters(as_of=date(2020, 2, 10))), log)
    (page,) = [p.extract_text() for p in PdfReader(io.BytesIO(result.content)).pages
               if "· The six rings" in p.extract_text()]
    for text in ("Total", "High-risk arrivals", "Checkpoint intercepts",
                 "Closed compounds", "Qinyang Subdistrict"):
        assert text in page, text


def test_briefing_pack_follows_the_language(source, log):
    north = Filters(townships=("330824109", "330824208"), as_of=DAY)
    result = run_export(source, request("pack", lang="en", filters=north,
                                        since=date(2020, 1, 30)), log)
    everything = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(result.content)).pages)
    for heading in ("Key figures", "Red and orange grids", "Overdue special tasks",
                    "What changed since 2020-01-30", "Page 1 of"):
        assert heading in everything, heading
    assert "关键指标" not in everything


# --- data downloads --------------------------------------------------------------------------

def test_csv_neutralises_formulas_and_keeps_numbers():
    table = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)",
                                   "\tTab", "\rCR", "normal", "中文"],
                          "count": [-5, 1, 2, 3, 4, 5, 6, 7]})
    back = pd.read_csv(io.BytesIO(safe_csv(table)), encoding="utf-8-sig")
    assert back["name"].tolist()[:3] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2"]
    assert back["name"].tolist()[3] == "'@SUM(A1)"
    assert back["name"].tolist()[6:] == ["normal", "中文"]
    assert back["count"].tolist() == [-5, 1, 2, 3, 4, 5, 6, 7]
    assert back["count"].dtype.kind == "i"
    assert neutralise(-3) == -3


def test_grid_csv_round_trips_the_filtered_grids(source, log):
    result = run_export(source, request("csv"), log)
    assert result.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Chinese
    back = pd.read_csv(io.BytesIO(result.content), encoding="utf-8-sig", dtype={"code": str})
    expected = grid_table(source.snapshot(), HOT)
    assert back["code"].tolist() == expected["code"].tolist()
    assert back["population"].tolist() == expected["population"].tolist()
    assert set(back["colour_label"]) <= {"红", "橙", "黄"}


def test_chart_csv(source, log):
    result = run_export(source, request("csv", table="tasks"), log)
    back = pd.read_csv(io.BytesIO(result.content), encoding="utf-8-sig")
    assert list(back.columns) == ["township_code", "township", "on_time", "late", "open",
                                  "overdue"]
    assert result.filename.startswith("gridwatch-tasks_2020-02-02_")


def test_geojson_and_geopackage_hold_the_filtered_grids(source, log, tmp_path):
    expected = grid_table(source.snapshot(), HOT)["code"].tolist()
    geojson = run_export(source, request("geojson"), log)
    data = json.loads(geojson.content)
    assert [f["properties"]["code"] for f in data["features"]] == expected
    assert data["gridwatch"]["export_id"] == geojson.record.export_id
    gpkg = run_export(source, request("gpkg"), log)
    path = tmp_path / gpkg.filename
    path.write_bytes(gpkg.content)
    frame = gpd.read_file(path)
    assert frame["code"].tolist() == expected
    assert frame.crs.to_epsg() == 4326
    assert run_export(source, request("gpkg"), log).content == gpkg.content


# --- options, the command line and the web route ---------------------------------------------

def test_options_are_refused_not_guessed(region, snap):
    towns = region.townships["code"]
    args = (towns, snap.first_day, snap.last_day)
    with pytest.raises(ExportOptionError):
        request_from_params("docx", {}, *args)
    for bad in ({"paper": "A5"}, {"orientation": "sideways"}, {"colour": "purple"},
                {"bbox": "1,2,3"}, {"date": "2020-13-01"}, {"township": "999"}):
        with pytest.raises(ExportOptionError):
            request_from_params("png", bad, *args)
    default = request_from_params("png", {}, *args)
    assert default.filters == Filters(as_of=snap.last_day) and default.bbox is None
    assert default.paper == "A4" and default.orientation == "landscape"


def test_cli_writes_the_same_files(source, tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDWATCH_DATABASE_URL", source.settings.database_url)
    monkeypatch.setenv("GRIDWATCH_GEO_PATH", str(source.settings.geo_path))
    out = tmp_path / "grids.csv"
    assert cli_main(["export", "--format", "csv", "--output", str(out), "--colour",
                     "red,orange", "--date", DAY.isoformat()]) == 0
    back = pd.read_csv(out, encoding="utf-8-sig", dtype={"code": str})
    assert set(back["colour"]) == {"red", "orange"}
    assert cli_main(["export", "--format", "png", "--township", "nope",
                     "--output", str(tmp_path)]) == 2


def test_href_follows_filters_and_view():
    href = export_href("png", Filters(colours=("red",), as_of=DAY).to_dict(), "en", " Brief ",
                       "A3", "portrait", "view", [[29.0, 118.3], [29.2, 118.5]])
    assert href.startswith("/export/png?colour=red&date=2020-02-02&lang=en&")
    assert "paper=A3" in href and "orientation=portrait" in href and "title=Brief" in href
    assert "bbox=118.30000,29.00000,118.50000,29.20000" in href
    county = export_href("csv", None, "zh", "", "A4", "landscape", "county", None)
    assert county == "/export/csv?lang=zh"


def test_route_answers_with_an_attachment(fresh_source):
    from flask import Flask

    import web
    from gridwatch.auth.tokens import create_token

    server = Flask(__name__)
    web.register(server, fresh_source)
    client = server.test_client()
    assert client.get("/export/csv").status_code == 401
    client.environ_base["HTTP_AUTHORIZATION"] = \
        f"Bearer {create_token(fresh_source.engine, 'briefing', 'analyst')[1]}"
    response = client.get("/export/csv?colour=red&date=2020-02-02")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    eid = response.headers["X-Export-Id"]
    again = client.get(f"/export/id/{eid}")
    assert again.status_code == 200 and again.data == response.data
    assert client.get("/export/png?paper=A9").status_code == 400
    assert client.get("/export/id/ffffffffffff").status_code == 404
