"""Orders (指挥部令) and notices (通告) as a register (issue 12): what the county centre had
published by an instant, newest first, and what one of them came with on its day (the special
tasks published and the control levels changed that day). Orders and notices are public by
nature: every role sees them. Pure functions on the snapshot's frames, no Dash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from gridwatch.snapshot import Snapshot

KINDS = ("order", "notice")


def ref(kind: str, number: int) -> str:
    """A directive's key in the register and the URL-safe id of its row: ``order-17``."""
    return f"{kind}-{int(number)}"


def register(snap: Snapshot, instant: datetime) -> pd.DataFrame:
    """Every order and notice issued before ``instant``, newest first, with its ``ref``."""
    d = snap.directives
    d = d[d["issued_at"] < instant].sort_values(["issued_at", "kind", "number"],
                                                ascending=[False, True, False])
    return d.assign(ref=[ref(k, n) for k, n in zip(d["kind"], d["number"], strict=True)])


def next_number(directives: pd.DataFrame, kind: str) -> int:
    """The number the next ``kind`` (order or notice) takes: one after the highest so far."""
    numbers = directives.loc[directives["kind"] == kind, "number"]
    return int(numbers.max()) + 1 if len(numbers) else 1


@dataclass(frozen=True)
class Context:
    """What one directive came with on the day it was issued, up to the instant."""

    directive: pd.Series
    days_in_force: int
    """Whole days from its issue to the instant."""
    tasks: pd.DataFrame
    """Special tasks published that day (before the instant), by time."""
    levels: pd.DataFrame
    """Control-level changes that took effect that day (before the instant), by time."""


def context(snap: Snapshot, key: str, instant: datetime) -> Context | None:
    """The directive ``key`` (a ``ref``) with its day's tasks and level changes, or None when
    there is no such directive issued before ``instant``."""
    table = register(snap, instant)
    found = table[table["ref"] == key]
    if found.empty:
        return None
    row = found.iloc[0]
    start = row["issued_at"].normalize()
    end = min(start + pd.Timedelta(days=1), pd.Timestamp(instant))

    def that_day(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame[(frame[column] >= start) & (frame[column] < end)].sort_values(column)

    return Context(row, int((pd.Timestamp(instant) - row["issued_at"]).days),
                   that_day(snap.tasks, "issued_at"), that_day(snap.levels, "effective_at"))
