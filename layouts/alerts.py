"""The checkpoint alert list (``gridwatch.checkpoints``): every checkpoint of the filters'
townships that went quiet, missed a report or ran over its capacity on the chosen day, open
ones first, and the instant it is read at. Each row says what happened in words."""

from __future__ import annotations

from datetime import datetime

from dash import html

from gridwatch.checkpoints import Alert, Health, detail, state_text, when
from gridwatch.i18n import t
from layouts.card import scroll_list, timed_card
from layouts.ids import ID
from layouts.leads import moment_text

COLUMNS = ("alert", "checkpoint", "township", "detail", "opened", "state")


def card(lang: str, checks: Health) -> html.Div:
    """The list's frame; its rows come with the other panels (``callbacks/panels.py``)."""
    return timed_card("gw-alerts", t("alerts.title", lang), ID.CHECKPOINT_ALERT_AS_OF,
                      t("alerts.rules", lang, grace=checks.grace_minutes,
                        quiet=checks.quiet_hours, pct=checks.capacity_percent),
                      scroll_list(t("alerts.title", lang), id=ID.CHECKPOINT_ALERTS),
                      count_id=ID.CHECKPOINT_ALERT_COUNT)


def rows(found: list[Alert], instant: datetime, names: dict[str, str],
         townships: dict[str, str], township_of: dict[str, str], lang: str) -> list:
    """The list's table (or a line saying there is nothing), one row per alert."""
    if not found:
        return [html.P(t("alerts.none", lang), className="gw-muted")]
    head = html.Tr([html.Th(t(f"alerts.col.{c}", lang)) for c in COLUMNS])
    body = []
    for a in found:
        town = township_of.get(a.checkpoint, "")
        body.append(html.Tr(
            className=f"gw-alert-row gw-alert-{a.kind}" + ("" if a.open else " gw-alert-closed"),
            **{"data-checkpoint": a.checkpoint, "data-alert": a.kind,
               "data-open": "1" if a.open else "0"},
            children=[
                html.Td(html.Span(t(f"checkpoint.alert.{a.kind}", lang),
                                  className=f"gw-alert-badge gw-alert-badge-{a.kind}")),
                html.Td(names.get(a.checkpoint, a.checkpoint)),
                html.Td(townships.get(town, town)),
                html.Td(detail(a, instant, lang)),
                html.Td(when(a.opened_at, instant)),
                html.Td(state_text(a, instant, lang)),
            ]))
    return [html.Table(className="gw-alert-table", children=[html.Thead(head),
                                                             html.Tbody(body)])]


def as_of_text(instant: datetime, running: bool, lang: str) -> str:
    return t("alerts.as_of_live" if running else "alerts.as_of", lang, at=moment_text(instant))
