"""``GET /healthz``: liveness and the data version, public, for load balancers and monitors.

The wall's own live signal, with freshness, is ``/live`` (``web.auth``), behind a login.

Neither waits for a snapshot: right after a write the next ``DataSource.snapshot()`` reads the
whole store again, and a poll that needed it would block on that reload. They read the store's
version, the active region file and when the store last changed, in one read transaction of a
few small queries; the composite version is ``Snapshot.version``'s, built from the same region
the data source uses for that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify
from sqlalchemy import Connection, func, select

from gridwatch.geo.layers import Region, load_region
from gridwatch.service import DataSource
from gridwatch.snapshot import read_transaction, version_string
from gridwatch.store import models as m
from gridwatch.store.regions import active_version, region_path
from web.context import data_source

blueprint = Blueprint("health", __name__)

# The columns ``Snapshot.last_day`` takes its latest day from (stored as naive UTC).
LATEST_DAY_COLUMNS = (m.RiskAssessment.observed_at, m.CheckpointCount.hour_start,
                      m.Lead.reported_at, m.TaskAssignment.issued_at)


@dataclass(frozen=True)
class LiveState:
    """What a poll needs to know, read without the store's data."""

    store_version: int
    region: Region
    updated_at: datetime | None
    latest_day: date | None = None

    @property
    def version(self) -> str:
        """The composite data version, exactly ``Snapshot.version``."""
        return version_string(self.store_version, self.region)


def read_state(source: DataSource, *, latest_day: bool = False) -> LiveState:
    """The store's version, region and last change (and, if asked, its latest day), in one
    read transaction; never a snapshot.

    A data source without an engine (a test double offering only ``snapshot()``) answers
    from its snapshot.
    """
    engine = getattr(source, "engine", None)
    if engine is None:
        snap = source.snapshot()
        return LiveState(snap.store_version, snap.region, snap.updated_at,
                         snap.last_day if latest_day else None)
    with read_transaction(engine) as conn:
        meta = dict(conn.execute(select(m.StoreMeta.key, m.StoreMeta.value).where(
            m.StoreMeta.key.in_(("version", "updated_at")))).all())
        region_version = active_version(conn)
        day = _latest_day(conn, source.settings.timezone) if latest_day else None
    updated = meta.get("updated_at")
    return LiveState(int(meta.get("version") or 0),
                     load_region(region_path(source.settings, region_version, engine)),
                     datetime.fromisoformat(updated) if updated else None, day)


def _latest_day(conn: Connection, tz: str) -> date:
    """``Snapshot.last_day`` from four ``max()``: the latest record's local day."""
    # One statement of four scalar subqueries (each its own table, no join).
    latest = [value for value in conn.execute(select(*(
        select(func.max(c)).scalar_subquery() for c in LATEST_DAY_COLUMNS))).one()
        if value is not None]
    if not latest:
        return date.today()
    instants = [v if isinstance(v, datetime) else datetime.fromisoformat(str(v)) for v in latest]
    return max(instants).replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


def healthz(source: DataSource, *, latest_day: bool = True) -> dict:
    """Liveness and freshness: the data version changes whenever the store changes.

    ``latest_day`` (the latest day with any record) costs four ``max()`` queries; the live
    routes leave it out.
    """
    state = read_state(source, latest_day=latest_day)
    updated = state.updated_at
    age = (datetime.now(UTC).replace(tzinfo=None) - updated).total_seconds() if updated else None
    stale_after = source.settings.stale_after_minutes * 60
    answer = {"status": "ok", "data_version": state.version,
              "store_version": state.store_version, "region": state.region.fingerprint,
              "updated_at": updated.isoformat() + "Z" if updated else None,
              "age_seconds": round(age) if age is not None else None,
              "stale": bool(age is not None and stale_after > 0 and age > stale_after),
              "stale_after_seconds": stale_after}
    if state.latest_day is not None:
        answer["latest_day"] = state.latest_day.isoformat()
    return answer


@blueprint.get("/healthz")
def health():
    state = read_state(data_source())
    response = jsonify({"status": "ok", "data_version": state.version})
    response.headers["Cache-Control"] = "no-store"
    return response
