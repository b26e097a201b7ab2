"""The analyst view's panels (KPI tiles, the three charts, the grid table, the lead register,
the checkpoint alerts, the red proxy, the six rings, the orders and notices, the article's
figures, the inspections) in one callback.

A filter change or a new data version changes all of them at once, so they travel in one
request and one answer: one session and version check, one snapshot, one dispatch, instead of
five (the load run, ``bench/load.py``, counts every request of a chain). Only the panels on or
near the screen are filled (the browser says which, ``assets/analyst.js``); the others wait
until they scroll into view, when the same callback fills them. Each panel is still its own
function (``update_kpis``, ``update_task_chart``, ``update_checkpoint_chart``,
``update_colour_chart``, ``update_table``...), called here; choosing a checkpoint redraws only
its chart.
"""

from __future__ import annotations

from collections.abc import Collection

from dash import Dash, Input, Output, State, no_update

from callbacks import bind, day_view, fired_props, shown_key
from callbacks.alerts import checkpoint_alerts
from callbacks.charts import update_checkpoint_chart, update_colour_chart, update_task_chart
from callbacks.command import command_panels
from callbacks.inspection import inspection_panel
from callbacks.kpis import update_kpis
from callbacks.leads import lead_register
from callbacks.proxy import proxy_panel
from callbacks.rings import rings_panel
from callbacks.table import update_table
from callbacks.tasks import task_panels
from gridwatch.auth.policy import Principal, audience
from gridwatch.empty import no_history
from gridwatch.i18n import t
from gridwatch.service import DataSource
from layouts import nodata
from layouts.analyst import PANELS_AT_FIRST
from layouts.ids import ID


def update_panels(source: DataSource, filters: dict, version: str | None,
                  checkpoint: str | None, lang: str, who: Principal, shown: str | None = None,
                  tick: int | None = None, triggered: Collection[str] | None = None,
                  in_view: list | None = None, done: dict | None = None) -> dict:
    """The panels in view (``in_view``, names of ``layouts.analyst.PANEL_WATCH``; the page's
    first ones when not given) that do not show these filters, records and language yet
    (``done``: what each panel shows, as this callback last answered), and ``done`` updated;
    the others are left as they are until they scroll into view. A filter change, or a new
    version whose change touched the filters' day or an earlier one, makes every panel due
    (a write to a later day changes nothing shown: nothing is sent); the chosen checkpoint
    alone changes → its chart only; the clock alone ticks (``tick``, while the day runs) →
    the lead register, the checkpoint alerts and the red proxy are due again. The table's rows
    are sent only if they differ from the ones the page holds (``shown``). ``triggered``: the
    properties that fired, ``"<id>.<property>"``, when called outside a Dash request."""
    fired = fired_props(triggered)
    view = visible(in_view)
    shows = {g: k for g, k in done.items() if g in GROUPS and isinstance(k, str)} \
        if isinstance(done, dict) else {}
    v = day_view(source, filters)
    key = shown_key(v.filters.to_dict(), v.snap.stamp(v.day), lang)
    if fired == {PICKED}:
        if "charts" not in view:
            return dict.fromkeys(OUTPUTS, no_update)
        return {**dict.fromkeys(OUTPUTS, no_update),
                "checkpoints": update_checkpoint_chart(source, filters, checkpoint, version,
                                                       lang)["figure"]}
    if TICKED in fired:  # the clocks moved: what follows them is due again
        shows = {g: k for g, k in shows.items() if g not in TICKING}
    due = [g for g in GROUPS if g in view and shows.get(g) != key]
    answer = dict.fromkeys(OUTPUTS, no_update)
    if not due:
        return answer
    answer["lead_clock_off"] = not v.running
    empty = no_history(v.snap)
    for group in due:
        found = group_answer(source, group, filters, checkpoint, lang, who, shown, v)
        answer.update(no_data_state(found, lang) if empty else found)
        shows[group] = key
    answer["done"] = shows
    return answer


EMPTY_STATED = {"rings", "proxy", "inspection", "figures"}
"""Panels of figure tiles: of an empty region they show the "no data yet" line instead of
tiles of zeros."""
EMPTY_DATED = {"lead_as_of", "alert_as_of", "proxy_as_of", "inspection_as_of", "rings_as_of",
               "task_as_of", "directive_count"}
"""Texts that name the day the panel is read at (or a count "as of" it): of an empty region,
"no data yet" (the day would be today's, a day with no records)."""


def no_data_state(answer: dict, lang: str) -> dict:
    """``answer`` (a panel group's outputs) for a region with no history yet
    (``gridwatch.empty.no_history``): figure tiles become the "no data yet" line, dated
    texts say "no data yet", the task funnel says so without axes. The registers stay (their
    own "nothing on this day" rows) and so do the forms that issue the first records."""
    out = dict(answer)
    for key in answer:
        if key in EMPTY_STATED:
            out[key] = [nodata.line(lang)]
        elif key in EMPTY_DATED:
            out[key] = t("nodata.as_of", lang)
        elif key == "task_funnel":
            out[key] = nodata.figure(lang)
    return out


def group_answer(source: DataSource, group: str, filters: dict, checkpoint: str | None,
                 lang: str, who: Principal, shown: str | None, v) -> dict:
    """One panel's outputs. A day that is over reads the same for every caller of the same
    audience: its panels are built once per snapshot (``Snapshot.memo_at``); the orders and
    figures depend on the day alone, the table and the inspection card audit their reads of
    household-level data on every call (``update_table``, ``inspection_panel``)."""
    common = {"filters": filters, "version": None, "lang": lang}
    if group == "table":
        return update_table(source, who=who, shown=shown, **common)
    if group == "inspection":
        return inspection_panel(source, filters, lang, who)
    if group == "command":
        return v.snap.memo_at(("command_panels", lang), v.instant,
                              lambda: command_panels(source, filters, lang))
    build = {
        "kpis": lambda: {"kpis": update_kpis(source, who=who, **common)["tiles"]},
        "charts": lambda: {
            "tasks": update_task_chart(source, **common)["figure"],
            "colours": update_colour_chart(source, **common)["figure"],
            "checkpoints": update_checkpoint_chart(source, checkpoint=checkpoint,
                                                   **common)["figure"]},
        "leads": lambda: {k: w for k, w in lead_register(source, filters, lang, who).items()
                          if k != "lead_clock_off"},
        "alerts": lambda: checkpoint_alerts(source, filters, lang),
        "proxy": lambda: proxy_panel(source, filters, lang, who),
        "rings": lambda: rings_panel(source, filters, lang, who),
        "tasks": lambda: task_panels(source, filters, lang)}[group]
    extra = checkpoint if group == "charts" else None
    return v.snap.memo_at(("panel", group, v.filters, extra, lang, audience(who)), v.instant,
                          build)


def visible(in_view) -> set[str]:
    """The known panel names of what the browser says is in view (the page's first panels
    when it has said nothing usable)."""
    if not isinstance(in_view, list):
        return set(PANELS_AT_FIRST)
    return {g for g in in_view if isinstance(g, str) and g in GROUPS}


PICKED = f"{ID.CHECKPOINT_PICK}.value"
TICKED = f"{ID.LEAD_CLOCK}.n_intervals"
GROUPS = {"kpis": ("kpis",), "charts": ("tasks", "checkpoints", "colours"),
          "tasks": ("task_funnel", "task_towns", "task_rows", "task_count", "task_as_of"),
          "rings": ("rings", "rings_as_of"),
          "alerts": ("alert_rows", "alert_count", "alert_as_of"),
          "proxy": ("proxy", "proxy_as_of"),
          "command": ("directive_rows", "directive_count", "figures"),
          "leads": ("lead_rows", "lead_count", "lead_as_of"),
          "inspection": ("inspection", "inspection_as_of"),
          "table": ("rows", "count", "digest")}
"""Each panel of ``layouts.analyst.PANEL_WATCH`` → the outputs it fills."""
TICKING = ("leads", "alerts", "proxy")
"""What follows the clock: the lead register, the checkpoint alerts and the red proxy."""
OUTPUTS = (*(o for outputs in GROUPS.values() for o in outputs), "lead_clock_off", "done")


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_panels,
         output={"kpis": Output(ID.KPIS, "children"),
                 "tasks": Output(ID.TASK_CHART, "figure"),
                 "checkpoints": Output(ID.CHECKPOINT_CHART, "figure"),
                 "colours": Output(ID.COLOUR_CHART, "figure"),
                 "rows": Output(ID.GRID_TABLE, "rowData"),
                 "count": Output(ID.GRID_TABLE_COUNT, "children"),
                 "digest": Output(ID.GRID_TABLE_DIGEST, "data"),
                 "lead_rows": Output(ID.LEAD_TABLE, "rowData"),
                 "lead_count": Output(ID.LEAD_COUNT, "children"),
                 "lead_as_of": Output(ID.LEAD_AS_OF, "children"),
                 "lead_clock_off": Output(ID.LEAD_CLOCK, "disabled"),
                 "alert_rows": Output(ID.CHECKPOINT_ALERTS, "children"),
                 "alert_count": Output(ID.CHECKPOINT_ALERT_COUNT, "children"),
                 "alert_as_of": Output(ID.CHECKPOINT_ALERT_AS_OF, "children"),
                 "directive_rows": Output(ID.DIRECTIVE_TABLE, "rowData"),
                 "directive_count": Output(ID.DIRECTIVE_COUNT, "children"),
                 "figures": Output(ID.FIGURES, "children"),
                 "proxy": Output(ID.PROXY, "children"),
                 "proxy_as_of": Output(ID.PROXY_AS_OF, "children"),
                 "inspection": Output(ID.INSPECTION, "children"),
                 "inspection_as_of": Output(ID.INSPECTION_AS_OF, "children"),
                 "rings": Output(ID.RINGS, "children"),
                 "rings_as_of": Output(ID.RINGS_AS_OF, "children"),
                 "task_funnel": Output(ID.TASK_FUNNEL, "figure"),
                 "task_towns": Output(ID.TASK_TOWNS, "children"),
                 "task_rows": Output(ID.TASK_TABLE, "rowData"),
                 "task_count": Output(ID.TASK_COUNT, "children"),
                 "task_as_of": Output(ID.TASK_AS_OF, "children"),
                 "done": Output(ID.PANELS_DONE, "data")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "checkpoint": Input(ID.CHECKPOINT_PICK, "value"),
                 "tick": Input(ID.LEAD_CLOCK, "n_intervals"),
                 "in_view": Input(ID.PANELS_IN_VIEW, "data"),
                 "lang": State(ID.LANG, "data"), "shown": State(ID.GRID_TABLE_DIGEST, "data"),
                 "done": State(ID.PANELS_DONE, "data")})
