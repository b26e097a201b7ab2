"""Live data: the page polls the data version and refreshes its panels when it changes.

The poll is the browser's (``gridwatchWall.pageVersion`` in ``assets/wall.js``): it reads
``/live``, the store's version row, so polling costs no server callback. A new version in
the page's version store fires the map, the panels and the detail (their ``version`` input).
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from gridwatch.service import DataSource
from layouts.ids import ID


def register(app: Dash, source: DataSource) -> None:
    app.clientside_callback(  # new boundaries: reload once to fetch the new shapes
        ClientsideFunction("gridwatchWall", "regionWatch"),
        Output(ID.VERSION_POLL, "max_intervals"), Input(ID.VERSION, "data"))
    app.clientside_callback(
        ClientsideFunction("gridwatchWall", "pageVersion"),
        Output(ID.VERSION, "data"), Output(ID.FOOTER_VERSION, "children"),
        Input(ID.VERSION_POLL, "n_intervals"), State(ID.VERSION, "data"))
