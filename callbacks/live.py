"""Live data: the page polls the data version and refreshes its panels when it changes."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, no_update

from callbacks import bind
from gridwatch.service import DataSource
from layouts.ids import ID


def poll_version(source: DataSource, tick: int | None, known: str | None) -> dict:
    """The poll ticks → the data version, when it differs from the one the page shows."""
    version = source.snapshot().version
    if version == known:
        return {"version": no_update, "footer": no_update}
    return {"version": version, "footer": f"v{version}"}


def register(app: Dash, source: DataSource) -> None:
    app.clientside_callback(  # new boundaries: reload once to fetch the new shapes
        ClientsideFunction("gridwatchWall", "regionWatch"),
        Output(ID.VERSION_POLL, "max_intervals"), Input(ID.VERSION, "data"))
    bind(app, source, poll_version,
         output={"version": Output(ID.VERSION, "data"),
                 "footer": Output(ID.FOOTER_VERSION, "children")},
         inputs={"tick": Input(ID.VERSION_POLL, "n_intervals"),
                 "known": State(ID.VERSION, "data")})
