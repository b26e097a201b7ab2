"""The red proxy (gridwatch.proxy) on small literal frames worked by hand, shaped for each role
(gridwatch.visibility), on the demo store, in the grid detail and in the briefing pack."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from gridwatch import proxy, visibility
from gridwatch.auth.policy import Principal, Scope

DAY = date(2020, 2, 10)
A, B, C = "330824101", "330824102", "330824103"
GRIDS = pd.DataFrame({"code": ["a1", "a2", "b1", "c1"], "township_code": [A, A, B, C]})
ADMIN = Principal("user", "admin")
VIEWER = Principal("user", "viewer")
OPERATOR_A = Principal("user", "operator", Scope("township", frozenset({A})))


def at(hour: float, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def requests(*rows) -> pd.DataFrame:
    """(grid, requested hour, delivered hour or None, day offset of the request)."""
    return pd.DataFrame([{"grid_code": g, "requested_at": at(r, DAY + timedelta(days=o)),
                          "delivered_at": None if d is None else at(d, DAY + timedelta(days=o))}
                         for g, r, d, o in rows]).astype({"delivered_at": "datetime64[ns]"})


FRAME = requests(
    ("a1", 9, 12, -1),    # yesterday, delivered yesterday: a visit so far, nothing today
    ("a1", 22, 27, -1),   # asked yesterday evening, delivered 03:00 today
    ("a1", 8, 11, 0), ("a2", 10, 15, 0),   # today, delivered
    ("a2", 13, None, 0),  # today, never delivered
    ("b1", 16, 19, 0),
    ("c1", 6, 9, 1),      # asked tomorrow morning: not yet at today's end
)


def test_the_day_the_waiting_and_the_running_total_at_an_instant():
    end = proxy.figures(FRAME, GRIDS["code"], DAY, at(24))
    assert end == {"requests_today": 4, "delivered_today": 4, "pending": 1, "visits_total": 5,
                   "oldest_pending_hours": 11.0}
    # at 14:00: 15:00 and 19:00 deliveries have not happened; 16:00's request not yet made
    noon = proxy.figures(FRAME, GRIDS["code"], DAY, at(14))
    assert noon == {"requests_today": 3, "delivered_today": 2, "pending": 2, "visits_total": 3,
                    "oldest_pending_hours": 4.0}
    # an instant past the day's end reads the day's end
    assert proxy.figures(FRAME, GRIDS["code"], DAY, at(40)) == end
    assert proxy.figures(FRAME, ["nowhere"], DAY, at(24)) == {
        **dict.fromkeys(proxy.COUNTS, 0), "oldest_pending_hours": None}
    assert proxy.for_grid(FRAME, "b1", DAY, at(24))["delivered_today"] == 1


def test_per_township_the_most_waiting_first_and_every_township_of_the_grids_listed():
    table = proxy.by_township(FRAME, GRIDS, GRIDS["code"], DAY, at(24))
    assert table["code"].tolist() == [A, B, C]
    assert table.set_index("code")[list(proxy.COUNTS)].to_dict("index") == {
        A: {"requests_today": 3, "delivered_today": 3, "pending": 1, "visits_total": 4},
        B: {"requests_today": 1, "delivered_today": 1, "pending": 0, "visits_total": 1},
        C: {"requests_today": 0, "delivered_today": 0, "pending": 0, "visits_total": 0}}
    assert table.loc[0, "oldest_pending_hours"] == 11.0 and pd.isna(table.loc[1,
                                                                            "oldest_pending_hours"])
    only_b = proxy.by_township(FRAME, GRIDS, ["b1"], DAY, at(24))
    assert only_b["code"].tolist() == [B]


def test_each_role_sees_small_household_counts_as_its_right_allows():
    table = proxy.by_township(FRAME, GRIDS, GRIDS["code"], DAY, at(24))
    totals = proxy.figures(FRAME, GRIDS["code"], DAY, at(24))
    assert visibility.proxy_for(ADMIN, table, totals, 5) == (table, totals)
    rows, shown = visibility.proxy_for(VIEWER, table, totals, 5)
    assert rows.set_index("code")["requests_today"].tolist() == ["<5", "<5", 0]
    assert shown["requests_today"] == "<5" and shown["pending"] == "<5"
    assert shown["oldest_pending_hours"] is None  # goes with the pending count
    own, _ = visibility.proxy_for(OPERATOR_A, table, totals, 5)
    # A (its own township) in full, B's 1 suppressed; C's 0 needs no protection
    by = own.set_index("code")["requests_today"]
    assert (by[A], by[B], by[C]) == (3, "<5", 0)
    assert visibility.proxy_for(VIEWER, table, totals, 1)[0].equals(table.astype(
        {c: object for c in proxy.COUNTS}))
    view_rows, view_totals = visibility.proxy_for_view("none<5", table, totals)
    assert view_rows.equals(rows) and view_totals == shown
    assert visibility.proxy_for_view("full", table, totals) == (table, totals)


def test_the_demo_store_delivers_every_request_within_the_day(snap):
    last = date(2020, 2, 29)
    from gridwatch.timeutil import cutoff

    whole = proxy.figures(snap.proxy, snap.region.grids["code"], last, cutoff(last))
    assert whole["visits_total"] == int(snap.proxy["delivered_at"].notna().sum())
    mid = proxy.figures(snap.proxy, snap.region.grids["code"], date(2020, 2, 10),
                        datetime(2020, 2, 10, 12))
    assert mid["pending"] > 0 and mid["oldest_pending_hours"] > 0
    assert mid["delivered_today"] < mid["requests_today"] + mid["pending"] + 1_000


def test_the_panel_and_the_grid_detail_as_a_viewer_and_an_admin(source, fresh_source):
    from flask import Flask

    from callbacks.detail import show_detail
    from callbacks.proxy import proxy_panel
    from gridwatch.filters import Filters

    # A day on which some townships have 1-4 requests (which days do follows from the demo's
    # geography): a viewer sees those cells as <5.
    small_day = date(2020, 2, 11)
    filters = Filters(as_of=small_day).to_dict()
    admin = proxy_panel(source, filters, "zh", ADMIN)
    viewer = proxy_panel(source, filters, "zh", VIEWER)
    assert "红色代办" not in str(admin["proxy"])  # the card's own title is in the layout
    assert "芹阳办事处" in str(admin["proxy"]) and "<5" not in str(admin["proxy"])
    assert "<5" in str(viewer["proxy"]) and "户数过少" in str(viewer["proxy"])
    assert admin["proxy_as_of"] == "截至 2020-02-11 24:00"
    snap = source.snapshot()
    grid = snap.proxy.loc[snap.proxy["requested_at"].dt.date == small_day,
                          "grid_code"].value_counts().index[-1]
    shown = str(show_detail(source, {"code": grid}, filters, None, "zh", VIEWER)["panel"])
    assert "红色代办：当日申请 <5" in shown
    with Flask(__name__).test_request_context():  # an admin's read of lead texts is audited
        full = str(show_detail(fresh_source, {"code": grid}, filters, None, "zh", ADMIN)[
            "panel"])
    assert "红色代办：当日申请 " in full and "当日申请 <5" not in full
