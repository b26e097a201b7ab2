"""Which region file is in force: the active boundary version's, or the settings' one.

The read path needs only this lookup; staging and activating versions is the boundary import's
business (``gridwatch.ingest.boundary_versions``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, inspect, select
from sqlalchemy.engine import make_url

from gridwatch.settings import REPO_ROOT, Settings
from gridwatch.store import models as m

log = logging.getLogger(__name__)


def regions_dir(settings: Settings) -> Path:
    """The folder holding boundary versions: ``regions/`` next to a SQLite store, else
    ``instance/regions`` in the repository."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "regions"
    return REPO_ROOT / "instance" / "regions"


def active_version_file(conn: Connection) -> str | None:
    """The file name of the active boundary version, or None (none active, or a store not yet
    migrated to the versions table)."""
    if not inspect(conn).has_table(m.BoundaryVersion.__tablename__):
        return None
    return conn.execute(select(m.BoundaryVersion.file_name)
                        .where(m.BoundaryVersion.status == "active")).scalar()


def region_path(settings: Settings, file_name: str | None) -> Path:
    """The region file for an active version's ``file_name`` (None: the settings' file).

    A missing version file is logged and the settings' file is used, so the dashboard still
    opens on known geography.
    """
    if file_name is None:
        return settings.geo_path
    path = regions_dir(settings) / file_name
    if not path.exists():
        log.error("the active boundary version's file %s is missing; using %s", path,
                  settings.geo_path)
        return settings.geo_path
    return path
