"""The register of orders and notices and the article's figures at an instant, on the demo store
(whose figures the article gives) and as the analyst view answers them."""

from __future__ import annotations

from datetime import date, datetime

from callbacks.command import command_panels, show_directive
from gridwatch import directives
from gridwatch.filters import Filters
from gridwatch.metrics import headline_figures
from gridwatch.timeutil import cutoff

LAST = date(2020, 2, 29)


def test_the_register_holds_what_was_issued_by_the_instant_newest_first(snap):
    table = directives.register(snap, cutoff(LAST))
    assert len(table) == 35 and table["issued_at"].is_monotonic_decreasing
    # the last one issued is the 18th notice, on the last day (the days are drawn at random)
    assert table["ref"].iloc[0] == "notice-18" and table["ref"].is_unique
    first_day = directives.register(snap, cutoff(date(2020, 1, 23)))
    assert list(first_day["ref"]) == ["notice-1", "order-1"]  # 15:50, then 10:10
    assert directives.register(snap, datetime(2020, 1, 23)).empty


def test_a_directive_comes_with_the_tasks_and_level_changes_of_its_day(snap):
    found = directives.context(snap, "order-14", cutoff(LAST))
    assert found.directive["title_zh"] == "关于调整乡镇管控等级的命令"
    day = found.directive["issued_at"].date()
    assert found.days_in_force == (cutoff(LAST) - found.directive["issued_at"]).days
    assert len(found.tasks) and (found.tasks["issued_at"].dt.date == day).all()
    assert found.tasks["issued_at"].is_monotonic_increasing
    # read at an instant on its day, only what had happened by then
    early = directives.context(snap, "order-14", found.directive["issued_at"].to_pydatetime())
    assert early is None  # not yet issued at its own issue instant
    assert directives.context(snap, "order-99", cutoff(LAST)) is None
    assert directives.context(snap, "order-17", cutoff(date(2020, 2, 1))) is None


def test_the_headline_figures_at_the_end_are_the_articles_and_grow_with_the_instant(snap):
    whole = headline_figures(snap)
    assert headline_figures(snap, cutoff(LAST)) == whole
    assert (whole["orders"], whole["notices"], whole["tasks"], whole["tasks_completed"]) == (
        17, 18, 320, 320)
    assert whole["platform_events"] > 10_000 and whole["proxy_home_visits"] > 6_200
    mid = headline_figures(snap, cutoff(date(2020, 2, 5)))
    for key in ("orders", "notices", "tasks", "platform_events", "proxy_home_visits",
                "failure_cases"):
        assert 0 < mid[key] < whole[key], key
    assert mid["tasks_completed"] <= mid["tasks"]
    before = headline_figures(snap, datetime(2020, 1, 1))
    assert (before["orders"], before["tasks"], before["platform_events"],
            before["grid_response_rate"]) == (0, 0, 0, 0.0)


def test_the_panels_word_the_register_and_the_figures(source):
    out = command_panels(source, Filters(as_of=LAST).to_dict(), "zh")
    assert out["directive_count"] == "指挥部令 17 道、通告 18 份（截至 2020-02-29 24:00）"
    first = out["directive_rows"][0]
    assert (first["ref"], first["label"], first["kind"]) == ("notice-18", "通告第18号", "通告")
    figures = str(out["figures"])
    assert "11,248" in figures and "6,289" in figures and "42 件 69 人" in figures
    en = command_panels(source, Filters(as_of=date(2020, 1, 23)).to_dict(), "en")
    assert en["directive_count"] == "Orders 1, notices 1 (to 2020-01-23 24:00)"
    assert all(r["today"] for r in en["directive_rows"])


def test_opening_a_directive_and_hostile_choices(source):
    filters = Filters(as_of=LAST).to_dict()
    shown = str(show_directive(source, {"code": "order-14"}, filters, None, "en")["detail"])
    assert "Order No. 14" in shown and "special tasks published that day" in shown
    assert "关于调整乡镇管控等级的命令" in shown  # the other language's title, beside it
    for chosen in (None, {}, {"code": 5}, {"code": "x" * 100}, "order-1", []):
        out = show_directive(source, chosen, filters, None, "zh")["detail"]
        assert "点击一条查看详情" in str(out)
    gone = show_directive(source, {"code": "order-17"}, Filters(as_of=date(2020, 2, 1))
                          .to_dict(), None, "zh")["detail"]
    assert "尚未发布" in str(gone)
