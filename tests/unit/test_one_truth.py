"""Screen and print draw the same map: every grid's colour and muted state, for many filters.

The screen's side is read the way the browser reads it: the grids hideout's ``c`` string (and
its ``p`` patch) decoded as ``assets/map.js`` ``gridState`` does, and the fill ``gridStyle``
gives. The print side is ``gridwatch.export.render.grid_fills``. Both come from one
``MapView``; this test fails if either one starts deciding something of its own.
"""

from __future__ import annotations

from datetime import date

import pytest

from gridwatch import style
from gridwatch.export.render import grid_fills
from gridwatch.filters import Filters
from gridwatch.mapview import map_view
from gridwatch.store.models import COLOURS
from layouts.map import hideouts
from tests.unit.literal import D1, D2, D3, G1, G2, G3, G4, G5, A, B


def screen_state(hideout: dict, k: int) -> tuple[str | None, bool]:
    """(colour or None, in the filter) of grid ``k``, as ``gridState`` in assets/map.js."""
    ch = (hideout.get("p") or {}).get(str(k)) or (hideout["c"][k:k + 1] or "-")
    if ch in "-.":
        return None, ch == "-"
    if ord(ch) >= 97:
        return COLOURS[ord(ch) - 97], False
    return COLOURS[ord(ch) - 48], True


def screen_fill(hideout: dict, k: int) -> tuple[str, str]:
    """(fill, edge) of grid ``k`` as ``gridStyle`` in assets/map.js draws it (not selected)."""
    colour, inside = screen_state(hideout, k)
    if not inside:
        return style.MUTED_FILL, style.MUTED_EDGE
    return (hideout["palette"][colour] if colour else style.UNMARKED), style.GRID_EDGE


def disagreements(snap, palette: dict[str, str], filters: Filters) -> list:
    view = map_view(snap, filters)
    grid = hideouts(view, "zh", palette)["grids"]
    fills, edges = grid_fills(view, palette)
    codes = list(view.status.index)
    assert len(grid["c"]) == len(fills) == len(codes)
    return [(codes[k], screen_fill(grid, k), (fills[k], edges[k]))
            for k in range(len(codes)) if screen_fill(grid, k) != (fills[k], edges[k])]


def test_the_decoder_reads_the_patch_first():
    hideout = {"c": "0a-", "p": {"1": "4", "2": "c"}, "palette": {}}
    assert [screen_state(hideout, k) for k in range(3)] == [("red", True), ("green", True),
                                                            ("yellow", False)]


# On the literal county G3 is never assessed: filters that leave it out must mute it.
LITERAL_CASES = {
    "no filter": Filters(as_of=D2),
    "level 1 (township A)": Filters(levels=(1,), as_of=D2),
    "township B": Filters(townships=(B,), as_of=D2),
    "township A": Filters(townships=(A,), as_of=D3),
    "blue": Filters(colours=("blue",), as_of=D2),
    "level 1, red or blue": Filters(levels=(1,), colours=("red", "blue"), as_of=D2),
    "the first day": Filters(as_of=D1),
    "level 2 on D3 (township B)": Filters(levels=(2,), as_of=D3),
}


@pytest.mark.parametrize("filters", LITERAL_CASES.values(), ids=LITERAL_CASES.keys())
def test_screen_and_print_agree_on_the_literal_county(literal, lsnap, filters):
    assert disagreements(lsnap, literal.settings.palette, filters) == []


def test_the_literal_county_is_drawn_as_worked_out_by_hand(literal, lsnap):
    """Level 1 on D2 keeps township A: G1 red, G2 blue, G3 unmarked; G4 and G5 muted."""
    palette = literal.settings.palette
    fills, _ = grid_fills(map_view(lsnap, Filters(levels=(1,), as_of=D2)), palette)
    assert dict(zip((G1, G2, G3, G4, G5), fills, strict=True)) == {
        G1: palette["red"], G2: palette["blue"], G3: style.UNMARKED,
        G4: style.MUTED_FILL, G5: style.MUTED_FILL}


DEMO_CASES = {
    "no filter": Filters(as_of=date(2020, 2, 29)),
    "level 1": Filters(levels=(1,), as_of=date(2020, 2, 2)),
    "a township": Filters(townships=("330824115",), as_of=date(2020, 2, 2)),
    "red and orange": Filters(colours=("red", "orange"), as_of=date(2020, 2, 2)),
    "levels 1-2, yellow, two townships": Filters(levels=(1, 2), colours=("yellow",),
                                                 townships=("330824001", "330824106"),
                                                 as_of=date(2020, 2, 5)),
    "the first day": Filters(as_of=date(2020, 1, 23)),
}


@pytest.mark.parametrize("filters", DEMO_CASES.values(), ids=DEMO_CASES.keys())
def test_screen_and_print_agree_on_the_demo_store(source, snap, filters):
    assert disagreements(snap, source.settings.palette, filters) == []


def test_a_custom_palette_reaches_screen_and_print_alike(snap):
    palette = {"red": "#d50000", "orange": "#ff6d00", "yellow": "#ffd600", "blue": "#2962ff",
               "green": "#2e7d32"}
    assert disagreements(snap, palette, Filters(colours=("red", "green"),
                                                as_of=date(2020, 2, 2))) == []
