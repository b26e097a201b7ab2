"""Figures derived from the store's history: the current picture, KPIs and chart series.

The store's tables are read once per data version into a read-only ``Frames`` snapshot (cached
per process); every function here is a pure computation on that snapshot, the region and a
``Filters`` value. Times in ``Frames`` are naive local times in the county's time zone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from gridwatch.filters import Filters
from gridwatch.geo.layers import Region
from gridwatch.store import models as m
from gridwatch.store.db import data_version

COLOURS = m.COLOURS
LEVELS = m.CONTROL_LEVELS


@dataclass(frozen=True, eq=False)
class Frames:
    """A read-only snapshot of the store's history at one data version."""

    version: int
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
    # and die with the snapshot, so a new data version never keeps old snapshots alive.
    derived: dict = field(default_factory=dict, repr=False)

    def memo(self, key, compute):
        """``compute()`` once per ``key`` for this snapshot (at most 64 results are kept)."""
        if key not in self.derived:
            if len(self.derived) >= 64:
                self.derived.pop(next(iter(self.derived)))
            self.derived[key] = compute()
        return self.derived[key]

    @property
    def first_day(self) -> date:
        return _min_day(self.risk["observed_at"], self.checkpoint_counts["hour_start"])

    @property
    def last_day(self) -> date:
        """The latest day with any record: the default as-of date."""
        days = [s.max() for s in (self.risk["observed_at"], self.checkpoint_counts["hour_start"],
                                  self.leads["reported_at"], self.assignments["issued_at"])
                if len(s)]
        return max(days).date() if days else date.today()


def _min_day(*series: pd.Series) -> date:
    days = [s.min() for s in series if len(s)]
    return min(days).date() if days else date.today()


_TABLES = {
    "risk": (m.RiskAssessment, ["observed_at", "recorded_at"]),
    "levels": (m.ControlLevelChange, ["effective_at"]),
    "directives": (m.Directive, ["issued_at"]),
    "tasks": (m.Task, ["issued_at", "due_at"]),
    "assignments": (m.TaskAssignment, ["issued_at", "due_at", "acknowledged_at", "completed_at"]),
    "checkpoint_counts": (m.CheckpointCount, ["hour_start"]),
    "leads": (m.Lead, ["reported_at", "acknowledged_at", "escalated_at", "dispatched_at",
                       "closed_at"]),
    "rings": (m.RingCount, []),
    "proxy": (m.ProxyRequest, ["requested_at", "delivered_at"]),
    "inspection_teams": (m.InspectionTeam, []),
    "inspection_cases": (m.InspectionCase, ["opened_at"]),
}


_LOAD_LOCK = threading.Lock()


def load_frames(engine: Engine, tz: str) -> Frames:
    """The snapshot for the store's current data version (read once per version).

    Concurrent requests right after a write wait for one read instead of each reading.
    """
    version = data_version(engine)
    with _LOAD_LOCK:
        return _load_frames(engine, tz, version)


@lru_cache(maxsize=1)
def _load_frames(engine: Engine, tz: str, version: int) -> Frames:
    frames = {}
    with engine.connect() as conn:
        for name, (model, time_columns) in _TABLES.items():
            df = pd.read_sql(select(model.__table__).order_by(model.__table__.c.id), conn)
            for col in time_columns:
                df[col] = (pd.to_datetime(df[col]).dt.tz_localize("UTC").dt.tz_convert(tz)
                           .dt.tz_localize(None))
            frames[name] = df
    frames["rings"]["day"] = pd.to_datetime(frames["rings"]["day"]).dt.date
    frames["risk"] = frames["risk"].sort_values(["observed_at", "id"], kind="stable")
    return Frames(version=version, **frames)


def cutoff(day: date) -> datetime:
    """The first instant after ``day`` (local): records before it count as of ``day``."""
    return datetime.combine(day + timedelta(days=1), time())


# --- the state of grids and townships on a day -------------------------------------------------

def township_levels(frames: Frames, region: Region, day: date) -> pd.Series:
    """Each township's control level at the end of ``day`` (3 where none was ever set)."""
    lv = frames.levels[frames.levels["effective_at"] < cutoff(day)]
    current = lv.sort_values(["effective_at", "id"]).groupby("township_code")["level"].last()
    return current.reindex(region.townships["code"]).fillna(3).astype(int)


def colour_matrix(frames: Frames, region: Region) -> pd.DataFrame:
    """Grid × day colour index (0 red … 4 green) over the whole history, forward filled.

    Grids never assessed by a day are -1 on that day.
    """
    return frames.memo(("colours", id(region)), lambda: _colour_matrix(frames, region))


def _colour_matrix(frames: Frames, region: Region) -> pd.DataFrame:
    days = pd.Index(_day_range(frames.first_day, frames.last_day), name="day")
    grid_codes = region.grids["code"].sort_values().to_numpy()
    risk = frames.risk.assign(day=frames.risk["observed_at"].dt.date,
                              idx=frames.risk["colour"].map({c: i for i, c in enumerate(COLOURS)}))
    last = risk.groupby(["grid_code", "day"])["idx"].last().unstack("day")
    matrix = last.reindex(index=grid_codes, columns=days).ffill(axis=1).fillna(-1).astype(int)
    return matrix


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def grid_status(frames: Frames, region: Region, day: date) -> pd.DataFrame:
    """Every grid on ``day``: colour, since when, yesterday's colour, township level.

    Cached per snapshot and day; callers must not modify the frame they get.

    Returns a frame indexed by grid code with columns ``colour``, ``since`` (local time the
    current colour was first observed), ``previous_colour`` (end of the day before),
    ``township_code``, ``village_code``, ``level``.
    """
    before = frames.risk[frames.risk["observed_at"] < cutoff(day)]
    grids = region.grids.set_index("code").sort_index()
    if len(before):
        ordered = before.sort_values(["grid_code", "observed_at", "id"], kind="stable")
        grid, colour_seq = ordered["grid_code"], ordered["colour"]
        run = ((grid != grid.shift()) | (colour_seq != colour_seq.shift())).cumsum()
        current = ordered[run == run.groupby(grid).transform("max")]
        colour = current.groupby("grid_code")["colour"].last().reindex(grids.index)
        since = current.groupby("grid_code")["observed_at"].min().reindex(grids.index)
    else:
        colour = pd.Series(None, index=grids.index, dtype=object)
        since = pd.Series(pd.NaT, index=grids.index)
    prev = frames.risk[frames.risk["observed_at"] < cutoff(day - timedelta(days=1))]
    previous = prev.groupby("grid_code")["colour"].last().reindex(grids.index)
    levels = township_levels(frames, region, day)
    return pd.DataFrame({
        "colour": colour, "since": since, "previous_colour": previous,
        "township_code": grids["township_code"], "village_code": grids["village_code"],
        "level": grids["township_code"].map(levels).astype(int),
    })


def select_grids(status: pd.DataFrame, filters: Filters) -> pd.Series:
    """A boolean mask over ``status`` rows: the grids the filters keep."""
    keep = pd.Series(True, index=status.index)
    if filters.levels:
        keep &= status["level"].isin(filters.levels)
    if filters.townships:
        keep &= status["township_code"].isin(filters.townships)
    if filters.colours:
        keep &= status["colour"].isin(filters.colours)
    return keep


def selected_townships(region: Region, levels: pd.Series, filters: Filters) -> list[str]:
    """Townships the township and level filters keep (the colour filter does not apply)."""
    codes = region.townships["code"]
    keep = (codes.isin(filters.townships) if filters.townships
            else pd.Series(True, index=codes.index))
    if filters.levels:
        keep &= codes.map(levels).isin(filters.levels)
    return sorted(codes[keep])


# --- KPIs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpis:
    """The figures on the KPI tiles, for one day and one filter."""

    day: date
    colour_counts: dict[str, int]
    colour_deltas: dict[str, int]
    level_counts: dict[int, int]
    tasks_issued: int
    tasks_completed: int
    tasks_overdue: int
    tasks_issued_today: int
    response_rate: float | None
    checkpoint_vehicles: int
    checkpoint_people: int
    checkpoint_flagged: int
    open_leads: int
    oldest_open_lead_minutes: float | None
    median_close_minutes: float | None
    home_isolation: int
    grids_selected: int


def compute_kpis(frames: Frames, region: Region, filters: Filters) -> Kpis:
    """All KPI figures for ``filters`` (its ``as_of`` day must be set)."""
    day = filters.as_of
    status = grid_status(frames, region, day)
    mask = select_grids(status, filters)
    chosen = status[mask]
    counts = chosen["colour"].value_counts()
    prev_status = status.assign(colour=status["previous_colour"])
    prev_mask = select_grids(prev_status, filters)
    prev_counts = prev_status[prev_mask]["colour"].value_counts()
    colour_counts = {c: int(counts.get(c, 0)) for c in COLOURS}
    deltas = {c: colour_counts[c] - int(prev_counts.get(c, 0)) for c in COLOURS}

    levels = township_levels(frames, region, day)
    towns = selected_townships(region, levels, filters)
    level_counts = {lv: int((levels.reindex(towns) == lv).sum()) for lv in LEVELS}

    grid_codes = set(chosen.index)
    tasks = task_summary(frames, grid_codes, day)
    cp = checkpoint_day_totals(frames, region, towns, day)
    leads = lead_summary(frames, grid_codes, day)
    rings = frames.rings[(frames.rings["day"] == day) & frames.rings["grid_code"].isin(grid_codes)]
    return Kpis(
        day=day, colour_counts=colour_counts, colour_deltas=deltas, level_counts=level_counts,
        **tasks, checkpoint_vehicles=cp["vehicles"], checkpoint_people=cp["people"],
        checkpoint_flagged=cp["flagged"], **leads,
        home_isolation=int(rings["home_isolation"].sum()), grids_selected=int(mask.sum()),
    )


def task_summary(frames: Frames, grid_codes: set[str], day: date) -> dict:
    """Tasks that reached ``grid_codes`` by the end of ``day``.

    A task counts as completed when every one of its assignments to these grids is completed,
    overdue when any of them is past due and not completed. The response rate is the share of
    assignments acknowledged.
    """
    end = cutoff(day)
    a = frames.assignments
    a = a[a["grid_code"].isin(grid_codes) & (a["issued_at"] < end)]
    done = a["completed_at"].notna() & (a["completed_at"] < end)
    overdue = ~done & (a["due_at"] < end)
    acked = a["acknowledged_at"].notna() & (a["acknowledged_at"] < end)
    per_task = pd.DataFrame({"task_id": a["task_id"], "done": done, "overdue": overdue})
    by_task = per_task.groupby("task_id").agg(done=("done", "all"), overdue=("overdue", "any"))
    today = a[a["issued_at"] >= end - timedelta(days=1)]["task_id"].nunique()
    return {
        "tasks_issued": len(by_task),
        "tasks_completed": int(by_task["done"].sum()),
        "tasks_overdue": int(by_task["overdue"].sum()),
        "tasks_issued_today": int(today),
        "response_rate": float(acked.mean()) if len(a) else None,
    }


def lead_summary(frames: Frames, grid_codes: set[str], day: date) -> dict:
    """Open leads at the end of ``day``, the oldest one's age, and the median time to close
    of leads closed in the seven days up to ``day``."""
    end = cutoff(day)
    leads = frames.leads[frames.leads["grid_code"].isin(grid_codes)
                         & (frames.leads["reported_at"] < end)]
    closed_by_end = leads["closed_at"].notna() & (leads["closed_at"] < end)
    open_leads = leads[~closed_by_end]
    recent = leads[closed_by_end & (leads["closed_at"] >= end - timedelta(days=7))]
    minutes = (recent["closed_at"] - recent["reported_at"]).dt.total_seconds() / 60
    oldest = (end - open_leads["reported_at"].min()).total_seconds() / 60 if len(open_leads) \
        else None
    return {
        "open_leads": len(open_leads),
        "oldest_open_lead_minutes": oldest,
        "median_close_minutes": float(minutes.median()) if len(minutes) else None,
    }


def checkpoints_in(region: Region, townships: list[str]) -> list[str]:
    cps = region.checkpoints
    return sorted(cps.loc[cps["township_code"].isin(townships), "code"])


def checkpoint_day_totals(frames: Frames, region: Region, townships: list[str],
                          day: date) -> dict[str, int]:
    """Vehicles, people and flagged people at the townships' checkpoints on ``day``."""
    c = frames.checkpoint_counts
    end = cutoff(day)
    rows = c[c["checkpoint_code"].isin(checkpoints_in(region, townships))
             & (c["hour_start"] >= end - timedelta(days=1)) & (c["hour_start"] < end)]
    return {k: int(rows[k].sum()) for k in ("vehicles", "people", "flagged", "qr_registrations")}


def checkpoint_throughput_on(frames: Frames, region: Region, day: date) -> pd.DataFrame:
    """Per checkpoint: vehicles and people on ``day`` (every checkpoint, zero when silent)."""
    c = frames.checkpoint_counts
    rows = c[(c["hour_start"] >= cutoff(day) - timedelta(days=1)) & (c["hour_start"] < cutoff(day))]
    sums = rows.groupby("checkpoint_code")[["vehicles", "people", "flagged"]].sum()
    return sums.reindex(region.checkpoints["code"]).fillna(0).astype(int)


# --- chart series ------------------------------------------------------------------------------

def task_completion_by_township(frames: Frames, region: Region, filters: Filters) -> pd.DataFrame:
    """Per township: assignments completed on time, completed late, open, overdue (by as-of)."""
    status = grid_status(frames, region, filters.as_of)
    grid_codes = set(status.index[select_grids(status, filters)])
    end = cutoff(filters.as_of)
    a = frames.assignments
    a = a[a["grid_code"].isin(grid_codes) & (a["issued_at"] < end)]
    done = a["completed_at"].notna() & (a["completed_at"] < end)
    on_time = done & (a["completed_at"] <= a["due_at"])
    overdue = ~done & (a["due_at"] < end)
    state = np.select([on_time, done, overdue], ["on_time", "late", "overdue"], "open")
    table = pd.crosstab(a["township_code"], state)
    towns = sorted(set(status.loc[list(grid_codes), "township_code"])) if grid_codes else []
    table = table.reindex(index=towns, columns=["on_time", "late", "open", "overdue"]).fillna(0)
    return table.astype(int)


def checkpoint_series(frames: Frames, region: Region, filters: Filters,
                      checkpoint: str | None = None) -> pd.DataFrame:
    """Daily vehicles, people, QR registrations and flagged people up to the as-of day, summed
    over the filtered townships' checkpoints or for one ``checkpoint``."""
    levels = township_levels(frames, region, filters.as_of)
    codes = checkpoints_in(region, selected_townships(region, levels, filters))
    if checkpoint:
        codes = [c for c in codes if c == checkpoint]
    c = frames.checkpoint_counts
    rows = c[c["checkpoint_code"].isin(codes) & (c["hour_start"] < cutoff(filters.as_of))]
    days = pd.Index(_day_range(frames.first_day, filters.as_of), name="day")
    daily = rows.assign(day=rows["hour_start"].dt.date).groupby("day")[
        ["vehicles", "people", "qr_registrations", "flagged"]].sum()
    return daily.reindex(days).fillna(0).astype(int)


def colour_composition(frames: Frames, region: Region, filters: Filters) -> pd.DataFrame:
    """Grids per colour per day up to the as-of day, for the grids the township and level
    filters keep (as of the as-of day); colours outside the colour filter are left out."""
    matrix = colour_matrix(frames, region)
    status = grid_status(frames, region, filters.as_of)
    spatial = select_grids(status, Filters(levels=filters.levels, townships=filters.townships))
    sub = matrix.loc[status.index[spatial], [d for d in matrix.columns if d <= filters.as_of]]
    counts = {c: (sub == i).sum(axis=0) for i, c in enumerate(COLOURS)
              if not filters.colours or c in filters.colours}
    return pd.DataFrame(counts).rename_axis("day")


# --- the grid table and a grid's detail --------------------------------------------------------

def grid_table(frames: Frames, region: Region, filters: Filters) -> pd.DataFrame:
    """The filtered grids with their figures on the as-of day, most urgent first."""
    day = filters.as_of
    status = grid_status(frames, region, day)
    status = status[select_grids(status, filters)]
    info = region.grid_table.set_index("code").loc[status.index]
    end = cutoff(day)
    rings = frames.rings[frames.rings["day"] == day].set_index("grid_code")
    arrivals = frames.rings[frames.rings["day"] <= day].groupby("grid_code")[
        "arrivals_high_risk"].sum()
    a = frames.assignments[frames.assignments["issued_at"] < end]
    done = a["completed_at"].notna() & (a["completed_at"] < end)
    open_tasks = a[~done].groupby("grid_code").size()
    overdue = a[~done & (a["due_at"] < end)].groupby("grid_code").size()
    leads = frames.leads[frames.leads["reported_at"] < end]
    lead_open = leads[~(leads["closed_at"].notna() & (leads["closed_at"] < end))]
    table = pd.DataFrame({
        "code": status.index,
        "name_zh": info["name_zh"], "name_en": info["name_en"],
        "village_zh": info["village_zh"], "village_en": info["village_en"],
        "township_code": status["township_code"],
        "township_zh": info["township_zh"], "township_en": info["township_en"],
        "level": status["level"], "colour": status["colour"],
        "since": status["since"].dt.strftime("%Y-%m-%d %H:%M"),
        "population": info["population"].astype(int), "households": info["households"].astype(int),
        "home_isolation": rings["home_isolation"].reindex(status.index).fillna(0).astype(int),
        "arrivals_total": arrivals.reindex(status.index).fillna(0).astype(int),
        "open_tasks": open_tasks.reindex(status.index).fillna(0).astype(int),
        "overdue_tasks": overdue.reindex(status.index).fillna(0).astype(int),
        "leads_total": leads.groupby("grid_code").size().reindex(status.index).fillna(0)
        .astype(int),
        "open_leads": lead_open.groupby("grid_code").size().reindex(status.index).fillna(0)
        .astype(int),
    })
    table = table.reset_index(drop=True)
    rank = table["colour"].map({c: i for i, c in enumerate(COLOURS)}).fillna(9)
    table = table.assign(_rank=rank).sort_values(["_rank", "overdue_tasks", "code"],
                                                 ascending=[True, False, True])
    return table.drop(columns="_rank").reset_index(drop=True)


@dataclass(frozen=True)
class GridDetail:
    code: str
    info: dict
    history: pd.DataFrame
    tasks: pd.DataFrame
    leads: pd.DataFrame


def grid_detail(frames: Frames, region: Region, code: str, day: date) -> GridDetail | None:
    """One grid's colour history, tasks and leads up to the end of ``day``."""
    table = region.grid_table.set_index("code")
    if code not in table.index:
        return None
    end = cutoff(day)
    history = frames.risk[(frames.risk["grid_code"] == code) & (frames.risk["observed_at"] < end)]
    a = frames.assignments[(frames.assignments["grid_code"] == code)
                           & (frames.assignments["issued_at"] < end)]
    tasks = a.merge(frames.tasks[["id", "code", "title_zh", "title_en"]], left_on="task_id",
                    right_on="id", suffixes=("", "_task"))
    leads = frames.leads[(frames.leads["grid_code"] == code) & (frames.leads["reported_at"] < end)]
    return GridDetail(
        code=code, info=table.loc[code].to_dict(),
        history=history[["observed_at", "colour", "source", "note"]].iloc[::-1],
        tasks=tasks.sort_values("issued_at", ascending=False),
        leads=leads.sort_values("reported_at", ascending=False),
    )


# --- the article's figures ---------------------------------------------------------------------

def headline_figures(frames: Frames, region: Region) -> dict[str, int | float]:
    """The figures the article reports, computed from the data.

    Platform events are every task assignment, lead and red-proxy request that went through
    the platform.
    """
    a = frames.assignments
    d = frames.directives
    cases = frames.inspection_cases
    complete = a.groupby("task_id")["completed_at"].apply(lambda s: s.notna().all())
    return {
        "townships": len(region.townships), "villages": len(region.villages),
        "grids": len(region.grids),
        "orders": int((d["kind"] == "order").sum()), "notices": int((d["kind"] == "notice").sum()),
        "tasks": len(frames.tasks), "tasks_completed": int(complete.sum()),
        "platform_events": len(a) + len(frames.leads) + len(frames.proxy),
        "grid_response_rate": float(a["acknowledged_at"].notna().mean()) if len(a) else 0.0,
        "proxy_home_visits": int(frames.proxy["delivered_at"].notna().sum()),
        "inspection_teams": len(frames.inspection_teams),
        "failure_cases": len(cases), "failure_people": int(cases["people_involved"].sum()),
        "publicised_cases": int(cases["publicised"].sum()),
        "publicised_people": int(cases.loc[cases["publicised"].astype(bool),
                                           "people_involved"].sum()),
    }


# --- the wall: what changed, what needs attention, what just happened -------------------------

def colour_changes(frames: Frames, region: Region, day: date) -> pd.DataFrame:
    """Grids whose colour at the end of ``day`` differs from the end of the day before.

    Columns: ``code``, ``township_code``, ``before``, ``after``, ``direction`` (+1 riskier,
    -1 safer) and ``at`` (when the new colour was observed); riskier changes first.
    """
    status = grid_status(frames, region, day)
    changed = status[status["colour"].notna() & (status["colour"] != status["previous_colour"])]
    rank = {c: i for i, c in enumerate(COLOURS)}
    before = changed["previous_colour"].map(rank)
    after = changed["colour"].map(rank)
    direction = (before.fillna(len(COLOURS)) - after).map(lambda d: 1 if d > 0 else -1)
    table = pd.DataFrame({
        "code": changed.index, "township_code": changed["township_code"],
        "before": changed["previous_colour"], "after": changed["colour"],
        "direction": direction, "at": changed["since"],
    }).reset_index(drop=True)
    return table.sort_values(["direction", "at"], ascending=[False, False]).reset_index(drop=True)


@dataclass(frozen=True)
class TownshipAttention:
    """Why a township needs attention on a day."""

    code: str
    red: int
    orange: int
    overdue_tasks: int
    open_leads: int
    hot_grids: list[str]
    overdue: pd.DataFrame
    leads: pd.DataFrame

    @property
    def score(self) -> int:
        return 4 * self.red + 2 * self.orange + 2 * self.overdue_tasks + 3 * self.open_leads


def attention(frames: Frames, region: Region, day: date) -> list[TownshipAttention]:
    """Townships with red or orange grids, overdue tasks or open leads; quiet ones are left
    out. Most urgent first."""
    end = cutoff(day)
    status = grid_status(frames, region, day)
    a = frames.assignments[frames.assignments["issued_at"] < end]
    done = a["completed_at"].notna() & (a["completed_at"] < end)
    overdue = a[~done & (a["due_at"] < end)].merge(
        frames.tasks[["id", "code", "title_zh", "title_en"]], left_on="task_id", right_on="id",
        suffixes=("", "_task"))
    leads = frames.leads[frames.leads["reported_at"] < end]
    leads = leads[~(leads["closed_at"].notna() & (leads["closed_at"] < end))]
    out = []
    for code in region.townships.sort_values("code")["code"]:
        grids = status[status["township_code"] == code]
        hot = grids[grids["colour"].isin(("red", "orange"))]
        late = overdue[overdue["township_code"] == code]
        open_leads = leads[leads["township_code"] == code]
        if hot.empty and late.empty and open_leads.empty:
            continue
        ranked = hot.assign(r=hot["colour"].map({"red": 0, "orange": 1})).sort_values("r")
        out.append(TownshipAttention(
            code=code, red=int((hot["colour"] == "red").sum()),
            orange=int((hot["colour"] == "orange").sum()),
            overdue_tasks=int(late["task_id"].nunique()), open_leads=len(open_leads),
            hot_grids=list(ranked.index), overdue=late, leads=open_leads))
    return sorted(out, key=lambda t: (-t.score, t.code))


def latest_events(frames: Frames, day: date, limit: int = 12) -> pd.DataFrame:
    """The newest orders, notices and leads up to the end of ``day``, newest first.

    Columns: ``at``, ``kind`` (order | notice | lead), ``title_zh``, ``title_en``, ``ref``.
    """
    end = cutoff(day)
    d = frames.directives[frames.directives["issued_at"] < end]
    directives = pd.DataFrame({"at": d["issued_at"], "kind": d["kind"],
                               "title_zh": d["title_zh"], "title_en": d["title_en"],
                               "ref": d["number"].astype(str)})
    leads = frames.leads[frames.leads["reported_at"] < end]
    lead_rows = pd.DataFrame({"at": leads["reported_at"], "kind": "lead",
                              "title_zh": leads["summary_zh"], "title_en": leads["summary_en"],
                              "ref": leads["code"]})
    events = pd.concat([directives, lead_rows], ignore_index=True)
    return events.sort_values("at", ascending=False).head(limit).reset_index(drop=True)


def tasks_on_day(frames: Frames, day: date) -> dict:
    """Tasks issued on ``day``: how many, how many fully completed by its end, and the share
    of their grid assignments acknowledged."""
    end = cutoff(day)
    a = frames.assignments
    a = a[(a["issued_at"] >= end - timedelta(days=1)) & (a["issued_at"] < end)]
    done = a["completed_at"].notna() & (a["completed_at"] < end)
    acked = a["acknowledged_at"].notna() & (a["acknowledged_at"] < end)
    by_task = pd.DataFrame({"task_id": a["task_id"], "done": done}).groupby("task_id")["done"]
    return {"issued": int(a["task_id"].nunique()), "completed": int(by_task.all().sum()),
            "response_rate": float(acked.mean()) if len(a) else None}
