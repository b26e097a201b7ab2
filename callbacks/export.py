"""The export panel's links follow the view; the files come from ``web.exports``."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.service import DataSource
from layouts.ids import ID
from web.exports import export_href


def export_links(source: DataSource, filters: dict | None, title: str | None, kind: str | None,
                 paper: str | None, orientation: str | None, extent: str | None,
                 bounds: list | None, lang: str | None) -> dict:
    """Filters, export options or the map's view change → the two download links."""
    options = (lang, title, paper, orientation, extent, bounds)
    return {"download": export_href(kind or "png", filters, *options),
            "pack": export_href("pack", filters, *options)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, export_links,
         output={"download": Output(ID.EXPORT_DOWNLOAD, "href"),
                 "pack": Output(ID.EXPORT_PACK, "href")},
         inputs={"filters": Input(ID.FILTERS, "data"), "title": Input(ID.EXPORT_TITLE, "value"),
                 "kind": Input(ID.EXPORT_FORMAT, "value"),
                 "paper": Input(ID.EXPORT_PAPER, "value"),
                 "orientation": Input(ID.EXPORT_ORIENTATION, "value"),
                 "extent": Input(ID.EXPORT_EXTENT, "value"), "bounds": Input(ID.MAP, "bounds"),
                 "lang": State(ID.LANG, "data")})
