"""The analyst view's panels (KPI tiles, the three charts, the grid table) in one callback.

A filter change or a new data version changes all of them at once, so they travel in one
request and one answer: one session and version check, one snapshot, one dispatch, instead of
five (the load run, ``bench/load.py``, counts every request of a chain). Each panel is still
its own function (``update_kpis``, ``update_task_chart``, ``update_checkpoint_chart``,
``update_colour_chart``, ``update_table``), called here; choosing a checkpoint redraws only
its chart.
"""

from __future__ import annotations

from collections.abc import Collection

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks import bind
from callbacks.charts import update_checkpoint_chart, update_colour_chart, update_task_chart
from callbacks.kpis import update_kpis
from callbacks.table import update_table
from gridwatch.auth.policy import Principal
from gridwatch.service import DataSource
from layouts.ids import ID


def update_panels(source: DataSource, filters: dict, version: str | None,
                  checkpoint: str | None, lang: str, who: Principal, shown: str | None = None,
                  triggered: Collection[str] | None = None) -> dict:
    """Filters or data change → every panel (the table's rows only if they differ from the
    ones the page holds, ``shown``); the chosen checkpoint alone changes → its chart only
    (``triggered``: the properties that fired, ``"<id>.<property>"``, when called outside a
    Dash request)."""
    common = {"filters": filters, "version": version, "lang": lang}
    answer = {"checkpoints": update_checkpoint_chart(source, checkpoint=checkpoint,
                                                     **common)["figure"]}
    if _only_the_checkpoint(triggered):
        return {"kpis": no_update, "tasks": no_update, "colours": no_update,
                "rows": no_update, "count": no_update, "digest": no_update, **answer}
    table = update_table(source, who=who, shown=shown, **common)
    return {"kpis": update_kpis(source, who=who, **common)["tiles"],
            "tasks": update_task_chart(source, **common)["figure"],
            "colours": update_colour_chart(source, **common)["figure"], **table, **answer}


PICKED = f"{ID.CHECKPOINT_PICK}.value"


def _only_the_checkpoint(triggered: Collection[str] | None) -> bool:
    """Whether the chosen checkpoint alone fired (the renderer merges a pick with a filter or
    version change that came while the request waited, and names the pick first)."""
    if triggered is None:
        triggered = ctx.triggered_prop_ids if ctx.triggered else ()
    return set(triggered) == {PICKED}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_panels,
         output={"kpis": Output(ID.KPIS, "children"),
                 "tasks": Output(ID.TASK_CHART, "figure"),
                 "checkpoints": Output(ID.CHECKPOINT_CHART, "figure"),
                 "colours": Output(ID.COLOUR_CHART, "figure"),
                 "rows": Output(ID.GRID_TABLE, "rowData"),
                 "count": Output(ID.GRID_TABLE_COUNT, "children"),
                 "digest": Output(ID.GRID_TABLE_DIGEST, "data")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "checkpoint": Input(ID.CHECKPOINT_PICK, "value"),
                 "lang": State(ID.LANG, "data"), "shown": State(ID.GRID_TABLE_DIGEST, "data")})
