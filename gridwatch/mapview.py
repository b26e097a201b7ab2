"""What the map shows for one view: the one truth that the screen, the wall and print draw.

``map_view(snapshot, filters)`` decides every grid's colour and whether the filter keeps it,
each township's control level and outline, and each checkpoint's volume and alert state. The
analyst view and the wall turn a ``MapView`` into dash-leaflet hideouts (``layouts.map``);
print turns it into fills (``gridwatch.export.render``). Neither decides anything of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from gridwatch import checkpoints as health
from gridwatch import leads, tasks
from gridwatch.filters import Filters
from gridwatch.metrics import (
    checkpoint_throughput_on,
    colour_ranks,
    grid_status,
    kept_grids,
    selected_townships,
    township_levels,
)
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS
from gridwatch.timeutil import cutoff, instant_in


@dataclass(frozen=True, eq=False)
class MapView:
    """The map's state on the as-of day under a filter.

    ``status`` and ``kept`` are in grid-code order (the order of the grids layer's ``k``
    property in the browser).
    """

    day: date
    status: pd.DataFrame
    """``gridwatch.metrics.grid_status`` for the day, sorted by grid code."""
    kept: pd.Series
    """Per grid: whether the filter keeps it (grids it does not keep are drawn muted)."""
    levels: dict[str, int]
    """Township code → control level on the day."""
    townships: list[str]
    """Townships the township and level filters keep (the colour filter does not apply)."""
    chosen_townships: list[str]
    """Townships drawn with a selection outline: the chosen ones, or those a level filter
    keeps; none when neither filter is set."""
    checkpoint_volumes: dict[str, tuple[int, int]]
    """Checkpoint code → (vehicles, people) on the day, for the checkpoints of ``townships``."""
    since: list[str]
    """Per grid: when its colour was first observed, ``MM-DD HH:MM`` (empty when never)."""
    checkpoint_alerts: dict[str, str]
    """Checkpoint code → the kind of its most urgent open alert at the view's instant
    (``gridwatch.checkpoints``), for the checkpoints shown that have one."""
    lead_breaches: dict[str, int]
    """Grid code → its open leads past a service level at the view's instant
    (``gridwatch.leads``), for the grids the filter keeps that have any. Which grid a lead
    is in is a record: only roles that may see records are shown these (``layouts.map``)."""
    task_overdue: dict[str, int]
    """Grid code → its task assignments past due and not completed at the view's instant
    (``gridwatch.tasks``), for the grids the filter keeps that have any."""

    @property
    def colours(self) -> pd.Series:
        """Per grid: its colour on the day, or None when never assessed."""
        return self.status["colour"]

    @property
    def ranks(self) -> np.ndarray:
        """Per grid: its colour's index in ``COLOURS`` (0 red … 4 green), -1 when never
        assessed."""
        return colour_ranks(self.status)

    @property
    def counts(self) -> dict[str, int]:
        """Grids the filter keeps, per colour."""
        ranks = self.ranks[self.kept.to_numpy()]
        found = np.bincount(ranks[ranks >= 0], minlength=len(COLOURS))
        return {c: int(found[i]) for i, c in enumerate(COLOURS)}

    @property
    def unmarked(self) -> int:
        """Grids the filter keeps that were never assessed."""
        return int((self.ranks[self.kept.to_numpy()] < 0).sum())

    @property
    def outside(self) -> int:
        """Grids the filter does not keep."""
        return int((~self.kept).sum())

    @property
    def biggest_volume(self) -> int:
        """The largest vehicles + people of any checkpoint shown (at least 1)."""
        return max((v + p for v, p in self.checkpoint_volumes.values()), default=1) or 1

    def checkpoint_share(self, code: str) -> float:
        """A checkpoint's volume as a share of the biggest one shown (0 when not shown)."""
        vehicles, people = self.checkpoint_volumes.get(code, (0, 0))
        return (vehicles + people) / self.biggest_volume


def map_view(snap: Snapshot, filters: Filters, instant: datetime | None = None,
             checks: health.Health | None = None, sla: leads.Sla | None = None) -> MapView:
    """The map's state for ``filters`` (its ``as_of`` day must be set), checkpoint alerts and
    lead breaches at ``instant`` (default: the day's end) under the thresholds ``checks`` and
    the service levels ``sla`` (default: the defaults; screens pass the settings')."""
    day = filters.as_of
    status = grid_status(snap, day)
    levels = township_levels(snap, day)
    towns = selected_townships(snap.region, levels, filters)
    chosen = list(filters.townships) if filters.townships else (towns if filters.levels else [])
    throughput = checkpoint_throughput_on(snap, day)
    checkpoints = snap.region.checkpoints
    shown = set(checkpoints.loc[checkpoints["township_code"].isin(towns), "code"])
    volumes = {code: (int(v), int(p)) for code, v, p in zip(
        throughput.index, throughput["vehicles"], throughput["people"], strict=True)
        if code in shown}
    at = instant or cutoff(day)
    found = health.on_snapshot(snap, day, at, checks or health.Health())
    kept = kept_grids(snap, filters)
    alerts = {code: kind for code, kind in health.states(found).items() if code in shown}
    kept_codes = set(kept.index[kept.to_numpy()])
    every_breach, every_late = overdue_everywhere(snap, at, sla or leads.Sla())
    breaches = {code: n for code, n in every_breach.items() if code in kept_codes}
    late = {code: n for code, n in every_late.items() if code in kept_codes}
    return MapView(day=day, status=status, kept=kept,
                   levels={k: int(v) for k, v in levels.items()}, townships=towns,
                   chosen_townships=chosen, checkpoint_volumes=volumes,
                   checkpoint_alerts=alerts, lead_breaches=breaches, task_overdue=late,
                   since=snap.memo(("since_texts", day), lambda: since_texts(status),
                                   as_of=day))


def overdue_everywhere(snap: Snapshot, at: datetime,
                       sla: leads.Sla) -> tuple[dict[str, int], dict[str, int]]:
    """Every grid's open leads past a service level and task assignments past due at ``at``
    (grids with none left out), once per snapshot for a day's end (``Snapshot.memo_at``): a
    filter keeps its grids' share of them."""
    def compute():
        every = snap.region.grid_table["code"]
        return (leads.overdue_by_grid(snap.leads, every, at, sla, leads.clocks_on(snap, at, sla)),
                tasks.overdue_by_grid(snap.assignments, every, at, tasks.stages_on(snap, at)))
    return snap.memo_at(("overdue_everywhere", sla), at, compute)


def screen_view(snap: Snapshot, filters: Filters, settings, now: datetime | None = None) -> MapView:
    """``map_view`` as a screen (or a print made at ``now``) shows it: checkpoint alerts and
    lead breaches at the day's instant (now while the day runs, its end once over) under the
    settings' thresholds and service levels."""
    return map_view(snap, filters, instant_in(filters.as_of, settings.timezone, now),
                    health.Health.of(settings), leads.Sla.of(settings))


def since_texts(status: pd.DataFrame) -> list[str]:
    """Per grid of ``status``: when its colour was first observed, ``MM-DD HH:MM``."""
    return status["since"].dt.strftime("%m-%d %H:%M").fillna("").tolist()
