"""Callbacks, one module per feature; each has ``register(app, source)``."""

from __future__ import annotations

from dash import Dash

from gridwatch.service import DataSource


def register(app: Dash, source: DataSource) -> None:
    from callbacks import (
        api,
        charts,
        detail,
        export,
        filters,
        kpis,
        live,
        map,
        router,
        routes,
        table,
        upload,
        wall,
    )

    for module in (routes, router, filters, map, kpis, charts, table, detail, live, api, wall,
                   upload, export):
        module.register(app, source)
