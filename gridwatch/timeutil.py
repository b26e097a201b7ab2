"""Time conventions: the store keeps naive UTC; days are counted in the county's time zone.

Every rule that depends on time (a lead's clock, a checkpoint gone quiet, an overdue task)
takes an **instant**: ``instant_for`` gives it, now while the chosen day runs and the day's end
once it is over, so a demo store whose history ended in 2020 is seen as it stood at the end of
its last simulated day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_to_utc(moment: datetime, tz: str) -> datetime:
    """A naive local time in ``tz`` as naive UTC (how the store keeps it)."""
    return moment.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime, tz: str) -> datetime:
    """Naive UTC from the store as a naive local time in ``tz``."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def end_of_day_utc(day: date, tz: str) -> datetime:
    """The first instant after ``day`` ends in ``tz``, as naive UTC."""
    return local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)


def start_of_day_utc(day: date, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time()), tz)


def cutoff(day: date) -> datetime:
    """The first instant after ``day`` (local): records before it count as of ``day``."""
    return datetime.combine(day + timedelta(days=1), time())


def local_now(tz: str, epoch_ms: int | None = None) -> datetime:
    """Now (or the moment ``epoch_ms``), as a naive local time in ``tz`` (how the snapshot's
    times are kept), to the microsecond: a stage written a moment ago (stamped now) has
    happened by the instant a screen reads right after, even within the same second."""
    moment = (datetime.now(ZoneInfo(tz)) if epoch_ms is None
              else datetime.fromtimestamp(epoch_ms / 1000, ZoneInfo(tz)))
    return moment.replace(tzinfo=None)


def instant_for(day: date, now: datetime) -> datetime:
    """The instant the rules see ``day`` at: ``now`` while the day runs, its end once it is
    over (and for a day ahead of ``now``, ``now``: nothing later has happened)."""
    return min(now, cutoff(day))


def instant_in(day: date, tz: str, now: datetime | None = None) -> datetime:
    """``instant_for`` with ``now`` read in the county's time zone ``tz`` unless given."""
    return instant_for(day, now or local_now(tz))


def day_instant(day: date, tz: str, now: datetime | None = None) -> tuple[datetime, bool]:
    """``day``'s instant (``instant_for``) and whether it runs (``is_running``), with ``now``
    read in ``tz`` unless given: what a screen shows and whether its clock ticks."""
    now = now or local_now(tz)
    return instant_for(day, now), is_running(day, now)


def is_running(day: date, now: datetime) -> bool:
    """Whether ``day`` has not ended at ``now``: its clocks run (a screen refreshes them)."""
    return now < cutoff(day)
