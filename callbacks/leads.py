"""The lead register (answered with the other panels, ``callbacks/panels.py``) and a lead's
timeline: every lead of the filters' grids against its service levels at the day's instant
(``gridwatch.leads``). The lead's grid only for a role that may see records; its text only
for a caller allowed household-level data of its area, and that read audited.

A writer whose scope covers the open lead moves it on from the timeline (``act_on_lead``):
acknowledge, escalate, dispatch or close it, stamped now, through the same write path and
checks as the API's ``lead-stages`` (``gridwatch.ingest.batches``: scope, order, idempotency,
audit)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from dash import ClientsideFunction, Dash, Input, Output, State, html, no_update

from callbacks import bind, day_view, fired_props, view_moved_to
from callbacks.tasks import _key, refused_text, result_div
from gridwatch import leads as rules
from gridwatch import timeutil
from gridwatch.auth.audit import audit_personal_read
from gridwatch.auth.policy import Principal, allows, covers
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.ingest.batches import submit
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places
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
    closed = {"actions_hidden": True, "actions_class": panel.actions_class(())}
    code = _lead_code(chosen)
    if code is None:
        return {"timeline": [html_pick(lang)], **closed}
    snap = source.snapshot()
    lead = snap.leads[snap.leads["code"] == code]
    if lead.empty:
        return {"timeline": [html_pick(lang)], **closed}
    row = lead.iloc[0]
    day = Filters.from_dict(filters).as_of
    instant, running = timeutil.day_instant(day, source.settings.timezone, now)
    village = snap.region.grid_table.set_index("code")["village_code"].get(row["grid_code"])
    personal = covers(who, "personal", row["township_code"], village)
    if personal:
        audit_personal_read(source.writer, who, "lead", code, client_address(), {})
    region = snap.region
    steps = rules.timeline(lead, instant, rules.Sla.of(source.settings))
    offered = next_stages(row) if covers(who, "write", row["township_code"], village) else []
    return {"timeline": panel.timeline_children(
        row, steps, instant, running, region.names("townships", lang),
        region.names("grids", lang), lang, records=allows(who, "records"),
        personal=personal),
        "actions_hidden": not offered, "actions_class": panel.actions_class(offered)}


def _lead_code(chosen) -> str | None:
    code = chosen.get("code") if isinstance(chosen, dict) else None
    return code if isinstance(code, str) and 0 < len(code) <= 64 else None


def _has(row, stage: str) -> bool:
    return not pd.isna(row[f"{stage}_at"])


def next_stages(row) -> list[str]:
    """The stages that may be recorded next for a lead (a row of the snapshot's leads, as
    stored, whatever day is shown): none once closed; acknowledge first; then escalate
    (unless already escalated or dispatched: a stage may not come before one already
    recorded), dispatch and close."""
    if _has(row, "closed"):
        return []
    if not _has(row, "acknowledged"):
        return ["acknowledged"]
    return [s for s in ("escalated", "dispatched") if not _has(row, s)
            and not (s == "escalated" and _has(row, "dispatched"))] + ["closed"]


def current_stage(row) -> str:
    """The furthest stage a lead (as stored) has reached."""
    return next((s for s in reversed(rules.STAGES[1:]) if _has(row, s)), rules.STAGES[0])


def act_on_lead(source: DataSource, acknowledge: int | None, escalate: int | None,
                dispatch: int | None, close: int | None, outcome: str | None,
                chosen: dict | None, filters: dict | None, token: str | None, lang: str,
                who: Principal, triggered=None, now: datetime | None = None) -> dict:
    """A button → that stage of the open lead, stamped now, as one ``lead-stages`` row under
    the form's idempotency key (a double click writes once). Closing needs an outcome. The
    answer says what was written, or exactly why nothing was; after a write the date picker
    moves to today (the stage is today's), where the timeline shows it."""
    unchanged = {"result": no_update, "token": no_update, "day": no_update,
                 "max_day": no_update, "outcome": no_update}
    fired = {p.split(".")[0] for p in fired_props(triggered)}
    stage = next((s for button, s in panel.ACTIONS.items() if button in fired), None)
    code = _lead_code(chosen)
    if stage is None or code is None:
        return unchanged
    snap = source.snapshot()
    found = snap.leads[snap.leads["code"] == code]
    if found.empty:
        return {**unchanged, "result": result_div(t("leads.act.unknown", lang, code=code),
                                                  False)}
    row = found.iloc[0]
    words = {"code": code, "stage": t(f"leads.stage.{stage}", lang)}
    if stage not in next_stages(row):
        return {**unchanged, "result": result_div(t(
            "leads.act.not_next", lang, now=t(f"leads.stage.{current_stage(row)}", lang),
            **words), False)}
    text = outcome.strip() if isinstance(outcome, str) else ""
    if stage == "closed" and not text:
        return {**unchanged, "result": result_div(t("leads.act.need_outcome", lang), False)}
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    item = {"lead_code": code, "stage": stage, "at": moment.replace(tzinfo=UTC).isoformat()}
    if stage == "closed":
        item["outcome"] = text
    try:
        done, _replayed = submit(source.writer, Reference.from_region(snap.region),
                                 "lead-stages", {"items": [item]}, who, _key("lead", token),
                                 Places.of(snap.region))
    except IngestError as exc:
        return {**unchanged, "result": refused_text(exc, lang), "token": panel.new_token()}
    local = timeutil.utc_to_local(moment, source.settings.timezone)
    if done.body.get("applied", 0) == 0:
        message = t("leads.act.duplicate", lang, code=code)
    else:
        message = t("leads.act.done", lang, at=local.strftime("%H:%M"),
                    day=local.date().isoformat(), **words)
    return {"result": result_div(message, True), "token": panel.new_token(), "outcome": "",
            **view_moved_to(moment, source.settings.timezone, filters)}


def html_pick(lang: str) -> html.P:
    return html.P(t("leads.pick", lang), className="gw-muted")


def register(app: Dash, source: DataSource) -> None:
    # A click on a register row opens that lead (assets/analyst.js: the row's id, no server).
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "chosenRow"),
                            Output(ID.LEAD_CHOSEN, "data"), Input(ID.LEAD_TABLE, "cellClicked"),
                            prevent_initial_call=True)
    bind(app, source, show_lead, output={"timeline": Output(ID.LEAD_TIMELINE, "children"),
                                         "actions_hidden": Output(ID.LEAD_ACTIONS, "hidden"),
                                         "actions_class": Output(ID.LEAD_ACTIONS,
                                                                 "className")},
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
    bind(app, source, act_on_lead,
         output={"result": Output(ID.LEAD_RESULT, "children"),
                 "token": Output(ID.LEAD_TOKEN, "data"),
                 "max_day": Output(ID.DATE, "max_date_allowed", allow_duplicate=True),
                 "day": Output(ID.DATE, "date", allow_duplicate=True),
                 "outcome": Output(ID.LEAD_OUTCOME, "value")},
         inputs={"acknowledge": Input(ID.LEAD_ACKNOWLEDGE, "n_clicks"),
                 "escalate": Input(ID.LEAD_ESCALATE, "n_clicks"),
                 "dispatch": Input(ID.LEAD_DISPATCH, "n_clicks"),
                 "close": Input(ID.LEAD_CLOSE, "n_clicks"),
                 "outcome": State(ID.LEAD_OUTCOME, "value"),
                 "chosen": State(ID.LEAD_CHOSEN, "data"), "filters": State(ID.FILTERS, "data"),
                 "token": State(ID.LEAD_TOKEN, "data"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
