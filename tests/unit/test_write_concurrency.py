"""Writes under concurrency and the cheap live signals.

- The data version moves exactly once per committed write (one atomic ``UPDATE … RETURNING``)
  and every answer carries its own version.
- A batch that loses a race on a unique constraint (the natural key of an assessment, an
  idempotency key) is tried again and answers as if it had waited: 200 with the row counted
  as a duplicate, or the stored answer; never 500.
- ``/live`` and ``/healthz`` read the version row, never a snapshot.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from app import create_app
from gridwatch.auth.policy import system
from gridwatch.auth.tokens import create_token
from gridwatch.ingest import store as ingest_store
from gridwatch.ingest.store import ATTEMPTS, Outcome, retryable, run_write
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.db import data_version
from tests.conftest import GEO_PATH
from web.context import data_source

pytestmark = pytest.mark.stores

GRID = "33082400100101"
GRIDS = [f"330824001001{n:02d}" for n in range(1, 13)]


@dataclass
class Site:
    app: object
    source: DataSource  # the app's own data source (its engines, its snapshot cache)
    token: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self) -> FlaskClient:
        return self.app.server.test_client()

    def post(self, items, key: str | None = None, client: FlaskClient | None = None):
        headers = {**self.auth, **({"Idempotency-Key": key} if key else {})}
        return (client or self.client()).post("/api/v1/risk-assessments",
                                              json={"items": items}, headers=headers)

    def count(self, where) -> int:
        with self.source.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(m.RiskAssessment)
                                .where(where)).scalar()


@pytest.fixture(scope="module")
def site(stores) -> Site:
    app = create_app(Settings(database_url=stores.seeded("concurrency"), geo_path=GEO_PATH))
    with app.server.app_context():
        source = data_source()
    _id, token = create_token(source.engine, "concurrency-tests", "admin")
    return Site(app, source, token)


def risk(source: str, grid: str = GRID, at: str = "2020-02-29T21:00:00+08:00",
         colour: str = "red") -> dict:
    return {"grid_code": grid, "colour": colour, "observed_at": at, "source": source}


@pytest.fixture
def race(site):
    """Commit a row from another connection just before the batch's first insert (after its
    duplicate and idempotency checks): what a concurrent writer may do on PostgreSQL.

    ``race(sql, params)`` (named parameters); the hook fires once, before the batch has
    written anything. On PostgreSQL the other connection simply commits; on SQLite the batch's
    transaction holds the write lock, so it lets go and takes it again afterwards.
    """
    url = site.source.settings.database_url
    sqlite = make_url(url).get_backend_name() == "sqlite"
    other_engine = None if sqlite else create_engine(url)
    armed: list = []

    def before(conn, cursor, statement, params, context, executemany):
        if not armed or not statement.lstrip().upper().startswith("INSERT INTO RISK_ASSESSMENTS"):
            return
        sql, values = armed.pop()
        if not sqlite:
            with other_engine.begin() as other:
                other.execute(text(sql), values)
            return
        raw = cursor.connection  # the write transaction holds SQLite's write lock: let go
        raw.execute("COMMIT")
        other = sqlite3.connect(make_url(url).database, timeout=30, isolation_level=None)
        try:
            other.execute(sql, values)
        finally:
            other.close()
        raw.execute("BEGIN IMMEDIATE")  # and carry on, as if it had waited

    engine = site.source.writer
    event.listen(engine, "before_cursor_execute", before)

    def arm(sql: str, values: tuple) -> None:
        armed.append((sql, values))

    yield arm
    event.remove(engine, "before_cursor_execute", before)
    if other_engine is not None:
        other_engine.dispose()
    assert not armed, "the race never happened"


def test_an_assessment_committed_between_the_check_and_the_insert_counts_as_a_duplicate(
        site, race):
    before = data_version(site.source.engine)
    race("INSERT INTO risk_assessments (grid_code, colour, observed_at, recorded_at, source)"
         " VALUES (:grid, 'red', '2020-02-29 13:00:00.000000', '2020-03-01 00:00:00.000000',"
         " :source)", {"grid": GRID, "source": "race-natural"})
    answer = site.post([risk("race-natural"), risk("race-natural", grid=GRIDS[1])])
    assert answer.status_code == 200, answer.json
    assert answer.json["applied"] == 1 and answer.json["duplicates"] == 1
    # The racing row (written by hand, outside the write path) did not bump the version;
    # the batch did, once.
    assert answer.json["data_version"] == before + 1 == data_version(site.source.engine)
    assert site.count(m.RiskAssessment.source == "race-natural") == 2


def test_a_replay_racing_its_first_answer_gets_the_stored_answer(site, race):
    first = {"applied": 1, "duplicates": 0, "stale": 0, "data_version": 999}
    race("INSERT INTO idempotency_keys (actor, key, endpoint, request_digest, status, response,"
         " created_at) VALUES (:actor, 'race-key', 'risk-assessments', :digest, 200, :answer,"
         " '2020-03-01 00:00:00.000000')",
         {"actor": _actor(site), "digest": ingest_store.request_digest(
             "risk-assessments", {"items": [risk("race-key")]}), "answer": _json(first)})
    answer = site.post([risk("race-key")], key="race-key")
    assert answer.status_code == 200, answer.json
    assert answer.json == {**first, "replayed": True}  # the stored answer
    assert site.count(m.RiskAssessment.source == "race-key") == 0


def _actor(site) -> str:
    from gridwatch.auth.tokens import authenticate

    return authenticate(site.source.engine, site.auth["Authorization"]).actor


def _json(value) -> str:
    from gridwatch.store.writes import dumps

    return dumps(value)


def test_twelve_concurrent_writes_move_the_version_once_per_committed_write(site):
    before = data_version(site.source.engine)
    # Eight distinct assessments, and four copies of one of them sent at the same time.
    batches = [[risk("twelve", grid=g)] for g in GRIDS[:8]] + [[risk("twelve", GRIDS[0])]] * 4
    answers: list = [None] * len(batches)
    go = threading.Barrier(len(batches))

    def send(i: int) -> None:
        client = site.client()
        go.wait()
        answers[i] = site.post(batches[i], client=client)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [a.status_code for a in answers] == [200] * 12, [a.json for a in answers]
    bodies = [a.json for a in answers]
    assert sum(b["applied"] for b in bodies) == 8
    assert sum(b["duplicates"] for b in bodies) == 4
    committed = [b["data_version"] for b in bodies if b["applied"]]
    assert all("data_version" not in b for b in bodies if not b["applied"])
    assert len(committed) == 8 and len(set(committed)) == 8
    assert sorted(committed) == list(range(before + 1, before + 9))
    assert data_version(site.source.engine) == before + 8
    assert site.count(m.RiskAssessment.source == "twelve") == 8


def test_a_lost_race_is_tried_a_bounded_number_of_times(fresh_source, monkeypatch):
    monkeypatch.setattr(ingest_store.time, "sleep", lambda _s: None)
    tries = []

    def always_conflicts(w) -> Outcome:
        tries.append(1)
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        run_write(fresh_source.writer, system(), "test", {}, always_conflicts)
    assert len(tries) == ATTEMPTS

    tries.clear()

    def conflicts_once(w) -> Outcome:
        tries.append(1)
        if len(tries) == 1:
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        w.touch()
        return Outcome({"applied": 0})

    before = data_version(fresh_source.engine)
    outcome, replayed = run_write(fresh_source.writer, system(), "test", {}, conflicts_once)
    assert len(tries) == 2 and not replayed
    assert outcome.body["data_version"] == before + 1 == data_version(fresh_source.engine)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("sqlstate", "retried"), [("40001", True), ("40P01", True),
                                                    ("57014", False)])
def test_serialisation_failures_and_deadlocks_are_retried(fresh_source, monkeypatch, sqlstate,
                                                          retried):
    monkeypatch.setattr(ingest_store.time, "sleep", lambda _s: None)
    error = OperationalError("UPDATE", {}, _PgError(sqlstate))
    assert retryable(error) is retried
    tries = []

    def fails_once(w) -> Outcome:
        tries.append(1)
        if len(tries) == 1:
            raise error
        return Outcome({"applied": 0})

    if retried:
        run_write(fresh_source.writer, system(), "test", {}, fails_once)
        assert len(tries) == 2
    else:
        with pytest.raises(OperationalError):
            run_write(fresh_source.writer, system(), "test", {}, fails_once)
        assert len(tries) == 1


# --- the live signals read the version only -----------------------------------------------------

@pytest.fixture
def snapshot_reads(site, monkeypatch):
    calls = []
    original = DataSource.snapshot

    def counted(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(DataSource, "snapshot", counted)
    return calls


def test_after_a_write_live_and_healthz_answer_the_new_version_without_a_snapshot(
        site, snapshot_reads):
    site.source.snapshot()  # a cached snapshot, now about to go stale
    snapshot_reads.clear()
    answer = site.post([risk("live-signal", grid=GRIDS[11])])
    assert answer.status_code == 200
    store_version = answer.json["data_version"]
    expected = f"{store_version}-{site.source.region().fingerprint}"
    client = site.client()
    live = client.get("/live", headers=site.auth)
    assert live.status_code == 200
    assert live.json["data_version"] == expected
    assert live.json["store_version"] == store_version
    assert {"data_version", "stale", "updated_at"} <= set(live.json)
    assert live.headers["Cache-Control"] == "no-store"
    health = client.get("/healthz")
    assert health.json == {"status": "ok", "data_version": expected}
    assert snapshot_reads == []  # neither waited for the store to be read again
    # ... and it is the version the next snapshot carries.
    assert site.source.snapshot().version == expected


def test_healthz_reports_the_snapshots_latest_day_without_reading_one(fresh_source,
                                                                       snapshot_reads):
    from web.health import healthz

    answer = healthz(fresh_source)
    assert snapshot_reads == []
    snap = fresh_source.snapshot()
    assert answer["latest_day"] == snap.last_day.isoformat()
    assert answer["data_version"] == snap.version
    assert answer["store_version"] == snap.store_version
    assert answer["updated_at"] == (snap.updated_at.isoformat() + "Z"
                                    if snap.updated_at else None)
