"""The inspection card, answered with the other panels (``callbacks/panels.py``): the filters'
townships up to the day's instant (``gridwatch.inspection``). The names of the people involved
go only to a caller allowed the township's household-level data, and that read is audited."""

from __future__ import annotations

from datetime import datetime

from gridwatch import inspection, timeutil
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal
from gridwatch.filters import Filters
from gridwatch.metrics import selected_townships, township_levels
from gridwatch.service import DataSource
from layouts import inspection as panel
from layouts.alerts import as_of_text
from web.auth import client_address


def inspection_panel(source: DataSource, filters: dict, lang: str, who: Principal,
                     now: datetime | None = None) -> dict:
    chosen = Filters.from_dict(filters)
    snap = source.snapshot()
    day = chosen.as_of
    instant, running = timeutil.day_instant(day, source.settings.timezone, now)
    towns = selected_townships(snap.region, township_levels(snap, day), chosen)
    found = inspection.cases(snap, instant, towns)
    shown = inspection.visible_names(found, who)
    named = found.loc[shown.to_numpy() & (found["names"].map(len) > 0).to_numpy()]
    if len(named):
        audit_personal_read(source.writer, who, "inspection", "cases", client_address(),
                            {"cases": len(named)})
    return {"inspection": panel.children(
                inspection.summary(found, len(snap.inspection_teams)),
                inspection.by_township(found), found, shown,
                snap.region.names("townships", lang), lang),
            "inspection_as_of": as_of_text(instant, running, lang)}
