"""Audit of access (not of changes, which ``gridwatch.store.writes`` audits with them): reads
of household-level data and exports, with who, what, when and from where."""

from __future__ import annotations

from sqlalchemy import Engine

from gridwatch.auth.policy import Principal
from gridwatch.store.writes import write


def audit_access(engine: Engine, who: Principal, action: str, entity: str, key: str,
                 address: str = "", detail: dict | None = None) -> None:
    """Record that ``who`` did ``action`` (e.g. ``read.personal``, ``export``) on an entity."""
    with write(engine, who.actor, address=address) as w:
        w.audit([{"action": action, "entity": entity, "entity_key": key, "after": detail}],
                visible=False)


def audit_personal_read(engine: Engine, who: Principal, entity: str, key: str,
                        address: str = "", detail: dict | None = None) -> None:
    """Record a read of household-level data (lead texts, unsuppressed per-grid counts)."""
    audit_access(engine, who, "read.personal", entity, key, address, detail)
