"""The tree both ways: search, breadcrumb, the bounds a selection zooms to and why a filter
keeps nothing (``gridwatch.navigation``), and the callbacks that use them, called directly."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from urllib.parse import parse_qs

import pandas as pd
import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict

from callbacks.filters import sync_filters
from callbacks.map import search_places
from gridwatch import navigation
from gridwatch.auth.policy import system
from gridwatch.filters import Filters
from layouts.ids import ID

DAY = date(2020, 2, 3)
GRID = "33082400100101"  # 鼎湖社区第1网格 · Dinghu Community Grid 1
VILLAGE = "330824001001"  # 鼎湖社区
TOWN = "330824001"  # 芹阳办事处


# --- search ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, code", [
    (GRID, "grid", GRID),  # a whole code
    ("鼎湖社区第1网格", "grid", GRID),  # a Chinese name
    ("dinghu community grid 1", "grid", GRID),  # English, any case, spaces as typed
    ("ＤＩＮＧＨＵ", "village", VILLAGE),  # full-width letters
    ("鼎湖", "village", VILLAGE),  # a village before its grids
    ("芹阳", "township", TOWN),
    ("Qinyang", "township", TOWN),
])
def test_search_finds_by_code_or_either_name_best_first(region, text, kind, code):
    found = navigation.search(region, text, "zh")
    assert (found[0].kind, found[0].code) == (kind, code)


def test_search_ranks_exact_then_prefix_then_anywhere_and_labels_where_it_lies(region):
    found = navigation.search(region, "3308240010010", "en", limit=50)
    # the village 330824001001 is no match (shorter), its grids start with the text
    assert [p.code for p in found[:3]] == ["33082400100101", "33082400100102",
                                          "33082400100103"]
    assert all(p.kind == "grid" for p in found)
    grid = navigation.search(region, GRID, "en")[0]
    assert grid.label == f"Dinghu Community Grid 1 · {GRID} · in Dinghu Community, " \
        "Qinyang Subdistrict"
    zh = navigation.search(region, GRID, "zh")[0]
    assert zh.label == f"鼎湖社区第1网格 · {GRID} · 属芹阳办事处，鼎湖社区"


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 10_000, ".*[", "%_", "\\", "'; --",
                                  "\x00", "🙂"])
def test_any_text_finds_nothing_or_something_never_fails(region, text):
    found = navigation.search(region, text, "zh")
    assert isinstance(found, list) and len(found) <= 12


def test_search_keeps_to_its_limit(region):
    assert len(navigation.search(region, "网格", "zh", limit=5)) == 5


# --- breadcrumb --------------------------------------------------------------------------------

def labels(crumbs):
    return [(c.kind, c.label) for c in crumbs]


def test_the_breadcrumb_runs_from_the_county_to_where_the_view_stands(region):
    assert labels(navigation.breadcrumb(region, "zh")) == [("county", "开化县")]
    assert labels(navigation.breadcrumb(region, "zh", [TOWN])) == [
        ("county", "开化县"), ("township", "芹阳办事处")]
    assert labels(navigation.breadcrumb(region, "zh", [TOWN, "330824106"])) == [
        ("county", "开化县")]  # two townships: the view stands at the county
    assert labels(navigation.breadcrumb(region, "zh", [], VILLAGE)) == [
        ("county", "开化县"), ("township", "芹阳办事处"), ("village", "鼎湖社区")]
    assert labels(navigation.breadcrumb(region, "en", ["330824106"], VILLAGE, GRID)) == [
        ("county", "Kaihua County"), ("township", "Qinyang Subdistrict"),
        ("village", "Dinghu Community"), ("grid", "Dinghu Community Grid 1")]
    # codes the region does not have are no step
    assert labels(navigation.breadcrumb(region, "zh", ["x"], "y", "z")) == [
        ("county", "开化县")]


# --- bounds ------------------------------------------------------------------------------------

def inside(inner, outer) -> bool:
    return (outer[0][0] <= inner[0][0] and outer[0][1] <= inner[0][1]
            and inner[1][0] <= outer[1][0] and inner[1][1] <= outer[1][1])


def test_a_grid_lies_in_its_village_in_its_township_in_the_county(region):
    grid = navigation.place_bounds(region, "grid", GRID)
    village = navigation.place_bounds(region, "village", VILLAGE)
    town = navigation.place_bounds(region, "township", TOWN)
    assert inside(grid, village) and inside(village, town) and inside(town, region.bounds)
    assert grid != village != town
    assert navigation.place_bounds(region, "grid", "nope") is None
    assert navigation.grids_bounds(region, []) is None
    assert navigation.grids_bounds(region, [GRID]) == grid


# --- why a filter keeps nothing ----------------------------------------------------------------

STATUS = pd.DataFrame(
    {"township_code": ["A", "A", "B", "B", "C"],
     "level":         [1,   1,   2,   2,   3],
     "colour":        ["red", "green", "orange", "green", "blue"]},
    index=["g1", "g2", "g3", "g4", "g5"])
NAMES = {"A": "甲镇", "B": "乙乡", "C": "丙镇"}
D = date(2020, 2, 3)


@pytest.mark.parametrize("levels, towns, colours, lang, expected", [
    ((1,), (), ("orange",), "en",
     "No township under Level 1 has orange grids on 2020-02-03: nothing to show."),
    ((1,), (), ("orange",), "zh", "2020-02-03 处于一级管控的乡镇都没有橙色网格，筛选结果为空。"),
    ((1,), (), ("orange", "blue"), "en",
     "No township under Level 1 has orange or blue grids on 2020-02-03: nothing to show."),
    ((1,), ("B",), (), "en",
     "None of the chosen townships (乙乡) is under Level 1 on 2020-02-03: nothing to show."),
    ((2,), ("A", "C"), (), "zh",
     "2020-02-03 所选乡镇（甲镇、丙镇）都不处于二级管控，筛选结果为空。"),
    ((), ("C",), ("red",), "zh", "2020-02-03 所选乡镇（丙镇）没有红色网格，筛选结果为空。"),
    ((2,), ("B",), ("red",), "en", "None of the chosen townships (乙乡) under Level 2 has red "
                                   "grids on 2020-02-03: nothing to show."),
    ((), (), ("yellow",), "en", "No grid is yellow on 2020-02-03: nothing to show."),
    ((1, 2), (), ("blue",), "zh",
     "2020-02-03 处于一级管控或二级管控的乡镇都没有蓝色网格，筛选结果为空。"),
])
def test_an_empty_result_names_the_filters_that_exclude_everything(levels, towns, colours,
                                                                   lang, expected):
    filters = Filters(levels=levels, townships=towns, colours=colours, as_of=D)
    assert navigation.why_empty(STATUS, filters, NAMES, lang) == expected


@pytest.mark.parametrize("filters", [Filters(as_of=D), Filters(levels=(1,), as_of=D),
                                     Filters(colours=("red",), townships=("A",), as_of=D)])
def test_a_filter_that_keeps_grids_needs_no_reason(filters):
    assert navigation.why_empty(STATUS, filters, NAMES, "zh") is None


# --- the callbacks -----------------------------------------------------------------------------

@contextmanager
def fired(prop_id: str | None):
    """Run a callback as Dash does when ``prop_id`` ("id.prop") changed (None: the page's
    first call)."""
    token = context_value.set(AttributeDict(
        triggered_inputs=[{"prop_id": prop_id, "value": None}] if prop_id else []))
    try:
        yield
    finally:
        context_value.reset(token)


def navigate(source, prop_id, lang="zh", **given):
    inputs = dict(search="", levels=[], townships=[], colours=[], day=DAY.isoformat(),
                  prev_day=None, next_day=None, latest_day=None, reset=None, label_click=None,
                  bar_click=None, detail_filter=None, lang=lang, detail_grid=None,
                  who=system(), nav=None)
    inputs.update(given)
    with fired(prop_id):
        return sync_filters(source, **inputs)


def query(out) -> dict:
    return {k: v[0] for k, v in parse_qs(out["search"].lstrip("?")).items()}


def test_a_village_clicked_drills_down_to_it_and_the_map_flies_there(source, region):
    out = navigate(source, f"{ID.VILLAGE_LABELS}.clickData", townships=[TOWN],
                   village_click={"properties": {"code": VILLAGE}}, village_clicks=1)
    assert out["nav"] == {"village": VILLAGE}
    assert query(out) == {"township": TOWN, "village": VILLAGE, "date": DAY.isoformat()}
    assert out["viewport"]["bounds"] == navigation.place_bounds(region, "village", VILLAGE)
    assert out["crumb_village_hidden"] is False and out["crumb_grid_hidden"] is True
    assert "is-current" in out["crumb_village_current"]
    assert out["villages"]["sel"] == VILLAGE and out["villages"]["t"] == [TOWN]
    # the same village again: back up to its township
    again = navigate(source, f"{ID.VILLAGE_LABELS}.n_clicks", townships=[TOWN],
                     village_click={"properties": {"code": VILLAGE}}, village_clicks=2,
                     nav={"village": VILLAGE})
    assert again["nav"] == {"village": None} and "village" not in query(again)


def test_the_breadcrumb_goes_back_up_and_closes_the_grid(source, region):
    open_grid = {"code": GRID, "township_code": TOWN}
    up = navigate(source, f"{ID.CRUMB_VILLAGE}.n_clicks", townships=[TOWN],
                  detail_grid=open_grid, nav={"village": VILLAGE}, crumb_village=1)
    assert up["grid"] is None and up["nav"] == {"village": VILLAGE}
    assert "grid" not in query(up)
    top = navigate(source, f"{ID.CRUMB_COUNTY}.n_clicks", townships=[TOWN], levels=[1],
                   detail_grid=open_grid, nav={"village": VILLAGE}, crumb_county=1)
    assert top["townships"] == [] and top["levels"] == [1]  # only the township is left
    assert top["nav"] == {"village": None} and top["grid"] is None
    assert top["crumb_township_hidden"] is True
    town = navigate(source, f"{ID.CRUMB_TOWNSHIP}.n_clicks", townships=[TOWN],
                    nav={"village": VILLAGE}, crumb_township=1)
    assert town["townships"] == [TOWN] and town["nav"] == {"village": None}
    assert town["viewport"]["bounds"] == navigation.grids_bounds(
        region, region.grids.loc[region.grids["township_code"] == TOWN, "code"])


def test_a_new_day_recolours_and_leaves_the_view_a_filter_change_moves_it(source):
    day = navigate(source, f"{ID.PREV_DAY}.n_clicks", townships=[TOWN], prev_day=1)
    assert day["viewport"] is no_update and day["day"] == "2020-02-02"
    level = navigate(source, f"{ID.LEVEL}.value", levels=[1])
    assert level["viewport"] is not no_update


def test_a_second_click_on_the_chosen_township_label_clears_it(source):
    click = {"properties": {"code": TOWN}}
    first = navigate(source, f"{ID.TOWNSHIP_LABELS}.clickData", label_click=click,
                     label_clicks=1)
    assert first["townships"] == [TOWN]
    # Dash passes on only the click count the second time: the clickData did not change
    second = navigate(source, f"{ID.TOWNSHIP_LABELS}.n_clicks", townships=[TOWN],
                      label_click=click, label_clicks=2)
    assert second["townships"] == [] and "township" not in query(second)


def test_a_link_to_a_grid_opens_it_and_bad_codes_are_reported(source):
    out = navigate(source, None, search=f"?township={TOWN}&village={VILLAGE}&grid={GRID}")
    assert out["grid"] == {"code": GRID, "township_code": TOWN}
    label, here = out["crumb_grid"]
    assert label == "鼎湖社区第1网格" and here.children == "（当前位置）"
    assert out["crumb_village"] == "鼎湖社区" and out["crumb_village_hidden"] is False
    bad = navigate(source, f"{ID.PAGE_URL}.search", search="?village=nope&grid=%3Cb%3E")
    assert bad["grid"] is no_update and bad["nav"] == {"village": None}
    words = str(bad["problems"])
    assert "nope" in words and "<b>" in words


def test_contradictory_filters_say_why_on_the_map(source, snap):
    from gridwatch.metrics import grid_status

    # a day, a level some township is at and a colour none of its grids has (the data)
    days = pd.date_range(snap.first_day, snap.last_day).date
    day, level, colour = next(
        (d, lv, c) for d in days for lv in (1, 2, 3)
        for c in ("red", "orange", "yellow", "blue", "green")
        if (grid_status(snap, d)["level"] == lv).any()
        and not ((grid_status(snap, d)["level"] == lv)
                 & (grid_status(snap, d)["colour"] == c)).any())
    status = grid_status(snap, day)
    out = navigate(source, f"{ID.COLOUR}.value", levels=[level], colours=[colour], lang="en",
                   day=day.isoformat())
    assert out["empty_hidden"] is False
    assert out["empty"] == navigation.why_empty(
        status, Filters(levels=(level,), colours=(colour,), as_of=day),
        snap.region.names("townships", "en"), "en")
    assert out["empty"].startswith(f"No township under Level {level} has {colour} grids")
    assert out["viewport"] is no_update  # nothing kept: the view stays
    fine = navigate(source, f"{ID.COLOUR}.value", levels=[level], lang="en",
                    day=day.isoformat())
    assert fine["empty_hidden"] is True and fine["viewport"] is not no_update


def test_search_results_are_links_to_the_view_standing_at_each(source):
    filters = Filters(levels=(2,), as_of=DAY).to_dict()
    out = search_places(source, text=GRID, filters=filters, lang="en")
    link = out["results"].children[0].children
    assert query({"search": link.href[1:]}) == {
        "level": "2", "township": TOWN, "village": VILLAGE, "grid": GRID,
        "date": DAY.isoformat(), "lang": "en"}
    assert "Dinghu Community Grid 1" in str(link.children)
    none = search_places(source, text="no such place", filters=filters, lang="zh")
    assert "no such place" in none["results"].children
    assert search_places(source, text="  ", filters=None, lang="zh") == {"results": []}
    assert search_places(source, text={"a": 1}, filters=None, lang="zh") == {"results": []}


# --- the wall's focus view ---------------------------------------------------------------------

def test_the_walls_focus_view_highlights_its_township_on_the_map(source, snap):
    from callbacks.wall import rotate_wall, rotation_views

    views = rotation_views(snap, ["focus"])
    focus = next(v.split(":", 1)[1] for v in views if v.startswith("focus:"))
    out = rotate_wall(source, step={"n": views.index(f"focus:{focus}"), "h": 1080},
                      config={"views": ["focus"]}, lang="zh")
    patch = out["focus"].to_plotly_json()
    assert patch["operations"] == [
        {"operation": "Assign", "location": ["focus"], "params": {"value": focus}}]
    assert out["viewport"]["bounds"] == snap.region.township_bounds(focus)
    # any other view names no township: the highlight goes
    other = rotate_wall(source, step={"n": 0, "h": 1080}, config={"views": ["checkpoints"]},
                        lang="zh")
    assert other["focus"].to_plotly_json()["operations"][0]["params"] == {"value": None}
