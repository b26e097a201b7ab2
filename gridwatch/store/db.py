"""Engines, migrations and reading the data version (writes: ``gridwatch.store.writes``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridwatch.store.models import StoreMeta

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite, enable WAL, foreign keys and a busy timeout.

    Parameters
    ----------
    url : str
        SQLAlchemy database URL. For a SQLite file, its folder is created if missing.
    """
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def make_write_engine(url: str) -> Engine:
    """An engine whose transactions start with ``BEGIN IMMEDIATE`` on SQLite (see
    ``gridwatch.store.writes`` for why); elsewhere a plain engine.

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


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    command.upgrade(alembic_config(engine), "head")


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
