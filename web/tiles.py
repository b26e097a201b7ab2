"""``GET /basemap/<z>/<x>/<y>.<ext>`` (one ``path``, read by a strict pattern): the offline
basemap's tiles, from the local tile file of ``settings.basemap_file`` (``gridwatch.basemap``);
``GET /basemap/metadata.json``: what the file holds (TileJSON).

Like the map's layers, the tiles are behind the login (``web.auth.guard``): any signed-in
user, API token or wall kiosk may read them (the ``wall`` action, which every role and a
kiosk have). A tile the file does not have answers 204 No Content, which Leaflet leaves blank
without an error in the browser's console; a path that names no tile at all (a zoom beyond
any file, a column or row outside its zoom, anything not digits, another format's extension)
answers 404, and no basemap configured answers 404 too.
"""

from __future__ import annotations

import logging
import re
import sqlite3

from flask import Blueprint, Response, abort, jsonify, request

from gridwatch.auth.policy import allows
from gridwatch.basemap import MAX_ZOOM, Basemap, BasemapError, open_basemap
from web.auth import current_principal
from web.context import data_source

blueprint = Blueprint("tiles", __name__)
log = logging.getLogger(__name__)

_TILE_PATH = re.compile(r"([0-9]{1,2})/([0-9]{1,10})/([0-9]{1,10})\.([a-z]{3,4})", re.ASCII)
"""``z/x/y.ext``: the path is read whole by this one pattern, so nothing else reaches a reader."""
CACHE_SECONDS = 7 * 24 * 3600
"""How long a browser keeps a tile without asking (then it asks with its ETag)."""


def _basemap() -> Basemap:
    if not allows(current_principal(), "wall"):
        abort(403)
    path = data_source().settings.basemap_file
    if path is None:
        abort(404)
    try:
        return open_basemap(path)
    except BasemapError:
        abort(404)  # the file went away after start-up; the map draws without it


@blueprint.get("/basemap/<path:path>")
def tile(path: str):
    basemap = _basemap()
    info = basemap.info
    match = _TILE_PATH.fullmatch(path)
    if match is None:
        abort(404)
    zoom, column, row = (int(part) for part in match.groups()[:3])
    if (zoom > MAX_ZOOM or column >= 1 << zoom or row >= 1 << zoom
            or match.group(4) not in _extensions(info)):
        abort(404)
    tag = f"{info.digest}-{zoom}-{column}-{row}"
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        try:
            data = basemap.tile(zoom, column, row)
        except (sqlite3.Error, BasemapError, OSError) as exc:
            # A damaged part of the file (or the file changed under us): that tile stays
            # blank, the rest of the map draws.
            log.warning("basemap tile %s/%s/%s unreadable: %s", zoom, column, row, exc)
            data = None
        if data is None:
            response = Response(status=204)
        else:
            response = Response(data, mimetype=info.content_type)
    response.set_etag(tag)
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return response


def _extensions(info) -> tuple[str, ...]:
    return ("jpg", "jpeg") if info.format == "jpg" else (info.format,)


@blueprint.get("/basemap/metadata.json")
def metadata():
    response = jsonify(_basemap().info.tilejson())
    response.headers["Cache-Control"] = "private, no-cache"
    return response
