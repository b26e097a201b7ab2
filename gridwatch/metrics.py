"""Figures derived from the store's history: the current picture, KPIs and chart series.

Every function here is a pure computation on a ``Snapshot`` (the store's tables and the region
at one data version) and a ``Filters`` value. Times are naive local times in the county's time
zone. Each domain rule (when a task is done or overdue, when a lead is closed, what a grid's
colour is on a day) is one function below that every consumer calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from gridwatch.filters import Filters
from gridwatch.geo.layers import Region
from gridwatch.snapshot import Snapshot
from gridwatch.store import models as m
from gridwatch.timeutil import cutoff

COLOURS = m.COLOURS
LEVELS = m.CONTROL_LEVELS
RANK = m.COLOUR_RANK


# --- the state of tasks and leads at an instant ----------------------------------------------

TASK_STATES = ("on_time", "late", "open", "overdue")
"""An assignment at an instant: completed by its due time, completed after it, not completed
and not yet due, not completed and past due."""


def happened_by(moments: pd.Series, instant: datetime) -> pd.Series:
    """Whether each (possibly missing) moment came before ``instant``."""
    return moments.notna() & (moments < instant)


def assignment_done(assignments: pd.DataFrame, instant: datetime) -> pd.Series:
    """Whether each task assignment was completed before ``instant``."""
    return happened_by(assignments["completed_at"], instant)


def assignment_overdue(assignments: pd.DataFrame, instant: datetime) -> pd.Series:
    """Whether each task assignment is past due and not completed at ``instant``."""
    return ~assignment_done(assignments, instant) & (assignments["due_at"] < instant)


def assignment_states(assignments: pd.DataFrame, instant: datetime) -> pd.Series:
    """Each task assignment's state at ``instant``: one of ``TASK_STATES``."""
    done = assignment_done(assignments, instant)
    on_time = done & (assignments["completed_at"] <= assignments["due_at"])
    overdue = assignment_overdue(assignments, instant)
    return pd.Series(np.select([on_time, done, overdue], ["on_time", "late", "overdue"], "open"),
                     index=assignments.index, dtype=object)


def issued_by(assignments: pd.DataFrame, instant: datetime) -> pd.DataFrame:
    """The assignments issued before ``instant``."""
    return assignments[assignments["issued_at"] < instant]


def lead_closed(leads: pd.DataFrame, instant: datetime) -> pd.Series:
    """Whether each lead was closed before ``instant``."""
    return happened_by(leads["closed_at"], instant)


def open_leads_at(leads: pd.DataFrame, instant: datetime) -> pd.DataFrame:
    """The leads reported before ``instant`` and not closed by then."""
    reported = leads[leads["reported_at"] < instant]
    return reported[~lead_closed(reported, instant)]


def with_task_titles(assignments: pd.DataFrame, snap: Snapshot) -> pd.DataFrame:
    """Assignments with their task's ``code``, ``title_zh`` and ``title_en``."""
    return assignments.merge(snap.tasks[["id", "code", "title_zh", "title_en"]],
                             left_on="task_id", right_on="id", suffixes=("", "_task"))


# --- the state of grids and townships on a day -------------------------------------------------

def township_levels(snap: Snapshot, day: date) -> pd.Series:
    """Each township's control level at the end of ``day`` (``DEFAULT_CONTROL_LEVEL`` where
    none was ever set); computed once per snapshot and day (callers do not change it)."""
    return snap.memo(("township_levels", day), lambda: _township_levels(snap, day), as_of=day)


def _township_levels(snap: Snapshot, day: date) -> pd.Series:
    lv = snap.levels[snap.levels["effective_at"] < cutoff(day)]
    current = lv.sort_values(["effective_at", "id"]).groupby("township_code")["level"].last()
    towns = snap.region.townships["code"]
    return current.reindex(towns).fillna(m.DEFAULT_CONTROL_LEVEL).astype(int)


def colour_matrix(snap: Snapshot) -> pd.DataFrame:
    """Grid × day colour index (0 red … 4 green) over the whole history, forward filled.

    Grids never assessed by a day are -1 on that day.
    """
    return snap.memo(("colours",), lambda: _colour_matrix(snap))


def _colour_matrix(snap: Snapshot) -> pd.DataFrame:
    days = pd.Index(_day_range(snap.first_day, snap.last_day), name="day")
    grid_codes = snap.region.grids["code"].sort_values().to_numpy()
    risk = snap.risk.assign(day=snap.risk["observed_at"].dt.date,
                              idx=snap.risk["colour"].map(RANK))
    last = risk.groupby(["grid_code", "day"])["idx"].last().unstack("day")
    matrix = last.reindex(index=grid_codes, columns=days).ffill(axis=1).fillna(-1).astype(int)
    return matrix


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def grid_status(snap: Snapshot, day: date) -> pd.DataFrame:
    """Every grid on ``day``: colour, since when, yesterday's colour, township level.

    Cached per snapshot and day; callers must not modify the frame they get.

    Returns a frame indexed by grid code (sorted) with columns ``colour``, ``since`` (local
    time the current colour was first observed), ``previous_colour`` (end of the day before),
    ``township_code``, ``village_code``, ``level``.
    """
    return snap.memo(("grid_status", day), lambda: _grid_status(snap, day), as_of=day)


def _grid_status(snap: Snapshot, day: date) -> pd.DataFrame:
    before = snap.risk[snap.risk["observed_at"] < cutoff(day)]
    grids = snap.region.grids.set_index("code").sort_index()
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
    prev = snap.risk[snap.risk["observed_at"] < cutoff(day - timedelta(days=1))]
    previous = prev.groupby("grid_code")["colour"].last().reindex(grids.index)
    levels = township_levels(snap, day)
    return pd.DataFrame({
        "colour": colour, "since": since, "previous_colour": previous,
        "township_code": grids["township_code"], "village_code": grids["village_code"],
        "level": grids["township_code"].map(levels).astype(int),
    })


def colour_ranks(status: pd.DataFrame) -> np.ndarray:
    """Per row of ``status`` (``grid_status``): its colour's index in ``COLOURS`` (0 red …
    4 green), -1 when the grid was never assessed."""
    return status["colour"].map(RANK).fillna(-1).astype(int).to_numpy()


def select_grids(status: pd.DataFrame, filters: Filters, colour: str = "colour") -> pd.Series:
    """A boolean mask over ``status`` rows: the grids the filters keep (the colour filter
    applied to the ``colour`` column: ``previous_colour`` for the day before)."""
    keep = np.ones(len(status), dtype=bool)
    for column, chosen in (("level", filters.levels), ("township_code", filters.townships),
                           (colour, filters.colours)):
        if chosen:
            keep &= status[column].isin(chosen).to_numpy()
    return pd.Series(keep, index=status.index)


def kept_grids(snap: Snapshot, filters: Filters, on: str = "status",
               colour: str = "colour") -> pd.Series:
    """``select_grids`` over the day's ``grid_status`` (``on="status"``, grid-code order) or
    ``grid_figures`` (``on="figures"``, most urgent first), computed once per snapshot, day
    and filter: every callback of one filter change asks for it."""
    day = filters.as_of
    key = ("kept", filters, on, colour)
    if on == "status":
        return snap.memo(key, lambda: select_grids(grid_status(snap, day), filters,
                                                   colour=colour), as_of=day)

    def on_figures() -> pd.Series:  # the same grids as on the status, in the figures' order
        figures = grid_figures(snap, day)
        order = snap.memo(("figures_order", day), lambda: grid_status(snap, day).index
                          .get_indexer(figures["code"]), as_of=day)
        kept = kept_grids(snap, filters, colour=colour).to_numpy()
        return pd.Series(kept[order], index=figures.index)
    return snap.memo(key, on_figures, as_of=day)


def selected_townships(region: Region, levels: pd.Series, filters: Filters) -> list[str]:
    """Townships the township and level filters keep (the colour filter does not apply)."""
    chosen = set(filters.townships)
    level_of = levels.to_dict() if filters.levels else {}
    return sorted(code for code in region.townships["code"]
                  if (not chosen or code in chosen)
                  and (not filters.levels or level_of.get(code) in filters.levels))


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


def compute_kpis(snap: Snapshot, filters: Filters) -> Kpis:
    """All KPI figures for ``filters`` (its ``as_of`` day must be set), once per snapshot,
    day and filter."""
    return snap.memo(("kpis", filters), lambda: _compute_kpis(snap, filters),
                     as_of=filters.as_of)


def _compute_kpis(snap: Snapshot, filters: Filters) -> Kpis:
    day = filters.as_of
    status = grid_status(snap, day)
    mask = kept_grids(snap, filters)
    prev_mask = kept_grids(snap, filters, colour="previous_colour")

    def per_colour(column: str, keep: pd.Series) -> np.ndarray:
        ranks = status[column].map(RANK).fillna(-1).astype(int).to_numpy()[keep.to_numpy()]
        return np.bincount(ranks[ranks >= 0], minlength=len(COLOURS))

    now, before = per_colour("colour", mask), per_colour("previous_colour", prev_mask)
    colour_counts = {c: int(now[i]) for i, c in enumerate(COLOURS)}
    deltas = {c: int(now[i] - before[i]) for i, c in enumerate(COLOURS)}

    levels = township_levels(snap, day)
    towns = selected_townships(snap.region, levels, filters)
    chosen_levels = levels.reindex(towns).to_numpy()
    level_counts = {lv: int((chosen_levels == lv).sum()) for lv in LEVELS}

    grid_codes = set(status.index[mask.to_numpy()])
    tasks = task_summary(snap, grid_codes, day)
    cp = checkpoint_day_totals(snap, towns, day)
    leads = lead_summary(snap, grid_codes, day)
    figures = grid_figures(snap, day)
    home_isolation = figures["home_isolation"].to_numpy()[
        kept_grids(snap, filters, on="figures").to_numpy()].sum()
    return Kpis(
        day=day, colour_counts=colour_counts, colour_deltas=deltas, level_counts=level_counts,
        **tasks, checkpoint_vehicles=cp["vehicles"], checkpoint_people=cp["people"],
        checkpoint_flagged=cp["flagged"], **leads,
        home_isolation=int(home_isolation), grids_selected=int(mask.sum()),
    )


def assignments_at(snap: Snapshot, day: date) -> pd.DataFrame:
    """The task assignments issued by the end of ``day``, each with its ``state`` (one of
    ``TASK_STATES``) and whether it was ``done``, ``overdue`` and ``acked`` (acknowledged)
    by then and issued on the day itself (``today``); cached per snapshot and day."""
    return snap.memo(("assignments_at", day), lambda: _assignments_at(snap, day), as_of=day)


def _assignments_at(snap: Snapshot, day: date) -> pd.DataFrame:
    end = cutoff(day)
    a = issued_by(snap.assignments, end)
    return pd.DataFrame({
        "task_id": a["task_id"], "grid_code": a["grid_code"],
        "township_code": a["township_code"], "state": assignment_states(a, end),
        "done": assignment_done(a, end), "overdue": assignment_overdue(a, end),
        "acked": happened_by(a["acknowledged_at"], end),
        "today": a["issued_at"] >= end - timedelta(days=1),
    })


def task_summary(snap: Snapshot, grid_codes: set[str], day: date) -> dict:
    """Tasks that reached ``grid_codes`` by the end of ``day``.

    A task counts as completed when every one of its assignments to these grids is completed,
    overdue when any of them is past due and not completed. The response rate is the share of
    assignments acknowledged.
    """
    a = assignments_at(snap, day)
    keep = a["grid_code"].isin(grid_codes).to_numpy()
    tasks, _ = pd.factorize(a["task_id"])

    def distinct(rows: np.ndarray) -> int:  # tasks among the assignments ``rows``
        return int(np.count_nonzero(np.bincount(tasks[rows], minlength=1)))

    issued = distinct(keep)
    return {
        "tasks_issued": issued,
        "tasks_completed": issued - distinct(keep & ~a["done"].to_numpy()),
        "tasks_overdue": distinct(keep & a["overdue"].to_numpy()),
        "tasks_issued_today": distinct(keep & a["today"].to_numpy()),
        "response_rate": float(a["acked"].to_numpy()[keep].mean()) if keep.any() else None,
    }


def lead_summary(snap: Snapshot, grid_codes: set[str], day: date) -> dict:
    """Open leads at the end of ``day``, the oldest one's age, and the median time to close
    of leads closed in the seven days up to ``day``."""
    leads = leads_at(snap, day)
    keep = leads["grid_code"].isin(grid_codes).to_numpy()
    ages = leads["age_minutes"].to_numpy(dtype=float)[keep & leads["open"].to_numpy()]
    minutes = leads["close_minutes"].to_numpy(dtype=float)[keep]
    minutes = minutes[~np.isnan(minutes)]
    return {
        "open_leads": int(ages.size),
        "oldest_open_lead_minutes": float(ages.max()) if ages.size else None,
        "median_close_minutes": float(np.median(minutes)) if minutes.size else None,
    }


def leads_at(snap: Snapshot, day: date) -> pd.DataFrame:
    """The leads reported by the end of ``day``: whether each is still ``open`` then, its
    ``age_minutes`` at the end of the day, and for one closed in the seven days up to it
    ``close_minutes`` (report to close; missing otherwise); cached per snapshot and day."""
    return snap.memo(("leads_at", day), lambda: _leads_at(snap, day), as_of=day)


def _leads_at(snap: Snapshot, day: date) -> pd.DataFrame:
    end = cutoff(day)
    leads = snap.leads[snap.leads["reported_at"] < end]
    closed = lead_closed(leads, end)
    recent = closed & (leads["closed_at"] >= end - timedelta(days=7))
    minutes = (leads["closed_at"] - leads["reported_at"]).dt.total_seconds() / 60
    return pd.DataFrame({
        "grid_code": leads["grid_code"], "open": ~closed,
        "age_minutes": (end - leads["reported_at"]).dt.total_seconds() / 60,
        "close_minutes": minutes.where(recent),
    })


def checkpoints_in(region: Region, townships: list[str]) -> list[str]:
    """The checkpoints of ``townships``, by code."""
    towns = set(townships)
    cps = region.checkpoints
    return sorted(code for code, town in zip(cps["code"], cps["township_code"], strict=True)
                  if town in towns)


CHECKPOINT_MEASURES = ("vehicles", "people", "qr_registrations", "flagged")


def checkpoint_daily(snap: Snapshot) -> pd.DataFrame:
    """Each measure (``CHECKPOINT_MEASURES``) per day and checkpoint: columns are (measure,
    checkpoint code) for every checkpoint of the region, rows every day from the first to
    the last (zero when a checkpoint reported nothing); cached per snapshot."""
    return snap.memo(("checkpoint_daily",), lambda: _checkpoint_daily(snap))


def _checkpoint_daily(snap: Snapshot) -> pd.DataFrame:
    c = snap.checkpoint_counts
    sums = c.assign(day=c["hour_start"].dt.date).groupby(["day", "checkpoint_code"])[
        list(CHECKPOINT_MEASURES)].sum()
    wide = sums.unstack("checkpoint_code")
    codes = list(snap.region.checkpoints["code"])
    columns = pd.MultiIndex.from_product([CHECKPOINT_MEASURES, codes])
    days = pd.Index(_day_range(snap.first_day, snap.last_day), name="day")
    return wide.reindex(index=days, columns=columns).fillna(0).astype(int)


def _checkpoints_by_day(snap: Snapshot, codes: list[str], last: date) -> pd.DataFrame:
    """Each measure per day up to ``last``, summed over the checkpoints ``codes``."""
    daily = checkpoint_daily(snap)
    upto = daily.index <= last
    every = list(snap.region.checkpoints["code"])
    cube = daily.to_numpy().reshape(len(daily), len(CHECKPOINT_MEASURES), len(every))
    at = [every.index(c) for c in codes]
    sums = cube[upto][:, :, at].sum(axis=2)
    days = pd.Index(_day_range(snap.first_day, last), name="day")  # zero past the data
    return pd.DataFrame(sums, index=daily.index[upto], columns=list(CHECKPOINT_MEASURES)
                        ).reindex(days, fill_value=0)


def checkpoint_day_totals(snap: Snapshot, townships: list[str],
                          day: date) -> dict[str, int]:
    """Vehicles, people and flagged people at the townships' checkpoints on ``day``."""
    rows = _checkpoints_on(snap, day)
    sums = rows.loc[checkpoints_in(snap.region, townships)].sum()
    return {k: int(sums[k]) for k in CHECKPOINT_MEASURES}


def checkpoint_throughput_on(snap: Snapshot, day: date) -> pd.DataFrame:
    """Per checkpoint: vehicles and people on ``day`` (every checkpoint, zero when silent)."""
    return _checkpoints_on(snap, day)[["vehicles", "people", "flagged"]]


def _checkpoints_on(snap: Snapshot, day: date) -> pd.DataFrame:
    """Every measure per checkpoint of the region on ``day`` (cached per snapshot and day)."""
    def compute() -> pd.DataFrame:
        daily = checkpoint_daily(snap)
        codes = snap.region.checkpoints["code"]
        if day not in daily.index:
            return pd.DataFrame(0, index=codes, columns=list(CHECKPOINT_MEASURES))
        row = daily.loc[day]
        return pd.DataFrame({k: row[k].reindex(codes).to_numpy() for k in CHECKPOINT_MEASURES},
                            index=codes)
    return snap.memo(("checkpoints_on", day), compute, as_of=day)


# --- chart series ------------------------------------------------------------------------------

def task_completion_by_township(snap: Snapshot, filters: Filters) -> pd.DataFrame:
    """Per township: assignments completed on time, completed late, open, overdue (by as-of)."""
    figures = grid_figures(snap, filters.as_of)
    chosen = figures[kept_grids(snap, filters, on="figures")]
    table = chosen.groupby("township_code")[list(TASK_STATES)].sum()
    return table.sort_index().astype(int)


def checkpoint_series(snap: Snapshot, filters: Filters,
                      checkpoint: str | None = None) -> pd.DataFrame:
    """Daily vehicles, people, QR registrations and flagged people up to the as-of day, summed
    over the filtered townships' checkpoints or for one ``checkpoint``."""
    levels = township_levels(snap, filters.as_of)
    codes = checkpoints_in(snap.region, selected_townships(snap.region, levels, filters))
    if checkpoint:
        codes = [c for c in codes if c == checkpoint]
    series = _checkpoints_by_day(snap, codes, filters.as_of)
    return series[["vehicles", "people", "qr_registrations", "flagged"]]


def colour_composition(snap: Snapshot, filters: Filters) -> pd.DataFrame:
    """Grids per colour per day up to the as-of day, for the grids the township and level
    filters keep (as of the as-of day); colours outside the colour filter are left out."""
    matrix = colour_matrix(snap)
    spatial = kept_grids(snap, Filters(levels=filters.levels, townships=filters.townships,
                                       as_of=filters.as_of))
    rows = spatial.reindex(matrix.index, fill_value=False).to_numpy()
    upto = matrix.columns <= filters.as_of
    sub = matrix.to_numpy()[np.ix_(rows, upto)]
    counts = {c: (sub == i).sum(axis=0) for i, c in enumerate(COLOURS)
              if not filters.colours or c in filters.colours}
    return pd.DataFrame(counts, index=matrix.columns[upto]).rename_axis("day")


# --- the grid table and a grid's detail --------------------------------------------------------

def grid_table(snap: Snapshot, filters: Filters) -> pd.DataFrame:
    """The filtered grids with their figures on the as-of day, most urgent first."""
    figures = grid_figures(snap, filters.as_of)
    kept = figures[kept_grids(snap, filters, on="figures")]
    return kept.drop(columns=list(TASK_STATES)).reset_index(drop=True)


def grid_figures(snap: Snapshot, day: date) -> pd.DataFrame:
    """Every grid's row of the grid table on ``day``, most urgent first (red before orange…,
    then most overdue tasks, then code), with its assignments per state (``TASK_STATES``
    columns); cached per snapshot and day, callers must not modify it."""
    return snap.memo(("grid_figures", day), lambda: _grid_figures(snap, day), as_of=day)


def _grid_figures(snap: Snapshot, day: date) -> pd.DataFrame:
    status = grid_status(snap, day)
    codes = status.index
    info = snap.region.grid_table.set_index("code").loc[codes]
    end = cutoff(day)

    def per_grid(values: pd.Series) -> pd.Series:
        return values.reindex(codes).fillna(0).astype(int)

    today = snap.rings[snap.rings["day"] == day]
    arrivals = snap.rings[snap.rings["day"] <= day].groupby("grid_code")[
        "arrivals_high_risk"].sum()
    a = assignments_at(snap, day)
    states = a.groupby(["grid_code", "state"]).size().unstack("state")
    states = states.reindex(index=codes, columns=list(TASK_STATES)).fillna(0).astype(int)
    leads = snap.leads[snap.leads["reported_at"] < end]
    lead_open = open_leads_at(leads, end)
    table = pd.DataFrame({
        "code": codes,
        "name_zh": info["name_zh"], "name_en": info["name_en"],
        "village_zh": info["village_zh"], "village_en": info["village_en"],
        "village_code": info["village_code"], "township_code": status["township_code"],
        "township_zh": info["township_zh"], "township_en": info["township_en"],
        "level": status["level"], "colour": status["colour"],
        "since": status["since"].dt.strftime("%Y-%m-%d %H:%M"),
        "population": info["population"].astype(int), "households": info["households"].astype(int),
        "home_isolation": per_grid(today.groupby("grid_code")["home_isolation"].sum()),
        "arrivals_total": per_grid(arrivals),
        "open_tasks": states["open"] + states["overdue"],
        "overdue_tasks": states["overdue"],
        "leads_total": per_grid(leads.groupby("grid_code").size()),
        "open_leads": per_grid(lead_open.groupby("grid_code").size()),
        **{state: states[state] for state in TASK_STATES},
    })
    table = table.reset_index(drop=True)
    rank = table["colour"].map(RANK).fillna(9)
    table = table.assign(_rank=rank).sort_values(["_rank", "overdue_tasks", "code"],
                                                 ascending=[True, False, True])
    return table.drop(columns="_rank").reset_index(drop=True)


@dataclass(frozen=True)
class GridDetail:
    """One grid up to a day: ``tasks`` carry their ``state`` (one of ``TASK_STATES``) and
    ``leads`` whether they were ``closed`` by then."""

    code: str
    info: dict
    history: pd.DataFrame
    tasks: pd.DataFrame
    leads: pd.DataFrame


def grid_detail(snap: Snapshot, code: str, day: date) -> GridDetail | None:
    """One grid's colour history, tasks and leads up to the end of ``day``."""
    table = snap.region.grid_table.set_index("code")
    if code not in table.index:
        return None
    end = cutoff(day)
    history = snap.risk[(snap.risk["grid_code"] == code) & (snap.risk["observed_at"] < end)]
    a = issued_by(snap.assignments, end)
    tasks = with_task_titles(a[a["grid_code"] == code], snap)
    tasks = tasks.assign(state=assignment_states(tasks, end))
    leads = snap.leads[(snap.leads["grid_code"] == code) & (snap.leads["reported_at"] < end)]
    leads = leads.assign(closed=lead_closed(leads, end))
    return GridDetail(
        code=code, info=table.loc[code].to_dict(),
        history=history[["observed_at", "colour", "source", "note"]].iloc[::-1],
        tasks=tasks.sort_values("issued_at", ascending=False),
        leads=leads.sort_values("reported_at", ascending=False),
    )


# --- the article's figures ---------------------------------------------------------------------

def headline_figures(snap: Snapshot, instant: datetime | None = None) -> dict[str, int | float]:
    """The figures the article reports, computed from the data: of the whole history, or of
    what had happened by ``instant`` (a task counts as completed once every grid of it has
    completed it; a case as publicised when it was opened by then and is marked so).

    Platform events are every task assignment, lead and red-proxy request that went through
    the platform.
    """
    def by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame if instant is None else frame[frame[column] < instant]

    def happened(moments: pd.Series) -> pd.Series:
        return moments.notna() if instant is None else moments.notna() & (moments < instant)

    a = by(snap.assignments, "issued_at")
    d = by(snap.directives, "issued_at")
    cases = by(snap.inspection_cases, "opened_at")
    proxy = by(snap.proxy, "requested_at")
    complete = happened(a["completed_at"]).groupby(a["task_id"]).all()
    publicised = cases["publicised"].astype(bool)
    return {
        "townships": len(snap.region.townships), "villages": len(snap.region.villages),
        "grids": len(snap.region.grids),
        "orders": int((d["kind"] == "order").sum()), "notices": int((d["kind"] == "notice").sum()),
        "tasks": len(by(snap.tasks, "issued_at")), "tasks_completed": int(complete.sum()),
        "platform_events": len(a) + len(by(snap.leads, "reported_at")) + len(proxy),
        "grid_response_rate": float(happened(a["acknowledged_at"]).mean()) if len(a) else 0.0,
        "proxy_home_visits": int(happened(proxy["delivered_at"]).sum()),
        "inspection_teams": len(snap.inspection_teams),
        "failure_cases": len(cases), "failure_people": int(cases["people_involved"].sum()),
        "publicised_cases": int(publicised.sum()),
        "publicised_people": int(cases.loc[publicised, "people_involved"].sum()),
    }


# --- the wall: what changed, what needs attention, what just happened -------------------------

def colour_changes(snap: Snapshot, day: date) -> pd.DataFrame:
    """Grids whose colour at the end of ``day`` differs from the end of the day before.

    Columns: ``code``, ``township_code``, ``before``, ``after``, ``direction`` (+1 riskier,
    -1 safer) and ``at`` (when the new colour was observed); riskier changes first.
    """
    status = grid_status(snap, day)
    changed = status[status["colour"].notna() & (status["colour"] != status["previous_colour"])]
    before = changed["previous_colour"].map(RANK)
    after = changed["colour"].map(RANK)
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


def attention(snap: Snapshot, day: date) -> list[TownshipAttention]:
    """Townships with red or orange grids, overdue tasks or open leads; quiet ones are left
    out. Most urgent first.

    Cached per snapshot and day (every wall rotation step asks); callers must not modify it.
    """
    return snap.memo(("attention", day), lambda: _attention(snap, day))


def _attention(snap: Snapshot, day: date) -> list[TownshipAttention]:
    end = cutoff(day)
    status = grid_status(snap, day)
    a = issued_by(snap.assignments, end)
    overdue = with_task_titles(a[assignment_overdue(a, end)], snap)
    leads = open_leads_at(snap.leads, end)
    out = []
    for code in snap.region.townships.sort_values("code")["code"]:
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


def latest_events(snap: Snapshot, day: date, limit: int = 12) -> pd.DataFrame:
    """The newest orders, notices and leads up to the end of ``day``, newest first.

    Columns: ``at``, ``kind`` (order | notice | lead), ``title_zh``, ``title_en``, ``ref``,
    and for leads ``category`` and ``township_code``. A lead's title is its summary, which is
    household-level: a public screen shows its category instead (``layouts.wall``).
    """
    end = cutoff(day)
    d = snap.directives[snap.directives["issued_at"] < end]
    directives = pd.DataFrame({"at": d["issued_at"], "kind": d["kind"],
                               "title_zh": d["title_zh"], "title_en": d["title_en"],
                               "ref": d["number"].astype(str), "category": None,
                               "township_code": None})
    leads = snap.leads[snap.leads["reported_at"] < end]
    lead_rows = pd.DataFrame({"at": leads["reported_at"], "kind": "lead",
                              "title_zh": leads["summary_zh"], "title_en": leads["summary_en"],
                              "ref": leads["code"], "category": leads["category"],
                              "township_code": leads["township_code"]})
    events = pd.concat([directives, lead_rows], ignore_index=True)
    return events.sort_values("at", ascending=False).head(limit).reset_index(drop=True)


def tasks_on_day(snap: Snapshot, day: date) -> dict:
    """Tasks issued on ``day``: how many, how many fully completed by its end, and the share
    of their grid assignments acknowledged."""
    end = cutoff(day)
    a = snap.assignments
    a = a[(a["issued_at"] >= end - timedelta(days=1)) & (a["issued_at"] < end)]
    done = assignment_done(a, end)
    acked = happened_by(a["acknowledged_at"], end)
    by_task = pd.DataFrame({"task_id": a["task_id"], "done": done}).groupby("task_id")["done"]
    return {"issued": int(a["task_id"].nunique()), "completed": int(by_task.all().sum()),
            "response_rate": float(acked.mean()) if len(a) else None}
