"""The situation-room wall (``/wall``): dark, full screen, no controls, sized to the viewport."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from gridwatch.checkpoints import detail as alert_detail
from gridwatch.geo.layers import Region
from gridwatch.i18n import MESSAGES, county_name, duration, t
from gridwatch.mapview import MapView
from gridwatch.rings import RINGS
from gridwatch.settings import Settings
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from gridwatch.visibility import count_text
from layouts import nodata
from layouts.charts import FONT
from layouts.ids import ID
from layouts.map import MapIds, county_map, hideouts, legend

WALL_MAP = MapIds(map=ID.WALL_MAP, neighbours=ID.WALL_NEIGHBOURS, grids=ID.WALL_GRIDS,
                  townships=ID.WALL_TOWNSHIPS, county=ID.WALL_COUNTY,
                  checkpoints=ID.WALL_CHECKPOINTS, quarantine=ID.WALL_QUARANTINE,
                  labels=ID.WALL_LABELS, hotspots=ID.WALL_HOTSPOTS)
VIEWS = ("checkpoints", "tasks", "rings", "focus")


def layout(region: Region, settings: Settings, lang: str, view: MapView, config: dict,
           seen: dict) -> html.Div:
    """The wall page. ``config`` holds the rotation, thresholds and the banner texts the
    browser needs; ``seen`` is the picture the page opens with (for spotting changes)."""
    return html.Div(id=ID.WALL, className="wall", lang=lang, children=[
        dcc.Store(id=ID.WALL_CONFIG, data=config),
        dcc.Store(id=ID.WALL_HEALTH),
        dcc.Store(id=ID.WALL_LIVE),
        dcc.Store(id=ID.WALL_SEEN, data=seen),
        dcc.Store(id=ID.WALL_STEP, data={"n": 0, "h": 1080}),
        dcc.Interval(id=ID.WALL_TICK, interval=int(settings.wall_poll_seconds * 1000)),
        dcc.Interval(id=ID.WALL_CLOCK_TICK, interval=1000),
        dcc.Interval(id=ID.WALL_ROTATE, interval=int(config["rotate"] * 1000)),
        html.Header(className="wall-head", children=[
            html.H1(t("wall.title", lang, county=county_name(region, lang))),
            html.Div(id=ID.WALL_AS_OF, className="wall-asof"),
            html.Div(id=ID.WALL_CLOCK, className="wall-clock"),
        ]),
        html.Div(className="wall-body", children=[
            html.Div(className="wall-map", children=[
                # The health banner and the alarm state: stacked over the map's top edge,
                # never over a KPI tile.
                html.Div(className="wall-map-alerts", children=[
                    html.Div(id=ID.WALL_BANNER, className="wall-banner", hidden=True,
                             role="alert"),
                    html.Div(id=ID.WALL_ALARM, className="wall-alarm", hidden=True,
                             role="alert"),
                ]),
                county_map(region, settings, lang,
                           hideouts(view, lang, settings.palette, wall=True), ids=WALL_MAP,
                           interactive=False),
                legend(view, settings.palette, lang, legend_id=ID.WALL_LEGEND,
                       class_name="gw-legend wall-legend", dark=True),
            ]),
            html.Div(id=ID.WALL_KPIS, className="wall-kpis"),
            html.Section(className="wall-card wall-panel", children=[
                html.Div(className="wall-card-head", children=[
                    html.H2(id=ID.WALL_PANEL_TITLE),
                    html.Span(id=ID.WALL_PANEL_STEP, className="wall-step"),
                ]),
                html.Div(id=ID.WALL_PANEL, className="wall-panel-body"),
            ]),
            html.Section(className="wall-card wall-changes", children=[
                html.Div(className="wall-card-head", children=[
                    html.H2(t("wall.changes.title", lang))]),
                html.Div(id=ID.WALL_CHANGES, className="wall-changes-body"),
            ]),
        ]),
        html.Footer(className="wall-ticker", children=html.Div(id=ID.WALL_TICKER,
                                                               className="wall-ticker-track")),
    ])


# --- pieces the callbacks fill in --------------------------------------------------------------

def kpi_tiles(k, today: dict, palette: dict[str, str], lang: str,
              checkpoint_alerts: int = 0) -> list:
    """The wall's KPI tiles from ``Kpis`` ``k`` and ``tasks_on_day`` figures ``today``;
    ``checkpoint_alerts``: the checkpoints' open alerts."""

    def delta(n: int) -> html.Span:
        cls = "up" if n > 0 else "down" if n < 0 else "flat"
        return html.Span(f"{n:+d}" if n else "±0", className=f"wall-delta wall-delta-{cls}")

    rate = "—" if today["response_rate"] is None else f"{today['response_rate']:.0%}"
    return [
        html.Div(className="wall-tile wall-tile-colours", **{"data-kpi": "colours"}, children=[
            html.Div(t("wall.kpi.grids", lang), className="wall-tile-label"),
            html.Div(className="wall-colours", children=[
                html.Div(className="wall-colour", **{"data-colour": c}, children=[
                    html.Span(className="wall-swatch", style={"background": palette[c]}),
                    html.B(str(k.colour_counts[c]), className="wall-figure"),
                    delta(k.colour_deltas[c]),
                ]) for c in COLOURS]),
        ]),
        html.Div(className="wall-tile", **{"data-kpi": "levels"}, children=[
            html.Div(t("wall.kpi.levels", lang), className="wall-tile-label"),
            html.Div(className="wall-levels", children=[
                html.Div([html.B(str(k.level_counts[lv]), className="wall-figure"),
                          html.Span(t(f"level.{lv}", lang))], className=f"wall-level-{lv}")
                for lv in CONTROL_LEVELS]),
        ]),
        html.Div(className="wall-tile", **{"data-kpi": "tasks"}, children=[
            html.Div(t("wall.kpi.tasks", lang), className="wall-tile-label"),
            html.B(f"{today['completed']}/{today['issued']}", className="wall-figure"),
            html.Div(t("wall.kpi.tasks_done", lang), className="wall-tile-note"),
            html.Div(t("wall.kpi.response", lang, rate=rate), className="wall-tile-note"),
        ]),
        html.Div(className="wall-tile", **{"data-kpi": "checkpoints"}, children=[
            html.Div(t("wall.kpi.checkpoints", lang), className="wall-tile-label"),
            html.Div([html.B(f"{k.checkpoint_vehicles:,}", className="wall-figure"),
                      html.Span(t("kpi.vehicles", lang))], className="wall-figure-row"),
            html.Div([html.B(f"{k.checkpoint_people:,}", className="wall-figure"),
                      html.Span(t("kpi.people", lang))], className="wall-figure-row"),
            html.Div(t("wall.kpi.checkpoint_alerts", lang, n=checkpoint_alerts),
                     className="wall-tile-note" + (" wall-alert" if checkpoint_alerts else ""),
                     **{"data-alerts": str(checkpoint_alerts)}),
        ]),
        html.Div(className="wall-tile", **{"data-kpi": "leads"}, children=[
            html.Div(t("wall.kpi.leads", lang), className="wall-tile-label"),
            html.B(str(k.open_leads), className="wall-figure" + (" wall-alert" if k.open_leads
                                                                  else "")),
            html.Div(t("wall.kpi.oldest", lang, age=duration(k.oldest_open_lead_minutes, lang))
                     if k.open_leads else t("wall.kpi.no_leads", lang),
                     className="wall-tile-note"),
        ]),
    ]


def alarm(live: list[dict], towns: dict[str, str], lang: str) -> tuple[list, bool]:
    """The alarm state: grids that turned red while the wall watched, still within their
    highlight time, counted per township (most first). ``(children, hidden)``."""
    red = [c for c in live if c["after"] == "red" and c["direction"] > 0]
    if not red:
        return [], True
    per_town: dict[str, int] = {}
    for c in red:
        per_town[c["township_code"]] = per_town.get(c["township_code"], 0) + 1
    ranked = sorted(per_town.items(), key=lambda item: (-item[1], item[0]))
    places = t("wall.alarm.separator", lang).join(
        t("wall.alarm.township", lang, township=towns.get(code, code), n=n)
        for code, n in ranked)
    return [html.Span("▲", className="wall-alarm-icon", **{"aria-hidden": "true"}),
            html.B(t("wall.alarm.title", lang, n=len(red))),
            html.Span(places, className="wall-alarm-places")], False


def change_items(live: list[dict], today, names: dict[str, str], towns: dict[str, str],
                 palette: dict[str, str], lang: str, limit: int = 5) -> list:
    """The "what changed" list: changes seen live first, then today's, riskier first."""
    rows = [{**c, "live": True} for c in live]
    seen = {c["code"] for c in live}
    for c in today.itertuples():
        if c.code not in seen:
            rows.append({"code": c.code, "before": c.before, "after": c.after,
                         "direction": c.direction, "township_code": c.township_code,
                         "at": c.at.strftime("%H:%M") if c.at == c.at else "", "live": False})
    if not rows:
        return [html.Div(t("wall.changes.none", lang), className="wall-muted")]
    up = sum(1 for r in rows if r["direction"] > 0)
    items = [html.Div(t("wall.changes.summary", lang, up=up, down=len(rows) - up),
                      className="wall-changes-summary")]
    for r in rows[:limit]:
        arrow = "▲" if r["direction"] > 0 else "▼"
        items.append(html.Div(className="wall-change " + ("is-live" if r["live"] else ""),
                              **{"data-grid": r["code"]}, children=[
            html.Span(arrow, className="wall-arrow " + ("up" if r["direction"] > 0 else "down")),
            html.Span(names.get(r["code"], r["code"]), className="wall-change-name"),
            html.Span(towns.get(r["township_code"], ""), className="wall-muted"),
            html.Span(className="wall-swatch", style={"background": palette.get(r["before"],
                                                                                "#555")}),
            "→",
            html.Span(className="wall-swatch", style={"background": palette[r["after"]]}),
            html.Span(t("wall.changes.live", lang) if r["live"] else r["at"],
                      className="wall-muted"),
        ]))
    if len(rows) > limit:
        items.append(html.Div(t("wall.changes.more", lang, n=len(rows) - limit),
                              className="wall-muted"))
    return items


def lead_label(category: str, township: str, lang: str) -> str:
    """What a public screen says of a lead: its kind and township, never its text (which
    names people and households)."""
    kind = t(f"lead.category.{category}", lang) if f"lead.category.{category}" in MESSAGES \
        else t("lead.category.other", lang)
    return t("wall.lead", lang, kind=kind, township=township) if township else kind


def clock_text(open_: bool, minutes: float, lang: str) -> str:
    """A lead's clock: running for so long, or closed after so long."""
    return t("leads.clock.open" if open_ else "leads.clock.closed", lang,
             age=duration(minutes, lang))


def ticker_items(events, lang: str, townships: dict[str, str], alerts=(),
                 checkpoints: dict[str, str] | None = None, instant=None) -> list:
    """The ticker's items (``gridwatch.leads.ticker``), twice over so the scroll loops
    without a jump. Open checkpoint ``alerts`` (``gridwatch.checkpoints``, named from
    ``checkpoints``, read at ``instant``) come first; then orders and notices with their
    titles (public by nature); leads with their kind, township, stage and clock, never their
    text; an overdue lead is an alert."""
    items = []
    for a in alerts:
        label = t("wall.ticker.checkpoint", lang, kind=t(f"checkpoint.alert.{a.kind}", lang))
        items.append(html.Span(className=f"wall-tick wall-tick-alert wall-tick-cp-{a.kind}",
                               children=[html.B(f"【{label}】"),
                                         (checkpoints or {}).get(a.checkpoint, a.checkpoint),
                                         " · " + alert_detail(a, instant, lang),
                                         html.Span(a.opened_at.strftime(" %m-%d %H:%M"),
                                                   className="wall-muted")]))
    for e in events.itertuples():
        lead = e.kind == "lead"
        alert = lead and bool(getattr(e, "overdue", False))
        label = t("wall.ticker.alert" if alert else f"wall.ticker.{e.kind}", lang, ref=e.ref)
        if lead:
            text = lead_label(e.category, townships.get(e.township_code, ""), lang)
            stage = getattr(e, "stage", None)
            if isinstance(stage, str):
                text += (" · " + t(f"leads.stage.{stage}", lang) + " · "
                         + clock_text(bool(e.open), float(e.minutes), lang))
        else:
            text = getattr(e, f"title_{lang}")
        items.append(html.Span(className=f"wall-tick wall-tick-{'alert' if alert else e.kind}",
                               children=[html.B(f"【{label}】"), text,
                                         html.Span(e.at.strftime(" %m-%d %H:%M"),
                                                   className="wall-muted")]))
    return items + [html.Span(i.children, className=i.className) for i in items]


# --- the rotation's panels ---------------------------------------------------------------------

def _dark(fig: go.Figure, screen_height: int) -> go.Figure:
    """Dark chart styling with text sized for the wall's screen height."""
    size = max(14, round(screen_height * 0.017))
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"family": FONT, "size": size},
                      margin={"l": 5 * size, "r": size, "t": 3 * size, "b": 2 * size},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      autosize=True)
    fig.update_xaxes(nticks=8, tickangle=0)
    return fig


def _graph(fig: go.Figure, screen_height: int) -> dcc.Graph:
    return dcc.Graph(figure=_dark(fig, screen_height),
                     config={"displayModeBar": False, "staticPlot": True},
                     className="wall-graph")


def checkpoint_panel(series, lang: str, screen_height: int) -> list:
    """Vehicles and people per day at every checkpoint (``series`` is daily)."""
    x = [d.isoformat()[5:] for d in series.index]
    fig = go.Figure()
    for column, colour in (("vehicles", "#90caf9"), ("people", "#ffcc80")):
        fig.add_scatter(x=x, y=series[column], name=t(f"chart.checkpoints.{column}", lang),
                        mode="lines+markers", line={"width": 4, "color": colour},
                        marker={"size": screen_height // 120})
    return [_graph(fig, screen_height)]


def nodata_graph(lang: str, screen_height: int) -> dcc.Graph:
    """The chart of an empty region: no axes (no made-up days), "no data yet" only."""
    fig = go.Figure(nodata.figure(lang, dark=True))
    fig.update_layout(font={"family": FONT, "size": max(14, round(screen_height * 0.017))})
    fig.layout.annotations[0].font.size = max(18, round(screen_height * 0.022))
    return dcc.Graph(figure=fig, config={"displayModeBar": False, "staticPlot": True},
                     className="wall-graph")


WALL_STAGES = {"completed": "#66bb6a", "in_progress": "#4db6ac", "waiting_grid": "#64b5f6",
               "waiting_township": "#8e9bb5"}
"""Where the day's assignments stand on the wall, left to right: completed, acknowledged and
in progress, waiting on the grid's acknowledgement, waiting on the township's hand-off."""


def task_panel(funnel, towns: dict[str, str], lang: str, screen_height: int) -> list:
    """The day's assignments per township by the stage they stand at (``funnel`` is
    ``gridwatch.tasks.funnel_by_township``), the least completed at the top, with each
    township's overdue count beside its name."""
    if funnel.empty:
        return [html.Div(t("tasks.none", lang), className="wall-empty")]
    parts = {"waiting_township": funnel["published"] - funnel["handed_off"],
             "waiting_grid": funnel["handed_off"] - funnel["acknowledged"],
             "in_progress": funnel["acknowledged"] - funnel["completed"],
             "completed": funnel["completed"]}
    share = (funnel["completed"] / funnel["published"].replace(0, 1)).sort_values(
        ascending=False, kind="stable")
    order = share.index
    late = funnel["overdue"]
    labels = [towns.get(c, c) + (" · " + t("wall.tasks.overdue", lang, n=int(late[c]))
                                 if late[c] else "") for c in order]
    fig = go.Figure()
    for name, colour in WALL_STAGES.items():
        values = parts[name].reindex(order)
        fig.add_bar(x=values, y=labels, orientation="h", name=t(f"wall.tasks.{name}", lang),
                    marker_color=colour, text=[str(int(v)) if v else "" for v in values],
                    textposition="inside", insidetextanchor="middle")
    fig.update_layout(barmode="stack", legend={"traceorder": "normal"})
    fig.update_xaxes(title=t("wall.tasks.axis", lang))
    return [_graph(fig, screen_height)]


def rings_panel(totals: dict, lang: str) -> list:
    """The six rings' county totals on the day, large (already shaped for a public screen)."""
    return [html.Div(className="wall-rings", children=[
        html.Div(className="wall-ring", **{"data-ring": r}, children=[
            html.B(count_text(totals[r]), className="wall-figure"),
            html.Span(t(f"rings.{r}", lang))]) for r in RINGS])]


def focus_panel(a, grid_names, end, lang: str) -> list:
    """Why township ``a`` (a ``TownshipAttention``) needs attention: hot grids, overdue
    tasks and open leads with their age at ``end``."""
    if a is None:
        return [html.Div(t("wall.changes.none", lang))]
    return [
        html.Div(className="wall-focus-figures", children=[
            html.Div(t("wall.focus.hot", lang, red=a.red, orange=a.orange)),
            html.Div(t("wall.focus.overdue", lang, n=a.overdue_tasks)),
            html.Div(t("wall.focus.leads", lang, n=a.open_leads)),
        ]),
        *([html.H3(t("wall.focus.grids", lang)),
           html.Ul([html.Li(grid_names[g]) for g in a.hot_grids[:6]], className="wall-list")]
          if a.hot_grids else []),
        *([html.H3(t("wall.focus.tasks", lang)),
           html.Ul([html.Li(f"{r.code} {getattr(r, f'title_{lang}')}")
                    for r in a.overdue.drop_duplicates("task_id").head(4).itertuples()],
                   className="wall-list")] if a.overdue_tasks else []),
        *([html.H3(t("wall.focus.open_leads", lang)),
           html.Ul([html.Li(f"{r.code} · {lead_label(r.category, '', lang)} · "
                            f"{duration((end - r.reported_at).total_seconds() / 60, lang)}")
                    for r in a.leads.head(4).itertuples()], className="wall-list")]
          if a.open_leads else []),
    ]
