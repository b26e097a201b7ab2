"""Live data: the page polls the data version and refreshes its panels when it changes."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, no_update

from gridwatch.service import DataSource
from layouts.ids import ID


def register(app: Dash, source: DataSource) -> None:
    app.clientside_callback(  # new boundaries: reload once to fetch the new shapes
        ClientsideFunction("gridwatchWall", "regionWatch"),
        Output(ID.VERSION_POLL, "max_intervals"), Input(ID.VERSION, "data"))

    @app.callback(Output(ID.VERSION, "data"), Output(ID.FOOTER_VERSION, "children"),
                  Input(ID.VERSION_POLL, "n_intervals"), State(ID.VERSION, "data"))
    def _poll(_n, known):
        version = source.version()
        if version == known:
            return no_update, no_update
        return version, f"v{version}"
