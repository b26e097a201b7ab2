"""The lead register (answered with the other panels, ``callbacks/panels.py``) and a lead's
timeline: every lead of the filters' grids against its service levels at the day's instant
(``gridwatch.leads``). The lead's grid only for a role that may see records; its text only
for a caller allowed household-level data of its area, and that read audited."""

from __future__ import annotations

from datetime import datetime

from dash import ClientsideFunction, Dash, Input, Output, State, html

from callbacks import bind, day_view
from gridwatch import leads as rules
from gridwatch import timeutil
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows, covers
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.service import DataSource
from layouts import leads as panel
from layouts.ids import ID
from web.auth import client_address


def lead_register(source: DataSource, filters: dict, lang: str, who: Principal,
                  now: datetime | None = None) -> dict:
    """The register's rows for the filters' grids and day, its count, the instant its clocks
    show and whether they run (then ``LEAD_CLOCK`` ticks and the register follows it)."""
    v = day_view(source, filters, now)
    snap, instant, running = v.snap, v.instant, v.running
    codes = v.grid_codes
    sla = rules.Sla.of(source.settings)
    table = rules.register(snap.leads, codes, v.day, instant, sla,
                           rules.clocks_on(snap, instant, sla))
    region = snap.region
    rows = panel.rows(table, region.names("townships", lang), region.names("grids", lang),
                      lang, allows(who, "records"))
    return {"lead_rows": rows,
            "lead_count": t("leads.count", lang, n=len(rows),
                            overdue=sum(r["overdue"] for r in rows)),
            "lead_as_of": panel.instant_text(instant, running, lang),
            "lead_clock_off": not running}


def show_lead(source: DataSource, chosen: dict | None, context: dict | None, filters: dict,
              version: str | None, lang: str, who: Principal,
              now: datetime | None = None) -> dict:
    """The open lead, or (while one is open) the filters' day or the data change → its
    timeline at the day's instant."""
    code = chosen.get("code") if isinstance(chosen, dict) else None
    if not isinstance(code, str) or len(code) > 64:
        return {"timeline": [html_pick(lang)]}
    snap = source.snapshot()
    lead = snap.leads[snap.leads["code"] == code]
    if lead.empty:
        return {"timeline": [html_pick(lang)]}
    row = lead.iloc[0]
    day = Filters.from_dict(filters).as_of
    instant, running = timeutil.day_instant(day, source.settings.timezone, now)
    village = snap.region.grid_table.set_index("code")["village_code"].get(row["grid_code"])
    personal = covers(who, "personal", row["township_code"], village)
    if personal:
        audit_personal_read(source.writer, who, "lead", code, client_address(), {})
    region = snap.region
    steps = rules.timeline(lead, instant, rules.Sla.of(source.settings))
    return {"timeline": panel.timeline_children(
        row, steps, instant, running, region.names("townships", lang),
        region.names("grids", lang), lang, records=allows(who, "records"),
        personal=personal)}


def html_pick(lang: str) -> html.P:
    return html.P(t("leads.pick", lang), className="gw-muted")


def register(app: Dash, source: DataSource) -> None:
    # A click on a register row opens that lead (assets/analyst.js: the row's id, no server).
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "chosenRow"),
                            Output(ID.LEAD_CHOSEN, "data"), Input(ID.LEAD_TABLE, "cellClicked"),
                            prevent_initial_call=True)
    bind(app, source, show_lead, output={"timeline": Output(ID.LEAD_TIMELINE, "children")},
         inputs={"chosen": Input(ID.LEAD_CHOSEN, "data"),
                 "context": Input(ID.LEAD_CONTEXT, "data"),
                 "filters": State(ID.FILTERS, "data"), "version": State(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call=True)
    # While a lead is open its timeline follows the filters' day and the data version
    # (assets/analyst.js, as the grid detail does); with none open the server hears nothing.
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "detailContext"),
                            Output(ID.LEAD_CONTEXT, "data"),
                            Input(ID.FILTERS, "data"), Input(ID.VERSION, "data"),
                            State(ID.LEAD_CHOSEN, "data"))
