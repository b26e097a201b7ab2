"""The grid table: the filtered grids with their figures."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import grid_table
from gridwatch.service import DataSource
from layouts.ids import ID


def table_rows(source: DataSource, filters: dict, lang: str) -> list[dict]:
    """Rows for the table in ``lang``: names localised, colour and level as words."""
    table = grid_table(source.frames(), source.region(), Filters.from_dict(filters))
    palette = source.settings.palette
    rows = []
    for rec in table.to_dict("records"):
        rows.append({
            "code": rec["code"], "name": rec[f"name_{lang}"], "village": rec[f"village_{lang}"],
            "township": rec[f"township_{lang}"], "township_code": rec["township_code"],
            "level": rec["level"],
            "colour": t(f"colour.{rec['colour']}", lang) if rec["colour"] else
            t("colour.none", lang),
            "colour_hex": palette.get(rec["colour"], "#9e9e9e"), "since": rec["since"],
            **{k: rec[k] for k in ("population", "households", "home_isolation",
                                   "arrivals_total", "open_tasks", "overdue_tasks",
                                   "leads_total", "open_leads")},
        })
    return rows


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output(ID.GRID_TABLE, "rowData"), Output(ID.GRID_TABLE_COUNT, "children"),
                  Input(ID.FILTERS, "data"), Input(ID.VERSION, "data"), State(ID.LANG, "data"))
    def _rows(filters, _version, lang):
        rows = table_rows(source, filters, lang)
        return rows, t("table.count", lang, n=len(rows))

    @app.callback(Output(ID.GRID_TABLE, "exportDataAsCsv"), Input(ID.GRID_CSV, "n_clicks"),
                  prevent_initial_call=True)
    def _export(_n):
        return True
