"""A grid's detail: opened by clicking it on the map or in the table."""

from __future__ import annotations

from datetime import datetime

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from callbacks import bind
from gridwatch import leads, proxy, rings, timeutil
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows, covers
from gridwatch.filters import Filters
from gridwatch.metrics import grid_detail
from gridwatch.service import DataSource
from layouts import detail as panel
from layouts.ids import ID
from web.auth import client_address


def chosen_grid(trigger, map_click: dict | None, cell_click: dict | None,
                region_codes: dict[str, str]) -> dict | None:
    """``{"code", "township_code"}`` of the grid just clicked, or None when closed."""
    code = None
    if trigger == ID.GRIDS and map_click:
        code = (map_click.get("properties") or {}).get("code")
    elif trigger == ID.GRID_TABLE and cell_click:
        code = cell_click.get("rowId")
    if code not in region_codes:
        return None
    return {"code": code, "township_code": region_codes[code]}


def choose_grid(source: DataSource, map_click: dict | None, cell_click: dict | None,
                close: int | None) -> dict:
    """A click on a grid (map or table) or on close → the chosen grid."""
    if ctx.triggered_id == ID.DETAIL_CLOSE:
        return {"grid": None}
    grids = source.region().grids
    codes = dict(zip(grids["code"], grids["township_code"], strict=True))
    chosen = chosen_grid(ctx.triggered_id, map_click, cell_click, codes)
    return {"grid": chosen if chosen else no_update}


def show_detail(source: DataSource, chosen: dict | None, filters: dict, version: str | None,
                lang: str, who: Principal, context: dict | None = None,
                now: datetime | None = None) -> dict:
    """The chosen grid, or the filters' day or data while it is open (``context``) change →
    the detail panel, with lead texts and exact household counts only for a caller allowed
    them there (and that read audited)."""
    code = chosen.get("code") if isinstance(chosen, dict) else None
    if not isinstance(code, str):
        return {"panel": panel.empty(lang), "filter_hidden": True, "close_hidden": True}
    day = Filters.from_dict(filters).as_of
    detail = grid_detail(source.snapshot(), code, day)
    personal = detail is not None and covers(who, "personal", detail.info["township_code"],
                                             detail.info["village_code"])
    if personal and not detail.leads.empty:
        audit_personal_read(source.writer, who, "grid", code, client_address(),
                            {"leads": len(detail.leads)})
    return {"panel": panel.detail_children(detail, source.settings.palette, lang,
                                           personal=personal,
                                           threshold=source.settings.suppress_below,
                                           records=allows(who, "records"),
                                           lead_clocks=_clocks(source, detail, day, now),
                                           proxy=_proxy(source, detail, day, now),
                                           rings=None if detail is None else rings.for_grid(
                                               source.snapshot(), detail.code, day)),
            "filter_hidden": False, "close_hidden": False}


def _clocks(source: DataSource, detail, day, now: datetime | None):
    """The grid's leads at the day's instant (now while it runs): ``gridwatch.leads``."""
    if detail is None:
        return None
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    return leads.clocks(detail.leads, instant, leads.Sla.of(source.settings))


def _proxy(source: DataSource, detail, day, now: datetime | None) -> dict | None:
    """The grid's red-proxy figures at the day's instant: ``gridwatch.proxy``."""
    if detail is None:
        return None
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    return proxy.for_grid(source.snapshot().proxy, detail.code, day, instant)


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, choose_grid, output={"grid": Output(ID.DETAIL_GRID, "data")},
         inputs={"map_click": Input(ID.GRIDS, "clickData"),
                 "cell_click": Input(ID.GRID_TABLE, "cellClicked"),
                 "close": Input(ID.DETAIL_CLOSE, "n_clicks")},
         prevent_initial_call=True)
    bind(app, source, show_detail,
         output={"panel": Output(ID.DETAIL, "children"),
                 "filter_hidden": Output(ID.DETAIL_FILTER, "hidden"),
                 "close_hidden": Output(ID.DETAIL_CLOSE, "hidden")},
         inputs={"chosen": Input(ID.DETAIL_GRID, "data"),
                 "context": Input(ID.DETAIL_CONTEXT, "data"),
                 "filters": State(ID.FILTERS, "data"), "version": State(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")})
    # The filters or the data change → the detail again, but only while a grid is open
    # (assets/analyst.js): with none open the server hears nothing of it.
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "detailContext"),
                            Output(ID.DETAIL_CONTEXT, "data"),
                            Input(ID.FILTERS, "data"), Input(ID.VERSION, "data"),
                            State(ID.DETAIL_GRID, "data"))
