"""My work (``/work``): the writer's open assignments and one action at a time on the chosen
one, through the same write path as the task card (``callbacks.tasks.act_on_task``'s rules:
the stage before, the writer's scope checked per row by the write, stamped now, idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dash import Dash, Input, Output, State, no_update

from callbacks import bind, fired_props
from callbacks.tasks import BEFORE, refused_text, result_div
from gridwatch import tasks, timeutil
from gridwatch.auth.policy import Principal, covers
from gridwatch.i18n import t
from gridwatch.ingest.batches import submit
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places
from gridwatch.service import DataSource
from layouts import tasks as task_layout
from layouts import work as page
from layouts.ids import ID

SHOWN = 60
"""The most assignments listed at once (the most urgent)."""


def my_work(snap, who: Principal, instant: datetime):
    """The assignments not completed at ``instant`` in grids ``who`` may write for: overdue
    first, then by due time; each with its task's code and titles and its grid's name."""
    a = tasks.stages_at(snap.assignments, instant)
    a = a[a["stage"] != "completed"]
    places = Places.of(snap.region)
    if len(a):
        a = a[[covers(who, "write", *places.grids.get(g, (None, None)))
               for g in a["grid_code"]]]
    a = a.merge(snap.tasks[["id", "code", "title_zh", "title_en"]], left_on="task_id",
                right_on="id", suffixes=("", "_task"))
    names = snap.region.grid_table.set_index("code")
    a = a.assign(grid_name=[names.at[g, "name_zh"] if g in names.index else g
                            for g in a["grid_code"]])
    return a.sort_values(["overdue", "due_at", "code", "grid_code"],
                         ascending=[False, True, True, True])


def _listing(source: DataSource, who: Principal, lang: str, now: datetime | None = None):
    """The list and its count; ``now`` (naive UTC) after a write of this request, read from
    the store as it stands after it."""
    snap = source.snapshot() if now is None else source.after_write()
    instant = timeutil.local_now(source.settings.timezone) if now is None else \
        timeutil.utc_to_local(now, source.settings.timezone) + timedelta(microseconds=1)
    rows = my_work(snap, who, instant)
    names = snap.region.names("grids", lang)
    records = [r | {"grid_name": names.get(r["grid_code"], r["grid_name"])}
               for r in rows.head(SHOWN).to_dict("records")]
    count = t("work.count", lang, n=len(rows), overdue=int(rows["overdue"].sum()),
              shown=min(len(rows), SHOWN))
    return page.options(records, lang), count


def work_list(source: DataSource, refresh: int | None, lang: str, who: Principal) -> dict:
    """The page opens or the refresh is pressed → the open assignments."""
    options, count = _listing(source, who, lang)
    return {"options": options, "count": count}


ACTIONS = {ID.WORK_HAND_OFF: "handed_off", ID.WORK_ACKNOWLEDGE: "acknowledged",
           ID.WORK_COMPLETE: "completed"}


def work_act(source: DataSource, hand_off: int | None, acknowledge: int | None,
             complete: int | None, chosen: str | None, token: str | None, lang: str,
             who: Principal, triggered=None, now: datetime | None = None) -> dict:
    """A button → that stage for the chosen assignment, if it stands at the stage before;
    the list again afterwards."""
    fired = {p.split(".")[0] for p in fired_props(triggered)}
    event = next((e for button, e in ACTIONS.items() if button in fired), None)
    if event is None:
        return dict.fromkeys(("result", "token", "options", "count", "value"), no_update)
    code, _, grid = (chosen or "").partition("|") if isinstance(chosen, str) else ("", "", "")
    if not code or not grid or len(chosen) > 80:
        return {"result": result_div(t("work.choose", lang), False), "token": no_update,
                "options": no_update, "count": no_update, "value": no_update}
    snap = source.snapshot()
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    instant = timeutil.utc_to_local(moment, source.settings.timezone) + timedelta(seconds=1)
    stood = my_work(snap, who, instant)
    found = stood[(stood["code"] == code) & (stood["grid_code"] == grid)]
    answer = {"token": task_layout.new_token(), "value": no_update}
    if found.empty or found.iloc[0]["stage"] != BEFORE[event]:
        answer["result"] = result_div(t(f"work.not_ready.{event}", lang), False)
    else:
        item = {"task_code": code, "grid_code": grid, "event": event,
                "at": moment.replace(tzinfo=UTC).isoformat()}
        try:
            submit(source.writer, Reference.from_region(snap.region), "task-events",
                   {"items": [item]}, who, f"work-{token}" if isinstance(token, str)
                   and len(token) == 32 else None, Places.of(snap.region))
            answer["result"] = result_div(t(f"work.done.{event}", lang, task=code,
                                            grid=found.iloc[0]["grid_name"]), True)
            answer["value"] = None if event == "completed" else chosen
        except IngestError as exc:
            answer["result"] = refused_text(exc, lang)
    answer["options"], answer["count"] = _listing(source, who, lang, moment)
    return answer


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, work_list,
         output={"options": Output(ID.WORK_LIST, "options"),
                 "count": Output(ID.WORK_COUNT, "children")},
         inputs={"refresh": Input(ID.WORK_REFRESH, "n_clicks"), "lang": State(ID.LANG, "data")})
    bind(app, source, work_act,
         output={"result": Output(ID.WORK_RESULT, "children"),
                 "token": Output(ID.WORK_TOKEN, "data"),
                 "options": Output(ID.WORK_LIST, "options", allow_duplicate=True),
                 "count": Output(ID.WORK_COUNT, "children", allow_duplicate=True),
                 "value": Output(ID.WORK_LIST, "value")},
         inputs={"hand_off": Input(ID.WORK_HAND_OFF, "n_clicks"),
                 "acknowledge": Input(ID.WORK_ACKNOWLEDGE, "n_clicks"),
                 "complete": Input(ID.WORK_COMPLETE, "n_clicks"),
                 "chosen": State(ID.WORK_LIST, "value"), "token": State(ID.WORK_TOKEN, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call=True)
