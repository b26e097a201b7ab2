"""Callback logic called as plain functions: no browser, no server."""

import gzip
import json
from datetime import date

import pytest

from callbacks.filters import FilterContext, context_for, summary, sync, url_search
from callbacks.kpis import update_kpis
from callbacks.router import render_page
from callbacks.routes import healthz
from callbacks.table import table_rows
from gridwatch.filters import Filters
from gridwatch.geo.layers import encode_layer
from gridwatch.mapview import map_view
from gridwatch.metrics import township_levels
from layouts.ids import ID
from layouts.map import hideouts

DAY = date(2020, 2, 1)


def find(component, predicate):
    """Every component in a tree for which ``predicate`` holds."""
    found = []
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if node is None or isinstance(node, (str, int, float)):
            continue
        if predicate(node):
            found.append(node)
        stack.append(getattr(node, "children", None))
    return found


def text_of(component) -> str:
    parts = []
    stack = [component]
    while stack:
        node = stack.pop(0)
        if isinstance(node, (list, tuple)):
            stack[:0] = list(node)
        elif isinstance(node, (str, int, float)):
            parts.append(str(node))
        elif node is not None:
            stack.insert(0, getattr(node, "children", None))
    return " ".join(parts)


@pytest.fixture
def level1(snap):
    levels = township_levels(snap, DAY)
    return set(levels[levels == 1].index)


def test_level_1_filter_in_map_style_kpis_and_table(source, snap, level1, region):
    f = Filters(levels=(1,), as_of=DAY)
    styles = hideouts(map_view(snap, f), "zh", source.settings.palette)
    grids = region.grids.sort_values("code").reset_index(drop=True)
    inside = [ch.isdigit() for ch in styles["grids"]["c"]]
    assert len(inside) == 747
    expected = grids["township_code"].isin(level1).tolist()
    assert inside == expected

    tiles = update_kpis(source, filters=f.to_dict(), version=None, lang="zh")["tiles"]
    colours = find(tiles, lambda n: getattr(n, "className", "") == "gw-colour-count")
    shown = sum(int(text_of(c).split()[1].replace(",", "")) for c in colours)
    assert shown == sum(expected)

    rows = table_rows(snap, f, source.settings.palette, "zh")
    assert len(rows) == sum(expected)
    assert {r["township_code"] for r in rows} == level1


def test_map_styles_carry_no_geometry(source, snap):
    styles = hideouts(map_view(snap, Filters(as_of=DAY)), "en", source.settings.palette)
    text = json.dumps(styles)
    assert "coordinates" not in text
    assert len(text) < 40_000, "a recolour sends styles, not polygons"


def test_legend_counts_follow_the_colour_filter(source, snap):
    view = map_view(snap, Filters(colours=("red",), as_of=DAY))
    assert view.counts["orange"] == 0 and view.counts["red"] > 0
    assert view.outside == 747 - view.counts["red"]


def test_table_rows_speak_the_language(source, snap):
    zh = table_rows(snap, Filters(as_of=DAY), source.settings.palette, "zh")
    en = table_rows(snap, Filters(as_of=DAY), source.settings.palette, "en")
    assert zh[0]["colour"] in {"红", "橙", "黄", "蓝", "绿"}
    assert en[0]["colour"] in {"Red", "Orange", "Yellow", "Blue", "Green"}
    assert en[0]["township"].isascii()


@pytest.fixture
def ctx(snap) -> FilterContext:
    return context_for(snap, "zh")


def test_the_url_is_the_truth_when_the_page_opens(ctx):
    filters, problems, from_url = sync(None, "?level=1&date=2020-02-01", (None,) * 4, {},
                                       ctx)
    assert filters == Filters(levels=(1,), as_of=DAY) and problems == [] and from_url


def test_a_bad_url_gives_problems_not_a_traceback(ctx):
    filters, problems, _ = sync(ID.PAGE_URL, "?level=9&township=x", (None,) * 4, {}, ctx)
    assert filters == Filters(as_of=ctx.last_day)
    assert [p.param for p in problems] == ["level", "township"]


def test_controls_write_the_url(ctx):
    controls = (["2", "1"], ["330824106"], ["red"], "2020-02-01")
    filters, _, from_url = sync(ID.LEVEL, "", controls, {}, ctx)
    assert not from_url
    assert url_search(filters, ctx) == "?level=1,2&township=330824106&colour=red&date=2020-02-01"


def test_the_latest_day_is_left_out_of_the_url(ctx):
    filters, _, _ = sync(ID.LEVEL, "", (["1"], [], [], "2020-02-29"), {}, ctx)
    assert url_search(filters, ctx) == "?level=1"


def test_day_buttons_stay_within_the_data(ctx):
    first = (None, None, None, ctx.first_day.isoformat())
    filters, _, _ = sync(ID.PREV_DAY, "", first, {}, ctx)
    assert filters.as_of == ctx.first_day
    filters, _, _ = sync(ID.NEXT_DAY, "", first, {}, ctx)
    assert filters.as_of == date(2020, 1, 24)
    filters, _, _ = sync(ID.LATEST_DAY, "", first, {}, ctx)
    assert filters.as_of == ctx.last_day


def test_clicking_a_township_label_or_bar_filters_and_clicking_again_clears(ctx):
    click = {"properties": {"code": "330824115"}}
    controls = (None, None, None, "2020-02-01")
    filters, _, _ = sync(ID.TOWNSHIP_LABELS, "", controls, {ID.TOWNSHIP_LABELS: click},
                         ctx)
    assert filters.townships == ("330824115",)
    bar = {"points": [{"customdata": "330824106"}]}
    filters, _, _ = sync(ID.TASK_CHART, "", controls, {ID.TASK_CHART: bar}, ctx)
    assert filters.townships == ("330824106",)
    again = (None, ["330824106"], None, "2020-02-01")
    filters, _, _ = sync(ID.TASK_CHART, "", again, {ID.TASK_CHART: bar}, ctx)
    assert filters.townships == ()


def test_reset_clears_everything(ctx):
    filters, _, _ = sync(ID.RESET, "", (["1"], ["330824106"], ["red"], "2020-02-01"), {},
                         ctx)
    assert filters == Filters(as_of=ctx.last_day)


def test_summary_names_the_filters(ctx):
    text = summary(Filters(levels=(1,), townships=("330824115",), as_of=DAY), ctx)
    assert "一级管控" in text and "华埠镇" in text and "2020-02-01" in text


def test_unknown_page_says_so(source):
    page, lang = render_page(source, "/nowhere", "?lang=en")
    assert lang == "en"
    assert "/nowhere" in text_of(page)


def test_page_opens_in_the_urls_language(source):
    page, lang = render_page(source, "/", "?lang=en&level=1")
    assert lang == "en"
    assert "Kaihua County Grid Command" in text_of(page)
    checklist = find(page, lambda n: getattr(n, "id", None) == ID.LEVEL)[0]
    assert checklist.value == [1]


def test_healthz_reports_the_data_version(fresh_source):
    from gridwatch.store import models as m
    from gridwatch.store.db import write_session

    before = healthz(fresh_source)
    with write_session(fresh_source.engine) as s:
        s.add(m.InspectionTeam(code="IT99", name_zh="测试", name_en="Test"))
    after = healthz(fresh_source)
    assert before["status"] == "ok" and before["latest_day"] == "2020-02-29"
    assert after["data_version"] != before["data_version"]


def test_layers_are_served_compressed_and_stable(region):
    grids = encode_layer(region, "grids")
    data = json.loads(gzip.decompress(grids.gzipped))
    assert len(data["features"]) == 747
    assert [f["properties"]["k"] for f in data["features"]] == list(range(747))
    assert len(grids.gzipped) < grids.raw_size / 2
    assert encode_layer(region, "grids").digest == grids.digest
