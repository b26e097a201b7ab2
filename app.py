"""The command dashboard's entry point: ``create_app(settings)``; ``python app.py`` serves."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

import plotly.io as pio
from dash import Dash

import callbacks
import web
from callbacks.validation import check_ids, validation_layout
from gridwatch.i18n import t
from gridwatch.logs import configure_logging
from gridwatch.service import DataSource, StoreNotReady
from gridwatch.settings import Settings
from layouts import shell
from web import security


def create_app(settings: Settings | None = None) -> Dash:
    """Build the Dash app for ``settings`` (default: read from the environment).

    Only the embedded default store is migrated and seeded here (``make run``); any other
    store must be current already, else ``StoreNotReady`` (its message names ``init-store``).
    Opens no connection it keeps: under gunicorn each worker builds its own app after the fork.
    """
    settings = settings or Settings.from_env()
    # Dash encodes every callback answer with plotly's JSON encoder. Its orjson engine cannot
    # take Dash components, so it first walks each answer element by element in Python (a
    # tenth of a busy server's time, measured by the load run); the json engine hands the
    # components to the standard library's C encoder, twice as fast on the panels' answer.
    pio.json.config.default_engine = "json"
    source = DataSource(settings)
    source.open()
    app = Dash(__name__, title=t("app.title", settings.default_language),
               serve_locally=True, update_title=None,
               compress=True)  # callback responses (tables, styles) travel compressed
    app.index_string = shell.index_string(settings.default_language)
    app.layout = shell.layout()
    # Pages are rendered by the router: Dash checks callbacks against the union of them all.
    app.validation_layout = validation_layout(source)
    web.register(app.server, source)  # the API, /healthz, /geo and /export blueprints
    callbacks.register(app, source)
    check_ids(app, app.validation_layout)
    security.install(app, settings)  # headers, CSP, body caps, same-origin writes
    return app


def freeze_startup_objects() -> None:
    """Before serving: move everything built so far (the app, its layouts and callbacks, the
    region) out of the garbage collector's sight. They live as long as the process, and a
    full collection would otherwise walk all of them again and again (about a third of a
    snapshot reload's time, and a share of every callback's)."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the grid command dashboard.")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8050)")
    parser.add_argument("--debug", action="store_true", default=None)
    args = parser.parse_args(argv)
    configure_logging()  # masked from the first line on
    settings = Settings.from_env_or_exit(host=args.host, port=args.port, debug=args.debug)
    configure_logging(settings.log_format)
    try:
        app = create_app(settings)
    except StoreNotReady as exc:
        print(f"gridwatch: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    if settings.debug:
        app.run(host=settings.host, port=settings.port, debug=True)
        return
    freeze_startup_objects()
    # A wall runs for days: a production WSGI server with a fixed pool of threads.
    from waitress import serve

    logging.getLogger("gridwatch").info("serving on http://%s:%s", settings.host, settings.port)
    serve(app.server, host=settings.host, port=settings.port,
          **security.waitress_options(settings))


if __name__ == "__main__":
    main()
