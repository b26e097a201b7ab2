"""The red proxy (红色代办, issue 12): isolated households ask, a grid worker buys and delivers
(``proxy_requests``: requested, delivered). At an instant, per township, per grid and in all:
the day's requests and deliveries, the requests still waiting and for how long, and the running
total of home visits since the start.

Each request is one household's, so these are household-level counts: a caller without the
right to see them gets them through ``gridwatch.visibility`` (small counts suppressed). Pure
functions on the snapshot's frames (naive local times), no Dash.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from gridwatch.timeutil import cutoff

COUNTS = ("requests_today", "delivered_today", "pending", "visits_total")
"""The counts of every row (all household-level)."""


def _state(proxy: pd.DataFrame, day: date, instant: datetime) -> pd.DataFrame:
    """Per request made before ``instant``: made today, delivered today, waiting, visited."""
    instant = min(instant, cutoff(day))
    start = cutoff(day) - pd.Timedelta(days=1)
    made = proxy[proxy["requested_at"] < instant]
    delivered = made["delivered_at"].notna() & (made["delivered_at"] < instant)
    waited = (instant - made["requested_at"]).dt.total_seconds() / 3600
    return pd.DataFrame({
        "grid_code": made["grid_code"],
        "requests_today": made["requested_at"] >= start,
        "delivered_today": delivered & (made["delivered_at"] >= start),
        "pending": ~delivered, "visits_total": delivered,
        "waited_hours": waited.where(~delivered),
    }, index=made.index)


def state_on(snap, day: date, instant: datetime) -> pd.DataFrame:
    """Every request's state (``figures``' and ``by_township``'s ``state``) at ``instant``,
    computed once per snapshot for a day's end (``Snapshot.memo_at``)."""
    return snap.memo_at(("proxy_state", day), instant, lambda: _state(snap.proxy, day, instant))


def _sums(state: pd.DataFrame, by: pd.Series | None) -> pd.DataFrame:
    grouped = state.groupby(by) if by is not None else state.groupby(lambda _: "all")
    out = grouped[list(COUNTS)].sum().astype(int)
    out["oldest_pending_hours"] = grouped["waited_hours"].max()
    return out


def figures(proxy: pd.DataFrame, grid_codes, day: date, instant: datetime,
            state: pd.DataFrame | None = None) -> dict:
    """The totals over ``grid_codes``: each of ``COUNTS`` and ``oldest_pending_hours`` (None
    when nothing waits). ``state``: ``state_on`` already computed."""
    state = _state(proxy, day, instant) if state is None else state
    state = state[state["grid_code"].isin(set(grid_codes))]
    if state.empty:
        return {**dict.fromkeys(COUNTS, 0), "oldest_pending_hours": None}
    row = _sums(state, None).iloc[0]
    oldest = row["oldest_pending_hours"]
    return {**{c: int(row[c]) for c in COUNTS},
            "oldest_pending_hours": None if pd.isna(oldest) else float(oldest)}


def by_township(proxy: pd.DataFrame, grids: pd.DataFrame, grid_codes, day: date,
                instant: datetime, state: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per township of ``grid_codes`` (``grids``: the region's grid table with
    ``code`` and ``township_code``): ``code``, each of ``COUNTS``, ``oldest_pending_hours``;
    the most waiting first, then the most requested today; ``state`` as in ``figures``."""
    keep = grids[grids["code"].isin(set(grid_codes))]
    town_of = keep.set_index("code")["township_code"]
    state = _state(proxy, day, instant) if state is None else state
    state = state[state["grid_code"].isin(town_of.index)]
    sums = _sums(state, state["grid_code"].map(town_of)) if len(state) else None
    towns = pd.Index(sorted(keep["township_code"].unique()), name="code")
    out = pd.DataFrame(0, index=towns, columns=list(COUNTS))
    out["oldest_pending_hours"] = np.nan
    if sums is not None:
        out.loc[sums.index, list(COUNTS)] = sums[list(COUNTS)]
        out.loc[sums.index, "oldest_pending_hours"] = sums["oldest_pending_hours"]
    out = out.reset_index()
    return out.sort_values(["pending", "requests_today", "code"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def for_grid(proxy: pd.DataFrame, code: str, day: date, instant: datetime) -> dict:
    """``figures`` of one grid."""
    return figures(proxy, [code], day, instant)
