"""The special tasks card: the funnel and the task list answered with the other panels
(``callbacks/panels.py``) for the filters' grids on the day; one task opened beside the list;
and the actions, written through the same write path and validation as the API
(``gridwatch.ingest.batches``: scope-checked per row, idempotent, audited, all or nothing).

Every action is stamped now: a township hands off, a grid acknowledges or completes, county
staff publish. A task published from a past day's view lands on today, and the filters move
there so that the user sees it. Tasks, their stages and grids are not household-level data:
every role that may view sees them; only roles that may write see the buttons, and the server
checks the right and the scope again on every call.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from dash import Dash, Input, Output, State, html, no_update

from callbacks import bind, day_view, fired_props, pick_and_search, view_moved_to
from gridwatch import tasks, timeutil
from gridwatch.auth.policy import Principal, allows, covers
from gridwatch.i18n import t
from gridwatch.ingest.batches import submit, submit_together
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places, unlimited
from gridwatch.service import DataSource
from layouts import tasks as panel
from layouts.alerts import as_of_text
from layouts.ids import ID

MAX_CODE = 32


def task_panels(source: DataSource, filters: dict, lang: str, now: datetime | None = None) -> dict:
    """The funnel, the funnel per township, the task list and its count, at the filters'
    day's instant, for the work in play on that day."""
    v = day_view(source, filters, now)
    snap = v.snap
    codes = v.grid_codes
    since = datetime.combine(v.day, time())
    staged = tasks.stages_on(snap, v.instant, since)
    counts = tasks.funnel(snap.assignments, codes, v.instant, since, staged)
    towns = tasks.funnel_by_township(snap.assignments, codes, v.instant, since, staged)
    table = tasks.task_list(snap.tasks, snap.assignments, codes, v.instant, since, staged)
    return {"task_funnel": panel.funnel_figure(counts, lang),
            "task_towns": panel.township_table(towns, snap.region.names("townships", lang), lang),
            "task_rows": panel.list_rows(table, lang),
            "task_count": t("tasks.count", lang, n=len(table),
                            overdue=int((table["state"] == "overdue").sum())
                            if len(table) else 0),
            "task_as_of": as_of_text(v.instant, v.running, lang)}


def _chosen_code(chosen) -> str | None:
    code = chosen.get("code") if isinstance(chosen, dict) else None
    return code if isinstance(code, str) and 0 < len(code) <= MAX_CODE else None


def show_task(source: DataSource, chosen: dict | None, filters: dict, version: str | None,
              lang: str, who: Principal, now: datetime | None = None) -> dict:
    """The opened task (or, while one is open, the day or the data change) → its head, its
    grids (all of them, not only the filters': a task is followed whole) and, for a writer,
    the action buttons."""
    code = _chosen_code(chosen)
    if code is None:
        return {"detail": [html.P(t("tasks.pick", lang), className="gw-muted")],
                "grid_rows": [], "actions_hidden": True}
    v = day_view(source, filters, now)
    snap = v.snap
    found = snap.tasks[snap.tasks["code"] == code]
    if found.empty:
        return {"detail": panel.detail(None, None, lang), "grid_rows": [],
                "actions_hidden": True}
    task = found.iloc[0].to_dict()
    table = tasks.task_grids(snap.assignments, int(task["id"]), v.instant)
    counts = tasks.funnel(snap.assignments[snap.assignments["task_id"] == task["id"]],
                          set(table["grid_code"]), v.instant)
    grids = snap.region.grid_table.set_index("code")
    return {"detail": panel.detail(task, counts, lang),
            "grid_rows": panel.grid_rows(table, grids, snap.region.names("townships", lang),
                                         lang),
            "actions_hidden": not allows(who, "write") or table.empty}


# --- acting ----------------------------------------------------------------------------------

ACTIONS = {ID.TASK_HAND_OFF: "handed_off", ID.TASK_ACKNOWLEDGE: "acknowledged",
           ID.TASK_COMPLETE: "completed"}
BEFORE = {"handed_off": "published", "acknowledged": "handed_off",
          "completed": "acknowledged"}
"""The stage a grid must stand at for each action."""


def act_on_task(source: DataSource, hand_off: int | None, acknowledge: int | None,
                complete: int | None, chosen: dict | None, selected: list | None,
                token: str | None, lang: str, who: Principal,
                triggered=None, now: datetime | None = None) -> dict:
    """A button → that stage for the chosen grids standing at the stage before it (a hand-off
    with no grid chosen: every grid of the task the writer's scope covers that waits on its
    township), as one batch of ``task-events`` stamped now, under the form's idempotency key.
    The answer says what was written, or exactly what was refused (nothing is then written)."""
    fired = {p.split(".")[0] for p in fired_props(triggered)}
    event = next((e for button, e in ACTIONS.items() if button in fired), None)
    code = _chosen_code(chosen)
    if event is None or code is None:
        return {"result": no_update, "token": no_update}
    snap = source.snapshot()
    found = snap.tasks[snap.tasks["code"] == code]
    if found.empty:
        return {"result": result_div(t("tasks.gone", lang), False), "token": no_update}
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    local_now = timeutil.utc_to_local(moment, source.settings.timezone)
    stood = tasks.task_grids(snap.assignments, int(found.iloc[0]["id"]),
                             local_now + timedelta(seconds=1))
    picked = {r.get("code") for r in (selected or []) if isinstance(r, dict)}
    if event != "handed_off" and not picked:
        return {"result": result_div(t("tasks.act.choose", lang), False), "token": no_update}
    places = Places.of(snap.region)
    ready = stood[stood["stage"] == BEFORE[event]]
    if picked:
        ready = ready[ready["grid_code"].isin(picked)]
    elif not unlimited(who):
        ready = ready[[covers(who, "write", *places.grids.get(g, (None, None)))
                       for g in ready["grid_code"]]]
    if ready.empty:
        return {"result": result_div(t(f"tasks.act.nothing.{event}", lang), False),
                "token": no_update}
    at = moment.replace(tzinfo=UTC).isoformat()
    items = [{"task_code": code, "grid_code": g, "event": event, "at": at}
             for g in ready["grid_code"]]
    try:
        outcome, _replayed = submit(source.writer, Reference.from_region(snap.region),
                                    "task-events", {"items": items}, who,
                                    _key("task", token), places)
    except IngestError as exc:
        return {"result": refused_text(exc, lang), "token": panel.new_token()}
    return {"result": result_div(t(f"tasks.act.done.{event}", lang, task=code,
                                n=outcome.body.get("applied", 0)), True),
            "token": panel.new_token()}


def publish_task(source: DataSource, clicks: int | None, title_zh: str | None,
                 title_en: str | None, hours, scope: str | None, townships: list | None,
                 grids: list | None, token: str | None, lang: str, who: Principal,
                 now: datetime | None = None) -> dict:
    """Publish → the task and its assignments to every grid of the county, of the chosen
    townships or the chosen grids, in one write (``tasks`` then ``task-assignments``, each
    validated and scope-checked as the API does: only the county publishes). The date picker
    moves to today, where the new task is (the filters follow it)."""
    unchanged = {"day": no_update, "max_day": no_update}
    if not clicks:
        return {"result": no_update, "token": no_update, **unchanged}
    snap = source.snapshot()
    region = snap.region
    problems = []
    title_zh = (title_zh or "").strip() if isinstance(title_zh, str) else ""
    title_en = (title_en or "").strip() if isinstance(title_en, str) else ""
    if not title_zh:
        problems.append(t("tasks.publish.need_title", lang))
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not 1 <= hours <= 720:
        problems.append(t("tasks.publish.need_hours", lang))
    targets = _targets(region, scope, townships, grids)
    if targets is None:
        problems.append(t("tasks.publish.need_targets", lang))
    if problems:
        return {"result": result_div(" ".join(problems), False), "token": no_update, **unchanged}
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    issued = moment.replace(tzinfo=UTC)
    code = next_code(snap.tasks["code"])
    task = {"code": code, "title_zh": title_zh, "title_en": title_en or title_zh,
            "scope": scope, "issued_at": issued.isoformat(),
            "due_at": (issued + timedelta(hours=float(hours))).isoformat()}
    try:
        submit_together(source.writer, Reference.from_region(region),
                        [("tasks", {"items": [task]}),
                         ("task-assignments", {"items": [{"task_code": code, "grid_code": g}
                                                         for g in targets]})],
                        who, _key("publish", token), Places.of(region))
    except IngestError as exc:
        return {"result": refused_text(exc, lang), "token": panel.new_token(), **unchanged}
    moved = view_moved_to(moment, source.settings.timezone, None)  # always to today
    return {"result": result_div(t("tasks.publish.done", lang, task=code, n=len(targets),
                                day=moved["max_day"]), True),
            "token": panel.new_token(), **moved}


def _targets(region, scope, townships, grids) -> list[str] | None:
    """The grids a new task reaches, in code order; None when the choice gives none."""
    table = region.grid_table
    if scope == "county":
        chosen = table["code"]
    elif scope == "township":
        towns = {c for c in (townships or []) if isinstance(c, str)}
        chosen = table.loc[table["township_code"].isin(towns), "code"]
    elif scope == "grids":
        codes = {c for c in (grids or []) if isinstance(c, str)}
        chosen = table.loc[table["code"].isin(codes), "code"]
    else:
        return None
    return sorted(chosen.astype(str)) or None


def next_code(codes) -> str:
    """The next task code after the highest ``T<number>`` stored (``T0321`` after ``T0320``)."""
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(r"T(\d{1,12})", str(c)))]
    return f"T{max(numbers, default=0) + 1:04d}"


def _key(kind: str, token) -> str | None:
    return f"{kind}-{token}" if isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}",
                                                                         token) else None


def refused_text(exc: IngestError, lang: str) -> html.Div:
    reasons = [e.message(lang) for e in exc.errors[:3]]
    more = len(exc.errors) - len(reasons)
    text = t("tasks.act.refused", lang, reason="; ".join(reasons))
    if more > 0:
        text += " " + t("tasks.act.more", lang, n=more)
    return result_div(text, False)


def result_div(text: str, ok: bool) -> html.Div:
    return html.Div(text, className="gw-result-ok" if ok else "gw-result-bad",
                    **{"data-ok": "1" if ok else "0"})


def register(app: Dash, source: DataSource) -> None:
    pick_and_search(app, ID.TASK_TABLE, ID.TASK_CHOSEN, ID.TASK_SEARCH)
    bind(app, source, show_task,
         output={"detail": Output(ID.TASK_DETAIL, "children"),
                 "grid_rows": Output(ID.TASK_GRIDS, "rowData"),
                 "actions_hidden": Output(ID.TASK_ACTIONS, "hidden")},
         inputs={"chosen": Input(ID.TASK_CHOSEN, "data"),
                 "filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call=True)
    bind(app, source, act_on_task,
         output={"result": Output(ID.TASK_RESULT, "children"),
                 "token": Output(ID.TASK_TOKEN, "data")},
         inputs={"hand_off": Input(ID.TASK_HAND_OFF, "n_clicks"),
                 "acknowledge": Input(ID.TASK_ACKNOWLEDGE, "n_clicks"),
                 "complete": Input(ID.TASK_COMPLETE, "n_clicks"),
                 "chosen": State(ID.TASK_CHOSEN, "data"),
                 "selected": State(ID.TASK_GRIDS, "selectedRows"),
                 "token": State(ID.TASK_TOKEN, "data"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
    bind(app, source, publish_task,
         output={"result": Output(ID.PUBLISH_RESULT, "children"),
                 "token": Output(ID.PUBLISH_TOKEN, "data"),
                 "day": Output(ID.DATE, "date", allow_duplicate=True),
                 "max_day": Output(ID.DATE, "max_date_allowed")},
         inputs={"clicks": Input(ID.PUBLISH_BUTTON, "n_clicks"),
                 "title_zh": State(ID.PUBLISH_TITLE_ZH, "value"),
                 "title_en": State(ID.PUBLISH_TITLE_EN, "value"),
                 "hours": State(ID.PUBLISH_HOURS, "value"),
                 "scope": State(ID.PUBLISH_SCOPE, "value"),
                 "townships": State(ID.PUBLISH_TOWNSHIPS, "value"),
                 "grids": State(ID.PUBLISH_GRIDS, "value"),
                 "token": State(ID.PUBLISH_TOKEN, "data"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
