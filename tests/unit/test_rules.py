"""Domain rules on the five-grid literal county (``tests/unit/literal.py``).

Every expected value below was worked out by hand from the rows in ``literal.py``, never by
calling the code under test; the comment above each case says how.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from gridwatch.filters import Filters
from gridwatch.metrics import (
    assignment_done,
    assignment_overdue,
    assignment_states,
    attention,
    checkpoint_series,
    colour_changes,
    colour_composition,
    compute_kpis,
    grid_detail,
    grid_status,
    grid_table,
    headline_figures,
    latest_events,
    lead_closed,
    open_leads_at,
    select_grids,
    selected_townships,
    task_completion_by_township,
    tasks_on_day,
    township_levels,
)
from gridwatch.snapshot import TABLES, Snapshot
from tests.unit.literal import D1, D2, D3, G1, G2, G3, G4, G5, GRIDS, A, B, at, tables

STATES = ["on_time", "late", "open", "overdue"]


def colours(status: pd.DataFrame) -> list:
    """The colour column in grid order, never-assessed as None."""
    return [None if pd.isna(c) else c for c in status["colour"]]


def test_the_literal_tables_are_shaped_like_the_stores(lsnap, snap):
    """The fixture is only worth its expectations if the code sees what a real store gives."""
    for name in TABLES:
        literal, real = getattr(lsnap, name), getattr(snap, name)
        assert list(literal.columns) == list(real.columns), name
        assert literal.dtypes.to_dict() == real.dtypes.to_dict(), name
    for layer in ("grids", "townships", "villages", "checkpoints"):
        assert set(getattr(lsnap.region, layer).columns) == set(getattr(snap.region, layer).columns)
    assert (lsnap.first_day, lsnap.last_day) == (D1, D3)


# --- grid colour, since, previous colour --------------------------------------------------------

# Per grid in code order (G1..G5), worked out from RISK:
#   D1: G1 yellow@08:00; G2 green@08:00; G3 never; G4 blue@09:00; G5 green@10:00
#   D2: G1 red since 09:00 (the 15:00 red repeats it); G2 blue since 11:00 (the red observed at
#       07:00, recorded on D3, is older than the blue and does not win); G5's yellow observed at
#       02-03 00:00 belongs to D3
#   D3: G1 orange@10:00; G2 still blue; G4 blue since D1 (the D3 blue repeats it); G5 yellow@00:00
STATUS = {
    D1: (["yellow", "green", None, "blue", "green"],
         ["02-01 08:00", "02-01 08:00", None, "02-01 09:00", "02-01 10:00"],
         [None, None, None, None, None]),
    D2: (["red", "blue", None, "blue", "green"],
         ["02-02 09:00", "02-02 11:00", None, "02-01 09:00", "02-01 10:00"],
         ["yellow", "green", None, "blue", "green"]),
    D3: (["orange", "blue", None, "blue", "yellow"],
         ["02-03 10:00", "02-02 11:00", None, "02-01 09:00", "02-03 00:00"],
         ["red", "blue", None, "blue", "green"]),
}


@pytest.mark.parametrize("day", [D1, D2, D3])
def test_grid_colour_since_and_previous_colour(lsnap, day):
    colour, since, previous = STATUS[day]
    status = grid_status(lsnap, day)
    assert list(status.index) == list(GRIDS)
    assert colours(status) == colour
    assert [None if pd.isna(s) else s for s in status["since"]] == [
        at(s) if s else None for s in since]
    assert [None if pd.isna(c) else c for c in status["previous_colour"]] == previous


def test_an_older_observation_arriving_late_is_history_not_the_current_colour(lsnap):
    frames = tables()
    without = Snapshot(store_version=0, region=lsnap.region, updated_at=None,
                       **{**frames, "risk": frames["risk"][frames["risk"]["id"] != 11]})
    for day in (D2, D3):
        assert grid_status(without, day).loc[G2, "colour"] == "blue"
        assert grid_status(lsnap, day).loc[G2, "colour"] == "blue"
        assert grid_status(lsnap, day).loc[G2, "since"] == at("02-02 11:00")
    history = grid_detail(lsnap, G2, D2).history
    assert list(history["colour"]) == ["blue", "red", "green"]  # newest observation first
    assert list(history["source"]) == ["township-review", "late-sync", "initial-marking"]


# --- control level per township per day -------------------------------------------------------

# LEVELS: A 2 from D1 09:00, 1 from D2 12:00; B nothing until 3 by default, 2 from D3 00:00.
@pytest.mark.parametrize(("day", "expected"), [
    (date(2020, 1, 31), {A: 3, B: 3}),
    (D1, {A: 2, B: 3}),
    (D2, {A: 1, B: 3}),
    (D3, {A: 1, B: 2}),
])
def test_control_level_per_township_per_day(lsnap, day, expected):
    assert township_levels(lsnap, day).to_dict() == expected
    assert grid_status(lsnap, day)["level"].tolist() == [expected[A]] * 3 + [expected[B]] * 2


# --- which grids a filter keeps ----------------------------------------------------------------

# On D2: A (G1 red, G2 blue, G3 never) is level 1; B (G4 blue, G5 green) is level 3.
@pytest.mark.parametrize(("filters", "kept"), [
    (Filters(), [G1, G2, G3, G4, G5]),
    (Filters(levels=(1,)), [G1, G2, G3]),
    (Filters(levels=(3,)), [G4, G5]),
    (Filters(levels=(2,)), []),
    (Filters(townships=(B,)), [G4, G5]),
    (Filters(colours=("blue",)), [G2, G4]),
    (Filters(colours=("green",)), [G5]),
    (Filters(levels=(1,), colours=("red", "blue")), [G1, G2]),
    (Filters(townships=(A,), colours=("green",)), []),
])
def test_select_grids_under_level_township_and_colour(lsnap, filters, kept):
    status = grid_status(lsnap, D2)
    assert list(status.index[select_grids(status, filters.with_day(D2))]) == kept


@pytest.mark.parametrize(("day", "filters", "towns"), [
    (D2, Filters(), [A, B]),
    (D2, Filters(levels=(3,)), [B]),
    (D3, Filters(levels=(2,)), [B]),
    (D2, Filters(townships=(A,), levels=(3,)), []),
    (D2, Filters(colours=("red",)), [A, B]),  # the colour filter does not drop townships
])
def test_selected_townships(lsnap, day, filters, towns):
    assert selected_townships(lsnap.region, township_levels(lsnap, day), filters) == towns


# --- task and lead state at an instant -----------------------------------------------------------

# ASSIGNMENTS 1..6: due D2 10:00 (1-3), D3 08:00 (4-5), 02-04 09:00 (6); completed D1 18:00 (1),
# D2 12:00 (2), exactly at its due time D3 08:00 (4); 3, 5 and 6 never.
@pytest.mark.parametrize(("instant", "states"), [
    (at("02-02 09:59"), ["on_time", "open", "open", "open", "open", "open"]),
    (at("02-02 11:00"), ["on_time", "overdue", "overdue", "open", "open", "open"]),
    (at("02-02 13:00"), ["on_time", "late", "overdue", "open", "open", "open"]),
    # At the due instant itself nothing is overdue yet, and a completion at that instant has
    # not happened "before" it.
    (at("02-03 08:00"), ["on_time", "late", "overdue", "open", "open", "open"]),
    (at("02-03 08:01"), ["on_time", "late", "overdue", "on_time", "overdue", "open"]),
])
def test_task_state_at_an_instant(lsnap, instant, states):
    a = lsnap.assignments
    assert assignment_states(a, instant).tolist() == states
    assert assignment_done(a, instant).tolist() == [s in ("on_time", "late") for s in states]
    assert assignment_overdue(a, instant).tolist() == [s == "overdue" for s in states]


def test_lead_state_at_an_instant(lsnap):
    leads = lsnap.leads
    # L2 closes at D2 01:00: not yet closed at that instant, closed a minute later.
    assert lead_closed(leads, at("02-02 01:00")).tolist() == [True, False, False, False, False]
    assert lead_closed(leads, at("02-02 01:01")).tolist() == [True, True, False, False, False]
    assert open_leads_at(leads, at("02-02 12:00"))["code"].tolist() == ["L0003"]
    assert open_leads_at(leads, at("02-03 07:30"))["code"].tolist() == ["L0003", "L0004",
                                                                       "L0005"]


# Rows are townships with a kept grid; columns on_time, late, open, overdue at the day's end.
@pytest.mark.parametrize(("day", "filters", "rows"), [
    (D1, Filters(), {A: [1, 0, 1, 0], B: [0, 0, 1, 0]}),
    (D2, Filters(), {A: [1, 1, 1, 0], B: [0, 0, 1, 1]}),
    (D3, Filters(), {A: [2, 1, 1, 0], B: [0, 0, 0, 2]}),
    (D3, Filters(colours=("blue",)), {A: [0, 1, 0, 0], B: [0, 0, 0, 1]}),
    (D1, Filters(colours=("green",)), {A: [0, 0, 1, 0], B: [0, 0, 0, 0]}),  # G5: nothing yet
    (D3, Filters(townships=(B,), colours=("red",)), {}),
])
def test_task_completion_by_township(lsnap, day, filters, rows):
    table = task_completion_by_township(lsnap, filters.with_day(day))
    assert list(table.columns) == STATES
    assert {town: list(values) for town, values in table.iterrows()} == rows


# --- KPIs ---------------------------------------------------------------------------------------

KPIS = {
    # D2, everything. Colours: G1 red, G2 G4 blue, G5 green (G3 never) against D1's G1 yellow,
    # G2 G5 green, G4 blue. Tasks: T1 (assignments 1-3; 3 overdue since D2 10:00) and T2 (4-5,
    # issued D2, neither done by midnight); acknowledged by midnight 1, 2, 4 of 1-5. Leads: L3
    # and L4 open (L3 since D2 10:00 = 840 min before midnight); closed L1 25 min, L2 180 min.
    # Checkpoints on D2: CP01 12+3 vehicles, 25+4 people, 0+1 flagged; CP02 30, 60, 2.
    "everything on D2": (D2, Filters(), dict(
        colour_counts={"red": 1, "orange": 0, "yellow": 0, "blue": 2, "green": 1},
        colour_deltas={"red": 1, "orange": 0, "yellow": -1, "blue": 1, "green": -1},
        level_counts={1: 1, 2: 0, 3: 1}, tasks_issued=2, tasks_completed=0, tasks_overdue=1,
        tasks_issued_today=1, response_rate=0.6, checkpoint_vehicles=45, checkpoint_people=89,
        checkpoint_flagged=3, open_leads=2, oldest_open_lead_minutes=840.0,
        median_close_minutes=102.5, home_isolation=7, grids_selected=5)),
    # D3, everything: T1 and T2 both overdue (3; 5 past D3 08:00), T3 open; 5 of 6 acknowledged.
    # L3 open 38 h = 2280 min; closed 25, 180, 720, 45 → median (45 + 180) / 2.
    "everything on D3": (D3, Filters(), dict(
        colour_counts={"red": 0, "orange": 1, "yellow": 1, "blue": 2, "green": 0},
        colour_deltas={"red": -1, "orange": 1, "yellow": 1, "blue": 0, "green": -1},
        level_counts={1: 1, 2: 1, 3: 0}, tasks_issued=3, tasks_completed=0, tasks_overdue=2,
        tasks_issued_today=1, response_rate=5 / 6, checkpoint_vehicles=7, checkpoint_people=9,
        checkpoint_flagged=0, open_leads=1, oldest_open_lead_minutes=2280.0,
        median_close_minutes=112.5, home_isolation=0, grids_selected=5)),
    # D3, township A: its assignments 1, 2, 4 done (T1 and T2 complete there), 6 open and not
    # due; all four acknowledged. L3 open; closed L1 25 and L5 45 min.
    "township A on D3": (D3, Filters(townships=(A,)), dict(
        colour_counts={"red": 0, "orange": 1, "yellow": 0, "blue": 1, "green": 0},
        colour_deltas={"red": -1, "orange": 1, "yellow": 0, "blue": 0, "green": 0},
        level_counts={1: 1, 2: 0, 3: 0}, tasks_issued=3, tasks_completed=2, tasks_overdue=0,
        tasks_issued_today=1, response_rate=1.0, checkpoint_vehicles=0, checkpoint_people=0,
        checkpoint_flagged=0, open_leads=1, oldest_open_lead_minutes=2280.0,
        median_close_minutes=35.0, home_isolation=0, grids_selected=3)),
    # D2, level 3 = township B (G4 blue, G5 green, the same as on D1): assignments 3 (overdue)
    # and 5, neither acknowledged by midnight. L4 open since 20:00 (240 min); L2 closed in 180.
    "level 3 on D2": (D2, Filters(levels=(3,)), dict(
        colour_counts={"red": 0, "orange": 0, "yellow": 0, "blue": 1, "green": 1},
        colour_deltas={"red": 0, "orange": 0, "yellow": 0, "blue": 0, "green": 0},
        level_counts={1: 0, 2: 0, 3: 1}, tasks_issued=2, tasks_completed=0, tasks_overdue=1,
        tasks_issued_today=1, response_rate=0.0, checkpoint_vehicles=30, checkpoint_people=60,
        checkpoint_flagged=2, open_leads=1, oldest_open_lead_minutes=240.0,
        median_close_minutes=180.0, home_isolation=1, grids_selected=2)),
    # D2, blue (G2, G4; on D1 only G4 was blue): assignments 2 (done) and 3 (overdue) of T1;
    # townships and checkpoints are not narrowed by a colour. L3 open; L2 closed in 180 min.
    "blue on D2": (D2, Filters(colours=("blue",)), dict(
        colour_counts={"red": 0, "orange": 0, "yellow": 0, "blue": 2, "green": 0},
        colour_deltas={"red": 0, "orange": 0, "yellow": 0, "blue": 1, "green": 0},
        level_counts={1: 1, 2: 0, 3: 1}, tasks_issued=1, tasks_completed=0, tasks_overdue=1,
        tasks_issued_today=0, response_rate=0.5, checkpoint_vehicles=45, checkpoint_people=89,
        checkpoint_flagged=3, open_leads=1, oldest_open_lead_minutes=840.0,
        median_close_minutes=180.0, home_isolation=3, grids_selected=2)),
    # D1, red: no grid is red, so no tasks and no leads; the checkpoints still count (CP01).
    "red on D1 (nothing)": (D1, Filters(colours=("red",)), dict(
        colour_counts=dict.fromkeys(("red", "orange", "yellow", "blue", "green"), 0),
        colour_deltas=dict.fromkeys(("red", "orange", "yellow", "blue", "green"), 0),
        level_counts={1: 0, 2: 1, 3: 1}, tasks_issued=0, tasks_completed=0, tasks_overdue=0,
        tasks_issued_today=0, response_rate=None, checkpoint_vehicles=10, checkpoint_people=20,
        checkpoint_flagged=1, open_leads=0, oldest_open_lead_minutes=None,
        median_close_minutes=None, home_isolation=0, grids_selected=0)),
}


@pytest.mark.parametrize("case", KPIS)
def test_kpi_figures(lsnap, case):
    day, filters, expected = KPIS[case]
    k = compute_kpis(lsnap, filters.with_day(day))
    got = {name: getattr(k, name) for name in expected}
    if expected["response_rate"] is not None:
        assert got.pop("response_rate") == pytest.approx(expected["response_rate"])
        expected = {n: v for n, v in expected.items() if n != "response_rate"}
    assert got == expected


# --- the grid table -----------------------------------------------------------------------------

# D2, most urgent first: red G1; blue G4 (1 overdue task) before blue G2 (none); green G5;
# G3 (never assessed) last.
# fmt: off
TABLE_D2 = [
    # code, level, colour, since, pop, hh, isolation, arrivals, open, overdue, leads, open leads
    (G1, 1, "red",   "2020-02-02 09:00", 500, 180, 4, 2, 1, 0, 1, 0),
    (G4, 3, "blue",  "2020-02-01 09:00", 260,  95, 1, 1, 1, 1, 1, 0),
    (G2, 1, "blue",  "2020-02-02 11:00", 320, 120, 2, 1, 0, 0, 1, 1),
    (G5, 3, "green", "2020-02-01 10:00", 380, 140, 0, 0, 1, 0, 1, 1),
    (G3, 1, None,    None,               410, 150, 0, 0, 0, 0, 0, 0),
]
# fmt: on
TABLE_COLUMNS = ["code", "level", "colour", "since", "population", "households",
                 "home_isolation", "arrivals_total", "open_tasks", "overdue_tasks",
                 "leads_total", "open_leads"]


def test_grid_table_rows_order_and_figures(lsnap):
    table = grid_table(lsnap, Filters(as_of=D2))
    rows = [tuple(None if pd.isna(v) else v for v in row)
            for row in table[TABLE_COLUMNS].itertuples(index=False)]
    assert rows == TABLE_D2
    assert table.loc[0, ["name_en", "village_en", "township_en"]].tolist() == [
        "Dongling Village Grid 1", "Dongling Village", "Dongling Town"]


def test_grid_table_follows_the_filters(lsnap):
    assert grid_table(lsnap, Filters(levels=(3,), as_of=D2))["code"].tolist() == [G4, G5]
    assert grid_table(lsnap, Filters(colours=("blue",), as_of=D3))["code"].tolist() == [G4, G2]


# --- what needs attention, what changed, what happened ----------------------------------------

# score = 4 red + 2 orange + 2 overdue tasks + 3 open leads
@pytest.mark.parametrize(("day", "expected"), [
    # D1: only L2 (reported 22:00, closed after midnight) is open; nothing overdue yet.
    (D1, [(B, 0, 0, 0, 1, [], 3)]),
    # D2: A has red G1 and open L3; B has overdue T1 (assignment 3) and open L4.
    (D2, [(A, 1, 0, 0, 1, [G1], 7), (B, 0, 0, 1, 1, [], 5)]),
    # D3: A has orange G1 and L3; B has T1 and T2 overdue, L4 closed at 08:00.
    (D3, [(A, 0, 1, 0, 1, [G1], 5), (B, 0, 0, 2, 0, [], 4)]),
])
def test_attention_townships_and_scores(lsnap, day, expected):
    got = [(a.code, a.red, a.orange, a.overdue_tasks, a.open_leads, a.hot_grids, a.score)
           for a in attention(lsnap, day)]
    assert got == expected


@pytest.mark.parametrize(("day", "expected"), [
    # riskier first, then the newest: G2 green→blue at 11:00, G1 yellow→red at 09:00
    (D2, [(G2, "green", "blue", 1), (G1, "yellow", "red", 1)]),
    (D3, [(G5, "green", "yellow", 1), (G1, "red", "orange", -1)]),
])
def test_colour_changes_since_the_day_before(lsnap, day, expected):
    changes = colour_changes(lsnap, day)
    assert list(changes[["code", "before", "after", "direction"]].itertuples(
        index=False, name=None)) == expected


def test_latest_events_newest_first(lsnap):
    events = latest_events(lsnap, D2)
    assert list(events[["kind", "ref"]].itertuples(index=False, name=None)) == [
        ("lead", "L0004"), ("lead", "L0003"), ("notice", "1"), ("lead", "L0002"),
        ("lead", "L0001"), ("order", "1")]


@pytest.mark.parametrize(("day", "expected"), [
    (D1, {"issued": 1, "completed": 0, "response_rate": 2 / 3}),  # T1: 1 of 3 done, 2 acked
    (D2, {"issued": 1, "completed": 0, "response_rate": 0.5}),    # T2: 4 acked, 5 not yet
    (D3, {"issued": 1, "completed": 0, "response_rate": 1.0}),    # T3
])
def test_tasks_issued_on_a_day(lsnap, day, expected):
    got = tasks_on_day(lsnap, day)
    assert got == {**expected, "response_rate": pytest.approx(expected["response_rate"])}


# --- chart series and the article's figures ----------------------------------------------------

def test_checkpoint_series_per_day(lsnap):
    everything = checkpoint_series(lsnap, Filters(as_of=D2))
    assert everything.to_dict("index") == {
        D1: {"vehicles": 10, "people": 20, "qr_registrations": 0, "flagged": 1},
        D2: {"vehicles": 45, "people": 89, "qr_registrations": 16, "flagged": 3}}
    b = checkpoint_series(lsnap, Filters(townships=(B,), as_of=D3))
    assert b["vehicles"].tolist() == [0, 30, 7]
    one = checkpoint_series(lsnap, Filters(as_of=D3), checkpoint="CP01")
    assert one["people"].tolist() == [20, 29, 0]


def test_colour_composition_per_day(lsnap):
    table = colour_composition(lsnap, Filters(as_of=D3))
    assert table.to_dict("index") == {
        D1: {"red": 0, "orange": 0, "yellow": 1, "blue": 1, "green": 2},
        D2: {"red": 1, "orange": 0, "yellow": 0, "blue": 2, "green": 1},
        D3: {"red": 0, "orange": 1, "yellow": 1, "blue": 2, "green": 0}}
    assert colour_composition(lsnap, Filters(colours=("blue",), as_of=D3))["blue"].tolist() == [
        1, 2, 2]
    a = colour_composition(lsnap, Filters(townships=(A,), as_of=D2))
    assert a.loc[D1].to_dict() == {"red": 0, "orange": 0, "yellow": 1, "blue": 0, "green": 1}


def test_grid_detail_tasks_and_leads_as_of_a_day(lsnap):
    detail = grid_detail(lsnap, G1, D2)
    assert detail.tasks[["code", "state"]].values.tolist() == [["T0002", "open"],
                                                               ["T0001", "on_time"]]
    assert detail.leads[["code", "closed"]].values.tolist() == [["L0001", True]]
    later = grid_detail(lsnap, G1, D3)
    assert later.tasks["state"].tolist() == ["on_time", "on_time"]
    assert later.leads["code"].tolist() == ["L0005", "L0001"]
    assert detail.info["population"] == 500


def test_headline_figures_count_the_whole_history(lsnap):
    assert headline_figures(lsnap) == {
        "townships": 2, "villages": 2, "grids": 5, "orders": 1, "notices": 1, "tasks": 3,
        "tasks_completed": 0,  # every task has an assignment that was never completed
        "platform_events": 6 + 5 + 2,  # assignments + leads + red-proxy requests
        "grid_response_rate": pytest.approx(5 / 6), "proxy_home_visits": 1,
        "inspection_teams": 1, "failure_cases": 1, "failure_people": 2,
        "publicised_cases": 1, "publicised_people": 2,
    }


def test_a_day_ends_at_local_midnight(lsnap):
    """G5's yellow observed at 02-03 00:00 is D3's, and so is CP02's 00:00 hour."""
    assert grid_status(lsnap, D2).loc[G5, "colour"] == "green"
    assert grid_status(lsnap, D3).loc[G5, "colour"] == "yellow"
    assert compute_kpis(lsnap, Filters(townships=(B,), as_of=D3)).checkpoint_vehicles == 7
