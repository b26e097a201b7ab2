"""Batch kinds: each write endpoint's fields, whole-batch validation and its applier.

A batch is checked field by field first (every error, with its row and field), then applied
inside one write transaction that looks at what is already stored: a row equal to a stored one
(same natural key, same values) is a duplicate and creates nothing; a row with the same natural
key but different values is a conflict and refuses the whole batch. Nothing is stored unless
every row is accepted.

Before anything is applied, every row is checked against its writer's scope
(``gridwatch.ingest.scope``: each kind says where its rows lie, ``BatchKind.where``); a row
outside it refuses the whole batch (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from gridwatch.auth.policy import Principal
from gridwatch.ingest import fields as f
from gridwatch.ingest.errors import IngestError, Phrase, RowError, refuse, say
from gridwatch.ingest.scope import (
    CHECKPOINT,
    GRID,
    LEAD,
    Places,
    Where,
    check_scope,
    county_wide,
)
from gridwatch.ingest.store import Outcome, run_write
from gridwatch.store import models as m
from gridwatch.store.writes import Write

MAX_ITEMS = 5000
"""The most rows one request may carry; larger sets are sent as several batches."""

LEAD_STAGES = m.LEAD_STAGES
LEAD_CATEGORIES = ("returnee", "fever", "gathering", "other")
TASK_SCOPES = ("county", "township", "grids")
TASK_EVENTS = ("handed_off", "acknowledged", "completed")
"""An assignment's stages after the county issued it, in order: the township hands it off
(交办), the grid acknowledges (签收) and completes it."""


@dataclass(frozen=True)
class Field:
    parse: Callable
    required: bool = True
    ref: str | None = None  # "grid", "township" or "checkpoint": must exist in the region


@dataclass(frozen=True)
class BatchKind:
    """One write endpoint's batch: its fields, a cross-field check and its applier."""

    name: str
    fields: dict[str, Field]
    apply: Callable[[Write, list[dict], f.Reference], Outcome]
    check: Callable[[dict], list[tuple[str, Phrase]]] = field(default=lambda row: [])
    summary: str = ""
    where: Where = field(default_factory=lambda: county_wide("record", ""))
    """Where its rows lie, for the scope check; a kind that does not say needs the county."""


def iso(moment: datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with ``Z`` (how audit rows keep times)."""
    return None if moment is None else moment.isoformat() + "Z"


# --- validation ---------------------------------------------------------------------------------

def validate(kind: BatchKind, body, ref: f.Reference) -> list[dict]:
    """Check a request body ``{"items": [...]}`` of ``kind``; return the parsed rows.

    Raises
    ------
    IngestError
        400 when the body is not of the documented shape, 422 with every row error otherwise.
    """
    if not isinstance(body, dict):
        raise refuse(400, "batch.not_object", shape='{"items": [...]}')
    extra = sorted(set(body) - {"items"})
    if extra:
        raise refuse(400, "batch.unknown_top_field", extra[0], name=repr(extra[0]))
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise refuse(400, "batch.items_not_list", "items")
    if len(items) > MAX_ITEMS:
        raise refuse(413, "batch.too_many_items", "items", max=MAX_ITEMS)
    return validate_rows(kind, items, ref)


def validate_rows(kind: BatchKind, items: list, ref: f.Reference) -> list[dict]:
    """Parse every row of ``items``; raise ``IngestError`` (422) listing every error."""
    errors: list[RowError] = []
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RowError(i, None, "batch.item_not_object"))
            continue
        row, row_errors = _parse_row(kind, item, ref)
        errors.extend(RowError.of(i, name, reason) for name, reason in row_errors)
        rows.append(row)
    if errors:
        raise IngestError(422, errors)
    return rows


def _parse_row(kind: BatchKind, item: dict, ref: f.Reference) -> tuple[dict, list]:
    errors = [(str(name)[:40], say("row.unknown_field")) for name in item
              if name not in kind.fields]
    row: dict = {}
    for name, spec in kind.fields.items():
        raw = item.get(name)
        if f.is_blank(raw):
            if spec.required:
                errors.append((name, say("row.required")))
            else:
                row[name] = None
            continue
        try:
            value = spec.parse(raw)
        except f.FieldError as exc:
            errors.append((name, exc))
            continue
        if spec.ref and not _known(spec.ref, value, ref):
            errors.append((name, unknown_code(spec.ref, value)))
            continue
        row[name] = value
    if not errors:
        errors.extend(kind.check(row))
    return row, errors


def unknown_code(what: str, code) -> Phrase:
    """The reason for an unknown code; ``what`` is grid, township, checkpoint, task or lead."""
    return say("row.unknown_code", what=say(f"noun.{what}"), code=code)


def _known(what: str, value, ref: f.Reference) -> bool:
    values = value if isinstance(value, list) else [value]
    table = {"grid": ref.grids, "township": ref.townships, "checkpoint": ref.checkpoints}[what]
    return all(v in table for v in values)


# --- appliers -----------------------------------------------------------------------------------

class _Problems:
    """Row errors found while applying: 422 when a reference or order is wrong, else 409."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.invalid = False

    def conflict(self, row: int, name: str, key: str, /, **params) -> None:
        self.errors.append(RowError(row, name, key, params))

    def invalid_row(self, row: int, name: str, key: str, /, **params) -> None:
        self.invalid = True
        self.errors.append(RowError(row, name, key, params))

    def raise_any(self) -> None:
        if self.errors:
            raise IngestError(422 if self.invalid else 409, self.errors)


def _same_or_conflict(problems: _Problems, i: int, stored: dict, row: dict, names: tuple,
                      what: Phrase) -> bool:
    """True when ``row`` repeats ``stored``; otherwise record a conflict and return False."""
    for name in names:
        if stored.get(name) != row.get(name):
            problems.conflict(i, name, "conflict.stored", what=what, name=name,
                              value=_show(stored.get(name)))
            return False
    return True


def _show(value) -> str:
    return iso(value) if isinstance(value, datetime) else repr(value)


def _apply_risk(w: Write, rows: list[dict], _ref) -> Outcome:
    s = w.session
    t = m.RiskAssessment
    grids = sorted({r["grid_code"] for r in rows})
    stored = s.execute(select(t.id, t.grid_code, t.colour, t.observed_at, t.source, t.note)
                       .where(t.grid_code.in_(grids)).order_by(t.observed_at, t.id)).all()
    by_key = {(r.grid_code, r.observed_at, r.source): {"colour": r.colour, "note": r.note}
              for r in stored}
    current = {r.grid_code: (r.observed_at, r.colour) for r in stored}
    problems, new, entries = _Problems(), [], []
    duplicates = stale = 0
    for i, r in enumerate(rows):
        key = (r["grid_code"], r["observed_at"], r["source"])
        if key in by_key:
            what = say("what.assessment", grid=key[0], source=key[2], at=iso(key[1]))
            if _same_or_conflict(problems, i, by_key[key], r, ("colour",), what):
                duplicates += 1
            continue
        by_key[key] = {"colour": r["colour"], "note": r["note"]}
        before = current.get(r["grid_code"])
        if before is None or r["observed_at"] >= before[0]:
            current[r["grid_code"]] = (r["observed_at"], r["colour"])
        else:
            stale += 1
        after = current[r["grid_code"]]
        new.append({**r, "recorded_at": w.ctx.now})
        entries.append({
            "action": "risk.assess", "entity": "grid", "entity_key": r["grid_code"],
            "before": None if before is None else {"colour": before[1],
                                                   "observed_at": iso(before[0])},
            "after": {"colour": after[1], "observed_at": iso(after[0]),
                      "assessment": {"colour": r["colour"], "observed_at": iso(r["observed_at"]),
                                     "source": r["source"], "note": r["note"]}},
        })
    problems.raise_any()
    if new:
        s.execute(insert(t), new)
        w.audit(entries)
    return Outcome({"applied": len(new), "duplicates": duplicates, "stale": stale})


def _apply_levels(w: Write, rows: list[dict], _ref) -> Outcome:
    s = w.session
    t = m.ControlLevelChange
    towns = sorted({r["township_code"] for r in rows})
    stored = s.execute(select(t).where(t.township_code.in_(towns))
                       .order_by(t.effective_at, t.id)).scalars().all()
    by_key = {(r.township_code, r.effective_at): {"level": r.level} for r in stored}
    current = {r.township_code: (r.effective_at, r.level) for r in stored}
    problems, new, entries = _Problems(), [], []
    duplicates = stale = 0
    for i, r in enumerate(rows):
        key = (r["township_code"], r["effective_at"])
        if key in by_key:
            what = say("what.level", township=key[0], at=iso(key[1]))
            if _same_or_conflict(problems, i, by_key[key], r, ("level",), what):
                duplicates += 1
            continue
        by_key[key] = {"level": r["level"]}
        before = current.get(key[0])
        if before is None or key[1] >= before[0]:
            current[key[0]] = (key[1], r["level"])
        else:
            stale += 1
        after = current[key[0]]
        new.append(r)
        entries.append({
            "action": "township.level", "entity": "township", "entity_key": key[0],
            "before": None if before is None else {"level": before[1],
                                                   "effective_at": iso(before[0])},
            "after": {"level": after[1], "effective_at": iso(after[0]),
                      "change": {"level": r["level"], "effective_at": iso(key[1]),
                                 "source": r["source"], "note": r["note"]}},
        })
    problems.raise_any()
    if new:
        s.execute(insert(t), new)
        w.audit(entries)
    return Outcome({"applied": len(new), "duplicates": duplicates, "stale": stale})


def _insert_new(w: Write, rows: list[dict], table, key_names: tuple, compare: tuple,
                entity: str, action: str, extra: Callable = lambda r: {}) -> Outcome:
    """Insert rows whose natural key is new; equal rows are duplicates, others conflicts."""
    s = w.session
    columns = [getattr(table, n) for n in key_names]
    wanted = [tuple(r[n] for n in key_names) for r in rows]
    query = select(*columns, *(getattr(table, n) for n in compare)).where(
        columns[0].in_(sorted({k[0] for k in wanted})))
    if len(columns) > 1:  # narrow by the second key's range (a time or a number)
        seconds = [k[1] for k in wanted]
        query = query.where(columns[1].between(min(seconds), max(seconds)))
    stored = {tuple(row[:len(key_names)]): dict(zip(compare, row[len(key_names):], strict=True))
              for row in s.execute(query)}
    problems, new, entries, duplicates = _Problems(), [], [], 0
    for i, given in enumerate(rows):
        r = {**given, **extra(given)}
        key = tuple(r[n] for n in key_names)
        label = "/".join(str(k) for k in key)
        if key in stored:
            what = say("what.record", entity=say(f"noun.{entity}"), label=label)
            if _same_or_conflict(problems, i, stored[key], r, compare, what):
                duplicates += 1
            continue
        stored[key] = {n: r.get(n) for n in compare}
        new.append(r)
        entries.append({"action": action, "entity": entity, "entity_key": label, "before": None,
                        "after": {n: (iso(v) if isinstance(v, datetime) else v)
                                  for n, v in r.items()}})
    problems.raise_any()
    if new:
        s.execute(insert(table), new)
        w.audit(entries)
    return Outcome({"applied": len(new), "duplicates": duplicates})


def _apply_directives(w: Write, rows: list[dict], _ref) -> Outcome:
    return _insert_new(w, rows, m.Directive, ("kind", "number"),
                       ("title_zh", "title_en", "issued_at"), "directive", "directive.issue")


def _apply_tasks(w: Write, rows: list[dict], _ref) -> Outcome:
    return _insert_new(w, rows, m.Task, ("code",),
                       ("title_zh", "title_en", "scope", "issued_at", "due_at"), "task",
                       "task.publish")


def _apply_checkpoint_counts(w: Write, rows: list[dict], _ref) -> Outcome:
    return _insert_new(w, rows, m.CheckpointCount, ("checkpoint_code", "hour_start"),
                       ("vehicles", "people", "qr_registrations", "flagged"), "checkpoint_hour",
                       "checkpoint.count")


def _apply_leads(w: Write, rows: list[dict], ref: f.Reference) -> Outcome:
    def extra(r):
        return {"township_code": ref.grids[r["grid_code"]],
                "summary_en": r["summary_en"] or r["summary_zh"]}

    return _insert_new(w, rows, m.Lead, ("code",),
                       ("grid_code", "category", "summary_zh", "reported_at"), "lead",
                       "lead.report", extra)


def _tasks_by_code(s: Session, codes) -> dict[str, m.Task]:
    return {t.code: t for t in s.scalars(select(m.Task).where(m.Task.code.in_(sorted(codes))))}


def _apply_assignments(w: Write, rows: list[dict], ref: f.Reference) -> Outcome:
    s = w.session
    tasks = _tasks_by_code(s, {r["task_code"] for r in rows})
    problems = _Problems()
    prepared = []
    for i, r in enumerate(rows):
        task = tasks.get(r["task_code"])
        if task is None:
            problems.invalid_row(i, "task_code", "row.unknown_code", what=say("noun.task"),
                                 code=r["task_code"])
            continue
        issued = r["issued_at"] or task.issued_at
        due = r["due_at"] or task.due_at
        if issued < task.issued_at:
            problems.invalid_row(i, "issued_at", "task.before_published",
                                 at=iso(task.issued_at))
        elif due <= issued:
            problems.invalid_row(i, "due_at", "row.due_before_issue")
        else:
            prepared.append((i, {"task_id": task.id, "grid_code": r["grid_code"],
                                 "township_code": ref.grids[r["grid_code"]],
                                 "issued_at": issued, "due_at": due}, task.code))
    problems.raise_any()
    t = m.TaskAssignment
    stored = {(a.task_id, a.grid_code): {"issued_at": a.issued_at, "due_at": a.due_at}
              for a in s.scalars(select(t).where(t.task_id.in_({p[1]["task_id"]
                                                                for p in prepared})))}
    new, entries, duplicates = [], [], 0
    for i, row, task_code in prepared:
        key = (row["task_id"], row["grid_code"])
        what = say("what.assignment", task=task_code, grid=row["grid_code"])
        if key in stored:
            if _same_or_conflict(problems, i, stored[key], row, ("issued_at", "due_at"), what):
                duplicates += 1
            continue
        stored[key] = row
        new.append(row)
        entries.append({"action": "task.assign", "entity": "task_assignment",
                        "entity_key": f"{task_code}/{row['grid_code']}", "before": None,
                        "after": {"issued_at": iso(row["issued_at"]),
                                  "due_at": iso(row["due_at"])}})
    problems.raise_any()
    if new:
        s.execute(insert(t), new)
        w.audit(entries)
    return Outcome({"applied": len(new), "duplicates": duplicates})


def _apply_task_events(w: Write, rows: list[dict], _ref) -> Outcome:
    """Move assignments through the stages ``TASK_EVENTS`` (hand-off by the township, then the
    grid's acknowledgement and completion): each stage once, after the one before it and in
    time order with the stages already stored; rows apply in time order, so one batch may
    carry a whole assignment's story in any order."""
    s = w.session
    tasks = _tasks_by_code(s, {r["task_code"] for r in rows})
    t = m.TaskAssignment
    ids = {task.id for task in tasks.values()}
    columns = [f"{e}_at" for e in TASK_EVENTS]
    state = {(a.task_id, a.grid_code): {"id": a.id, "issued_at": a.issued_at} |
             {c: getattr(a, c) for c in columns}
             for a in s.scalars(select(t).where(t.task_id.in_(ids)))}
    original = {k: dict(v) for k, v in state.items()}
    problems, duplicates, changed = _Problems(), 0, {}
    order = sorted(range(len(rows)),
                   key=lambda i: (rows[i]["at"], TASK_EVENTS.index(rows[i]["event"])))
    for i in order:
        r = rows[i]
        task = tasks.get(r["task_code"])
        if task is None:
            problems.invalid_row(i, "task_code", "row.unknown_code", what=say("noun.task"),
                                 code=r["task_code"])
            continue
        a = state.get((task.id, r["grid_code"]))
        if a is None:
            problems.invalid_row(i, "grid_code", "task.not_assigned", task=task.code,
                                 grid=r["grid_code"])
            continue
        reason = _task_event_refusal(a, r)
        if reason == "duplicate":
            duplicates += 1
        elif reason is not None:
            key, name, params = reason
            (problems.conflict if key == "task.already" else problems.invalid_row)(
                i, name, key, task=task.code, grid=r["grid_code"], **params)
        else:
            a[f"{r['event']}_at"] = r["at"]
            changed[(task.id, r["grid_code"])] = (task.code, r["grid_code"])
    problems.raise_any()
    entries = []
    for key, (task_code, grid) in changed.items():
        a = state[key]
        s.execute(update(t).where(t.id == a["id"]).values({c: a[c] for c in columns}))
        entries.append({"action": "task.progress", "entity": "task_assignment",
                        "entity_key": f"{task_code}/{grid}",
                        "before": {c: iso(original[key][c]) for c in columns},
                        "after": {c: iso(a[c]) for c in columns}})
    w.audit(entries)
    applied = len(rows) - duplicates
    return Outcome({"applied": applied, "duplicates": duplicates})


def _task_event_refusal(a: dict, r: dict):
    """Why the stage ``r`` cannot apply to the assignment ``a`` (a catalogue key, the field and
    its parameters), ``"duplicate"`` when it is already stored as given, None when it applies."""
    event, at = r["event"], r["at"]
    stored = a[f"{event}_at"]
    if stored is not None:
        if stored == at:
            return "duplicate"
        return "task.already", "at", {"state": say(f"state.{event}"), "at": iso(stored)}
    if at < a["issued_at"]:
        return "task.before_issued", "at", {"at": iso(a["issued_at"])}
    index = TASK_EVENTS.index(event)
    if index:
        before = TASK_EVENTS[index - 1]
        if a[f"{before}_at"] is None:
            return "task.needs_stage", "event", {"state": say(f"state.{event}"),
                                                 "before": say(f"state.{before}")}
        if at < a[f"{before}_at"]:
            return "task.before_stage", "at", {"before": say(f"state.{before}"),
                                               "at": iso(a[f"{before}_at"])}
    later = [e for e in TASK_EVENTS[index + 1:] if a[f"{e}_at"] is not None]
    if later and at > a[f"{later[0]}_at"]:
        return "task.after_stage", "at", {"after": say(f"state.{later[0]}"),
                                          "at": iso(a[f"{later[0]}_at"])}
    return None


def _apply_lead_stages(w: Write, rows: list[dict], _ref) -> Outcome:
    s = w.session
    t = m.Lead
    leads = {lead.code: lead for lead in s.scalars(
        select(t).where(t.code.in_(sorted({r["lead_code"] for r in rows}))))}
    state = {code: {f"{st}_at": getattr(lead, f"{st}_at") for st in LEAD_STAGES} |
             {"outcome": lead.outcome} for code, lead in leads.items()}
    original = {k: dict(v) for k, v in state.items()}
    problems, duplicates, changed = _Problems(), 0, set()
    order = sorted(range(len(rows)),
                   key=lambda i: (rows[i]["at"], LEAD_STAGES.index(rows[i]["stage"])))
    for i in order:
        r = rows[i]
        lead = state.get(r["lead_code"])
        if lead is None:
            problems.invalid_row(i, "lead_code", "row.unknown_code", what=say("noun.lead"),
                                 code=r["lead_code"])
            continue
        column = f"{r['stage']}_at"
        if lead[column] is not None:
            if lead[column] == r["at"]:
                duplicates += 1
            else:
                problems.conflict(i, "at", "lead.already", lead=r["lead_code"],
                                  state=say(f"state.{r['stage']}"), at=iso(lead[column]))
            continue
        index = LEAD_STAGES.index(r["stage"])
        earlier = [(st, lead[f"{st}_at"]) for st in LEAD_STAGES[:index] if lead[f"{st}_at"]]
        later = [(st, lead[f"{st}_at"]) for st in LEAD_STAGES[index + 1:] if lead[f"{st}_at"]]
        if r["stage"] == "closed" and lead["acknowledged_at"] is None:
            problems.invalid_row(i, "stage", "lead.close_unacknowledged")
            continue
        bad = [st for st, at in earlier if r["at"] < at] + [st for st, at in later
                                                             if r["at"] > at]
        if bad:
            problems.invalid_row(i, "at", "lead.out_of_order", state=say(f"state.{r['stage']}"),
                                 at=iso(r["at"]), other=say(f"state.{bad[0]}"),
                                 other_at=iso(lead[f"{bad[0]}_at"]))
            continue
        lead[column] = r["at"]
        if r["stage"] == "closed":
            lead["outcome"] = r["outcome"]
        changed.add(r["lead_code"])
    problems.raise_any()
    entries = []
    for code in sorted(changed):
        values = {k: v for k, v in state[code].items() if k != "reported_at"}
        s.execute(update(t).where(t.code == code).values(**values))
        entries.append({"action": "lead.stage", "entity": "lead", "entity_key": code,
                        "before": {k: _show_plain(v) for k, v in original[code].items()},
                        "after": {k: _show_plain(v) for k, v in state[code].items()}})
    w.audit(entries)
    return Outcome({"applied": len(rows) - duplicates, "duplicates": duplicates})


def _show_plain(value):
    return iso(value) if isinstance(value, datetime) else value


# --- cross-field checks -------------------------------------------------------------------------

def _due_after_issue(row: dict) -> list[tuple[str, Phrase]]:
    if row.get("due_at") and row.get("issued_at") and row["due_at"] <= row["issued_at"]:
        return [("due_at", say("row.due_before_issue"))]
    return []


def _on_the_hour(row: dict) -> list[tuple[str, Phrase]]:
    problems = []
    start = row["hour_start"]
    if (start.minute, start.second, start.microsecond) != (0, 0, 0):
        problems.append(("hour_start", say("checkpoint.not_on_the_hour")))
    for name in ("flagged", "qr_registrations"):
        if row[name] > row["people"]:
            problems.append((name, say("checkpoint.more_than_people", value=row[name],
                                       people=row["people"])))
    return problems


def _outcome_only_when_closed(row: dict) -> list[tuple[str, Phrase]]:
    if row.get("outcome") and row["stage"] != "closed":
        return [("outcome", say("lead.outcome_not_closed"))]
    return []


TS = Field(f.timestamp)
COUNT = Field(f.integer(0, 1_000_000))

KINDS: dict[str, BatchKind] = {k.name: k for k in (
    BatchKind("risk-assessments", {
        "grid_code": Field(f.code, ref="grid"), "colour": Field(f.colour),
        "observed_at": TS, "source": Field(f.text(64)), "note": Field(f.text(2000), False),
    }, _apply_risk, summary="Grid risk assessments (five-colour code)", where=GRID),
    BatchKind("control-levels", {
        "township_code": Field(f.code, ref="township"),
        "level": Field(f.choice(m.CONTROL_LEVELS)), "effective_at": TS,
        "source": Field(f.text(64)), "note": Field(f.text(2000), False),
    }, _apply_levels, summary="Township control-level changes",
        where=county_wide("township", "township_code")),
    BatchKind("directives", {
        "kind": Field(f.choice(("order", "notice"))), "number": Field(f.integer(1, 100_000)),
        "title_zh": Field(f.text(500)), "title_en": Field(f.text(500)), "issued_at": TS,
    }, _apply_directives, summary="Orders (指挥部令) and notices (通告)",
        where=county_wide("directive", "number", lambda r: f"{r['kind']}/{r['number']}")),
    BatchKind("tasks", {
        "code": Field(f.code), "title_zh": Field(f.text(500)), "title_en": Field(f.text(500)),
        "scope": Field(f.choice(TASK_SCOPES)), "issued_at": TS, "due_at": TS,
    }, _apply_tasks, _due_after_issue, summary="Publish special tasks",
        where=county_wide("task", "code")),
    BatchKind("task-assignments", {
        "task_code": Field(f.code), "grid_code": Field(f.code, ref="grid"),
        "issued_at": Field(f.timestamp, False), "due_at": Field(f.timestamp, False),
    }, _apply_assignments, _due_after_issue, summary="Assign special tasks to grids",
        where=GRID),
    BatchKind("task-events", {
        "task_code": Field(f.code), "grid_code": Field(f.code, ref="grid"),
        "event": Field(f.choice(TASK_EVENTS)), "at": TS,
    }, _apply_task_events, where=GRID,
        summary="A township hands a task off to a grid; the grid acknowledges and completes it"),
    BatchKind("checkpoint-counts", {
        "checkpoint_code": Field(f.code, ref="checkpoint"), "hour_start": TS,
        "vehicles": COUNT, "people": COUNT, "qr_registrations": COUNT, "flagged": COUNT,
    }, _apply_checkpoint_counts, _on_the_hour, summary="Checkpoint hourly counts",
        where=CHECKPOINT),
    BatchKind("leads", {
        "code": Field(f.code), "grid_code": Field(f.code, ref="grid"),
        "category": Field(f.choice(LEAD_CATEGORIES)), "summary_zh": Field(f.text(2000)),
        "summary_en": Field(f.text(2000), False), "reported_at": TS,
    }, _apply_leads, summary="Report leads (线索)", where=GRID),
    BatchKind("lead-stages", {
        "lead_code": Field(f.code), "stage": Field(f.choice(LEAD_STAGES[1:])), "at": TS,
        "outcome": Field(f.text(2000), False),
    }, _apply_lead_stages, _outcome_only_when_closed,
        summary="Move leads through acknowledged, escalated, dispatched, closed", where=LEAD),
)}


def submit(engine: Engine, ref: f.Reference, kind_name: str, body, principal: Principal,
           idempotency_key: str | None = None, places: Places | None = None
           ) -> tuple[Outcome, bool]:
    """Validate and apply one batch as ``principal``: all of it or none of it.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's write engine (``DataSource.writer``).
    ref : Reference
        The region's codes.
    kind_name : str
        A key of ``KINDS``, e.g. "risk-assessments".
    body : dict
        ``{"items": [...]}``.
    principal : Principal
        Who writes, within its scope (``scope.check_scope``); recorded in the audit log.
    idempotency_key : str, optional
        A replay with the same key returns the first answer and changes nothing.
    places : Places, optional
        The region's places the scope is checked against (``Places.of(region)``; without
        them only what ``ref`` says of grids is known, so a narrower scope may be refused).

    Returns
    -------
    (Outcome, bool)
        The answer and whether it was an idempotent replay.

    Raises
    ------
    IngestError
        Nothing was stored; ``errors`` says why, per row and field (403 for rows outside the
        writer's scope).
    """
    kind = KINDS[kind_name]
    rows = validate(kind, body, ref)
    def apply(w: Write) -> Outcome:
        check_scope(kind.where, rows, principal, places, w.session, ref)
        return kind.apply(w, rows, ref)

    return run_write(engine, principal, kind.name, body, apply, idempotency_key)


def submit_together(engine: Engine, ref: f.Reference, batches: list[tuple[str, dict]],
                    principal: Principal, idempotency_key: str | None = None,
                    places: Places | None = None) -> tuple[Outcome, bool]:
    """Several batches (kind name, body) as one write: every one of them or none, each
    validated, scope-checked and applied as ``submit`` does, in the order given (a task is
    published before it is assigned). The answer holds each kind's answer under its name."""
    parsed = [(KINDS[name], validate(KINDS[name], body, ref)) for name, body in batches]

    def apply(w: Write) -> Outcome:
        answers = {}
        for kind, rows in parsed:
            check_scope(kind.where, rows, principal, places, w.session, ref)
            answers[kind.name] = kind.apply(w, rows, ref).body
        return Outcome(answers)

    endpoint = "+".join(name for name, _ in batches)
    return run_write(engine, principal, endpoint, dict(batches), apply, idempotency_key)
