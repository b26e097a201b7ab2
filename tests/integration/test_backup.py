"""Backups and restores (issue 10): ``python -m gridwatch backup`` / ``restore`` on both stores.

A seeded store backed up and restored into an empty one holds the same rows and figures; a
backup taken while another thread writes is consistent; a restore refuses a store that holds
data unless ``--replace``, and with it a server that had the old data cached sees the new; bad
input is one ``error:`` line (exit 2) and never shows a password.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.pool import NullPool

from gridwatch.metrics import headline_figures
from gridwatch.store import backup as bk
from gridwatch.store.models import RiskAssessment
from gridwatch.store.writes import write
from tests.conftest import dispose, source_for

pytestmark = [pytest.mark.integration, pytest.mark.stores]

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "data" / "geo" / "kaihua.gpkg"
PYTHON = sys.executable
GRID = "33082400100101"
FAKE_PASSWORD = "s3cret-Backup-pw"
UNREACHABLE = f"postgresql+psycopg://gridwatch:{FAKE_PASSWORD}@127.0.0.1:1/gridwatch"


def _env(url: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("GRIDWATCH_") and key not in ("DATABASE_URL", "WORKERS")}
    return {**env, "PYTHONPATH": str(ROOT), "GRIDWATCH_DATABASE_URL": url,
            "GRIDWATCH_SEED_DEMO": "false", "GRIDWATCH_GEO_PATH": str(GEO)}


def _cli(url: str, *args: str) -> tuple[int, str, str]:
    """The command in a subprocess with a clean environment (as an operator runs it)."""
    done = subprocess.run([PYTHON, "-m", "gridwatch", *args], cwd=ROOT, env=_env(url),
                          capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def run(monkeypatch, capsys):
    """The command in this process (a subprocess costs seconds of imports): exit code, output
    and errors, as ``_cli`` returns them."""
    from gridwatch.__main__ import main

    for key in [k for k in os.environ if k.startswith("GRIDWATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GRIDWATCH_SEED_DEMO", "false")
    monkeypatch.setenv("GRIDWATCH_GEO_PATH", str(GEO))

    def invoke(url: str, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main([*args, "--database-url", url])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _engine(url: str):
    return create_engine(url, poolclass=NullPool)


def _counts(url: str) -> dict[str, int]:
    """Rows per table of ours (extension tables such as PostGIS's spatial_ref_sys left out)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names()) & bk.our_tables()
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                    for t in sorted(names)}
    finally:
        engine.dispose()


def _restored(dst: str, src: str) -> None:
    """``dst`` holds ``src``'s rows, and a history mark that tells servers to read it whole
    (``gridwatch.snapshot.HISTORY_KEY``): ``store_meta`` gains that one row."""
    restored, source = _counts(dst), _counts(src)
    assert {**restored, "store_meta": 0} == {**source, "store_meta": 0}
    engine = _engine(dst)
    try:
        with engine.connect() as conn:
            mark = conn.execute(text("SELECT value FROM store_meta WHERE key = 'history'"))
            assert mark.scalar()
    finally:
        engine.dispose()


def _version(url: str) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT value FROM store_meta WHERE key = 'version'")).scalar() or 0)
    finally:
        engine.dispose()


_SERIAL = itertools.count()


def _add_assessment(engine, source: str, colour: str = "red") -> None:
    now = datetime(2026, 1, 5, 8, 0) + timedelta(seconds=next(_SERIAL))
    with write(engine, "test:backup") as w:
        w.session.add(RiskAssessment(grid_code=GRID, colour=colour, observed_at=now,
                                     recorded_at=now, source=source, note=None))
        w.session.flush()
        w.audit([{"action": "test", "entity": "risk_assessment", "entity_key": source,
                  "before": None, "after": colour}])


def _assessments(url: str, source: str) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(RiskAssessment)
                                .where(RiskAssessment.source == source)).scalar()
    finally:
        engine.dispose()


def _suffix(stores) -> str:
    return ".sqlite" if stores.backend == "sqlite" else ".dump"


# --- the round trip -----------------------------------------------------------------------------

def test_backup_of_a_seeded_store_restores_into_an_empty_one(stores, tmp_path, run):
    src, dst = stores.seeded("bk_src"), stores.empty("bk_dst")
    file = tmp_path / f"store{_suffix(stores)}"
    code, out, err = _cli(src, "backup", "--output", str(file))
    assert code == 0, err
    assert f"written to {file}" in out and "data version" in out and "schema revision" in out
    assert file.is_file() and not list(tmp_path.glob(".*.tmp"))  # the temp file moved in place
    facts_version = _version(src)

    code, out, err = _cli(dst, "restore", str(file))
    assert code == 0, err
    assert "restored" in out and "init-store" not in out  # the schema is current
    _restored(dst, src)
    assert _version(dst) > facts_version  # above both the backup's and the (empty) target's

    # A server (DataSource) opened on the restored store works, with the same figures.
    original, restored = source_for(src), source_for(dst)
    try:
        restored.check_schema()
        assert headline_figures(restored.snapshot()) == headline_figures(original.snapshot())
    finally:
        dispose(original)
        dispose(restored)
    code, out, err = run(dst, "figures")
    assert code == 0 and out.lstrip().startswith("{"), err

    # The same file again, into a store that now holds data: refused (see below), and a
    # backup file is never overwritten without --force.
    code, out, err = run(src, "backup", "--output", str(file))
    assert "exists" in _one_error_line(code, out, err) and "--force" in err
    code, out, err = run(src, "backup", "--output", str(file), "--force")
    assert code == 0, err


def test_a_backup_taken_while_another_thread_writes_is_consistent(stores, tmp_path):
    url = stores.seeded("bk_busy")
    source = source_for(url)
    base_version, base_rows = _version(url), _assessments(url, "busy")
    stop, errors = threading.Event(), []

    def writer() -> None:
        try:
            while not stop.is_set():
                _add_assessment(source.writer, "busy")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    backups = []
    try:
        for n in range(3 if stores.backend == "sqlite" else 2):
            path = tmp_path / f"busy{n}{_suffix(stores)}"
            backups.append((path, bk.backup(url, path)))
    finally:
        stop.set()
        thread.join(timeout=60)
        dispose(source)
    assert not errors, errors
    assert _version(url) > base_version  # the writer did write while the backups ran
    for n, (path, done) in enumerate(backups):
        # Each write adds one row and bumps the version once, in one transaction: in a
        # consistent copy the two agree.
        restored = stores.empty(f"bk_busy_r{n}")
        bk.restore(restored, path)
        added = _assessments(restored, "busy") - base_rows
        assert done.version - base_version == added, (done.version, base_version, added)


# --- refusing and replacing ---------------------------------------------------------------------

def test_restore_refuses_a_store_with_data_and_replaces_it_with_replace(stores, tmp_path, run):
    src, dst = stores.seeded("bk_new"), stores.seeded("bk_old")
    writer = _engine(src)
    _add_assessment(writer, "from-backup")
    writer.dispose()
    file = tmp_path / f"new{_suffix(stores)}"
    bk.backup(src, file)

    live = source_for(dst)
    try:
        _add_assessment(live.writer, "target-only", colour="green")
        cached = live.snapshot()
        # Both stores are at the same data version now: a restore that gave the backup's
        # number back would leave the live server on its cache.
        assert cached.store_version == _version(src)
        before_counts, before_version = _counts(dst), _version(dst)

        code, out, err = _cli(dst, "restore", str(file))
        line = _one_error_line(code, out, err)
        assert "holds data" in line and f"data version {before_version}" in line
        assert "backup" in line and "--replace" in line
        assert _counts(dst) == before_counts and _version(dst) == before_version
        assert live.snapshot() is cached

        code, out, err = run(dst, "restore", str(file), "--replace")
        assert code == 0, err
        assert _assessments(dst, "from-backup") == 1 and _assessments(dst, "target-only") == 0
        _restored(dst, src)
        assert _version(dst) > before_version
        fresh = live.snapshot()  # the server's cache notices the restore
        assert fresh is not cached and fresh.store_version == _version(dst)
        assert headline_figures(fresh) == headline_figures(_snapshot(src))
        _add_assessment(live.writer, "after-restore")  # and the server writes on
        assert live.snapshot().store_version == _version(dst)
    finally:
        dispose(live)


def _migrated(stores, hint: str, revision: str = "head") -> str:
    """A new store with the schema alembic builds at ``revision`` and no data."""
    from alembic import command

    from gridwatch.store.db import alembic_config

    url = stores.empty(hint)
    engine = _engine(url)
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        engine.dispose()
    return url


def _snapshot(url: str):
    source = source_for(url)
    try:
        return source.snapshot()
    finally:
        dispose(source)


def test_a_store_behind_this_code_is_backed_up_and_restore_says_to_run_init_store(
        stores, tmp_path, run):
    heads = bk.code_heads()
    older = bk._scripts().get_revision(heads[0]).down_revision
    url = _migrated(stores, "bk_behind", older)  # as if made by the previous release
    file = tmp_path / f"behind{_suffix(stores)}"
    code, out, err = run(url, "backup", "--output", str(file))
    assert code == 0, err
    assert f"schema revision {older}, behind" in out
    target = stores.empty("bk_behind_r")
    code, out, err = run(target, "restore", str(file))
    assert code == 0, err
    assert "python -m gridwatch init-store" in out and older in out


def test_a_backup_from_an_unknown_schema_revision_is_refused(stores, tmp_path, run):
    url = stores.seeded("bk_future")
    engine = _engine(url)
    with engine.begin() as conn:  # as if a newer gridwatch had migrated it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    file = tmp_path / f"future{_suffix(stores)}"
    bk.backup(url, file)  # a backup of any store works
    target = stores.empty("bk_future_r")
    line = _one_error_line(*run(target, "restore", str(file)))
    assert "9999_future" in line and "does not know" in line
    assert not _counts(target)  # nothing restored


# --- bad input ----------------------------------------------------------------------------------

def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.bin"
    path.write_bytes(b"this is not a backup\n" * 10)
    return path


def _other_kind(stores, tmp_path: Path) -> Path:
    """A file of the other store's kind: a pg_dump header for SQLite, a SQLite file for
    PostgreSQL."""
    if stores.backend == "sqlite":
        path = tmp_path / "other.dump"
        path.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    else:
        path = tmp_path / "other.sqlite"
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    return path


def _sqlite_not_ours(tmp_path: Path) -> Path:
    path = tmp_path / "notours.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE something (x INTEGER)")
    return path


def test_bad_backup_files_are_one_error_line(stores, tmp_path, run):
    target = stores.empty("bk_bad")
    line = _one_error_line(*run(target, "restore", str(tmp_path / "missing.dump")))
    assert "no such file" in line
    line = _one_error_line(*_cli(target, "restore", str(_garbage(tmp_path))))
    assert "not a gridwatch backup" in line
    line = _one_error_line(*run(target, "restore", str(_other_kind(stores, tmp_path))))
    assert "cross-engine restore is not supported" in line
    assert "SQLite" in line and "PostgreSQL" in line
    if stores.backend == "sqlite":
        line = _one_error_line(*run(target, "restore", str(_sqlite_not_ours(tmp_path))))
        assert "not a gridwatch backup" in line and "alembic_version" in line
        unreadable = tmp_path / "locked.sqlite"
        unreadable.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
        line = _one_error_line(*run(target, "restore", str(unreadable)))
        assert "not a gridwatch backup" in line
    else:
        truncated = tmp_path / "truncated.dump"
        truncated.write_bytes(b"PGDMP" + b"\x00" * 200)
        line = _one_error_line(*run(target, "restore", str(truncated)))
        assert "cannot read the pg_dump archive" in line
    line = _one_error_line(*run(target, "restore", str(tmp_path)))  # a folder
    assert "not a file" in line
    assert not _counts(target)  # nothing was written into the target


def test_no_password_in_any_message(stores, tmp_path, run):
    code, out, err = _cli(UNREACHABLE, "backup", "--output", str(tmp_path / "x.dump"))
    line = _one_error_line(code, out, err)
    assert FAKE_PASSWORD not in out + err
    assert "gridwatch:***@" in line or "pg_dump not found" in line
    assert not (tmp_path / "x.dump").exists()
    file = tmp_path / f"seeded{_suffix(stores)}"
    bk.backup(stores.seeded("bk_pw"), file)
    code, out, err = run(UNREACHABLE, "restore", str(file), "--replace")
    _one_error_line(code, out, err)
    assert FAKE_PASSWORD not in out + err
    if stores.backend == "postgresql":
        assert "cannot read the store" in err and "gridwatch:***@" in err
    else:
        assert "cross-engine" in err


def test_a_truncated_backup_changes_nothing(stores, tmp_path, run):
    """A backup cut short (a full disk, a broken copy) is refused, or its restore rolls back:
    the target keeps every row and its data version."""
    file = tmp_path / f"whole{_suffix(stores)}"
    bk.backup(stores.seeded("bk_cut"), file)
    data = file.read_bytes()
    # SQLite: half a database file. PostgreSQL: the archive without its last table's data,
    # which pg_restore finds missing only as it writes the restore (its table of contents
    # and the version rows read fine): psql rolls back.
    cut = tmp_path / f"cut{_suffix(stores)}"
    cut.write_bytes(data[:len(data) // 2] if stores.backend == "sqlite" else data[:-2000])
    target = stores.seeded("bk_cut_target")
    before_counts, before_version = _counts(target), _version(target)
    line = _one_error_line(*run(target, "restore", str(cut), "--replace"))
    assert any(words in line for words in (
        "nothing changed", "not a gridwatch backup", "damaged", "cannot read"))
    assert _counts(target) == before_counts and _version(target) == before_version


def test_the_postgresql_tools_get_the_password_in_their_environment_only():
    args, env = bk.pg_arguments(
        f"postgresql+psycopg://gw:{FAKE_PASSWORD}@db.example:6543/county?sslmode=require")
    assert args == ["--host", "db.example", "--port", "6543", "--username", "gw",
                    "--dbname", "county"]
    assert env["PGPASSWORD"] == FAKE_PASSWORD and env["PGSSLMODE"] == "require"
    args, _env = bk.pg_arguments("postgresql+psycopg://gw@/county?host=/run/pg")
    assert args == ["--host", "/run/pg", "--username", "gw", "--dbname", "county"]


def test_a_server_newer_than_pg_dump_is_named(stores, tmp_path, monkeypatch):
    if stores.backend != "postgresql":
        pytest.skip("needs a PostgreSQL server")
    monkeypatch.setattr(bk, "find_tool", lambda name: bk.Tool(f"/old/bin/{name}", 9))
    with pytest.raises(bk.BackupError) as caught:
        bk.backup(stores.empty("bk_newer"), tmp_path / "x.dump")
    message = str(caught.value)
    assert "newer than the newest pg_dump found (9, /old/bin/pg_dump)" in message
    assert not (tmp_path / "x.dump").exists()


def test_sqlite_restore_tries_again_when_a_write_slips_in(stores, tmp_path, monkeypatch):
    """The target's version is read before the restore and again once the restore holds the
    target's write lock; if a write came in between, the restore is abandoned (target
    unchanged) and made again above the newer version."""
    if stores.backend != "sqlite":
        pytest.skip("the SQLite restore's lock check")
    file = tmp_path / "b.sqlite"
    bk.backup(stores.seeded("bk_slip_src"), file)
    target = stores.seeded("bk_slip")
    real = bk._read_version
    calls = []

    def read_version(path):
        calls.append(path)
        # The first read sees the store as it is; every later one as if a writer had
        # committed ten more writes just after it.
        return real(path) + (10 if len(calls) > 1 else 0)

    monkeypatch.setattr(bk, "_read_version", read_version)
    before = _version(target)
    done = bk.restore(target, file, replace=True)
    assert len(calls) == 4  # before, locked (moved: abandoned), before again, locked
    assert done.version == _version(target) == before + 10 + 1


# --- what is not ours -------------------------------------------------------------------------

def _foreign_rows(url: str) -> list:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT x FROM other_app ORDER BY x")).scalars())
    finally:
        engine.dispose()


def test_restore_refuses_a_database_that_is_not_a_gridwatch_store(stores, tmp_path, run):
    """Another application's database (tables, no alembic_version) is refused unless
    --replace, saying it does not look like a gridwatch store."""
    file = tmp_path / f"seeded{_suffix(stores)}"
    bk.backup(stores.seeded("bk_foreign_src"), file)
    target = stores.empty("bk_foreign")
    engine = _engine(target)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_app (x INTEGER)"))
        conn.execute(text("INSERT INTO other_app VALUES (1), (2)"))
    engine.dispose()
    line = _one_error_line(*run(target, "restore", str(file)))
    assert "does not look like a gridwatch store" in line and "--replace" in line
    assert _foreign_rows(target) == [1, 2] and not _counts(target)
    code, _out, err = run(target, "restore", str(file), "--replace")
    assert code == 0, err
    assert _counts(target)["alembic_version"] == 1


def test_restore_refuses_a_gridwatch_store_with_another_applications_table(
        stores, tmp_path, run):
    """Our tables empty but a table not ours beside them: the store holds data."""
    file = tmp_path / f"seeded{_suffix(stores)}"
    bk.backup(stores.seeded("bk_beside_src"), file)
    target = _migrated(stores, "bk_beside")
    engine = _engine(target)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other_app (x INTEGER)"))
    engine.dispose()
    line = _one_error_line(*run(target, "restore", str(file)))
    assert "holds data" in line and "other_app" in line
    assert _foreign_rows(target) == []


def _crafted_sqlite_backup(stores, tmp_path: Path, name: str, sql: str) -> Path:
    file = tmp_path / f"{name}.sqlite"
    bk.backup(stores.seeded(f"bk_{name}_src"), file)
    with sqlite3.connect(file) as conn:
        conn.execute(sql)
    return file


@pytest.mark.parametrize(("name", "sql", "named"), [
    ("trigger", "CREATE TRIGGER t AFTER UPDATE ON store_meta BEGIN "
                "UPDATE users SET role = 'admin'; END", "an extra trigger t"),
    ("view", "CREATE VIEW v AS SELECT * FROM users", "an extra view v"),
])
def test_a_sqlite_backup_with_a_schema_not_ours_is_refused(stores, tmp_path, run, name, sql,
                                                          named):
    if stores.backend != "sqlite":
        pytest.skip("a SQLite backup's schema")
    file = _crafted_sqlite_backup(stores, tmp_path, name, sql)
    target = stores.seeded(f"bk_{name}")
    before_counts, before_version = _counts(target), _version(target)
    line = _one_error_line(*run(target, "restore", str(file), "--replace"))
    assert "not a gridwatch backup" in line and named in line
    assert _counts(target) == before_counts and _version(target) == before_version
    with sqlite3.connect(target.removeprefix("sqlite:///")) as conn:
        assert not conn.execute("SELECT name FROM sqlite_master "
                                "WHERE type IN ('trigger', 'view')").fetchall()


def test_a_sqlite_backup_with_a_table_definition_changed_is_refused(stores, tmp_path, run):
    if stores.backend != "sqlite":
        pytest.skip("a SQLite backup's schema")
    file = _crafted_sqlite_backup(stores, tmp_path, "altered",
                                  "ALTER TABLE users ADD COLUMN extra TEXT")
    target = stores.empty("bk_altered")
    line = _one_error_line(*run(target, "restore", str(file)))
    assert "a different definition of table users" in line
    assert not _counts(target)


def _pg_only(stores) -> None:
    if stores.backend != "postgresql":
        pytest.skip("PostgreSQL's restore")


def test_a_pg_archive_with_a_function_and_trigger_is_refused(stores, tmp_path, run):
    """A dump of a store someone added a function and a trigger to (on one of our tables):
    the restore names the first entry a gridwatch dump does not make and changes nothing."""
    _pg_only(stores)
    src = stores.seeded("bk_evil_src")
    engine = _engine(src)
    with engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql AS "
                          "$$ BEGIN UPDATE users SET role = 'admin'; RETURN NEW; END $$"))
        conn.execute(text("CREATE TRIGGER t AFTER UPDATE ON store_meta "
                          "FOR EACH ROW EXECUTE FUNCTION promote()"))
    engine.dispose()
    file = tmp_path / "evil.dump"
    bk.backup(src, file)
    target = stores.seeded("bk_evil")
    before_counts, before_version = _counts(target), _version(target)
    line = _one_error_line(*run(target, "restore", str(file), "--replace"))
    assert "not a gridwatch backup" in line and "FUNCTION public promote()" in line
    assert _counts(target) == before_counts and _version(target) == before_version
    engine = _engine(target)
    try:
        with engine.connect() as conn:
            assert not conn.execute(text(
                "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")).scalar()
            assert not conn.execute(text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'promote'")).scalar()
    finally:
        engine.dispose()


def test_the_restore_list_allows_only_what_a_gridwatch_dump_makes():
    def entry(desc: str, name: str, schema: str = "public") -> bk.TocEntry:
        return bk.TocEntry(f"1; 1259 1 {desc} {schema} {name} postgres", desc, schema, name)

    good = [entry("TABLE", "alembic_version"), entry("TABLE", "users"),
            entry("SEQUENCE", "users_id_seq"), entry("SEQUENCE OWNED BY", "users_id_seq"),
            entry("DEFAULT", "users"), entry("TABLE DATA", "users"),
            entry("SEQUENCE SET", "users_id_seq"), entry("INDEX", "ix_audit_at"),
            entry("CONSTRAINT", "users"), entry("FK CONSTRAINT", "login_sessions"),
            entry("TABLE DATA", "spatial_ref_sys"), entry("EXTENSION", "postgis", "-")]
    listing, tables, schema = bk._restore_list(good)
    assert schema == "public" and "users" in tables and "spatial_ref_sys" not in listing
    for bad in (entry("TRIGGER", "users"), entry("RULE", "users"), entry("ACL", "users"),
                entry("TABLE", "other_app"), entry("INDEX", "ix_whatever"),
                entry("TABLE", "users", "elsewhere"), entry("VIEW", "v")):
        with pytest.raises(bk.BackupError, match="not a gridwatch backup"):
            bk._restore_list([*good, bad])
    with pytest.raises(bk.BackupError, match="plain schema name"):
        bk._restore_list([entry("TABLE", "alembic_version", "we'ird")])
    assert bk._literal("we'ird") == "'we''ird'"


@pytest.mark.parametrize(("version", "ok"), [
    ((15, 13), False), ((15, 14), True), ((16, 9), False), ((16, 10), True),
    ((17, 5), False), ((17, 6), True), ((18, 0), True), ((12, 22), False)])
def test_restore_needs_client_tools_with_the_cve_2025_8714_fix(version, ok):
    tool = bk.Tool("/x/bin/psql", *version, f"psql (PostgreSQL) {version[0]}.{version[1]}")
    if ok:
        bk.require_patched(tool)
    else:
        with pytest.raises(bk.BackupError, match="CVE-2025-8714") as caught:
            bk.require_patched(tool)
        assert f"{version[0]}.{version[1]}" in str(caught.value)


def test_the_installed_tools_are_read_with_their_minor_version():
    try:
        bk.find_tool("psql")
    except bk.BackupError:
        pytest.skip("no psql installed")
    found = bk._tool_version(bk.find_tool("psql").path)
    assert found is not None and found[2].startswith("psql")
    assert bk.find_tool("psql").minor == found[1]


def test_a_pg_restore_behind_a_lock_fails_in_time_and_changes_nothing(
        stores, tmp_path, monkeypatch, run):
    """A session holding one of our tables: the restore waits LOCK_TIMEOUT (ours wins over
    the script's lock_timeout = 0), then fails in one line naming the lock wait."""
    _pg_only(stores)
    file = tmp_path / "b.dump"
    bk.backup(stores.seeded("bk_lock_src"), file)
    target = stores.seeded("bk_lock")
    before_counts, before_version = _counts(target), _version(target)
    monkeypatch.setattr(bk, "LOCK_TIMEOUT", "1s")
    engine = _engine(target)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT count(*) FROM users")).scalar()  # ACCESS SHARE, held
            started = datetime.now()
            line = _one_error_line(*run(target, "restore", str(file), "--replace"))
            waited = (datetime.now() - started).total_seconds()
            holder.rollback()
    finally:
        engine.dispose()
    assert "lock timeout" in line and "nothing changed" in line, line
    assert waited < 30, waited
    assert _counts(target) == before_counts and _version(target) == before_version


def test_a_pg_restore_and_a_writer_half_way_do_not_deadlock(stores, tmp_path, run):
    """A writer holding the data version's row (its first step) and then writing another
    table while a restore starts: the restore waits for it (store_meta locked first), the
    write commits, then the restore runs; neither fails."""
    _pg_only(stores)
    file = tmp_path / "b.dump"
    bk.backup(stores.seeded("bk_dead_src"), file)
    target = stores.seeded("bk_dead")
    engine = _engine(target)
    result: dict = {}
    try:
        with engine.connect() as writer:
            writer.execute(text("SELECT value FROM store_meta WHERE key = 'version' "
                                "FOR UPDATE")).scalar()
            thread = threading.Thread(target=lambda: result.update(
                done=bk.restore(target, file, replace=True)))
            thread.start()
            thread.join(timeout=3)  # the restore now waits for store_meta
            assert thread.is_alive()
            writer.execute(text("UPDATE users SET role = role"))
            writer.commit()
            thread.join(timeout=120)
    finally:
        engine.dispose()
    assert not thread.is_alive() and "done" in result
    assert result["done"].version is not None


def test_a_writer_that_comes_during_a_pg_restore_waits_and_the_restore_succeeds(
        stores, tmp_path):
    """The restore holds store_meta (locked first) while it waits for another table; a writer
    that starts then waits on store_meta instead of taking a lock the restore needs."""
    _pg_only(stores)
    file = tmp_path / "b.dump"
    bk.backup(stores.seeded("bk_dead2_src"), file)
    target = stores.seeded("bk_dead2")
    engine = _engine(target)
    result: dict = {}
    writer_error: list = []

    def restore() -> None:
        try:
            result["done"] = bk.restore(target, file, replace=True)
        except Exception as exc:  # pragma: no cover - reported below
            result["error"] = exc

    def write_version() -> None:
        try:
            with engine.connect() as writer:
                writer.execute(text("SET lock_timeout = '60s'"))
                writer.execute(text("SELECT value FROM store_meta WHERE key = 'version' "
                                    "FOR UPDATE")).all()
                writer.rollback()
        except Exception as exc:  # the table was replaced under it: fine, if no deadlock
            writer_error.append(exc)

    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT count(*) FROM users")).scalar()  # the restore waits
            restoring = threading.Thread(target=restore)
            restoring.start()
            restoring.join(timeout=3)
            assert restoring.is_alive()
            writing = threading.Thread(target=write_version)
            writing.start()
            writing.join(timeout=2)
            assert writing.is_alive()  # waits for the restore's lock on store_meta
            holder.rollback()
            restoring.join(timeout=120)
            writing.join(timeout=120)
    finally:
        engine.dispose()
    assert "done" in result, result
    assert not any("deadlock" in str(exc) for exc in writer_error), writer_error
