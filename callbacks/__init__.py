"""Dash callbacks, one module per feature; each has ``register(app, source)``.

A callback is a module-level function that takes the data source first and its inputs as
keywords, and returns a dict keyed like its outputs (Dash's dict forms of ``inputs=`` and
``output=``), so a test calls it with names and reads the result by name. ``bind`` attaches
one to the app. Plain HTTP routes are not here: they are Flask blueprints in ``web/``.

Every callback is an HTTP endpoint anyone can post to, so ``bind`` checks on the server, on
every call, that the caller (``web.auth``, from the session or token, never from the
browser's state) may do what ``REQUIRES`` names for that callback; a callback missing from
``REQUIRES`` cannot be bound. A function with a ``who`` parameter gets the caller too, to shape
what it answers (suppressed figures, personal fields). Inputs named ``lang`` are normalised
before the function sees them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from dash import Dash
from flask import abort

from gridwatch.auth.policy import allows
from gridwatch.i18n import normalise_language
from gridwatch.service import DataSource

REQUIRES: dict[str, str] = {
    # pages and the live signal: the router decides per page (a kiosk gets the wall only)
    "route": "wall",
    "poll_version": "wall",
    "refresh_wall": "wall",
    "rotate_wall": "wall",
    # the analyst view
    "sync_filters": "view",
    "update_map": "view",
    "update_kpis": "view",
    "update_task_chart": "view",
    "update_checkpoint_chart": "view",
    "update_colour_chart": "view",
    "update_table": "view",
    "choose_grid": "view",
    "show_detail": "view",
    # exports and downloads
    "export_links": "export",
    "export_table": "export",
    "download_chart_csv": "export",
    # writing data
    "preview_upload": "write",
    "commit_upload": "write",
    # boundaries
    "preview_boundaries": "admin",
    "activate_boundaries": "admin",
    "reactivate_version": "admin",
    "show_versions": "admin",
    "reactivate_enabled": "admin",
}
"""The action (``gridwatch.auth.policy.ACTIONS``) each callback requires of its caller."""


def bind(app: Dash, source: DataSource, function: Callable, **spec) -> None:
    """Register ``function(source, **inputs)`` as a callback with ``spec``'s dict forms,
    guarded by ``REQUIRES[function.__name__]``."""
    from web.auth import current_principal

    action = REQUIRES[function.__name__]
    wants_who = "who" in inspect.signature(function).parameters

    @functools.wraps(function)
    def call(**inputs):
        who = current_principal()
        if not allows(who, action):
            abort(403)
        if "lang" in inputs:
            inputs["lang"] = normalise_language(inputs["lang"])
        if wants_who:
            inputs["who"] = who
        return function(source, **inputs)

    app.callback(**spec)(call)


def register(app: Dash, source: DataSource) -> None:
    from callbacks import (
        boundary_import,
        charts,
        detail,
        export,
        filters,
        kpis,
        live,
        map,
        router,
        table,
        table_upload,
        wall,
    )

    for module in (router, filters, map, kpis, charts, table, detail, live, wall, table_upload,
                   boundary_import, export):
        module.register(app, source)
