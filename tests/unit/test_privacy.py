"""Personal data has an end: the retention purge, subject access and their commands.

Every test writes, so each works on its own copy of the seeded demo store (``fresh_source``).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from gridwatch.__main__ import main
from gridwatch.auth.policy import system
from gridwatch.filters import Filters
from gridwatch.ingest.batches import submit
from gridwatch.ingest.fields import Reference
from gridwatch.metrics import compute_kpis, headline_figures, latest_events
from gridwatch.privacy import (
    PLACEHOLDER_EN,
    PLACEHOLDER_ZH,
    day_cutoff,
    purge,
    retention_cutoff,
    subject_access,
)
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.writes import write

TZ = "Asia/Shanghai"
CUTOFF_DAY = date(2020, 2, 5)
CUTOFF = datetime(2020, 2, 4, 16, 0)  # the start of 5 February in Shanghai, as naive UTC
KPI_DAYS = [date(2020, 1, 25), date(2020, 2, 1), date(2020, 2, 4), date(2020, 2, 5),
            date(2020, 2, 15), date(2020, 2, 29)]
REF = re.compile(r"H\d{17}")


def rows(source, model) -> pd.DataFrame:
    """A table as stored (naive UTC), in key order."""
    table = model.__table__
    with source.engine.connect() as conn:
        return pd.read_sql(select(table).order_by(*table.primary_key.columns), conn)


def audit_rows(source) -> pd.DataFrame:
    return rows(source, m.AuditEntry)


def store_version(source) -> int:
    with source.engine.connect() as conn:
        return int(conn.scalar(select(m.StoreMeta.value).where(m.StoreMeta.key == "version")))


def lead_counts_per_township_day(snap) -> pd.Series:
    leads = snap.leads
    return leads.groupby([leads["township_code"], leads["reported_at"].dt.date,
                          leads["category"]]).size()


def figures(snap) -> dict:
    return {"headline": headline_figures(snap),
            "kpis": [asdict(compute_kpis(snap, Filters(as_of=day))) for day in KPI_DAYS]}


def a_household(source, *, with_proxy: bool = True, after: datetime | None = None) -> str:
    """A household ref with leads (and red-proxy requests) in the store."""
    leads = rows(source, m.Lead).dropna(subset=["household_ref"])
    if after is not None:
        leads = leads[leads["reported_at"] >= after]
    refs = set(leads["household_ref"])
    if with_proxy:
        refs &= set(rows(source, m.ProxyRequest)["household_ref"].dropna())
    return sorted(refs)[0]


# --- the simulator's household refs -------------------------------------------------------------

def test_the_simulator_gives_household_leads_and_proxy_requests_a_register_number(snap):
    leads = snap.leads
    household = leads["category"].isin(["returnee", "fever"])
    assert leads.loc[household, "household_ref"].notna().all()
    assert leads.loc[~household, "household_ref"].isna().all()
    assert snap.proxy["household_ref"].notna().all()
    refs = pd.concat([leads["household_ref"].dropna(), snap.proxy["household_ref"]])
    assert refs.str.fullmatch(REF.pattern).all()
    # H + the grid code + three digits: the household lives in the record's grid.
    for table in (leads.dropna(subset=["household_ref"]), snap.proxy):
        assert (table["household_ref"].str[1:15] == table["grid_code"]).all()
    # An arriving household's leads and its red-proxy requests share its number.
    assert len(set(leads["household_ref"].dropna()) & set(snap.proxy["household_ref"])) > 100
    assert snap.proxy["household_ref"].nunique() > 300


# --- purge --------------------------------------------------------------------------------------

def test_purge_anonymises_exactly_the_old_rows_and_keeps_the_figures(fresh_source):
    before_leads, before_proxy = rows(fresh_source, m.Lead), rows(fresh_source, m.ProxyRequest)
    snap0 = fresh_source.snapshot()
    figures0, counts0 = figures(snap0), lead_counts_per_township_day(snap0)
    version0 = store_version(fresh_source)

    result = purge(fresh_source.writer, CUTOFF, "test")

    old_leads = before_leads["reported_at"] < CUTOFF
    old_proxy = before_proxy["requested_at"] < CUTOFF
    assert 0 < old_leads.sum() < len(before_leads) and 0 < old_proxy.sum() < len(before_proxy)
    assert (result.leads, result.proxy_requests) == (old_leads.sum(), old_proxy.sum())
    assert (result.already_purged_leads, result.already_purged_proxy_requests) == (0, 0)
    assert set(result.lead_codes) == set(before_leads.loc[old_leads, "code"])
    assert result.changed and not result.dry_run

    leads, proxy = rows(fresh_source, m.Lead), rows(fresh_source, m.ProxyRequest)
    purged = leads[old_leads]
    assert (purged["summary_zh"] == PLACEHOLDER_ZH).all()
    assert (purged["summary_en"] == PLACEHOLDER_EN).all()
    assert purged["outcome"].isna().all() and purged["household_ref"].isna().all()
    assert purged["purged_at"].notna().all() and purged["purged_at"].nunique() == 1
    assert (proxy.loc[old_proxy, "items"] == PLACEHOLDER_ZH).all()
    assert proxy.loc[old_proxy, "household_ref"].isna().all()
    assert proxy.loc[old_proxy, "purged_at"].notna().all()
    # The newer rows are exactly as they were (purged_at still null: only its dtype changes).
    assert leads.loc[~old_leads, "purged_at"].isna().all()
    assert proxy.loc[~old_proxy, "purged_at"].isna().all()
    pd.testing.assert_frame_equal(leads[~old_leads].drop(columns="purged_at"),
                                  before_leads[~old_leads].drop(columns="purged_at"))
    pd.testing.assert_frame_equal(proxy[~old_proxy].drop(columns="purged_at"),
                                  before_proxy[~old_proxy].drop(columns="purged_at"))
    # What aggregates need is untouched in the old rows too.
    kept = [c for c in leads.columns if c not in (
        "summary_zh", "summary_en", "outcome", "household_ref", "purged_at")]
    pd.testing.assert_frame_equal(leads[kept], before_leads[kept])
    kept = [c for c in proxy.columns if c not in ("items", "household_ref", "purged_at")]
    pd.testing.assert_frame_equal(proxy[kept], before_proxy[kept])

    snap1 = fresh_source.snapshot()
    assert snap1.store_version == snap0.store_version + 1
    assert store_version(fresh_source) == version0 + 1, "the data version is bumped once"
    pd.testing.assert_series_equal(lead_counts_per_township_day(snap1), counts0)
    assert figures(snap1) == figures0
    # The wall's feed still lists the old leads, under the placeholder.
    events = latest_events(snap1, date(2020, 2, 4), limit=5)
    assert (events.loc[events["kind"] == "lead", "title_en"] == PLACEHOLDER_EN).all()


def test_purge_is_audited_with_one_summary_entry(fresh_source):
    audit0 = audit_rows(fresh_source)
    result = purge(fresh_source.writer, CUTOFF, "cli:tester")
    new = audit_rows(fresh_source).iloc[len(audit0):]
    assert len(new) == 1
    entry = new.iloc[0]
    assert (entry["action"], entry["entity"], entry["actor"]) == (
        "privacy.purge", "privacy", "cli:tester")
    after = json.loads(entry["after"])
    assert after["before"] == "2020-02-04T16:00:00Z"
    assert (after["leads"], after["proxy_requests"]) == (result.leads, result.proxy_requests)
    assert not REF.search(entry["after"]), "the purge's own record names no household"


def test_purge_is_idempotent(fresh_source):
    first = purge(fresh_source.writer, CUTOFF, "test")
    leads, proxy = rows(fresh_source, m.Lead), rows(fresh_source, m.ProxyRequest)
    version = store_version(fresh_source)

    second = purge(fresh_source.writer, CUTOFF, "test")
    assert (second.leads, second.proxy_requests, second.audit_entries) == (0, 0, 0)
    assert (second.already_purged_leads, second.already_purged_proxy_requests) == (
        first.leads, first.proxy_requests)
    assert not second.changed
    pd.testing.assert_frame_equal(rows(fresh_source, m.Lead), leads)  # purged_at kept too
    pd.testing.assert_frame_equal(rows(fresh_source, m.ProxyRequest), proxy)
    assert store_version(fresh_source) == version, "nothing new: dashboards need not reload"
    assert audit_rows(fresh_source).iloc[-1]["action"] == "privacy.purge"  # the run is recorded

    # A later cutoff purges only what the first one left.
    third = purge(fresh_source.writer, datetime(2020, 2, 10), "test")
    assert third.leads > 0 and third.already_purged_leads == first.leads
    assert not set(third.lead_codes) & set(first.lead_codes)


def test_a_dry_run_changes_nothing(fresh_source):
    tables = {model: rows(fresh_source, model) for model in (m.Lead, m.ProxyRequest,
                                                             m.AuditEntry, m.StoreMeta)}
    dry = purge(fresh_source.writer, CUTOFF, "test", dry_run=True)
    for model, frame in tables.items():
        pd.testing.assert_frame_equal(rows(fresh_source, model), frame)
    assert dry.dry_run and not dry.changed
    real = purge(fresh_source.writer, CUTOFF, "test")
    assert (dry.leads, dry.proxy_requests, dry.lead_codes) == (
        real.leads, real.proxy_requests, real.lead_codes)


def test_purge_blanks_the_audit_logs_copies_of_a_leads_texts(fresh_source):
    """A lead reported through the write API has its texts in its audit entries too."""
    ref = Reference.from_region(fresh_source.region())
    grid = sorted(ref.grids)[0]
    who = system("admin", name="tester")
    submit(fresh_source.writer, ref, "leads", {"items": [{
        "code": "X0001", "grid_code": grid, "category": "fever",
        "summary_zh": "张某某家中老人发热", "summary_en": "Zhang's grandmother has a fever",
        "reported_at": "2020-01-30T10:00:00+08:00"}]}, who)
    submit(fresh_source.writer, ref, "lead-stages", {"items": [
        {"lead_code": "X0001", "stage": "acknowledged", "at": "2020-01-30T10:05:00+08:00"},
        {"lead_code": "X0001", "stage": "closed", "at": "2020-01-30T11:00:00+08:00",
         "outcome": "张某某已送医，排除"}]}, who)
    mine = audit_rows(fresh_source)
    mine = mine[(mine["entity"] == "lead") & (mine["entity_key"] == "X0001")]
    assert mine["after"].str.contains("张某某").all() and len(mine) == 2
    others = audit_rows(fresh_source)
    others = others[~others["id"].isin(mine["id"])]

    result = purge(fresh_source.writer, CUTOFF, "test")
    assert "X0001" in result.lead_codes and result.audit_entries == 2
    audit = audit_rows(fresh_source)
    scrubbed = audit[audit["id"].isin(mine["id"])]
    assert not scrubbed["before"].fillna("").str.contains("张某某|Zhang").any()
    assert not scrubbed["after"].str.contains("张某某|Zhang").any()
    report = json.loads(scrubbed.iloc[0]["after"])
    assert report["summary_zh"] == PLACEHOLDER_ZH and report["summary_en"] == PLACEHOLDER_EN
    assert report["code"] == "X0001" and report["reported_at"] == "2020-01-30T02:00:00Z"
    stage = json.loads(scrubbed.iloc[1]["after"])
    assert stage["outcome"] is None and stage["closed_at"] == "2020-01-30T03:00:00Z"
    # Every other audit row is as it was (the purge's own entry is new).
    pd.testing.assert_frame_equal(audit[audit["id"].isin(others["id"])].reset_index(drop=True),
                                  others.reset_index(drop=True))


def test_purge_takes_an_aware_cutoff_as_the_same_instant(fresh_source):
    from zoneinfo import ZoneInfo

    aware = datetime(2020, 2, 5, tzinfo=ZoneInfo(TZ))
    assert purge(fresh_source.writer, aware, "test", dry_run=True).before == CUTOFF


# --- the retention setting ----------------------------------------------------------------------

def test_retention_cutoff():
    assert retention_cutoff(Settings(retention_days=0), datetime(2020, 3, 1)) is None
    # 1 March 2020 12:00 UTC is 20:00 in Shanghai: 30 days back is 31 January, from 00:00 local.
    assert retention_cutoff(Settings(retention_days=30, timezone=TZ),
                            datetime(2020, 3, 1, 12)) == datetime(2020, 1, 30, 16)
    # 1 March 2020 18:00 UTC is already 2 March in Shanghai.
    assert retention_cutoff(Settings(retention_days=30, timezone=TZ),
                            datetime(2020, 3, 1, 18)) == datetime(2020, 1, 31, 16)
    assert retention_cutoff(Settings(retention_days=1, timezone="UTC"),
                            datetime(2020, 3, 1, 12)) == datetime(2020, 2, 29)
    assert day_cutoff(CUTOFF_DAY, TZ) == CUTOFF


# --- subject access -----------------------------------------------------------------------------

def test_subject_access_returns_the_households_rows_and_nothing_of_others(fresh_source):
    household = a_household(fresh_source)
    leads = rows(fresh_source, m.Lead)
    proxy = rows(fresh_source, m.ProxyRequest)
    version = store_version(fresh_source)

    answer = subject_access(fresh_source.writer, household, actor="cli:tester")

    text = json.dumps(answer, ensure_ascii=False)  # JSON-able as it is
    assert set(REF.findall(text)) == {household}, "no other household appears"
    assert answer["household_ref"] == household
    mine = leads[leads["household_ref"] == household]
    assert [r["code"] for r in answer["leads"]] == mine.sort_values("reported_at")["code"].tolist()
    assert set(answer["leads"][0]) == {c.name for c in m.Lead.__table__.columns}
    first = mine.sort_values("reported_at").iloc[0]
    assert answer["leads"][0]["summary_zh"] == first["summary_zh"]
    assert answer["leads"][0]["reported_at"] == first["reported_at"].isoformat() + "Z"
    assert sorted(r["id"] for r in answer["proxy_requests"]) == sorted(
        proxy.loc[proxy["household_ref"] == household, "id"])
    assert answer["proxy_requests"] and "note" not in answer

    # The lookup is audited as a read of household-level data; no dashboard reloads for it.
    entry = audit_rows(fresh_source).iloc[-1]
    assert (entry["action"], entry["entity"], entry["entity_key"], entry["actor"]) == (
        "read.personal", "household", household, "cli:tester")
    assert json.loads(entry["after"])["leads"] == len(answer["leads"])
    assert store_version(fresh_source) == version
    # ... and the next lookup lists it among the entries about the household.
    again = subject_access(fresh_source.writer, household, actor="cli:tester")
    assert [e["action"] for e in again["audit"]] == ["read.personal"]


def test_subject_access_lists_the_audit_entries_about_the_household(fresh_source):
    household = a_household(fresh_source)
    other = sorted(set(rows(fresh_source, m.Lead)["household_ref"].dropna()) - {household})[0]
    code = rows(fresh_source, m.Lead).query("household_ref == @household")["code"].iloc[0]
    with write(fresh_source.writer, "test") as w:
        w.audit([{"action": "lead.note", "entity": "lead", "entity_key": code,
                  "before": None, "after": {"note": "visited"}},
                 {"action": "household.merge", "entity": "register", "entity_key": "x",
                  "before": {"household_ref": household}, "after": None},
                 {"action": "household.merge", "entity": "register", "entity_key": "y",
                  "before": {"household_ref": other}, "after": None},
                 {"action": "household.merge", "entity": "register", "entity_key": "z",
                  "before": {"household_ref": household + "9"}, "after": None}])
    answer = subject_access(fresh_source.writer, household)
    assert [(e["action"], e["entity_key"]) for e in answer["audit"]] == [
        ("lead.note", code), ("household.merge", "x")]
    assert answer["audit"][1]["before"] == {"household_ref": household}  # parsed JSON


def test_subject_access_times_can_be_local(fresh_source):
    household = a_household(fresh_source)
    answer = subject_access(fresh_source.writer, household, tz=TZ)
    assert answer["time_zone"] == TZ
    assert all(r["reported_at"].endswith("+08:00") for r in answer["leads"])


def test_subject_access_for_an_unknown_household_is_empty_with_a_note(fresh_source):
    answer = subject_access(fresh_source.writer, "H00000000000000000")
    assert answer["leads"] == [] and answer["proxy_requests"] == [] and answer["audit"] == []
    assert "H00000000000000000" in answer["note"]
    with pytest.raises(ValueError):
        subject_access(fresh_source.writer, "  ")


def test_after_a_purge_subject_access_finds_nothing_old(fresh_source):
    household = a_household(fresh_source, with_proxy=False)
    old = rows(fresh_source, m.Lead).query("household_ref == @household")
    cutoff = old["reported_at"].max() + pd.Timedelta(seconds=1)
    purge(fresh_source.writer, cutoff.to_pydatetime(), "test")
    answer = subject_access(fresh_source.writer, household)
    assert answer["leads"] == []
    assert all(datetime.fromisoformat(r["requested_at"].removesuffix("Z")) >= cutoff
               for r in answer["proxy_requests"])


# --- commands -----------------------------------------------------------------------------------

def url(source) -> str:
    return source.settings.database_url


def test_the_purge_command(fresh_source, capsys):
    leads = rows(fresh_source, m.Lead)
    assert main(["purge", "--before", "2020-02-05", "--dry-run",
                 "--database-url", url(fresh_source)]) == 0
    out = capsys.readouterr().out
    old = int((leads["reported_at"] < CUTOFF).sum())
    assert f"would anonymise {old} leads" in out and "dry run" in out
    assert "2020-02-05 00:00 (Asia/Shanghai)" in out
    pd.testing.assert_frame_equal(rows(fresh_source, m.Lead), leads)

    assert main(["purge", "--before", "2020-02-05", "--database-url", url(fresh_source)]) == 0
    out = capsys.readouterr().out
    assert f"anonymised {old} leads" in out and "L0001" in out
    with fresh_source.engine.connect() as conn:
        purged = conn.scalar(select(func.count()).select_from(m.Lead)
                             .where(m.Lead.purged_at.is_not(None)))
    assert purged == old
    assert main(["purge", "--before", "2020-02-05", "--database-url", url(fresh_source)]) == 0
    out = capsys.readouterr().out
    assert "anonymised 0 leads" in out and f"{old} leads" in out and "nothing new" in out


@pytest.mark.parametrize("given, message", [
    ("2020-13-05", "not a date"), ("05/02/2020", "not a date"), ("yesterday", "not a date"),
    ("", "not a date"), ("2999-01-01", "in the future"),
])
def test_the_purge_command_refuses_bad_dates(fresh_source, capsys, given, message):
    version = store_version(fresh_source)
    assert main(["purge", "--before", given, "--database-url", url(fresh_source)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert store_version(fresh_source) == version


def test_the_purge_command_uses_the_retention_setting(fresh_source, capsys, monkeypatch):
    monkeypatch.delenv("GRIDWATCH_RETENTION_DAYS", raising=False)
    assert main(["purge", "--database-url", url(fresh_source)]) == 2
    assert "retention_days is 0" in capsys.readouterr().err
    monkeypatch.setenv("GRIDWATCH_RETENTION_DAYS", "30")
    assert main(["purge", "--dry-run", "--database-url", url(fresh_source)]) == 0
    leads = rows(fresh_source, m.Lead)
    # The demo history is from 2020: thirty days' retention leaves none of it.
    assert f"would anonymise {len(leads)} leads" in capsys.readouterr().out


def test_the_subject_access_command(fresh_source, capsys, tmp_path):
    household = a_household(fresh_source)
    out = tmp_path / "sar.json"
    assert main(["subject-access", household, "--output", str(out),
                 "--database-url", url(fresh_source)]) == 0
    captured = capsys.readouterr()
    answer = json.loads(out.read_text(encoding="utf-8"))
    assert answer["household_ref"] == household and answer["leads"]
    assert answer["leads"][0]["reported_at"].endswith("+08:00")  # the county's time
    assert household in captured.err and str(out) in captured.err
    assert (out.stat().st_mode & 0o077) == 0, "household-level data: readable by its owner only"

    assert main(["subject-access", household, "--database-url", url(fresh_source)]) == 0
    assert json.loads(capsys.readouterr().out)["leads"] == answer["leads"]


def test_the_subject_access_command_for_an_unknown_household(fresh_source, capsys):
    assert main(["subject-access", "H99", "--database-url", url(fresh_source)]) == 0
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert answer["leads"] == [] and "note" in answer
    assert "note:" in captured.err and "Traceback" not in captured.err


@pytest.mark.parametrize("argv, message", [
    (["subject-access", "   "], "give a household reference"),
    (["subject-access", "H" * 40], "not a household reference"),
    (["subject-access", "H1", "--output", "/nonexistent-dir/sar.json"], "cannot write"),
])
def test_the_subject_access_command_refuses_bad_input(fresh_source, capsys, argv, message):
    assert main([*argv, "--database-url", url(fresh_source)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
