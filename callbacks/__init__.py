"""Dash callbacks, one module per feature; each has ``register(app, source)``.

A callback is a module-level function that takes the data source first and its inputs as
keywords, and returns a dict keyed like its outputs (Dash's dict forms of ``inputs=`` and
``output=``), so a test calls it with names and reads the result by name. ``bind`` attaches
one to the app. Plain HTTP routes are not here: they are Flask blueprints in ``web/``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from dash import Dash

from gridwatch.service import DataSource


def bind(app: Dash, source: DataSource, function: Callable, **spec) -> None:
    """Register ``function(source, **inputs)`` as a callback with ``spec``'s dict forms."""

    @functools.wraps(function)
    def call(**inputs):
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
