"""A grid's detail panel: its colour history, tasks and leads."""

from __future__ import annotations

import pandas as pd
from dash import html

from gridwatch.disclosure import suppress_total
from gridwatch.i18n import MESSAGES, t
from gridwatch.metrics import GridDetail
from gridwatch.proxy import COUNTS
from gridwatch.visibility import count_text, proxy_of_grid, rings_of_grid
from layouts.rings import grid_line as ring_line
from layouts.wall import clock_text, lead_label

LIMIT = 12
TAGS = {"on_time": "task_done", "late": "task_late", "overdue": "task_overdue",
        "open": "task_open"}
"""Task states (``gridwatch.metrics.TASK_STATES``) → their tag in the catalogue and CSS."""


def empty(lang: str) -> list:
    return [html.P(t("detail.empty", lang), className="gw-muted")]


def detail_children(detail: GridDetail | None, palette: dict[str, str], lang: str, *,
                    personal: bool, threshold: int, records: bool = True,
                    lead_clocks: pd.DataFrame | None = None,
                    proxy: dict | None = None, rings: dict | None = None) -> list:
    """The panel for one grid (or the hint to pick one when ``detail`` is None); each lead
    with its stage and clock from ``lead_clocks`` (``gridwatch.leads.clocks`` of
    ``detail.leads`` at the instant shown), tagged overdue or late against its limits.

    ``proxy``: the grid's red-proxy figures (``gridwatch.proxy.for_grid``) at that instant;
    ``rings``: its six rings on the day (``gridwatch.rings.for_grid``).

    Without ``personal`` (the right to this grid's household-level data) leads show their
    code and kind instead of their text, and the household and red-proxy counts are
    suppressed below ``threshold``.
    """
    if detail is None:
        return empty(lang)
    info = detail.info

    def more(n):
        return [html.Li(t("detail.more", lang, n=n), className="gw-muted")] if n > 0 else []

    history = [html.Li([
        html.Span(className="gw-swatch", style={"background": palette.get(row.colour, "#999")}),
        html.B(t(f"colour.{row.colour}", lang)), " ",
        html.Span(row.observed_at.strftime("%m-%d %H:%M")), " · ",
        html.Span(t(f"source.{row.source}", lang) if f"source.{row.source}" in MESSAGES
                  else row.source, className="gw-muted"),
    ]) for row in detail.history.head(LIMIT).itertuples()]
    tasks = []
    for row in detail.tasks.head(LIMIT).itertuples():
        tag = TAGS[row.state]
        tasks.append(html.Li([html.Code(row.code), " ", getattr(row, f"title_{lang}"), " ",
                              html.Span(t(f"detail.{tag}", lang),
                                        className=f"gw-tag gw-tag-{tag}")]))
    leads = []
    for row in detail.leads.head(LIMIT).itertuples():
        if lead_clocks is not None and row.Index in lead_clocks.index:
            c = lead_clocks.loc[row.Index]
            tag = "task_overdue" if c["overdue"] else "task_late" if c["breached"] \
                else "task_done" if not c["open"] else "task_open"
            status = (t(f"leads.stage.{c['stage']}", lang) + " · "
                      + clock_text(bool(c["open"]), float(c["minutes"]), lang))
        else:  # reported after the instant shown (a running day's later records)
            tag, status = "task_open", t("detail.lead_open", lang)
        leads.append(html.Li(**{"data-lead": row.code}, children=[
            html.Span(row.reported_at.strftime("%m-%d %H:%M")), " ",
            *([getattr(row, f"summary_{lang}")] if personal else [
                html.Code(row.code), " ", lead_label(row.category, "", lang), " ",
                html.Span(t("detail.lead_text_hidden", lang), className="gw-muted")]), " ",
            html.Span(status, className=f"gw-tag gw-tag-{tag}"),
        ]))
    if not records:  # a viewer: how many leads (suppressed below the threshold), not which
        shown = suppress_total(len(detail.leads), threshold)
        leads = [html.Li(t("detail.lead_count", lang,
                           n=f"{shown:,}" if isinstance(shown, int) else shown))] \
            if len(detail.leads) else []
    none = [html.Li(t("detail.none", lang), className="gw-muted")]
    count = int(info["households"])
    shown = count if personal else suppress_total(count, threshold)
    households = f"{shown:,}" if isinstance(shown, int) else shown
    red = []
    if proxy is not None:
        c = {k: count_text(v) for k, v in
             proxy_of_grid(proxy, personal, threshold).items() if k in COUNTS}
        red = [html.Div(t("detail.proxy", lang, r=c["requests_today"], d=c["delivered_today"],
                          p=c["pending"], v=c["visits_total"]),
                        className="gw-muted gw-detail-proxy")]
    return [
        html.H4(info[f"name_{lang}"], **{"data-grid": detail.code}),
        html.Div(f"{info[f'village_{lang}']} · {info[f'township_{lang}']} · {detail.code}",
                 className="gw-muted"),
        html.Div(t("detail.population", lang, p=f"{int(info['population']):,}",
                   h=households), className="gw-muted"),
        *red,
        *([ring_line(rings_of_grid(rings, personal, threshold), lang)] if rings else []),
        html.H5(t("detail.history", lang)),
        html.Ul(history + more(len(detail.history) - LIMIT) or none, className="gw-list"),
        html.H5(t("detail.tasks", lang)),
        html.Ul(tasks + more(len(detail.tasks) - LIMIT) or none, className="gw-list"),
        html.H5(t("detail.leads", lang)),
        html.Ul(leads + (more(len(detail.leads) - LIMIT) if records else []) or none,
                className="gw-list"),
    ]
