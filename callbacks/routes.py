"""Plain HTTP endpoints: health and the layers' geometry (served once, compressed, cached)."""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash
from flask import Response, abort, jsonify, request

from gridwatch.geo.layers import BROWSER_LAYERS, encode_layer
from gridwatch.service import DataSource
from gridwatch.store.db import last_updated


def healthz(source: DataSource) -> dict:
    """Liveness and freshness: the data version changes whenever the store changes."""
    snap = source.snapshot()
    updated = last_updated(source.engine)
    age = (datetime.now(UTC).replace(tzinfo=None) - updated).total_seconds() if updated else None
    stale_after = source.settings.stale_after_minutes * 60
    return {"status": "ok", "data_version": snap.version,
            "store_version": snap.store_version, "region": snap.region.fingerprint,
            "latest_day": snap.last_day.isoformat(),
            "updated_at": updated.isoformat() + "Z" if updated else None,
            "age_seconds": round(age) if age is not None else None,
            "stale": bool(age is not None and stale_after > 0 and age > stale_after),
            "stale_after_seconds": stale_after}


def geometry_response(source: DataSource, name: str, digest: str) -> Response:
    if name not in BROWSER_LAYERS:
        abort(404)
    encoded = encode_layer(source.region(), name)
    if digest != encoded.digest:
        abort(404)  # an outdated URL: the page will ask for the current one
    etag = f'"{encoded.digest}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(encoded.gzipped, mimetype="application/geo+json")
        response.headers["Content-Encoding"] = "gzip"
    else:
        import gzip

        response = Response(gzip.decompress(encoded.gzipped), mimetype="application/geo+json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def register(app: Dash, source: DataSource) -> None:
    server = app.server

    @server.get("/healthz")
    def _healthz():
        return jsonify(healthz(source))

    @server.get("/geo/<name>.<digest>.geojson")
    def _geometry(name: str, digest: str):
        return geometry_response(source, name, digest)
