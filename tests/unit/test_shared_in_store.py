"""Everything two hosts share lives in the store: export records and boundary versions' bytes.

Each "host" is a DataSource on the same store with a temporary folder of its own (where its
region cache goes); nothing is shared between them but the database. The migration to 0005
carries a legacy export log and legacy region files over into the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import event, select, text, update

from gridwatch.export import ExportRequest, replay, run_export
from gridwatch.export.ids import ExportLog, export_id
from gridwatch.filters import Filters
from gridwatch.ingest.boundaries import import_boundaries
from gridwatch.ingest.boundary_files import BoundaryError
from gridwatch.ingest.boundary_versions import activate_version, list_versions, stage
from gridwatch.store import models as m
from gridwatch.store.db import alembic_config, data_version, is_empty, make_engine, migrate
from gridwatch.store.regions import cache_dir
from tests.conftest import GEO_PATH, dispose, source_for
from tests.unit.test_boundaries import gpkg_bytes, layers_of

pytestmark = pytest.mark.stores

DAY = date(2020, 2, 2)
TZ = "Asia/Shanghai"

_host_lock = threading.Lock()


@contextmanager
def host(folder: Path):
    """Run as a host whose temporary folder is ``folder`` (its region cache goes there)."""
    with _host_lock:
        saved = tempfile.tempdir
        tempfile.tempdir = str(folder)
        try:
            yield
        finally:
            tempfile.tempdir = saved


@pytest.fixture
def two_hosts(stores, tmp_path):
    url = stores.seeded("hosts")
    a, b = source_for(url), source_for(url)
    folders = tmp_path / "host-a", tmp_path / "host-b"
    for folder in folders:
        folder.mkdir()
    yield (a, folders[0]), (b, folders[1])
    dispose(a)
    dispose(b)


def files_under(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()}


def test_two_hosts_share_export_records_and_boundary_versions(two_hosts, region, tmp_path):
    (a, temp_a), (b, temp_b) = two_hosts
    before = data_version(a.engine)
    wanted = ExportRequest(kind="csv", filters=Filters(colours=("red",), as_of=DAY))
    with host(temp_a):
        made = run_export(a, wanted)
    with host(temp_b):
        again = run_export(b, wanted)  # the other host: the record is found, not made anew
        replayed = replay(b, made.record.export_id, "full")
    assert again.record == made.record
    assert again.content == made.content == replayed.content
    assert data_version(a.engine) == before  # recording an export is not a data change

    imported = import_boundaries([("b.gpkg", gpkg_bytes(layers_of(region), tmp_path))], region)
    with host(temp_a):
        staged = stage(a.writer, a.settings, imported, "a")
        activate_version(a.writer, a.settings, staged["id"], "a")
        on_a = a.snapshot().region
    with host(temp_b):
        on_b = b.snapshot().region
        assert b.region() is on_b
    assert on_a.fingerprint == on_b.fingerprint != region.fingerprint
    assert on_a.path.parent == temp_a / on_a.path.parent.name
    assert on_b.path.parent == temp_b / on_b.path.parent.name
    assert on_a.path.read_bytes() == on_b.path.read_bytes()
    assert sorted(on_b.grids["code"]) == sorted(region.grids["code"])
    # No file of one host is the other's, and nothing is kept beside the store.
    assert not on_b.path.is_relative_to(temp_a) and not on_a.path.is_relative_to(temp_b)
    if a.settings.database_url.startswith("sqlite:///"):
        folder = Path(a.settings.database_url.removeprefix("sqlite:///")).parent
        assert not (folder / "regions").exists()
        assert not list(folder.glob("*.jsonl"))
    # The same data on both hosts: an export drawn on one is replayed by the other.
    with host(temp_b):
        drawn = run_export(b, wanted)
    with host(temp_a):
        assert replay(a, drawn.record.export_id, "full").content == drawn.content


def test_the_snapshot_reads_the_versions_bytes_only_for_a_missing_cache_file(
        fresh_source, region, tmp_path):
    imported = import_boundaries([("b.gpkg", gpkg_bytes(layers_of(region), tmp_path))], region)
    statements: list[str] = []
    event.listen(fresh_source.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: statements.append(statement))
    blob = re.compile(r"boundary_versions\.content(?!_)\b")
    temp = tmp_path / "host"
    temp.mkdir()
    with host(temp):
        stage(fresh_source.writer, fresh_source.settings, imported, "a", activate=True)
        first = fresh_source.snapshot()
        assert sum(bool(blob.search(s)) for s in statements) == 1  # materialised once
        statements.clear()
        for _ in range(3):
            assert fresh_source.snapshot() is first
            assert fresh_source.region() is first.region
        assert statements and not any(blob.search(s) for s in statements)
        assert first.region.path.parent == cache_dir()


def test_missing_or_corrupt_content_falls_back_to_the_settings_region(fresh_source, region,
                                                                       tmp_path, caplog):
    imported = import_boundaries([("b.gpkg", gpkg_bytes(layers_of(region), tmp_path))], region)
    version = stage(fresh_source.writer, fresh_source.settings, imported, "a", activate=True)
    with fresh_source.writer.begin() as conn:  # a damaged row, behind the write path's back
        conn.execute(update(m.BoundaryVersion).where(m.BoundaryVersion.id == version["id"])
                     .values(content=b"not a geopackage"))
    temp = tmp_path / "host"
    temp.mkdir()
    with host(temp), caplog.at_level(logging.ERROR, logger="gridwatch.store.regions"):
        assert fresh_source.region().path == GEO_PATH
        assert "corrupt" in caplog.text
        caplog.clear()
        with fresh_source.writer.begin() as conn:
            conn.execute(update(m.BoundaryVersion).values(content=None, content_sha256=None))
        assert fresh_source.snapshot().region.path == GEO_PATH
        assert "has no content" in caplog.text
        assert files_under(temp) == set()


def test_the_first_record_of_an_id_wins_under_concurrency(stores):
    engine = make_engine(stores.empty("exports"))
    migrate(engine)
    log = ExportLog(engine)
    wanted = ExportRequest(kind="pdf", filters=Filters(as_of=DAY), title="race")
    start = datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo(TZ))
    try:
        with ThreadPoolExecutor(8) as pool:
            records = list(pool.map(
                lambda i: log.record(wanted, "7-abc", TZ, now=start + timedelta(minutes=i)),
                range(16)))
        assert len({r.generated_at for r in records}) == 1
        assert records[0] == log.find(export_id(wanted, "7-abc"))
        later = log.record(wanted, "7-abc", TZ, now=start + timedelta(days=1))
        assert later == records[0]
        with engine.connect() as conn:
            assert conn.execute(select(m.ExportEntry.generated_at).where(
                m.ExportEntry.export_id == records[0].export_id)).scalars().all() == [
                    records[0].generated_at]
        assert data_version(engine) == 0 and is_empty(engine)  # not a data change
    finally:
        engine.dispose()


# --- the migration carries the legacy files over ----------------------------------------------

def legacy_places(url: str, tmp_path: Path) -> tuple[Path, Path, dict]:
    """Where the 0004 code kept the export log and the region files for ``url``, and the
    alembic config attributes that make the migration look there."""
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        return db.with_name(db.name + ".exports.jsonl"), db.parent / "regions", {}
    instance = tmp_path / "instance"
    return instance / "exports.jsonl", instance / "regions", {"legacy_instance": instance}


def test_the_migration_carries_a_legacy_export_log_and_region_files_over(stores, tmp_path):
    url = stores.empty("legacy")
    engine = make_engine(url)
    log_file, regions, attributes = legacy_places(url, tmp_path)
    cfg = alembic_config(engine)
    cfg.attributes.update(attributes)
    command.upgrade(cfg, "0004")
    shipped = GEO_PATH.read_bytes()
    with engine.begin() as conn:
        for id_, name, status in ((1, "aaa-1.gpkg", "retired"), (2, "bbb-2.gpkg", "active"),
                                  (3, "ccc-3.gpkg", "staged")):
            conn.execute(text(
                "INSERT INTO boundary_versions (id, created_at, created_by, source_name, "
                "sha256, file_name, status, report) VALUES (:id, :at, 'cli:x', 'b.gpkg', "
                ":sha, :name, :status, '{}')"),
                {"id": id_, "at": datetime(2026, 11, 30), "sha": f"{id_:064x}", "name": name,
                 "status": status})
    regions.mkdir(parents=True)
    (regions / "aaa-1.gpkg").write_bytes(b"the retired one")
    (regions / "bbb-2.gpkg").write_bytes(shipped)  # ccc-3.gpkg is lost
    log_file.parent.mkdir(parents=True, exist_ok=True)
    first = {"export_id": "0123456789ab", "data_version": "5-abcdef012345",
             "generated_at": "2026-12-01T09:30:00+08:00", "request": {"kind": "csv"},
             "query": "?colour=red"}
    lines = [json.dumps(first), json.dumps({**first, "generated_at": "2026-12-02T10:00:00+08:00"}),
             json.dumps({**first, "export_id": "ba9876543210", "query": "?colour=blue"}),
             '{"export_id": "ffffffffffff", "data_ver',  # torn by a crash
             json.dumps({"export_id": "eeeeeeeeeeee"})]
    log_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    command.upgrade(cfg, "head")

    log = ExportLog(engine)
    assert log.find("0123456789ab").generated_at == "2026-12-01T09:30:00+08:00"  # first wins
    assert log.find("0123456789ab").request == {"kind": "csv"}
    assert log.find("ba9876543210").query == "?colour=blue"
    assert log.find("ffffffffffff") is None and log.find("eeeeeeeeeeee") is None
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(
            m.BoundaryVersion.id, m.BoundaryVersion.content, m.BoundaryVersion.content_sha256))}
        recorded = conn.execute(select(m.ExportEntry.recorded_at)
                                .where(m.ExportEntry.export_id == "0123456789ab")).scalar()
    assert rows[1].content == b"the retired one"
    assert rows[2].content == shipped
    assert rows[2].content_sha256 == hashlib.sha256(shipped).hexdigest()
    assert rows[3].content is None and rows[3].content_sha256 is None
    assert recorded == datetime(2026, 12, 1, 1, 30)  # naive UTC
    assert is_empty(engine)  # carried-over files are no data: the demo may still be seeded
    engine.dispose()

    source = source_for(url)
    temp = tmp_path / "host"
    temp.mkdir()
    try:
        with host(temp):
            active = source.region()
        assert active.path.read_bytes() == shipped
        assert active.path.is_relative_to(temp)
        assert [v["id"] for v in list_versions(source.engine)] == [3, 2, 1]
        with pytest.raises(BoundaryError) as err:  # the lost file: nothing to activate
            activate_version(source.writer, source.settings, 3, "cli:x")
        assert err.value.key == "version_file_missing"
        activate_version(source.writer, source.settings, 1, "cli:x")  # it has content
    finally:
        dispose(source)


def test_a_freshly_migrated_store_is_empty_and_a_seeded_one_is_not(stores, source):
    engine = make_engine(stores.empty("fresh"))
    migrate(engine)
    assert is_empty(engine)
    engine.dispose()
    assert not is_empty(source.engine)


def test_a_region_cache_folder_open_to_others_is_not_used(tmp_path):
    with host(tmp_path):
        shared = tmp_path / f"gridwatch-regions-{os.getuid()}"
        shared.mkdir()
        shared.chmod(0o777)
        own = cache_dir()
        assert own != shared and own.is_dir() and own.stat().st_mode & 0o077 == 0
        assert cache_dir() == own


@pytest.mark.parametrize("squat", ["file", "dangling symlink", "symlink to a folder"])
def test_a_file_or_symlink_in_the_cache_folders_place_is_not_used(tmp_path, squat):
    with host(tmp_path):
        name = tmp_path / f"gridwatch-regions-{os.getuid()}"
        elsewhere = tmp_path / "elsewhere"
        if squat == "file":
            name.write_text("x")
        elif squat == "dangling symlink":
            name.symlink_to(tmp_path / "nowhere")
        else:
            elsewhere.mkdir(mode=0o700)
            name.symlink_to(elsewhere)
        own = cache_dir()
        assert own not in (name, elsewhere) and own.is_dir() and not own.is_symlink()
