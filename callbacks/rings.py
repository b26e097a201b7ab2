"""The six rings card, answered with the other panels (``callbacks/panels.py``): the filters'
grids and townships on the day (``gridwatch.rings``), shaped for the caller."""

from __future__ import annotations

from gridwatch import rings, visibility
from gridwatch.auth.policy import Principal
from gridwatch.filters import Filters
from gridwatch.metrics import kept_grids, selected_townships, township_levels
from gridwatch.service import DataSource
from layouts import rings as panel


def rings_panel(source: DataSource, filters: dict, lang: str, who: Principal) -> dict:
    chosen = Filters.from_dict(filters)
    snap = source.snapshot()
    day = chosen.as_of
    kept = kept_grids(snap, chosen)
    towns = selected_townships(snap.region, township_levels(snap, day), chosen)
    table = rings.by_township(snap, kept.index[kept.to_numpy()], towns, day)
    threshold = source.settings.suppress_below
    table, totals = visibility.rings_for(who, table, rings.totals(table), threshold)
    return {"rings": panel.children(totals, table, snap.region.names("townships", lang), lang,
                                    threshold),
            "rings_as_of": day.isoformat()}
