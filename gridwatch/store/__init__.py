"""The operational store: SQLAlchemy models (``models``), engines and migrations (``db``), the
one write path (``writes``) and which region file is in force (``regions``)."""
