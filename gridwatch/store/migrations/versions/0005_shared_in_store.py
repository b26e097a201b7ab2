"""shared in the store: export records, boundary versions' GeoPackage bytes

Revision ID: 0005
Revises: 0004

Until 0004 the export log was a JSON-lines file and each boundary version a GeoPackage file,
found from the database URL: beside a SQLite store (``<db file>.exports.jsonl`` and
``<db folder>/regions/``), else under the repository's ``instance/`` (``exports.jsonl`` and
``regions/``). The upgrade carries both into the store (the files are left where they are):
every export's first record (torn lines skipped), and each version's file into ``content``. A
version whose file is missing keeps no content; the read path then logs it and uses the
settings' region file, as it did for a missing file.

``instance/`` is taken from only for a store that was in use (it has a data version, users or
boundary versions): a store migrated from empty starts with nothing. A test may point that
legacy folder elsewhere with the alembic config attribute ``legacy_instance`` (a path).
"""

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

REPO_ROOT = Path(__file__).resolve().parents[4]
BATCH = 500

export_records = sa.table(
    'export_records', sa.column('export_id', sa.String), sa.column('data_version', sa.String),
    sa.column('generated_at', sa.String), sa.column('request', sa.Text),
    sa.column('query', sa.Text), sa.column('recorded_at', sa.DateTime))
boundary_versions = sa.table(
    'boundary_versions', sa.column('id', sa.Integer), sa.column('file_name', sa.String),
    sa.column('content', sa.LargeBinary), sa.column('content_sha256', sa.String))


def upgrade() -> None:
    op.create_table('export_records',
    sa.Column('export_id', sa.String(length=32), nullable=False),
    sa.Column('data_version', sa.String(length=64), nullable=False),
    sa.Column('generated_at', sa.String(length=40), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('export_id', name=op.f('pk_export_records'))
    )
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    places = _legacy_places(conn)
    if places is not None:
        log_file, regions = places
        _carry_export_log(conn, log_file)
        _carry_region_files(conn, regions)


def downgrade() -> None:
    with op.batch_alter_table('boundary_versions', schema=None) as batch_op:
        batch_op.drop_column('content_sha256')
        batch_op.drop_column('content')

    op.drop_table('export_records')


# --- carrying the legacy files over ---------------------------------------------------------------

def _legacy_places(conn: sa.Connection) -> tuple[Path, Path] | None:
    """The legacy export log and regions folder for this store (None: an in-memory store)."""
    url = conn.engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        db = Path(url.database)
        return db.with_name(db.name + ".exports.jsonl"), db.resolve().parent / "regions"
    if not _in_use(conn):
        # instance/ served any store this checkout was pointed at: a new store (migrated from
        # empty, as every test database is) takes nothing from it.
        return None
    instance = Path(context.config.attributes.get("legacy_instance") or REPO_ROOT / "instance")
    return instance / "exports.jsonl", instance / "regions"


def _in_use(conn: sa.Connection) -> bool:
    """Whether the store was used before this migration: it has a data version, users or
    boundary versions (init-store makes the first admin, so a deployed store has a user)."""
    return any(conn.execute(sa.text(f"SELECT 1 FROM {table}")).first() is not None
               for table in ("store_meta", "users", "boundary_versions"))


def _legacy_record(line: str) -> dict | None:
    """A row of ``export_records`` from one line of the legacy log, or None (a torn line)."""
    try:
        data = json.loads(line)
        row = {key: data[key] for key in ("export_id", "data_version", "generated_at", "query")}
        request = data["request"]
        generated = datetime.fromisoformat(row["generated_at"])
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(v, str) for v in row.values()) or not isinstance(request, dict):
        return None
    if len(row["export_id"]) > 32 or len(row["data_version"]) > 64 \
            or len(row["generated_at"]) > 40:
        return None
    if generated.tzinfo is not None:
        generated = generated.astimezone(UTC).replace(tzinfo=None)
    return {**row, "request": json.dumps(request, ensure_ascii=False, sort_keys=True),
            "recorded_at": generated}


def _carry_export_log(conn: sa.Connection, path: Path) -> None:
    if not path.is_file():
        return
    seen: set[str] = set()
    batch: list[dict] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = _legacy_record(line)
            if row is None:
                skipped += 1
                continue
            if row["export_id"] in seen:  # the first record of an ID wins, as in the log
                continue
            seen.add(row["export_id"])
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(sa.insert(export_records), batch)
                batch = []
    if batch:
        conn.execute(sa.insert(export_records), batch)
    log.info("carried %d export records over from %s (%d torn lines skipped)", len(seen), path,
             skipped)


def _carry_region_files(conn: sa.Connection, folder: Path) -> None:
    rows = conn.execute(sa.select(boundary_versions.c.id, boundary_versions.c.file_name)
                        .order_by(boundary_versions.c.id)).all()
    for version_id, file_name in rows:
        path = folder / file_name
        if Path(file_name).name != file_name or not path.is_file():
            log.warning("boundary version %s: its file %s is missing; it keeps no content",
                        version_id, path)
            continue
        content = path.read_bytes()
        conn.execute(sa.update(boundary_versions)
                     .where(boundary_versions.c.id == version_id)
                     .values(content=content,
                             content_sha256=hashlib.sha256(content).hexdigest()))
        log.info("boundary version %s: carried %s over (%d bytes)", version_id, path,
                 len(content))
