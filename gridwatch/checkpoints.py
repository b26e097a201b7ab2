"""Checkpoint health (issue 12): a checkpoint that went quiet, missed a report or ran over its
capacity, at an instant.

A checkpoint reports one count per hour (``checkpoint_counts``: vehicles and people inspected
in the hour that starts at ``hour_start``). A report counts from the end of its hour (when it can
first have been sent), and it is due ``grace_minutes`` after that. At an instant, three kinds
of alert follow from the counts alone, so they open and close by themselves as counts arrive:

- **quiet**: ``quiet_hours`` or more hourly reports in a row are overdue. It opens when the
  ``quiet_hours``-th of them falls due and closes when the checkpoint reports again.
- **missed**: fewer overdue reports in a row than that, with reports after them (or not yet).
  It stays open until the missing hours are filled in.
- **over capacity**: an hour in which the checkpoint inspected more people than
  ``capacity_percent`` of its capacity (people per hour, the checkpoints layer's ``capacity``;
  none for a checkpoint without one). It opens with that hour's report and closes with the
  first report back under it.

Nothing is expected before the first count the store holds, so a history's first day does not
open with every checkpoint quiet. Pure functions on the snapshot's frames (naive local times),
no Dash; the instant comes from ``gridwatch.timeutil.instant_for``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gridwatch.i18n import duration, t
from gridwatch.timeutil import cutoff

KINDS = ("quiet", "over_capacity", "missed")
"""The alert kinds, the most urgent first (a checkpoint's marker shows its most urgent open
alert)."""

HOUR = timedelta(hours=1)
LOOKBACK = timedelta(hours=24)
"""How far before the chosen day a silence is traced back (a checkpoint quiet since last
evening is quiet this morning)."""


@dataclass(frozen=True)
class Health:
    """The thresholds, from the settings."""

    quiet_hours: int = 3
    grace_minutes: int = 30
    capacity_percent: int = 100

    @classmethod
    def of(cls, settings) -> Health:
        return cls(settings.checkpoint_quiet_hours, settings.checkpoint_report_grace_minutes,
                   settings.checkpoint_capacity_percent)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)


@dataclass(frozen=True)
class Alert:
    """One alert of one checkpoint.

    ``hours`` are the starts of the hours concerned (missing ones for quiet and missed, the
    ones over capacity); ``closed_at`` is None while it is open at the instant; ``since`` is
    the end of the last report before a silence (None when the store holds none); ``peak``
    and ``capacity`` are people per hour (over capacity only)."""

    checkpoint: str
    kind: str
    opened_at: datetime
    closed_at: datetime | None
    hours: tuple[datetime, ...] = field(default=())
    since: datetime | None = None
    peak: int | None = None
    capacity: int | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def minutes(self, instant: datetime) -> float:
        """How long it has been (or was) open at ``instant``."""
        end = self.closed_at if self.closed_at is not None else instant
        return max(0.0, (end - self.opened_at).total_seconds() / 60)


def capacities(checkpoints: pd.DataFrame) -> dict[str, int]:
    """Checkpoint code → capacity (people per hour), for those with a positive one."""
    if "capacity" not in checkpoints:
        return {}
    cap = pd.to_numeric(checkpoints["capacity"], errors="coerce")
    keep = cap.notna() & (cap > 0)
    return dict(zip(checkpoints.loc[keep, "code"], cap[keep].astype(int), strict=True))


def alerts(counts: pd.DataFrame, checkpoints: pd.DataFrame, day: date, instant: datetime,
           health: Health) -> list[Alert]:
    """Every alert of ``checkpoints`` (the region's layer: ``code`` and maybe ``capacity``)
    open at some moment of ``day`` up to ``instant``, from ``counts`` (the snapshot's
    ``checkpoint_counts``). Open ones first, the most urgent kind first, then the longest open.
    """
    codes = list(checkpoints["code"])
    start_of_day = cutoff(day) - timedelta(days=1)
    instant = min(instant, cutoff(day))
    if not codes or counts.empty or instant <= start_of_day:
        return []
    first = counts["hour_start"].min().floor("h").to_pydatetime()
    start = max(start_of_day - LOOKBACK, first)
    n = int((instant - start) // HOUR)  # hours that have ended by the instant
    if n <= 0:
        return []
    slots = pd.date_range(start, periods=n, freq="h")
    window = counts[(counts["hour_start"] >= start) & (counts["hour_start"] < slots[-1] + HOUR)]
    people = (window.assign(slot=window["hour_start"].dt.floor("h"))
              .pivot_table(index="slot", columns="checkpoint_code", values="people",
                           aggfunc="sum")
              .reindex(index=slots, columns=codes))
    due = (slots + HOUR + health.grace) <= instant
    caps = capacities(checkpoints)
    out: list[Alert] = []
    for code in codes:
        reported = people[code].notna().to_numpy()
        out += _silences(code, slots, reported, due, counts, start_of_day, instant, health)
        if code in caps:
            limit = caps[code] * health.capacity_percent / 100
            out += _over(code, slots, people[code].to_numpy(), reported, limit, caps[code],
                         start_of_day)
    rank = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda a: (not a.open, rank[a.kind], a.opened_at, a.checkpoint))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every run of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _silences(code, slots, reported, due, counts, start_of_day, instant, health) -> list[Alert]:
    out = []
    missing = ~reported & due
    after = np.flatnonzero(reported)
    for i0, i1 in _runs(missing):
        later = after[after > i1]
        resumed = slots[later[0]].to_pydatetime() + HOUR if len(later) else None
        hours = tuple(s.to_pydatetime() for s in slots[i0:i1 + 1])
        if i1 - i0 + 1 >= health.quiet_hours:
            opened = hours[0] + health.quiet_hours * HOUR + health.grace
            closed = max(resumed, opened) if resumed is not None else None
            if closed is not None and closed < start_of_day:
                continue
            out.append(Alert(code, "quiet", opened, closed, hours,
                             since=_last_report(counts, code, hours[0])))
        elif hours[-1] >= start_of_day:
            out.append(Alert(code, "missed", hours[0] + HOUR + health.grace, None, hours,
                             since=_last_report(counts, code, hours[0])))
    return out


def _last_report(counts: pd.DataFrame, code: str, before: datetime) -> datetime | None:
    """The end of ``code``'s last reported hour before ``before`` (None when there is none)."""
    own = counts.loc[(counts["checkpoint_code"] == code) & (counts["hour_start"] < before),
                     "hour_start"]
    return None if own.empty else own.max().floor("h").to_pydatetime() + HOUR


def _over(code, slots, people, reported, limit, capacity, start_of_day) -> list[Alert]:
    out = []
    current: list[int] = []

    def close(at):
        hours = tuple(slots[i].to_pydatetime() for i in current)
        closed = at
        if closed is None or closed >= start_of_day:
            out.append(Alert(code, "over_capacity", hours[0] + HOUR, closed, hours,
                             peak=int(max(people[i] for i in current)), capacity=capacity))

    for i in np.flatnonzero(reported):
        if people[i] > limit:
            current.append(i)
        elif current:
            close(slots[i].to_pydatetime() + HOUR)
            current = []
    if current:
        close(None)
    return out


def states(found: list[Alert]) -> dict[str, str]:
    """Checkpoint code → the kind of its most urgent open alert (checkpoints without one are
    left out)."""
    rank = {k: i for i, k in enumerate(KINDS)}
    out: dict[str, str] = {}
    for a in found:
        if a.open and (a.checkpoint not in out or rank[a.kind] < rank[out[a.checkpoint]]):
            out[a.checkpoint] = a.kind
    return out


def open_counts(found: list[Alert]) -> dict[str, int]:
    """Open alerts per kind (every kind, zero when none)."""
    out = dict.fromkeys(KINDS, 0)
    for a in found:
        if a.open:
            out[a.kind] += 1
    return out


def on_snapshot(snap, day: date, instant: datetime, health: Health) -> list[Alert]:
    """``alerts`` of the snapshot's region and counts (cached per snapshot, day, minute and
    thresholds: alerts change only on the minute)."""
    instant = instant.replace(second=0, microsecond=0)
    return snap.memo(("checkpoint_alerts", day, instant, health),
                     lambda: alerts(snap.checkpoint_counts, snap.region.checkpoints, day,
                                    instant, health), as_of=day)


def record(checkpoint: pd.Series, capacity: int | None, found: list[Alert], instant: datetime,
           tz: str) -> dict:
    """One checkpoint as the API answers it: its attributes, its ``capacity`` (``capacities``;
    None when the layer gives none) and its alerts open at ``instant`` (times with the county's
    UTC offset)."""
    zone = ZoneInfo(tz)

    def iso(moment):
        return None if moment is None else moment.replace(tzinfo=zone).isoformat()

    own = [a for a in found if a.checkpoint == checkpoint["code"] and a.open]
    return {
        "code": checkpoint["code"], "name_zh": checkpoint["name_zh"],
        "name_en": checkpoint.get("name_en") or checkpoint["name_zh"],
        "township_code": checkpoint.get("township_code") or None,
        "kind": checkpoint.get("kind") or None, "capacity_people_per_hour": capacity,
        "health": {
            "as_of": iso(instant), "state": states(own).get(checkpoint["code"], "ok"),
            "alerts": [{"kind": a.kind, "opened_at": iso(a.opened_at),
                        "hours": [iso(h) for h in a.hours], "last_report_at": iso(a.since),
                        "peak_people": a.peak, "minutes_open": round(a.minutes(instant))}
                       for a in own],
        },
    }


# --- in words (the alert list, the wall ticker, the pack) -------------------------------------

def _hour(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def when(moment: datetime, instant: datetime) -> str:
    """``HH:MM`` on the day the instant falls in (a day's end, its 24:00, belongs to it),
    ``MM-DD HH:MM`` on another day (a silence since yesterday)."""
    day = (instant - timedelta(microseconds=1)).date()
    if moment == cutoff(day):
        return "24:00"
    return _hour(moment) if moment.date() == day else moment.strftime("%m-%d %H:%M")


def detail(a: Alert, instant: datetime, lang: str) -> str:
    """What happened, in words."""
    n = len(a.hours)
    if a.kind == "quiet":
        if a.since is None:
            return t("alerts.detail.quiet_never", lang, hours=n)
        return t("alerts.detail.quiet", lang, since=when(a.since, instant), hours=n)
    if a.kind == "missed":
        sep = "、" if lang == "zh" else ", "
        return t("alerts.detail.missed", lang, hours=sep.join(_hour(h) for h in a.hours))
    return t("alerts.detail.over_capacity", lang, peak=a.peak, capacity=a.capacity, hours=n)


def state_text(a: Alert, instant: datetime, lang: str) -> str:
    """Open for how long, or when it cleared."""
    if a.open:
        return t("alerts.open", lang, age=duration(a.minutes(instant), lang))
    return t("alerts.closed", lang, at=when(a.closed_at, instant))
