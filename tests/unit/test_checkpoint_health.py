"""Checkpoint health (gridwatch.checkpoints) on small literal frames, worked by hand.

Defaults: a count is due 30 minutes after its hour ends, three overdue in a row is quiet,
over 100% of capacity alerts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from gridwatch import checkpoints as health
from gridwatch.checkpoints import Health

DAY = date(2020, 2, 10)
H = Health()
POINTS = pd.DataFrame({"code": ["A", "B", "C"], "capacity": [100, None, 50]})


def at(hour: float, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def counts(*rows: tuple[str, date, range | list[int], int]) -> pd.DataFrame:
    """(checkpoint, day, hours, people) → a ``checkpoint_counts`` frame."""
    out = [{"checkpoint_code": code, "hour_start": at(h, day), "vehicles": people // 2,
            "people": people, "qr_registrations": 0, "flagged": 0}
           for code, day, hours, people in rows for h in hours]
    return pd.DataFrame(out)


def run(frame, instant, points=POINTS, h=H, day=DAY):
    return health.alerts(frame, points, day, instant, h)


def test_every_hour_reported_is_healthy_and_the_current_hour_is_not_yet_due():
    frame = counts(("A", DAY, range(12), 40), ("B", DAY, range(12), 40),
                   ("C", DAY, range(12), 40))
    assert run(frame, at(12.5)) == []
    # 12:00-13:00 has ended at 13:00 but is only due at 13:30
    assert run(frame, at(13 + 29 / 60)) == []
    late = run(frame, at(13.5))
    assert {(a.checkpoint, a.kind) for a in late} == {("A", "missed"), ("B", "missed"),
                                                      ("C", "missed")}
    assert late[0].hours == (at(12),) and late[0].opened_at == at(13.5) and late[0].open


def test_a_silence_is_missed_then_quiet_then_closes_when_the_checkpoint_reports_again():
    frame = counts(("A", DAY, range(24), 40), ("C", DAY, range(24), 40),
                   ("B", DAY, range(9), 40))
    # 09:00 and 10:00 are overdue at 12:20 (due 10:30, 11:30): two missed
    (missed,) = run(frame, at(12 + 20 / 60))
    assert (missed.checkpoint, missed.kind, missed.hours) == ("B", "missed", (at(9), at(10)))
    assert missed.since == at(9)
    # the third, 11:00, falls due at 12:30: quiet, since the end of the 08:00 report
    (quiet,) = run(frame, at(12.5))
    assert (quiet.kind, quiet.opened_at, quiet.closed_at, quiet.since) == (
        "quiet", at(12.5), None, at(9))
    assert quiet.minutes(at(14.5)) == 120
    # B reports 13:00-14:00 (it counts from 14:00): the silence 09:00-13:00 is closed then
    back = pd.concat([frame, counts(("B", DAY, [13], 40))])
    (closed,) = run(back, at(14.25))
    assert (closed.kind, closed.hours, closed.closed_at, closed.open) == (
        "quiet", (at(9), at(10), at(11), at(12)), at(14), False)
    assert closed.minutes(at(20)) == 90


def test_a_missed_hour_stays_open_until_it_is_filled_in():
    frame = counts(("A", DAY, range(24), 40), ("B", DAY, range(24), 40),
                   ("C", DAY, [h for h in range(24) if h != 5], 40))
    (missed,) = run(frame, at(24))
    assert (missed.checkpoint, missed.kind, missed.hours, missed.open) == (
        "C", "missed", (at(5),), True)
    assert missed.opened_at == at(6.5)
    filled = pd.concat([frame, counts(("C", DAY, [5], 40))])
    assert run(filled, at(24)) == []


def test_over_capacity_opens_with_the_hour_and_closes_with_the_first_hour_back_under_it():
    frame = counts(("A", DAY, range(8), 60), ("A", DAY, [8, 9], 120), ("A", DAY, [10], 90),
                   ("A", DAY, [11], 101))
    points = POINTS[POINTS["code"] == "A"]
    during = run(frame, at(10.25), points)
    assert [(a.kind, a.opened_at, a.closed_at, a.peak, a.capacity) for a in during] == [
        ("over_capacity", at(9), None, 120, 100)]
    done = run(frame, at(12.75), points)
    assert [(a.kind, a.hours, a.opened_at, a.closed_at, a.open) for a in done] == [
        ("over_capacity", (at(11),), at(12), None, True),
        ("over_capacity", (at(8), at(9)), at(9), at(11), False)]
    # at 80% of capacity (80 people an hour) the 90 of 10:00 is over too: one long episode
    (long,) = run(frame, at(12.75), points, Health(capacity_percent=80))
    assert (long.hours, long.open) == ((at(8), at(9), at(10), at(11)), True)


def test_no_capacity_no_capacity_alert():
    frame = counts(("B", DAY, range(24), 5000))
    assert run(frame, at(24), POINTS[POINTS["code"] == "B"]) == []
    odd = pd.DataFrame({"code": ["A", "B", "C", "D"], "capacity": [0, None, "many", 7.0]})
    assert health.capacities(odd) == {"D": 7}
    assert health.capacities(pd.DataFrame({"code": ["A"]})) == {}


def test_a_silence_since_last_evening_is_quiet_this_morning_and_an_old_one_is_not_listed():
    before = DAY - timedelta(days=1)
    frame = counts(("B", before, range(22), 40))
    points = POINTS[POINTS["code"] == "B"]
    (quiet,) = run(frame, at(2), points)
    assert (quiet.kind, quiet.since, quiet.opened_at) == ("quiet", at(22, before), at(1.5))
    assert quiet.hours == (at(22, before), at(23, before), at(0))
    # a silence of the day before that ended before the day began is that day's, not this
    ended = counts(("B", before, [h for h in range(24) if not 10 <= h < 15], 40),
                   ("B", DAY, range(3), 40))
    assert run(ended, at(3.5), points) == []
    assert [a.kind for a in run(ended, at(24, before), points, day=before)] == ["quiet"]


def test_nothing_is_expected_before_the_first_count_and_a_checkpoint_never_heard_is_quiet():
    frame = counts(("A", DAY, range(8, 12), 40), ("C", DAY, range(8, 12), 40))
    assert run(frame, at(9 + 29 / 60)) == []
    assert [(a.checkpoint, a.kind) for a in run(frame, at(9.5))] == [("B", "missed")]
    (silent,) = run(frame, at(11.5))
    assert (silent.checkpoint, silent.kind, silent.since) == ("B", "quiet", None)
    assert silent.hours == (at(8), at(9), at(10))


def test_the_instant_never_reaches_past_the_day_and_an_empty_store_has_no_alert():
    frame = counts(("A", DAY, range(24), 40), ("C", DAY, range(24), 40),
                   ("B", DAY, range(20), 40))
    (quiet,) = run(frame, datetime(2026, 12, 1, 9))
    assert quiet.hours == (at(20), at(21), at(22)) and quiet.open
    # 23:00-24:00 is due at 00:30 the next day, after the day's end: not counted
    assert run(frame.iloc[:0], at(12)) == []
    assert run(frame, at(0)) == []
    assert health.alerts(frame, POINTS.iloc[:0], DAY, at(12), H) == []


def test_open_first_then_most_urgent_then_longest_and_marker_states():
    frame = counts(("A", DAY, range(8), 60), ("A", DAY, [8], 120), ("A", DAY, [9], 60),
                   ("A", DAY, [11, 12, 13, 14], 120),
                   ("B", DAY, range(10), 40),
                   ("C", DAY, [h for h in range(15) if h != 3], 40))
    found = run(frame, at(15.5))
    assert [(a.checkpoint, a.kind, a.open) for a in found] == [
        ("B", "quiet", True), ("A", "over_capacity", True), ("C", "missed", True),
        ("A", "missed", True), ("A", "over_capacity", False)]
    assert health.states(found) == {"B": "quiet", "A": "over_capacity", "C": "missed"}
    assert health.open_counts(found) == {"quiet": 1, "over_capacity": 1, "missed": 2}


# --- on the demo store: the map, the API, the alert list, the wall, print --------------------

LAST = date(2020, 2, 29)


def test_the_demo_ends_with_one_quiet_checkpoint_and_one_missed_report(snap):
    from gridwatch.timeutil import cutoff

    found = health.alerts(snap.checkpoint_counts, snap.region.checkpoints, LAST, cutoff(LAST), H)
    # (the counts are drawn at random: on the demo's geography the Majin expressway exit also
    # ran over capacity for an hour that morning, long cleared)
    assert [(a.checkpoint, a.kind, a.open, a.hours[0].hour, len(a.hours)) for a in found] == [
        ("CP09", "quiet", True, 19, 4), ("CP14", "missed", True, 11, 1),
        ("CP22", "over_capacity", False, 8, 1)]
    # 23:00-24:00 is not yet due at the day's end: the silence is four hours old then
    assert found[0].since == at(19, LAST)
    # the Spring Festival rush ran some checkpoints over capacity; none is by the last day
    first = health.alerts(snap.checkpoint_counts, snap.region.checkpoints, date(2020, 1, 23),
                          cutoff(date(2020, 1, 23)), H)
    assert {a.kind for a in first} == {"over_capacity"} and not any(a.open for a in first)
    assert all(a.peak > a.capacity for a in first)


def test_the_map_marks_each_checkpoint_by_its_most_urgent_open_alert(snap, source):
    from gridwatch.filters import Filters
    from gridwatch.mapview import map_view, screen_view
    from layouts.map import hideouts, legend_children

    view = screen_view(snap, Filters(as_of=LAST), source.settings)
    assert view.checkpoint_alerts == {"CP09": "quiet", "CP14": "missed"}
    styles = hideouts(view, "zh", source.settings.palette)["checkpoints"]
    assert styles["a"] == {"CP09": "quiet", "CP14": "missed"}
    assert styles["text"]["alerts"]["quiet"] == "断报"
    legend = str(legend_children(view, source.settings.palette, "zh"))
    assert "断报" in legend and "漏报" in legend and "超负荷" not in legend
    # the map reads the day at its instant: CP14's 11:00 count is due at 12:30, so before then
    # nothing is flagged, at 13:00 CP14 is; a township filter keeps only its checkpoints
    assert map_view(snap, Filters(as_of=LAST), at(12.4, LAST)).checkpoint_alerts == {}
    assert map_view(snap, Filters(as_of=LAST), at(13, LAST)).checkpoint_alerts == {
        "CP14": "missed"}
    town = snap.region.checkpoints.set_index("code").loc["CP09", "township_code"]
    only = map_view(snap, Filters(townships=(town,), as_of=LAST))
    assert "CP09" in only.checkpoint_alerts and "CP14" not in only.checkpoint_alerts


def test_the_alert_list_names_the_checkpoint_and_says_what_happened(source):
    from callbacks.alerts import checkpoint_alerts
    from gridwatch.filters import Filters

    out = checkpoint_alerts(source, Filters(as_of=LAST).to_dict(), "zh")
    text = str(out["alert_rows"])
    names = source.snapshot().region.names("checkpoints", "zh")
    assert names["CP09"] in text and names["CP14"] in text
    assert "19:00 起无报数（4 小时）" in text and "缺 11:00 时段报数" in text
    assert out["alert_count"] == "未解除 2 条（当日共 3 条）"
    assert out["alert_as_of"] == "截至 2020-02-29 24:00"
    en = checkpoint_alerts(source, Filters(as_of=date(2020, 1, 24)).to_dict(), "en")
    assert "Over capacity" in str(en["alert_rows"]) and "cleared" in str(en["alert_rows"])
    assert en["alert_count"].startswith("0 open")
    quiet_day = checkpoint_alerts(source, Filters(as_of=date(2020, 2, 1)).to_dict(), "en")
    assert "No checkpoint alert" in str(quiet_day["alert_rows"])


def test_the_wall_puts_open_checkpoint_alerts_first_on_the_ticker_and_counts_them(source):
    from callbacks.wall import refresh

    out = refresh(source, seen={}, lang="zh", now_ms=1_700_000_000_000)
    ticker = out["ticker"]
    first = str(ticker[0])
    assert "卡口断报" in first and "wall-tick-cp-quiet" in first
    assert "卡口漏报" in str(ticker[1])
    assert len(ticker) == 2 * 12  # twice over, the alerts within the twelve places
    assert 'data-alerts' in str(out["kpis"]) and "告警 2" in str(out["kpis"])
    assert out["styles"]["checkpoints"]["a"] == {"CP09": "quiet", "CP14": "missed"}


@pytest.mark.stores  # a count written over the API closes an alert, on both stores
def test_the_api_answers_each_checkpoint_with_its_capacity_and_open_alerts(stores):
    from app import create_app
    from gridwatch.auth.tokens import create_token
    from gridwatch.settings import Settings
    from tests.conftest import GEO_PATH, dispose, source_for

    url = stores.seeded("checkpoint-health")
    app = create_app(Settings(database_url=url, geo_path=GEO_PATH))
    source = source_for(url)
    try:
        _id, token = create_token(source.engine, "health", "operator")
        client = app.server.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        listed = client.get("/api/v1/checkpoints", headers=auth).json["items"]
        assert len(listed) == len(source.snapshot().region.checkpoints)
        assert all(c["capacity_people_per_hour"] > 0 for c in listed)
        state = {c["code"]: c["health"]["state"] for c in listed}
        assert {k: v for k, v in state.items() if v != "ok"} == {"CP09": "quiet",
                                                                  "CP14": "missed"}
        cp14 = client.get("/api/v1/checkpoints/CP14", headers=auth).json
        (alert,) = cp14["health"]["alerts"]
        assert (alert["kind"], alert["hours"], alert["opened_at"]) == (
            "missed", ["2020-02-29T11:00:00+08:00"], "2020-02-29T12:30:00+08:00")
        assert cp14["health"]["as_of"] == "2020-03-01T00:00:00+08:00"
        assert client.get("/api/v1/checkpoints/CP99", headers=auth).status_code == 404
        assert client.get("/api/v1/checkpoints").status_code == 401
        # the missing count arrives: the alert closes by itself
        count = {"checkpoint_code": "CP14", "hour_start": "2020-02-29T11:00:00+08:00",
                 "vehicles": 30, "people": 60, "qr_registrations": 50, "flagged": 0}
        writer = create_token(source.engine, "health-writer", "operator")[1]
        posted = client.post("/api/v1/checkpoint-counts", json={"items": [count]},
                             headers={"Authorization": f"Bearer {writer}"})
        assert posted.status_code == 200, posted.json
        again = client.get("/api/v1/checkpoints/CP14", headers=auth).json["health"]
        assert again == {**again, "state": "ok", "alerts": []}
    finally:
        dispose(source)


def test_times_are_said_within_the_day_and_with_the_date_outside_it():
    end = at(24)
    assert health.when(at(10), end) == "10:00" and health.when(end, end) == "24:00"
    assert health.when(at(22, DAY - timedelta(days=1)), at(2)) == "02-09 22:00"
    quiet = health.Alert("A", "quiet", at(1.5), None, (at(22, DAY - timedelta(days=1)),),
                         since=at(22, DAY - timedelta(days=1)))
    assert health.detail(quiet, at(2), "en") == "no count since 02-09 22:00 (1 h)"
    assert health.state_text(quiet, at(2), "zh") == "未解除 · 已 30分钟"
    over = health.Alert("A", "over_capacity", at(9), at(11), (at(8), at(9)), peak=120,
                        capacity=100)
    assert health.detail(over, end, "zh") == "峰值 120 人次/小时，容量 100（2 小时超出）"
    assert health.state_text(over, end, "en") == "cleared 11:00"
