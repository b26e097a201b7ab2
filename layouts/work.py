"""My work (``/work``): the open special-task assignments where the signed-in writer works,
most urgent first, on a phone screen (375×667 and up): choose one, then hand it off,
acknowledge or complete it with one large button (``callbacks/work.py``)."""

from __future__ import annotations

from dash import dcc, html

from gridwatch.i18n import t
from layouts.ids import ID
from layouts.tasks import new_token, when


def layout(lang: str, other_href: str) -> html.Div:
    return html.Div(className="gw-work", lang=lang, children=[
        html.Header(className="gw-work-head", children=[
            html.H1(t("work.title", lang)),
            html.A(t("app.switch_language", lang), href=other_href, className="gw-lang"),
            html.A(t("work.back", lang), href="/?lang=en" if lang == "en" else "/",
                   className="gw-lang"),
        ]),
        dcc.Store(id=ID.WORK_TOKEN, data=new_token()),
        html.Div(className="gw-work-bar", children=[
            html.Span(id=ID.WORK_COUNT, className="gw-muted"),
            html.Button(t("work.refresh", lang), id=ID.WORK_REFRESH, className="gw-btn"),
        ]),
        html.Div(dcc.RadioItems(id=ID.WORK_LIST, className="gw-work-list", options=[],
                                value=None),
                 **{"data-group-label": t("work.title", lang)}),  # its name (assets/a11y.js)
        html.Div(className="gw-work-actions", children=[
            html.Button(t("tasks.act.hand_off", lang), id=ID.WORK_HAND_OFF,
                        className="gw-btn gw-work-btn"),
            html.Button(t("work.acknowledge", lang), id=ID.WORK_ACKNOWLEDGE,
                        className="gw-btn gw-work-btn"),
            html.Button(t("work.complete", lang), id=ID.WORK_COMPLETE,
                        className="gw-btn gw-work-btn gw-btn-primary"),
        ]),
        html.Div(id=ID.WORK_RESULT, className="gw-task-result", role="status"),
    ])


def options(rows, lang: str) -> list[dict]:
    """One choice per open assignment: its task, grid, stage, due time and whether late."""
    return [{"value": f"{r['code']}|{r['grid_code']}", "label": html.Span(
        className="gw-work-item" + (" is-overdue" if r["overdue"] else ""), children=[
            html.B(f"{r['code']} {r[f'title_{lang}']}"),
            html.Span(r["grid_name"], className="gw-work-grid"),
            html.Span(className="gw-work-meta", children=[
                html.Span(t(f"tasks.stage.{r['stage']}", lang),
                          className=f"gw-task-stage gw-stage-{r['stage']}"),
                html.Span(t("work.due", lang, at=when(r["due_at"]))),
                *([html.Span(t("tasks.state.overdue", lang),
                             className="gw-task-stage gw-stage-overdue")]
                  if r["overdue"] else [])])])}
        for r in rows]
