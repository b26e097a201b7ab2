"""KPI tiles follow the filters and the data (bound with the other panels,
``callbacks.panels``)."""

from __future__ import annotations

from datetime import datetime

from gridwatch import leads, timeutil, visibility
from gridwatch.auth.policy import Principal
from gridwatch.empty import no_history
from gridwatch.filters import Filters
from gridwatch.metrics import compute_kpis
from gridwatch.service import DataSource
from layouts import kpis, nodata


def update_kpis(source: DataSource, filters: dict, version: str | None, lang: str,
                who: Principal, now: datetime | None = None) -> dict:
    """Filters or data change → the KPI tiles (household-level totals as ``who`` may see),
    the oldest open lead's age at the day's instant (``now`` while it runs); with no history
    yet, the "no data yet" card instead."""
    snap = source.snapshot()
    if no_history(snap):  # an empty region: no zeros that look like figures
        return {"tiles": [nodata.card(snap.region, lang)]}
    f = Filters.from_dict(filters)
    instant = timeutil.instant_in(f.as_of, source.settings.timezone, now)
    figures = visibility.kpis(leads.kpis_at(compute_kpis(snap, f), instant), who,
                              source.settings.suppress_below)
    return {"tiles": kpis.tiles(figures, source.settings.palette, lang)}

