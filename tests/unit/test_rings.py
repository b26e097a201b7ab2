"""The six rings (gridwatch.rings) on the five-grid literal county worked by hand, shaped for each
role (gridwatch.visibility), in the card, the grid detail, the wall's rotation and the pack."""

from __future__ import annotations

from datetime import date

from gridwatch import rings, visibility
from gridwatch.auth.policy import Principal, Scope
from tests.unit.literal import D1, D2, G1, G2, G3, G4, G5, A, B

GRIDS = (G1, G2, G3, G4, G5)
VIEWER = Principal("user", "viewer")
ADMIN = Principal("user", "admin")
OPERATOR_A = Principal("user", "operator", Scope("township", frozenset({A})))


def test_each_ring_per_township_with_the_townships_checkpoint_intercepts(lsnap):
    table = rings.by_township(lsnap, GRIDS, [A, B], D2)
    assert table.set_index("code").to_dict("index") == {
        A: {"arrivals_high_risk": 1, "central_quarantine": 1, "checkpoint_intercepts": 1,
            "screened_households": 48, "home_isolation": 6, "closed_compounds": 1},
        B: {"arrivals_high_risk": 0, "central_quarantine": 0, "checkpoint_intercepts": 2,
            "screened_households": 11, "home_isolation": 1, "closed_compounds": 0}}
    assert rings.totals(table)["home_isolation"] == 7
    # a colour filter keeps some grids: the grid rings follow them, intercepts the township
    only_g2 = rings.by_township(lsnap, [G2], [A], D2).iloc[0]
    assert (only_g2["screened_households"], only_g2["checkpoint_intercepts"]) == (20, 1)
    day1 = rings.by_township(lsnap, GRIDS, [A, B], D1).set_index("code")
    assert day1.loc[A, "home_isolation"] == 3 and day1.loc[A, "checkpoint_intercepts"] == 1


def test_a_grid_has_five_rings_of_its_own_and_no_intercepts(lsnap):
    assert rings.for_grid(lsnap, G2, D2) == {
        "arrivals_high_risk": 1, "central_quarantine": 0, "checkpoint_intercepts": None,
        "screened_households": 20, "home_isolation": 2, "closed_compounds": 1}
    assert rings.for_grid(lsnap, G3, D2) == {**dict.fromkeys(rings.RINGS, 0),
                                             "checkpoint_intercepts": None}


def test_small_counts_of_people_are_suppressed_for_who_may_not_see_them(lsnap):
    table = rings.by_township(lsnap, GRIDS, [A, B], D2)
    totals = rings.totals(table)
    assert visibility.rings_for(ADMIN, table, totals, 5) == (table, totals)
    rows, shown = visibility.rings_for(VIEWER, table, totals, 5)
    by = rows.set_index("code")
    # B's 1 in home isolation is hidden, and A's 6 with it (the shown total 7 would tell);
    # compounds and intercepts are not people: never suppressed
    assert (by.loc[A, "home_isolation"], by.loc[B, "home_isolation"]) == ("<5", "<5")
    assert shown["home_isolation"] == 7 and shown["arrivals_high_risk"] == "<5"
    assert (by.loc[A, "closed_compounds"], by.loc[B, "checkpoint_intercepts"]) == (1, 2)
    assert by.loc[A, "screened_households"] == 48
    own = visibility.rings_for(OPERATOR_A, table, totals, 5)[0].set_index("code")
    assert own.loc[A, "arrivals_high_risk"] == 1
    view_rows, view_shown = visibility.rings_for_view("none<5", table, totals)
    assert view_rows.equals(rows) and view_shown == shown
    grid = visibility.rings_of_grid(rings.for_grid(lsnap, G2, D2), False, 5)
    assert (grid["arrivals_high_risk"], grid["closed_compounds"], grid["screened_households"]) \
        == ("<5", 1, 20)
    assert visibility.rings_of_grid(rings.for_grid(lsnap, G2, D2), True, 5)[
        "arrivals_high_risk"] == 1


def test_the_card_the_wall_and_the_detail_on_the_demo(source):
    from callbacks.detail import show_detail
    from callbacks.rings import rings_panel
    from callbacks.wall import panel
    from gridwatch.filters import Filters

    day = date(2020, 2, 10)
    filters = Filters(as_of=day).to_dict()
    admin = rings_panel(source, filters, "zh", ADMIN)
    text = str(admin["rings"])
    for ring in ("高风险地区来人", "集中隔离", "卡口拦截", "排查户数", "居家隔离", "封闭小区"):
        assert ring in text, ring
    assert admin["rings_as_of"] == "2020-02-10" and "<5" not in text
    viewer = str(rings_panel(source, filters, "zh", VIEWER)["rings"])
    assert "<5" in viewer
    snap = source.snapshot()
    title, body, _bounds, _focus = panel(snap, "rings", "en", 1080, 5)
    assert title == "The six rings (county, today)"
    assert "Checkpoint intercepts" in str(body) and "Home isolation" in str(body)
    grid = snap.rings.loc[snap.rings["day"] == day, "grid_code"].iloc[0]
    shown = str(show_detail(source, {"code": grid}, filters, None, "zh",
                            Principal("user", "analyst"))["panel"])
    assert "六个圈层（当日）" in shown and "卡口拦截 不适用" in shown



def test_a_ring_shades_the_grids_in_ranges_no_finer_than_suppression(lsnap):
    from layouts.map import shade_labels

    assert rings.bin_edges(5) == (1, 5, 10, 20)
    assert shade_labels((1, 5, 10, 20)) == ["0", "1–4", "5–9", "10–19", "≥20"]
    assert shade_labels(rings.bin_edges(2)) == ["0", "1", "2–3", "4–7", "≥8"]
    every = (G1, G2, G3, G4, G5)
    # screened households: D1 G1 30, G4 12; D2 G1 28, G2 20, G4 11 (literal.RINGS)
    assert rings.grid_shades(lsnap, "screened_households", D1, every, 5) == "40030"
    assert rings.grid_shades(lsnap, "screened_households", D2, every, 5) == "44030"
    assert rings.grid_shades(lsnap, "home_isolation", D2, every, 5) == "11010"
    assert rings.grid_shades(lsnap, "home_isolation", D2, [G4, G1, G2], 5) == "111"


def test_the_map_shades_by_a_ring_without_resending_geometry(literal):
    from callbacks.map import update_map
    filters = {"levels": [], "townships": [], "colours": [], "as_of": D2.isoformat()}
    shaded = update_map(literal, filters, "1", None, "en", Principal("user", "viewer"),
                        shade="screened_households")
    assert shaded["grids"]["r"] == "44030" and len(shaded["grids"]["rp"]) == 5
    assert "data" not in shaded["grids"]  # styles and numbers only
    legend = str(shaded["legend"])
    assert "Households screened" in legend or "screened" in legend.lower()
    plain = update_map(literal, filters, "1", None, "en", Principal("user", "viewer"),
                       shade="<script>")
    assert "r" not in plain["grids"]
