"""Exports: the ``/export/<kind>`` route and the links that follow the view.

``GET /export/<kind>?level=&township=&colour=&date=&lang=&paper=&orientation=&title=&bbox=``
answers with the file (``Content-Disposition: attachment``) and its export ID in the
``X-Export-Id`` header; ``GET /export/id/<export id>`` gives a recorded export again.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from dash import Dash, Input, Output, State
from flask import Response, request

from gridwatch.export import (
    ExportOptionError,
    ExportResult,
    StaleExport,
    UnknownExport,
    replay,
    request_from_params,
    run_export,
)
from gridwatch.filters import Filters
from gridwatch.i18n import normalise_language, t
from gridwatch.service import DataSource
from layouts.ids import ID


def export_href(kind: str, filters: dict | None, lang: str | None, title: str | None,
                paper: str | None, orientation: str | None, extent: str | None,
                bounds: list | None) -> str:
    """The ``/export/<kind>`` URL for the view: its filters and language, the export options
    and, for "current view", the map's bounds ``[[south, west], [north, east]]``."""
    query = Filters.from_dict(filters).to_query(lang=normalise_language(lang)).lstrip("?")
    params: dict[str, str] = {}
    if kind in ("png", "pdf", "svg", "pack"):
        params.update(paper=paper or "A4", orientation=orientation or "landscape")
        if title and title.strip():
            params["title"] = title.strip()
        if extent == "view" and bounds:
            (south, west), (north, east) = bounds
            params["bbox"] = ",".join(f"{v:.5f}" for v in (west, south, east, north))
    extra = urlencode(params, safe=",")
    return f"/export/{kind}?" + "&".join(part for part in (query, extra) if part)


def file_response(result: ExportResult) -> Response:
    response = Response(result.content, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{result.filename}\"; "
        f"filename*=UTF-8''{quote(result.filename)}")
    response.headers["X-Export-Id"] = result.record.export_id
    response.headers["X-Data-Version"] = result.record.data_version
    response.headers["Cache-Control"] = "no-store"
    return response


def export_response(source: DataSource, kind: str, args: dict[str, str]) -> Response:
    """The file for ``/export/<kind>``, or 400 with a message in the request's language."""
    snap = source.snapshot()
    lang = normalise_language(args.get("lang") or source.settings.default_language)
    try:
        export = request_from_params(kind, args, snap.region.townships["code"],
                                     snap.first_day, snap.last_day,
                                     source.settings.default_language)
    except ExportOptionError as err:
        return Response(t("export.error.option", lang, param=err.param, value=err.value),
                        status=400, mimetype="text/plain")
    return file_response(run_export(source, export, snap=snap))


def replay_response(source: DataSource, export_id: str, lang: str) -> Response:
    try:
        return file_response(replay(source, export_id))
    except UnknownExport:
        return Response(t("export.error.unknown_id", lang, id=export_id), status=404,
                        mimetype="text/plain")
    except StaleExport as err:
        return Response(t("export.error.stale", lang, id=export_id,
                          version=err.record.data_version), status=410,
                        mimetype="text/plain")


def register(app: Dash, source: DataSource) -> None:
    server = app.server

    @server.get("/export/<kind>")
    def _export(kind: str):
        return export_response(source, kind, request.args.to_dict())

    @server.get("/export/id/<export_id>")
    def _replay(export_id: str):
        lang = normalise_language(request.args.get("lang") or source.settings.default_language)
        return replay_response(source, export_id, lang)

    @app.callback(Output(ID.EXPORT_DOWNLOAD, "href"), Output(ID.EXPORT_PACK, "href"),
                  Input(ID.FILTERS, "data"), Input(ID.EXPORT_TITLE, "value"),
                  Input(ID.EXPORT_FORMAT, "value"), Input(ID.EXPORT_PAPER, "value"),
                  Input(ID.EXPORT_ORIENTATION, "value"), Input(ID.EXPORT_EXTENT, "value"),
                  Input(ID.MAP, "bounds"), State(ID.LANG, "data"))
    def _links(filters, title, kind, paper, orientation, extent, bounds, lang):
        options = (lang, title, paper, orientation, extent, bounds)
        return (export_href(kind or "png", filters, *options),
                export_href("pack", filters, *options))
