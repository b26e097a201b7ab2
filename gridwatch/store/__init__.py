"""The operational store: SQLAlchemy models, engine and migrations."""

from gridwatch.store.db import (
    bump_version,
    data_version,
    is_empty,
    make_engine,
    migrate,
    write_session,
)

__all__ = ["bump_version", "data_version", "is_empty", "make_engine", "migrate", "write_session"]
