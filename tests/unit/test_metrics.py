"""Figures derived from the demo history: properties that hold on real-sized data.

The rules themselves are checked against hand-worked values on the literal county in
``test_rules.py``.
"""

from datetime import date, datetime

import pytest

from gridwatch.filters import Filters
from gridwatch.metrics import (
    checkpoint_series,
    colour_composition,
    compute_kpis,
    grid_detail,
    grid_status,
    grid_table,
    select_grids,
    task_completion_by_township,
)
from gridwatch.store import models as m
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc

DAY = date(2020, 2, 1)


def test_every_grid_has_a_colour_every_day(snap):
    status = grid_status(snap, DAY)
    assert len(status) == 747
    assert status["colour"].isin(m.COLOURS).all()
    assert (status["since"] < datetime(2020, 2, 2)).all()


def test_filters_combine(snap):
    status = grid_status(snap, DAY)
    f = Filters(townships=("330824001",), colours=("red", "orange"), as_of=DAY)
    chosen = status[select_grids(status, f)]
    assert len(chosen) > 0
    assert set(chosen["township_code"]) == {"330824001"}
    assert set(chosen["colour"]) <= {"red", "orange"}


def test_kpis_count_the_filtered_grids(snap):
    everything = compute_kpis(snap, Filters(as_of=DAY))
    assert sum(everything.colour_counts.values()) == 747 == everything.grids_selected
    assert sum(everything.level_counts.values()) == 15
    level1 = compute_kpis(snap, Filters(levels=(1,), as_of=DAY))
    assert 0 < sum(level1.colour_counts.values()) == level1.grids_selected < 747
    assert level1.level_counts[1] > 0 and level1.level_counts[2] == level1.level_counts[3] == 0
    assert level1.checkpoint_vehicles < everything.checkpoint_vehicles
    assert level1.home_isolation <= everything.home_isolation


def test_a_new_assessment_changes_the_grids_colour_and_since(fresh_source):
    region = fresh_source.region()
    code = region.grids["code"].iloc[0]
    observed = local_to_utc(datetime(2020, 2, 29, 21, 0), "Asia/Shanghai")
    with write_session(fresh_source.engine) as s:
        s.add(m.RiskAssessment(grid_code=code, colour="red", observed_at=observed,
                               recorded_at=observed, source="test"))
    status = grid_status(fresh_source.snapshot(), date(2020, 2, 29))
    assert status.loc[code, "colour"] == "red"
    assert status.loc[code, "since"] == datetime(2020, 2, 29, 21, 0)


def test_task_completion_adds_up_to_the_assignments(snap):
    table = task_completion_by_township(snap, Filters(as_of=DAY))
    end = datetime(2020, 2, 2)
    assert table.to_numpy().sum() == (snap.assignments["issued_at"] < end).sum()
    assert list(table.columns) == ["on_time", "late", "open", "overdue"]


def test_task_completion_follows_the_township_filter(snap):
    table = task_completion_by_township(snap,
                                        Filters(townships=("330824115",), as_of=DAY))
    assert list(table.index) == ["330824115"]


def test_checkpoint_series_sums_the_hourly_counts(snap):
    series = checkpoint_series(snap, Filters(as_of=DAY))
    assert series.index[0] == date(2020, 1, 23) and series.index[-1] == DAY
    counts = snap.checkpoint_counts
    day_rows = counts[counts["hour_start"].dt.date == DAY]
    assert series.loc[DAY, "vehicles"] == day_rows["vehicles"].sum()
    one = checkpoint_series(snap, Filters(as_of=DAY), checkpoint="CP01")
    assert one.loc[DAY, "vehicles"] == day_rows.loc[day_rows["checkpoint_code"] == "CP01",
                                                    "vehicles"].sum()


def test_colour_composition_respects_the_colour_filter(snap):
    all_colours = colour_composition(snap, Filters(as_of=DAY))
    assert (all_colours.sum(axis=1) == 747).all()
    reds = colour_composition(snap, Filters(colours=("red",), as_of=DAY))
    assert list(reds.columns) == ["red"]
    assert (reds["red"] == all_colours["red"]).all()


def test_grid_table_lists_the_filtered_grids_most_urgent_first(snap):
    table = grid_table(snap, Filters(levels=(1,), as_of=DAY))
    assert 0 < len(table) < 747 and set(table["level"]) == {1}
    order = table["colour"].map({c: i for i, c in enumerate(m.COLOURS)})
    assert order.is_monotonic_increasing
    assert table["population"].dtype.kind == "i"


@pytest.mark.parametrize("code", ["nope", ""])
def test_grid_detail_of_an_unknown_grid_is_none(snap, code):
    assert grid_detail(snap, code, DAY) is None


def test_grid_detail_lists_history_newest_first(snap):
    code = snap.risk.groupby("grid_code").size().idxmax()
    detail = grid_detail(snap, code, date(2020, 2, 29))
    assert len(detail.history) >= 3
    assert detail.history["observed_at"].is_monotonic_decreasing
