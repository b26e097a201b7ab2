"""The six rings card (``gridwatch.rings``): the county's (or the filters') total of each ring
on the day, then each township, shaped by ``gridwatch.visibility``."""

from __future__ import annotations

import pandas as pd
from dash import html

from gridwatch.i18n import t
from gridwatch.rings import RINGS
from gridwatch.visibility import count_text
from layouts.card import scroll_list, timed_card
from layouts.ids import ID


def card(lang: str) -> html.Div:
    return timed_card("gw-rings", t("rings.title", lang), ID.RINGS_AS_OF,
                      t("rings.about", lang), html.Div(id=ID.RINGS))


def children(totals: dict, towns: pd.DataFrame, names: dict[str, str], lang: str,
             threshold: int) -> list:
    """The six totals as tiles, then the townships' table (both already shaped)."""
    tiles = html.Div(className="gw-figure-grid gw-ring-tiles", children=[
        html.Div(className="gw-figure-tile", **{"data-ring": r}, children=[
            html.Div(t(f"rings.{r}", lang), className="gw-figure-label"),
            html.B(count_text(totals[r]), className="gw-figure-value")]) for r in RINGS])
    head = html.Tr([html.Th(t("rings.col.township", lang)),
                    *[html.Th(t(f"rings.{r}", lang), className="gw-num") for r in RINGS]])
    body = [html.Tr(**{"data-township": row["code"]}, children=[
        html.Td(names.get(row["code"], row["code"])),
        *[html.Td(count_text(row[r]), className="gw-num") for r in RINGS]])
        for _, row in towns.iterrows()]
    suppressed = any(not isinstance(v, int) for r in RINGS for v in towns[r])
    return [tiles, scroll_list(t("rings.title", lang), "gw-rings-list", children=html.Table(
                className="gw-alert-table", children=[html.Thead(head), html.Tbody(body)])),
            *([html.Small(t("proxy.suppressed", lang, n=threshold), className="gw-muted")]
              if suppressed else [])]


def grid_line(figures: dict, lang: str) -> html.Div:
    """One grid's rings for its detail panel (already shaped): intercepts are not applicable."""
    sep = "；" if lang == "zh" else "; "
    parts = [f"{t(f'rings.{r}', lang)} "
             + (t("rings.not_applicable", lang) if figures[r] is None
                else count_text(figures[r])) for r in RINGS]
    return html.Div([html.B(t("detail.rings", lang) + ("：" if lang == "zh" else ": ")),
                     sep.join(parts)], className="gw-muted gw-detail-rings")
