"""The WSGI entry point for several worker processes: ``gunicorn -c gunicorn.conf.py wsgi:server``
(``make serve``).

``server`` is the Flask server of ``create_app`` with the settings from the environment (and
``./.env``). gunicorn imports this module in each worker after the fork (no ``preload_app``), so
every worker opens its own connections and keeps its own snapshot cache; what the worker built
is then frozen out of the garbage collector's sight (``app.freeze_startup_objects``). On a store
other than the embedded default, run ``python -m gridwatch init-store`` first: a worker refuses
to start on a store whose schema is missing or behind (``StoreNotReady``), and gunicorn then
stops.
"""

from __future__ import annotations

import sys

from gridwatch.logs import configure_logging
from gridwatch.service import StoreNotReady
from gridwatch.settings import Settings

settings = Settings.from_env_or_exit()
configure_logging(settings.log_format)

from app import create_app, freeze_startup_objects  # noqa: E402 (after the masking filter)

try:
    server = create_app(settings).server
except StoreNotReady as exc:
    print(f"gridwatch: {exc}", file=sys.stderr, flush=True)
    # gunicorn's exit code for a worker that cannot boot: the arbiter stops instead of
    # starting the worker again and again.
    sys.exit(3)
freeze_startup_objects()
