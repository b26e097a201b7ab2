"""Moved: ``/healthz`` and ``/geo`` are the blueprints ``web.health`` and ``web.geo``.

Only this re-export is left, for ``tests/unit/test_callbacks.py`` (``from callbacks.routes
import healthz``); delete the file once that import names ``web.health``.
"""

from web.health import healthz

__all__ = ["healthz"]
