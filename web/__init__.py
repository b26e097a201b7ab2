"""Plain HTTP: Flask blueprints beside the Dash app (which lives in ``callbacks/`` and
``layouts/``).

- ``auth``: the guard run before every request (who asks), ``/login``, ``/logout``,
  ``/account``, kiosk links, and ``/live`` (the wall's live signal).
- ``api``: the write and read API under ``/api/v1`` (``openapi``: its OpenAPI document).
- ``health``: ``/healthz``.
- ``geo``: ``/geo/<layer>.<digest>.geojson``, each layer's geometry, sent once.
- ``exports``: ``/export/<kind>`` and ``/export/id/<export id>``.
- ``upload_templates``: ``/data/template/<kind>``, the upload page's CSV and XLSX templates.
- ``tiles``: ``/basemap/<z>/<x>/<y>.<ext>``, the offline basemap's tiles from a local file.
- ``admin``: ``/admin`` pages (users, kiosks, tokens, the audit log), for admins only.

Views reach the deployment's data source through the app (``web.context``), not a global.
"""

from __future__ import annotations

from flask import Flask

from gridwatch.service import DataSource
from web import (
    admin,
    api,
    auth,
    boundary_upload,
    exports,
    geo,
    health,
    metrics,
    tiles,
    upload_templates,
)
from web.context import attach, attached


def register(server: Flask, source: DataSource) -> None:
    """Serve the blueprints on ``server`` over ``source`` (once per server)."""
    if attached(server):
        return
    attach(server, source)
    server.config["MAX_CONTENT_LENGTH"] = source.settings.max_request_bytes  # web.security
    server.before_request(auth.guard)
    server.after_request(auth.private_cache)
    for module in (auth, health, geo, tiles, api, exports, boundary_upload, upload_templates,
                   admin, metrics):
        server.register_blueprint(module.blueprint)
