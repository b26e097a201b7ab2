"""The analyst view's panels (KPI tiles, the three charts, the grid table, the lead register,
the checkpoint alerts, the red proxy, the six rings, the orders and notices, the article's
figures, the inspections) in one callback.

A filter change or a new data version changes all of them at once, so they travel in one
request and one answer: one session and version check, one snapshot, one dispatch, instead of
five (the load run, ``bench/load.py``, counts every request of a chain). Each panel is still
its own function (``update_kpis``, ``update_task_chart``, ``update_checkpoint_chart``,
``update_colour_chart``, ``update_table``), called here; choosing a checkpoint redraws only
its chart.
"""

from __future__ import annotations

from collections.abc import Collection

from dash import Dash, Input, Output, State, no_update

from callbacks import bind, day_view, fired_props
from callbacks.alerts import checkpoint_alerts
from callbacks.charts import update_checkpoint_chart, update_colour_chart, update_task_chart
from callbacks.command import command_panels
from callbacks.inspection import inspection_panel
from callbacks.kpis import update_kpis
from callbacks.leads import lead_register
from callbacks.proxy import proxy_panel
from callbacks.rings import rings_panel
from callbacks.table import update_table
from callbacks.tasks import task_panels
from gridwatch.auth.policy import Principal, audience
from gridwatch.service import DataSource
from layouts.ids import ID


def update_panels(source: DataSource, filters: dict, version: str | None,
                  checkpoint: str | None, lang: str, who: Principal, shown: str | None = None,
                  tick: int | None = None, triggered: Collection[str] | None = None) -> dict:
    """Filters or data change → every panel (the table's rows only if they differ from the
    ones the page holds, ``shown``); the chosen checkpoint alone changes → its chart only;
    the clock alone ticks (``tick``, while the day runs) → the lead register, the checkpoint
    alerts and the red proxy only.
    ``triggered``: the properties that fired, ``"<id>.<property>"``, when called outside a
    Dash request."""
    common = {"filters": filters, "version": version, "lang": lang}
    fired = fired_props(triggered)
    if fired == {TICKED}:
        return {**dict.fromkeys(PANELS, no_update),
                **lead_register(source, filters, lang, who),
                **checkpoint_alerts(source, filters, lang),
                **proxy_panel(source, filters, lang, who)}

    def chart() -> dict:
        return {"checkpoints": update_checkpoint_chart(source, checkpoint=checkpoint,
                                                       **common)["figure"]}

    if fired == {PICKED}:
        return {**dict.fromkeys(PANELS, no_update), **dict.fromkeys(LEAD_PANELS, no_update),
                **dict.fromkeys(ALERT_PANELS, no_update), **chart()}
    table = update_table(source, who=who, shown=shown, **common)

    def panels() -> dict:
        return {"kpis": update_kpis(source, who=who, **common)["tiles"],
                "tasks": update_task_chart(source, **common)["figure"],
                "colours": update_colour_chart(source, **common)["figure"], **chart(),
                **lead_register(source, filters, lang, who),
                **checkpoint_alerts(source, filters, lang),
                **proxy_panel(source, filters, lang, who),
                **rings_panel(source, filters, lang, who), **task_panels(source, filters, lang)}

    # A day that is over reads the same for every caller of the same audience: its panels are
    # built once per snapshot (``Snapshot.memo_at``); the orders and figures depend on the day
    # alone, the inspection card audits every read of names (``inspection_panel``).
    v = day_view(source, filters)
    return {**v.snap.memo_at(("panels", v.filters, checkpoint, lang, audience(who)),
                             v.instant, panels), **table,
            **v.snap.memo_at(("command_panels", lang), v.instant,
                             lambda: command_panels(source, filters, lang)),
            **inspection_panel(source, filters, lang, who)}


PICKED = f"{ID.CHECKPOINT_PICK}.value"
TICKED = f"{ID.LEAD_CLOCK}.n_intervals"
TASK_PANELS = ("task_funnel", "task_towns", "task_rows", "task_count", "task_as_of")
PANELS = ("kpis", "tasks", "checkpoints", "colours", "rows", "count", "digest",
          "directive_rows", "directive_count", "figures", "inspection", "inspection_as_of",
          "rings", "rings_as_of", *TASK_PANELS)
LEAD_PANELS = ("lead_rows", "lead_count", "lead_as_of", "lead_clock_off")
ALERT_PANELS = ("alert_rows", "alert_count", "alert_as_of", "proxy", "proxy_as_of")
"""What follows the clock: the checkpoint alerts and the red proxy."""


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_panels,
         output={"kpis": Output(ID.KPIS, "children"),
                 "tasks": Output(ID.TASK_CHART, "figure"),
                 "checkpoints": Output(ID.CHECKPOINT_CHART, "figure"),
                 "colours": Output(ID.COLOUR_CHART, "figure"),
                 "rows": Output(ID.GRID_TABLE, "rowData"),
                 "count": Output(ID.GRID_TABLE_COUNT, "children"),
                 "digest": Output(ID.GRID_TABLE_DIGEST, "data"),
                 "lead_rows": Output(ID.LEAD_TABLE, "rowData"),
                 "lead_count": Output(ID.LEAD_COUNT, "children"),
                 "lead_as_of": Output(ID.LEAD_AS_OF, "children"),
                 "lead_clock_off": Output(ID.LEAD_CLOCK, "disabled"),
                 "alert_rows": Output(ID.CHECKPOINT_ALERTS, "children"),
                 "alert_count": Output(ID.CHECKPOINT_ALERT_COUNT, "children"),
                 "alert_as_of": Output(ID.CHECKPOINT_ALERT_AS_OF, "children"),
                 "directive_rows": Output(ID.DIRECTIVE_TABLE, "rowData"),
                 "directive_count": Output(ID.DIRECTIVE_COUNT, "children"),
                 "figures": Output(ID.FIGURES, "children"),
                 "proxy": Output(ID.PROXY, "children"),
                 "proxy_as_of": Output(ID.PROXY_AS_OF, "children"),
                 "inspection": Output(ID.INSPECTION, "children"),
                 "inspection_as_of": Output(ID.INSPECTION_AS_OF, "children"),
                 "rings": Output(ID.RINGS, "children"),
                 "rings_as_of": Output(ID.RINGS_AS_OF, "children"),
                 "task_funnel": Output(ID.TASK_FUNNEL, "figure"),
                 "task_towns": Output(ID.TASK_TOWNS, "children"),
                 "task_rows": Output(ID.TASK_TABLE, "rowData"),
                 "task_count": Output(ID.TASK_COUNT, "children"),
                 "task_as_of": Output(ID.TASK_AS_OF, "children")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "checkpoint": Input(ID.CHECKPOINT_PICK, "value"),
                 "tick": Input(ID.LEAD_CLOCK, "n_intervals"),
                 "lang": State(ID.LANG, "data"), "shown": State(ID.GRID_TABLE_DIGEST, "data")})
