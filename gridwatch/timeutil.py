"""Time conventions: the store keeps naive UTC; days are counted in the county's time zone."""

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
