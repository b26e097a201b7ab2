"""What the read endpoints answer: current state derived from history, and the history itself.

The current state follows the same rule as the dashboard (``gridwatch.metrics``): the latest
observation by ``observed_at`` (ties: the later record) wins, so an older observation that
arrives late stays in history without overriding the present. Times are given in the county's
time zone with their UTC offset.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from gridwatch.auth.policy import Principal, covers
from gridwatch.geo.layers import Region
from gridwatch.store import models as m


def local_iso(moment: datetime | None, tz: str) -> str | None:
    """Naive UTC from the store as ISO 8601 in ``tz`` with its offset."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat()


def grid_state(engine: Engine, region: Region, code: str, tz: str) -> dict | None:
    """A grid's names, current colour (and since when it was observed) and its full history.

    Returns None for an unknown grid code.
    """
    grids = region.grid_table.set_index("code")
    if code not in grids.index:
        return None
    info = grids.loc[code]
    t = m.RiskAssessment
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.grid_code == code)
                            .order_by(t.observed_at, t.id)).all()
    history = [{"colour": r.colour, "observed_at": local_iso(r.observed_at, tz),
                "recorded_at": local_iso(r.recorded_at, tz), "source": r.source,
                "note": r.note} for r in rows]
    current = rows[-1] if rows else None
    return {
        "code": code, "name_zh": info["name_zh"], "name_en": info["name_en"],
        "village_code": info["village_code"], "township_code": info["township_code"],
        "colour": current.colour if current else None,
        "observed_at": local_iso(current.observed_at, tz) if current else None,
        "source": current.source if current else None,
        "history": history[::-1],
    }


def township_state(engine: Engine, region: Region, code: str, tz: str) -> dict | None:
    """A township's current control level (3 when never set) and its level history."""
    towns = region.townships.set_index("code")
    if code not in towns.index:
        return None
    t = m.ControlLevelChange
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.township_code == code)
                            .order_by(t.effective_at, t.id)).all()
    return {
        "code": code, "name_zh": towns.loc[code, "name_zh"], "name_en": towns.loc[code, "name_en"],
        "level": rows[-1].level if rows else m.DEFAULT_CONTROL_LEVEL,
        "effective_at": local_iso(rows[-1].effective_at, tz) if rows else None,
        "history": [{"level": r.level, "effective_at": local_iso(r.effective_at, tz),
                     "source": r.source, "note": r.note} for r in rows[::-1]],
    }


def directives(engine: Engine, tz: str, kind: str | None = None) -> list[dict]:
    """Orders and notices, newest first."""
    t = m.Directive
    query = select(t).order_by(t.issued_at.desc(), t.id.desc())
    if kind:
        query = query.where(t.kind == kind)
    with engine.connect() as conn:
        return [{"kind": r.kind, "number": r.number, "title_zh": r.title_zh,
                 "title_en": r.title_en, "issued_at": local_iso(r.issued_at, tz)}
                for r in conn.execute(query)]


def task_state(engine: Engine, code: str, tz: str) -> dict | None:
    """A special task and where it stands in every grid it reached."""
    with engine.connect() as conn:
        task = conn.execute(select(m.Task).where(m.Task.code == code)).first()
        if task is None:
            return None
        a = m.TaskAssignment
        rows = conn.execute(select(a).where(a.task_id == task.id).order_by(a.grid_code)).all()
    return {
        "code": task.code, "title_zh": task.title_zh, "title_en": task.title_en,
        "scope": task.scope, "issued_at": local_iso(task.issued_at, tz),
        "due_at": local_iso(task.due_at, tz),
        "grids": len(rows), "handed_off": sum(r.handed_off_at is not None for r in rows),
        "acknowledged": sum(r.acknowledged_at is not None for r in rows),
        "completed": sum(r.completed_at is not None for r in rows),
        "assignments": [{"grid_code": r.grid_code, "township_code": r.township_code,
                         "issued_at": local_iso(r.issued_at, tz),
                         "due_at": local_iso(r.due_at, tz),
                         "handed_off_at": local_iso(r.handed_off_at, tz),
                         "acknowledged_at": local_iso(r.acknowledged_at, tz),
                         "completed_at": local_iso(r.completed_at, tz)} for r in rows],
    }


def checkpoint_counts(engine: Engine, code: str, tz: str, start: datetime | None = None,
                      end: datetime | None = None, limit: int = 744) -> list[dict]:
    """One checkpoint's hourly counts in ``[start, end)`` (naive UTC), latest first."""
    t = m.CheckpointCount
    query = select(t).where(t.checkpoint_code == code)
    if start is not None:
        query = query.where(t.hour_start >= start)
    if end is not None:
        query = query.where(t.hour_start < end)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(t.hour_start.desc()).limit(limit)).all()
    return [{"hour_start": local_iso(r.hour_start, tz), "vehicles": r.vehicles,
             "people": r.people, "qr_registrations": r.qr_registrations, "flagged": r.flagged}
            for r in rows]


PERSONAL_LEAD_FIELDS = ("summary_zh", "summary_en", "outcome", "household_ref")
"""What of a lead is household-level: its texts and the household it concerns."""


def lead_state(engine: Engine, code: str, tz: str, who: Principal,
               region: Region) -> dict | None:
    """A lead with its timeline (reported, acknowledged, escalated, dispatched, closed).

    Its texts and household (``PERSONAL_LEAD_FIELDS``) are given only to a caller allowed
    household-level data where the lead is; for anyone else they are null and
    ``personal_fields_removed`` is true, so the record can still be traced.
    """
    with engine.connect() as conn:
        r = conn.execute(select(m.Lead).where(m.Lead.code == code)).first()
    if r is None:
        return None
    grids = region.grid_table.set_index("code")
    village = grids["village_code"].get(r.grid_code)
    personal = covers(who, "personal", r.township_code, village)
    answer = {"code": r.code, "grid_code": r.grid_code, "township_code": r.township_code,
              "category": r.category,
              "timeline": {st: local_iso(getattr(r, f"{st}_at"), tz) for st in
                           ("reported", "acknowledged", "escalated", "dispatched", "closed")},
              "personal_fields_removed": not personal}
    for name in PERSONAL_LEAD_FIELDS:
        answer[name] = getattr(r, name) if personal else None
    return answer


def audit_entries(engine: Engine, tz: str, entity: str | None = None, key: str | None = None,
                  limit: int = 200) -> list[dict]:
    """Audit rows, newest first, optionally for one entity (e.g. "grid") and key."""
    t = m.AuditEntry
    query = select(t).order_by(t.id.desc()).limit(limit)
    if entity:
        query = query.where(t.entity == entity)
    if key:
        query = query.where(t.entity_key == key)
    with engine.connect() as conn:
        return [{"at": local_iso(r.at, tz), "actor": r.actor, "action": r.action,
                 "entity": r.entity, "entity_key": r.entity_key,
                 "before": json.loads(r.before) if r.before else None,
                 "after": json.loads(r.after) if r.after else None,
                 "request_id": r.request_id} for r in conn.execute(query)]
