"""The three charts and their data as CSV."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.filters import Filters
from gridwatch.metrics import checkpoint_series, colour_composition, task_completion_by_township
from gridwatch.service import DataSource
from layouts import charts
from layouts.ids import ID


def update_task_chart(source: DataSource, filters: dict, version: str | None,
                      lang: str) -> dict:
    """Filters or data change → task completion by township."""
    snap = source.snapshot()
    table = task_completion_by_township(snap, Filters.from_dict(filters))
    return {"figure": charts.task_completion(table, snap.region.names("townships", lang), lang)}


def update_checkpoint_chart(source: DataSource, filters: dict, checkpoint: str | None,
                            version: str | None, lang: str) -> dict:
    """Filters, the chosen checkpoint or data change → daily checkpoint throughput."""
    series = checkpoint_series(source.snapshot(), Filters.from_dict(filters), checkpoint)
    return {"figure": charts.checkpoint_throughput(series, lang)}


def update_colour_chart(source: DataSource, filters: dict, version: str | None,
                        lang: str) -> dict:
    """Filters or data change → grids per colour per day."""
    table = colour_composition(source.snapshot(), Filters.from_dict(filters))
    return {"figure": charts.colour_composition(table, source.settings.palette, lang)}


def register(app: Dash, source: DataSource) -> None:
    common = {"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
              "lang": State(ID.LANG, "data")}
    bind(app, source, update_task_chart, output={"figure": Output(ID.TASK_CHART, "figure")},
         inputs=common)
    bind(app, source, update_checkpoint_chart,
         output={"figure": Output(ID.CHECKPOINT_CHART, "figure")},
         inputs={**common, "checkpoint": Input(ID.CHECKPOINT_PICK, "value")})
    bind(app, source, update_colour_chart, output={"figure": Output(ID.COLOUR_CHART, "figure")},
         inputs=common)
