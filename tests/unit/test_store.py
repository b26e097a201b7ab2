"""The store: migrations, the data version, and never overwriting an existing store."""

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.db import data_version, make_engine, migrate, write_session


def test_migrations_build_exactly_the_models_schema(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert diff == []
    assert "alembic_version" in inspect(engine).get_table_names()


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


def test_an_empty_store_is_left_empty_when_seeding_is_off(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite'}", seed_demo=False)
    source = DataSource(settings)
    source.prepare()
    assert data_version(source.engine) == 0
