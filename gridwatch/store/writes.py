"""The one write path: every change to the store's data goes through ``write``.

``with write(engine, actor) as w:`` is one transaction that

1. takes the write lock before anything is read: ``BEGIN IMMEDIATE`` on SQLite (with a deferred
   ``BEGIN`` a transaction that reads, to find duplicates, and then writes must upgrade its
   lock, and SQLite answers "database is locked" at once when another writer got there first;
   an immediate one queues on the busy timeout instead), the data version's row ``FOR UPDATE``
   elsewhere;
2. lets the caller apply its change on ``w.session`` and record what it did with
   ``w.audit(entries)``;
3. writes those audit rows and, when readers will see something new, bumps the data version
   once, in the same transaction, so the dashboard notices on its next poll;
4. commits, or rolls all of it back when the block raises.

Nobody bumps the version by hand. API tokens (``gridwatch.auth.tokens``) are not data and are
written outside this path: creating one must not make every wall reload.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from gridwatch.store.models import AuditEntry, StoreMeta


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
    session.execute(select(StoreMeta.key).where(StoreMeta.key == "version").with_for_update())


def _bump_version(session: Session, now: datetime) -> int:
    row = session.get(StoreMeta, "version")
    if row is None:
        row = StoreMeta(key="version", value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    stamp = session.get(StoreMeta, "updated_at")
    value = now.isoformat(timespec="seconds")
    if stamp is None:
        session.add(StoreMeta(key="updated_at", value=value))
    else:
        stamp.value = value
    session.flush()
    return int(row.value)


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
