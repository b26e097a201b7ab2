"""One snapshot per request: the tables and their version are read together."""

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from gridwatch.snapshot import read_transaction, store_state
from gridwatch.store import models as m
from gridwatch.store.writes import write_session

pytestmark = pytest.mark.stores

GRID = "33082410600101"


def mark(source, colour: str) -> None:
    with write_session(source.engine) as s:
        s.add(m.RiskAssessment(grid_code=GRID, colour=colour,
                               observed_at=datetime(2020, 2, 29, 12), recorded_at=datetime.now(),
                               source="test"))


def test_a_read_transaction_does_not_see_a_write_that_commits_during_it(fresh_source):
    with read_transaction(fresh_source.engine) as conn:
        version, _ = store_state(conn)
        rows = conn.execute(select(func.count()).select_from(m.RiskAssessment)).scalar()
        mark(fresh_source, "red")  # commits on another connection meanwhile
        assert store_state(conn)[0] == version
        assert conn.execute(select(func.count()).select_from(m.RiskAssessment)).scalar() == rows
    with read_transaction(fresh_source.engine) as conn:
        assert store_state(conn)[0] == version + 1


def test_the_snapshot_is_read_once_per_version_and_carries_its_own_version(fresh_source):
    first = fresh_source.snapshot()
    assert fresh_source.snapshot() is first
    mark(fresh_source, "red")
    second = fresh_source.snapshot()
    assert second is not first
    assert second.store_version == first.store_version + 1
    assert second.version == f"{second.store_version}-{second.region.fingerprint}"
    assert len(second.risk) == len(first.risk) + 1
    assert second.risk.iloc[-1]["grid_code"] == GRID  # risk marks are in time order


def test_a_derived_result_is_computed_once_even_when_asked_for_at_once(snap):
    calls = []
    gate = threading.Barrier(4)

    def compute():
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while the first computes
        return len(calls)

    results = []

    def ask():
        gate.wait()
        results.append(snap.memo(("test-memo", 1), compute))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == [1, 1, 1, 1]
    # One derived result may use another (no lock is held across keys).
    assert snap.memo(("test-memo", 2), lambda: snap.memo(("test-memo", 1), compute) + 1) == 2
