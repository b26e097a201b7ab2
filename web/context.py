"""The data source of the app serving the current request (set by ``web.register``)."""

from __future__ import annotations

from flask import Flask, current_app

from gridwatch.service import DataSource

KEY = "gridwatch.source"


def attach(server: Flask, source: DataSource) -> None:
    """Make ``source`` the data source of ``server``'s requests."""
    server.extensions[KEY] = source


def attached(server: Flask) -> bool:
    return KEY in server.extensions


def data_source() -> DataSource:
    """The data source of the app handling the current request."""
    return current_app.extensions[KEY]
