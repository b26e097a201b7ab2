"""The task funnel's rules on the literal assignments (``tests/unit/literal.py``), worked by
hand: published → handed off (township) → acknowledged → completed, at an instant."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import select, text

from gridwatch import tasks
from gridwatch.store import models as m
from gridwatch.store.db import alembic_config, make_engine
from tests.unit.literal import ASSIGNMENTS, G1, G2, G3, G4, G5, GRIDS, TASKS, A, B, at, table

ALL = set(GRIDS)


@pytest.fixture
def assignments() -> pd.DataFrame:
    return table("assignments", ASSIGNMENTS)


@pytest.fixture
def task_rows() -> pd.DataFrame:
    return table("tasks", TASKS)


def test_stage_is_what_had_happened_before_the_instant(assignments):
    found = tasks.stages_at(assignments, at("02-01 10:20")).set_index("id")
    assert found["stage"].to_dict() == {1: "handed_off", 2: "handed_off", 3: "published"}
    assert found["waiting"].to_dict() == {1: "grid", 2: "grid", 3: "township"}
    assert not found["overdue"].any()
    # at 02-02 12:00 the completion recorded at 12:00 itself has not happened yet
    found = tasks.stages_at(assignments, at("02-02 12:00")).set_index("id")
    assert found.loc[2, "stage"] == "acknowledged" and found.loc[2, "overdue"]
    assert found.loc[1, "stage"] == "completed" and pd.isna(found.loc[1, "waiting"])


def test_funnel_counts_every_stage_reached_in_all_and_per_township(assignments):
    assert tasks.funnel(assignments, ALL, at("02-02 00:00")) == {
        "published": 3, "handed_off": 3, "acknowledged": 2, "completed": 1, "overdue": 0}
    assert tasks.funnel(assignments, ALL, at("02-04 00:00")) == {
        "published": 6, "handed_off": 6, "acknowledged": 5, "completed": 3, "overdue": 2}
    towns = tasks.funnel_by_township(assignments, ALL, at("02-02 12:00"))
    assert towns.to_dict("index") == {
        A: {"published": 2, "handed_off": 2, "acknowledged": 2, "completed": 1, "overdue": 1},
        B: {"published": 1, "handed_off": 1, "acknowledged": 0, "completed": 0, "overdue": 1}}
    only_a = tasks.funnel(assignments, {G1, G2, G3}, at("02-04 00:00"))
    assert only_a == {"published": 4, "handed_off": 4, "acknowledged": 4, "completed": 3,
                      "overdue": 0}
    assert tasks.funnel(assignments, set(), at("02-04 00:00"))["published"] == 0
    assert tasks.funnel_by_township(assignments, set(), at("02-04 00:00")).empty


def test_a_township_that_has_not_handed_off_holds_its_grids_at_published(assignments):
    found = tasks.task_grids(assignments, 2, at("02-03 08:15"))
    assert found["grid_code"].tolist() == [G5, G1]  # overdue first
    g5 = found.iloc[0]
    assert (g5["stage"], g5["waiting"], bool(g5["overdue"])) == ("published", "township", True)
    assert pd.isna(g5["handed_off_at"]) and pd.isna(g5["acknowledged_at"])
    later = tasks.task_grids(assignments, 2, at("02-03 08:45")).set_index("grid_code")
    assert later.loc[G5, "stage"] == "handed_off"
    assert later.loc[G5, "handed_off_at"] == at("02-03 08:30")
    assert pd.isna(later.loc[G5, "acknowledged_at"])  # 09:00 is after the instant
    assert later.loc[G1, "completed_at"] == at("02-03 08:00")


def test_task_list_puts_overdue_tasks_first_then_newest(task_rows, assignments):
    found = tasks.task_list(task_rows, assignments, ALL, at("02-04 00:00"))
    assert found["code"].tolist() == ["T0002", "T0001", "T0003"]
    row = found.set_index("code").loc["T0001"]
    assert (row["grids"], row["handed_off"], row["acknowledged"], row["completed"],
            row["overdue"], row["state"]) == (3, 3, 2, 2, 1, "overdue")
    assert found.set_index("code").loc["T0003", "state"] == "open"
    done = tasks.task_list(task_rows, assignments, {G1}, at("02-04 00:00"))
    assert done.set_index("code")["state"].to_dict() == {"T0001": "done", "T0002": "done"}
    assert tasks.task_list(task_rows, assignments, ALL, at("02-01 09:00")).empty


def test_overdue_grids_for_the_map(assignments):
    assert tasks.overdue_by_grid(assignments, ALL, at("02-04 00:00")) == {G4: 1, G5: 1}
    assert tasks.overdue_by_grid(assignments, {G1, G2}, at("02-04 00:00")) == {}
    assert tasks.overdue_by_grid(assignments, ALL, at("02-02 12:00")) == {G2: 1, G4: 1}


def test_a_day_counts_the_work_in_play_on_it(task_rows, assignments):
    day = {"instant": at("02-04 00:00"), "since": at("02-03 00:00")}
    # 1 and 2 were completed before 02-03; 3 is still open, 4 was completed on the day
    assert tasks.funnel(assignments, ALL, **day) == {
        "published": 4, "handed_off": 4, "acknowledged": 3, "completed": 1, "overdue": 2}
    listed = tasks.task_list(task_rows, assignments, ALL, **day).set_index("code")
    assert listed["grids"].to_dict() == {"T0002": 2, "T0001": 1, "T0003": 1}


@pytest.mark.stores  # the migration runs on PostgreSQL too
def test_the_migration_backfills_a_hand_off_from_the_townships_first_acknowledgement(stores):
    engine = make_engine(stores.empty("tasks-0006"))
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0006")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tasks (id, code, title_zh, title_en, scope, issued_at, "
                          "due_at) VALUES (1, 'T1', '任务', 'Task', 'grids', :i, :d)"),
                     {"i": datetime(2020, 2, 1, 8), "d": datetime(2020, 2, 2, 8)})
        for id_, grid, town, ack in ((1, "g1", "t1", datetime(2020, 2, 1, 9, 30)),
                                     (2, "g2", "t1", datetime(2020, 2, 1, 9)),
                                     (3, "g3", "t2", None)):
            conn.execute(text(
                "INSERT INTO task_assignments (id, task_id, grid_code, township_code, "
                "issued_at, due_at, acknowledged_at) VALUES (:id, 1, :g, :t, :i, :d, :a)"),
                {"id": id_, "g": grid, "t": town, "i": datetime(2020, 2, 1, 8),
                 "d": datetime(2020, 2, 2, 8), "a": ack})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(select(m.TaskAssignment.id, m.TaskAssignment.handed_off_at)
                            .order_by(m.TaskAssignment.id)).all()
    # both grids of t1 were handed off by the earliest acknowledgement there; g3 never was
    assert [tuple(r) for r in rows] == [(1, datetime(2020, 2, 1, 9)),
                                        (2, datetime(2020, 2, 1, 9)), (3, None)]
    engine.dispose()


def test_the_demo_hands_every_task_off_between_publication_and_the_first_acknowledgement(
        snap):
    a = snap.assignments
    assert a["handed_off_at"].notna().all()
    assert (a["handed_off_at"] > a["issued_at"]).all()
    assert (a["handed_off_at"] <= a["acknowledged_at"]).all()
    per_town = a.groupby(["task_id", "township_code"])["handed_off_at"].nunique()
    assert (per_town == 1).all()  # one hand-off per task and township


# --- acting from the screen (callbacks/tasks.py) on a private copy of the demo store ----------

NOW = datetime(2026, 12, 3, 8, 30)  # naive UTC: 16:30 in the county


def _publish(source, who, **given):
    from callbacks.tasks import publish_task

    form = {"clicks": 1, "title_zh": "入户排查返乡人员", "title_en": None, "hours": 24,
            "scope": "township", "townships": [given.pop("town", None)], "grids": None,
            "token": "a" * 32, "lang": "en"} | given
    return publish_task(source, who=who, now=NOW, **form)


def _act(source, who, button, code, selected=None, token="b" * 32):
    from callbacks.tasks import act_on_task

    return act_on_task(source, 1, None, None, {"code": code}, selected, token, "en", who,
                       triggered=[f"{button}.n_clicks"], now=NOW)


def _text(result) -> str:
    return str(result.children)


def test_county_publishes_township_hands_off_grid_acknowledges_and_completes(fresh_source):
    from gridwatch.auth.policy import Principal, Scope
    from layouts.ids import ID

    region = fresh_source.region()
    town, other = sorted(region.townships["code"])[:2]
    grids = sorted(region.grid_table.loc[region.grid_table["township_code"] == town, "code"])
    county = Principal("user", "admin", name="county")
    township = Principal("user", "operator", Scope("township", frozenset({town})), name="t")
    stranger = Principal("user", "operator", Scope("township", frozenset({other})), name="o")

    # a township operator may not publish: nothing is written, and the answer says why
    version = fresh_source.snapshot().version
    refused = _publish(fresh_source, township, town=town)
    assert refused["result"].__dict__["data-ok"] == "0" and "county" in _text(refused["result"])
    assert fresh_source.snapshot().version == version

    published = _publish(fresh_source, county, town=town)
    assert published["result"].__dict__["data-ok"] == "1", _text(published["result"])
    assert published["day"] == "2026-12-03"
    snap = fresh_source.snapshot()
    task = snap.tasks[snap.tasks["code"] == "T0321"].iloc[0]
    assert task["title_en"] == "入户排查返乡人员"  # the Chinese title when none given
    assigned = snap.assignments[snap.assignments["task_id"] == task["id"]]
    assert sorted(assigned["grid_code"]) == grids
    # the same click again (same form key) writes nothing more
    _publish(fresh_source, county, town=town)
    assert len(fresh_source.snapshot().tasks) == len(snap.tasks)

    # acknowledging before the hand-off: nothing stands ready
    early = _act(fresh_source, township, ID.TASK_ACKNOWLEDGE, "T0321", [{"code": grids[0]}])
    assert _text(early["result"]) == "None of the chosen grids is handed off and waiting to " \
        "acknowledge"
    # another township's operator has no grid of this task in scope
    assert "No grid waits" in _text(_act(fresh_source, stranger, ID.TASK_HAND_OFF,
                                         "T0321")["result"])
    handed = _act(fresh_source, township, ID.TASK_HAND_OFF, "T0321")
    assert _text(handed["result"]) == f"Task T0321 handed off to {len(grids)} grids"
    acked = _act(fresh_source, township, ID.TASK_ACKNOWLEDGE, "T0321", [{"code": grids[0]}],
                 token="c" * 32)
    assert _text(acked["result"]) == "Task T0321: 1 grids acknowledged"
    done = _act(fresh_source, township, ID.TASK_COMPLETE, "T0321", [{"code": grids[0]}],
                token="d" * 32)
    assert _text(done["result"]) == "Task T0321: 1 grids completed"

    snap = fresh_source.snapshot()
    local_now = datetime(2026, 12, 3, 16, 31)
    counts = tasks.funnel(snap.assignments[snap.assignments["task_id"] == task["id"]], grids,
                          local_now)
    assert counts == {"published": len(grids), "handed_off": len(grids), "acknowledged": 1,
                      "completed": 1, "overdue": 0}
    # a stranger choosing this township's grid is refused by the write's scope check
    forced = _act(fresh_source, stranger, ID.TASK_ACKNOWLEDGE, "T0321", [{"code": grids[1]}],
                  token="e" * 32)
    assert "Nothing was written" in _text(forced["result"])
    after = fresh_source.snapshot().assignments
    assert tasks.funnel(after[after["task_id"] == task["id"]], grids,
                        local_now)["acknowledged"] == 1


def test_publishing_needs_a_title_a_deadline_and_grids(fresh_source):
    from gridwatch.auth.policy import Principal

    county = Principal("user", "admin", name="county")
    version = fresh_source.snapshot().version
    answer = _publish(fresh_source, county, title_zh="  ", hours=0, town=None)
    assert _text(answer["result"]) == ("Give the task a title. The deadline must be 1 to 720 "
                                       "hours. Choose the townships or grids it goes to.")
    hostile = _publish(fresh_source, county, scope="<script>", hours="24", town="x")
    assert hostile["result"].__dict__["data-ok"] == "0"
    assert fresh_source.snapshot().version == version


def test_the_next_task_code_follows_the_highest_number():
    from callbacks.tasks import next_code

    assert next_code(["T0001", "T0320", "X9", "T12a"]) == "T0321"
    assert next_code([]) == "T0001"
    assert next_code(["T99999"]) == "T100000"


def test_my_work_lists_only_open_assignments_in_the_writers_scope(fresh_source):
    from callbacks.work import my_work, work_act
    from gridwatch.auth.policy import Principal, Scope
    from layouts.ids import ID

    region = fresh_source.region()
    town, other = sorted(region.townships["code"])[:2]
    county = Principal("user", "admin", name="county")
    _publish(fresh_source, county, town=town)
    snap = fresh_source.snapshot()
    later = datetime(2026, 12, 3, 17, 0)
    mine = Principal("user", "operator", Scope("township", frozenset({town})), name="t")
    theirs = Principal("user", "operator", Scope("township", frozenset({other})), name="o")
    listed = my_work(snap, mine, later)
    assert set(listed["code"]) == {"T0321"} and (listed["stage"] == "published").all()
    assert my_work(snap, theirs, later).empty  # the demo's own tasks are all completed
    grid = listed.iloc[0]["grid_code"]
    answer = work_act(fresh_source, None, 1, None, f"T0321|{grid}", "f" * 32, "en", mine,
                      triggered=[f"{ID.WORK_ACKNOWLEDGE}.n_clicks"], now=NOW)
    assert _text(answer["result"]) == "This one is not handed off yet, or already acknowledged"
    answer = work_act(fresh_source, 1, None, None, f"T0321|{grid}", "f" * 32, "en", mine,
                      triggered=[f"{ID.WORK_HAND_OFF}.n_clicks"], now=NOW)
    assert "handed off to" in _text(answer["result"]) and answer["value"] == f"T0321|{grid}"
    refused = work_act(fresh_source, None, 1, None, f"T0321|{grid}", "0" * 32, "en", theirs,
                       triggered=[f"{ID.WORK_ACKNOWLEDGE}.n_clicks"], now=NOW)
    assert refused["result"].__dict__["data-ok"] == "0"  # not theirs: not even listed
    assert work_act(fresh_source, None, 1, None, "<x>", None, "en", mine,
                    triggered=[f"{ID.WORK_ACKNOWLEDGE}.n_clicks"])["result"] is not None
