"""KPI tiles follow the filters and the data."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.filters import Filters
from gridwatch.metrics import compute_kpis
from gridwatch.service import DataSource
from layouts import kpis
from layouts.ids import ID


def update_kpis(source: DataSource, filters: dict, version: str | None, lang: str) -> dict:
    """Filters or data change → the KPI tiles."""
    figures = compute_kpis(source.snapshot(), Filters.from_dict(filters))
    return {"tiles": kpis.tiles(figures, source.settings.palette, lang)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_kpis, output={"tiles": Output(ID.KPIS, "children")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")})
