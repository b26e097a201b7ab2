"""The wall: live refresh, change highlights, data-driven rotation, health banner and clock.

The browser asks ``/healthz`` every couple of seconds (a clientside callback, so a dead server
never throws a callback error); only when the data version changes does the server send new
styles and figures, never geometry.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update

from gridwatch.filters import Filters
from gridwatch.i18n import duration, normalise_language, t
from gridwatch.metrics import (
    attention,
    checkpoint_series,
    colour_changes,
    compute_kpis,
    cutoff,
    latest_events,
    task_completion_by_township,
    tasks_on_day,
)
from gridwatch.service import DataSource
from gridwatch.store.models import COLOURS
from layouts import wall
from layouts.charts import FONT
from layouts.ids import ID
from layouts.map import legend_children, map_styles

MAX_ROTATE, MIN_ROTATE = 600, 2


def wall_config(source: DataSource, search: str | None, lang: str) -> dict:
    """Rotation period and views from the URL (``?rotate=20&views=checkpoints,tasks,focus``),
    plus what the browser needs to word its banners. A value the wall cannot use falls back to
    the default: an unattended screen has nobody to read an error."""
    query = parse_qs((search or "").lstrip("?"))
    rotate = source.settings.wall_rotate_seconds
    raw = query.get("rotate", [""])[0]
    if raw.isdigit() and MIN_ROTATE <= int(raw) <= MAX_ROTATE:
        rotate = int(raw)
    views = list(wall.VIEWS)
    if "views" in query:
        views = [v for v in query["views"][0].split(",") if v in wall.VIEWS] or views
    stale_after = source.settings.stale_after_minutes
    return {
        "rotate": rotate, "views": views, "lang": lang,
        "highlight_ms": source.settings.wall_highlight_seconds * 1000,
        "timezone": source.settings.timezone,
        "text": {
            "offline": t("wall.offline", lang, since="{since}"),
            "stale": t("wall.stale", lang, limit=duration(stale_after, lang),
                       updated="{updated}"),
        },
    }


def render(source: DataSource, search: str | None, lang: str):
    """The wall page for the latest day."""
    frames, region = source.frames(), source.region()
    config = wall_config(source, search, lang)
    filters = Filters(as_of=frames.last_day)
    styles = map_styles(frames, region, filters, lang, source.settings.palette)
    styles["townships"]["vscale"] = 1.6
    styles["checkpoints"]["vscale"] = 1
    seen = {"c": styles["grids"]["c"], "version": source.version(), "live": []}
    return wall.layout(region, source.settings, lang, styles, config, seen)


def highlights(previous: str, current: str, live: list[dict], codes: list[str],
               townships: list[str], now_ms: int, keep_ms: int) -> list[dict]:
    """Live changes: grids whose colour differs from what the wall showed before, added to the
    ones still within their highlight time (newest first)."""
    fresh = []
    for k, (before, after) in enumerate(zip(previous, current, strict=False)):
        if before != after and after.isdigit():
            b = int(before) if before.isdigit() else len(COLOURS)
            fresh.append({"code": codes[k], "k": k, "township_code": townships[k],
                          "before": COLOURS[b] if b < len(COLOURS) else None,
                          "after": COLOURS[int(after)], "direction": 1 if int(after) < b else -1,
                          "until": now_ms + keep_ms})
    fresh_codes = {c["code"] for c in fresh}
    kept = [c for c in live if c["until"] > now_ms and c["code"] not in fresh_codes]
    return fresh + kept


def refresh(source: DataSource, seen: dict, lang: str, now_ms: int | None = None) -> dict:
    """Everything on the wall that follows the data, and the new ``seen`` state."""
    frames, region = source.frames(), source.region()
    day = frames.last_day
    palette = source.settings.palette
    styles = map_styles(frames, region, Filters(as_of=day), lang, palette)
    grids = region.grids.sort_values("code")
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    live = highlights(seen.get("c", ""), styles["grids"]["c"], seen.get("live", []),
                      grids["code"].tolist(), grids["township_code"].tolist(), now_ms,
                      source.settings.wall_highlight_seconds * 1000)
    styles["grids"]["hl"] = {str(c["k"]): {"until": c["until"], "dir": c["direction"]}
                             for c in live}
    styles["townships"]["vscale"] = 1.6
    styles["checkpoints"]["vscale"] = 1
    k = compute_kpis(frames, region, Filters(as_of=day))
    names = dict(zip(grids["code"], grids[f"name_{lang}"], strict=True))
    towns = dict(zip(region.townships["code"], region.townships[f"name_{lang}"], strict=True))
    return {
        "styles": styles,
        "legend": legend_children(styles["legend"], styles["outside"], palette, lang),
        "kpis": wall.kpi_tiles(k, tasks_on_day(frames, day), palette, lang),
        "changes": wall.change_items(live, colour_changes(frames, region, day), names, towns,
                                     palette, lang),
        "ticker": wall.ticker_items(latest_events(frames, day), lang),
        "as_of": t("wall.as_of", lang, day=day.isoformat(),
                   updated=datetime.fromtimestamp(now_ms / 1000, ZoneInfo(
                       source.settings.timezone)).strftime("%H:%M:%S")),
        "seen": {"c": styles["grids"]["c"], "version": source.version(), "live": live,
                 "filled": True},
    }


def rotation_views(source: DataSource, views: list[str]) -> list[str]:
    """The views this cycle shows: ``focus`` becomes one view per township needing
    attention (quiet townships are skipped)."""
    frames, region = source.frames(), source.region()
    expanded = []
    for view in views:
        if view == "focus":
            expanded += [f"focus:{a.code}" for a in attention(frames, region, frames.last_day)]
        else:
            expanded.append(view)
    return expanded or ["checkpoints"]


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


def panel(source: DataSource, view: str, lang: str,
          screen_height: int = 1080) -> tuple[str, list, list | None, str | None]:
    """One rotation view: its title, content, the map bounds to show, and the township to
    outline (for a focus view)."""
    frames, region = source.frames(), source.region()
    day = frames.last_day
    towns = dict(zip(region.townships["code"], region.townships[f"name_{lang}"], strict=True))
    if view == "checkpoints":
        series = checkpoint_series(frames, region, Filters(as_of=day)).tail(14)
        x = [d.isoformat()[5:] for d in series.index]
        fig = go.Figure()
        fig.add_scatter(x=x, y=series["vehicles"], name=t("chart.checkpoints.vehicles", lang),
                        mode="lines+markers", line={"width": 4, "color": "#90caf9"},
                        marker={"size": screen_height // 120})
        fig.add_scatter(x=x, y=series["people"], name=t("chart.checkpoints.people", lang),
                        mode="lines+markers", line={"width": 4, "color": "#ffcc80"},
                        marker={"size": screen_height // 120})
        graph = _graph(_dark(fig, screen_height))
        return t("wall.view.checkpoints", lang), [graph], region.bounds, None
    if view == "tasks":
        table = task_completion_by_township(frames, region, Filters(as_of=day))
        total = table.sum(axis=1).replace(0, 1)
        done = (table["on_time"] + table["late"]) / total
        order = done.sort_values()
        fig = go.Figure(go.Bar(x=(order * 100).round(1), y=[towns[c] for c in order.index],
                               orientation="h", marker_color="#66bb6a",
                               text=[f"{v:.0%}" for v in order], textposition="inside"))
        fig.update_xaxes(range=[0, 100], title=t("wall.completion", lang) + " %")
        return t("wall.view.tasks", lang), [_graph(_dark(fig, screen_height))], region.bounds, None
    code = view.split(":", 1)[1]
    found = [a for a in attention(frames, region, day) if a.code == code]
    if not found:
        return towns.get(code, code), [html.Div(t("wall.changes.none", lang))], None, None
    a = found[0]
    names = region.grids.set_index("code")[f"name_{lang}"]
    end = cutoff(day)
    body = [
        html.Div(className="wall-focus-figures", children=[
            html.Div(t("wall.focus.hot", lang, red=a.red, orange=a.orange)),
            html.Div(t("wall.focus.overdue", lang, n=a.overdue_tasks)),
            html.Div(t("wall.focus.leads", lang, n=a.open_leads)),
        ]),
        *([html.H3(t("wall.focus.grids", lang)),
           html.Ul([html.Li(names[g]) for g in a.hot_grids[:6]], className="wall-list")]
          if a.hot_grids else []),
        *([html.H3(t("wall.focus.tasks", lang)),
           html.Ul([html.Li(f"{r.code} {getattr(r, f'title_{lang}')}")
                    for r in a.overdue.drop_duplicates("task_id").head(4).itertuples()],
                   className="wall-list")] if a.overdue_tasks else []),
        *([html.H3(t("wall.focus.open_leads", lang)),
           html.Ul([html.Li(f"{getattr(r, f'summary_{lang}')} · "
                            f"{duration((end - r.reported_at).total_seconds() / 60, lang)}")
                    for r in a.leads.head(4).itertuples()], className="wall-list")]
          if a.open_leads else []),
    ]
    return t("wall.view.focus", lang, township=towns[code]), body, \
        region.township_bounds(code), code


def _graph(fig: go.Figure):
    return dcc.Graph(figure=fig, config={"displayModeBar": False, "staticPlot": True},
                     className="wall-graph")


def register(app: Dash, source: DataSource) -> None:
    app.clientside_callback(
        ClientsideFunction("gridwatchWall", "health"),
        Output(ID.WALL_HEALTH, "data"), Input(ID.WALL_TICK, "n_intervals"),
        State(ID.WALL_HEALTH, "data"))
    app.clientside_callback(
        ClientsideFunction("gridwatchWall", "banner"),
        Output(ID.WALL_BANNER, "children"), Output(ID.WALL_BANNER, "hidden"),
        Input(ID.WALL_HEALTH, "data"), State(ID.WALL_CONFIG, "data"))
    app.clientside_callback(  # only a reachable server's news reaches the server callbacks
        ClientsideFunction("gridwatchWall", "live"),
        Output(ID.WALL_LIVE, "data"), Input(ID.WALL_HEALTH, "data"))
    app.clientside_callback(  # no server calls while the server is known to be down
        ClientsideFunction("gridwatchWall", "step"),
        Output(ID.WALL_STEP, "data"), Input(ID.WALL_ROTATE, "n_intervals"),
        State(ID.WALL_HEALTH, "data"))
    app.clientside_callback(
        ClientsideFunction("gridwatchWall", "clock"),
        Output(ID.WALL_CLOCK, "children"), Input(ID.WALL_CLOCK_TICK, "n_intervals"),
        State(ID.WALL_CONFIG, "data"))

    @app.callback(
        Output(ID.WALL_GRIDS, "hideout"), Output(ID.WALL_TOWNSHIPS, "hideout"),
        Output(ID.WALL_LABELS, "hideout"), Output(ID.WALL_CHECKPOINTS, "hideout"),
        Output(ID.WALL_LEGEND, "children"), Output(ID.WALL_KPIS, "children"),
        Output(ID.WALL_CHANGES, "children"), Output(ID.WALL_TICKER, "children"),
        Output(ID.WALL_AS_OF, "children"), Output(ID.WALL_SEEN, "data"),
        Input(ID.WALL_LIVE, "data"), State(ID.WALL_SEEN, "data"), State(ID.LANG, "data"))
    def _refresh(health, seen, lang):
        lang = normalise_language(lang)
        version_changed = bool(health) and health.get("version") != (seen or {}).get("version")
        expired = any(c["until"] <= time.time() * 1000 for c in (seen or {}).get("live", []))
        # The page is born with map styles but empty panels: the first pass fills them.
        if health and not version_changed and not expired and seen.get("filled"):
            return (no_update,) * 10
        out = refresh(source, seen or {}, lang)
        s = out["styles"]
        return (s["grids"], s["townships"], s["labels"], s["checkpoints"], out["legend"],
                out["kpis"], out["changes"], out["ticker"], out["as_of"], out["seen"])

    @app.callback(
        Output(ID.WALL_PANEL_TITLE, "children"), Output(ID.WALL_PANEL, "children"),
        Output(ID.WALL_PANEL_STEP, "children"), Output(ID.WALL_MAP, "viewport"),
        Input(ID.WALL_STEP, "data"), State(ID.WALL_CONFIG, "data"),
        State(ID.LANG, "data"))
    def _rotate(step_data, config, lang):
        lang = normalise_language(lang)
        views = rotation_views(source, config["views"])
        step_data = step_data or {}
        step = (step_data.get("n") or 0) % len(views)
        title, body, bounds, _focus = panel(source, views[step], lang,
                                            int(step_data.get("h") or 1080))
        viewport = {"bounds": bounds or source.region().bounds, "transition": "flyToBounds",
                    "options": {"padding": [40, 40], "duration": 1.2}}
        return title, body, f"{step + 1}/{len(views)}", viewport
