"""A write costs what it touches: a new snapshot keeps the per-day results the change cannot
reach (``gridwatch.snapshot.carry_over``), and what it keeps equals what it would compute."""

import dataclasses
import threading
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from dash import no_update
from sqlalchemy import select, update

from gridwatch.filters import Filters
from gridwatch.mapview import map_view
from gridwatch.metrics import (
    compute_kpis,
    grid_status,
    grid_table,
    task_completion_by_township,
)
from gridwatch.snapshot import earliest_change, read_snapshot
from gridwatch.store import models as m
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc

pytestmark = pytest.mark.stores

TZ = "Asia/Shanghai"


def days_of(snap) -> list[date]:
    return [snap.first_day + timedelta(days=i)
            for i in range((snap.last_day - snap.first_day).days + 1)]


def figures(snap, day: date):
    """What the analyst view shows for a day, for comparing two snapshots."""
    f = Filters(as_of=day)
    view = map_view(snap, f)
    return (dataclasses.asdict(compute_kpis(snap, f)), grid_table(snap, f),
            task_completion_by_township(snap, f), view.counts, view.since)


def same(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y


def fresh_read(source):
    """The store as a process that never held an older snapshot would read it."""
    return read_snapshot(source.engine, source.settings.timezone, source._region)


def without_memos(snap, **tables):
    return dataclasses.replace(snap, derived={}, lock=threading.Lock(), _computing={},
                               _as_of={}, **tables)


def test_a_write_on_the_last_day_keeps_every_earlier_days_results(fresh_source):
    before = fresh_source.snapshot()
    days = days_of(before)
    for day in days:
        figures(before, day)
    grid = before.region.grids["code"].iloc[0]
    observed = local_to_utc(datetime(2020, 2, 29, 21, 0), TZ)
    with write_session(fresh_source.engine) as s:
        s.add(m.RiskAssessment(grid_code=grid, colour="red", observed_at=observed,
                               recorded_at=observed, source="test"))
    after = fresh_source.snapshot()
    assert after is not before
    kept = {key[1] for key in after.derived if key[0] == "grid_status"}
    assert kept == set(days[:-1])  # the last day is computed again, no other
    assert grid_status(after, days[-1]).loc[grid, "colour"] == "red"
    reference = fresh_read(fresh_source)
    for day in days:
        same(figures(after, day), figures(reference, day))


def test_a_change_back_in_time_drops_the_results_from_that_day_on(fresh_source):
    before = fresh_source.snapshot()
    days = days_of(before)
    for day in days:
        figures(before, day)
    # An open assignment is completed, backdated to 2020-02-10 12:00 local.
    with write_session(fresh_source.engine) as s:
        target = s.execute(select(m.TaskAssignment.id)
                           .where(m.TaskAssignment.issued_at < datetime(2020, 2, 9))
                           .order_by(m.TaskAssignment.id)).scalars().first()
        s.execute(update(m.TaskAssignment).where(m.TaskAssignment.id == target)
                  .values(completed_at=None))
    middle = fresh_source.snapshot()
    for day in days:
        figures(middle, day)
    with write_session(fresh_source.engine) as s:
        s.execute(update(m.TaskAssignment).where(m.TaskAssignment.id == target)
                  .values(completed_at=local_to_utc(datetime(2020, 2, 10, 12), TZ)))
    after = fresh_source.snapshot()
    kept = {key[1] for key in after.derived if key[0] == "grid_figures"}
    assert kept == {d for d in days if d < date(2020, 2, 10)}
    reference = fresh_read(fresh_source)
    for day in days:
        same(figures(after, day), figures(reference, day))


def test_the_earliest_change_is_where_a_record_was_added_removed_or_changed(snap):
    assert earliest_change(snap, without_memos(snap)) is None
    risk = snap.risk
    added = pd.concat([risk, risk.iloc[[0]].assign(id=risk["id"].max() + 1,
                                                   observed_at=datetime(2020, 2, 20, 8),
                                                   recorded_at=datetime(2020, 2, 20, 9))])
    assert earliest_change(snap, without_memos(snap, risk=added)) == datetime(2020, 2, 20, 8)
    removed = risk[risk["id"] != risk["id"].iloc[-1]]
    assert earliest_change(snap, without_memos(snap, risk=removed)) == min(
        risk.iloc[-1][["observed_at", "recorded_at"]])
    # A field that is not an instant changed: the record counts from its earliest instant.
    lead = snap.leads.iloc[3]
    leads = snap.leads.copy()
    leads.loc[leads["id"] == lead["id"], "summary_zh"] = "改"
    instants = lead[["reported_at", "acknowledged_at", "escalated_at", "dispatched_at",
                     "closed_at"]].dropna()
    assert earliest_change(snap, without_memos(snap, leads=leads)) == min(instants)
    # Only an instant changed: the earlier of its old and new value.
    leads = snap.leads.copy()
    leads.loc[leads["id"] == lead["id"], "closed_at"] = datetime(2020, 3, 1, 9)
    expected = min(v for v in (lead["closed_at"], datetime(2020, 3, 1, 9)) if not pd.isna(v))
    assert earliest_change(snap, without_memos(snap, leads=leads)) == expected
    # A ring count belongs to the start of its day.
    rings = snap.rings.copy()
    row = rings.index[5]
    rings.loc[row, "home_isolation"] += 1
    start = datetime.combine(rings.loc[row, "day"], datetime.min.time())
    assert earliest_change(snap, without_memos(snap, rings=rings)) == start


def panels(source, day: date, who):
    from callbacks.panels import GROUPS, update_panels
    from layouts.ids import ID

    with source.one_snapshot():
        return update_panels(source, filters=Filters(as_of=day).to_dict(), version=None,
                             checkpoint=None, lang="en", who=who,
                             triggered={f"{ID.FILTERS}.data"}, in_view=list(GROUPS))


def test_a_past_days_answer_is_built_once_per_audience_and_follows_a_write(fresh_source):
    from gridwatch.auth.policy import Principal, Scope

    one = Principal("user", "analyst", id=1, name="a1")
    other = Principal("user", "analyst", id=2, name="a2")
    town = fresh_source.snapshot().region.townships["code"].iloc[0]
    scoped = Principal("user", "analyst", Scope("township", frozenset({town})), 3, "a3")
    last = fresh_source.snapshot().last_day
    earlier = last - timedelta(days=3)
    first = panels(fresh_source, last, one)
    # another analyst of the same scope shares the answer; another audience does not
    assert panels(fresh_source, last, other)["rings"] is first["rings"]
    assert panels(fresh_source, last, scoped)["rings"] is not first["rings"]
    old = panels(fresh_source, earlier, one)
    grid = fresh_source.snapshot().region.grids["code"].iloc[0]
    observed = local_to_utc(datetime(last.year, last.month, last.day, 21, 0), TZ)
    with write_session(fresh_source.engine) as s:
        s.add(m.RiskAssessment(grid_code=grid, colour="red", observed_at=observed,
                               recorded_at=observed, source="test"))
    after = panels(fresh_source, last, one)
    assert after["kpis"] is not first["kpis"]  # the written day is answered afresh
    assert panels(fresh_source, earlier, one)["rings"] is old["rings"]  # earlier days kept
    fresh = fresh_read(fresh_source)
    assert grid_status(fresh, last).loc[grid, "colour"] == "red"


def test_a_running_days_results_are_computed_at_every_instant(snap):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    end = datetime(2020, 2, 20)  # 2020-02-19 is over
    assert snap.memo_at("probe", end, compute) == snap.memo_at("probe", end, compute) == 1
    running = datetime(2020, 2, 20, 10, 30, 0, 5)
    assert snap.memo_at("probe", running, compute) == 2
    assert snap.memo_at("probe", running, compute) == 3


def test_a_days_stamp_moves_only_with_a_change_that_reaches_it(fresh_source):
    """``Snapshot.stamp``: a write to the last day leaves an earlier day's stamp as it was
    (a page on that day needs nothing new) and moves the last day's; the panels callback then
    fills nothing for a page on the earlier day and everything in view on the last."""
    from callbacks.panels import update_panels
    from gridwatch.auth.policy import Principal
    from layouts.ids import ID

    who = Principal("user", "analyst", id=1, name="a1")
    before = fresh_source.snapshot()
    last = before.last_day
    earlier = last - timedelta(days=3)

    def ask(day, done=None, fired=f"{ID.FILTERS}.data"):
        with fresh_source.one_snapshot():
            return update_panels(fresh_source, filters=Filters(as_of=day).to_dict(),
                                 version=None, checkpoint=None, lang="en", who=who,
                                 triggered={fired}, in_view=["kpis"], done=done)

    old, new = ask(earlier), ask(last)
    grid = before.region.grids["code"].iloc[0]
    observed = local_to_utc(datetime(last.year, last.month, last.day, 21, 0), TZ)
    with write_session(fresh_source.engine) as s:
        s.add(m.RiskAssessment(grid_code=grid, colour="red", observed_at=observed,
                               recorded_at=observed, source="test"))
    after = fresh_source.snapshot()
    assert after.store_version != before.store_version
    assert after.stamp(earlier) == before.stamp(earlier)
    assert after.stamp(last) != before.stamp(last)
    fired = f"{ID.VERSION}.data"
    assert ask(earlier, old["done"], fired)["kpis"] is no_update
    assert ask(last, new["done"], fired)["kpis"] is not no_update
