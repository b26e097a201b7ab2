"""A grid's detail: opened by clicking it on the map or in the table."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, html, no_update

from gridwatch.filters import Filters
from gridwatch.i18n import MESSAGES, duration, t
from gridwatch.metrics import cutoff, grid_detail
from gridwatch.service import DataSource
from layouts.ids import ID

LIMIT = 12


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


def detail_children(source: DataSource, code: str, filters: Filters, lang: str) -> list:
    frames, region = source.frames(), source.region()
    detail = grid_detail(frames, region, code, filters.as_of)
    if detail is None:
        return [html.P(t("detail.empty", lang), className="gw-muted")]
    palette = source.settings.palette
    info = detail.info
    end = cutoff(filters.as_of)

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
        done = row.completed_at == row.completed_at and row.completed_at < end
        state = ("task_done" if row.completed_at <= row.due_at else "task_late") if done else (
            "task_overdue" if row.due_at < end else "task_open")
        tasks.append(html.Li([html.Code(row.code), " ", getattr(row, f"title_{lang}"), " ",
                              html.Span(t(f"detail.{state}", lang),
                                        className=f"gw-tag gw-tag-{state}")]))
    leads = []
    for row in detail.leads.head(LIMIT).itertuples():
        closed = row.closed_at == row.closed_at and row.closed_at < end
        age = (row.closed_at - row.reported_at).total_seconds() / 60 if closed else None
        leads.append(html.Li([
            html.Span(row.reported_at.strftime("%m-%d %H:%M")), " ",
            getattr(row, f"summary_{lang}"), " ",
            html.Span(t("detail.lead_closed", lang, age=duration(age, lang)) if closed
                      else t("detail.lead_open", lang),
                      className="gw-tag gw-tag-" + ("task_done" if closed else "task_overdue")),
        ]))
    none = [html.Li(t("detail.none", lang), className="gw-muted")]
    return [
        html.H4(info[f"name_{lang}"], **{"data-grid": code}),
        html.Div(f"{info[f'village_{lang}']} · {info[f'township_{lang}']} · {code}",
                 className="gw-muted"),
        html.Div(t("detail.population", lang, p=f"{int(info['population']):,}",
                   h=f"{int(info['households']):,}"), className="gw-muted"),
        html.H5(t("detail.history", lang)),
        html.Ul(history + more(len(detail.history) - LIMIT) or none, className="gw-list"),
        html.H5(t("detail.tasks", lang)),
        html.Ul(tasks + more(len(detail.tasks) - LIMIT) or none, className="gw-list"),
        html.H5(t("detail.leads", lang)),
        html.Ul(leads + more(len(detail.leads) - LIMIT) or none, className="gw-list"),
    ]


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output(ID.DETAIL_GRID, "data"), Input(ID.GRIDS, "clickData"),
                  Input(ID.GRID_TABLE, "cellClicked"), Input(ID.DETAIL_CLOSE, "n_clicks"),
                  prevent_initial_call=True)
    def _choose(map_click, cell_click, _close):
        if ctx.triggered_id == ID.DETAIL_CLOSE:
            return None
        grids = source.region().grids
        codes = dict(zip(grids["code"], grids["township_code"], strict=True))
        chosen = chosen_grid(ctx.triggered_id, map_click, cell_click, codes)
        return chosen if chosen else no_update

    @app.callback(Output(ID.DETAIL, "children"), Output(ID.DETAIL_FILTER, "hidden"),
                  Output(ID.DETAIL_CLOSE, "hidden"), Input(ID.DETAIL_GRID, "data"),
                  Input(ID.FILTERS, "data"), Input(ID.VERSION, "data"), State(ID.LANG, "data"))
    def _detail(chosen, filters, _version, lang):
        if not chosen:
            return [html.P(t("detail.empty", lang), className="gw-muted")], True, True
        return detail_children(source, chosen["code"], Filters.from_dict(filters), lang), \
            False, False
