"""The wall: live refresh, change highlights, data-driven rotation, health banner and clock.

The browser asks ``/live`` every couple of seconds (a clientside callback, so a dead server
never throws a callback error); only when the data version changes does the server send new
styles and figures, never geometry.
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs

import pandas as pd
from dash import ClientsideFunction, Dash, Input, Output, Patch, State, no_update

from callbacks import bind
from gridwatch import checkpoints, leads, rings, tasks, timeutil, visibility
from gridwatch.auth.policy import ANONYMOUS
from gridwatch.empty import no_history
from gridwatch.filters import Filters
from gridwatch.i18n import duration, normalise_language, t
from gridwatch.mapview import screen_view
from gridwatch.metrics import (
    attention,
    checkpoint_series,
    colour_changes,
    compute_kpis,
    cutoff,
    latest_events,
    tasks_on_day,
)
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS
from layouts import nodata, wall
from layouts.ids import ID
from layouts.map import grid_code_string, hideouts, legend_children

MAX_ROTATE, MIN_ROTATE = 600, 2
LEGEND_WIDTH = {"zh": 0.24, "en": 0.27}
"""The wall legend's width in each language as a share of the screen height (its text is in
vh): the side of the map the county is fitted clear of."""


def wall_config(source: DataSource, search: str | None, lang: str) -> dict:
    """Rotation period and views from the URL (``?rotate=20&views=checkpoints,tasks,rings,focus``),
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
    sound = source.settings.wall_sound
    raw_sound = query.get("sound", [""])[0]
    if raw_sound in ("on", "off"):
        sound = raw_sound == "on"
    return {
        "rotate": rotate, "views": views, "lang": lang, "sound": sound,
        "highlight_ms": source.settings.wall_highlight_seconds * 1000,
        "timezone": source.settings.timezone,
        "text": {
            "offline": t("wall.offline", lang, since="{since}"),
            "revoked": t("auth.kiosk_revoked", lang),
            "stale": t("wall.stale", lang, limit=duration(stale_after, lang),
                       updated="{updated}"),
        },
    }


def render(source: DataSource, snap: Snapshot, search: str | None, lang: str):
    """The wall page for the latest day of ``snap``."""
    config = wall_config(source, search, lang)
    view = screen_view(snap, Filters(as_of=snap.last_day), source.settings)
    seen = {"c": grid_code_string(view), "version": snap.version, "live": []}
    return wall.layout(snap.region, source.settings, lang, view, config, seen)


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
    """Everything on the wall that follows the data, and the new ``seen`` state.

    ``seen["version"]`` is the version of the data this refresh drew, so a write that lands
    while it runs is picked up by the next poll.
    """
    snap = source.snapshot()
    day, region = snap.last_day, snap.region
    palette = source.settings.palette
    now_ms = now_ms if now_ms is not None else int(clock.time() * 1000)
    now = timeutil.local_now(source.settings.timezone, now_ms)
    view = screen_view(snap, Filters(as_of=day), source.settings, now)
    codes = grid_code_string(view)
    grids = region.grids.sort_values("code")
    live = highlights(seen.get("c", ""), codes, seen.get("live", []),
                      grids["code"].tolist(), grids["township_code"].tolist(), now_ms,
                      source.settings.wall_highlight_seconds * 1000)
    styles = hideouts(view, lang, palette, wall=True,
                      highlights={str(c["k"]): {"until": c["until"], "dir": c["direction"]}
                                  for c in live})
    # a public screen: household-level totals as a role without that right sees them
    # the lead clocks' instant: now while the latest day runs, its end once it is over
    instant = timeutil.instant_for(day, now)
    k = visibility.kpis(leads.kpis_at(compute_kpis(snap, Filters(as_of=day)), instant),
                        ANONYMOUS, source.settings.suppress_below)
    found = [a for a in checkpoints.on_snapshot(snap, day, instant,
                                                checkpoints.Health.of(source.settings)) if a.open]
    shown = found[:TICKER_ALERTS]
    empty = no_history(snap)  # an empty region: "no data yet", not zeros of a made-up day
    today = tasks_on_day(snap, day)
    return {
        "styles": styles,
        "legend": legend_children(view, palette, lang, dark=True),
        "kpis": [nodata.card(region, lang, wall=True)] if empty else
        wall.kpi_tiles(k, today, palette, lang, len(found),
                       with_today(kpi_trend(snap, day, source.settings.suppress_below), k,
                                  today)),
        "changes": wall.change_items(live, colour_changes(snap, day),
                                     region.names("grids", lang),
                                     region.names("townships", lang), palette, lang),
        "alarm": wall.alarm(live, region.names("townships", lang), lang),
        "ticker": wall.ticker_items(
            ticker_events(snap, instant, leads.Sla.of(source.settings), TICKER - len(shown)),
            lang, region.names("townships", lang), shown, region.names("checkpoints", lang),
            instant),
        "as_of": t("nodata.wall_as_of", lang, updated=now.strftime("%H:%M:%S")) if empty
        else t("wall.as_of", lang, day=day.isoformat(), updated=now.strftime("%H:%M:%S")),
        "seen": {"c": codes, "version": snap.version, "live": live, "filled": True},
    }


TREND_DAYS = 14
"""Days of the KPI tiles' sparklines, the latest day included."""


def _trend_values(k, today: dict) -> dict:
    """The sparklines' figures of one day: ``Kpis`` ``k`` as the wall shows them (a figure
    a public screen may not show is None: a gap) and ``tasks_on_day`` figures ``today``."""
    return {
        "colours": dict(k.colour_counts),
        "tasks": {"issued": today["issued"], "completed": today["completed"]},
        "checkpoints": {"vehicles": k.checkpoint_vehicles, "people": k.checkpoint_people},
        "leads": k.open_leads if isinstance(k.open_leads, int) else None,
    }


def kpi_trend(snap: Snapshot, day: date, threshold: int, days: int = TREND_DAYS) -> list[dict]:
    """The wall's KPI figures at the end of each of the ``days - 1`` days before ``day`` (from
    the first day of the history on), oldest first: the same per-day results as the tiles'
    (``compute_kpis``, ``tasks_on_day``, suppressed as on a public screen). Once per snapshot
    and day, and kept by a newer snapshot whose writes reach only ``day`` or later."""
    def compute() -> list[dict]:
        first = max(snap.first_day, day - timedelta(days=days - 1))
        out = []
        for n in range((day - first).days):
            d = first + timedelta(days=n)
            k = visibility.kpis(compute_kpis(snap, Filters(as_of=d)), ANONYMOUS, threshold)
            out.append(_trend_values(k, tasks_on_day(snap, d)))
        return out
    return snap.memo(("wall_trend", day, threshold, days), compute,
                     as_of=day - timedelta(days=1))


def with_today(trend: list[dict], k, today: dict) -> dict:
    """The sparklines' series: the days of ``trend`` (``kpi_trend``) and the latest day as
    the tiles show it now, each figure as a list over the days."""
    rows = [*trend, _trend_values(k, today)]
    out: dict = {}
    for name, value in rows[-1].items():
        if isinstance(value, dict):
            out[name] = {key: [r[name][key] for r in rows] for key in value}
        else:
            out[name] = [r[name] for r in rows]
    return out


TICKER = 12
"""Items on the ticker; open checkpoint alerts take up to ``TICKER_ALERTS`` of them first."""
TICKER_ALERTS = TICKER // 4


def ticker_events(snap: Snapshot, instant: datetime, sla: leads.Sla,
                  limit: int = TICKER) -> pd.DataFrame:
    """The ticker's orders, notices and leads on the latest day, their clocks at
    ``instant``: ``gridwatch.leads.ticker``."""
    events = latest_events(snap, snap.last_day, limit=len(snap.directives) + len(snap.leads))
    return leads.ticker(events, snap.leads, instant, sla, limit,
                        leads.clocks_on(snap, instant, sla))


def rotation_views(snap: Snapshot, views: list[str]) -> list[str]:
    """The views this cycle shows: ``focus`` becomes one view per township needing
    attention (quiet townships are skipped). An empty region shows one view, which says
    "no data yet" (rings of zeros would look like figures)."""
    if no_history(snap):
        return ["checkpoints"]
    expanded = []
    for view in views:
        if view == "focus":
            expanded += [f"focus:{a.code}" for a in attention(snap, snap.last_day)]
        else:
            expanded.append(view)
    return expanded or ["checkpoints"]


def panel(snap: Snapshot, view: str, lang: str, screen_height: int = 1080,
          threshold: int = 5, instant: datetime | None = None,
          screen_width: int | None = None) -> tuple[str, list, list | None, str | None]:
    """One rotation view: its title, content, the map bounds to show, and the township to
    outline (for a focus view). Household-level figures as a role without that right sees
    them, ``threshold`` the suppression's (a public screen); the tasks at ``instant`` (the
    latest day's, its end by default)."""
    day, region = snap.last_day, snap.region
    towns = region.names("townships", lang)
    if view == "checkpoints" and no_history(snap):
        return (t("wall.view.checkpoints", lang),
                [wall.nodata_graph(lang, screen_height)], region.bounds, None)
    if view == "checkpoints":
        series = checkpoint_series(snap, Filters(as_of=day)).tail(14)
        return (t("wall.view.checkpoints", lang),
                wall.checkpoint_panel(series, lang, screen_height), region.bounds, None)
    if view == "rings":
        every = region.townships["code"]
        table = rings.by_township(snap, region.grids["code"], every, day)
        _rows, totals = visibility.rings_for(ANONYMOUS, table, rings.totals(table), threshold)
        return t("wall.view.rings", lang), wall.rings_panel(totals, lang), region.bounds, None
    if view == "tasks":
        at, since = instant or cutoff(day), datetime.combine(day, time())
        funnel = tasks.funnel_by_township(snap.assignments, region.grids["code"], at, since,
                                          tasks.stages_on(snap, at, since))
        return (t("wall.view.tasks", lang), wall.task_panel(funnel, towns, lang, screen_height,
                                wall.task_rows(screen_width, screen_height)),
                region.bounds, None)
    code = view.split(":", 1)[1]
    found = [a for a in attention(snap, day) if a.code == code]
    if not found:
        return towns.get(code, code), wall.focus_panel(None, {}, None, lang), None, None
    body = wall.focus_panel(found[0], region.names("grids", lang), cutoff(day), lang)
    return t("wall.view.focus", lang, township=towns[code]), body, \
        region.township_bounds(code), code


def refresh_wall(source: DataSource, health: dict | None, seen: dict | None,
                 lang: str | None) -> dict:
    """New health news (a new data version) or an expired highlight → the wall's live parts."""
    lang = normalise_language(lang)
    seen = seen or {}
    version_changed = bool(health) and health.get("version") != seen.get("version")
    expired = any(c["until"] <= clock.time() * 1000 for c in seen.get("live", []))
    # The page is born with map styles but empty panels: the first pass fills them.
    if health and not version_changed and not expired and seen.get("filled"):
        return dict.fromkeys(REFRESH_OUTPUTS, no_update)
    out = refresh(source, seen, lang)
    styles = out.pop("styles")
    out["alarm"], out["alarm_hidden"] = out.pop("alarm")
    return {**out, "grids": styles["grids"], "townships": styles["townships"],
            "labels": styles["labels"], "checkpoints": styles["checkpoints"],
            "hotspots": styles["hotspots"]}


def focused(code: str | None) -> Patch:
    """The township layer's hideout with the focus view's township (``focus``: drawn bright
    and thick by ``assets/map.js``), or none; the rest of the hideout is left as it is."""
    townships = Patch()
    townships["focus"] = code
    return townships


def rotate_wall(source: DataSource, step: dict | None, config: dict, lang: str | None) -> dict:
    """The rotation ticks → the next panel, and the map flies to what it is about."""
    lang = normalise_language(lang)
    snap = source.snapshot()
    views = rotation_views(snap, config["views"])
    step = step or {}
    n = (step.get("n") or 0) % len(views)
    title, body, bounds, focus = panel(
        snap, views[n], lang, int(step.get("h") or 1080), source.settings.suppress_below,
        timeutil.instant_in(snap.last_day, source.settings.timezone),
        int(step.get("w") or 1920))
    # the legend's side of the map is kept clear, so it covers no township or label
    h = int(step.get("h") or 1080)
    viewport = {"bounds": bounds or snap.region.bounds, "transition": "flyToBounds",
                "options": {"paddingTopLeft": [40, 40],
                            "paddingBottomRight": [round(LEGEND_WIDTH[lang] * h) + 40, 40],
                            "duration": 1.2}}
    return {"title": title, "panel": body, "step": wall.rotation_step(n, len(views), lang),
            "viewport": viewport,
            "focus": focused(focus)}


REFRESH_OUTPUTS = {
    "grids": Output(ID.WALL_GRIDS, "hideout"), "townships": Output(ID.WALL_TOWNSHIPS, "hideout"),
    "labels": Output(ID.WALL_LABELS, "hideout"),
    "checkpoints": Output(ID.WALL_CHECKPOINTS, "hideout"),
    "hotspots": Output(ID.WALL_HOTSPOTS, "hideout"),
    "legend": Output(ID.WALL_LEGEND, "children"), "kpis": Output(ID.WALL_KPIS, "children"),
    "changes": Output(ID.WALL_CHANGES, "children"), "ticker": Output(ID.WALL_TICKER, "children"),
    "as_of": Output(ID.WALL_AS_OF, "children"), "seen": Output(ID.WALL_SEEN, "data"),
    "alarm": Output(ID.WALL_ALARM, "children"), "alarm_hidden": Output(ID.WALL_ALARM, "hidden"),
}


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
        State(ID.WALL_HEALTH, "data"), State(ID.WALL_CONFIG, "data"))
    app.clientside_callback(
        ClientsideFunction("gridwatchWall", "clock"),
        Output(ID.WALL_CLOCK, "children"), Input(ID.WALL_CLOCK_TICK, "n_intervals"),
        State(ID.WALL_CONFIG, "data"))

    bind(app, source, refresh_wall, output=REFRESH_OUTPUTS,
         inputs={"health": Input(ID.WALL_LIVE, "data"), "seen": State(ID.WALL_SEEN, "data"),
                 "lang": State(ID.LANG, "data")})
    bind(app, source, rotate_wall,
         output={"title": Output(ID.WALL_PANEL_TITLE, "children"),
                 "panel": Output(ID.WALL_PANEL, "children"),
                 "step": Output(ID.WALL_PANEL_STEP, "children"),
                 "viewport": Output(ID.WALL_MAP, "viewport"),
                 "focus": Output(ID.WALL_TOWNSHIPS, "hideout", allow_duplicate=True)},
         inputs={"step": Input(ID.WALL_STEP, "data"), "config": State(ID.WALL_CONFIG, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call="initial_duplicate")
