"""Export downloads: ``GET /export/<kind>`` renders a file for the request's filters and
options; ``GET /export/id/<export id>`` gives a recorded export again, byte for byte.

``/export/<kind>?level=&township=&colour=&date=&lang=&paper=&orientation=&title=&bbox=``
(a pack also ``since=``, ``unit=``, ``issue=``) answers with the file (``Content-Disposition:
attachment``), its export ID in ``X-Export-Id`` and the data version it was drawn from in
``X-Data-Version``. ``GET /export/kept/<day>`` gives the kept daily briefing of a day
(``gridwatch.export.kept``). Every file given is audited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, request

from gridwatch.auth.audit import audit_access
from gridwatch.auth.policy import Principal, allows
from gridwatch.export import (
    ExportOptionError,
    ExportResult,
    ForeignExport,
    StaleExport,
    UnknownExport,
    replay,
    request_from_params,
    run_export,
)
from gridwatch.filters import Filters
from gridwatch.i18n import normalise_language, t
from gridwatch.service import DataSource
from gridwatch.visibility import view_of
from web.auth import client_address, current_principal
from web.context import data_source

blueprint = Blueprint("exports", __name__)


def export_href(kind: str, filters: dict | None, lang: str | None, title: str | None,
                paper: str | None, orientation: str | None, extent: str | None,
                bounds: list | None, pack: dict[str, str] | None = None) -> str:
    """The ``/export/<kind>`` URL for a view: its filters and language, the export options
    and, for "current view", the map's bounds ``[[south, west], [north, east]]``; a pack's
    ``pack`` options (``since``, ``unit``, ``issue``: already checked) too."""
    query = Filters.from_dict(filters).to_query(lang=normalise_language(lang)).lstrip("?")
    params: dict[str, str] = {}
    if kind in ("png", "pdf", "svg", "pack"):
        params.update(paper=paper or "A4", orientation=orientation or "landscape")
        if title and title.strip():
            params["title"] = title.strip()
        if extent == "view" and bounds:
            (south, west), (north, east) = bounds
            params["bbox"] = ",".join(f"{v:.5f}" for v in (west, south, east, north))
    if kind == "pack" and pack:
        params.update({k: v for k, v in pack.items() if k in ("since", "unit", "issue") and v})
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


def export_response(source: DataSource, kind: str, args: dict[str, str],
                    who: Principal) -> Response:
    """The file for ``/export/<kind>`` drawn for ``who``'s view, or 400 with a message in the
    request's language. Every export is audited."""
    snap = source.snapshot()
    lang = normalise_language(args.get("lang") or source.settings.default_language)
    try:
        export = request_from_params(kind, args, snap.region.townships["code"],
                                     snap.first_day, snap.last_day,
                                     source.settings.default_language)
    except ExportOptionError as err:
        return Response(t("export.error.option", lang, param=err.param, value=err.value),
                        status=400, mimetype="text/plain")
    export = replace(export, view=view_of(who, source.settings.suppress_below))
    result = run_export(source, export, snap=snap)
    _audit(source, who, result)
    return file_response(result)


def _audit(source: DataSource, who: Principal, result: ExportResult) -> None:
    record = result.record
    audit_access(source.writer, who, "export", "export", record.export_id, client_address(),
                 {"kind": record.request["kind"], "query": record.query,
                  "view": record.request.get("view", "full")})


def replay_response(source: DataSource, export_id: str, lang: str, who: Principal) -> Response:
    """A recorded export again; 404 for an unknown ID, 403 when it was drawn for another view
    than ``who``'s, 410 when its data has changed since."""
    try:
        result = replay(source, export_id, view_of(who, source.settings.suppress_below))
    except ForeignExport:
        return Response(t("export.error.foreign", lang, id=export_id), status=403,
                        mimetype="text/plain")
    except UnknownExport:
        return Response(t("export.error.unknown_id", lang, id=export_id), status=404,
                        mimetype="text/plain")
    except StaleExport as err:
        return Response(t("export.error.stale", lang, id=export_id,
                          version=err.record.data_version), status=410,
                        mimetype="text/plain")
    _audit(source, who, result)
    return file_response(result)


def kept_response(source: DataSource, day_text: str, lang: str, who: Principal) -> Response:
    """The kept daily briefing of ``day_text`` (``YYYY-MM-DD``), or 404 with a message in
    ``lang``. A kept pack shows no household-level data (``gridwatch.export.kept``), so every
    role that may export may have it; each download is audited like an export."""
    from gridwatch.export import kept

    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        day = None
    found = None if day is None else kept.find(source.engine, day)
    content = None if found is None else kept.content(source.engine, found.day)
    if found is None or content is None:
        return Response(t("export.error.no_kept", lang, day=day_text[:10]), status=404,
                        mimetype="text/plain")
    audit_access(source.writer, who, "export", "kept_briefing", found.day.isoformat(),
                 client_address(), {"kind": "pack", "export_id": found.export_id,
                                    "view": found.view, "data_version": found.data_version})
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{found.filename}\"; "
        f"filename*=UTF-8''{quote(found.filename)}")
    response.headers["X-Export-Id"] = found.export_id
    response.headers["X-Data-Version"] = found.data_version
    response.headers["Cache-Control"] = "no-store"
    return response


def _allowed() -> Principal:
    who = current_principal()
    if not allows(who, "export"):
        abort(403)
    return who


@blueprint.get("/export/<kind>")
def export(kind: str):
    return export_response(data_source(), kind, request.args.to_dict(), _allowed())


@blueprint.get("/export/kept/<code>")
def kept_briefing(code: str):
    """``code`` is the briefing's day, ``YYYY-MM-DD``."""
    source = data_source()
    lang = normalise_language(request.args.get("lang") or source.settings.default_language)
    return kept_response(source, code, lang, _allowed())


@blueprint.get("/export/id/<export_id>")
def replayed(export_id: str):
    source = data_source()
    lang = normalise_language(request.args.get("lang") or source.settings.default_language)
    return replay_response(source, export_id, lang, _allowed())
