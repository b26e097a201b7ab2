"""The three charts (bound with the other panels, ``callbacks.panels``) and their data as CSV
(formula-safe, as every CSV the app writes)."""

from __future__ import annotations

import base64

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks import bind
from gridwatch.empty import no_history
from gridwatch.export.tables import chart_frame, safe_csv
from gridwatch.filters import Filters
from gridwatch.i18n import normalise_language
from gridwatch.metrics import checkpoint_series, colour_composition, task_completion_by_township
from gridwatch.service import DataSource
from layouts import charts, nodata
from layouts.ids import ID

CHART_CSV = {ID.TASK_CSV: "tasks", ID.CHECKPOINT_CSV: "checkpoints", ID.COLOUR_CSV: "colours"}
"""Each chart's CSV button and the table behind it (``gridwatch.export.tables.chart_frame``)."""


def update_task_chart(source: DataSource, filters: dict, version: str | None,
                      lang: str) -> dict:
    """Filters or data change → task completion by township."""
    snap = source.snapshot()
    if no_history(snap):
        return {"figure": nodata.figure(lang)}
    table = task_completion_by_township(snap, Filters.from_dict(filters))
    return {"figure": charts.task_completion(table, snap.region.names("townships", lang), lang)}


def update_checkpoint_chart(source: DataSource, filters: dict, checkpoint: str | None,
                            version: str | None, lang: str) -> dict:
    """Filters, the chosen checkpoint or data change → daily checkpoint throughput."""
    snap = source.snapshot()
    if no_history(snap):
        return {"figure": nodata.figure(lang)}
    series = checkpoint_series(snap, Filters.from_dict(filters), checkpoint)
    return {"figure": charts.checkpoint_throughput(series, lang)}


def update_colour_chart(source: DataSource, filters: dict, version: str | None,
                        lang: str) -> dict:
    """Filters or data change → grids per colour per day."""
    snap = source.snapshot()
    if no_history(snap):
        return {"figure": nodata.figure(lang)}
    table = colour_composition(snap, Filters.from_dict(filters))
    return {"figure": charts.colour_composition(table, source.settings.palette, lang)}


def chart_csv(source: DataSource, which: str, filters: dict | None, checkpoint: str | None,
              lang: str) -> dict:
    """The data behind one chart (``tasks``, ``checkpoints`` or ``colours``) as a
    ``dcc.Download`` file: the server's CSV (UTF-8 with BOM, text cells that a spreadsheet
    would run as formulas neutralised, ``safe_csv``), with the checkpoint the chart shows."""
    snap = source.snapshot()
    chosen = Filters.from_dict(filters)
    if which == "checkpoints":
        table = checkpoint_series(snap, chosen, checkpoint if isinstance(checkpoint, str)
                                  else None)
    else:
        table = chart_frame(snap, chosen, which, normalise_language(lang))
    day = (chosen.as_of or snap.last_day).isoformat()
    return {"content": base64.b64encode(safe_csv(table, index=True)).decode("ascii"),
            "base64": True, "filename": f"{which}_{day}.csv", "type": "text/csv"}


def download_chart_csv(source: DataSource, tasks: int | None, checkpoints: int | None,
                       colours: int | None, filters: dict | None, checkpoint: str | None,
                       lang: str, triggered: str | None = None) -> dict:
    """A chart's CSV button → its data as a formula-safe CSV file (``triggered``: the button,
    when called outside a Dash request)."""
    which = CHART_CSV.get(triggered or ctx.triggered_id)
    if which is None:
        return {"download": no_update}
    return {"download": chart_csv(source, which, filters, checkpoint, lang)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, download_chart_csv, output={"download": Output(ID.CHART_DOWNLOAD, "data")},
         inputs={"tasks": Input(ID.TASK_CSV, "n_clicks"),
                 "checkpoints": Input(ID.CHECKPOINT_CSV, "n_clicks"),
                 "colours": Input(ID.COLOUR_CSV, "n_clicks"), "filters": State(ID.FILTERS, "data"),
                 "checkpoint": State(ID.CHECKPOINT_PICK, "value"),
                 "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
