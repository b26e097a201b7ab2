"""The API described as OpenAPI 3.1, generated from the batch kinds so it cannot drift.

Served at ``/api/v1/openapi.json`` by ``web.api``.
"""

from __future__ import annotations

from gridwatch.ingest.batches import KINDS, MAX_ITEMS
from gridwatch.ingest.jsonsafe import MAX_DEPTH

PREFIX = "/api/v1"
"""Where the API lives."""

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
        "/region": get("The region in force: its code, own names (name_zh, name_en), extent, "
                       "feature counts and whether its boundaries are the synthetic demo's"),
        "/directives": get("Orders and notices, newest first", params=("kind",)),
        "/tasks/{code}": get("A special task and its state in every grid"),
        "/checkpoints": get("Every checkpoint with its capacity and its open alerts (quiet, "
                            "missed reports, over capacity)"),
        "/checkpoints/{code}": get("A checkpoint, its capacity and its open alerts"),
        "/checkpoints/{code}/counts": get("A checkpoint's hourly counts, latest first",
                                          params=("from", "to")),
        "/leads/{code}": get("A lead, its timeline and its clock against the service levels",
                               sensitive=True),
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
