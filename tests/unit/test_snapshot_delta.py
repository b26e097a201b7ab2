"""A reload reads what was written: of the append-only tables only the rows added since the
snapshot it replaces (``read_snapshot(..., previous)``), and the result equals a whole read."""

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import delete, select, update

from gridwatch.snapshot import APPEND_ONLY, HISTORY_KEY, TABLES, read_snapshot
from gridwatch.store import models as m
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc

pytestmark = pytest.mark.stores

TZ = "Asia/Shanghai"


def read(source, previous=None):
    return read_snapshot(source.engine, source.settings.timezone, source._region, previous)


def assert_same_tables(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def add_mark_and_count(source, colour="red") -> None:
    grid = source.snapshot().region.grids["code"].iloc[0]
    when = local_to_utc(datetime(2020, 2, 29, 21, 0), TZ)
    with write_session(source.engine) as s:
        s.add(m.RiskAssessment(grid_code=grid, colour=colour, observed_at=when,
                               recorded_at=when, source="test"))
        cp = s.execute(select(m.CheckpointCount.checkpoint_code)).scalars().first()
        s.add(m.CheckpointCount(checkpoint_code=cp, hour_start=local_to_utc(
            datetime(2020, 3, 1, 1), TZ), vehicles=3, people=5, qr_registrations=2, flagged=0))


def test_a_write_reads_only_the_rows_it_added_and_equals_a_whole_read(fresh_source):
    before = read(fresh_source)
    add_mark_and_count(fresh_source)
    after = read(fresh_source, before)
    assert_same_tables(after, read(fresh_source))
    assert len(after.risk) == len(before.risk) + 1
    # untouched append-only tables are the previous snapshot's own frames, not read again
    for name in set(APPEND_ONLY) - {"risk", "checkpoint_counts"}:
        assert getattr(after, name) is getattr(before, name)
    # tables that change in place are always read whole
    for name in set(TABLES) - set(APPEND_ONLY):
        assert getattr(after, name) is not getattr(before, name)
    # the marks stay in time order, as a whole read gives them
    assert after.risk["observed_at"].is_monotonic_increasing


def test_a_row_removed_or_a_restored_history_is_read_whole(fresh_source):
    before = read(fresh_source)
    first = int(before.risk["id"].min())
    with write_session(fresh_source.engine) as s:  # not the app's way: a repair by hand
        s.execute(delete(m.RiskAssessment).where(m.RiskAssessment.id == first))
    add_mark_and_count(fresh_source)  # one row added, one removed: the count adds up to n
    after = read(fresh_source, before)
    assert first not in set(after.risk["id"])
    assert_same_tables(after, read(fresh_source))

    # A restore marks the history as replaced: nothing is taken from the old snapshot, even
    # where the counts agree (here the levels, changed in place as no write path would).
    held = read(fresh_source)
    with write_session(fresh_source.engine) as s:
        level = s.execute(select(m.ControlLevelChange.id)).scalars().first()
        s.execute(update(m.ControlLevelChange).where(m.ControlLevelChange.id == level)
                  .values(level=1))
        s.merge(m.StoreMeta(key=HISTORY_KEY, value="restored-elsewhere"))
    restored = read(fresh_source, held)
    assert restored.history == "restored-elsewhere"
    assert restored.levels is not held.levels
    assert_same_tables(restored, read(fresh_source))


def test_an_unchanged_store_shares_every_append_only_table(fresh_source):
    before = read(fresh_source)
    again = read(fresh_source, before)
    for name in APPEND_ONLY:
        assert getattr(again, name) is getattr(before, name)
    assert_same_tables(again, read(fresh_source))


def test_one_request_sees_one_snapshot_even_across_a_write(fresh_source):
    """``DataSource.one_snapshot`` (every callback runs in one): a write that lands while a
    request answers does not split its panels between two data versions."""
    with fresh_source.one_snapshot():
        first = fresh_source.snapshot()
        add_mark_and_count(fresh_source)
        assert fresh_source.snapshot() is first
        with fresh_source.one_snapshot():  # nested: still the outer one
            assert fresh_source.snapshot() is first
        assert fresh_source.snapshot() is first
    newer = fresh_source.snapshot()
    assert newer.store_version > first.store_version


def test_a_text_column_takes_the_type_a_whole_read_gives_it(fresh_source, monkeypatch):
    """A note column with no note at all reads as ``object``, with one as ``str``: the rows
    added are merged with the type a whole read would give, and the first note does not make
    every later write read the whole table again."""
    from gridwatch import snapshot

    assert read(fresh_source).risk["note"].isna().all()  # the demo store has no notes
    grid = fresh_source.snapshot().region.grids["code"].iloc[1]

    def mark(minute, note):
        when = local_to_utc(datetime(2020, 2, 29, 22, minute), TZ)
        with write_session(fresh_source.engine) as s:
            s.add(m.RiskAssessment(grid_code=grid, colour="orange", observed_at=when,
                                   recorded_at=when, source="test", note=note))

    whole = []
    real = snapshot._read
    monkeypatch.setattr(snapshot, "_read", lambda conn, name, tz, after=None: (
        whole.append(name) if after is None else None, real(conn, name, tz, after))[1])
    before = read(fresh_source)
    mark(1, "发热家庭")
    with_note = read(fresh_source, before)
    assert_same_tables(with_note, read(fresh_source))
    whole.clear()
    mark(2, None)
    without = read(fresh_source, with_note)
    assert "risk" not in whole  # only the added row was read
    assert_same_tables(without, read(fresh_source))


def test_a_purge_of_red_proxy_requests_makes_the_next_reload_read_them_whole(fresh_source):
    """Red-proxy requests are only ever added, except by the retention purge, which renews
    the history mark: the next reload reads them (and everything) whole, and the reloads after
    it read only what is added."""
    from gridwatch.privacy import purge

    before = read(fresh_source)
    cutoff = before.proxy["requested_at"].sort_values().iloc[len(before.proxy) // 2]
    result = purge(fresh_source.writer, cutoff.to_pydatetime(), "test")
    assert result.proxy_requests > 0
    after = read(fresh_source, before)
    assert after.history != before.history and after.proxy is not before.proxy
    assert after.proxy["purged_at"].notna().sum() == result.proxy_requests
    assert_same_tables(after, read(fresh_source))
    add_mark_and_count(fresh_source)
    later = read(fresh_source, after)
    assert later.proxy is after.proxy  # appended to (nothing new), not read again
    assert_same_tables(later, read(fresh_source))
