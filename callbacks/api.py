"""Moved: the HTTP API is the blueprint ``web.api``, registered by ``web.register``.

Only this shim is left, for the writer processes of ``tests/unit/test_concurrency.py``, which
call ``api.register(app, source)`` on a bare Flask app; delete the file once they call
``web.register(app.server, source)``.
"""

from __future__ import annotations

import web
from gridwatch.service import DataSource


def register(app, source: DataSource) -> None:
    """Serve the ``web`` blueprints on ``app.server``."""
    web.register(app.server, source)
