"""Inspection and accountability (gridwatch.inspection): the cases at an instant, their totals by
kind and township, and the names of the people involved only for a caller allowed them; the
migration that gave cases a kind; the demo's figures; the card and the pack."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from alembic import command
from flask import Flask
from sqlalchemy import select, text

from gridwatch import inspection
from gridwatch.auth.policy import Principal, Scope
from gridwatch.store import models as m
from gridwatch.store.db import alembic_config, make_engine
from gridwatch.timeutil import cutoff
from tests.unit.literal import D1, D2, A, B

ADMIN = Principal("user", "admin")
VIEWER = Principal("user", "viewer")
ANALYST = Principal("user", "analyst")


def operator(*townships: str) -> Principal:
    return Principal("user", "operator", Scope("township", frozenset(townships)))


def test_a_case_counts_from_when_it_was_opened_and_in_its_township(lsnap):
    assert inspection.cases(lsnap, cutoff(D1), [A, B]).empty
    found = inspection.cases(lsnap, cutoff(D2), [A, B])
    row = found.iloc[0]
    assert (row["kind"], row["names"], row["team_zh"]) == ("gathering", ["王建国", "李芳"],
                                                           "第1纠察队")
    assert inspection.cases(lsnap, cutoff(D2), [A]).empty
    s = inspection.summary(found, 1)
    assert s == {"teams": 1, "cases": 1, "people": 2, "publicised_cases": 1,
                 "publicised_people": 2,
                 "kinds": {"checkpoint_absent": 0, "isolation": 0, "screening": 0,
                           "gathering": 1, "reporting": 0, "other": 0}}
    assert inspection.by_township(found).to_dict("records") == [
        {"code": B, "cases": 1, "people": 2, "publicised": 1}]


def test_names_only_for_who_may_see_the_townships_personal_data(lsnap):
    found = inspection.cases(lsnap, cutoff(D2), [A, B])
    seen = {name: bool(inspection.visible_names(found, who).iloc[0]) for name, who in (
        ("admin", ADMIN), ("viewer", VIEWER), ("analyst", ANALYST),
        ("operator of B", operator(B)), ("operator of A", operator(A)))}
    assert seen == {"admin": True, "viewer": False, "analyst": False, "operator of B": True,
                    "operator of A": False}


def test_a_case_without_kind_or_with_broken_names_is_other_with_nobody_named(lsnap):
    odd = lsnap.inspection_cases.assign(kind=[None], people_names=["not json"])
    frame = pd.concat([odd, odd.assign(id=2, people_names=['{"a": 1}'], kind=["nonsense"])])
    fake = type("S", (), {"inspection_cases": frame,
                          "inspection_teams": lsnap.inspection_teams})()
    found = inspection.cases(fake, cutoff(D2), [B])
    assert found["kind"].tolist() == ["other", "other"]
    assert found["names"].tolist() == [[], []]


def test_the_demo_reproduces_the_articles_inspection_figures_with_kinds_and_names(snap):
    found = inspection.cases(snap, cutoff(date(2020, 2, 29)), snap.region.townships["code"])
    s = inspection.summary(found, len(snap.inspection_teams))
    assert (s["teams"], s["cases"], s["people"], s["publicised_cases"],
            s["publicised_people"]) == (31, 42, 69, 18, 33)
    assert sum(s["kinds"].values()) == 42 and s["kinds"]["other"] == 0
    assert (found["names"].map(len) == found["people_involved"]).all()
    early = inspection.summary(inspection.cases(snap, cutoff(date(2020, 2, 5)),
                                                snap.region.townships["code"]), 31)
    assert 0 < early["cases"] < 42


@pytest.mark.stores  # the migration runs on PostgreSQL too
def test_the_migration_gives_earlier_cases_their_kind_from_the_summary(stores):
    engine = make_engine(stores.empty("inspection-0005"))
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO inspection_teams (id, code, name_zh, name_en) "
                          "VALUES (1, 'IT01', '第1纠察队', 'Team 1')"))
        for id_, summary in ((1, "卡口值守人员脱岗"), (2, "别的问题")):
            conn.execute(text(
                "INSERT INTO inspection_cases (id, team_id, township_code, opened_at, "
                "people_involved, publicised, summary_zh, summary_en) VALUES "
                "(:id, 1, '330824101', :at, 1, false, :s, 'x')"),
                {"id": id_, "at": datetime(2020, 2, 1, 9), "s": summary})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(select(m.InspectionCase.id, m.InspectionCase.kind,
                                   m.InspectionCase.people_names)
                            .order_by(m.InspectionCase.id)).all()
    assert [tuple(r) for r in rows] == [(1, "checkpoint_absent", None), (2, None, None)]
    engine.dispose()


def test_the_card_names_people_only_for_an_admin_and_audits_that_read(source, fresh_source):
    from callbacks.inspection import inspection_panel
    from gridwatch.filters import Filters

    filters = Filters(as_of=date(2020, 2, 29)).to_dict()
    snap = source.snapshot()
    someone = inspection.cases(snap, cutoff(date(2020, 2, 29)),
                               snap.region.townships["code"])["names"].iloc[0][0]
    viewer = str(inspection_panel(source, filters, "zh", VIEWER)["inspection"])
    assert someone not in viewer and "无权查看" in viewer and "18 件 33 人" in viewer
    with Flask(__name__).test_request_context():
        admin = str(inspection_panel(fresh_source, filters, "zh", ADMIN)["inspection"])
    assert someone in admin
    with fresh_source.engine.connect() as conn:
        audited = conn.execute(select(m.AuditEntry).where(
            m.AuditEntry.entity == "inspection")).all()
    assert len(audited) == 1
