"""``GET /geo/<layer>.<digest>.geojson``: each layer's geometry, sent once, compressed and
cached for good (the digest in the URL changes with the geometry)."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, abort, request

from gridwatch.geo.layers import BROWSER_LAYERS, encode_layer
from gridwatch.service import DataSource
from web.context import data_source

blueprint = Blueprint("geo", __name__)


def geometry_response(source: DataSource, name: str, digest: str) -> Response:
    """The layer ``name`` as GeoJSON if ``digest`` is its current one, else 404."""
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
        response = Response(gzip.decompress(encoded.gzipped), mimetype="application/geo+json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # behind a login
    response.headers["Vary"] = "Accept-Encoding"
    return response


@blueprint.get("/geo/<name>.<digest>.geojson")
def geometry(name: str, digest: str):
    return geometry_response(data_source(), name, digest)
