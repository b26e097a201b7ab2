"""Backups of the store and restores from them (``python -m gridwatch backup`` / ``restore``).

SQLite
    ``backup`` copies the live file with sqlite3's online backup API in one step (one read
    transaction: a consistent state even while servers write, WAL included) into a temporary
    file beside the output, switches the copy to a single self-contained file (journal mode
    DELETE) and moves it into place with ``os.replace``. ``restore`` copies the backup into a
    private temporary copy (checked: a SQLite database with our ``alembic_version``, a
    schema revision this code knows, ``PRAGMA integrity_check``
    clean, and every ``sqlite_master`` entry exactly what alembic builds at that revision: a
    trigger, view, index or table more, or a definition changed, is refused and named; the
    backup is read with ``trusted_schema=OFF``), gives the copy a data version strictly greater
    than the target's and a new history mark (``gridwatch.snapshot.HISTORY_KEY``: servers then
    read every table whole, not only the rows added since their snapshot), and writes it into
    the live target file with the backup API. That is one write transaction on the target:
    servers that have it open keep reading the old state until it commits and then the restored
    one; SQLite keeps the WAL and ``-shm`` files consistent itself (no file is swapped under a
    running server, so no server holds a stale inode). A target holding anything not ours
    (another application's tables, views, triggers; tables without an ``alembic_version``: not a
    gridwatch store) holds data: refused unless ``--replace``.
    Writes committed while a restore runs are lost (they wait for its lock, then land on the
    restored data or are overwritten if they came just before): stop the ingest first.

PostgreSQL
    ``backup`` runs ``pg_dump --format=custom`` (the newest pg_dump found; a server newer than
    it is refused). ``restore`` needs pg_restore and psql with the fix for CVE-2025-8714
    (13.22, 14.19, 15.14, 16.10, 17.6 or later; older ones are refused). It accepts only the
    archive entries a gridwatch dump makes (TABLE, TABLE DATA, SEQUENCE, SEQUENCE SET,
    SEQUENCE OWNED BY, DEFAULT, CONSTRAINT, FK CONSTRAINT, INDEX), only for our tables, their
    sequences and indexes, in the one schema of ``alembic_version``: anything else (a
    FUNCTION, TRIGGER, RULE, ACL, another schema's object...) is refused, naming the first.
    ``pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error`` writes the
    restore's SQL and ``psql --single-transaction`` (``ON_ERROR_STOP``) runs it, with our own
    statements in the same transaction. Right after the script's header (so that its
    ``lock_timeout = 0`` is overridden): ``lock_timeout`` = ``LOCK_TIMEOUT`` (60 s), every
    table of ours locked ACCESS EXCLUSIVE in a fixed order (``store_meta`` first: no deadlock
    with a writer half way through), and the data version kept. Last, tables of ours the
    backup lacks are dropped (a target at a newer schema), the data version is set above
    both the backup's and the target's old one, and the history mark is renewed. The last
    part is sent only once pg_restore
    has read the whole archive; otherwise a failing statement makes psql roll back: a restore
    changes everything or nothing. While a restore runs, readers and writers wait for it
    (readers then see the restored state; writers fail, their tables replaced); a restore
    that cannot get its locks within the timeout fails, naming the lock wait, and changes
    nothing. A target holding a table, view or sequence in its schema that is not ours (an
    extension's members, such as PostGIS's ``spatial_ref_sys``, aside) holds data.
    Extensions (PostGIS on deployments) are the database's own: a restore neither drops nor
    creates them, nor restores the rows of an extension's tables (``spatial_ref_sys``); a
    backup whose tables need an extension the target lacks fails whole, naming what is
    missing (``CREATE EXTENSION`` it first). The password goes to the tools in ``PGPASSWORD``,
    never on a command line; messages name the store by ``safe_url``.

A backup restores only into a store of the same kind: cross-engine restore is not supported.
After a restore the schema may be behind this code: ``python -m gridwatch init-store`` then
migrates it (restore never migrates).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from gridwatch.logs import mask_secrets
from gridwatch.snapshot import HISTORY_KEY
from gridwatch.store.db import safe_url
from gridwatch.store.models import Base

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
INIT_COMMAND = "python -m gridwatch init-store"
NOT_OURS = "not a gridwatch backup"
CROSS_ENGINE = "cross-engine restore is not supported"
TOOL_TIMEOUT = 3600  # seconds: a dump or restore that takes longer is stuck
CONNECT_TIMEOUT = "10"  # seconds, for the PostgreSQL tools and our own connections


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message is one line, secrets masked."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(" ".join(message.split())))


@dataclass(frozen=True)
class StoreFacts:
    """What a store or backup holds: data version, schema revision(s), rows per table of ours."""

    version: int | None  # None: no data version recorded (never written)
    revisions: tuple[str, ...]
    rows: dict[str, int]
    # Objects that are not ours (another application's tables, views, triggers...): a store
    # holding any holds data, whatever our tables hold.
    foreign: tuple[str, ...] = ()
    has_alembic: bool = True  # False: tables but no alembic_version (not a gridwatch store)

    @property
    def holds_data(self) -> bool:
        return (self.version is not None or bool(self.foreign) or not self.has_alembic
                or any(n for t, n in self.rows.items() if t != "alembic_version"))

    def describe_data(self) -> str:
        counts = ", ".join(f"{n} {t}" for t, n in sorted(self.rows.items())
                           if n and t not in ("alembic_version", "store_meta"))
        text_ = f"data version {self.version or 0}" + (f"; {counts}" if counts else "")
        if self.foreign:
            shown = ", ".join(self.foreign[:5]) + (", ..." if len(self.foreign) > 5 else "")
            text_ += f"; objects not gridwatch's: {shown}"
        return text_


@dataclass(frozen=True)
class Outcome:
    """What a backup wrote or a restore left in the store."""

    path: Path
    size: int
    version: int | None
    revisions: tuple[str, ...]
    heads: tuple[str, ...]
    kind: str  # "sqlite" or "postgresql"
    dropped: tuple[str, ...] = ()

    @property
    def behind(self) -> bool:
        return set(self.revisions) != set(self.heads)

    def revision_text(self) -> str:
        return ", ".join(self.revisions) or "none"


# --- shared ---------------------------------------------------------------------------------

def our_tables() -> set[str]:
    """The tables this code's schema has (the models' and alembic's own)."""
    return set(Base.metadata.tables) | {"alembic_version"}


def _scripts() -> ScriptDirectory:
    from gridwatch.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]


def code_heads() -> tuple[str, ...]:
    return tuple(sorted(_scripts().get_heads()))


def check_revisions(revisions: tuple[str, ...], what: str) -> None:
    """Refuse a backup with no schema revision or one this code does not know (newer code)."""
    if not revisions:
        raise BackupError(f"{NOT_OURS}: {what} has no schema revision (empty alembic_version)")
    scripts = _scripts()
    for revision in revisions:
        try:
            known = scripts.get_revision(revision) is not None
        except Exception:
            known = False
        if not known:
            raise BackupError(
                f"{what} is at schema revision {revision}, which this code does not know "
                f"(made by a newer gridwatch?): restore it with the version that made it")


def _first_line(exc: BaseException | str) -> str:
    message = str(exc).strip()
    return mask_secrets(message.splitlines()[0] if message else type(exc).__name__)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_first_line(exc)}"


def file_kind(path: Path) -> str:
    """``sqlite``, ``postgresql`` (a pg_dump custom archive) or ``unknown``; a missing or
    unreadable file is a ``BackupError``."""
    if not path.exists():
        raise BackupError(f"no such file: {path}")
    if not path.is_file():
        raise BackupError(f"not a file: {path}")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return "unknown"


KIND_NAMES = {"sqlite": "a SQLite database file",
              "postgresql": "a PostgreSQL backup (pg_dump custom format)"}


def _backend(url: str) -> str:
    try:
        parsed = make_url(url)
    except Exception:
        raise BackupError("the database URL cannot be parsed") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL stores, not {backend} "
                          f"({safe_url(url)})")
    return backend


@contextlib.contextmanager
def _temp_beside(target: Path, suffix: str) -> Iterator[Path]:
    """A temporary file name in ``target``'s folder (removed afterwards unless moved)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _check_output(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise BackupError(f"{output} exists: choose another name, or pass --force to "
                          f"overwrite it")
    if output.exists() and not output.is_file():
        raise BackupError(f"{output} is not a file")


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite store cannot be backed up or restored")
    return Path(database)


def _sqlite_facts(conn: sqlite3.Connection) -> StoreFacts:
    objects = conn.execute("SELECT type, name, tbl_name FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    names = {name for kind, name, _tbl in objects if kind == "table"}
    ours = our_tables()
    foreign = tuple(sorted(f"{kind} {name}" for kind, name, tbl in objects
                           if tbl not in ours or (kind in ("table", "view") and name not in ours)))
    rows = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in sorted(names & our_tables())}
    revisions: tuple[str, ...] = ()
    if "alembic_version" in names:
        revisions = tuple(sorted(r[0] for r in conn.execute(
            "SELECT version_num FROM alembic_version")))
    version = None
    if "store_meta" in names:
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'version'").fetchone()
        version = int(row[0]) if row and row[0] is not None else None
    return StoreFacts(version=version, revisions=revisions, rows=rows, foreign=foreign,
                      has_alembic="alembic_version" in names or not objects)


def _sqlite_connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}" + ("?mode=ro" if readonly else "")
    conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    # A backup's schema is not trusted: no functions with side effects from its views or
    # triggers (and it is compared with ours before anything writes through it).
    conn.execute("PRAGMA trusted_schema=OFF")
    return conn


def _normalised_sql(sql: str | None) -> str:
    return " ".join((sql or "").split())


def _sqlite_schema(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    """Every entry of ``sqlite_master`` (type, name, SQL with whitespace normalised)."""
    return {(kind, name, _normalised_sql(sql)) for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")}


_FRESH_SCHEMAS: dict[tuple[str, ...], frozenset[tuple[str, str, str]]] = {}


def fresh_sqlite_schema(revisions: tuple[str, ...]) -> frozenset[tuple[str, str, str]]:
    """The schema alembic builds for a new SQLite store at ``revisions`` (cached)."""
    if revisions not in _FRESH_SCHEMAS:
        from alembic import command

        from gridwatch.store.db import alembic_config

        with tempfile.TemporaryDirectory(prefix="gridwatch-schema-") as folder:
            path = Path(folder) / "fresh.sqlite"
            engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
            try:
                for revision in revisions:
                    command.upgrade(alembic_config(engine), revision)
            finally:
                engine.dispose()
            with contextlib.closing(_sqlite_connect(path)) as conn:
                _FRESH_SCHEMAS[revisions] = frozenset(_sqlite_schema(conn))
    return _FRESH_SCHEMAS[revisions]


def _check_sqlite_schema(conn: sqlite3.Connection, revisions: tuple[str, ...],
                         what: str) -> None:
    """Refuse a backup whose schema is not exactly what alembic builds at its revision (a
    trigger, view, index or table more, or a definition changed, would go into the store)."""
    fresh = fresh_sqlite_schema(revisions)
    found = _sqlite_schema(conn)
    if found == fresh:
        return
    fresh_by = {(kind, name): sql for kind, name, sql in fresh}
    found_by = {(kind, name): sql for kind, name, sql in found}
    problems = []
    for key in sorted(found_by.keys() - fresh_by.keys()):
        problems.append(f"an extra {key[0]} {key[1]}")
    for key in sorted(fresh_by.keys() - found_by.keys()):
        problems.append(f"no {key[0]} {key[1]}")
    for key in sorted(k for k in found_by.keys() & fresh_by.keys()
                      if found_by[k] != fresh_by[k]):
        problems.append(f"a different definition of {key[0]} {key[1]}")
    raise BackupError(f"{NOT_OURS}: the schema of {what} is not gridwatch's at revision "
                      f"{', '.join(revisions)}: {'; '.join(problems)}")


def backup_sqlite(url: str, output: Path) -> Outcome:
    path = _sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"no SQLite store at {path} ({safe_url(url)})")
    if file_kind(path) != "sqlite":
        raise BackupError(f"{path} is not a SQLite database")
    with _temp_beside(output, ".tmp") as tmp:
        try:
            with _sqlite_copy(path, tmp) as dst:
                facts = _sqlite_facts(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot back up {path}: {_error_text(exc)}") from None
        os.replace(tmp, output)
    return Outcome(path=output, size=output.stat().st_size, version=facts.version,
                   revisions=facts.revisions, heads=code_heads(), kind="sqlite")


class _TargetMoved(Exception):
    """A write reached the target between reading its version and locking it: try again."""


def restore_sqlite(url: str, backup: Path, replace: bool) -> Outcome:
    target = _sqlite_path(url)
    if target.exists():
        if target.is_file() and target.stat().st_size and file_kind(target) != "sqlite":
            raise BackupError(f"the target {target} is not a SQLite database")
    with _temp_beside(target, ".restore") as tmp:
        facts = _prepare_sqlite_copy(backup, tmp)
        before = _sqlite_target_facts(target)
        if before.holds_data and not replace:
            raise BackupError(_holds_data_message(url, before))
        for _attempt in range(5):
            try:
                _write_sqlite(tmp, target, facts)
                break
            except _TargetMoved:
                continue
        else:
            raise BackupError(f"the store at {target} kept changing during the restore: "
                              f"stop the servers' writes (ingest) and try again")
    with contextlib.closing(_sqlite_connect(target)) as conn:
        after = _sqlite_facts(conn)
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return Outcome(path=target, size=target.stat().st_size, version=after.version,
                   revisions=after.revisions, heads=code_heads(), kind="sqlite")


def _expect_kind(path: Path, kind: str) -> None:
    """Refuse ``path`` unless it is a backup of ``kind`` ("sqlite" or "postgresql"): a backup
    of the other kind is named as such (no cross-engine restore), anything else is not ours."""
    found = file_kind(path)
    if found == kind:
        return
    target = {"sqlite": "a SQLite", "postgresql": "a PostgreSQL"}[kind]
    if found in KIND_NAMES:
        raise BackupError(f"{path} is {KIND_NAMES[found]} but the target is {target} store: "
                          f"{CROSS_ENGINE}")
    raise BackupError(f"{NOT_OURS}: {path} is neither a SQLite database nor a pg_dump archive")


@contextlib.contextmanager
def _sqlite_copy(source: Path, target: Path, readonly: bool = False) -> Iterator:
    """Copy ``source`` into ``target`` with the backup API (every page in one step: one
    consistent read transaction) as one self-contained file (journal mode DELETE); yields
    the copy's connection, both closed afterwards."""
    with contextlib.closing(_sqlite_connect(source, readonly=readonly)) as src, \
            contextlib.closing(_sqlite_connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        yield dst


def _prepare_sqlite_copy(backup: Path, tmp: Path) -> StoreFacts:
    """Copy the backup into ``tmp`` and check it is one of ours; its facts."""
    _expect_kind(backup, "sqlite")
    try:
        with _sqlite_copy(backup, tmp, readonly=True) as dst:
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{backup} is damaged: {check}")
            kinds = dict(dst.execute("SELECT name, type FROM sqlite_master"))
            if kinds.get("alembic_version") != "table":
                raise BackupError(f"{NOT_OURS}: {backup} is a SQLite database without "
                                  f"gridwatch's alembic_version table")
            revisions = tuple(sorted(r[0] for r in dst.execute(
                "SELECT version_num FROM alembic_version")))
            check_revisions(revisions, str(backup))
            _check_sqlite_schema(dst, revisions, str(backup))
            facts = _sqlite_facts(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"{NOT_OURS}: cannot read {backup} as SQLite: "
                          f"{_error_text(exc)}") from None
    return facts


def _sqlite_target_facts(target: Path) -> StoreFacts:
    if not target.exists() or not target.stat().st_size:
        return StoreFacts(version=None, revisions=(), rows={})
    try:
        with contextlib.closing(_sqlite_connect(target)) as conn:
            return _sqlite_facts(conn)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the target {target}: {_error_text(exc)}") from None


def _read_version(path: Path) -> int | None:
    with contextlib.closing(_sqlite_connect(path)) as conn:
        return _sqlite_facts(conn).version


def _write_sqlite(tmp: Path, target: Path, facts: StoreFacts) -> int | None:
    """Write ``tmp`` into the live ``target`` in one transaction; the restored data version.

    The copy's version is made greater than the target's (a server that cached the target's
    version then reads the restored data). The version read beforehand is checked again once
    the backup holds the target's write lock (after its first step, from another connection:
    WAL readers see the last commit); if a write came in between, the restore is abandoned
    (the target unchanged) and tried again.
    """
    old = _read_version(target) if target.exists() and target.stat().st_size else None
    new = None
    with contextlib.closing(_sqlite_connect(tmp)) as copy:
        if facts.version is not None or old is not None:
            new = max(facts.version or 0, old or 0) + 1
            copy.execute("INSERT INTO store_meta (key, value) VALUES ('version', ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(new),))
            # the history may be another one: servers read it whole
            copy.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (HISTORY_KEY, uuid.uuid4().hex))
        checked = False

        def progress(status: int, remaining: int, total: int) -> None:
            nonlocal checked
            if checked or status != sqlite3.SQLITE_OK or not remaining:
                return
            checked = True  # the target's write lock is held from the first step on
            now = _read_version(target)
            if now is not None and (new is None or now >= new):
                raise _TargetMoved

        dst = _sqlite_connect(target)
        try:
            dst.execute("PRAGMA journal_mode=WAL")  # as gridwatch opens it
            copy.backup(dst, pages=1, progress=progress)
        except _TargetMoved:
            raise
        except sqlite3.Error as exc:
            raise BackupError(f"cannot restore into {target}: {_error_text(exc)}") from None
        finally:
            dst.close()
    return new


def _holds_data_message(url: str, facts: StoreFacts) -> str:
    if not facts.has_alembic:
        return (f"the target store at {safe_url(url)} holds tables but no alembic_version: "
                f"it does not look like a gridwatch store ({facts.describe_data()}); restore "
                f"with --replace only if it may be overwritten")
    return (f"the target store at {safe_url(url)} holds data ({facts.describe_data()}): "
            f"take a backup of it first (python -m gridwatch backup --output FILE), then "
            f"restore with --replace to overwrite it")


# --- PostgreSQL -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Tool:
    path: str
    major: int
    minor: int = 0
    version: str = ""  # as the tool prints it


# The first releases with the fix for CVE-2025-8714 (a pg_dump archive's SQL running psql
# meta-commands: ``\restrict``), per major version; majors after the newest listed have it.
PATCHED = {13: 22, 14: 19, 15: 14, 16: 10, 17: 6}


def _tool_version(path: str) -> tuple[int, int, str] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = (re.search(r"\(PostgreSQL\)\s*(\d+)(?:\.(\d+))?", out)
             or re.search(r"(\d+)\.(\d+)", out))
    if not found:
        return None
    return int(found.group(1)), int(found.group(2) or 0), out.strip()


def require_patched(tool: Tool) -> None:
    """Refuse a pg_restore or psql without the CVE-2025-8714 fix."""
    newest = max(PATCHED)
    if tool.major > newest or tool.minor >= PATCHED.get(tool.major, 10**6):
        return
    needed = ", ".join(f"{major}.{minor}" for major, minor in sorted(PATCHED.items())
                       if major >= 15)
    raise BackupError(f"{tool.path} is {tool.version or tool.major}, without the fix for "
                      f"CVE-2025-8714: a restore needs PostgreSQL client tools of at least "
                      f"{needed} (or a later major version)")


@functools.cache
def find_tool(name: str) -> Tool:
    """The newest ``name`` (``pg_dump``, ``pg_restore``) on PATH or under
    ``/usr/lib/postgresql/*/bin``."""
    candidates = [p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
                  if os.access(p, os.X_OK)]
    on_path = shutil.which(name)
    if on_path:
        candidates.insert(0, on_path)
    best: Tool | None = None
    for candidate in candidates:
        found = _tool_version(candidate)
        if found is not None and (best is None or found[:2] > (best.major, best.minor)):
            best = Tool(candidate, *found)
    if best is None:
        raise BackupError(f"{name} not found (on PATH or in /usr/lib/postgresql/*/bin): "
                          f"install the PostgreSQL client tools")
    return best


_LIBPQ_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
              "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
              "application_name": "PGAPPNAME", "options": "PGOPTIONS",
              "target_session_attrs": "PGTARGETSESSIONATTRS", "service": "PGSERVICE",
              "passfile": "PGPASSFILE"}


def pg_arguments(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools (host, port, user, database) and their
    environment (the password in ``PGPASSWORD``; query options as libpq variables)."""
    parsed: URL = make_url(url)
    env = {**os.environ, "PGCONNECT_TIMEOUT": CONNECT_TIMEOUT}
    args: list[str] = []
    query = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in parsed.query.items()}
    host = parsed.host or query.pop("host", None)
    port = parsed.port or query.pop("port", None)
    query.pop("host", None)
    query.pop("port", None)
    if host:
        args += ["--host", str(host)]
    if port:
        args += ["--port", str(port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    for key, value in query.items():
        if key in _LIBPQ_ENV:
            env[_LIBPQ_ENV[key]] = str(value)
    if not parsed.database:
        raise BackupError(f"the database URL names no database ({safe_url(url)})")
    return [*args, "--dbname", parsed.database], env


def _pg_engine(url: str) -> Engine:
    return create_engine(url, connect_args={"connect_timeout": int(CONNECT_TIMEOUT)},
                         poolclass=NullPool)


def _pg_target_facts(engine: Engine) -> tuple[StoreFacts, int]:
    """The store's facts and its server's major version."""
    with engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
        names = set(inspect(conn).get_table_names()) & our_tables()
        rows = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                for t in sorted(names)}
        foreign = tuple(sorted(
            f"{_RELKINDS.get(kind, 'relation')} {name}" for kind, name in conn.execute(
                text(_FOREIGN_RELATIONS), {"ours": sorted(our_tables())}).all()))
        revisions: tuple[str, ...] = ()
        if "alembic_version" in names:
            revisions = tuple(sorted(conn.execute(
                text("SELECT version_num FROM alembic_version")).scalars()))
        version = None
        if "store_meta" in names:
            value = conn.execute(text(
                "SELECT value FROM store_meta WHERE key = 'version'")).scalar()
            version = None if value is None else int(value)
    facts = StoreFacts(version=version, revisions=revisions, rows=rows, foreign=foreign,
                       has_alembic="alembic_version" in names or not (names or foreign))
    return facts, server


_RELKINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
             "f": "foreign table", "S": "sequence"}

# Relations in the store's schema that are not ours: not our tables, not a sequence owned by
# one of them, not an extension's member (PostGIS's spatial_ref_sys).
_FOREIGN_RELATIONS = """
SELECT c.relkind::text, c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT (c.relname = ANY(:ours) AND c.relkind IN ('r', 'p'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND d.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                    AND c.relkind = 'S' AND t.relname = ANY(:ours))
ORDER BY c.relname
"""


def _run(argv: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"{what}: {_error_text(exc)}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines
        raise BackupError(f"{what}: {errors[0] if errors else f'exit code {done.returncode}'}")
    return done


def _reach(url: str) -> tuple[Engine, StoreFacts, int]:
    engine = _pg_engine(url)
    try:
        facts, server = _pg_target_facts(engine)
    except Exception as exc:
        engine.dispose()
        raise BackupError(f"cannot read the store at {safe_url(url)}: "
                          f"{_error_text(exc)}") from None
    return engine, facts, server


def backup_postgresql(url: str, output: Path) -> Outcome:
    pg_dump = find_tool("pg_dump")
    engine, _facts, server = _reach(url)
    engine.dispose()
    if server > pg_dump.major:
        raise BackupError(
            f"the server at {safe_url(url)} runs PostgreSQL {server}, newer than the newest "
            f"pg_dump found ({pg_dump.major}, {pg_dump.path}): install the PostgreSQL "
            f"{server} client tools")
    args, env = pg_arguments(url)
    with _temp_beside(output, ".tmp") as tmp:
        _run([pg_dump.path, "--format=custom", "--file", str(tmp), *args], env,
             f"pg_dump of {safe_url(url)} failed")
        facts = pg_archive_facts(tmp)
        os.replace(tmp, output)
    return Outcome(path=output, size=output.stat().st_size, version=facts.version,
                   revisions=facts.revisions, heads=code_heads(), kind="postgresql")


@dataclass(frozen=True)
class TocEntry:
    line: str
    desc: str  # TABLE, TABLE DATA, EXTENSION, COMMENT, SEQUENCE SET, ...
    schema: str
    name: str


# "4189; 0 16700 TABLE DATA public spatial_ref_sys postgres": id; catalog oid; desc (one or more
# words); schema ("-" for none); name; owner.
_TOC = re.compile(r"^\d+;\s+\d+\s+\d+\s+(?P<desc>TABLE DATA|SEQUENCE SET|SEQUENCE OWNED BY|"
                  r"FK CONSTRAINT|DEFAULT ACL|MATERIALIZED VIEW DATA|MATERIALIZED VIEW|"
                  r"FOREIGN TABLE|EVENT TRIGGER|LARGE OBJECT|TEXT SEARCH \S+|\S+)\s+"
                  r"(?P<schema>\S+)\s+(?P<name>\S+)")


def pg_toc(archive: Path) -> list[TocEntry]:
    pg_restore = find_tool("pg_restore")
    done = _run([pg_restore.path, "--list", str(archive)], dict(os.environ),
                f"cannot read the pg_dump archive {archive} (damaged, or made by a pg_dump "
                f"newer than pg_restore {pg_restore.major})")
    entries = []
    for line in done.stdout.splitlines():
        found = _TOC.match(line)
        if found:
            entries.append(TocEntry(line, found["desc"], found["schema"], found["name"]))
    return entries


def _copy_rows(sql: str, table: str) -> list[list[str]]:
    rows: list[list[str]] = []
    inside = False
    for line in sql.splitlines():
        if not inside:
            inside = bool(re.match(rf"COPY \S*\b{table}\b .*FROM stdin;", line))
            continue
        if line == "\\.":
            inside = False
            continue
        rows.append(line.split("\t"))
    return rows


def pg_archive_facts(archive: Path, toc: list[TocEntry] | None = None) -> StoreFacts:
    """The data version and schema revision(s) a pg_dump archive holds, read without a
    server (``pg_restore --data-only`` of the two tables to standard output)."""
    toc = pg_toc(archive) if toc is None else toc
    tables = {e.name for e in toc if e.desc == "TABLE"}
    if "alembic_version" not in tables:
        raise BackupError(f"{NOT_OURS}: the pg_dump archive {archive} has no alembic_version "
                          f"table")
    pg_restore = find_tool("pg_restore")
    wanted = [t for t in ("alembic_version", "store_meta") if t in tables]
    argv = [pg_restore.path, "--data-only", "--file=-"]
    for table in wanted:
        argv += ["--table", table]
    sql = _run([*argv, str(archive)], dict(os.environ),
               f"cannot read the pg_dump archive {archive} (damaged?)").stdout
    revisions = tuple(sorted(r[0] for r in _copy_rows(sql, "alembic_version") if r))
    version = None
    for row in _copy_rows(sql, "store_meta"):
        if len(row) >= 2 and row[0] == "version" and row[1] != "\\N":
            version = int(row[1])
    return StoreFacts(version=version, revisions=revisions,
                      rows={t: 0 for t in tables & our_tables()})


# What a pg_dump of a gridwatch store lists (checked with ``pg_restore --list``), by the name
# each entry gives: the table's (TABLE, TABLE DATA, DEFAULT, CONSTRAINT, FK CONSTRAINT: the
# line then names the constraint), the sequence's, or the index's.
_BY_TABLE = {"TABLE", "TABLE DATA", "DEFAULT", "CONSTRAINT", "FK CONSTRAINT"}
_BY_SEQUENCE = {"SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY"}
_BY_INDEX = {"INDEX"}
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _our_indexes() -> set[str]:
    return {index.name for table in Base.metadata.tables.values() for index in table.indexes
            if index.name}


def _our_sequence(name: str) -> bool:
    return any(name.startswith(f"{table}_") and name.endswith("_seq")
               for table in our_tables())


def _restore_list(toc: list[TocEntry]) -> tuple[str, set[str], str]:
    """The archive's table of contents for the restore, its tables and its schema. Extension
    objects are left out (see the module text); anything else that is not one of the entries
    a gridwatch dump makes, for our tables in the one schema, is refused and named."""
    schemas = {e.schema for e in toc if e.desc == "TABLE" and e.name == "alembic_version"}
    schema = next(iter(schemas), "public")
    if len(schemas) > 1 or not _SCHEMA_NAME.fullmatch(schema):
        raise BackupError(f"{NOT_OURS}: the archive's alembic_version is in schema(s) "
                          f"{', '.join(sorted(schemas))}: not one plain schema name")
    tables = {(e.schema, e.name) for e in toc if e.desc == "TABLE"}
    ours, indexes = our_tables(), _our_indexes()
    keep = []
    for entry in toc:
        if entry.desc == "EXTENSION":
            continue
        if entry.desc == "COMMENT" and entry.line.split()[5:6] == ["EXTENSION"]:
            continue
        if entry.desc == "TABLE DATA" and (entry.schema, entry.name) not in tables:
            continue  # an extension's configuration table (spatial_ref_sys)
        allowed = entry.schema == schema and (
            (entry.desc in _BY_TABLE and entry.name in ours)
            or (entry.desc in _BY_SEQUENCE and _our_sequence(entry.name))
            or (entry.desc in _BY_INDEX and entry.name in indexes))
        if not allowed:
            shown = " ".join(entry.line.split()[3:]) or entry.line
            raise BackupError(f"{NOT_OURS}: the archive holds an entry a gridwatch backup does "
                              f"not: {shown}; nothing restored")
        keep.append(entry.line)
    return "\n".join(keep) + "\n", {name for _schema, name in tables}, schema


def restore_postgresql(url: str, archive: Path, replace: bool) -> Outcome:
    _expect_kind(archive, "postgresql")
    for name in ("pg_restore", "psql"):
        require_patched(find_tool(name))
    toc = pg_toc(archive)
    facts = pg_archive_facts(archive, toc)
    check_revisions(facts.revisions, str(archive))
    listing, restored_tables, schema = _restore_list(toc)
    engine, before, _server = _reach(url)
    try:
        if before.holds_data and not replace:
            raise BackupError(_holds_data_message(url, before))
        dropped = tuple(sorted(set(before.rows) - restored_tables))
        _pg_restore_atomically(url, archive, listing, schema, dropped)
        after, _server = _pg_target_facts(engine)
    except BackupError:
        raise
    except Exception as exc:
        raise BackupError(f"restore into {safe_url(url)}: {_error_text(exc)}") from None
    finally:
        engine.dispose()
    return Outcome(path=archive, size=archive.stat().st_size, version=after.version,
                   revisions=after.revisions, heads=code_heads(), kind="postgresql",
                   dropped=dropped)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on: only ' is special)."""
    return "'" + value.replace("'", "''") + "'"


LOCK_TIMEOUT = "60s"  # how long a restore waits for the store's tables before it fails


def _lock_order() -> list[str]:
    """Our tables in the order a restore locks them: store_meta first (writers start there),
    then by name."""
    return ["store_meta", *sorted(our_tables() - {"store_meta"})]


def _prelude(schema: str) -> str:
    """First in the restore's transaction, after the script's own settings: a lock timeout,
    every table of ours locked ACCESS EXCLUSIVE in a fixed order (readers and writers wait:
    no deadlock with a writer half way), then the data version kept."""
    meta = f"{_quote(schema)}.store_meta"
    names = ", ".join(_literal(t) for t in _lock_order())
    return f"""
SET lock_timeout = {_literal(LOCK_TIMEOUT)};
SET client_min_messages = warning;
CREATE TEMP TABLE gridwatch_restore_before (version bigint) ON COMMIT DROP;
DO $gridwatch$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY[{names}]::text[] LOOP
    IF to_regclass(format('%I.%I', {_literal(schema)}, name)) IS NOT NULL THEN
      EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', {_literal(schema)}, name);
    END IF;
  END LOOP;
  IF to_regclass({_literal(meta)}) IS NOT NULL THEN
    INSERT INTO pg_temp.gridwatch_restore_before
      SELECT value::bigint FROM {meta} WHERE key = 'version';
  END IF;
END
$gridwatch$;
"""


def _postlude(schema: str, dropped: tuple[str, ...]) -> str:
    """Last in the restore's transaction: drop our tables the backup lacks, and set the data
    version above both the backup's and the target's old one (a server that cached the old
    version then reads the restored data)."""
    meta = f"{_quote(schema)}.store_meta"
    drops = "".join(f"DROP TABLE IF EXISTS {_quote(schema)}.{_quote(t)} CASCADE;\n"
                    for t in dropped)
    return f"""
{drops}DO $gridwatch$
DECLARE
  restored bigint;
  previous bigint;
BEGIN
  SELECT max(version) INTO previous FROM pg_temp.gridwatch_restore_before;
  IF to_regclass({_literal(meta)}) IS NULL THEN
    RETURN;
  END IF;
  SELECT value::bigint INTO restored FROM {meta} WHERE key = 'version';
  IF restored IS NOT NULL OR previous IS NOT NULL THEN
    INSERT INTO {meta} (key, value)
      VALUES ('version', (GREATEST(COALESCE(restored, 0), COALESCE(previous, 0)) + 1)::text)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    INSERT INTO {meta} (key, value) VALUES ({_literal(HISTORY_KEY)}, gen_random_uuid()::text)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value;
  END IF;
END
$gridwatch$;
"""


ABORT = ("DO $gridwatch$ BEGIN RAISE EXCEPTION 'gridwatch: the backup could not be read "
         "to the end; nothing restored'; END $gridwatch$;\n")


def _pg_restore_atomically(url: str, archive: Path, listing: str, schema: str,
                           dropped: tuple[str, ...]) -> None:
    """``pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error`` writes the
    restore's SQL, and ``psql --single-transaction`` (``ON_ERROR_STOP``) runs it with
    ``_prelude`` after its header and ``_postlude`` last: one transaction, the version bump
    inside it. The postlude is sent only once pg_restore has ended well; otherwise a
    statement that fails, and psql rolls all back.
    """
    pg_restore, psql = find_tool("pg_restore"), find_tool("psql")
    args, env = pg_arguments(url)
    with tempfile.TemporaryDirectory(prefix="gridwatch-restore-") as folder:
        work = Path(folder)
        (work / "toc.list").write_text(listing)
        with open(work / "pg_restore.err", "w+") as producer_err, \
                open(work / "psql.err", "w+") as consumer_err:
            producer = subprocess.Popen(
                [pg_restore.path, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                 "--exit-on-error", "--use-list", str(work / "toc.list"), "--file=-", str(archive)],
                stdout=subprocess.PIPE, stderr=producer_err, env=dict(os.environ))
            consumer = subprocess.Popen(
                [psql.path, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                 "--single-transaction", "--file", "-", *args], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=consumer_err, env=env)
            try:
                assert producer.stdout is not None and consumer.stdin is not None
                try:
                    # The script's header (its SETs, lock_timeout = 0 among them), then our
                    # prelude, whose settings therefore win, then the rest.
                    line = producer.stdout.readline()
                    while line and _HEADER_LINE.match(line):
                        consumer.stdin.write(line)
                        line = producer.stdout.readline()
                    consumer.stdin.write(_prelude(schema).encode())
                    consumer.stdin.write(line)
                    shutil.copyfileobj(producer.stdout, consumer.stdin, 1 << 20)
                    read_well = producer.wait(timeout=TOOL_TIMEOUT) == 0
                    tail = _postlude(schema, dropped) if read_well else ABORT
                    consumer.stdin.write(tail.encode())
                except BrokenPipeError:  # psql stopped at an error: it rolled back
                    pass
                finally:
                    with contextlib.suppress(BrokenPipeError):
                        consumer.stdin.close()
                consumer.wait(timeout=TOOL_TIMEOUT)
            finally:
                for proc in (producer, consumer):
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                producer.stdout.close()
            producer_err.seek(0)
            consumer_err.seek(0)
            problems = [_tool_error(producer_err.read()), _tool_error(consumer_err.read())]
    if producer.returncode != 0 or consumer.returncode != 0:
        detail = next((p for p in problems if p), f"exit codes {producer.returncode}, "
                                                  f"{consumer.returncode}")
        if "lock timeout" in detail:
            detail += (f" (waited {LOCK_TIMEOUT} for a lock on the store's tables, held by "
                       f"another session: stop the servers' writes and try again)")
        raise BackupError(f"restore into {safe_url(url)} failed, nothing changed: {detail}")


# The lines pg_restore's script starts with: comments, \restrict, its SETs.
_HEADER_LINE = re.compile(rb"^(\s*$|--|\\restrict |SET |SELECT pg_catalog\.set_config\()")


def _tool_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()] or lines
    return errors[0] if errors else ""


# --- entry points ---------------------------------------------------------------------------

def backup(url: str, output: Path, force: bool = False) -> Outcome:
    """Write a backup of the store at ``url`` to ``output`` (refused if it exists, unless
    ``force``). Any schema revision: it is how a store is saved before an upgrade."""
    backend = _backend(url)
    _check_output(output, force)
    if backend == "sqlite":
        return backup_sqlite(url, output)
    return backup_postgresql(url, output)


def restore(url: str, archive: Path, replace: bool = False) -> Outcome:
    """Restore ``archive`` into the store at ``url`` (refused if it holds data, unless
    ``replace``). The restored data version is above the target's old one."""
    backend = _backend(url)
    file_kind(archive)  # missing or unreadable: say so first
    if backend == "sqlite":
        return restore_sqlite(url, archive, replace)
    return restore_postgresql(url, archive, replace)
