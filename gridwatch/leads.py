"""Leads against the clock (issue 12): each lead's stages, its service levels and the instant
it is seen at.

A grid worker reports a lead; the county centre acknowledges it, may escalate it, dispatches
someone and closes it (the article's case: reported 12:36, closed 25 minutes later). Three of
those steps have a service level, in minutes after the report (``Sla``, from the settings):
acknowledge, dispatch (for a lead that was escalated or dispatched) and close.

Every rule here takes an **instant**: what had happened by then counts, what came later has
not happened yet (``gridwatch.timeutil.instant_for``: now while the chosen day runs, the day's
end once it is over).

Pure functions on pandas frames of the ``leads`` table (naive local times), no Dash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gridwatch.metrics import Kpis
from gridwatch.store import models as m
from gridwatch.timeutil import cutoff

STAGES = m.LEAD_STAGES
"""A lead's stages in order; each but ``reported`` is a ``<stage>_at`` column, empty until
it happens."""

TIMED = ("acknowledged", "dispatched", "closed")
"""The stages with a service level."""

STATES = ("met", "late", "pending", "overdue")
"""A timed stage at an instant: reached within its limit, reached after it, not reached and
its limit still ahead, not reached and its limit passed. Missing (None): the stage does not
apply (a lead never escalated nor dispatched needs no dispatch; a closed lead needs nothing
more)."""


@dataclass(frozen=True)
class Sla:
    """The service levels, in minutes after the report."""

    acknowledge: float = 5
    dispatch: float = 15
    close: float = 60

    @classmethod
    def of(cls, settings) -> Sla:
        return cls(settings.lead_sla_acknowledge_minutes, settings.lead_sla_dispatch_minutes,
                   settings.lead_sla_close_minutes)

    def limit(self, stage: str) -> float | None:
        """The limit of a timed stage (``TIMED``), None for the others."""
        return {"acknowledged": self.acknowledge, "dispatched": self.dispatch,
                "closed": self.close}.get(stage)


def kpis_at(k: Kpis, instant: datetime) -> Kpis:
    """``k`` (figures at the end of ``k.day``) with the oldest open lead's age read at
    ``instant`` instead: while the day runs, a lead reported at 09:00 is an hour old at 10:00,
    not fifteen hours. (Nothing is recorded after now, so the open leads are the same.)"""
    end = cutoff(k.day)
    if k.oldest_open_lead_minutes is None or instant >= end:
        return k
    early = (end - instant).total_seconds() / 60
    return replace(k, oldest_open_lead_minutes=max(0.0, k.oldest_open_lead_minutes - early))


def _reached(moments: pd.Series, instant: datetime) -> pd.Series:
    return moments.notna() & (moments < instant)


def clocks(leads: pd.DataFrame, instant: datetime, sla: Sla) -> pd.DataFrame:
    """Each lead reported before ``instant`` as it stands then (same index as ``leads``).

    Columns: ``stage`` (the latest stage reached), ``open`` (not closed), ``minutes`` (the
    clock: report to close for a closed lead, report to ``instant`` for an open one, so it
    runs while the lead is open and stops at its close), ``<stage>_state`` for each timed
    stage (one of ``STATES`` or None), ``breached`` (any stage late or overdue) and
    ``overdue`` (open with a limit passed: what needs someone now)."""
    leads = leads[leads["reported_at"] < instant]
    reported = leads["reported_at"]
    reached = {s: _reached(leads[f"{s}_at"], instant) for s in STAGES[1:]}
    closed = reached["closed"]
    stage = pd.Series("reported", index=leads.index, dtype=object)
    for s in STAGES[1:]:
        stage = stage.where(~reached[s], s)
    end = leads["closed_at"].where(closed, instant)
    out = pd.DataFrame({"stage": stage, "open": ~closed,
                        "minutes": (end - reported).dt.total_seconds() / 60}, index=leads.index)
    applies = {"acknowledged": pd.Series(True, index=leads.index),
               "dispatched": reached["escalated"] | reached["dispatched"],
               "closed": pd.Series(True, index=leads.index)}
    late_any = pd.Series(False, index=leads.index)
    overdue_any = pd.Series(False, index=leads.index)
    for s in TIMED:
        due = reported + timedelta(minutes=sla.limit(s))
        at = leads[f"{s}_at"]
        done = reached[s]
        # a stage never reached before the close no longer applies: nothing is waited for
        waiting = ~done & ~closed & applies[s]
        state = np.select([done & (at <= due), done, waiting & (instant > due), waiting],
                          ["met", "late", "overdue", "pending"], None)
        out[f"{s}_state"] = pd.Series(state, index=leads.index, dtype=object)
        late_any |= out[f"{s}_state"] == "late"
        overdue_any |= out[f"{s}_state"] == "overdue"
    out["breached"] = late_any | overdue_any
    out["overdue"] = overdue_any
    return out


def clocks_on(snap, instant: datetime, sla: Sla) -> pd.DataFrame:
    """``clocks`` of every lead of the snapshot, computed once per snapshot for a day's end
    (``Snapshot.memo_at``): what the register, the map's marks and the wall ticker of every
    request on that day share."""
    return snap.memo_at(("lead_clocks", sla), instant, lambda: clocks(snap.leads, instant, sla))


def _clocks(leads: pd.DataFrame, instant: datetime, sla: Sla,
            state: pd.DataFrame | None) -> pd.DataFrame:
    """``clocks`` of ``leads``, taken from ``state`` (the clocks of a superset) when given."""
    if state is None:
        return clocks(leads, instant, sla)
    return state[state.index.isin(leads.index)]


def register(leads: pd.DataFrame, grid_codes, day: date, instant: datetime,
             sla: Sla, state: pd.DataFrame | None = None) -> pd.DataFrame:
    """The lead register for ``day`` seen at ``instant``: the leads of ``grid_codes``
    reported on the day or still open at ``instant``, with their ``clocks`` columns; overdue
    ones first, then the other open ones by the longest clock, then the rest newest first.
    ``state``: the ``clocks`` of ``leads`` (or of more) at ``instant`` already computed
    (``clocks_on``)."""
    leads = leads[leads["grid_code"].isin(set(grid_codes))]
    state = _clocks(leads, instant, sla, state)
    leads = leads.loc[state.index]
    keep = state["open"] | (leads["reported_at"] >= datetime.combine(day, time()))
    table = leads[keep].join(state[keep])
    rank = np.select([table["overdue"], table["open"]], [0, 1], 2)
    return (table.assign(_rank=rank, _clock=-table["minutes"].where(table["open"], 0),
                         _newest=-table["reported_at"].astype("int64"))
            .sort_values(["_rank", "_clock", "_newest", "code"])
            .drop(columns=["_rank", "_clock", "_newest"]))


def overdue_by_grid(leads: pd.DataFrame, grid_codes, instant: datetime,
                    sla: Sla, state: pd.DataFrame | None = None) -> dict[str, int]:
    """Grid code → how many of its open leads are past a limit at ``instant`` (what the map
    marks), for the grids of ``grid_codes`` that have any; ``state`` as in ``register``."""
    leads = leads[leads["grid_code"].isin(set(grid_codes))]
    state = _clocks(leads, instant, sla, state)
    counts = leads.loc[state.index[state["overdue"].to_numpy()], "grid_code"].value_counts()
    return {str(code): int(n) for code, n in counts.sort_index().items()}


@dataclass(frozen=True)
class Step:
    """One stage of a lead's timeline: when it happened (None: not by the instant), minutes
    after the report, its limit (None: no service level) and its state (``STATES`` or None)."""

    stage: str
    at: datetime | None
    minutes: float | None
    limit: float | None
    state: str | None


def timeline(lead: pd.DataFrame, instant: datetime, sla: Sla) -> list[Step]:
    """The stages of one lead (a one-row frame of the ``leads`` table) as they stand at
    ``instant``; stages it skipped or that do not apply yet (an escalation that may never
    come) are left out. Empty when it was reported after ``instant``."""
    state = clocks(lead, instant, sla)
    if state.empty:
        return []
    row, lead = state.iloc[0], lead.iloc[0]
    steps = [Step("reported", lead["reported_at"], 0.0, None, None)]
    for s in STAGES[1:]:
        at = lead[f"{s}_at"]
        happened = not pd.isna(at) and at < instant
        timed = row.get(f"{s}_state")
        if not happened and timed is None:
            continue
        minutes = (at - lead["reported_at"]).total_seconds() / 60 if happened else None
        steps.append(Step(s, at if happened else None, minutes, sla.limit(s), timed))
    return steps


def ticker(events: pd.DataFrame, leads: pd.DataFrame, instant: datetime, sla: Sla,
           limit: int = 12, state: pd.DataFrame | None = None) -> pd.DataFrame:
    """The wall ticker's items from ``events`` (``metrics.latest_events``, newest first):
    orders and notices mixed with leads by priority and recency, never leads alone.

    Open leads past a limit come first (the longest clock first), as alerts; then the
    newest orders and notices (up to a third of ``limit``, whatever their age) and the
    newest other leads, newest first, up to ``limit`` in all. Lead rows gain ``stage``,
    ``minutes``, ``open`` and ``overdue`` (from ``clocks`` at ``instant``); the others hold
    None there. ``state`` as in ``register``."""
    state = _clocks(leads, instant, sla, state).copy()
    state.index = leads.loc[state.index, "code"].to_numpy()
    events = events[(events["kind"] != "lead") | events["ref"].isin(state.index)]
    lead = events["kind"] == "lead"
    joined = state.reindex(events["ref"].where(lead))
    events = events.assign(stage=joined["stage"].to_numpy(), minutes=joined["minutes"].to_numpy(),
                           open=joined["open"].to_numpy(), overdue=joined["overdue"].fillna(
                               False).astype(bool).to_numpy())
    alerts = events[events["overdue"]].sort_values("minutes", ascending=False,
                                                   kind="stable").head(limit // 3)
    directives = events[~lead].head(limit // 3)
    others = events[lead & ~events["overdue"]].head(limit - len(alerts) - len(directives))
    rest = pd.concat([directives, others]).sort_values("at", ascending=False, kind="stable")
    return pd.concat([alerts, rest], ignore_index=True)


def service_record(lead: pd.DataFrame, instant: datetime, sla: Sla, tz: str) -> dict:
    """One lead (a one-row frame of snapshot leads) against its limits at ``instant``, as the
    API gives it: the instant, its stage, whether its clock runs and for how long, and each
    timed stage's limit and state (met, late, pending, overdue; null where it does not
    apply)."""
    c = clocks(lead, instant, sla).iloc[0]
    return {"as_of": instant.replace(tzinfo=ZoneInfo(tz)).isoformat(), "stage": c["stage"],
            "open": bool(c["open"]), "minutes": round(float(c["minutes"]), 1),
            "breached": bool(c["breached"]), "overdue": bool(c["overdue"]),
            "stages": {s: {"limit_minutes": sla.limit(s),
                           "state": c[f"{s}_state"] if isinstance(c[f"{s}_state"], str)
                           else None} for s in TIMED}}
