"""The situation-room wall (``/wall``): dark, full screen, no controls, sized to the viewport."""

from __future__ import annotations

import math
from urllib.parse import quote

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
MIN_TEXT = 0.019
"""The wall's smallest text as a share of the screen height (at least 1.8%, legible at 5 m
on a 55-inch screen; the CSS floor is ``var(--wall-min)``, the same 1.9vh)."""
CHANGES_SENT = 30
"""Rows of the "what changed" list sent to the browser, which shows the whole rows that fit
(assets/wall.js) and counts the rest in its "N more" line."""


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
            *([sound_control(lang)] if config.get("sound") else []),
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
                # how long until the next view: a bar the browser runs over the rotation
                # period, restarted at every step (assets/wall.js)
                html.Div(className="wall-progress", **{"aria-hidden": "true"},
                         children=html.Div(className="wall-progress-bar")),
                html.Div(id=ID.WALL_PANEL, className="wall-panel-body"),
            ]),
            html.Section(className="wall-card wall-changes", children=[
                html.Div(className="wall-card-head", children=[
                    html.H2(t("wall.changes.title", lang))]),
                html.Div(id=ID.WALL_CHANGES, className="wall-changes-body wall-fit"),
            ]),
        ]),
        html.Footer(className="wall-ticker", children=html.Div(id=ID.WALL_TICKER,
                                                               className="wall-ticker-track")),
    ])


def sound_control(lang: str) -> html.Button:
    """The wall's sound switch (shown only when the sound is set on): browsers start sound
    only after a gesture, so the wall asks for one click; assets/wall.js then chimes when the
    wall enters its alarm state."""
    return html.Button(t("wall.sound.enable", lang), className="wall-sound", type="button",
                       **{"data-on": t("wall.sound.on", lang),
                          "data-off": t("wall.sound.enable", lang),
                          "data-unavailable": t("wall.sound.unavailable", lang)})


# --- pieces the callbacks fill in --------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT = 120, 30


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v)


def spark_paths(values: list, low: float, high: float, width: float = SPARK_WIDTH,
                height: float = SPARK_HEIGHT) -> tuple[str, tuple[float, float] | None]:
    """One sparkline's SVG path (``M``/``L``, a new ``M`` after each gap) over ``values``
    (None, or anything not a number: a gap) scaled to ``low``..``high`` (a flat line in the
    middle when they are equal), and its last point."""
    n = len(values)
    points = {}
    for i, v in enumerate(values):
        if _number(v):
            x = width * i / (n - 1) if n > 1 else width / 2
            y = height / 2 if high == low else height - 2 - (height - 4) * (v - low) / (high - low)
            points[i] = (round(x, 1), round(y, 1))
    parts = [("L" if i - 1 in points else "M") + f"{x:g} {y:g}" for i, (x, y) in points.items()]
    return " ".join(parts), (points[max(points)] if points else None)


def sparkline(series: list[tuple[list, str]], shared: bool = True) -> str:
    """A tiny line chart as a ``data:`` URL of an SVG image: each ``(values, colour)`` a line
    over the same days, a missing value (None: no figure, or one a public screen may not
    show) a gap, the last value a dot. ``shared``: one vertical scale for every line (else
    each its own). Lines keep their width however the image is stretched (a share of the
    image's height)."""
    every = [v for values, _ in series for v in values if _number(v)]
    paths = []
    for values, colour in series:
        own = [v for v in values if _number(v)]
        if not own:
            continue
        scale = every if shared else own
        d, last = spark_paths(values, min(scale), max(scale))
        paths.append(f'<path d="{d}" stroke="{colour}"/>')
        paths.append(f'<path class="dot" d="M{last[0]:g} {last[1]:g} l0 0" stroke="{colour}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
           f'preserveAspectRatio="none"><style>path{{fill:none;stroke-width:7vh;'
           f'stroke-linejoin:round;stroke-linecap:round;vector-effect:non-scaling-stroke}}'
           f'.dot{{stroke-width:20vh}}</style>{"".join(paths)}</svg>')
    return "data:image/svg+xml," + quote(svg)


def spark(series: list[tuple[list, str]], lang: str, kind: str) -> html.Img:
    """A tile's sparkline of the last days (``sparkline``)."""
    return html.Img(src=sparkline(series), className=f"wall-spark wall-spark-{kind}",
                    alt=t("wall.spark", lang, n=max((len(v) for v, _ in series), default=0)),
                    **{"data-spark": kind})


def kpi_tiles(k, today: dict, palette: dict[str, str], lang: str,
              checkpoint_alerts: int = 0, trend: dict | None = None) -> list:
    """The wall's KPI tiles from ``Kpis`` ``k`` and ``tasks_on_day`` figures ``today``;
    ``checkpoint_alerts``: the checkpoints' open alerts; ``trend``: the same figures on the
    last days (``callbacks.wall.kpi_trend``), drawn as sparklines."""
    trend = trend or {}

    def line(name: str, key: str | None = None, colour: str = "#90caf9") -> list:
        values = trend.get(name, {}).get(key) if key else trend.get(name)
        return [(values, colour)] if values else []

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
                    *([spark(line("colours", c, palette[c]), lang, f"colour-{c}")]
                      if "colours" in trend else []),
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
            *([spark(line("tasks", "issued", "#90a4ae") + line("tasks", "completed", "#66bb6a"),
                     lang, "tasks")] if "tasks" in trend else []),
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
            *([spark(line("checkpoints", "vehicles", "#90caf9")
                     + line("checkpoints", "people", "#ffcc80"), lang, "checkpoints")]
              if "checkpoints" in trend else []),
        ]),
        html.Div(className="wall-tile", **{"data-kpi": "leads"}, children=[
            html.Div(t("wall.kpi.leads", lang), className="wall-tile-label"),
            html.B(str(k.open_leads), className="wall-figure" + (" wall-alert" if k.open_leads
                                                                  else "")),
            html.Div(t("wall.kpi.oldest", lang, age=duration(k.oldest_open_lead_minutes, lang))
                     if k.open_leads else t("wall.kpi.no_leads", lang),
                     className="wall-tile-note"),
            *([spark(line("leads", colour="#ff8a80"), lang, "leads")] if "leads" in trend
              else []),
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
                 palette: dict[str, str], lang: str, limit: int = CHANGES_SENT) -> list:
    """The "what changed" list: changes seen live first, then today's, riskier first; up to
    ``limit`` rows, then a "N more" line (``data-total``: every change) that the browser
    words and counts from the whole rows it could show (assets/wall.js ``fitLists``)."""
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
        items.append(html.Div(className="wall-change wall-fit-item"
                              + (" is-live" if r["live"] else ""),
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
    items.append(more_line(len(rows), t("wall.changes.more", lang, n="{n}")))
    return items


def more_line(total: int, template: str) -> html.Div:
    """The "N more" line of a list the browser fits to its box: ``total`` items in all,
    ``template`` the words with ``{n}`` for those not shown (filled in by assets/wall.js,
    hidden when every item shows)."""
    return html.Div(className="wall-fit-more wall-muted", hidden=True,
                    **{"data-total": str(total), "data-template": template})


def rotation_step(n: int, total: int, lang: str) -> list:
    """Where the rotation stands: view ``n`` (from 0) of ``total``, as "2/6" and a dot per
    view (the current one lit); the bar under the panel's head shows the time left."""
    return [html.Span(className="wall-dots", **{"aria-hidden": "true"}, children=[
                html.Span(className="wall-dot" + (" is-current" if i == n else ""))
                for i in range(total)]),
            html.Span(t("wall.step", lang, n=n + 1, total=total), className="wall-step-count")]


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

def text_size(screen_height: int) -> int:
    """The wall's chart text in pixels for a screen ``screen_height`` tall: never under the
    wall's floor (``MIN_TEXT``)."""
    return math.ceil(screen_height * MIN_TEXT)


def _dark(fig: go.Figure, screen_height: int) -> go.Figure:
    """Dark chart styling with text sized for the wall's screen height (every text, the bars'
    numbers too, at the wall's floor or larger: a number that does not fit its bar is left
    out rather than shrunk)."""
    size = text_size(screen_height)
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"family": FONT, "size": size},
                      margin={"l": 3 * size, "r": size, "t": round(2.2 * size),
                              "b": round(1.6 * size)},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                              "font": {"size": size}},
                      uniformtext={"minsize": size, "mode": "hide"},
                      autosize=True)
    fig.update_xaxes(nticks=8, tickangle=0, tickfont={"size": size},
                     title_font={"size": size})
    fig.update_yaxes(tickfont={"size": size}, title_font={"size": size}, automargin=True)
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
    fig.update_layout(font={"family": FONT, "size": text_size(screen_height)})
    fig.layout.annotations[0].font.size = max(text_size(screen_height),
                                              round(screen_height * 0.022))
    return dcc.Graph(figure=fig, config={"displayModeBar": False, "staticPlot": True},
                     className="wall-graph")


WALL_STAGES = {"completed": "#66bb6a", "in_progress": "#4db6ac", "waiting_grid": "#64b5f6",
               "waiting_township": "#8e9bb5"}
"""Where the day's assignments stand on the wall, left to right: completed, acknowledged and
in progress, waiting on the grid's acknowledgement, waiting on the township's hand-off."""


def task_rows(screen_width: int | None, screen_height: int) -> int:
    """How many townships the task view's bars can show legibly (a bar and its name at the
    wall's text size) in the rotation panel of a screen this large: the panel is about a
    quarter of the height at 16:9, nearly all of it on a 32:9 wall (assets/wall.css)."""
    size = text_size(screen_height)
    wide = bool(screen_width) and screen_width / screen_height >= 21 / 9
    panel = (0.8 if wide else 0.27) * screen_height
    return max(3, int((panel - 7 * size) // (1.9 * size)))


def task_panel(funnel, towns: dict[str, str], lang: str, screen_height: int,
               rows: int | None = None) -> list:
    """The day's assignments per township by the stage they stand at (``funnel`` is
    ``gridwatch.tasks.funnel_by_township``), the least completed at the top, with each
    township's overdue count beside its name; at most ``rows`` townships (the least
    completed), the axis title counting the others."""
    if funnel.empty:
        return [html.Div(t("tasks.none", lang), className="wall-empty")]
    parts = {"waiting_township": funnel["published"] - funnel["handed_off"],
             "waiting_grid": funnel["handed_off"] - funnel["acknowledged"],
             "in_progress": funnel["acknowledged"] - funnel["completed"],
             "completed": funnel["completed"]}
    share = (funnel["completed"] / funnel["published"].replace(0, 1)).sort_values(
        ascending=False, kind="stable")
    order = share.index
    hidden = max(0, len(order) - rows) if rows else 0
    order = order[hidden:]
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
    axis = t("wall.tasks.axis", lang)
    if hidden:
        axis += t("wall.alarm.separator", lang) + t("wall.tasks.more", lang, n=hidden)
    fig.update_xaxes(title=axis)
    return [_graph(fig, screen_height)]


def rings_panel(totals: dict, lang: str) -> list:
    """The six rings' county totals on the day, large (already shaped for a public screen)."""
    return [html.Div(className="wall-rings", children=[
        html.Div(className="wall-ring", **{"data-ring": r}, children=[
            html.B(count_text(totals[r]), className="wall-figure"),
            html.Span(t(f"rings.{r}", lang))]) for r in RINGS])]


def focus_panel(a, grid_names, end, lang: str) -> list:
    """Why township ``a`` (a ``TownshipAttention``) needs attention: hot grids, overdue
    tasks and open leads with their age at ``end``; each list side by side, whole items only
    and an "N more" line (assets/wall.js ``fitLists``)."""
    if a is None:
        return [html.Div(t("wall.changes.none", lang))]
    tasks = a.overdue.drop_duplicates("task_id") if a.overdue_tasks else None
    lists = []
    if a.hot_grids:
        lists.append(("wall.focus.grids", [grid_names[g] for g in a.hot_grids[:FOCUS_SENT]],
                      len(a.hot_grids)))
    if tasks is not None:
        lists.append(("wall.focus.tasks", [f"{r.code} {getattr(r, f'title_{lang}')}"
                                           for r in tasks.head(FOCUS_SENT).itertuples()],
                      len(tasks)))
    if a.open_leads:
        lists.append(("wall.focus.open_leads",
                      [f"{r.code} · {lead_label(r.category, '', lang)} · "
                       f"{duration((end - r.reported_at).total_seconds() / 60, lang)}"
                       for r in a.leads.head(FOCUS_SENT).itertuples()], len(a.leads)))
    return [
        html.Div(className="wall-focus-figures", children=[
            html.Div(t("wall.focus.hot", lang, red=a.red, orange=a.orange)),
            html.Div(t("wall.focus.overdue", lang, n=a.overdue_tasks)),
            html.Div(t("wall.focus.leads", lang, n=a.open_leads)),
        ]),
        html.Div(className="wall-focus-lists", children=[
            html.Div(className="wall-focus-list", children=[
                html.H3(t(title, lang)),
                html.Div(className="wall-fit wall-list", children=[
                    *[html.Div(item, className="wall-fit-item") for item in items],
                    more_line(total, t("wall.more", lang, n="{n}"))]),
            ]) for title, items, total in lists]),
    ]


FOCUS_SENT = 12
"""Items of each focus list sent to the browser (it shows those that fit)."""
