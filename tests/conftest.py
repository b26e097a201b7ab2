"""Shared fixtures: the shipped region and one seeded demo store per test session.

Stores come from ``stores`` (a ``Stores``): SQLite files by default; with
``GRIDWATCH_TEST_DATABASE_URL`` set to a PostgreSQL server's maintenance database (as
``scripts/with-postgres.sh`` does for ``make test``'s PostgreSQL lane), databases on that
server: the demo is seeded once into a template and each test that writes gets a copy made
with ``CREATE DATABASE ... TEMPLATE`` (a fraction of a second). Modules marked ``stores``
(store, ingest, API, concurrency, deploy) run in both lanes; ``sqlite_only`` skips a test
that checks something SQLite alone has (the WAL file, the file lock) on PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
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
TEST_DATABASE_URL = os.environ.get("GRIDWATCH_TEST_DATABASE_URL") or None
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"

sqlite_only = pytest.mark.skipif(
    BACKEND != "sqlite", reason="checks what only the SQLite store has (WAL file, file lock)")


def pytest_collection_modifyitems(config, items):
    """In the PostgreSQL lane only ``stores`` modules run against the server: the rest of the
    suite (layouts, browser, exports) already ran on SQLite in the same ``make test``."""
    if BACKEND == "sqlite":
        return
    skip = pytest.mark.skip(reason="PostgreSQL lane: runs the `stores` tests only")
    for item in items:
        if "stores" not in item.keywords:
            item.add_marker(skip)


class Stores:
    """New stores for tests, on SQLite (files) or on the PostgreSQL server of the lane.

    ``empty()`` is a store with nothing in it (not even a schema); ``seeded()`` a private copy
    of the demo store seeded once per session. Both return a database URL.
    """

    def __init__(self, folder: Path) -> None:
        self.backend = BACKEND
        self.folder = folder
        self._names = itertools.count(1)
        self._created: list[str] = []
        self._template: str | None = None
        self._admin = None
        if BACKEND == "postgresql":
            from sqlalchemy import create_engine

            self._admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")

    def _name(self, hint: str) -> str:
        return f"gw_{os.getpid()}_{next(self._names)}_{hint}"[:60]

    def _pg_url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(
            hide_password=False)

    def _create(self, name: str, template: str | None = None) -> str:
        from sqlalchemy import text

        with self._admin.connect() as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self._created.append(name)
        return self._pg_url(name)

    def empty(self, hint: str = "empty") -> str:
        if self.backend == "sqlite":
            path = self.folder / f"{self._name(hint)}.sqlite"
            return f"sqlite:///{path}"
        return self._create(self._name(hint))

    def seeded(self, hint: str = "seeded") -> str:
        template = self.template()
        if self.backend == "sqlite":
            path = self.folder / f"{self._name(hint)}.sqlite"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
        return self._create(self._name(hint), template=template)

    def template(self):
        """The seeded demo store every ``seeded()`` copies: a file (SQLite) or a database."""
        if self._template is None:
            url = self.empty("template")
            if self.backend == "postgresql":
                self._with_postgis(url)
            source = DataSource(Settings(database_url=url, geo_path=GEO_PATH))
            source.prepare(seed=True)
            source.engine.dispose()
            source.writer.dispose()
            if self.backend == "sqlite":
                path = Path(url.removeprefix("sqlite:///"))
                # The store runs in WAL mode: fold the log into the file, so that a copy of
                # the file alone holds every write, the first run's admin included.
                with sqlite3.connect(path) as conn:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._template = path
            else:
                self._template = url.rsplit("/", 1)[1].split("?", 1)[0]
        return self._template

    @staticmethod
    def _with_postgis(url: str) -> None:
        """Deployments run on PostgreSQL with PostGIS: the demo template has the extension
        (its ``spatial_ref_sys`` table beside ours), so every copy checks that the schema,
        the writes and the backups live alongside it."""
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            available = conn.execute(text(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
            if not available:
                raise RuntimeError("PostGIS is not installed on the test server "
                                   "(scripts/install-system-deps.sh postgres installs it)")
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()

    def close(self) -> None:
        if self._admin is None:
            return
        from sqlalchemy import text

        with self._admin.connect() as conn:
            for name in reversed(self._created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def signed_in_client(app, writer, name: str, role: str, scope, password: str):
    """A Flask test client of ``app`` signed in through ``/login`` as a new user ``name``
    (made on ``writer``, the store's write engine)."""
    from gridwatch.auth.accounts import create_user

    create_user(writer, name, role, scope, password=password)
    client = app.server.test_client()
    answer = client.post("/login", data={"username": name, "password": password},
                         headers={"Origin": "http://localhost"})
    assert answer.status_code == 303, answer.data
    return client


def source_for(url: str, **settings) -> DataSource:
    """A DataSource on ``url`` with the shipped region (the tests' usual settings)."""
    return DataSource(Settings(database_url=url, geo_path=GEO_PATH, **settings))


def dispose(source: DataSource) -> None:
    """Close a test's connections (on PostgreSQL they would hold its database open)."""
    source.engine.dispose()
    source.writer.dispose()


@pytest.fixture(scope="session")
def stores(tmp_path_factory):
    factory = Stores(tmp_path_factory.mktemp("stores"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def region():
    return load_region(GEO_PATH)


@pytest.fixture(scope="session")
def seeded_db(stores) -> Path:
    """The seeded demo store's SQLite file (tests that copy the file itself; in the
    PostgreSQL lane they are SQLite-only)."""
    if stores.backend != "sqlite":
        pytest.skip("needs the SQLite demo file")
    return stores.template()


@pytest.fixture(scope="session")
def source(stores) -> DataSource:
    """Read-only access to the seeded demo store."""
    source = source_for(stores.seeded("readonly"))
    yield source
    dispose(source)


@pytest.fixture
def fresh_source(stores) -> DataSource:
    """A private copy of the seeded store, for tests that write."""
    source = source_for(stores.seeded("fresh"))
    yield source
    dispose(source)


@pytest.fixture
def empty_source(stores) -> DataSource:
    """A migrated store without history (as ``init-store`` leaves it, no demo)."""
    source = source_for(stores.empty("no-history"))
    source.prepare(seed=False)
    yield source
    dispose(source)


@pytest.fixture
def spool(tmp_path, monkeypatch):
    """Where the boundary upload route makes its temporary folders, for a test to look into."""
    import web.boundary_upload as route

    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(route, "TEMP_PARENT", folder)
    return folder


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
