"""Special tasks from the county to the grids (平台流转、乡镇交办、网格响应), at an instant.

The county publishes a task to grids; each grid's township hands it off (交办), the grid
acknowledges (签收) and completes it. Every rule here reads the assignments as they stood at one
``instant`` (``gridwatch.timeutil.instant_for``: now while the day runs, its end once over), so
a stage recorded after the instant has not happened yet. No Dash here.

- ``stages_at``: each assignment's furthest stage, whether it is overdue, and who it waits on;
- ``funnel``: assignments per stage (published → handed off → acknowledged → completed), in
  all and per township;
- ``task_list``: the tasks that reached the given grids, most urgent first;
- ``task_grids``: one task's grids with their stage times;
- ``overdue_by_grid``: grids with assignments past due and not completed (the map's marks).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import numpy as np
import pandas as pd

from gridwatch.snapshot import Snapshot

STAGES = ("published", "handed_off", "acknowledged", "completed")
"""An assignment's stages in order; ``published`` is its ``issued_at``."""

COLUMNS = {"published": "issued_at", "handed_off": "handed_off_at",
           "acknowledged": "acknowledged_at", "completed": "completed_at"}

WAITING_ON = {"published": "township", "handed_off": "grid", "acknowledged": "grid",
              "completed": None}
"""Who must act next at each stage: the township hands off, the grid acknowledges and
completes; nobody once completed."""

TASK_STATES = ("overdue", "open", "done")
"""A task at an instant: some assignment past due and not completed; some not completed; all
completed."""


def reached(assignments: pd.DataFrame, stage: str, instant: datetime) -> pd.Series:
    """Whether each assignment had reached ``stage`` before ``instant``."""
    moments = assignments[COLUMNS[stage]]
    return moments.notna() & (moments < instant)


def stages_at(assignments: pd.DataFrame, instant: datetime,
              since: datetime | None = None) -> pd.DataFrame:
    """The assignments published before ``instant``, each with its furthest ``stage`` by then,
    ``overdue`` (past due, not completed) and ``waiting`` (``WAITING_ON`` its stage). With
    ``since`` (the start of the day shown), only those in play then: not completed before it
    (a day's work is what was open on it or done on it, not the whole history)."""
    a = assignments[assignments["issued_at"] < instant]
    if since is not None:
        a = a[~(a["completed_at"].notna() & (a["completed_at"] < since))]
    stage = np.full(len(a), STAGES[0], dtype=object)
    for name in STAGES[1:]:
        stage = np.where(reached(a, name, instant).to_numpy(), name, stage)
    done = stage == "completed"
    return a.assign(stage=stage, overdue=~done & (a["due_at"] < instant).to_numpy(),
                    waiting=[WAITING_ON[s] for s in stage])


def stages_on(snap: Snapshot, instant: datetime, since: datetime | None = None) -> pd.DataFrame:
    """``stages_at`` of the snapshot's assignments, computed once per snapshot for a day's
    end (``Snapshot.memo_at``): what the funnel, the task list and the map's overdue marks
    of every request on that day share."""
    return snap.memo_at(("task_stages", since), instant,
                        lambda: stages_at(snap.assignments, instant, since))


def _staged(assignments: pd.DataFrame, instant: datetime, since: datetime | None,
            staged: pd.DataFrame | None) -> pd.DataFrame:
    return stages_at(assignments, instant, since) if staged is None else staged


def _counts(a: pd.DataFrame, instant: datetime) -> dict[str, int]:
    return {"published": len(a), **{s: int(reached(a, s, instant).sum()) for s in STAGES[1:]},
            "overdue": int(a["overdue"].sum())}


def funnel(assignments: pd.DataFrame, grid_codes: Collection[str], instant: datetime,
           since: datetime | None = None, staged: pd.DataFrame | None = None) -> dict:
    """Assignments to ``grid_codes`` at each stage by ``instant`` (an assignment completed also
    counts as handed off and acknowledged), and how many are ``overdue``; ``since`` as in
    ``stages_at``; ``staged``: ``stages_at(assignments, instant, since)`` already computed
    (``stages_on``)."""
    a = _staged(assignments, instant, since, staged)
    return _counts(a[a["grid_code"].isin(set(grid_codes))], instant)


def funnel_by_township(assignments: pd.DataFrame, grid_codes: Collection[str],
                       instant: datetime, since: datetime | None = None,
                       staged: pd.DataFrame | None = None) -> pd.DataFrame:
    """``funnel`` per township (index: township code; columns ``STAGES`` and ``overdue``),
    townships with no assignment left out, most overdue first, then by code; ``staged`` as
    in ``funnel``."""
    a = _staged(assignments, instant, since, staged)
    a = a[a["grid_code"].isin(set(grid_codes))]
    flags = pd.DataFrame({"published": 1, **{s: reached(a, s, instant).to_numpy()
                                             for s in STAGES[1:]},
                          "overdue": a["overdue"].to_numpy()}, index=a.index)
    table = flags.groupby(a["township_code"].to_numpy()).sum().astype(int)
    table.index.name = "township_code"
    return table.sort_values("overdue", ascending=False, kind="stable") if len(table) else table


def task_list(tasks: pd.DataFrame, assignments: pd.DataFrame, grid_codes: Collection[str],
              instant: datetime, since: datetime | None = None,
              staged: pd.DataFrame | None = None) -> pd.DataFrame:
    """The tasks published before ``instant`` that reached ``grid_codes`` (those in play
    ``since``, see ``stages_at``): per task its grids, how many reached each stage, how many
    are overdue and its ``state`` (``TASK_STATES``); overdue tasks first (most overdue grids
    first), then open ones, newest first; ``staged`` as in ``funnel``."""
    a = _staged(assignments, instant, since, staged)
    a = a[a["grid_code"].isin(set(grid_codes))]
    columns = ["code", "title_zh", "title_en", "scope", "issued_at", "due_at", "grids",
               *STAGES[1:], "overdue", "state"]
    if a.empty:
        return pd.DataFrame(columns=columns)
    stage = a["stage"]
    per = pd.DataFrame({"grids": 1, "handed_off": stage.isin(STAGES[1:]).to_numpy(),
                        "acknowledged": stage.isin(STAGES[2:]).to_numpy(),
                        "completed": (stage == "completed").to_numpy(),
                        "overdue": a["overdue"].to_numpy()},
                       index=a.index).groupby(a["task_id"].to_numpy()).sum()
    out = tasks.set_index("id").join(per, how="inner").rename_axis("id")
    state = np.select([out["overdue"] > 0, out["completed"] < out["grids"]],
                      ["overdue", "open"], "done")
    out = out.assign(state=state, _rank=pd.Series(state, index=out.index).map(
        {s: i for i, s in enumerate(TASK_STATES)}))
    out = out.sort_values(["_rank", "overdue", "issued_at", "code"],
                          ascending=[True, False, False, True])
    return out.reset_index()[["id", *columns]].astype(
        {n: int for n in ("grids", *STAGES[1:], "overdue")})


def task_grids(assignments: pd.DataFrame, task_id: int, instant: datetime,
               grid_codes: Collection[str] | None = None) -> pd.DataFrame:
    """One task's assignments at ``instant`` (of ``grid_codes`` when given), each with its stage
    times (missing when not reached by then), ``stage``, ``overdue`` and ``waiting``; overdue
    first, then the least advanced, then by grid code."""
    a = assignments[assignments["task_id"] == task_id]
    if grid_codes is not None:
        a = a[a["grid_code"].isin(set(grid_codes))]
    a = stages_at(a, instant)
    for stage in STAGES[1:]:
        column = COLUMNS[stage]
        a[column] = a[column].where(reached(a, stage, instant))
    order = a["stage"].map({s: i for i, s in enumerate(STAGES)})
    return a.assign(_order=order).sort_values(
        ["overdue", "_order", "grid_code"], ascending=[False, True, True]).drop(
        columns="_order").reset_index(drop=True)


def overdue_by_grid(assignments: pd.DataFrame, grid_codes: Collection[str],
                    instant: datetime, staged: pd.DataFrame | None = None) -> dict[str, int]:
    """Grid code → its assignments past due and not completed at ``instant``, for the grids of
    ``grid_codes`` that have any; ``staged`` as in ``funnel`` (without ``since``)."""
    a = _staged(assignments, instant, None, staged)
    late = a[a["overdue"] & a["grid_code"].isin(set(grid_codes))]
    return {str(k): int(v) for k, v in late.groupby("grid_code").size().items()}
