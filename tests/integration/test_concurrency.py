"""Concurrent writers and crashes: real processes on one SQLite file.

Run as a script (``python -m tests.integration.test_concurrency writer|crash ...``) this module
is the worker the tests start.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "data" / "geo" / "kaihua.gpkg"
WRITERS = 8
BATCHES = 10
BATCH_SIZE = 60
POOL = 600
CRASH_ITEMS = 5000

pytestmark = [pytest.mark.integration, pytest.mark.stores]


def pool_items(grids: list[str]) -> list[dict]:
    """600 distinct assessments: 60 grids × 10 hours."""
    start = datetime(2020, 3, 1, 8)
    colours = ("red", "orange", "yellow", "blue", "green")
    return [{"grid_code": grids[i // 10], "colour": colours[i % 5],
             "observed_at": (start + timedelta(hours=i % 10)).isoformat() + "+08:00",
             "source": "concurrent"} for i in range(POOL)]


def writer_batches(worker: int, grids: list[str]) -> list[tuple[str | None, list[dict]]]:
    """Overlapping batches; workers 2k and 2k+1 send their first batch under one key."""
    pool = pool_items(grids)
    batches = []
    for b in range(BATCHES):
        start = ((worker // 2) * 75 if b == 0 else worker * 75 + b * BATCH_SIZE) % POOL
        items = [pool[(start + k) % POOL] for k in range(BATCH_SIZE)]
        batches.append((f"shared-{worker // 2}" if b == 0 else None, items))
    return batches


def crash_items(grids: list[str], tag: str) -> list[dict]:
    start = datetime(2020, 3, 2, 0)
    return [{"grid_code": grids[i % len(grids)], "colour": "yellow",
             "observed_at": (start + timedelta(minutes=i)).isoformat() + "+08:00",
             "source": tag, "note": "x" * 200} for i in range(CRASH_ITEMS)]


# --- the workers ---------------------------------------------------------------------------------

def run_writer(db_url: str, token: str, worker: int, go: str, out: str) -> None:
    from flask import Flask

    import web
    from gridwatch.service import DataSource
    from gridwatch.settings import Settings

    source = DataSource(Settings(database_url=db_url, geo_path=GEO, seed_demo=False))
    server = Flask(f"writer{worker}")
    web.register(server, source)
    client = server.test_client()
    grids = sorted(source.region().grids["code"])
    headers = {"Authorization": f"Bearer {token}"}
    client.get(f"/api/v1/grids/{grids[0]}")
    Path(out + ".ready").touch()
    while not Path(go).exists():  # start together, so the writes really overlap
        time.sleep(0.005)
    results = []
    for key, items in writer_batches(worker, grids):
        h = {**headers, **({"Idempotency-Key": key} if key else {})}
        response = client.post("/api/v1/risk-assessments", json={"items": items}, headers=h)
        results.append({"status": response.status_code, "body": response.get_json(),
                        "text": response.get_data(as_text=True)[:300]})
    Path(out).write_text(json.dumps(results))


def run_crash(db_url: str, tags: list[str], hold: bool) -> None:
    from sqlalchemy import event

    from gridwatch.auth.policy import COUNTY, Principal
    from gridwatch.geo.layers import load_region
    from gridwatch.ingest.batches import submit
    from gridwatch.ingest.fields import Reference
    from gridwatch.store.db import make_write_engine

    engine = make_write_engine(db_url)
    region = load_region(GEO)
    grids = sorted(region.grids["code"])
    if hold:
        @event.listens_for(engine, "after_cursor_execute")
        def _stop_in_the_middle(conn, cursor, statement, *args):
            # The batch's rows are written but the transaction is still open (no audit yet).
            if statement.startswith("INSERT INTO risk_assessments"):
                print("MID", flush=True)
                time.sleep(120)
    print("READY", flush=True)
    for tag in tags:
        submit(engine, Reference.from_region(region), "risk-assessments",
               {"items": crash_items(grids, tag)},
               Principal("token", "operator", COUNTY, 1, "crash"), tag)
        print(f"DONE {tag}", flush=True)


# --- the tests ----------------------------------------------------------------------------------

@pytest.fixture
def store(stores):
    from gridwatch.service import DataSource
    from gridwatch.settings import Settings

    source = DataSource(Settings(database_url=stores.seeded("shared"), geo_path=GEO,
                                 seed_demo=False))
    source.prepare()
    yield source
    source.engine.dispose()
    source.writer.dispose()


def _worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.integration.test_concurrency", *args]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def count(engine, where: str = "1=1") -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM risk_assessments WHERE {where}")).scalar()


def test_eight_processes_writing_overlapping_batches_lose_nothing(store, tmp_path):
    from gridwatch.auth.tokens import create_token
    from gridwatch.store import models as m
    from gridwatch.store.db import data_version

    _id, token = create_token(store.engine, "concurrency")
    version = data_version(store.engine)
    audits = _audit_count(store.engine, m)
    go = tmp_path / "go"
    outs = [tmp_path / f"w{i}.json" for i in range(WRITERS)]
    procs = [subprocess.Popen(_worker("writer", store.settings.database_url, token, str(i),
                                      str(go), str(outs[i])), cwd=ROOT, env=_env(),
                              stderr=subprocess.PIPE, text=True) for i in range(WRITERS)]
    deadline = time.time() + 90
    while not all(Path(f"{out}.ready").exists() for out in outs):
        assert time.time() < deadline and all(p.poll() is None for p in procs), "workers died"
        time.sleep(0.05)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    results = [r for out in outs for r in json.loads(out.read_text())]
    assert len(results) == WRITERS * BATCHES
    assert not [r for r in results if "locked" in r["text"]]
    assert {r["status"] for r in results} == {200}
    fresh = [r["body"] for r in results if not r["body"]["replayed"]]
    replays = [r["body"] for r in results if r["body"]["replayed"]]
    assert len(replays) == WRITERS // 2  # one of each pair sharing a key was answered again
    stored = count(store.engine, "source = 'concurrent'")
    assert stored == POOL  # every distinct row once: nothing lost, nothing doubled
    assert sum(b["applied"] for b in fresh) == POOL
    assert sum(b["applied"] + b["duplicates"] for b in fresh) == len(fresh) * BATCH_SIZE
    # Every commit that changed something bumped the version exactly once (no lost update of
    # the version row), and audited every new row.
    changed = sum(1 for b in fresh if b["applied"])
    assert data_version(store.engine) == version + changed
    assert _audit_count(store.engine, m) == audits + POOL
    print(f"\n{WRITERS} writers, {len(results)} batches: {changed} committed changes, "
          f"{len(fresh) - changed} all-duplicate, {len(replays)} idempotent replays")


def _audit_count(engine, m) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(m.AuditEntry)).scalar()


def _integrity(engine) -> str:
    """SQLite's own check of the file after kills ("ok"). PostgreSQL's write-ahead log makes a
    killed client harmless to the files; there the check is that the catalogue and every
    table still read (a count of each)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return conn.execute(text("PRAGMA integrity_check")).scalar()
        from sqlalchemy import inspect

        for table in inspect(conn).get_table_names():
            conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
        return "ok"


def _replay(store, tags: list[str]) -> list[dict]:
    from gridwatch.auth.policy import COUNTY, Principal
    from gridwatch.ingest.batches import submit
    from gridwatch.ingest.fields import Reference
    from gridwatch.store.db import make_write_engine

    engine = make_write_engine(store.settings.database_url)
    grids = sorted(store.region().grids["code"])
    out = []
    for tag in tags:
        outcome, replayed = submit(engine, Reference.from_region(store.region()),
                                   "risk-assessments", {"items": crash_items(grids, tag)},
                                   Principal("token", "operator", COUNTY, 1, "crash"), tag)
        out.append({**outcome.body, "replayed": replayed})
    engine.dispose()
    return out


def test_a_process_killed_mid_ingest_leaves_the_batch_absent_and_a_replay_completes_it(store):
    from gridwatch.store.db import data_version

    version = data_version(store.engine)
    proc = subprocess.Popen(_worker("crash", store.settings.database_url, "crash-a", "hold"),
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.strip() == "MID":
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    store.engine.dispose()
    assert _integrity(store.engine) == "ok"
    assert count(store.engine, "source = 'crash-a'") == 0
    assert data_version(store.engine) == version
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys WHERE key = 'crash-a'"))\
            .scalar() == 0
    first, again = _replay(store, ["crash-a", "crash-a"])
    assert first == {"applied": CRASH_ITEMS, "duplicates": 0, "stale": 0,
                     "data_version": version + 1, "replayed": False}
    assert again["replayed"] is True
    assert count(store.engine, "source = 'crash-a'") == CRASH_ITEMS


def test_kills_at_random_moments_leave_each_batch_whole_or_absent(store):
    tags = [f"crash-r{i}" for i in range(4)]
    rng = random.Random(7)
    seen = set()
    for _round in range(2):
        proc = subprocess.Popen(_worker("crash", store.settings.database_url, ",".join(tags),
                                        "run"), cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.2, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        store.engine.dispose()
        assert _integrity(store.engine) == "ok"
        counts = [count(store.engine, f"source = '{tag}'") for tag in tags]
        assert set(counts) <= {0, CRASH_ITEMS}, counts
        seen.add(tuple(counts))
    results = _replay(store, tags)
    assert all(count(store.engine, f"source = '{tag}'") == CRASH_ITEMS for tag in tags)
    assert sum(r["applied"] for r in results if not r["replayed"]) + sum(
        CRASH_ITEMS for r in results if r["replayed"]) == CRASH_ITEMS * len(tags)
    print(f"\nstates seen after kills (rows per batch): {sorted(seen)}")


if __name__ == "__main__":
    role, *rest = sys.argv[1:]
    if role == "writer":
        run_writer(rest[0], rest[1], int(rest[2]), rest[3], rest[4])
    else:
        run_crash(rest[0], rest[1].split(","), rest[2] == "hold")
