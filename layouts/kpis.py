"""KPI tiles: large figures, a label, and what changed."""

from __future__ import annotations

from dash import html

from gridwatch.i18n import duration, t
from gridwatch.metrics import Kpis
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from gridwatch.visibility import count_text


def _delta(n: int) -> html.Span:
    cls = "gw-delta-up" if n > 0 else "gw-delta-down" if n < 0 else "gw-delta-flat"
    return html.Span(f"{n:+d}" if n else "±0", className=f"gw-delta {cls}")


def tiles(k: Kpis, palette: dict[str, str], lang: str) -> list:
    """The tiles for ``k``; each tile has a ``data-kpi`` attribute tests and the wall can read."""
    colour_tile = html.Div(className="gw-tile gw-tile-colours", **{"data-kpi": "colours"},
                           children=[
        html.Div(t("kpi.grids", lang), className="gw-tile-label"),
        html.Div(className="gw-colour-counts", children=[
            html.Div(className="gw-colour-count", **{"data-colour": c}, children=[
                html.Span(className="gw-swatch", style={"background": palette[c]}),
                html.Span(t(f"colour.{c}", lang), className="gw-colour-name"),
                html.B(f"{k.colour_counts[c]:,}", className="gw-figure"),
                _delta(k.colour_deltas[c]),
            ]) for c in COLOURS
        ]),
        html.Div([t("kpi.vs_yesterday", lang), " · ",
                  t("kpi.selected", lang, n=k.grids_selected)], className="gw-tile-note"),
    ])
    level_tile = html.Div(className="gw-tile", **{"data-kpi": "levels"}, children=[
        html.Div(t("kpi.levels", lang), className="gw-tile-label"),
        html.Div(className="gw-level-counts", children=[
            html.Div([html.B(str(k.level_counts[lv]), className="gw-figure"),
                      html.Span(t(f"level.{lv}", lang))], className=f"gw-level gw-level-{lv}",
                     **{"data-level": str(lv)})
            for lv in CONTROL_LEVELS
        ]),
    ])
    rate = "—" if k.response_rate is None else f"{k.response_rate:.0%}"
    task_tile = html.Div(className="gw-tile", **{"data-kpi": "tasks"}, children=[
        html.Div(t("kpi.tasks", lang), className="gw-tile-label"),
        html.Div(className="gw-task-counts", children=[
            html.Div([html.B(f"{k.tasks_issued:,}", className="gw-figure"),
                      html.Span(t("kpi.tasks_issued", lang))], **{"data-task": "issued"}),
            html.Div([html.B(f"{k.tasks_completed:,}", className="gw-figure"),
                      html.Span(t("kpi.tasks_completed", lang))], **{"data-task": "completed"}),
            html.Div([html.B(f"{k.tasks_overdue:,}", className="gw-figure gw-alert"
                             if k.tasks_overdue else "gw-figure"),
                      html.Span(t("kpi.tasks_overdue", lang))], **{"data-task": "overdue"}),
        ]),
        html.Div([t("kpi.response_rate", lang), " ", html.B(rate, **{"data-task": "rate"}),
                  " · ", t("kpi.tasks_today", lang, n=k.tasks_issued_today)],
                 className="gw-tile-note"),
    ])
    checkpoint_tile = html.Div(className="gw-tile", **{"data-kpi": "checkpoints"}, children=[
        html.Div(t("kpi.checkpoints", lang), className="gw-tile-label"),
        html.Div(className="gw-task-counts", children=[
            html.Div([html.B(f"{k.checkpoint_vehicles:,}", className="gw-figure"),
                      html.Span(t("kpi.vehicles", lang))], **{"data-checkpoint": "vehicles"}),
            html.Div([html.B(f"{k.checkpoint_people:,}", className="gw-figure"),
                      html.Span(t("kpi.people", lang))], **{"data-checkpoint": "people"}),
        ]),
        html.Div(t("kpi.flagged", lang, n=k.checkpoint_flagged), className="gw-tile-note"),
    ])
    lead_tile = html.Div(className="gw-tile", **{"data-kpi": "leads"}, children=[
        html.Div(t("kpi.leads", lang), className="gw-tile-label"),
        html.Div([html.B(count_text(k.open_leads), className="gw-figure gw-alert"
                         if k.open_leads else "gw-figure"), html.Span(t("kpi.open_leads", lang))],
                 **{"data-lead": "open"}),
        html.Div([t("kpi.oldest", lang, age=duration(k.oldest_open_lead_minutes, lang))
                  if k.open_leads else "",
                  html.Br() if k.open_leads else "",
                  t("kpi.median_close", lang, age=duration(k.median_close_minutes, lang))],
                 className="gw-tile-note"),
    ])
    isolation_tile = html.Div(className="gw-tile", **{"data-kpi": "isolation"}, children=[
        html.Div(t("kpi.home_isolation", lang), className="gw-tile-label"),
        html.B(count_text(k.home_isolation), className="gw-figure"),
    ])
    return [colour_tile, level_tile, task_tile, checkpoint_tile, lead_tile, isolation_tile]
