"""The red proxy card, answered with the other panels (``callbacks/panels.py``) and on each tick
of the clock while the day runs: the filters' grids at the day's instant, shaped for the caller
(``gridwatch.proxy``, ``gridwatch.visibility``)."""

from __future__ import annotations

from datetime import datetime

from gridwatch import proxy, timeutil, visibility
from gridwatch.auth.policy import Principal
from gridwatch.filters import Filters
from gridwatch.metrics import kept_grids
from gridwatch.service import DataSource
from layouts import proxy as panel
from layouts.alerts import as_of_text


def proxy_panel(source: DataSource, filters: dict, lang: str, who: Principal,
                now: datetime | None = None) -> dict:
    chosen = Filters.from_dict(filters)
    snap = source.snapshot()
    day = chosen.as_of
    instant, running = timeutil.day_instant(day, source.settings.timezone, now)
    kept = kept_grids(snap, chosen)
    codes = kept.index[kept.to_numpy()]
    threshold = source.settings.suppress_below
    towns, figures = visibility.proxy_for(
        who, proxy.by_township(snap.proxy, snap.region.grid_table, codes, day, instant),
        proxy.figures(snap.proxy, codes, day, instant), threshold)
    return {"proxy": panel.children(figures, towns, snap.region.names("townships", lang), lang,
                                    threshold),
            "proxy_as_of": as_of_text(instant, running, lang)}
