"""The inspection card, answered with the other panels (``callbacks/panels.py``): the filters'
townships up to the day's instant (``gridwatch.inspection``). The names of the people involved
go only to a caller allowed the township's household-level data, and that read is audited."""

from __future__ import annotations

from datetime import datetime

from callbacks import day_view
from gridwatch import inspection
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, audience
from gridwatch.metrics import selected_townships, township_levels
from gridwatch.service import DataSource
from layouts import inspection as panel
from layouts.alerts import as_of_text
from web.auth import client_address


def inspection_panel(source: DataSource, filters: dict, lang: str, who: Principal,
                     now: datetime | None = None) -> dict:
    v = day_view(source, filters, now)
    snap = v.snap
    towns = tuple(selected_townships(snap.region, township_levels(snap, v.day), v.filters))

    def compute() -> tuple[dict, int]:
        found = inspection.cases(snap, v.instant, towns)
        shown = inspection.visible_names(found, who)
        named = int((shown.to_numpy() & (found["names"].map(len) > 0).to_numpy()).sum())
        return {"inspection": panel.children(
                    inspection.summary(found, len(snap.inspection_teams)),
                    inspection.by_township(found), found, shown,
                    snap.region.names("townships", lang), lang),
                "inspection_as_of": as_of_text(v.instant, v.running, lang)}, named

    # built once per snapshot for a day that is over; every read of names is audited
    answer, named = snap.memo_at(("inspection_panel", towns, lang, audience(who)), v.instant,
                                 compute)
    if named:
        audit_personal_read(source.writer, who, "inspection", "cases", client_address(),
                            {"cases": named})
    return answer
