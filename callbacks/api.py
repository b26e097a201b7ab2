"""The HTTP API under ``/api/v1``: batch writes with a bearer token, reads of current state,
and its OpenAPI document at ``/api/v1/openapi.json``.

Every write is validated whole and applied whole (``gridwatch.ingest.batches``); a refusal
answers 4xx with ``{"errors": [{"row", "field", "reason"}]}`` and changes nothing. Reasons are
in English unless the request's ``Accept-Language`` prefers Chinese (``zh``, ``zh-CN``, ...).
"""

from __future__ import annotations

from dash import Dash
from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from gridwatch.ingest import read
from gridwatch.ingest.auth import Principal, authenticate, authorize
from gridwatch.ingest.batches import KINDS, MAX_ITEMS, submit, unknown_code
from gridwatch.ingest.errors import IngestError, RowError, refuse, say
from gridwatch.ingest.fields import FieldError, Reference, timestamp
from gridwatch.ingest.jsonsafe import MAX_DEPTH, JSONError, loads_strict
from gridwatch.ingest.store import make_write_engine
from gridwatch.service import DataSource

PREFIX = "/api/v1"
MAX_API_BODY = 2 * 1024 * 1024
"""The largest API request body (bytes)."""

MAX_REQUEST_BODY = 8 * 1024 * 1024
"""The server-wide cap (Flask ``MAX_CONTENT_LENGTH``): it also bounds Dash callback requests,
which carry file uploads base64-encoded."""


API_LANGUAGES = ("en", "zh")
"""Languages of error reasons; the first is the default (integrators expect English)."""


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


def principal_for(engine, action: str) -> Principal:
    """The caller, if allowed to do ``action``; raise 401/403 otherwise."""
    principal = authenticate(engine, request.headers.get("Authorization"))
    if principal is None:
        raise refuse(401, "request.bad_token", "Authorization")
    if not authorize(principal, action):
        if principal.kind == "anonymous":
            raise refuse(401, "request.needs_token", "Authorization")
        raise refuse(403, "request.forbidden", "Authorization", action=say(f"action.{action}"))
    return principal


def read_body() -> object:
    """The request's JSON body, within the size cap and strictly parsed."""
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
    try:
        return loads_strict(data)
    except JSONError as exc:
        raise IngestError.of(400, exc) from None


def write_batch(source: DataSource, engine, kind: str) -> Response:
    principal = principal_for(engine, "write")
    body = read_body()
    key = request.headers.get("Idempotency-Key")
    outcome, replayed = submit(engine, Reference.from_region(source.region()), kind, body,
                               principal, key)
    response = jsonify({**outcome.body, "replayed": replayed})
    response.status_code = outcome.status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _time_arg(name: str):
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return timestamp(value)
    except FieldError as exc:
        raise IngestError(400, [RowError.of(None, name, exc)]) from None


def register(app: Dash, source: DataSource) -> None:
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BODY
    engine = make_write_engine(source.settings.database_url)
    tz = source.settings.timezone

    def guarded(view):
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except IngestError as exc:
                return error_response(exc)

        wrapper.__name__ = f"api_{view.__name__}"
        return wrapper

    for kind in KINDS:
        server.add_url_rule(f"{PREFIX}/{kind}", f"api_write_{kind}", guarded(
            lambda kind=kind: write_batch(source, engine, kind)), methods=["POST"])

    def found(value, what: str, code: str):
        if value is None:
            raise IngestError(404, [RowError.of(None, None, unknown_code(what, code))])
        return jsonify(value)

    @server.get(f"{PREFIX}/grids/<code>")
    @guarded
    def grid(code):
        principal_for(engine, "read")
        return found(read.grid_state(engine, source.region(), code, tz), "grid", code)

    @server.get(f"{PREFIX}/townships/<code>")
    @guarded
    def township(code):
        principal_for(engine, "read")
        return found(read.township_state(engine, source.region(), code, tz), "township", code)

    @server.get(f"{PREFIX}/directives")
    @guarded
    def directive_list():
        principal_for(engine, "read")
        kind = request.args.get("kind")
        if kind not in (None, "order", "notice"):
            raise refuse(400, "request.bad_kind", "kind")
        return jsonify({"items": read.directives(engine, tz, kind)})

    @server.get(f"{PREFIX}/tasks/<code>")
    @guarded
    def task(code):
        principal_for(engine, "read")
        return found(read.task_state(engine, code, tz), "task", code)

    @server.get(f"{PREFIX}/checkpoints/<code>/counts")
    @guarded
    def checkpoint(code):
        principal_for(engine, "read")
        if code not in set(source.region().checkpoints["code"]):
            raise IngestError(404, [RowError.of(None, None, unknown_code("checkpoint", code))])
        return jsonify({"checkpoint_code": code, "items": read.checkpoint_counts(
            engine, code, tz, _time_arg("from"), _time_arg("to"))})

    @server.get(f"{PREFIX}/leads/<code>")
    @guarded
    def lead(code):
        principal_for(engine, "read_sensitive")
        return found(read.lead_state(engine, code, tz), "lead", code)

    @server.get(f"{PREFIX}/audit")
    @guarded
    def audit_log():
        principal_for(engine, "read_sensitive")
        limit = request.args.get("limit", "200")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise refuse(400, "request.bad_limit", "limit")
        return jsonify({"items": read.audit_entries(engine, tz, request.args.get("entity"),
                                                    request.args.get("key"), int(limit))})

    @server.get(f"{PREFIX}/openapi.json")
    def openapi():
        return jsonify(openapi_document())

    @server.route(f"{PREFIX}/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @guarded
    def unknown(_rest):
        # Without this, Dash's catch-all page route would answer unknown API paths with HTML.
        raise refuse(404, "request.no_endpoint", method=request.method, path=request.path,
                     openapi=f"{PREFIX}/openapi.json")

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # Inside the API every answer is JSON in the documented error shape.
        if not request.path.startswith(PREFIX + "/"):
            return exc
        if exc.code == 413:
            return error_response(refuse(413, "request.server_too_large",
                                         mib=MAX_REQUEST_BODY // (1024 * 1024)))
        return error_response(refuse(exc.code or 500, "request.http",
                                     detail=exc.description or exc.name))


# --- the OpenAPI document ----------------------------------------------------------------------

ERRORS = {"$ref": "#/components/schemas/Errors"}
ACCEPT_LANGUAGE = {"name": "Accept-Language", "in": "header", "required": False,
                   "schema": {"type": "string"},
                   "description": "zh (zh-CN, ...) for error reasons in Chinese; "
                                  "English otherwise"}


def _item_schema(kind) -> dict:
    properties = {}
    for name, spec in kind.fields.items():
        schema = dict(getattr(spec.parse, "schema", {"type": "string"}))
        if spec.ref:
            schema["description"] = f"the code of a {spec.ref} in the region"
        properties[name] = schema
    required = [n for n, spec in kind.fields.items() if spec.required]
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def _errors(*codes: int) -> dict:
    meaning = {400: "Malformed body (not JSON, NaN/Infinity, duplicate keys, nested deeper "
                    f"than {MAX_DEPTH})", 401: "No, unknown or revoked token",
               403: "The token may not do this", 404: "Unknown code",
               409: "Conflicts with stored records (same natural key, other values)",
               413: "Body too large or too many items", 415: "Not application/json",
               422: "Row errors (unknown codes, bad values, timestamps without offset, ...)",
               503: "The store stayed busy; retry the same request"}
    return {str(c): {"description": meaning[c],
                     "content": {"application/json": {"schema": ERRORS}}} for c in codes}


def openapi_document() -> dict:
    """The API described as OpenAPI 3.1 (generated from the batch kinds, so it cannot drift)."""
    paths: dict = {}
    for name, kind in KINDS.items():
        paths[f"{PREFIX}/{name}"] = {"post": {
            "summary": kind.summary, "operationId": f"post_{name.replace('-', '_')}",
            "security": [{"bearer": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 128},
                            "description": "A replay with the same key returns the first "
                                           "answer (with replayed: true) and stores nothing"},
                           ACCEPT_LANGUAGE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"], "additionalProperties": False,
                "properties": {"items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS,
                                         "items": _item_schema(kind)}}}}}},
            "responses": {"200": {"description": "The whole batch was accepted",
                                  "content": {"application/json": {"schema": {
                                      "$ref": "#/components/schemas/BatchResult"}}}},
                          **_errors(400, 401, 403, 409, 413, 415, 422, 503)},
        }}

    def get(summary: str, sensitive: bool = False, params: tuple = ()) -> dict:
        op = {"summary": summary, "responses": {"200": {"description": "OK"},
                                                **_errors(400, 404)}}
        if sensitive:
            op["security"] = [{"bearer": []}]
            op["responses"].update(_errors(401, 403))
        op["parameters"] = [{"name": p, "in": "query", "required": False,
                             "schema": {"type": "string"}} for p in params] + [ACCEPT_LANGUAGE]
        return {"get": op}

    code = [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
    reads = {
        "/grids/{code}": get("A grid's current colour and full colour history with sources"),
        "/townships/{code}": get("A township's current control level and its history"),
        "/directives": get("Orders and notices, newest first", params=("kind",)),
        "/tasks/{code}": get("A special task and its state in every grid"),
        "/checkpoints/{code}/counts": get("A checkpoint's hourly counts, latest first",
                                          params=("from", "to")),
        "/leads/{code}": get("A lead and its timeline", sensitive=True),
        "/audit": get("The audit trail, newest first", sensitive=True,
                      params=("entity", "key", "limit")),
    }
    for path, item in reads.items():
        if "{code}" in path:
            item["get"]["parameters"] = code + item["get"].get("parameters", [])
        paths.setdefault(PREFIX + path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Gridwatch operations API", "version": "1",
                 "description": "Batches are applied whole or not at all. Rows are numbered "
                                "from 0 in error answers. Timestamps need a UTC offset. "
                                "Error reasons are in English; send Accept-Language: zh "
                                "(or zh-CN, ...) to get them in Chinese (the answer's "
                                "Content-Language says which)."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "python -m gridwatch token create "
                                                          "--name NAME"}},
            "schemas": {
                "Errors": {"type": "object", "required": ["errors"], "properties": {
                    "errors": {"type": "array", "items": {"type": "object", "properties": {
                        "row": {"type": ["integer", "null"]},
                        "field": {"type": ["string", "null"]},
                        "reason": {"type": "string", "description":
                                   "What is wrong, in English, or in Chinese when "
                                   "Accept-Language prefers zh"}}}}}},
                "BatchResult": {"type": "object", "required": ["applied", "duplicates"],
                                "properties": {
                                    "applied": {"type": "integer"},
                                    "duplicates": {"type": "integer",
                                                   "description": "rows already stored"},
                                    "stale": {"type": "integer", "description":
                                              "rows older than the current state: kept in "
                                              "history, current state unchanged"},
                                    "replayed": {"type": "boolean"},
                                    "data_version": {"type": "integer"}}},
            },
        },
    }
