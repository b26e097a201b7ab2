"""Export IDs and the export log: the same request on the same data gives the same file.

An export's ID is a short hash of its request and the data version. The first time an ID is
produced it is recorded in the store (``export_records``) with the time it was generated;
asking again for that ID, on any host of the deployment, reuses the recorded time, so the
"generated at" stamp, the file metadata and with them the bytes of the file come out the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from gridwatch.export.options import ExportRequest
from gridwatch.store.models import ExportEntry
from gridwatch.store.writes import now_utc


def export_id(request: ExportRequest, data_version: str) -> str:
    """A 12-hex-digit ID for ``request`` on ``data_version`` (stable across runs)."""
    payload = json.dumps({"request": request.canonical(), "data_version": data_version},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ExportRecord:
    """One export's record (a row of ``export_records``)."""

    export_id: str
    data_version: str
    generated_at: str  # ISO 8601 with the county's UTC offset, to the second
    request: dict
    query: str  # the /export query string that asks for this export again

    @property
    def generated(self) -> datetime:
        return datetime.fromisoformat(self.generated_at)


class ExportLog:
    """The export records in the store (``export_records``): shared by every process and host.

    The first record of an ID wins: ``record`` inserts with ``ON CONFLICT DO NOTHING`` (or,
    on another database, catches the duplicate key) and reads the row back, so concurrent
    exports of the same request agree on one generation time. Recording is not a data
    change: it goes around ``gridwatch.store.writes.write`` and leaves the data version alone
    (an export must not make every wall reload).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store (``DataSource.engine``; the read engine will do, each record is one
        single-statement transaction).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(self, export_id: str) -> ExportRecord | None:
        """The first record of ``export_id``, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(ExportEntry.__table__)
                               .where(ExportEntry.export_id == export_id)).first()
        if row is None:
            return None
        return ExportRecord(export_id=row.export_id, data_version=row.data_version,
                            generated_at=row.generated_at, request=json.loads(row.request),
                            query=row.query)

    def record(self, request: ExportRequest, data_version: str, timezone: str,
               now: datetime | None = None) -> ExportRecord:
        """The record for ``request`` on ``data_version``: the existing one, or a new one.

        Parameters
        ----------
        request : ExportRequest
        data_version : str
            The version of the snapshot the export was drawn from (``Snapshot.version``).
        timezone : str
            The county's time zone, for the "generated at" stamp.
        now : datetime, optional
            The generation time for a new record (default: the current time).
        """
        eid = export_id(request, data_version)
        existing = self.find(eid)
        if existing is not None:
            return existing
        stamp = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone))
        values = {"export_id": eid, "data_version": data_version,
                  "generated_at": stamp.replace(microsecond=0).isoformat(),
                  "request": json.dumps(request.canonical(), ensure_ascii=False,
                                        sort_keys=True),
                  "query": request.to_query(), "recorded_at": now_utc()}
        self._insert_first(values)
        found = self.find(eid)
        if found is None:  # pragma: no cover - the row was just written or already there
            raise RuntimeError(f"export {eid} was recorded but cannot be read back")
        return found

    def _insert_first(self, values: dict) -> None:
        """Insert ``values`` unless a record of its ID exists (then nothing happens)."""
        table = ExportEntry.__table__
        name = self.engine.dialect.name
        if name in ("sqlite", "postgresql"):
            dialect_insert = sqlite_insert if name == "sqlite" else postgresql_insert
            statement = dialect_insert(table).values(**values).on_conflict_do_nothing(
                index_elements=[table.c.export_id])
            with self.engine.begin() as conn:
                conn.execute(statement)
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values(**values))
        except IntegrityError:
            pass  # another process recorded it first: its record wins
