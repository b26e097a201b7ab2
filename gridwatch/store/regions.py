"""Which region file is in force: the active boundary version's, or the settings' one.

A boundary version's GeoPackage lives in the store (``boundary_versions.content``), so every
host of a deployment sees the same versions. The region reader (``load_region``) reads files,
so each process materialises the active version once into a cache file named after the
content's sha256, under ``<temp dir>/gridwatch-regions-<uid>/`` (``tempfile.gettempdir()``:
``TMPDIR`` moves it). The hot path (``active_version``, on every snapshot and poll) reads only
the active version's id and hash; the bytes are read from the store only when the cache file
is absent or fails its hash check.

The read path needs only this lookup; staging and activating versions is the boundary import's
business (``gridwatch.ingest.boundary_versions``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, select

from gridwatch.settings import Settings
from gridwatch.store import models as m

log = logging.getLogger(__name__)

_lock = threading.Lock()
_have_versions: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose store has the table
_verified: set[Path] = set()  # cache files this process wrote or checked against their hash
_folders: dict[Path, Path] = {}  # cache folder -> the checked one to use (this process's own
# when the shared one is not safely this user's)


@dataclass(frozen=True)
class ActiveVersion:
    """The active boundary version as the hot path sees it: its id and content hash."""

    id: int
    content_sha256: str | None  # None: the version has no content (its legacy file was lost)


def active_version(conn: Connection) -> ActiveVersion | None:
    """The active boundary version, or None (none active, or a store not yet migrated to the
    versions table). Never reads the GeoPackage bytes."""
    if not has_versions(conn):
        return None
    row = conn.execute(select(m.BoundaryVersion.id, m.BoundaryVersion.content_sha256)
                       .where(m.BoundaryVersion.status == "active")).first()
    return None if row is None else ActiveVersion(row.id, row.content_sha256)


def has_versions(conn: Connection) -> bool:
    """Whether the store has the boundary-versions table (asked of the database once per
    engine: once there it stays; only a downgrade below 0003 or restoring a backup that old
    removes it, and such a store cannot be read by this code until ``init-store`` anyway)."""
    if conn.engine in _have_versions:
        return True
    if not inspect(conn).has_table(m.BoundaryVersion.__tablename__):
        return False
    _have_versions.add(conn.engine)
    return True


def cache_dir() -> Path:
    """This process's folder of materialised versions: ``gridwatch-regions-<uid>`` in the
    temporary folder, owned by this user and closed to others (if it is not, a private
    folder of this process's own is used instead)."""
    folder = Path(tempfile.gettempdir()) / f"gridwatch-regions-{os.getuid()}"
    known = _folders.get(folder)
    if known is not None and _private(known):  # checked already: one lstat per call
        return known
    with _lock:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            usable = _private(folder)
        except OSError:  # a file or a dangling symlink of someone else's in its place
            usable = False
        if usable:
            _folders[folder] = folder
            return folder
        own = Path(tempfile.mkdtemp(prefix="gridwatch-regions-"))
        log.warning("the region cache folder %s is not this user's alone; using %s", folder, own)
        _folders[folder] = own
        return own


def _private(folder: Path) -> bool:
    """A real folder (not a symlink) of this user's, closed to everyone else."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def region_path(settings: Settings, version: ActiveVersion | None, engine: Engine) -> Path:
    """The region file for the active ``version`` (None: the settings' file).

    The version's content is read from ``engine`` only when its cache file is absent (or,
    the first time this process uses it, does not match its hash) and is then written
    atomically. A version without content, or with content that does not match its hash, is
    logged and the settings' file is used, so the dashboard still opens on known geography.
    """
    if version is None:
        return settings.geo_path
    if not version.content_sha256:
        log.error("the active boundary version %s has no content in the store; using %s",
                  version.id, settings.geo_path)
        return settings.geo_path
    path = cache_dir() / f"{version.content_sha256}.gpkg"
    if path in _verified and path.is_file():
        return path
    if path.is_file() and _sha256_of(path) == version.content_sha256:
        _verified.add(path)
        return path
    with engine.connect() as conn:
        content = conn.execute(select(m.BoundaryVersion.content)
                               .where(m.BoundaryVersion.id == version.id)).scalar()
    if content is None or hashlib.sha256(content).hexdigest() != version.content_sha256:
        log.error("the active boundary version %s's content is %s; using %s", version.id,
                  "missing" if content is None else "corrupt (its sha256 does not match)",
                  settings.geo_path)
        return settings.geo_path
    _write_atomically(path, content)
    _verified.add(path)
    return path


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file beside it and ``os.replace``:
    a reader (another worker on this host) sees the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".gpkg")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
