"""The red proxy card (``gridwatch.proxy``): the day's requests and deliveries, what waits and
the running total of home visits for the filters' grids, and the same per township, shaped by
``gridwatch.visibility`` (small household counts suppressed for those without the right)."""

from __future__ import annotations

import pandas as pd
from dash import html

from gridwatch.i18n import duration, t
from gridwatch.proxy import COUNTS
from gridwatch.visibility import count_text
from layouts.card import scroll_list, timed_card
from layouts.ids import ID


def card(lang: str) -> html.Div:
    return timed_card("gw-proxy", t("proxy.title", lang), ID.PROXY_AS_OF,
                      t("proxy.about", lang), html.Div(id=ID.PROXY))


def _wait(hours, lang: str) -> str:
    return "—" if hours is None or pd.isna(hours) else duration(float(hours) * 60, lang)


def children(figures: dict, towns: pd.DataFrame, names: dict[str, str], lang: str,
             threshold: int) -> list:
    """The tiles and the township table (both already shaped for the caller)."""
    tiles = [html.Div(className="gw-figure-tile", **{"data-proxy": c}, children=[
        html.Div(t(f"proxy.{c}", lang), className="gw-figure-label"),
        html.B(count_text(figures[c]), className="gw-figure-value"),
        *([html.Div(t("proxy.oldest", lang, age=_wait(figures["oldest_pending_hours"], lang))
                    if figures["oldest_pending_hours"] is not None
                    else t("proxy.none_waiting", lang), className="gw-muted gw-figure-note")]
          if c == "pending" else [])]) for c in COUNTS]
    if towns.empty:
        return [html.Div(tiles, className="gw-figure-grid"),
                html.P(t("proxy.none", lang), className="gw-muted")]
    head = html.Tr([html.Th(t("proxy.col.township", lang)),
                    *[html.Th(t(f"proxy.{c}", lang), className="gw-num") for c in COUNTS],
                    html.Th(t("proxy.col.oldest", lang), className="gw-num")])
    body = [html.Tr(**{"data-township": r["code"]}, children=[
        html.Td(names.get(r["code"], r["code"])),
        *[html.Td(count_text(r[c]), className="gw-num") for c in COUNTS],
        html.Td(_wait(r["oldest_pending_hours"] if isinstance(r["pending"], int) else None,
                      lang), className="gw-num"),
    ]) for _, r in towns.iterrows()]
    suppressed = any(not isinstance(v, int) for c in COUNTS for v in towns[c])
    return [html.Div(tiles, className="gw-figure-grid"),
            scroll_list(t("proxy.towns_label", lang), children=html.Table(
                className="gw-alert-table gw-proxy-table",
                children=[html.Thead(head), html.Tbody(body)])),
            *([html.Small(t("proxy.suppressed", lang, n=threshold), className="gw-muted")]
              if suppressed else [])]
