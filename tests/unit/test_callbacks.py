"""Callback logic called as plain functions: no browser, no server."""

import functools
import gzip
import json
from datetime import date

import pytest
from dash import html, no_update

from callbacks.detail import show_detail
from callbacks.filters import FilterContext, context_for, summary, sync, url_search
from callbacks.kpis import update_kpis
from callbacks.map import update_map
from callbacks.panels import GROUPS, update_panels
from callbacks.router import render_page
from callbacks.table import shown_rows, table_rows, update_table
from gridwatch import style
from gridwatch.auth.policy import Scope, system
from gridwatch.filters import Filters
from gridwatch.geo.layers import encode_layer
from gridwatch.mapview import map_view
from layouts.analyst import grid_table
from layouts.ids import ID
from layouts.map import hideouts
from tests.unit.literal import D2, D3, G1, G2, G3, G4, G5, A, B
from web.health import healthz

ALL = list(GROUPS)  # every panel in view

DAY = date(2020, 2, 1)

ADMIN = system()


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


def attr(node, name: str):
    return getattr(node, name, None)


def figures(tiles, attribute: str) -> dict[str, str]:
    """``{value of the attribute: text}`` for every element carrying ``attribute``."""
    return {attr(n, attribute): text_of(n)
            for n in find(tiles, lambda n: attr(n, attribute) is not None)}


# --- on the literal county: expectations worked out by hand from tests/unit/literal.py --------

# Per grid in code order G1..G5 (see test_rules.STATUS): D2 red, blue, never, blue, green;
# never assessed is "-" when the filter keeps the grid and "." when it leaves it out.
# D3 orange, blue, never, blue, yellow. On D2 township A is level 1 and B level 3; on D3 B is 2.
# Checkpoints on D2: CP01 (A) 15 vehicles 29 people, CP02 (B) 30 and 60; on D3 CP02 7 and 9.
@pytest.mark.parametrize(("filters", "c", "chosen", "volumes"), [
    (Filters(as_of=D2), "03-34", [], {"CP01": [15, 29], "CP02": [30, 60]}),
    (Filters(levels=(1,), as_of=D2), "03-de", [A], {"CP01": [15, 29]}),
    (Filters(townships=(B,), as_of=D2), "ad.34", [B], {"CP02": [30, 60]}),
    (Filters(colours=("red",), as_of=D2), "0d.de", [], {"CP01": [15, 29], "CP02": [30, 60]}),
    (Filters(as_of=D3), "13-32", [], {"CP01": [0, 0], "CP02": [7, 9]}),
])
def test_update_map_sends_each_grids_colour_and_whether_it_is_muted(literal, filters, c, chosen,
                                                                     volumes):
    out = update_map(literal, filters=filters.to_dict(), version=None, detail=None, lang="en",
                     who=system("analyst"))
    assert out["grids"]["c"] == c
    assert out["grids"]["sel"] is None
    assert out["townships"]["selected"] == chosen == out["labels"]["selected"]
    assert out["townships"]["levels"] == ({A: 1, B: 3} if filters.as_of == D2 else {A: 1, B: 2})
    assert out["checkpoints"]["v"] == volumes
    assert out["checkpoints"]["max"] == max(v + p for v, p in volumes.values())
    assert out["as_of"] == f"Data as of {filters.as_of.isoformat()}"


def test_update_map_marks_the_chosen_grid_and_the_since_times(literal):
    out = update_map(literal, filters=Filters(as_of=D2).to_dict(), version=None,
                     detail={"code": G2, "township_code": A}, lang="zh", who=system("analyst"))
    assert out["grids"]["sel"] == G2
    assert out["grids"]["s"] == ["02-02 09:00", "02-02 11:00", "", "02-01 09:00", "02-01 10:00"]
    assert out["grids"]["palette"] == literal.settings.palette


def test_overdue_leads_are_marked_on_their_grids_only_for_roles_that_see_records(literal):
    filters = Filters(as_of=D2).to_dict()
    seen = update_map(literal, filters=filters, version=None, detail=None, lang="en",
                      who=system("analyst"))
    # at the end of D2 L0003 (G2, open since 10:00) and L0004 (G5, since 20:00) are past the
    # 60-minute close limit; at D3's end L0004 closed at 08:00 and L0003 is still open
    assert seen["hotspots"]["b"] == {G2: 1, G5: 1}
    key = find(seen["legend"], lambda n: attr(n, "data-legend") == "leads")
    assert text_of(key[0]) == "! Grid with an overdue lead 2"
    later = update_map(literal, filters=Filters(as_of=D3).to_dict(), version=None, detail=None,
                       lang="en", who=system("analyst"))
    assert later["hotspots"]["b"] == {G2: 1}
    hidden = update_map(literal, filters=filters, version=None, detail=None, lang="en",
                        who=system("viewer"))
    assert hidden["hotspots"]["b"] == {}
    assert not find(hidden["legend"], lambda n: attr(n, "data-legend") == "leads")
    # a colour filter that leaves G2 out leaves its mark out
    red = update_map(literal, filters=Filters(colours=("red",), as_of=D2).to_dict(),
                     version=None, detail=None, lang="en", who=system("analyst"))
    assert red["hotspots"]["b"] == {}


def test_the_map_sends_nothing_when_what_it_shows_has_not_moved(literal):
    """The map's answer carries what it shows (``done``); asked again with it (a new version
    whose change did not reach the day) it sends nothing; the clock alone sends the marks that
    move with time; another filter, grid or language sends everything again."""
    filters = Filters(as_of=D2).to_dict()
    ask = functools.partial(update_map, literal, filters=filters, version="v1", detail=None,
                            lang="en", who=system("analyst"))
    first = ask(triggered={f"{ID.FILTERS}.data"})
    assert first["grids"] is not no_update and isinstance(first["done"], str)
    again = ask(version="v2", done=first["done"], triggered={f"{ID.VERSION}.data"})
    assert all(value is no_update for value in again.values())
    ticked = ask(done=first["done"], triggered={f"{ID.LEAD_CLOCK}.n_intervals"})
    assert {k for k, value in ticked.items() if value is not no_update} == {
        "checkpoints", "hotspots", "legend"}
    for other in ({"lang": "zh"}, {"detail": {"code": G1}},
                  {"filters": Filters(as_of=D3).to_dict()}):
        moved = ask(done=first["done"], triggered={f"{ID.FILTERS}.data"}, **other)
        assert moved["grids"] is not no_update and moved["done"] != first["done"]


def test_the_legend_counts_the_kept_grids_and_the_muted_ones(literal):
    out = update_map(literal, filters=Filters(levels=(1,), as_of=D2).to_dict(), version=None,
                     detail=None, lang="en", who=system("analyst"))
    rows = figures(out["legend"], "data-colour")
    # level 1 keeps G1 red, G2 blue and G3 (never assessed); G4 and G5 are muted
    assert rows == {"red": "Red 1", "orange": "Orange 0", "yellow": "Yellow 0", "blue": "Blue 1",
                    "green": "Green 0"}
    muted = find(out["legend"], lambda n: "gw-legend-muted" in (attr(n, "className") or ""))
    assert text_of(muted).endswith(" 2")


def test_update_kpis_shows_the_days_figures(literal):
    tiles = update_kpis(literal, filters=Filters(as_of=D2).to_dict(), version=None,
                        lang="en", who=system())["tiles"]
    # see test_rules.KPIS["everything on D2"]
    assert figures(tiles, "data-colour") == {"red": "Red 1 +1", "orange": "Orange 0 ±0",
                                             "yellow": "Yellow 0 -1", "blue": "Blue 2 +1",
                                             "green": "Green 1 -1"}
    levels = figures(tiles, "data-level")
    assert {lv: text.split()[0] for lv, text in levels.items()} == {"1": "1", "2": "0", "3": "1"}
    assert figures(tiles, "data-task") == {"issued": "2 issued", "completed": "0 completed",
                                           "overdue": "1 overdue", "rate": "60%"}
    assert figures(tiles, "data-checkpoint") == {"vehicles": "45 vehicles",
                                                 "people": "89 people"}
    assert figures(tiles, "data-lead") == {"open": "2 open"}
    notes = {attr(tile, "data-kpi"): text_of(find(tile, lambda n: attr(n, "className")
                                                  == "gw-tile-note"))
             for tile in tiles if attr(tile, "data-kpi") != "isolation"}
    assert "1 issued on the day" in notes["tasks"]
    assert "3 people flagged" in notes["checkpoints"]
    assert "oldest 14 h 0 min" in notes["leads"]  # L3: 840 min before midnight
    assert "1 h 42 min" in notes["leads"]  # median of 25 and 180 min
    assert text_of(tiles[-1]).endswith(" 7")  # in home isolation on D2: 4 + 2 + 1


def test_while_the_day_runs_the_oldest_lead_is_as_old_as_it_is_now(literal):
    """At D2 12:00 L3 (reported 10:00) has been open two hours, not the fourteen it will
    have been at midnight: the tiles read the clock at the day's instant."""
    from datetime import datetime

    def note(now):
        tiles = update_kpis(literal, filters=Filters(as_of=D2).to_dict(), version=None,
                            lang="en", who=system(), now=now)["tiles"]
        lead = next(tile for tile in tiles if attr(tile, "data-kpi") == "leads")
        return text_of(find(lead, lambda n: attr(n, "className") == "gw-tile-note"))

    assert "oldest 2 h 0 min" in note(datetime(2020, 2, 2, 12, 0))
    assert "oldest 14 h 0 min" in note(datetime(2020, 2, 3, 9, 0))  # the day is over


def test_update_kpis_follows_the_filter(literal):
    tiles = update_kpis(literal, filters=Filters(townships=(A,), as_of=D3).to_dict(),
                        version=None, lang="en", who=system())["tiles"]
    # see test_rules.KPIS["township A on D3"]
    assert figures(tiles, "data-task") == {"issued": "3 issued", "completed": "2 completed",
                                           "overdue": "0 overdue", "rate": "100%"}
    assert figures(tiles, "data-lead") == {"open": "1 open"}


def test_table_rows_in_order_with_localised_words(literal, lsnap):
    palette = literal.settings.palette
    rows = table_rows(lsnap, Filters(as_of=D2), palette, "en", ADMIN, 5)
    assert [r["code"] for r in rows] == [G1, G4, G2, G5, G3]  # see test_rules.TABLE_D2
    assert {k: rows[0][k] for k in ("name", "village", "township", "township_code", "level",
                                    "colour", "colour_hex", "since", "open_tasks",
                                    "home_isolation")} == {
        "name": "Dongling Village Grid 1", "village": "Dongling Village",
        "township": "Dongling Town", "township_code": A, "level": 1, "colour": "Red",
        "colour_hex": "#e53935", "since": "2020-02-02 09:00", "open_tasks": 1,
        "home_isolation": 4}
    assert rows[-1]["colour_hex"] == style.UNMARKED  # G3, never assessed
    zh = table_rows(lsnap, Filters(levels=(3,), as_of=D2), palette, "zh", ADMIN, 5)
    assert [(r["code"], r["township"], r["colour"]) for r in zh] == [(G4, "西溪乡", "蓝"),
                                                                    (G5, "西溪乡", "绿")]
    out = update_table(literal, filters=Filters(levels=(3,), as_of=D2).to_dict(), version=None,
                       lang="en", who=system("analyst"))
    assert out["count"] == "2 grids" and len(out["rows"]) == 2


def test_the_panels_send_the_tables_rows_only_when_the_page_lacks_them(literal):
    """One callback answers the KPIs, the three charts and the table; rows the page already
    holds (their digest) are not sent again, and a chosen checkpoint redraws its chart only."""
    analyst = system("analyst")
    levels3 = Filters(levels=(3,), as_of=D2).to_dict()
    first = update_panels(literal, filters=levels3, version=None, checkpoint=None, lang="en",
                          who=analyst, in_view=ALL, triggered={f"{ID.FILTERS}.data"})
    assert [r["code"] for r in first["rows"]] == [G4, G5] and first["count"] == "2 grids"
    assert first["kpis"] and first["tasks"]["data"] and first["colours"]["data"]
    again = update_panels(literal, filters=levels3, version=None, checkpoint=None, lang="en",
                          who=analyst, in_view=ALL, shown=first["digest"],
                          triggered={f"{ID.VERSION}.data"})
    assert again["rows"] is no_update and again["count"] is no_update
    assert again["kpis"] and again["tasks"]["data"]  # the rest is answered as always
    other = update_panels(literal, filters=Filters(as_of=D2).to_dict(), version=None,
                          checkpoint=None, lang="en", who=analyst, in_view=ALL,
                          shown=first["digest"], triggered={f"{ID.FILTERS}.data"})
    assert len(other["rows"]) == 5 and other["digest"] != first["digest"]
    # another audience, other rows: an admin's are not suppressed
    snap, all_days = literal.snapshot(), Filters(as_of=D2)
    palette = literal.settings.palette
    mine = shown_rows(snap, all_days, palette, "en", analyst, 5)
    theirs = shown_rows(snap, all_days, palette, "en", ADMIN, 5)
    assert mine[1] != theirs[1] and mine[0] != theirs[0]
    assert mine[1] == other["digest"]
    pick = f"{ID.CHECKPOINT_PICK}.value"
    picked = update_panels(literal, filters=levels3, version=None, checkpoint=None, lang="en",
                           who=analyst, in_view=ALL, triggered={pick})
    assert picked["checkpoints"]["data"]
    assert all(picked[k] is no_update for k in ("kpis", "tasks", "colours", "rows", "count",
                                                "digest"))
    # a pick merged with a new version (the renderer names the pick first): everything
    merged = update_panels(literal, filters=levels3, version=None, checkpoint=None, lang="en",
                           who=analyst, in_view=ALL, triggered=[pick, f"{ID.VERSION}.data"])
    assert merged["kpis"] and merged["rows"] and merged["tasks"]["data"]


def test_only_the_panels_in_view_are_filled_and_the_others_when_they_scroll_in(literal):
    """A filter change fills the panels the browser says are in view and records what each
    shows; a panel that scrolls in later is filled then, once; a new version makes every
    panel due again, the clock the ticking ones only; names the page does not have are
    ignored, and with no usable list the page's first panels are in view."""
    analyst = system("analyst")
    day = Filters(as_of=D2).to_dict()
    fired = {f"{ID.FILTERS}.data"}

    def ask(**kw):
        return update_panels(literal, filters=day, checkpoint=None, who=analyst,
                             **{"version": "v1", "lang": "en", "triggered": fired, **kw})

    def filled(answer) -> set[str]:
        return {g for g, outputs in GROUPS.items()
                if any(answer[o] is not no_update for o in outputs)}

    top = ask(in_view=["kpis"])
    assert filled(top) == {"kpis"} and set(top["done"]) == {"kpis"}
    assert top["lead_clock_off"] is True  # D2 is over: the clocks stand still
    scrolled = ask(in_view=["kpis", "leads", "table"], done=top["done"],
                   triggered={f"{ID.PANELS_IN_VIEW}.data"})
    assert filled(scrolled) == {"leads", "table"}
    assert set(scrolled["done"]) == {"kpis", "leads", "table"}
    assert sorted(r["code"] for r in scrolled["rows"]) == [G1, G2, G3, G4, G5]
    again = ask(in_view=["leads", "kpis", "table"], done=scrolled["done"],
                triggered={f"{ID.PANELS_IN_VIEW}.data"})
    assert filled(again) == set() and again["done"] is no_update  # nothing was due
    # a new version whose records up to the day are the same: nothing is due
    same = ask(in_view=["kpis", "leads"], done=scrolled["done"], version="v2",
               triggered={f"{ID.VERSION}.data"})
    assert filled(same) == set()
    other = ask(in_view=["kpis", "leads"], done=scrolled["done"], lang="zh",
                triggered={f"{ID.FILTERS}.data"})
    assert filled(other) == {"kpis", "leads"}
    assert other["done"]["table"] == scrolled["done"]["table"]  # out of view: left as it was
    ticked = ask(in_view=["kpis", "leads", "alerts"], done=scrolled["done"],
                 triggered={f"{ID.LEAD_CLOCK}.n_intervals"})
    assert filled(ticked) == {"leads", "alerts"}
    for hostile in (None, "kpis", [5, None, "nope", {"a": 1}], {"kpis": 1}):
        answer = ask(in_view=hostile, done=hostile)
        expected = {"kpis", "charts"} if not isinstance(hostile, list) else set()
        assert filled(answer) == expected


def test_the_table_suppresses_household_counts_for_roles_without_the_right(lsnap):
    """An analyst sees "<5" where an admin sees 1 to 4, and a second cell of the township
    hidden too, so that the township's total cannot give the first away."""
    full = {r["code"]: r for r in table_rows(lsnap, Filters(as_of=D2), {}, "en", ADMIN, 5)}
    shown = {r["code"]: r for r in table_rows(lsnap, Filters(as_of=D2), {}, "en",
                                              system("analyst"), 5)}
    small = [(code, col) for code, r in full.items() for col in ("home_isolation",
                                                                  "leads_total", "open_leads")
             if 0 < r[col] < 5]
    assert small, "the literal county must have small counts for this test to mean anything"
    for code, col in small:
        assert shown[code][col] == "<5", (code, col)
    for code, r in shown.items():
        assert r["population"] == full[code]["population"]  # not household-level: as it is
        for col in ("home_isolation", "leads_total", "open_leads"):
            assert r[col] in (full[code][col], "<5")
    operator = system("operator", scope=Scope("township", frozenset({A})))
    mixed = {r["code"]: r for r in table_rows(lsnap, Filters(as_of=D2), {}, "en", operator, 5)}
    for code, r in mixed.items():
        if r["township_code"] == A:
            assert r == full[code]  # its own township in full
    # The grid does not type a column that can hold the label as a number (AG Grid would show
    # "Invalid Number" where the first row held a number).
    grid = find(grid_table("en"), lambda c: getattr(c, "id", None) == ID.GRID_TABLE)[0]
    specs = {c["field"]: c for c in grid.columnDefs}
    for col in ("home_isolation", "leads_total", "open_leads"):
        assert specs[col]["cellDataType"] is False
        assert specs[col]["comparator"] == {"function": "countOrder"}  # assets/analyst.js


def test_a_never_assessed_grid_reads_unmarked_in_the_table(lsnap):
    rows = table_rows(lsnap, Filters(townships=(A,), as_of=D2), {}, "en", ADMIN, 5)
    assert [(r["code"], r["colour"]) for r in rows] == [(G1, "Red"), (G2, "Blue"),
                                                        (G3, "Unmarked")]


def words(node) -> str:
    return " ".join(text_of(node).split())


def test_show_detail_lists_history_tasks_and_leads_as_of_the_day(literal):
    out = show_detail(literal, chosen={"code": G2, "township_code": A},
                      filters=Filters(as_of=D2).to_dict(), version=None, lang="en",
                      who=system("analyst"))
    assert out["filter_hidden"] is False and out["close_hidden"] is False
    items = [words(n) for n in find(out["panel"], lambda n: isinstance(n, html.Li))]
    assert sorted(items) == sorted([
        "Blue 02-02 11:00 · township review",
        "Red 02-02 07:00 · late-sync",  # observed earlier, recorded on D3: history only
        "Green 02-01 08:00 · initial marking",
        "T0001 Screen returnees done late",  # completed D2 12:00, due 10:00
        # Its stage and running clock at the end of D2, past the close limit: overdue.
        "02-02 10:00 L0003 gathering (text for operators of this area only) acknowledged"
        " · 14 h 0 min so far",
    ])
    lead = find(out["panel"], lambda n: isinstance(n, html.Li)
                and getattr(n, "data-lead", None) == "L0003")[0]
    assert lead.children[-1].className == "gw-tag gw-tag-task_overdue"
    history = next(n for n in out["panel"] if isinstance(n, html.Ul))  # the first list
    assert [words(li).split()[0] for li in history.children] == ["Blue", "Red", "Green"]
    assert words(out["panel"][0]) == "Dongling Village Grid 2"
    closed = show_detail(literal, chosen=None, filters=Filters(as_of=D2).to_dict(),
                         version=None, lang="en", who=system("analyst"))
    assert closed["filter_hidden"] is True and closed["close_hidden"] is True


# --- on the demo store -----------------------------------------------------------------------

def test_map_kpis_and_table_keep_the_same_grids_under_a_level_filter(source, snap, region):
    """On the demo store: the three consumers of one filter agree with each other."""
    f = Filters(levels=(1,), as_of=DAY)
    styles = hideouts(map_view(snap, f), "zh", source.settings.palette)
    codes = region.grids.sort_values("code")["code"].tolist()
    kept = {code for code, ch in zip(codes, styles["grids"]["c"], strict=True) if ch.isdigit()}
    assert 0 < len(kept) < 747

    tiles = update_kpis(source, filters=f.to_dict(), version=None, lang="zh",
                        who=system())["tiles"]
    colours = find(tiles, lambda n: getattr(n, "className", "") == "gw-colour-count")
    shown = sum(int(text_of(c).split()[1].replace(",", "")) for c in colours)
    assert shown == len(kept)

    rows = table_rows(snap, f, source.settings.palette, "zh", ADMIN, 5)
    assert {r["code"] for r in rows} == kept
    assert {r["level"] for r in rows} == {1}


def test_hideouts_carry_no_geometry(source, snap):
    styles = hideouts(map_view(snap, Filters(as_of=DAY)), "en", source.settings.palette)
    text = json.dumps(styles)
    assert "coordinates" not in text
    assert len(text) < 40_000, "a recolour sends styles, not polygons"


def test_table_rows_speak_the_language(source, snap):
    zh = table_rows(snap, Filters(as_of=DAY), source.settings.palette, "zh", ADMIN, 5)
    en = table_rows(snap, Filters(as_of=DAY), source.settings.palette, "en", ADMIN, 5)
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
    page, lang = render_page(source, "/nowhere", "?lang=en", system())
    assert lang == "en"
    assert "/nowhere" in text_of(page)


def test_page_opens_in_the_urls_language(source):
    page, lang = render_page(source, "/", "?lang=en&level=1", system())
    assert lang == "en"
    assert "Kaihua County Grid Command" in text_of(page)
    checklist = find(page, lambda n: getattr(n, "id", None) == ID.LEVEL)[0]
    assert checklist.value == [1]


def test_healthz_reports_the_data_version(fresh_source):
    from gridwatch.store import models as m
    from gridwatch.store.writes import write_session

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
