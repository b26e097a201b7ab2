"""The special tasks card (``gridwatch.tasks``): the funnel county → township → grid for the
filters' grids on the day, the same per township, the tasks in play with one opened beside the
list (its grids and their stages), and, for roles that may write, acting on it: a township hands
the task off, a grid acknowledges and completes it; county staff publish a new one."""

from __future__ import annotations

import uuid

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from gridwatch.geo.layers import Region
from gridwatch.i18n import t
from gridwatch.ingest.batches import TASK_SCOPES
from gridwatch.tasks import STAGES
from layouts.card import register_grid, scroll_list, timed_card
from layouts.ids import ID

STAGE_COLOURS = {"published": "#5b6b8c", "handed_off": "#3f7fbf", "acknowledged": "#2f9e8f",
                 "completed": "#3a9d4a"}
LIST_COLUMNS = {"code": 84, "title": None, "issued": 104, "due": 104, "grids": 70,
                "handed_off": 76, "acknowledged": 70, "completed": 70, "overdue": 82,
                "state": 96}
GRID_COLUMNS = {"grid": None, "township": 110, "stage": 90, "handed_off": 104,
                "acknowledged": 104, "completed": 104, "waiting": 96}
DEFAULT_HOURS = 24


def new_token() -> str:
    """A fresh idempotency key for the next action of a form (a double click writes once)."""
    return uuid.uuid4().hex


def card(lang: str, region: Region, can_write: bool, can_publish: bool) -> html.Div:
    """The card; its contents come with the other panels (``callbacks/tasks.py``)."""
    list_columns = [{"field": c, "headerName": t(f"tasks.col.{c}", lang), "sortable": True,
                     "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                     **({"width": w} if w else {"flex": 1, "minWidth": 200,
                                                "tooltipField": c})}
                    for c, w in LIST_COLUMNS.items()]
    grid_columns = [{"field": c, "headerName": t(f"tasks.col.{c}", lang), "sortable": True,
                     "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                     **({"width": w} if w else {"flex": 1, "minWidth": 150})}
                    for c, w in GRID_COLUMNS.items()]
    body = html.Div(className="gw-task-body", children=[
        html.Div(className="gw-task-top", children=[
            dcc.Graph(id=ID.TASK_FUNNEL, config={"displayModeBar": False},
                      className="gw-task-funnel", style={"height": "230px"}),
            scroll_list(t("tasks.title", lang), "gw-task-towns", id=ID.TASK_TOWNS),
        ]),
        dcc.Input(id=ID.TASK_SEARCH, type="search", debounce=False,
                  placeholder=t("tasks.search", lang), className="gw-search"),
        dcc.Store(id=ID.TASK_CHOSEN),
        dcc.Store(id=ID.TASK_TOKEN, data=new_token()),
        html.Div(className="gw-task-split", children=[
            register_grid(ID.TASK_TABLE, list_columns, t("tasks.none", lang), "code",
                          {"gw-task-overdue": "params.data.overdue > 0"}, "gw-task-grid"),
            html.Div(className="gw-task-open", children=[
                html.Div(id=ID.TASK_DETAIL,
                         children=html.P(t("tasks.pick", lang), className="gw-muted")),
                dag.AgGrid(id=ID.TASK_GRIDS, columnDefs=grid_columns, rowData=[],
                           dashGridOptions={"animateRows": False, "rowHeight": 30,
                                            "localeText": {"noRowsToShow": "—"},
                                            **({"rowSelection": {
                                                "mode": "multiRow", "checkboxes": True,
                                                "headerCheckbox": True,
                                                "enableClickSelection": False}}
                                               if can_write else {})},
                           getRowId="params.data.code", style={"height": "220px"},
                           rowClassRules={"gw-task-overdue": "params.data.overdue"},
                           className="ag-theme-alpine gw-task-grid"),
                *actions(lang, can_write),
            ]),
        ]),
        *([publish_form(lang, region)] if can_publish else []),
    ])
    return timed_card("gw-tasks", t("tasks.title", lang), ID.TASK_AS_OF, t("tasks.about", lang),
                      body, count_id=ID.TASK_COUNT)


def actions(lang: str, can_write: bool) -> list:
    """A township hands off (the chosen grids, or all its grids not yet handed off); a grid
    acknowledges and completes the chosen grids. The server checks each row's scope. The
    buttons only for a role that may write (the row stays, empty, for the others)."""
    buttons = [
        html.Button(t("tasks.act.hand_off", lang), id=ID.TASK_HAND_OFF, className="gw-btn"),
        html.Button(t("tasks.act.acknowledge", lang), id=ID.TASK_ACKNOWLEDGE,
                    className="gw-btn"),
        html.Button(t("tasks.act.complete", lang), id=ID.TASK_COMPLETE, className="gw-btn"),
        html.Small(t("tasks.act.hint", lang), className="gw-muted"),
    ] if can_write else []
    return [html.Div(id=ID.TASK_ACTIONS, className="gw-task-actions", hidden=True,
                     children=buttons),
            html.Div(id=ID.TASK_RESULT, className="gw-task-result", role="status")]


def publish_form(lang: str, region: Region) -> html.Details:
    """County staff publish a special task to the county, townships or chosen grids."""
    towns = [{"label": r[f"name_{lang}"], "value": r["code"]}
             for _, r in region.townships.sort_values("code").iterrows()]
    grids = [{"label": f"{r[f'name_{lang}']} · {r[f'village_{lang}']} ({r['code']})",
              "value": r["code"]}
             for _, r in region.grid_table.sort_values("code").iterrows()]
    return html.Details(className="gw-publish", children=[
        html.Summary(t("tasks.publish.title", lang)),
        dcc.Store(id=ID.PUBLISH_TOKEN, data=new_token()),
        html.Div(className="gw-publish-form", children=[
            html.Label(t("tasks.publish.title_zh", lang), htmlFor=ID.PUBLISH_TITLE_ZH),
            dcc.Input(id=ID.PUBLISH_TITLE_ZH, type="text", maxLength=500,
                      className="gw-input"),
            html.Label(t("tasks.publish.title_en", lang), htmlFor=ID.PUBLISH_TITLE_EN),
            dcc.Input(id=ID.PUBLISH_TITLE_EN, type="text", maxLength=500,
                      placeholder=t("tasks.publish.title_en_hint", lang), className="gw-input"),
            html.Label(t("tasks.publish.hours", lang), htmlFor=ID.PUBLISH_HOURS),
            dcc.Input(id=ID.PUBLISH_HOURS, type="number", min=1, max=720, step=1,
                      value=DEFAULT_HOURS, className="gw-input gw-input-short"),
            html.Label(t("tasks.publish.scope", lang), htmlFor=ID.PUBLISH_SCOPE),
            dcc.RadioItems(id=ID.PUBLISH_SCOPE, className="gw-chips", inline=True,
                           value="grids", options=[
                               {"label": t(f"tasks.scope.{s}", lang), "value": s}
                               for s in TASK_SCOPES]),
            html.Label(t("tasks.publish.townships", lang), htmlFor=ID.PUBLISH_TOWNSHIPS),
            dcc.Dropdown(id=ID.PUBLISH_TOWNSHIPS, multi=True, options=towns,
                         placeholder=t("tasks.publish.townships_hint", lang)),
            html.Label(t("tasks.publish.grids", lang), htmlFor=ID.PUBLISH_GRIDS),
            dcc.Dropdown(id=ID.PUBLISH_GRIDS, multi=True, options=grids,
                         placeholder=t("tasks.publish.grids_hint", lang)),
            html.Button(t("tasks.publish.button", lang), id=ID.PUBLISH_BUTTON,
                        className="gw-btn gw-btn-primary"),
            html.Div(id=ID.PUBLISH_RESULT, className="gw-task-result", role="status"),
        ]),
    ])


# --- contents --------------------------------------------------------------------------------

def funnel_figure(counts: dict, lang: str) -> dict:
    """The funnel of assignments, published → handed off → acknowledged → completed (a plain
    figure dict, as the charts are: a plotly ``Figure`` costs more to build than the rest
    of the card)."""
    return {"data": [{
        "type": "funnel", "y": [t(f"tasks.stage.{s}", lang) for s in STAGES],
        "x": [int(counts[s]) for s in STAGES],
        "textinfo": "value+percent initial" if counts["published"] else "value",
        "marker": {"color": [STAGE_COLOURS[s] for s in STAGES]},
        "connector": {"line": {"color": "#c9d1dc"}}, "hoverinfo": "skip"}],
        "layout": {"margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "showlegend": False,
                   "yaxis": {"automargin": True},  # the stage names (a Figure's template)
                   "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                   "font": {"size": 13}, "uirevision": "funnel"}}


def township_table(towns: pd.DataFrame, names: dict[str, str], lang: str) -> list:
    """The funnel per township: counts per stage and overdue, the most overdue first."""
    if towns.empty:
        return [html.P(t("tasks.none", lang), className="gw-muted")]
    head = html.Tr([html.Th(t("tasks.col.township", lang)),
                    *[html.Th(t(f"tasks.stage.{s}", lang), className="gw-num") for s in STAGES],
                    html.Th(t("tasks.col.overdue", lang), className="gw-num")])
    body = [html.Tr(**{"data-township": code}, className="gw-alert-row" if r["overdue"] else "",
                    children=[html.Td(names.get(code, code)),
                              *[html.Td(f"{int(r[s]):,}", className="gw-num") for s in STAGES],
                              html.Td(f"{int(r['overdue']):,}", className="gw-num")])
            for code, r in towns.iterrows()]
    return [html.Table(className="gw-alert-table gw-task-town-table",
                       children=[html.Thead(head), html.Tbody(body)])]


def when(moment) -> str:
    return "" if moment is None or pd.isna(moment) else pd.Timestamp(moment).strftime(
        "%m-%d %H:%M")


def list_rows(table: pd.DataFrame, lang: str) -> list[dict]:
    """The task list's rows (``gridwatch.tasks.task_list``), worded."""
    return [{"code": r["code"], "title": r[f"title_{lang}"], "issued": when(r["issued_at"]),
             "due": when(r["due_at"]), "grids": int(r["grids"]),
             "handed_off": int(r["handed_off"]), "acknowledged": int(r["acknowledged"]),
             "completed": int(r["completed"]), "overdue": int(r["overdue"]),
             "state": t(f"tasks.state.{r['state']}", lang)} for _, r in table.iterrows()]


def grid_rows(table: pd.DataFrame, grids: pd.DataFrame, towns: dict[str, str],
              lang: str) -> list[dict]:
    """One task's grids (``gridwatch.tasks.task_grids``), worded; ``grids`` is the region's
    grid table indexed by code."""
    return [{"code": r["grid_code"],
             "grid": grids.at[r["grid_code"], f"name_{lang}"]
             if r["grid_code"] in grids.index else r["grid_code"],
             "township": towns.get(r["township_code"], r["township_code"]),
             "stage": t(f"tasks.stage.{r['stage']}", lang),
             "handed_off": when(r["handed_off_at"]),
             "acknowledged": when(r["acknowledged_at"]), "completed": when(r["completed_at"]),
             "waiting": t(f"tasks.waiting.{r['waiting']}", lang)
             if isinstance(r["waiting"], str) else "—",
             "overdue": bool(r["overdue"]), "stage_key": r["stage"]}
            for _, r in table.iterrows()]


def detail(task: dict | None, counts: dict | None, lang: str) -> list:
    """The opened task's head: its titles, scope, times and where its grids stand."""
    if task is None:
        return [html.P(t("tasks.gone", lang), className="gw-muted")]
    other = "en" if lang == "zh" else "zh"
    parts = [html.H4(f"{task['code']} · {task[f'title_{lang}']}", **{"data-task": task["code"]}),
             html.P(task[f"title_{other}"], className="gw-muted", lang=other),
             html.P(t("tasks.detail.times", lang, scope=t(f"tasks.scope.{task['scope']}", lang),
                      issued=when(task["issued_at"]), due=when(task["due_at"])))]
    if counts:
        parts.append(html.P(className="gw-task-stages", children=[
            html.Span(t("tasks.detail.stage", lang, stage=t(f"tasks.stage.{s}", lang),
                        n=counts[s]), className=f"gw-task-stage gw-stage-{s}")
            for s in STAGES] + ([html.Span(t("tasks.detail.overdue", lang, n=counts["overdue"]),
                                           className="gw-task-stage gw-stage-overdue")]
                                if counts["overdue"] else [])))
    return parts
