"""Export IDs and the export log: the same request on the same data gives the same file.

An export's ID is a short hash of its request and the data version. The first time an ID is
produced it is written to a small JSON-lines log with the time it was generated; asking again
for that ID reuses the recorded time, so the "generated at" stamp, the file metadata and with
them the bytes of the file come out the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from gridwatch.export.options import ExportRequest
from gridwatch.settings import REPO_ROOT, Settings


def export_id(request: ExportRequest, data_version: str) -> str:
    """A 12-hex-digit ID for ``request`` on ``data_version`` (stable across runs)."""
    payload = json.dumps({"request": request.canonical(), "data_version": data_version},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ExportRecord:
    """One line of the export log."""

    export_id: str
    data_version: str
    generated_at: str  # ISO 8601 with the county's UTC offset, to the second
    request: dict
    query: str  # the /export query string that asks for this export again

    @property
    def generated(self) -> datetime:
        return datetime.fromisoformat(self.generated_at)


def log_path(settings: Settings) -> Path:
    """Where the export log lives: beside a SQLite store, else in ``instance/``."""
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        db = Path(url.removeprefix("sqlite:///"))
        return db.with_name(db.name + ".exports.jsonl")
    return REPO_ROOT / "instance" / "exports.jsonl"


class ExportLog:
    """The append-only log of exports (one JSON object per line, safe across processes)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def find(self, export_id: str) -> ExportRecord | None:
        """The first record of ``export_id``, or ``None``."""
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                if f'"{export_id}"' not in line:
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn line from a crash: skip it, keep the rest
                if data.get("export_id") == export_id:
                    return ExportRecord(**data)
        return None

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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                existing = self.find(eid)
                if existing is not None:
                    return existing
                stamp = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone))
                record = ExportRecord(export_id=eid, data_version=data_version,
                                      generated_at=stamp.replace(microsecond=0).isoformat(),
                                      request=request.canonical(), query=request.to_query())
                fh.write(json.dumps(asdict(record), ensure_ascii=False, sort_keys=True) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                return record
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
