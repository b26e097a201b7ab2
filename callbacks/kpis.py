"""KPI tiles follow the filters and the data."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from gridwatch.filters import Filters
from gridwatch.metrics import compute_kpis
from gridwatch.service import DataSource
from layouts import kpis
from layouts.ids import ID


def kpi_tiles(source: DataSource, filters: dict, lang: str) -> list:
    figures = compute_kpis(source.frames(), source.region(), Filters.from_dict(filters))
    return kpis.tiles(figures, source.settings.palette, lang)


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output(ID.KPIS, "children"), Input(ID.FILTERS, "data"),
                  Input(ID.VERSION, "data"), State(ID.LANG, "data"))
    def _kpis(filters, _version, lang):
        return kpi_tiles(source, filters, lang)
