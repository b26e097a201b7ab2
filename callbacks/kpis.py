"""KPI tiles follow the filters and the data (bound with the other panels,
``callbacks.panels``)."""

from __future__ import annotations

from gridwatch import visibility
from gridwatch.auth.policy import Principal
from gridwatch.filters import Filters
from gridwatch.metrics import compute_kpis
from gridwatch.service import DataSource
from layouts import kpis


def update_kpis(source: DataSource, filters: dict, version: str | None, lang: str,
                who: Principal) -> dict:
    """Filters or data change → the KPI tiles (household-level totals as ``who`` may see)."""
    figures = visibility.kpis(compute_kpis(source.snapshot(), Filters.from_dict(filters)), who,
                              source.settings.suppress_below)
    return {"tiles": kpis.tiles(figures, source.settings.palette, lang)}

