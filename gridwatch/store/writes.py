"""The one write path: every change to the store's data goes through ``write``.

``with write(engine, actor) as w:`` is one transaction that

1. takes the write lock before anything is read: ``BEGIN IMMEDIATE`` on SQLite (with a deferred
   ``BEGIN`` a transaction that reads, to find duplicates, and then writes must upgrade its
   lock, and SQLite answers "database is locked" at once when another writer got there first;
   an immediate one queues on the busy timeout instead), the data version's row ``FOR UPDATE``
   elsewhere (PostgreSQL: that row lock serialises writers; on a store never written, which
   has no such row yet, an advisory transaction lock does, until the first bump commits it);
2. lets the caller apply its change on ``w.session`` and record what it did with
   ``w.audit(entries)``;
3. writes those audit rows and, when readers will see something new, bumps the data version
   once, in the same transaction, so the dashboard notices on its next poll: one atomic
   ``UPDATE … SET value = value + 1 … RETURNING value``, so the version moves exactly once per
   committed write and never backwards, whatever the isolation level;
4. commits, or rolls all of it back when the block raises.

Nobody bumps the version by hand. API tokens (``gridwatch.auth.tokens``) are not data and are
written outside this path: creating one must not make every wall reload.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, Integer, Text, cast, insert, select, text, update
from sqlalchemy.orm import Session

from gridwatch.store.models import AuditEntry, StoreMeta

FIRST_WRITE_LOCK = int.from_bytes(
    hashlib.sha256(b"gridwatch.store.writes.version").digest()[:8], "big", signed=True)
"""PostgreSQL's advisory lock key for writers on a store without a version row (the same in
every process; not the initialisation lock's, which a write may run under)."""


def now_utc() -> datetime:
    """The current time as naive UTC (how the store keeps instants)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class WriteContext:
    """Who writes, under which request id, at what time (naive UTC)."""

    actor: str
    request_id: str
    now: datetime
    address: str | None = None


class Write:
    """One open write transaction (see ``write``): ``session``, ``ctx`` and what was done."""

    def __init__(self, session: Session, ctx: WriteContext) -> None:
        self.session = session
        self.ctx = ctx
        self._audit: list[dict] = []
        self._changed = False
        self._version: int | None = None

    @property
    def changed(self) -> bool:
        """Whether readers will see something new when this transaction commits."""
        return self._changed

    def audit(self, entries: Iterable[dict], *, visible: bool = True) -> None:
        """Record what changed, written to the audit log with this transaction.

        Parameters
        ----------
        entries : iterable of dict
            Each with ``action``, ``entity``, ``entity_key``, and ``before``/``after``
            (JSON-able values or None).
        visible : bool, default True
            Whether readers see the change (then the data version is bumped). Staging a
            boundary version, for instance, is audited but shows nothing new.
        """
        entries = list(entries)
        self._audit.extend(entries)
        if entries and visible:
            self._changed = True

    def touch(self) -> None:
        """Say that readers will see something new without an audit entry (rows written by
        hand in tests and scripts, where there is no one to audit)."""
        self._changed = True

    def version(self) -> int:
        """Bump the data version now (once per transaction) and return the new one; for an
        answer that must carry it (it is stored with the idempotency key)."""
        self._changed = True
        if self._version is None:
            self._version = _bump_version(self.session, self.ctx.now)
        return self._version

    def _finish(self) -> None:
        if self._audit:
            self.session.execute(insert(AuditEntry), [_audit_row(self.ctx, e)
                                                      for e in self._audit])
            self._audit = []
        if self._changed:
            self.version()


@contextmanager
def write(engine: Engine, actor: str, *, request_id: str | None = None,
          address: str | None = None) -> Iterator[Write]:
    """One write transaction as ``actor``: lock, apply, audit, bump the version, commit.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store; its write engine (``DataSource.writer``, ``make_write_engine``) takes the
        lock as it begins, any other engine of the store gets it here, before the first read.
    actor : str
        Who writes, for the audit log (``token:<id>:<name>``, ``cli:<user>``, ``seed``).
    request_id : str, optional
        Groups the audit rows of one request (default: a new random id).
    address : str, optional
        Where the request came from, for the audit log.

    Yields
    ------
    Write
        Apply the change on ``.session``; record it with ``.audit(...)``.
    """
    ctx = WriteContext(actor[:96], (request_id or uuid.uuid4().hex)[:64], now_utc(),
                       (address or None) and address[:64])
    with Session(engine) as session, session.begin():
        _lock(session)
        w = Write(session, ctx)
        yield w
        w._finish()


def _lock(session: Session) -> None:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        if not conn.connection.dbapi_connection.in_transaction:
            # An engine without the write engine's BEGIN IMMEDIATE (pysqlite begins lazily,
            # deferred, before the first write): take the lock now instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if _lock_version_row(session) is None:
        # A store never written has no version row to lock (its absence says "never seeded",
        # ``gridwatch.store.db.is_empty``, so it is not made up front): writers that find
        # none queue on a transaction-level advisory lock instead, and look again once they
        # hold it, when the first one may have committed the row.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST_WRITE_LOCK})
        _lock_version_row(session)


def _lock_version_row(session: Session) -> str | None:
    return session.execute(select(StoreMeta.key).where(StoreMeta.key == "version")
                           .with_for_update()).scalar()


def _ensure_version_row(session: Session) -> None:
    """Insert ``version`` = 0 unless the row exists (one statement, no error on a race)."""
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:  # pragma: no cover - the two supported stores
        if session.get(StoreMeta, "version") is None:
            session.add(StoreMeta(key="version", value="0"))
            session.flush()
        return
    session.execute(upsert(StoreMeta).values(key="version", value="0")
                    .on_conflict_do_nothing(index_elements=["key"]))


_BUMP = (update(StoreMeta).where(StoreMeta.key == "version")
         .values(value=cast(cast(StoreMeta.value, Integer) + 1, Text))
         .returning(StoreMeta.value))


def _bump_version(session: Session, now: datetime) -> int:
    """Add one to the data version in one atomic statement and return the new value."""
    value = session.execute(_BUMP, execution_options={"synchronize_session": False}).scalar()
    if value is None:  # a store never written (held: BEGIN IMMEDIATE, or the advisory lock)
        _ensure_version_row(session)
        value = session.execute(_BUMP, execution_options={"synchronize_session": False}
                                ).scalar()
    stamp = now.isoformat(timespec="seconds")
    touched = session.execute(update(StoreMeta).where(StoreMeta.key == "updated_at")
                              .values(value=stamp),
                              execution_options={"synchronize_session": False}).rowcount
    if not touched:
        session.execute(insert(StoreMeta).values(key="updated_at", value=stamp))
    return int(value)


def dumps(value) -> str:
    """Compact JSON with non-ASCII text kept readable (audit rows, stored answers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _audit_row(ctx: WriteContext, entry: dict) -> dict:
    return {"at": ctx.now, "actor": ctx.actor, "request_id": ctx.request_id,
            "address": ctx.address,
            "action": entry["action"], "entity": entry["entity"],
            "entity_key": str(entry["entity_key"])[:96],
            "before": None if entry.get("before") is None else dumps(entry["before"]),
            "after": None if entry.get("after") is None else dumps(entry["after"])}


@contextmanager
def write_session(engine: Engine, actor: str = "system") -> Iterator[Session]:
    """A session whose changes are one ``write``; the data version is always bumped.

    For rows written by hand (tests, scripts): there are no audit entries to say whether
    anything changed.
    """
    with write(engine, actor) as w:
        w.touch()
        yield w.session
