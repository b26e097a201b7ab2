"""The HTTP API under ``/api/v1``: batch writes with a bearer token, reads of current state,
and its OpenAPI document at ``/api/v1/openapi.json``.

Every write is validated whole and applied whole (``gridwatch.ingest.batches``) on the one write
path; a refusal answers 4xx with ``{"errors": [{"row", "field", "reason"}]}`` and changes
nothing. Every answer under ``/api/v1`` is JSON in that shape, whatever went wrong: the
blueprint's error handlers turn refusals, bad input, HTTP errors and unexpected failures into
it, never into a traceback. Reasons are in English unless the request's ``Accept-Language``
prefers Chinese (``zh``, ``zh-CN``, ...).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gridwatch import checkpoints, leads, timeutil
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows
from gridwatch.ingest import read
from gridwatch.ingest.batches import KINDS, submit, unknown_code
from gridwatch.ingest.errors import IngestError, LocalisedError, RowError, refuse, say
from gridwatch.ingest.fields import FieldError, Reference, timestamp
from gridwatch.ingest.jsonsafe import loads_strict
from gridwatch.ingest.scope import Places
from gridwatch.service import DataSource
from web.auth import client_address, current_principal
from web.context import data_source
from web.openapi import PREFIX, openapi_document

log = logging.getLogger(__name__)

MAX_API_BODY = 2 * 1024 * 1024
"""The largest API request body (bytes)."""

API_LANGUAGES = ("en", "zh")
"""Languages of error reasons; the first is the default (integrators expect English)."""

blueprint = Blueprint("api", __name__, url_prefix=PREFIX)


def api_language() -> str:
    """The language of error reasons: the first of ``Accept-Language`` (by quality) that is
    Chinese or English, else English."""
    for value, quality in request.accept_languages:
        primary = value.split("-")[0].lower()
        if quality > 0 and primary in API_LANGUAGES:
            return primary
    return API_LANGUAGES[0]


def error_response(exc: IngestError) -> Response:
    lang = api_language()
    response = jsonify(exc.to_dict(lang))
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gridwatch"'
    return response


def principal_for(source: DataSource, action: str) -> Principal:
    """The caller (``web.auth``: a token or a session), if allowed to do ``action``; raise
    401/403 otherwise."""
    principal = current_principal()
    if not principal.authenticated:
        raise refuse(401, "request.needs_login", "Authorization")
    if not allows(principal, action):
        raise refuse(403, "request.not_permitted", "Authorization",
                     action=say(f"action.{action}"))
    return principal


def read_body() -> object:
    """The request's JSON body, within the size cap and strictly parsed.

    Raises
    ------
    IngestError
        415 (not JSON) or 413 (too large).
    JSONError
        The body is not strict JSON (answered 400 by the blueprint's handler).
    """
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise refuse(415, "request.not_json", "Content-Type",
                     got=mimetype or say("request.nothing"))
    if request.content_length is not None and request.content_length > MAX_API_BODY:
        raise refuse(413, "request.body_too_large", kib=MAX_API_BODY // 1024)
    chunks, size = [], 0
    while size <= MAX_API_BODY:  # a chunked body has no length: stop reading past the cap
        chunk = request.stream.read(MAX_API_BODY + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
    if len(data) > MAX_API_BODY:
        raise refuse(413, "request.body_too_large", kib=MAX_API_BODY // 1024)
    return loads_strict(data)


def time_arg(name: str):
    """The query parameter ``name`` as an instant (None when absent); 400 when malformed."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return timestamp(value)
    except FieldError as exc:
        raise IngestError.of(400, exc, name) from None


def found(value, what: str, code: str) -> Response:
    """``value`` as JSON, or 404 naming the unknown ``code``."""
    if value is None:
        raise IngestError(404, [RowError.of(None, None, unknown_code(what, code))])
    return jsonify(value)


# --- writes -------------------------------------------------------------------------------------

def write_batch(kind: str):
    source = data_source()
    principal = principal_for(source, "write")
    body = read_body()
    region = source.region()
    outcome, replayed = submit(source.writer, Reference.from_region(region), kind, body,
                               principal, request.headers.get("Idempotency-Key"),
                               places=Places.of(region))
    response = jsonify({**outcome.body, "replayed": replayed})
    response.status_code = outcome.status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


for _kind in KINDS:
    blueprint.add_url_rule(f"/{_kind}", "write", write_batch, methods=["POST"],
                           defaults={"kind": _kind})


# --- reads --------------------------------------------------------------------------------------

@blueprint.get("/grids/<code>")
def grid(code: str):
    source = data_source()
    principal_for(source, "view")
    return found(read.grid_state(source.engine, source.region(), code,
                                 source.settings.timezone), "grid", code)


@blueprint.get("/townships/<code>")
def township(code: str):
    source = data_source()
    principal_for(source, "view")
    return found(read.township_state(source.engine, source.region(), code,
                                     source.settings.timezone), "township", code)


@blueprint.get("/directives")
def directives():
    source = data_source()
    principal_for(source, "view")
    kind = request.args.get("kind")
    if kind not in (None, "order", "notice"):
        raise refuse(400, "request.bad_kind", "kind")
    return jsonify({"items": read.directives(source.engine, source.settings.timezone, kind)})


@blueprint.get("/tasks/<code>")
def task(code: str):
    source = data_source()
    principal_for(source, "view")
    return found(read.task_state(source.engine, code, source.settings.timezone), "task", code)


def _checkpoint_records(source: DataSource, codes: list[str] | None = None) -> list[dict]:
    """The checkpoints (all, or ``codes``) with their open alerts at the instant the screens
    show for the store's latest day (``gridwatch.checkpoints``)."""
    snap = source.snapshot()
    points = snap.region.checkpoints
    if codes is not None:
        points = points[points["code"].isin(codes)]
    tz = source.settings.timezone
    day = snap.last_day
    if day is None:
        instant, found = timeutil.local_now(tz), []
    else:
        instant = timeutil.instant_in(day, tz)
        found = checkpoints.on_snapshot(snap, day, instant, checkpoints.Health.of(source.settings))
    caps = checkpoints.capacities(points)
    return [checkpoints.record(row, caps.get(row["code"]), found, instant, tz)
            for _, row in points.iterrows()]


@blueprint.get("/checkpoints")
def checkpoint_list():
    source = data_source()
    principal_for(source, "view")
    return jsonify({"items": _checkpoint_records(source)})


@blueprint.get("/checkpoints/<code>")
def checkpoint(code: str):
    source = data_source()
    principal_for(source, "view")
    records = _checkpoint_records(source, [code])
    return found(records[0] if records else None, "checkpoint", code)


@blueprint.get("/checkpoints/<code>/counts")
def checkpoint_counts(code: str):
    source = data_source()
    principal_for(source, "view")
    if code not in set(source.region().checkpoints["code"]):
        raise IngestError(404, [RowError.of(None, None, unknown_code("checkpoint", code))])
    return jsonify({"checkpoint_code": code, "items": read.checkpoint_counts(
        source.engine, code, source.settings.timezone, time_arg("from"), time_arg("to"))})


@blueprint.get("/leads/<code>")
def lead(code: str):
    source = data_source()
    who = principal_for(source, "records")
    answer = read.lead_state(source.engine, code, source.settings.timezone, who,
                             source.region())
    if answer is not None:  # its clock at the instant the screens show (gridwatch.leads)
        snap = source.snapshot()
        row = snap.leads[snap.leads["code"] == code]
        instant = timeutil.instant_in(snap.last_day, source.settings.timezone)
        answer["service"] = leads.service_record(
            row, instant, leads.Sla.of(source.settings), source.settings.timezone) \
            if len(row) and snap.last_day is not None else None
    if answer is not None and not answer["personal_fields_removed"]:
        audit_personal_read(source.writer, who, "lead", code, client_address())
    return found(answer, "lead", code)


@blueprint.get("/region")
def region_info():
    """The region in force: its code and own names, extent, counts and whether its
    boundaries are the synthetic demo's."""
    from gridwatch.export import is_synthetic
    from gridwatch.ingest.boundary_versions import current_region

    source = data_source()
    principal_for(source, "view")
    region = source.region()
    county = region.county.iloc[0]
    with source.engine.connect() as conn:
        since = current_region(conn).get("since")
    (south, west), (north, east) = region.bounds
    return jsonify({
        "code": str(county["code"]), "name_zh": str(county["name_zh"]),
        "name_en": str(county["name_en"]), "since": since,
        "bounds": {"west": west, "south": south, "east": east, "north": north},
        "counts": {name: len(region.layer(name)) for name in (
            "townships", "villages", "grids", "checkpoints", "quarantine_sites",
            "neighbours")},
        "projection": _projection(region),
        "synthetic": is_synthetic(region)})


def _projection(region) -> dict:
    """The metric CRS the region's maps and areas are drawn in (the UTM zone of its centre),
    and the CGCS2000 3-degree Gauss-Kruger zone of the same longitude."""
    from pyproj import CRS

    from gridwatch.geo.crs import gk3_epsg, region_epsg

    epsg = region_epsg(region)
    lon = (region.bounds[0][1] + region.bounds[1][1]) / 2
    gk = gk3_epsg(lon)
    return {"epsg": epsg, "name": CRS.from_epsg(epsg).name,
            "gauss_kruger_3deg_epsg": gk,
            "gauss_kruger_3deg_name": CRS.from_epsg(gk).name if gk else None}


@blueprint.get("/audit")
def audit_log():
    source = data_source()
    principal_for(source, "admin")
    limit = request.args.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise refuse(400, "request.bad_limit", "limit")
    return jsonify({"items": read.audit_entries(
        source.engine, source.settings.timezone, request.args.get("entity"),
        request.args.get("key"), int(limit))})


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@blueprint.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    # Without this, Dash's catch-all page route would answer unknown API paths with HTML.
    raise refuse(404, "request.no_endpoint", method=request.method, path=request.path,
                 openapi=f"{PREFIX}/openapi.json")


# --- every error as JSON ------------------------------------------------------------------------

@blueprint.errorhandler(IngestError)
def refused(exc: IngestError):
    return error_response(exc)


@blueprint.errorhandler(LocalisedError)
def bad_input(exc: LocalisedError):
    # Malformed JSON, and any other refusal of input raised before a batch is validated.
    return error_response(IngestError.of(400, exc))


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if exc.code == 413:
        # The server-wide cap of this request (``settings.max_request_bytes``, set by
        # ``web.security``); it also bounds Dash callbacks, which carry uploads in base64.
        cap = request.max_content_length or 0
        return error_response(refuse(413, "request.server_too_large",
                                     mib=f"{cap / (1024 * 1024):g}"))
    return error_response(refuse(exc.code or 500, "request.http",
                                 detail=exc.description or exc.name))


@blueprint.errorhandler(Exception)
def unexpected(exc: Exception):
    log.exception("unexpected failure answering %s %s", request.method, request.path)
    return error_response(refuse(500, "request.internal"))
