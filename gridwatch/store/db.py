"""Engines, migrations and reading the data version (writes: ``gridwatch.store.writes``)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridwatch.store.models import StoreMeta

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    """Create an engine; on SQLite, enable WAL, foreign keys and a busy timeout.

    Parameters
    ----------
    url : str
        SQLAlchemy database URL. For a SQLite file, its folder is created if missing.
    pool_size : int, optional
        On a server database (not SQLite), the most connections this engine opens (its
        pool, no overflow: a request beyond it waits for a free connection). One pool per
        engine per process: a worker of ``make serve`` opens its own after the fork.
        Default: SQLAlchemy's (5, and 10 overflow).
    """
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    options: dict = {}
    if not is_sqlite:
        options["pool_pre_ping"] = True  # a restarted database or proxy: reconnect, not 500
        if pool_size is not None:
            options.update(pool_size=pool_size, max_overflow=0)
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {}, **options)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def make_write_engine(url: str, pool_size: int | None = None) -> Engine:
    """An engine whose transactions start with ``BEGIN IMMEDIATE`` on SQLite (see
    ``gridwatch.store.writes`` for why); elsewhere a plain engine.

    Parameters
    ----------
    url : str
        The store's database URL (the same the readers use).
    pool_size : int, optional
        As for ``make_engine`` (server databases only).
    """
    engine = make_engine(url, pool_size)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_conn, _record):
            # pysqlite would otherwise issue its own deferred BEGIN before the first write.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def safe_url(url: str | object) -> str:
    """The database URL as it may be printed or logged: the password masked."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: print nothing of it that could be a secret
        return "<unparsable database URL>"


@dataclass(frozen=True)
class SchemaState:
    """The store's schema revision(s) against the migrations shipped with this code."""

    current: tuple[str, ...]  # what ``alembic_version`` holds (empty: never migrated)
    heads: tuple[str, ...]  # the newest migration(s) of this code

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    def describe(self) -> str:
        if not self.current:
            return "it has no schema yet"
        if self.up_to_date:
            return f"its schema is at {', '.join(self.current)}"
        return (f"its schema is at {', '.join(self.current)}, this code needs "
                f"{', '.join(self.heads)}")


def schema_state(engine: Engine) -> SchemaState:
    """Read the store's ``alembic_version`` (without changing anything) and this code's head."""
    heads = tuple(sorted(ScriptDirectory.from_config(alembic_config(engine)).get_heads()))
    with engine.connect() as conn:
        # What alembic's MigrationContext.get_current_heads() reads, without its log lines.
        current: tuple[str, ...] = ()
        if inspect(conn).has_table("alembic_version"):
            current = tuple(sorted(conn.execute(
                text("SELECT version_num FROM alembic_version")).scalars()))
    return SchemaState(current=current, heads=heads)


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (the same in every process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def init_lock(engine: Engine) -> Iterator[None]:
    """Hold the store's initialisation lock: one process at a time migrates and seeds.

    SQLite: an exclusive ``flock`` on a file beside the database (``<file>.init-lock``), freed
    by the kernel if the process dies. PostgreSQL: a transaction-level advisory lock
    (``pg_advisory_xact_lock``) taken on a connection of its own and held until the block
    ends (the transaction then ends, and with it the lock, also if the connection drops).
    Other databases and in-memory SQLite: no lock.
    """
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        import fcntl

        lock_path = Path(f"{url.database}.init-lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return
    if backend == "postgresql":
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": _lock_key("gridwatch:init-store")})
            yield
        return
    yield


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest migration (a no-op when it is already there).

    Takes ``init_lock`` when the schema is behind, so that processes starting at once
    migrate one after the other (the later ones then find nothing to do). Returns whether
    this call applied any migration.
    """
    if schema_state(engine).up_to_date:
        return False
    with init_lock(engine):
        return migrate_locked(engine)


def migrate_locked(engine: Engine) -> bool:
    """``migrate`` for a caller that holds ``init_lock`` already."""
    before = schema_state(engine)
    if before.up_to_date:
        return False
    log.info("migrating the store at %s: %s", safe_url(engine.url), before.describe())
    command.upgrade(alembic_config(engine), "head")
    return True


def is_empty(engine: Engine) -> bool:
    """True when the store has never been seeded (no data version recorded)."""
    with Session(engine) as s:
        return s.get(StoreMeta, "version") is None


def data_version(engine: Engine) -> int:
    """The store's data version: it changes whenever any write commits."""
    with engine.connect() as conn:
        value = conn.execute(select(StoreMeta.value).where(StoreMeta.key == "version")).scalar()
    return int(value or 0)


def sqlite_checkpoint(engine: Engine) -> None:
    """Fold the WAL into the main file (used after bulk seeding)."""
    if engine.dialect.name == "sqlite":
        # Outside any transaction: a write engine's connections begin with BEGIN IMMEDIATE,
        # and SQLite refuses a checkpoint inside a transaction.
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
