"""The checkpoint alert list, answered with the other panels (``callbacks/panels.py``) and on
each tick of the clock while the chosen day runs: the alerts of the filters' townships'
checkpoints at the day's instant (``gridwatch.checkpoints``)."""

from __future__ import annotations

from datetime import datetime

from callbacks import day_view
from gridwatch import checkpoints as health
from gridwatch.i18n import t
from gridwatch.metrics import checkpoints_in, selected_townships, township_levels
from gridwatch.service import DataSource
from layouts import alerts as panel


def checkpoint_alerts(source: DataSource, filters: dict, lang: str,
                      now: datetime | None = None) -> dict:
    """The list's rows, its count and the instant it is read at."""
    v = day_view(source, filters, now)
    snap, day, instant = v.snap, v.day, v.instant
    region = snap.region
    towns = selected_townships(region, township_levels(snap, day), v.filters)
    shown = set(checkpoints_in(region, towns))
    found = [a for a in health.on_snapshot(snap, day, instant,
                                           health.Health.of(source.settings))
             if a.checkpoint in shown]
    points = region.checkpoints
    return {"alert_rows": panel.rows(found, instant, region.names("checkpoints", lang),
                                     region.names("townships", lang),
                                     dict(zip(points["code"], points["township_code"],
                                              strict=True)), lang),
            "alert_count": t("alerts.count", lang, open=sum(a.open for a in found),
                             n=len(found)),
            "alert_as_of": panel.as_of_text(instant, v.running, lang)}
