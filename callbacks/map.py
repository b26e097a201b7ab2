"""Map styles: each filter or data change sends styles and numbers, never geometry."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.service import DataSource
from layouts.ids import ID
from layouts.map import legend_children, map_styles


def register(app: Dash, source: DataSource) -> None:
    @app.callback(
        Output(ID.GRIDS, "hideout"), Output(ID.TOWNSHIPS, "hideout"),
        Output(ID.TOWNSHIP_LABELS, "hideout"), Output(ID.CHECKPOINTS, "hideout"),
        Output(ID.LEGEND, "children"), Output(ID.AS_OF_LABEL, "children"),
        Input(ID.FILTERS, "data"), Input(ID.VERSION, "data"), Input(ID.DETAIL_GRID, "data"),
        State(ID.LANG, "data"),
    )
    def _styles(filters, _version, detail, lang):
        filters = Filters.from_dict(filters)
        palette = source.settings.palette
        styles = map_styles(source.frames(), source.region(), filters, lang, palette,
                            (detail or {}).get("code"))
        return (styles["grids"], styles["townships"], styles["labels"], styles["checkpoints"],
                legend_children(styles["legend"], styles["outside"], palette, lang),
                t("app.as_of", lang, day=filters.as_of.isoformat()))
