"""The store: migrations, the data version, the one write path, and never overwriting an
existing store."""

import sqlite3
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.db import data_version, make_engine, migrate
from gridwatch.store.writes import now_utc, write, write_session
from tests.conftest import sqlite_only

pytestmark = pytest.mark.stores


def test_migrations_build_exactly_the_models_schema(stores):
    engine = make_engine(stores.empty("schema"))
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


@sqlite_only
def test_sqlite_runs_in_wal_mode(source):
    with source.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_every_write_bumps_the_data_version(fresh_source):
    before = data_version(fresh_source.engine)
    with write_session(fresh_source.engine) as s:
        s.add(m.Directive(kind="notice", number=99, title_zh="测试", title_en="Test",
                          issued_at=datetime(2020, 3, 1)))
    assert data_version(fresh_source.engine) == before + 1


def test_a_failed_write_changes_nothing(fresh_source):
    before = data_version(fresh_source.engine)
    with pytest.raises(IntegrityError), write_session(fresh_source.engine) as s:
        s.add(m.Directive(kind="notice", number=1, title_zh="重号", title_en="Duplicate",
                          issued_at=datetime(2020, 3, 1)))
    assert data_version(fresh_source.engine) == before
    with fresh_source.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Directive)).scalar() == 35


def test_prepare_never_overwrites_an_existing_store(fresh_source):
    with write_session(fresh_source.engine) as s:
        s.add(m.Directive(kind="notice", number=100, title_zh="保留", title_en="Keep",
                          issued_at=datetime(2020, 3, 2)))
    version = data_version(fresh_source.engine)
    again = DataSource(fresh_source.settings)
    again.prepare()
    assert data_version(again.engine) == version
    with again.engine.connect() as conn:
        titles = conn.execute(select(m.Directive.title_en)).scalars().all()
    assert "Keep" in titles


def test_an_empty_store_is_left_empty_when_seeding_is_off(stores):
    settings = Settings(database_url=stores.empty(), seed_demo=False)
    source = DataSource(settings)
    source.prepare()
    assert data_version(source.engine) == 0
    source.engine.dispose()
    source.writer.dispose()


# --- the one write path -------------------------------------------------------------------------

def audit_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(m.AuditEntry.actor, m.AuditEntry.action,
                                   m.AuditEntry.entity_key).order_by(m.AuditEntry.id)).all()


def notice(number: int) -> m.Directive:
    return m.Directive(kind="notice", number=number, title_zh="测试", title_en="Test",
                       issued_at=datetime(2020, 3, 1))


def test_a_write_bumps_the_version_once_and_writes_its_audit_rows(fresh_source):
    before, audited = data_version(fresh_source.engine), len(audit_rows(fresh_source.engine))
    with write(fresh_source.writer, "tester", request_id="req-1") as w:
        w.session.add(notice(101))
        w.audit([{"action": "directive.issue", "entity": "directive", "entity_key": "n/101"}])
        answered = w.version()  # asked for early, for an answer that carries it
        w.session.add(notice(102))
        w.audit([{"action": "directive.issue", "entity": "directive", "entity_key": "n/102"}])
    assert answered == before + 1
    assert data_version(fresh_source.engine) == before + 1
    rows = audit_rows(fresh_source.engine)
    assert rows[audited:] == [("tester", "directive.issue", "n/101"),
                              ("tester", "directive.issue", "n/102")]


def test_a_refused_write_changes_nothing(fresh_source):
    before, audited = data_version(fresh_source.engine), len(audit_rows(fresh_source.engine))
    with pytest.raises(ValueError, match="refused"), write(fresh_source.writer, "tester") as w:
        w.session.add(notice(103))
        w.audit([{"action": "directive.issue", "entity": "directive", "entity_key": "n/103"}])
        w.session.flush()
        raise ValueError("refused")
    assert data_version(fresh_source.engine) == before
    assert len(audit_rows(fresh_source.engine)) == audited
    with fresh_source.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Directive)
                            .where(m.Directive.number == 103)).scalar() == 0


def test_a_write_that_shows_nothing_new_keeps_the_version(fresh_source):
    before = data_version(fresh_source.engine)
    with write(fresh_source.writer, "tester") as w:
        w.audit([{"action": "boundary.stage", "entity": "boundary_version", "entity_key": 1}],
                visible=False)
    with write(fresh_source.writer, "tester"):
        pass
    assert data_version(fresh_source.engine) == before
    assert audit_rows(fresh_source.engine)[-1] == ("tester", "boundary.stage", "1")


def test_the_first_write_of_a_store_makes_its_version_one_and_nothing_new_leaves_it_empty(
        stores):
    from gridwatch.store.db import is_empty, make_write_engine

    url = stores.empty("never_written")
    engine, writer = make_engine(url), make_write_engine(url)
    migrate(engine)
    with write(writer, "tester"):  # shows nothing new: the store stays "never seeded"
        pass
    assert is_empty(engine) and data_version(engine) == 0
    with write(writer, "tester") as w:
        w.session.add(notice(104))
        assert w.version() == 1 == w.version()  # once per transaction
    with write(writer, "tester") as w:
        w.touch()
    assert not is_empty(engine) and data_version(engine) == 2
    with engine.connect() as conn:
        stamp = conn.execute(select(m.StoreMeta.value)
                             .where(m.StoreMeta.key == "updated_at")).scalar()
    assert datetime.fromisoformat(stamp) <= now_utc()
    engine.dispose()
    writer.dispose()


@sqlite_only
@pytest.mark.parametrize("engine_of", [lambda s: s.writer, lambda s: s.engine])
def test_a_write_holds_the_write_lock_from_its_start(fresh_source, engine_of):
    path = make_url(fresh_source.settings.database_url).database
    with write(engine_of(fresh_source), "tester"):  # nothing read or written yet
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_the_data_source_owns_one_read_and_one_write_engine(fresh_source):
    assert fresh_source.writer is not fresh_source.engine
    assert fresh_source.writer.url == fresh_source.engine.url
