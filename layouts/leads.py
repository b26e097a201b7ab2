"""The lead register and a lead's timeline (the rules: ``gridwatch.leads``).

Every role sees a lead's kind, township, stage and clock; the grid it came from only a role
that may see records, and its text only a caller allowed that area's household-level data
(``callbacks/leads.py`` decides, on the server, per request).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from gridwatch.i18n import duration, t
from gridwatch.leads import TIMED, Sla, Step
from layouts.ids import ID
from layouts.tasks import new_token
from layouts.wall import clock_text, lead_label

LATE = "params.data.breached && !params.data.overdue"
COLUMNS = ("code", "reported", "kind", "township", "grid", "stage", "clock", "sla")
# each column's least width (px) and share of the rest: nothing truncated at 1366 px wide
WIDTHS = {"code": (78, 0.6), "reported": (110, 0.6), "kind": (86, 0.8), "township": (116, 1),
          "grid": (120, 1.2), "stage": (112, 0.8), "clock": (140, 1), "sla": (186, 1.2)}


def card(lang: str, sla: Sla, records: bool, can_write: bool = False) -> html.Div:
    """The register (rows from ``rows``) and the timeline beside it, with the actions that
    move the open lead on for a role that may write (``actions``)."""
    columns = []
    for col in COLUMNS:
        if col == "grid" and not records:
            continue
        spec = {"field": col, "headerName": t(f"leads.col.{col}", lang), "sortable": True,
                "minWidth": WIDTHS[col][0], "flex": WIDTHS[col][1],
                "resizable": True, "filter": col in ("kind", "township", "stage", "sla")}
        if col in ("code", "sla"):  # overdue: needs someone now; late: missed a limit
            name = "gw-lead" if col == "code" else "gw-lead-sla"
            spec["cellClassRules"] = {f"{name}-overdue": "params.data.overdue",
                                      f"{name}-late": LATE}
        columns.append(spec)
    return html.Div(className="gw-card gw-leads", children=[
        html.Div(className="gw-card-head", children=[
            html.H3(t("leads.title", lang)),
            html.Span(id=ID.LEAD_COUNT, className="gw-muted"),
            html.Span(id=ID.LEAD_AS_OF, className="gw-muted gw-lead-as-of"),
        ]),
        html.Small(t("leads.sla", lang, a=f"{sla.acknowledge:g}", d=f"{sla.dispatch:g}",
                     c=f"{sla.close:g}"), className="gw-muted gw-lead-limits"),
        dcc.Interval(id=ID.LEAD_CLOCK, interval=60_000, disabled=True),
        dcc.Store(id=ID.LEAD_CHOSEN),
        dcc.Store(id=ID.LEAD_CONTEXT),
        html.Div(className="gw-leads-body", children=[
            dag.AgGrid(id=ID.LEAD_TABLE, columnDefs=columns, rowData=[],
                       dashGridOptions={"animateRows": False, "rowHeight": 30,
                                        "localeText": {"noRowsToShow": t("leads.none", lang)}},
                       getRowId="params.data.code", style={"height": "320px"},
                       className="ag-theme-alpine gw-lead-grid"),
            html.Div(className="gw-lead-side", children=[
                html.Div(id=ID.LEAD_TIMELINE, className="gw-lead-timeline",
                         children=html.P(t("leads.pick", lang), className="gw-muted")),
                *actions(lang, can_write)]),
        ]),
    ])


ACTIONS = {ID.LEAD_ACKNOWLEDGE: "acknowledged", ID.LEAD_ESCALATE: "escalated",
           ID.LEAD_DISPATCH: "dispatched", ID.LEAD_CLOSE: "closed"}
"""Each action button and the stage it records."""


def actions(lang: str, can_write: bool) -> list:
    """Acknowledge, escalate, dispatch and close the open lead, stamped now (closing takes an
    outcome); shown for a lead the writer's scope covers, each button only while its stage
    can come next (``callbacks.leads.next_stages``). The server checks the right, the scope
    and the order again on every click. Nothing for a role that may not write."""
    if not can_write:
        return [dcc.Store(id=ID.LEAD_TOKEN), html.Div(id=ID.LEAD_ACTIONS, hidden=True),
                html.Div(id=ID.LEAD_RESULT, className="gw-task-result", role="status")]
    buttons = [html.Button(t(f"leads.act.{stage}", lang), id=button, className="gw-btn",
                           **{"data-act": stage})
               for button, stage in ACTIONS.items()]
    return [dcc.Store(id=ID.LEAD_TOKEN, data=new_token()),
            html.Div(id=ID.LEAD_ACTIONS, className=actions_class(()), hidden=True, children=[
                *buttons,
                dcc.Textarea(id=ID.LEAD_OUTCOME, maxLength=2000, rows=2,
                             className="gw-lead-outcome",
                             placeholder=t("leads.act.outcome", lang)),
                html.Small(t("leads.act.hint", lang), className="gw-muted")]),
            html.Div(id=ID.LEAD_RESULT, className="gw-task-result", role="status")]


def _at(moment) -> str:
    return moment.strftime("%m-%d %H:%M")


def moment_text(instant: datetime) -> str:
    """An instant as a screen says it; a day's end is that day's 24:00, not the next 00:00."""
    if instant.time() == time() and instant.microsecond == 0:
        return f"{(instant - timedelta(days=1)):%Y-%m-%d} 24:00"
    return instant.strftime("%Y-%m-%d %H:%M")


def instant_text(instant: datetime, running: bool, lang: str) -> str:
    return t("leads.as_of_live" if running else "leads.as_of", lang, at=moment_text(instant))


def sla_text(row, lang: str) -> str:
    """The register's service-level cell: the first stage overdue or late, else whether the
    clock still runs or everything was on time."""
    for wanted, key in (("overdue", "leads.sla.overdue"), ("late", "leads.sla.late")):
        for stage in TIMED:
            if row[f"{stage}_state"] == wanted:
                return t(key, lang, stage=t(f"leads.stage.{stage}", lang))
    return t("leads.sla.running" if row["open"] else "leads.sla.met", lang)


def rows(table: pd.DataFrame, towns: dict[str, str], grids: dict[str, str], lang: str,
         records: bool) -> list[dict]:
    """The register's rows (``gridwatch.leads.register``), worded; the grid only with
    ``records``."""
    out = []
    for _, r in table.iterrows():
        row = {"code": r["code"], "reported": _at(r["reported_at"]),
               "kind": lead_label(r["category"], "", lang),
               "township": towns.get(r["township_code"], r["township_code"]),
               "stage": t(f"leads.stage.{r['stage']}", lang),
               "clock": clock_text(bool(r["open"]), float(r["minutes"]), lang),
               "sla": sla_text(r, lang), "open": bool(r["open"]),
               "breached": bool(r["breached"]), "overdue": bool(r["overdue"])}
        if records:
            row["grid"] = grids.get(r["grid_code"], r["grid_code"])
        out.append(row)
    return out


def timeline_children(lead: pd.Series, steps: list[Step], instant: datetime, running: bool,
                      towns: dict[str, str], grids: dict[str, str], lang: str, *,
                      records: bool, personal: bool) -> list:
    """One lead's stages with their times against the limits; its text only with
    ``personal``, its grid only with ``records``."""
    head = [html.H4(t("leads.timeline", lang, code=lead["code"]), **{"data-lead": lead["code"]}),
            html.Div(" · ".join(filter(None, [
                lead_label(lead["category"], "", lang),
                towns.get(lead["township_code"], lead["township_code"]),
                grids.get(lead["grid_code"], lead["grid_code"]) if records else None])),
                className="gw-muted"),
            html.Div(instant_text(instant, running, lang), className="gw-muted")]
    if not steps:
        return [*head, html.P(t("leads.gone", lang, at=moment_text(instant)),
                              className="gw-muted")]
    items = []
    for step in steps:
        name = t(f"leads.stage.{step.stage}", lang)
        when = (t("leads.step.at", lang, at=_at(step.at), after=duration(step.minutes, lang))
                if step.at is not None else t("leads.step.waiting", lang, stage=name))
        if step.stage == "reported":
            when = _at(step.at)
        items.append(html.Li(className=f"gw-step gw-step-{step.state or 'none'}",
                             **{"data-stage": step.stage, "data-state": step.state or ""},
                             children=[
            html.B(name), " ", html.Span(when),
            *([" · ", html.Span(t("leads.step.limit", lang, limit=f"{step.limit:g}"),
                                className="gw-muted")] if step.limit is not None else []),
            *([" ", html.Span(t(f"leads.state.{step.state}", lang),
                              className=f"gw-tag gw-tag-lead-{step.state}")]
              if step.state else []),
        ]))
    body = [html.Ol(items, className="gw-timeline")]
    if personal:
        body.append(html.P(lead[f"summary_{lang}"] or lead["summary_zh"], className="gw-lead-text"))
        if isinstance(lead.get("outcome"), str) and lead["outcome"]:
            body.append(html.P(t("leads.outcome", lang, text=lead["outcome"]),
                               className="gw-muted"))
    else:
        body.append(html.P(t("leads.text_hidden", lang), className="gw-muted"))
    return head + body


def actions_class(stages) -> str:
    """The actions row's classes: one ``can-<stage>`` per stage that may come next (the
    stylesheet shows only those buttons, and the outcome box with ``can-closed``)."""
    return " ".join(["gw-task-actions", "gw-lead-actions", *(f"can-{s}" for s in stages)])
