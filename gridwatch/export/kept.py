"""Kept daily briefings: the briefing pack of the day before, made once a day and kept.

``GRIDWATCH_DAILY_PACK_AT`` (``HH:MM`` in the county's time zone; empty: off) is when
``python -m gridwatch daily-pack`` makes the pack of the day before; ``--once`` makes it
now, for cron or a systemd timer. The file is kept in the store (``kept_briefings``), not in
a folder, so that every host lists and serves the same briefings; one row per day, so two
runs (two hosts, a retry) keep one.

A kept pack is drawn for the view that shows no household-level data anywhere (personal
counts suppressed below ``GRIDWATCH_SUPPRESS_BELOW``, ``gridwatch.visibility``): every role
that may export may have it. Keeping a briefing is not a data change (the data version stays).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from gridwatch.store.models import KeptBriefing
from gridwatch.store.writes import now_utc

KEPT_LIST = 30
"""Kept briefings the export panel lists (newest first)."""


class NotInHistory(LookupError):
    """The day asked for lies outside the store's history: there is no pack to make."""

    def __init__(self, day: date, first: date | None, last: date | None) -> None:
        super().__init__(day.isoformat())
        self.day, self.first, self.last = day, first, last


@dataclass(frozen=True)
class Kept:
    """A kept briefing's facts (not its bytes)."""

    day: date
    lang: str
    export_id: str
    data_version: str
    view: str
    filename: str
    size: int
    created_at: datetime


def parse_at(raw: str) -> time | None:
    """``GRIDWATCH_DAILY_PACK_AT``: ``HH:MM`` (24-hour) → a time; empty → None (off).

    Raises ``ValueError`` for anything else."""
    text = (raw or "").strip()
    if not text:
        return None
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) in (1, 2) and len(minutes) == 2 and hours.isdigit()
            and minutes.isdigit() and hours.isascii() and minutes.isascii()):
        raise ValueError("not a time of day HH:MM (24-hour), e.g. 07:30")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError("not a time of day HH:MM (24-hour), e.g. 07:30")
    return time(int(hours), int(minutes))


def kept_view(threshold: int) -> str:
    """The view a kept pack is drawn for: no household-level data, counts below
    ``threshold`` suppressed (``gridwatch.visibility.view_of`` of a role without that right)."""
    return f"none<{threshold}"


def local_now(timezone: str) -> datetime:
    return datetime.now(ZoneInfo(timezone))


def due_day(at: time, now: datetime) -> date | None:
    """The day whose pack is due at ``now`` (local): the day before, once ``at`` has passed
    today; None before then."""
    if now.time().replace(second=0, microsecond=0) < at:
        return None
    return now.date() - timedelta(days=1)


def seconds_until(at: time, now: datetime) -> float:
    """Seconds from ``now`` (local, aware) to the next ``at``."""
    target = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if target <= now:
        target = target + timedelta(days=1)
    return (target - now).total_seconds()


def _row(r) -> Kept:
    return Kept(day=r.day, lang=r.lang, export_id=r.export_id, data_version=r.data_version,
                view=r.view, filename=r.filename, size=r.size, created_at=r.created_at)


_FACTS = [KeptBriefing.day, KeptBriefing.lang, KeptBriefing.export_id,
          KeptBriefing.data_version, KeptBriefing.view, KeptBriefing.filename,
          KeptBriefing.size, KeptBriefing.created_at]


def listed(engine: Engine, limit: int = KEPT_LIST) -> list[Kept]:
    """The kept briefings, newest day first (their bytes are not read)."""
    with engine.connect() as conn:
        rows = conn.execute(select(*_FACTS).order_by(KeptBriefing.day.desc())
                            .limit(limit)).all()
    return [_row(r) for r in rows]


def find(engine: Engine, day: date) -> Kept | None:
    with engine.connect() as conn:
        row = conn.execute(select(*_FACTS).where(KeptBriefing.day == day)).first()
    return None if row is None else _row(row)


def content(engine: Engine, day: date) -> bytes | None:
    """The kept pack of ``day`` (PDF bytes), or None."""
    with engine.connect() as conn:
        return conn.execute(select(KeptBriefing.content)
                            .where(KeptBriefing.day == day)).scalar()


def keep(source, day: date, actor: str = "scheduler") -> tuple[Kept, bool]:
    """The kept pack of ``day``: the one already kept (and False), or one made now from the
    store's current data and kept (and True). Concurrent calls keep one: the first insert
    wins and the others read it back.

    Raises
    ------
    NotInHistory
        ``day`` is not a day of the store's history.
    """
    from gridwatch.export import request_from_params, run_export
    from gridwatch.export.options import ExportOptionError

    found = find(source.engine, day)
    if found is not None:
        return found, False
    settings = source.settings
    snap = source.snapshot()
    if snap.first_day is None or not snap.first_day <= day <= snap.last_day:
        raise NotInHistory(day, snap.first_day, snap.last_day)
    try:
        request = request_from_params("pack", {"date": day.isoformat()},
                                      snap.region.townships["code"], snap.first_day,
                                      snap.last_day, settings.default_language)
    except ExportOptionError:
        raise NotInHistory(day, snap.first_day, snap.last_day) from None
    request = replace(request, view=kept_view(settings.suppress_below))
    result = run_export(source, request, snap=snap)
    values = {"day": day, "lang": request.lang, "export_id": result.record.export_id,
              "data_version": result.record.data_version, "view": request.view,
              "filename": result.filename, "size": len(result.content),
              "content": result.content, "created_at": now_utc(), "created_by": actor}
    made = _insert_first(source.engine, values)
    kept = find(source.engine, day)
    if kept is None:  # pragma: no cover - the row was just written or already there
        raise RuntimeError(f"the briefing of {day} was kept but cannot be read back")
    return kept, made


def _insert_first(engine: Engine, values: dict) -> bool:
    """Insert ``values`` unless a briefing of its day is kept (then nothing happens);
    whether this call inserted it."""
    table = KeptBriefing.__table__
    name = engine.dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if name == "sqlite" else postgresql_insert
        statement = dialect_insert(table).values(**values).on_conflict_do_nothing(
            index_elements=[table.c.day]).returning(table.c.id)
        with engine.begin() as conn:  # a row comes back only when this insert kept it
            return conn.execute(statement).first() is not None
    try:
        with engine.begin() as conn:
            conn.execute(insert(table).values(**values))
    except IntegrityError:
        return False  # another process kept it first: its file wins
    return True


def size_text(size: int) -> str:
    """A file size for the list: ``512 KB``, ``1.4 MB``."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"
