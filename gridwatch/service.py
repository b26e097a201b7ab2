"""The data source handed to the web layer: settings, the store and the region, nothing global.

Callbacks, routes and exporters depend on one method, ``snapshot()``: the tables, their data
version and the region read together. A test double only has to provide that method and
``settings``. The source owns the store's engines, created once per process: ``engine`` for
reads and ``writer`` for the one write path (``gridwatch.store.writes.write``).
"""

from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gridwatch.geo.layers import Region, load_region
from gridwatch.settings import Settings
from gridwatch.snapshot import (
    Snapshot,
    carry_over,
    read_snapshot,
    read_transaction,
    store_state,
)
from gridwatch.store.db import (
    init_lock,
    is_empty,
    make_engine,
    make_write_engine,
    migrate_locked,
    safe_url,
    schema_state,
)
from gridwatch.store.regions import ActiveVersion, active_version, region_path

log = logging.getLogger(__name__)

INIT_COMMAND = "python -m gridwatch init-store"


class StoreNotReady(RuntimeError):
    """The store's schema is missing or behind this code's migrations, and this process may
    not migrate it (only ``init-store`` does, except on the embedded default store)."""


def is_embedded_default(settings: Settings) -> bool:
    """True when the store is the embedded default: the SQLite file under ``instance/`` that
    ``Settings().database_url`` names (also when written as a relative path to the same file).
    Only that store is migrated, seeded and given a first admin by any process that opens it;
    any other store by ``init-store`` alone."""
    default = make_url(Settings.model_fields["database_url"].default)
    try:
        url = make_url(settings.database_url)
    except Exception:
        return False
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    return Path(url.database).resolve() == Path(default.database).resolve()


@dataclass
class DataSource:
    """Read access to one deployment's region file and store.

    The newest snapshot is kept per process and read again only when the store's data version,
    the active boundary version or the region file changes; concurrent requests right after a
    write wait for one read instead of each reading.
    """

    settings: Settings
    engine: Engine = field(init=False)
    writer: Engine = field(init=False)
    _current: Snapshot | None = field(init=False, default=None, repr=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)
    _held: threading.local = field(init=False, default_factory=threading.local, repr=False)
    prepared: Prepared | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        pool = self.settings.db_pool_size
        self.engine = make_engine(self.settings.database_url, pool)
        # On SQLite its transactions begin with BEGIN IMMEDIATE (the write lock up front).
        self.writer = make_write_engine(self.settings.database_url, pool)

    @contextmanager
    def one_snapshot(self):
        """Within this block every ``snapshot()`` of this thread is the first one it took: a
        request (``callbacks.bind``) reads the store's version once, and every panel it answers
        shows the same data version."""
        held = self._held
        if getattr(held, "active", False):  # nested: the outer block holds it
            yield
            return
        held.active, held.snapshot = True, None
        try:
            yield
        finally:
            held.active, held.snapshot = False, None

    def snapshot(self) -> Snapshot:
        """The store and region as of now, read in one transaction (cached per version; one
        per ``one_snapshot`` block)."""
        held = self._held
        if getattr(held, "active", False):
            if held.snapshot is None:
                held.snapshot = self._newest()
            return held.snapshot
        return self._newest()

    def after_write(self) -> Snapshot:
        """The store as of now, even inside a ``one_snapshot`` block: what a request that has
        just written shows of its own write (and it holds that one from then on)."""
        current = self._newest()
        held = self._held
        if getattr(held, "active", False):
            held.snapshot = current
        return current

    def _newest(self) -> Snapshot:
        with read_transaction(self.engine) as conn:
            version, region_file = store_state(conn)
        region = self._region(region_file)
        with self._lock:
            current = self._current
            if current is not None and not self._is_current(current, version, region):
                # Another request may have read a newer snapshot while this one waited.
                with read_transaction(self.engine) as conn:
                    version, region_file = store_state(conn)
                region = self._region(region_file)
            if current is None or not self._is_current(current, version, region):
                previous = current
                current = read_snapshot(self.engine, self.settings.timezone, self._region,
                                        previous)
                if previous is not None:  # what the change cannot touch is not computed again
                    carry_over(previous, current)
                self._current = current
            return current

    @staticmethod
    def _is_current(snap: Snapshot, version: int, region: Region) -> bool:
        return snap.store_version == version and snap.region is region

    def region(self) -> Region:
        """The region in force now (for work that needs geography but no store data)."""
        with read_transaction(self.engine) as conn:
            return self._region(active_version(conn))

    def _region(self, version: ActiveVersion | None) -> Region:
        # The version's bytes come from the store only when this host's cache file is absent.
        return load_region(region_path(self.settings, version, self.engine))

    def prepare(self, seed: bool | None = None) -> str | None:
        """The deploy step (``init-store``): migrate the schema; seed the demo history if the
        store is empty and ``seed`` (default: the ``seed_demo`` setting) is on; on a store
        without users, create ``admin`` and print its password once.

        Safe when several processes run it at once: the whole step holds the store's
        initialisation lock (``gridwatch.store.db.init_lock``), so one migrates and seeds
        and the others find it done. An existing store is never overwritten. Returns the new
        admin password, if one was made (printed to standard error as well, where
        ``make run`` shows it).
        """
        self.prepared = self._prepare(self.settings.seed_demo if seed is None else seed)
        return self.prepared.password

    def _prepare(self, seed: bool) -> Prepared:
        with init_lock(self.writer):
            migrated = migrate_locked(self.engine)
            seeded = False
            if seed and is_empty(self.engine):
                from gridwatch.simulate import seed_store

                log.info("seeding the demo store at %s", safe_url(self.settings.database_url))
                seed_store(self.writer, self.region())
                seeded = True
            from gridwatch.auth.accounts import ensure_first_admin

            password = ensure_first_admin(self.writer)
        if password is not None:
            print(first_admin_banner(password), file=sys.stderr, flush=True)
        return Prepared(migrated=migrated, seeded=seeded, password=password)

    def open(self) -> None:
        """Make the store ready for a server or command: the embedded default store is
        prepared (``prepare``: migrated, seeded when empty, first admin) as ``make run``
        always did; any other store must be current already (``init-store`` ran), else
        ``StoreNotReady`` names the command. Never migrates a non-default store."""
        if is_embedded_default(self.settings):
            self.prepare()
            return
        self.check_schema()

    def check_schema(self) -> None:
        """Raise ``StoreNotReady`` unless the store's schema is at this code's head."""
        try:
            state = schema_state(self.engine)
        except Exception as exc:  # unreachable server, bad credentials, not a database
            raise StoreNotReady(
                f"cannot read the store at {safe_url(self.settings.database_url)}: "
                f"{type(exc).__name__}: {_first_line(exc)}") from None
        if not state.up_to_date:
            raise StoreNotReady(
                f"the store at {safe_url(self.settings.database_url)} is not ready "
                f"({state.describe()}): run `{INIT_COMMAND}` first (with the same "
                f"GRIDWATCH_DATABASE_URL) to migrate it and create the first admin")


@dataclass(frozen=True)
class Prepared:
    """What ``DataSource.prepare`` did."""

    migrated: bool
    seeded: bool
    password: str | None


def _first_line(exc: BaseException) -> str:
    from gridwatch.logs import mask_secrets

    return mask_secrets(str(exc).strip().splitlines()[0] if str(exc).strip() else "")


def first_admin_banner(password: str) -> str:
    """What the first run prints: the admin's generated password, shown this once."""
    line = "=" * 68
    return (f"{line}\n  First run: created the user 'admin' with the password\n\n"
            f"      {password}\n\n  Sign in at /login; change it at /account. It is shown only "
            f"now;\n  `python -m gridwatch user reset-password admin` prints a new one.\n{line}")
