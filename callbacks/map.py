"""Map styles: each filter or data change sends styles and numbers, never geometry."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.mapview import map_view
from gridwatch.service import DataSource
from layouts.ids import ID
from layouts.map import hideouts, legend_children


def update_map(source: DataSource, filters: dict, version: str | None, detail: dict | None,
               lang: str) -> dict:
    """Filters, data or the chosen grid change → the layers' hideouts, legend and as-of label."""
    chosen = Filters.from_dict(filters)
    snap = source.snapshot()
    view = map_view(snap, chosen)
    palette = source.settings.palette
    styles = hideouts(view, lang, palette, (detail or {}).get("code"))
    return {"grids": styles["grids"], "townships": styles["townships"],
            "labels": styles["labels"], "checkpoints": styles["checkpoints"],
            "hotspots": styles["hotspots"], "legend": legend_children(view, palette, lang),
            "as_of": t("app.as_of", lang, day=chosen.as_of.isoformat())}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_map,
         output={"grids": Output(ID.GRIDS, "hideout"),
                 "townships": Output(ID.TOWNSHIPS, "hideout"),
                 "labels": Output(ID.TOWNSHIP_LABELS, "hideout"),
                 "checkpoints": Output(ID.CHECKPOINTS, "hideout"),
                 "hotspots": Output(ID.HOTSPOTS, "hideout"),
                 "legend": Output(ID.LEGEND, "children"),
                 "as_of": Output(ID.AS_OF_LABEL, "children")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "detail": Input(ID.DETAIL_GRID, "data"), "lang": State(ID.LANG, "data")})
