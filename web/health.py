"""``GET /healthz``: liveness and the data version, public, for load balancers and monitors.

The wall's own live signal, with freshness, is ``/live`` (``web.auth``), behind a login.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify

from gridwatch.service import DataSource
from web.context import data_source

blueprint = Blueprint("health", __name__)


def healthz(source: DataSource) -> dict:
    """Liveness and freshness: the data version changes whenever the store changes."""
    snap = source.snapshot()
    updated = snap.updated_at
    age = (datetime.now(UTC).replace(tzinfo=None) - updated).total_seconds() if updated else None
    stale_after = source.settings.stale_after_minutes * 60
    return {"status": "ok", "data_version": snap.version,
            "store_version": snap.store_version, "region": snap.region.fingerprint,
            "latest_day": snap.last_day.isoformat(),
            "updated_at": updated.isoformat() + "Z" if updated else None,
            "age_seconds": round(age) if age is not None else None,
            "stale": bool(age is not None and stale_after > 0 and age > stale_after),
            "stale_after_seconds": stale_after}


@blueprint.get("/healthz")
def health():
    full = healthz(data_source())
    response = jsonify({"status": full["status"], "data_version": full["data_version"]})
    response.headers["Cache-Control"] = "no-store"
    return response
