"""Shared fixtures: the shipped region and one seeded demo store per test session."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gridwatch.geo.layers import load_region  # noqa: E402
from gridwatch.service import DataSource  # noqa: E402
from gridwatch.settings import Settings  # noqa: E402

GEO_PATH = ROOT / "data" / "geo" / "kaihua.gpkg"


@pytest.fixture(scope="session")
def region():
    return load_region(GEO_PATH)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """A demo store seeded once; tests that write get their own copy (``fresh_source``)."""
    path = tmp_path_factory.mktemp("store") / "demo.sqlite"
    source = DataSource(Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH))
    source.prepare()
    source.engine.dispose()
    source.writer.dispose()
    # The store runs in WAL mode: fold the log into the file, so that a copy of the file
    # alone (what the tests take) holds every write, the first run's admin included.
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def source(seeded_db) -> DataSource:
    """Read-only access to the seeded demo store."""
    return DataSource(Settings(database_url=f"sqlite:///{seeded_db}", geo_path=GEO_PATH))


@pytest.fixture
def fresh_source(seeded_db, tmp_path) -> DataSource:
    """A private copy of the seeded store, for tests that write."""
    path = tmp_path / "store.sqlite"
    shutil.copy(seeded_db, path)
    return DataSource(Settings(database_url=f"sqlite:///{path}", geo_path=GEO_PATH))


@pytest.fixture(scope="session")
def snap(source):
    """The seeded demo store's snapshot (read-only)."""
    return source.snapshot()


@pytest.fixture(scope="session")
def literal(tmp_path_factory):
    """The five-grid literal county (``tests/unit/literal.py``) as a fake data source."""
    from tests.unit.literal import fake_source

    return fake_source(tmp_path_factory.mktemp("literal"))


@pytest.fixture(scope="session")
def lsnap(literal):
    """The literal county's snapshot (read-only)."""
    return literal.snapshot()
