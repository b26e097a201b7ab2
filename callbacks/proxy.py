"""The red proxy card, answered with the other panels (``callbacks/panels.py``) and on each tick
of the clock while the day runs: the filters' grids at the day's instant, shaped for the caller
(``gridwatch.proxy``, ``gridwatch.visibility``)."""

from __future__ import annotations

from datetime import datetime

from callbacks import day_view
from gridwatch import proxy, visibility
from gridwatch.auth.policy import Principal
from gridwatch.service import DataSource
from layouts import proxy as panel
from layouts.alerts import as_of_text


def proxy_panel(source: DataSource, filters: dict, lang: str, who: Principal,
                now: datetime | None = None) -> dict:
    v = day_view(source, filters, now)
    snap, day, instant = v.snap, v.day, v.instant
    codes = v.grid_codes
    threshold = source.settings.suppress_below
    state = proxy.state_on(snap, day, instant)
    towns, figures = visibility.proxy_for(
        who, proxy.by_township(snap.proxy, snap.region.grid_table, codes, day, instant, state),
        proxy.figures(snap.proxy, codes, day, instant, state), threshold)
    return {"proxy": panel.children(figures, towns, snap.region.names("townships", lang), lang,
                                    threshold),
            "proxy_as_of": as_of_text(instant, v.running, lang)}
