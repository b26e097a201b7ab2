"""Write transactions for ingest: ``BEGIN IMMEDIATE`` on SQLite, idempotency keys and audit rows.

With the default deferred ``BEGIN`` a transaction that reads (to find duplicates) and then
writes must upgrade its lock; when another writer got there first SQLite answers "database is
locked" at once, without waiting out the busy timeout. ``BEGIN IMMEDIATE`` takes the write lock
up front, so concurrent writers queue on the busy timeout instead (see SQLAlchemy's pysqlite
notes on serializable isolation and transactional DDL).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridwatch.ingest.auth import Principal
from gridwatch.ingest.errors import IngestError, refuse
from gridwatch.ingest.jsonsafe import dumps
from gridwatch.store.db import bump_version, make_engine
from gridwatch.store.models import ApiToken, AuditEntry, IdempotencyKey


def make_write_engine(url: str) -> Engine:
    """An engine whose transactions start with ``BEGIN IMMEDIATE`` on SQLite.

    Parameters
    ----------
    url : str
        The store's database URL (the same the readers use).
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_conn, _record):
            # pysqlite would otherwise issue its own deferred BEGIN before the first write.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Outcome:
    """What a write did: the answer body, and whether anything in the store changed."""

    body: dict
    changed: bool
    status: int = 200


@dataclass(frozen=True)
class WriteContext:
    """Passed to a batch applier: who writes, under which request id, at what time."""

    actor: str
    request_id: str
    now: datetime


def request_digest(endpoint: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


def run_write(engine: Engine, principal: Principal, endpoint: str, body,
              apply: Callable[[Session, WriteContext], Outcome],
              idempotency_key: str | None = None) -> tuple[Outcome, bool]:
    """Run ``apply`` in one write transaction; return its outcome and whether it was a replay.

    The data version is bumped in the same transaction when the store changed, so the
    dashboard notices the write on its next poll. A request carrying an ``idempotency_key``
    already answered for this principal gets the stored answer again and changes nothing; the
    same key with a different body is refused (422).

    Raises
    ------
    IngestError
        When ``apply`` refuses the batch (nothing is stored) or the store stays busy.
    """
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise refuse(400, "request.idempotency_key_length", "Idempotency-Key")
    digest = request_digest(endpoint, body)
    request_id = uuid.uuid4().hex
    try:
        with Session(engine) as session, session.begin():
            if idempotency_key is not None:
                seen = session.scalars(select(IdempotencyKey).where(
                    IdempotencyKey.actor == principal.actor,
                    IdempotencyKey.key == idempotency_key)).first()
                if seen is not None:
                    if seen.request_digest != digest:
                        raise refuse(422, "request.idempotency_key_reused", "Idempotency-Key")
                    return Outcome(json.loads(seen.response), False, seen.status), True
            ctx = WriteContext(principal.actor, idempotency_key or request_id, now_utc())
            outcome = apply(session, ctx)
            if outcome.changed:
                outcome.body["data_version"] = bump_version(session)
            if idempotency_key is not None:
                session.add(IdempotencyKey(
                    actor=principal.actor, key=idempotency_key, endpoint=endpoint,
                    request_digest=digest, status=outcome.status,
                    response=dumps(outcome.body), created_at=ctx.now))
            if principal.id is not None:
                session.execute(update(ApiToken).where(ApiToken.id == principal.id)
                                .values(last_used_at=ctx.now))
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise refuse(503, "request.busy") from None
        raise
    return outcome, False


def audit(session: Session, ctx: WriteContext, entries: list[dict]) -> None:
    """Record audit rows: each entry has ``action``, ``entity``, ``entity_key``, ``before``
    and ``after`` (JSON-able values or None)."""
    if not entries:
        return
    session.execute(insert(AuditEntry), [{
        "at": ctx.now, "actor": ctx.actor, "request_id": ctx.request_id[:64],
        "action": e["action"], "entity": e["entity"], "entity_key": str(e["entity_key"])[:96],
        "before": None if e.get("before") is None else dumps(e["before"]),
        "after": None if e.get("after") is None else dumps(e["after"]),
    } for e in entries])


__all__ = ["IngestError", "Outcome", "WriteContext", "audit", "make_write_engine", "run_write"]
