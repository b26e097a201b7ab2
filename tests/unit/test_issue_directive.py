"""Issuing an order or a notice from the register (``callbacks.command.issue_directive``):
numbered next of its kind, stamped now, through the API's ``directives`` write path (only a
county-wide writer; idempotent), the view moved to today."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from callbacks.command import issue_directive
from gridwatch import directives
from gridwatch.auth.policy import COUNTY, Principal, Scope

pytestmark = pytest.mark.stores

NOW = datetime(2026, 12, 3, 8, 31)  # naive UTC: 16:31 in the county


def _issue(source, who, kind="notice", title_zh="关于进一步加强返乡人员管理的通告",
           title_en=None, token="a" * 32, clicks=1):
    return issue_directive(source, clicks, kind, title_zh, title_en, {"as_of": "2020-02-29"},
                           token, "en", who, now=NOW)


def _text(answer) -> str:
    return str(answer["result"].children)


def test_the_county_issues_a_notice_numbered_next_and_the_view_moves_to_it(fresh_source):
    county = Principal("user", "operator", COUNTY, 5, "county-op")
    town = sorted(fresh_source.region().townships["code"])[0]
    township = Principal("user", "operator", Scope("township", frozenset({town})), 6, "t")
    before = fresh_source.snapshot()
    number = directives.next_number(before.directives, "notice")
    assert number == int(before.directives.loc[before.directives["kind"] == "notice",
                                               "number"].max()) + 1

    # nothing to write, or no right to: nothing is written, and the answer says why
    assert _text(_issue(fresh_source, county, title_zh="  ")) == "Give the Chinese title"
    assert "Choose an order or a notice" in _text(_issue(fresh_source, county, kind="memo"))
    refused = _issue(fresh_source, township)
    assert "Nothing was written" in _text(refused) and "county" in _text(refused)
    assert fresh_source.snapshot().version == before.version

    issued = _issue(fresh_source, county)
    assert _text(issued) == f"Notice No. {number} issued at 16:31; showing 2026-12-03.", \
        _text(issued)
    assert issued["day"] == issued["max_day"] == "2026-12-03" and issued["title_zh"] == ""
    snap = fresh_source.snapshot()
    row = snap.directives[(snap.directives["kind"] == "notice")
                          & (snap.directives["number"] == number)].iloc[0]
    assert row["title_en"] == row["title_zh"] == "关于进一步加强返乡人员管理的通告"
    assert row["issued_at"] == datetime(2026, 12, 3, 16, 31)
    assert snap.last_day == date(2026, 12, 3)
    register = directives.register(snap, datetime(2026, 12, 4))
    assert register["ref"].iloc[0] == f"notice-{number}"
    # the same click again (same form key) issues nothing more
    _issue(fresh_source, county)
    assert len(fresh_source.snapshot().directives) == len(snap.directives)
    # the next order takes the next order number, whatever the notices'
    order = _issue(fresh_source, county, kind="order", title_zh="关于调整管控等级的命令",
                   token="b" * 32)
    orders = before.directives.loc[before.directives["kind"] == "order", "number"]
    assert f"Order No. {int(orders.max()) + 1} issued" in _text(order)


def test_no_click_changes_nothing(fresh_source):
    from dash import no_update

    answer = _issue(fresh_source, Principal("user", "admin", id=1, name="admin"), clicks=None)
    assert all(v is no_update for v in answer.values())
