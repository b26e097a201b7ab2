"""The operational store: SQLAlchemy models, engines and migrations (``db``), the one write
path (``writes``) and which region file is in force (``regions``)."""

from gridwatch.store.db import (
    data_version,
    is_empty,
    make_engine,
    make_write_engine,
    migrate,
)
from gridwatch.store.writes import Write, WriteContext, write, write_session

__all__ = ["Write", "WriteContext", "data_version", "is_empty", "make_engine",
           "make_write_engine", "migrate", "write", "write_session"]
