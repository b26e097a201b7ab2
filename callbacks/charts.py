"""The three charts and their data as CSV."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, State, ctx, no_update

from gridwatch.filters import Filters
from gridwatch.metrics import checkpoint_series, colour_composition, task_completion_by_township
from gridwatch.service import DataSource
from layouts import charts
from layouts.ids import ID


def township_names(source: DataSource, lang: str) -> dict[str, str]:
    towns = source.region().townships
    return dict(zip(towns["code"], towns[f"name_{lang}"], strict=True))


def chart_table(source: DataSource, which: str, filters: Filters, lang: str,
                checkpoint: str | None = None) -> pd.DataFrame:
    """The data behind one chart, as shown."""
    frames, region = source.frames(), source.region()
    if which == "tasks":
        table = task_completion_by_township(frames, region, filters)
        table.insert(0, "township", [township_names(source, lang)[c] for c in table.index])
        return table.rename_axis("township_code")
    if which == "checkpoints":
        return checkpoint_series(frames, region, filters, checkpoint)
    return colour_composition(frames, region, filters)


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output(ID.TASK_CHART, "figure"), Input(ID.FILTERS, "data"),
                  Input(ID.VERSION, "data"), State(ID.LANG, "data"))
    def _tasks(filters, _version, lang):
        table = task_completion_by_township(source.frames(), source.region(),
                                            Filters.from_dict(filters))
        return charts.task_completion(table, township_names(source, lang), lang)

    @app.callback(Output(ID.CHECKPOINT_CHART, "figure"), Input(ID.FILTERS, "data"),
                  Input(ID.CHECKPOINT_PICK, "value"), Input(ID.VERSION, "data"),
                  State(ID.LANG, "data"))
    def _checkpoints(filters, checkpoint, _version, lang):
        series = checkpoint_series(source.frames(), source.region(), Filters.from_dict(filters),
                                   checkpoint)
        return charts.checkpoint_throughput(series, lang)

    @app.callback(Output(ID.COLOUR_CHART, "figure"), Input(ID.FILTERS, "data"),
                  Input(ID.VERSION, "data"), State(ID.LANG, "data"))
    def _colours(filters, _version, lang):
        table = colour_composition(source.frames(), source.region(), Filters.from_dict(filters))
        return charts.colour_composition(table, source.settings.palette, lang)

    @app.callback(Output(ID.CHART_DOWNLOAD, "data"), Input(ID.TASK_CSV, "n_clicks"),
                  Input(ID.CHECKPOINT_CSV, "n_clicks"), Input(ID.COLOUR_CSV, "n_clicks"),
                  State(ID.FILTERS, "data"), State(ID.CHECKPOINT_PICK, "value"),
                  State(ID.LANG, "data"), prevent_initial_call=True)
    def _download(_a, _b, _c, filters, checkpoint, lang):
        which = {ID.TASK_CSV: "tasks", ID.CHECKPOINT_CSV: "checkpoints",
                 ID.COLOUR_CSV: "colours"}.get(ctx.triggered_id)
        if which is None:
            return no_update
        f = Filters.from_dict(filters)
        table = chart_table(source, which, f, lang, checkpoint)
        name = f"{which}_{f.as_of.isoformat()}.csv"
        return {"content": table.to_csv(), "filename": name, "type": "text/csv"}


