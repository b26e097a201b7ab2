"""One ``Snapshot`` per request: the store's tables, their data version and the region, read
together.

Every domain function (metrics, exports, the wall) takes a snapshot, so what a page or a file
shows and the version it is labelled with can never come from two different moments. The
tables and the version are read in one read transaction (SQLite: one deferred ``BEGIN`` in WAL
mode; PostgreSQL: ``REPEATABLE READ``), together with the active boundary version's id and
hash.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from gridwatch.geo.layers import Region
from gridwatch.store import models as m
from gridwatch.store.regions import ActiveVersion, has_versions

# The tables a snapshot holds, with the columns that are instants (stored as naive UTC).
TABLES: dict[str, tuple[type, list[str]]] = {
    "risk": (m.RiskAssessment, ["observed_at", "recorded_at"]),
    "levels": (m.ControlLevelChange, ["effective_at"]),
    "directives": (m.Directive, ["issued_at"]),
    "tasks": (m.Task, ["issued_at", "due_at"]),
    "assignments": (m.TaskAssignment, ["issued_at", "due_at", "handed_off_at", "acknowledged_at",
                                        "completed_at"]),
    "checkpoint_counts": (m.CheckpointCount, ["hour_start"]),
    "leads": (m.Lead, ["reported_at", "acknowledged_at", "escalated_at", "dispatched_at",
                       "closed_at"]),
    "rings": (m.RingCount, []),
    "proxy": (m.ProxyRequest, ["requested_at", "delivered_at"]),
    "inspection_teams": (m.InspectionTeam, []),
    "inspection_cases": (m.InspectionCase, ["opened_at"]),
}

APPEND_ONLY = ("risk", "levels", "directives", "tasks", "checkpoint_counts", "rings", "proxy",
               "inspection_teams", "inspection_cases")
"""The tables whose rows are only ever added, never changed or removed (the history: marks,
level changes, orders, counts, red-proxy requests): a reload reads only their rows added since
the snapshot it replaces (``read_snapshot``'s ``previous``). The others (task assignments,
leads) change in place (acknowledged, closed, purged) and are read whole. The one change to a
red-proxy request, the retention purge (``gridwatch.privacy.purge``), renews the history mark."""

HISTORY_KEY = "history"
"""The ``store_meta`` key that a restore (and a purge of red-proxy requests) sets to a new
value: the history may have been replaced, so the next reload reads every table whole."""

MEMO_LIMIT = 4096
"""Derived results kept per snapshot (the least recently used go first): a handful per day of
history (grid status, the grid figures, assignments, levels) for every day an analyst looks
at, and one grid mask per filter in use."""


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The store's history and the region at one data version; read-only.

    Times are naive local times in the county's time zone. ``version`` is the composite
    version the browser sees (store version and region fingerprint): it changes whenever the
    store or the region file changes.
    """

    store_version: int
    region: Region
    updated_at: datetime | None
    """When the store last changed (naive UTC), as of this snapshot; None if it never has."""
    risk: pd.DataFrame
    levels: pd.DataFrame
    directives: pd.DataFrame
    tasks: pd.DataFrame
    assignments: pd.DataFrame
    checkpoint_counts: pd.DataFrame
    leads: pd.DataFrame
    rings: pd.DataFrame
    proxy: pd.DataFrame
    inspection_teams: pd.DataFrame
    inspection_cases: pd.DataFrame
    # Results derived from this snapshot (grid status per day, the colour matrix): they live
    # and die with it, so a new data version never keeps old snapshots alive.
    derived: dict = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _computing: dict = field(default_factory=dict, repr=False)
    _as_of: dict = field(default_factory=dict, repr=False)  # memo key -> its as_of day
    history: str | None = field(default=None, repr=False)  # store_meta HISTORY_KEY
    changes: list = field(default_factory=list, repr=False)
    """(earliest instant changed, store version) of each snapshot this one descends from by
    ``carry_over``, oldest first, this one last; the first entry changed everything."""

    @property
    def version(self) -> str:
        return version_string(self.store_version, self.region)

    def stamp(self, day: date) -> str:
        """What this snapshot holds of the records up to the end of ``day``, as a text: the
        version of the newest snapshot (of those this one descends from) whose change touched
        that day or an earlier one. A write that touches only later days leaves it as it was,
        so a page showing ``day`` needs nothing new. Two workers may give different stamps for
        the same records (one skipped a version the other read), never one stamp for two."""
        end = datetime.combine(day, time()) + ONE_DAY
        lineage = self.lineage
        for earliest, version in reversed(lineage):
            if earliest is not None and earliest < end:
                return version_string(version, self.region)
        return version_string(lineage[0][1], self.region)

    @property
    def lineage(self) -> list:
        """``changes``, or for a snapshot read afresh its own version as a change of all."""
        return self.changes or [(datetime.min, self.store_version)]

    def memo(self, key: Hashable, compute: Callable, as_of: date | None = None):
        """``compute()`` once per ``key`` for this snapshot (the newest results are kept).

        Keys are plain values (names, days, filters), never object identities. Concurrent
        callers of the same key wait for one computation. ``as_of``: the result depends on
        nothing but the region and the records of before the end of that day (every instant
        it looks at is earlier), so a newer snapshot whose changes all come later keeps it
        (``carry_over``) instead of computing it again.
        """
        if as_of is not None:
            with self.lock:
                self._as_of[key] = as_of
        with self.lock:
            if key in self.derived:
                value = self.derived.pop(key)  # the least recently used go first
                self.derived[key] = value
                return value
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:  # other keys are computed meanwhile; a memo may use another memo
            with self.lock:
                if key in self.derived:
                    return self.derived[key]
            value = compute()
            with self.lock:
                if len(self.derived) >= MEMO_LIMIT:
                    self.derived.pop(next(iter(self.derived)))
                self.derived[key] = value
                self._computing.pop(key, None)
            return value

    def memo_at(self, key: Hashable, instant: datetime, compute: Callable):
        """``compute()``, a result read at ``instant``, memoised (``memo``, key and instant)
        when ``instant`` is the end of a day (a day that is over: the same instant for every
        request) and kept by a newer snapshot whose changes all come after that day; computed
        each time at any other instant (a running day's instant moves with the clock, so no
        two requests share it)."""
        if instant.time() != time() or instant.microsecond:
            return compute()
        return self.memo((key, instant), compute, as_of=instant.date() - ONE_DAY)

    @cached_property
    def first_day(self) -> date:
        """The first day with a risk mark or a checkpoint count."""
        days = [s.min() for s in (self.risk["observed_at"], self.checkpoint_counts["hour_start"])
                if len(s)]
        return min(days).date() if days else date.today()

    @cached_property
    def last_day(self) -> date:
        """The latest day with any record or stage (a mark, a count, an order, a lead
        acknowledged, a task completed, a delivery): the default as-of date, and the last
        the date picker offers."""
        moments = [self.risk["observed_at"], self.checkpoint_counts["hour_start"],
                   self.directives["issued_at"], self.levels["effective_at"],
                   self.proxy["requested_at"], self.proxy["delivered_at"],
                   self.inspection_cases["opened_at"],
                   *(self.leads[c] for c in LEAD_MOMENTS),
                   *(self.assignments[c] for c in ASSIGNMENT_MOMENTS)]
        days = [m for m in (s.max() for s in moments if len(s)) if not pd.isna(m)]
        return max(days).date() if days else date.today()


LEAD_MOMENTS = ("reported_at", "acknowledged_at", "escalated_at", "dispatched_at", "closed_at")
ASSIGNMENT_MOMENTS = ("issued_at", "handed_off_at", "acknowledged_at", "completed_at")
"""The instants at which a lead or a task assignment moves (a due time is not an event)."""


def carry_over(old: Snapshot, new: Snapshot) -> int:
    """Give ``new`` the results of ``old`` that the change between them cannot touch: those
    memoised with an ``as_of`` day that ends before the earliest instant any added, removed
    or changed record holds (see ``earliest_change``). Nothing when the region differs.
    Returns how many results were kept."""
    if old.region is not new.region:  # ``new`` starts a lineage of its own
        return 0
    earliest = earliest_change(old, new)
    past = old.lineage
    if len(past) >= CHANGES_KEPT:  # the oldest kept stands for everything before it
        past = [(datetime.min, past[-CHANGES_KEPT + 1][1]), *past[-CHANGES_KEPT + 2:]]
    new.changes[:] = [*past, (earliest, new.store_version)]  # (a frozen dataclass)
    with old.lock:
        kept = {key: old.derived[key] for key, day in old._as_of.items()
                if key in old.derived
                and (earliest is None or datetime.combine(day, time()) + ONE_DAY <= earliest)}
    with new.lock:
        for key, value in kept.items():
            new.derived.setdefault(key, value)
            new._as_of[key] = old._as_of[key]
    return len(kept)


ONE_DAY = timedelta(days=1)
CHANGES_KEPT = 256
"""How many of its ancestors' changes a snapshot keeps for ``Snapshot.stamp``."""

CHANGE_TIMES: dict[str, list[str]] = {
    name: [*columns, *(["day"] if name == "rings" else [])]
    for name, (_model, columns) in TABLES.items()}
"""Per table, the columns that place a record in time (local): its instants, and the rings'
day (a day's counts belong to its start)."""


def earliest_change(old: Snapshot, new: Snapshot) -> datetime | None:
    """The earliest instant (local) of any record added, removed or changed from ``old`` to
    ``new``, or None when no table differs; ``datetime.min`` when a change cannot be placed
    in time (a table without time columns).

    A record added or removed counts with the earliest of its instants. A changed record
    counts with the earliest old or new value of the instants that changed, or, when any of
    its other fields changed, with the earliest of all its instants, old or new."""
    found: list[datetime] = []
    for name, columns in CHANGE_TIMES.items():
        a, b = getattr(old, name), getattr(new, name)
        if a is b or a.equals(b):
            continue
        if not columns:
            return datetime.min
        found.append(_earliest(a.set_index("id"), b.set_index("id"), columns))
    return min(found) if found else None


def _instants(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.to_datetime(frame[c]) for c in columns}, index=frame.index)


def _earliest(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> datetime:
    candidates = []
    for frame, ids in ((b, b.index.difference(a.index)), (a, a.index.difference(b.index))):
        if len(ids):
            candidates.append(_instants(frame.loc[ids], columns).min().min())
    common = a.index.intersection(b.index)
    old, new = a.loc[common], b.loc[common, a.columns]
    differ = ~((old == new) | (old.isna() & new.isna()))
    other = differ[[c for c in a.columns if c not in columns]].any(axis=1)
    placed = differ[columns].to_numpy() | other.to_numpy()[:, None]
    if placed.any():
        for times in (_instants(old, columns), _instants(new, columns)):
            candidates.append(times.where(placed).min().min())
    moments = [c for c in candidates if not pd.isna(c)]
    # A change none of whose instants is known (all missing) cannot be placed: everything.
    return min(moments).to_pydatetime() if moments else datetime.min


def version_string(store_version: int, region: Region) -> str:
    """The composite data version: ``<store version>-<region fingerprint>``."""
    return f"{store_version}-{region.fingerprint}"


@contextmanager
def read_transaction(engine: Engine):
    """A connection whose reads all see one consistent state of the store."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite opens no transaction for SELECTs: without this each query would see the
            # newest commit. A deferred BEGIN pins the WAL snapshot at the first read.
            conn.exec_driver_sql("BEGIN")
        else:
            conn.execution_options(isolation_level="REPEATABLE READ")  # before the first read
        try:
            yield conn
        finally:
            conn.rollback()


def store_state(conn: Connection) -> tuple[int, ActiveVersion | None]:
    """The store's data version and the active boundary version (id and hash), on ``conn``:
    one statement (built once) on a store with the versions table."""
    if not has_versions(conn):
        value = conn.execute(_VERSION).scalar()
        return int(value or 0), None
    row = conn.execute(_STATE).first()
    version = int(row.version or 0) if row is not None else 0
    active = None if row is None or row.id is None else ActiveVersion(row.id, row.sha)
    return version, active


def _active(column):
    return (select(column).where(m.BoundaryVersion.status == "active")
            .order_by(m.BoundaryVersion.id).limit(1).scalar_subquery())


_VERSION_VALUE = (select(m.StoreMeta.value).where(m.StoreMeta.key == "version")
                  .scalar_subquery())
_VERSION = select(_VERSION_VALUE)
_STATE = select(_VERSION_VALUE.label("version"), _active(m.BoundaryVersion.id).label("id"),
                _active(m.BoundaryVersion.content_sha256).label("sha"))


def last_change(conn: Connection) -> datetime | None:
    """When the store last changed (naive UTC), on ``conn``."""
    value = conn.execute(select(m.StoreMeta.value)
                         .where(m.StoreMeta.key == "updated_at")).scalar()
    return datetime.fromisoformat(value) if value else None


def read_snapshot(engine: Engine, tz: str,
                  region_for: Callable[[ActiveVersion | None], Region],
                  previous: Snapshot | None = None) -> Snapshot:
    """Read every table, the data version and the active region in one read transaction.

    Parameters
    ----------
    engine : Engine
        The store.
    tz : str
        The county's time zone: stored UTC instants become naive local times in it.
    region_for : callable
        Turns the active boundary version (None: no version active) into the region to use.
    previous : Snapshot, optional
        The snapshot this one replaces: of an ``APPEND_ONLY`` table only the rows added since
        are read, and the rest taken from ``previous`` (a write costs what it wrote). A table
        is read whole whenever that cannot be trusted: a restore since (``HISTORY_KEY``), a
        row count that does not add up (a row removed, or an id given out of order by a
        transaction that committed later), or column types that would differ.
    """
    frames = {}
    with read_transaction(engine) as conn:
        version, region_file = store_state(conn)
        updated_at = last_change(conn)
        history = conn.execute(_HISTORY).scalar()
        base = previous if previous is not None and previous.history == history else None
        for name in TABLES:
            frame = None
            if base is not None and name in APPEND_ONLY:
                frame = _appended(conn, name, getattr(base, name), tz)
            frames[name] = frame if frame is not None else _read(conn, name, tz)
    if base is None or frames["risk"] is not base.risk:
        frames["risk"] = frames["risk"].sort_values(["observed_at", "id"], kind="stable")
    return Snapshot(store_version=version, region=region_for(region_file), updated_at=updated_at,
                    history=history, **frames)


_HISTORY = select(m.StoreMeta.value).where(m.StoreMeta.key == HISTORY_KEY)


def _read(conn: Connection, name: str, tz: str, after: int | None = None) -> pd.DataFrame:
    """Table ``name`` (its rows with an id above ``after``), times in local time, by id."""
    model, time_columns = TABLES[name]
    table = model.__table__
    query = select(table).order_by(table.c.id)
    if after is not None:
        query = query.where(table.c.id > after)
    df = pd.read_sql(query, conn)
    for col in time_columns:
        df[col] = (pd.to_datetime(df[col]).dt.tz_localize("UTC").dt.tz_convert(tz)
                   .dt.tz_localize(None))
    if name == "rings":
        df["day"] = pd.to_datetime(df["day"]).dt.date
    return df


def _appended(conn: Connection, name: str, held: pd.DataFrame, tz: str) -> pd.DataFrame | None:
    """``held`` (an append-only table as a previous snapshot holds it) with the rows added
    since; None when the table must be read whole (its count, first or last id do not add
    up)."""
    table = TABLES[name][0].__table__
    count, first, last = conn.execute(select(func.count(), func.min(table.c.id),
                                             func.max(table.c.id))).one()
    if len(held) == 0 or count < len(held):
        return None
    ids = held["id"]
    if int(first) != int(ids.min()):  # a row removed (the history is not what it was)
        return None
    if count == len(held):
        return held if int(last) == int(ids.max()) else None
    if name == "risk":  # a snapshot holds the marks in time order; they were read by id
        held = held.sort_values("id", kind="stable")
    added = _read(conn, name, tz, after=int(ids.max()))
    if len(held) + len(added) != count:
        return None
    added.index = pd.RangeIndex(len(held), count)
    held, added = _typed_alike(held, added)
    both = pd.concat([held, added])
    if not both.dtypes.equals(held.dtypes):
        return None
    return both


def _typed_alike(held: pd.DataFrame, added: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A column that holds no value at all reads as ``object``; once it holds one, as text,
    times or numbers. The part without any value takes the other part's type (floats for
    whole numbers, which cannot be missing), as a whole read of both would give it."""
    for col in held.columns:
        a, b = held[col].dtype, added[col].dtype
        if a == b:
            continue
        if a == OBJECT and held[col].isna().all():
            held = held.assign(**{col: held[col].astype(_with_nulls(b))})
        elif b == OBJECT and added[col].isna().all():
            added = added.assign(**{col: added[col].astype(_with_nulls(a))})
    return held, added


OBJECT = np.dtype(object)


def _with_nulls(dtype):
    kind = getattr(dtype, "kind", None)
    return np.dtype("float64") if kind is not None and kind in "iu" else dtype
