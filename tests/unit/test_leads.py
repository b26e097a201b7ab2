"""Leads against the clock (``gridwatch.leads``): stages, service levels and the instant, on
small literal frames worked out by hand; the register and timeline callbacks on the demo."""

from datetime import date, datetime

import pandas as pd
import pytest
from dash import html

from callbacks.leads import lead_register, show_lead
from gridwatch import leads as rules
from gridwatch import timeutil
from gridwatch.auth.policy import COUNTY, Principal, system
from gridwatch.filters import Filters

SLA = rules.Sla(acknowledge=5, dispatch=15, close=60)
DAY = date(2020, 2, 2)


def at(hhmm: str, day: int = 2) -> datetime:
    return datetime(2020, 2, day, int(hhmm[:2]), int(hhmm[3:]))


def frame(*leads) -> pd.DataFrame:
    """Leads as (code, grid, reported, acknowledged, escalated, dispatched, closed)."""
    rows = []
    for code, grid, *moments in leads:
        rows.append({"code": code, "grid_code": grid, "township_code": "T1",
                     "category": "fever", "summary_zh": f"{code} 的内容", "summary_en": code,
                     **{f"{s}_at": at(v) if isinstance(v, str) else v
                        for s, v in zip(rules.STAGES, moments, strict=True)}})
    df = pd.DataFrame(rows)
    for s in rules.STAGES:
        df[f"{s}_at"] = pd.to_datetime(df[f"{s}_at"]).astype("datetime64[us]")
    return df.set_index(pd.RangeIndex(len(df)))


# reported 10:00 throughout; service levels 5 / 15 / 60 minutes after the report
QUICK = ("Q", "G1", "10:00", "10:02", "10:05", "10:09", "10:25")  # the article's 25 minutes
SLOW = ("S", "G1", "10:00", "10:08", None, None, "11:30")  # acknowledged and closed late
STUCK = ("K", "G2", "10:00", "10:02", "10:04", None, None)  # escalated, never dispatched
SILENT = ("N", "G2", "10:00", None, None, None, None)  # nobody acknowledged it


def state(leads, instant):
    return rules.clocks(frame(*leads), instant, SLA).set_index(frame(*leads)["code"])


def test_a_lead_closed_within_every_limit_is_on_time_and_its_clock_stopped():
    s = state([QUICK], at("23:00")).loc["Q"]
    assert (s["stage"], bool(s["open"]), s["minutes"]) == ("closed", False, 25.0)
    assert [s[f"{x}_state"] for x in rules.TIMED] == ["met", "met", "met"]
    assert not s["breached"] and not s["overdue"]


def test_late_stages_are_breaches_but_not_overdue_once_closed():
    s = state([SLOW], at("23:00")).loc["S"]
    assert [s[f"{x}_state"] for x in rules.TIMED] == ["late", None, "late"]  # never escalated
    assert s["breached"] and not s["overdue"] and s["minutes"] == 90.0


def test_an_open_lead_runs_its_clock_and_turns_overdue_when_a_limit_passes():
    before = state([STUCK], at("10:10")).loc["K"]
    assert (before["stage"], before["minutes"], before["dispatched_state"]) == \
        ("escalated", 10.0, "pending")
    assert not before["breached"]
    after = state([STUCK], at("10:20")).loc["K"]
    assert (after["minutes"], after["dispatched_state"], after["closed_state"]) == \
        (20.0, "overdue", "pending")
    assert after["overdue"] and after["breached"]


def test_acknowledgement_is_due_five_minutes_after_the_report():
    assert state([SILENT], at("10:04")).loc["N", "acknowledged_state"] == "pending"
    assert state([SILENT], at("10:06")).loc["N", "acknowledged_state"] == "overdue"
    assert state([SILENT], at("10:06")).loc["N", "dispatched_state"] is None  # not escalated


def test_what_happens_after_the_instant_has_not_happened_yet():
    s = state([QUICK], at("10:06")).loc["Q"]
    assert (s["stage"], bool(s["open"]), s["minutes"]) == ("escalated", True, 6.0)
    assert s["dispatched_state"] == "pending" and s["closed_state"] == "pending"
    assert rules.clocks(frame(QUICK), at("09:59"), SLA).empty  # not reported yet


def test_the_instant_is_now_while_the_day_runs_and_its_end_once_over():
    now = datetime(2020, 2, 2, 15, 30)
    assert timeutil.instant_for(DAY, now) == now and timeutil.is_running(DAY, now)
    assert timeutil.instant_for(date(2020, 2, 1), now) == datetime(2020, 2, 2)
    assert not timeutil.is_running(date(2020, 2, 1), now)
    # a demo history that ended years ago: its last day seen at that day's end
    assert timeutil.instant_for(DAY, datetime(2026, 12, 1, 9)) == datetime(2020, 2, 3)


def test_the_register_puts_overdue_leads_first_then_open_ones_then_the_closed():
    earlier = ("E", "G2", "09:00", "09:01", None, None, None)  # open since before
    yesterday = ("Y", "G1", "10:00", "10:01", None, None, "10:30")
    table = frame(QUICK, SLOW, STUCK, SILENT, earlier)
    table = pd.concat([table, frame(yesterday).assign(
        **{f"{s}_at": frame(yesterday)[f"{s}_at"] - pd.Timedelta(days=1)
           for s in rules.STAGES})], ignore_index=True)
    order = rules.register(table, ["G1", "G2"], DAY, at("10:40"), SLA)["code"].tolist()
    # at 10:40: E (open 100 min, its close was due at 10:00), K (dispatch due 10:15) and N
    # (acknowledgement due 10:05) need someone now, the longest clock first; S is open and
    # within its close limit (its late acknowledgement is a breach, not overdue); Q closed
    # at 10:25; Y closed yesterday is not on today's register
    assert order == ["E", "K", "N", "S", "Q"]
    only_g2 = rules.register(table, ["G2"], DAY, at("10:40"), SLA)["code"].tolist()
    assert only_g2 == ["E", "K", "N"]


def test_a_timeline_lists_the_stages_reached_and_the_ones_still_awaited():
    steps = rules.timeline(frame(STUCK), at("10:20"), SLA)
    assert [(s.stage, s.minutes, s.limit, s.state) for s in steps] == [
        ("reported", 0.0, None, None), ("acknowledged", 2.0, 5, "met"),
        ("escalated", 4.0, None, None), ("dispatched", None, 15, "overdue"),
        ("closed", None, 60, "pending")]
    quick = rules.timeline(frame(SLOW), at("23:00"), SLA)
    assert [s.stage for s in quick] == ["reported", "acknowledged", "closed"]  # no escalation
    assert rules.timeline(frame(QUICK), at("09:00"), SLA) == []


# --- on the demo store: the article's case, the register, who sees what ----------------------

ANALYST = Principal("user", "analyst", COUNTY, 1, "analyst")
VIEWER = Principal("user", "viewer", COUNTY, 2, "viewer")


def test_the_articles_case_opens_as_a_25_minute_timeline(source):
    snap = source.snapshot()
    lead = snap.leads[snap.leads["summary_zh"].str.contains("一家四口从重庆返村")]
    assert len(lead) == 1
    steps = rules.timeline(lead, timeutil.instant_for(snap.last_day, datetime(2026, 1, 1)),
                           rules.Sla.of(source.settings))
    assert [s.stage for s in steps] == list(rules.STAGES)
    assert steps[-1].minutes == 25.0 and all(s.state in (None, "met") for s in steps)


def test_the_register_shows_every_role_the_clock_and_only_records_roles_the_grid(source):
    last = source.snapshot().last_day
    filters = Filters(as_of=last).to_dict()
    now = datetime(2026, 1, 1)
    seen = lead_register(source, filters, "en", ANALYST, now=now)
    assert seen["lead_as_of"] == f"Clocks as of {last.isoformat()} 24:00"
    assert seen["lead_clock_off"] is True  # the day is over: nothing ticks
    rows = seen["lead_rows"]
    assert rows and all("grid" in r for r in rows)
    first = rows[0]
    assert first["overdue"] and first["clock"].endswith("so far")
    viewer = lead_register(source, filters, "en", VIEWER, now=now)["lead_rows"]
    assert [r["code"] for r in viewer] == [r["code"] for r in rows]
    assert not any("grid" in r for r in viewer)
    assert not any(k.startswith("summary") for r in viewer for k in r)


def text_of(children) -> str:
    parts, stack = [], [children]
    while stack:
        node = stack.pop(0)
        if isinstance(node, (list, tuple)):
            stack[:0] = list(node)
        elif isinstance(node, str):
            parts.append(node)
        elif node is not None:
            stack.insert(0, getattr(node, "children", None))
    return " ".join(parts)


@pytest.fixture
def request_context():
    import flask

    with flask.Flask("t").test_request_context("/"):
        yield


def test_only_a_caller_allowed_its_area_reads_a_leads_text(fresh_source, request_context):
    snap = fresh_source.snapshot()
    lead = snap.leads[snap.leads["summary_zh"].str.contains("一家四口从重庆返村")].iloc[0]
    filters = Filters(as_of=snap.last_day).to_dict()
    args = {"chosen": {"code": lead["code"]}, "context": None, "filters": filters,
            "version": None, "lang": "zh", "now": datetime(2026, 1, 1)}
    for who in (ANALYST, VIEWER):
        shown = text_of(show_lead(fresh_source, who=who, **args)["timeline"])
        assert "重庆" not in shown and "仅限辖区操作员" in shown
        assert "办结" in shown and "25分钟" in shown
    shown = text_of(show_lead(fresh_source, who=system(), **args)["timeline"])
    assert lead["summary_zh"] in shown
    from gridwatch.ingest.read import audit_entries

    reads = audit_entries(fresh_source.engine, "Asia/Shanghai", "lead", lead["code"])
    assert [r["action"] for r in reads] == ["read.personal"]


def test_a_hostile_or_unknown_choice_shows_the_hint(source, request_context):
    filters = Filters(as_of=source.snapshot().last_day).to_dict()
    for chosen in (None, {"code": 5}, {"code": "x" * 500}, {"code": "NOPE"}, "L0001"):
        out = show_lead(source, chosen=chosen, context=None, filters=filters, version=None,
                        lang="en", who=ANALYST)["timeline"]
        assert isinstance(out[0], html.P)


# --- the wall ticker ---------------------------------------------------------------------------

def ticker_of(lsnap, limit):
    from gridwatch.metrics import cutoff, latest_events

    day = date(2020, 2, 2)
    events = latest_events(lsnap, day, limit=100)
    return rules.ticker(events, lsnap.leads, cutoff(day), SLA, limit=limit)


def test_the_ticker_puts_overdue_leads_first_and_never_crowds_out_orders_and_notices(lsnap):
    # At the end of D2 L0003 (open since 10:00) and L0004 (since 20:00, closed on D3) are
    # past the 60-minute close limit: alerts, the longest clock first. Then orders, notices
    # and the other leads, newest first (latest_events' order: L0004, L0003, notice 1,
    # L0002, L0001, order 1).
    got = ticker_of(lsnap, 12)
    assert list(zip(got["kind"], got["ref"], got["overdue"], strict=True)) == [
        ("lead", "L0003", True), ("lead", "L0004", True), ("notice", "1", False),
        ("lead", "L0002", False), ("lead", "L0001", False), ("order", "1", False)]
    assert got.loc[0, "minutes"] == 14 * 60 and got.loc[1, "minutes"] == 4 * 60
    assert got.loc[1, "stage"] == "acknowledged" and bool(got.loc[1, "open"])
    assert got.loc[4, "stage"] == "closed" and got.loc[4, "minutes"] == 25
    # Four places: a third for alerts, a third for orders and notices, the rest for leads.
    short = ticker_of(lsnap, 4)
    assert list(zip(short["kind"], short["ref"], strict=True)) == [
        ("lead", "L0003"), ("notice", "1"), ("lead", "L0002"), ("lead", "L0001")]


def test_the_wall_ticker_shows_an_overdue_lead_as_an_alert_with_its_clock(lsnap):
    from layouts.wall import ticker_items

    items = ticker_items(ticker_of(lsnap, 12), "en", lsnap.region.names("townships", "en"))
    assert len(items) == 12  # twice over, so the scroll loops
    first = items[0]
    assert first.className == "wall-tick wall-tick-alert"
    text = " ".join(str(c) if isinstance(c, str) else str(c.children) for c in first.children)
    assert "Overdue lead L0003" in text and "14 h 0 min so far" in text
    assert "acknowledged" in text.lower()
    assert [i.className for i in items[:6]].count("wall-tick wall-tick-alert") == 2
    shown = str(items)
    assert [s for s in lsnap.leads["summary_en"] if s in shown] == []  # never the text


def test_kpis_read_the_oldest_open_lead_at_the_instant(lsnap):
    from gridwatch.metrics import compute_kpis

    k = compute_kpis(lsnap, Filters(as_of=DAY))
    assert k.oldest_open_lead_minutes == 840  # L0003, open since 10:00, at midnight
    assert rules.kpis_at(k, at("12:30")).oldest_open_lead_minutes == 150
    assert rules.kpis_at(k, at("23:59", day=3)) is k  # the day is over: as it ended
    none = compute_kpis(lsnap, Filters(as_of=date(2020, 2, 1), colours=("red",)))
    assert rules.kpis_at(none, at("12:00", day=1)).oldest_open_lead_minutes is None
