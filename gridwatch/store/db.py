"""Engine, sessions, migrations and the data version."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

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


def bump_version(session: Session) -> int:
    """Increment the data version inside the caller's transaction and return it."""
    row = session.get(StoreMeta, "version")
    if row is None:
        row = StoreMeta(key="version", value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    stamp = session.get(StoreMeta, "updated_at")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    if stamp is None:
        session.add(StoreMeta(key="updated_at", value=now))
    else:
        stamp.value = now
    session.flush()
    return int(row.value)


def last_updated(engine: Engine) -> datetime | None:
    """When the store last changed (naive UTC), or None if it never has."""
    with engine.connect() as conn:
        value = conn.execute(select(StoreMeta.value).where(StoreMeta.key == "updated_at")).scalar()
    return datetime.fromisoformat(value) if value else None


def data_version(engine: Engine) -> int:
    """The store's data version: it changes whenever any write commits."""
    with engine.connect() as conn:
        value = conn.execute(select(StoreMeta.value).where(StoreMeta.key == "version")).scalar()
    return int(value or 0)


@contextmanager
def write_session(engine: Engine):
    """A transaction that bumps the data version; all or nothing."""
    factory = sessionmaker(engine)
    with factory.begin() as session:
        yield session
        bump_version(session)


def sqlite_checkpoint(engine: Engine) -> None:
    """Fold the WAL into the main file (used after bulk seeding)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
