"""Moving a lead on from its timeline (``callbacks.leads.act_on_lead``): acknowledge, escalate,
dispatch, close, stamped now, through the API's ``lead-stages`` write path (scope, order,
idempotency, audit), with the answer saying what was written or why nothing was."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from flask import Flask

from callbacks.leads import act_on_lead, next_stages, show_lead
from gridwatch.auth.policy import Principal, Scope
from layouts.ids import ID

pytestmark = pytest.mark.stores

NOW = datetime(2026, 12, 3, 8, 31)  # naive UTC: 16:31 in the county
BUTTONS = {"acknowledged": ID.LEAD_ACKNOWLEDGE, "escalated": ID.LEAD_ESCALATE,
           "dispatched": ID.LEAD_DISPATCH, "closed": ID.LEAD_CLOSE}


def _act(source, who, stage, code, token, outcome=None, day="2020-02-29"):
    return act_on_lead(source, 1, None, None, None, outcome, {"code": code},
                       {"as_of": day}, token, "en", who,
                       triggered=[f"{BUTTONS[stage]}.n_clicks"], now=NOW)


def _text(answer) -> str:
    return str(answer["result"].children)


def _ok(answer) -> bool:
    return answer["result"].__dict__["data-ok"] == "1"


def _lead(source, code) -> pd.Series:
    leads = source.snapshot().leads
    return leads[leads["code"] == code].iloc[0]


def test_an_operator_moves_an_open_lead_through_its_stages(fresh_source):
    leads = fresh_source.snapshot().leads
    waiting = leads[leads["acknowledged_at"].isna() & leads["closed_at"].isna()]
    assert len(waiting), "the demo has leads nobody has acknowledged yet"
    lead = waiting.iloc[0]
    code, town = lead["code"], lead["township_code"]
    other = next(c for c in sorted(fresh_source.region().townships["code"]) if c != town)
    operator = Principal("user", "operator", Scope("township", frozenset({town})), 7, "op")
    stranger = Principal("user", "operator", Scope("township", frozenset({other})), 8, "st")
    analyst = Principal("user", "analyst", id=9, name="an")

    with Flask(__name__).test_request_context():  # show_lead audits the read of the text
        shown = show_lead(fresh_source, {"code": code}, None, {"as_of": "2020-02-29"}, None,
                          "en", operator)
        assert not shown["actions_hidden"] and "can-acknowledged" in shown["actions_class"]
        for who in (stranger, analyst):
            assert show_lead(fresh_source, {"code": code}, None, {"as_of": "2020-02-29"}, None,
                             "en", who)["actions_hidden"]

    version = fresh_source.snapshot().version
    # another township's operator: refused by the write's scope check, nothing written
    refused = _act(fresh_source, stranger, "acknowledged", code, "a" * 32)
    assert not _ok(refused) and "Nothing was written" in _text(refused)
    # closing before acknowledging is not the next step
    early = _act(fresh_source, operator, "closed", code, "b" * 32, outcome="done")
    assert _text(early) == f"Lead {code} cannot be closed now (it stands at reported)"
    assert fresh_source.snapshot().version == version

    acked = _act(fresh_source, operator, "acknowledged", code, "c" * 32)
    assert _ok(acked), _text(acked)
    assert _text(acked) == f"Lead {code} acknowledged at 16:31; showing 2026-12-03."
    assert acked["day"] == acked["max_day"] == "2026-12-03"
    assert _lead(fresh_source, code)["acknowledged_at"] == datetime(2026, 12, 3, 16, 31)
    # a stage is a record of its day: the date picker offers that day (and moves there)
    assert fresh_source.snapshot().last_day == date(2026, 12, 3)
    after = fresh_source.snapshot().version
    # the same click again (a double click answered after the first): nothing more written
    again = _act(fresh_source, operator, "acknowledged", code, "c" * 32)
    assert _text(again) == f"Lead {code} cannot be acknowledged now (it stands at acknowledged)"
    assert fresh_source.snapshot().version == after
    assert next_stages(_lead(fresh_source, code)) == ["escalated", "dispatched", "closed"]

    assert _ok(_act(fresh_source, operator, "escalated", code, "d" * 32, day="2026-12-03"))
    dispatched = _act(fresh_source, operator, "dispatched", code, "e" * 32, day="2026-12-03")
    assert _ok(dispatched) and dispatched["day"] is not None
    assert next_stages(_lead(fresh_source, code)) == ["closed"]
    unsaid = _act(fresh_source, operator, "closed", code, "f" * 32, outcome="   ")
    assert _text(unsaid) == "Say what the lead came to before closing it"
    closed = _act(fresh_source, operator, "closed", code, "g" * 32, outcome="送县医院，已排除")
    assert _ok(closed), _text(closed)
    assert closed["outcome"] == ""  # the box is emptied
    row = _lead(fresh_source, code)
    assert row["outcome"] == "送县医院，已排除" and next_stages(row) == []
    with Flask(__name__).test_request_context():
        assert show_lead(fresh_source, {"code": code}, None, {"as_of": "2026-12-03"}, None,
                         "en", operator)["actions_hidden"]


def test_a_click_without_a_lead_or_a_button_changes_nothing(fresh_source):
    from dash import no_update

    admin = Principal("user", "admin", id=1, name="admin")
    version = fresh_source.snapshot().version
    for chosen, triggered in (({"code": ["x"]}, [f"{ID.LEAD_ACKNOWLEDGE}.n_clicks"]),
                              (None, [f"{ID.LEAD_CLOSE}.n_clicks"]),
                              ({"code": "L0001"}, ["lead-unknown.n_clicks"])):
        answer = act_on_lead(fresh_source, 1, None, None, None, None, chosen, None, None, "en",
                             admin, triggered=triggered, now=NOW)
        assert all(v is no_update for v in answer.values())
    gone = act_on_lead(fresh_source, 1, None, None, None, None, {"code": "NO-SUCH"}, None,
                       "h" * 32, "en", admin, triggered=[f"{ID.LEAD_ACKNOWLEDGE}.n_clicks"],
                       now=NOW)
    assert not _ok(gone) and fresh_source.snapshot().version == version
