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
from dataclasses import dataclass, field

from sqlalchemy import Engine

from gridwatch.geo.layers import Region, load_region
from gridwatch.settings import Settings
from gridwatch.snapshot import Snapshot, read_snapshot, read_transaction, store_state
from gridwatch.store.db import is_empty, make_engine, make_write_engine, migrate
from gridwatch.store.regions import active_version_file, region_path

log = logging.getLogger(__name__)


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

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url)
        # On SQLite its transactions begin with BEGIN IMMEDIATE (the write lock up front).
        self.writer = make_write_engine(self.settings.database_url)

    def snapshot(self) -> Snapshot:
        """The store and region as of now, read in one transaction (cached per version)."""
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
                current = read_snapshot(self.engine, self.settings.timezone, self._region)
                self._current = current
            return current

    @staticmethod
    def _is_current(snap: Snapshot, version: int, region: Region) -> bool:
        return snap.store_version == version and snap.region is region

    def region(self) -> Region:
        """The region in force now (for work that needs geography but no store data)."""
        with read_transaction(self.engine) as conn:
            return self._region(active_version_file(conn))

    def _region(self, region_file: str | None) -> Region:
        return load_region(region_path(self.settings, region_file))

    def prepare(self) -> str | None:
        """Migrate the schema; seed the demo history if the store is empty and seeding is on;
        on a store without users, create ``admin`` and print its password once.

        An existing store is never overwritten. Returns the new admin password, if one was
        made (printed to standard output as well, where ``make run`` shows it).
        """
        migrate(self.engine)
        if self.settings.seed_demo and is_empty(self.engine):
            from gridwatch.simulate import seed_store

            log.info("seeding the demo store at %s", self.settings.database_url)
            seed_store(self.writer, self.region())
        from gridwatch.auth.accounts import ensure_first_admin

        password = ensure_first_admin(self.writer)
        if password is not None:
            print(first_admin_banner(password), file=sys.stderr, flush=True)
        return password


def first_admin_banner(password: str) -> str:
    """What the first run prints: the admin's generated password, shown this once."""
    line = "=" * 68
    return (f"{line}\n  First run: created the user 'admin' with the password\n\n"
            f"      {password}\n\n  Sign in at /login; change it at /account. It is shown only "
            f"now;\n  `python -m gridwatch user reset-password admin` prints a new one.\n{line}")
