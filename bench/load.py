"""The load run (issue 10): 10 walls, 50 analysts and a writer against a real server.

Four configurations, each on a fresh copy of the demo store (747 grids), for
``GRIDWATCH_LOAD_SECONDS`` (default 120) each: waitress (``app.py``, ``make run``) and gunicorn
(``gunicorn -c gunicorn.conf.py wsgi:server``, ``make serve``, default ``WORKERS``), on SQLite
and on PostgreSQL. PostgreSQL is a private throw-away cluster (``scripts/with-postgres.sh``):
when ``GRIDWATCH_TEST_DATABASE_URL`` is not set, this module runs its PostgreSQL part again in a
child process under that script. Stores are prepared by ``python -m gridwatch init-store
--seed-demo`` as a deployment would.

The clients are HTTP clients replaying what the browsers send, not browsers: each is a
``requests`` session (keep-alive, at most 6 connections, as a browser per host) that opens its
page as the browser does (the HTML for the ``endId`` token, ``/_dash-layout``,
``/_dash-dependencies``, the router's callback, then the page's initial callbacks) and keeps
the page's state (every component property it has seen in the layout and in callback answers).
A change of a property then fires the server callbacks that take it as an ``Input``, with the
payload Dash's renderer builds (``output``, ``outputs``, ``inputs``/``state`` with the current
values, ``changedPropIds``), concurrently as the renderer does, and their answers fire the next
ones, to the end of the chain. The page's clientside callbacks (``assets/wall.js``) are done here
in Python: the wall's health check (``GET /live``), the live signal and the rotation step, and
the analyst page's version poll. The
payload shapes were checked against ones recorded from headless Chromium.

- 10 walls (kiosk links → session cookie): ``/live`` every ``wall_poll_seconds`` (1 s); the
  wall's refresh callback when the live signal changes (a new data version, or its 30 s slot);
  the rotation callback every ``wall_rotate_seconds`` (20 s).
- 50 analysts (users signed in through the ``/login`` form, ``Origin`` sent as a browser
  does): a filter change every 5 s ± 1 s (township, colour, control level, a day button or a
  day picked), i.e. the filter callback and the 3 callbacks that follow the filters (map,
  panels, export links; the detail too while a grid is open, which these analysts never
  have); the page's own version poll every 2 s (a ``dcc.Interval`` whose clientside callback,
  ``pageVersion`` in ``assets/wall.js``, reads ``GET /live``), and after a write the 2
  callbacks a new data version fires (map, panels). The panels callback fills only the
  panels in view (``assets/analyst.js`` reports them): half the analysts look at the top of
  the page, the others have scrolled to one of the lower screens (``SCREENS``), set once
  after the page opens as the browser's report would. Each analyst changes filters one at a time
  (the next change waits for the previous chain), so an overloaded server sees fewer changes,
  not a pile-up.
- 1 writer: an operator token POSTing a one-item risk-assessment batch every 10 s that turns a
  green grid red (on the latest day, so the walls and the analysts see a new version).

Latencies include failed requests (a timeout counts as the 30 s client timeout); a callback
answer other than 200 with JSON (or Dash's 204 "nothing to update") is an error; a failed
login or page open aborts the run. Server CPU seconds (utime+stime over the window) and peak
RSS are sampled every second from ``/proc`` for the server and each gunicorn worker. The load
generator shares the machine's cores with the server; its own CPU is printed too.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

WALLS, ANALYSTS = 10, 50
FILTER_EVERY, FILTER_JITTER = 5.0, 1.0  # seconds between an analyst's filter changes
WRITE_EVERY = 10.0
TIMEOUT = 30.0  # the client timeout
SETUP_TIMEOUT = 120.0  # opening the pages before the measurement (not measured)
BROWSER_CONNECTIONS = 6  # a browser's connections per host
SETUP_PARALLEL = 6  # clients opening their pages at once before the measurement
AIM_P95 = 1.0
GEO_PATH = ROOT / "data" / "geo" / "kaihua.gpkg"
PASSWORD = "bench-load-password-1"
UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "HeadlessChrome/156.0.0.0 Safari/537.36 gridwatch-bench-load")
AIM = "aim: 0 errors, p95 < 1 s at 747 grids"
BASELINE = "before issue 10: waitress 364 timeouts, p95 > 120 s; gunicorn x2 0 errors, p95 17 s"

NAMES = {  # a server callback's first output → its function's name (callbacks/*.py)
    "page.children": "route", "filter-level.value": "sync_filters",
    "layer-grids.hideout": "update_map",
    "kpis.children": "update_panels",
    "grid-detail.children": "show_detail", "export-download.href": "export_links",
    "wall-layer-grids.hideout": "refresh_wall", "wall-panel-title.children": "rotate_wall",
}
KINDS = [  # (key, label) in table order; "cb:<name>" rows are a filter change's callbacks
    ("live", "wall: live poll (GET /live)"),
    ("refresh_wall", "wall: refresh callback"),
    ("rotate_wall", "wall: rotation callback"),
    ("filter_chain", "analyst: filter change, whole chain"),
    ("cb:sync_filters", "  · sync_filters"), ("cb:update_map", "  · update_map"),
    ("cb:update_panels", "  · update_panels (KPIs, charts, table)"),
    ("cb:show_detail", "  · show_detail"),
    ("cb:export_links", "  · export_links"),
    ("poll_version", "analyst: version poll (GET /live, 2 s)"),
    ("version_chain", "analyst: refresh after a new version"),
    ("write", "writer: risk batch (POST /api/v1)"),
]


class LoadAborted(Exception):
    """The run cannot go on (a login failed, a server did not start): said plainly."""


# --- measurements -------------------------------------------------------------------------------

class Recorder:
    """Latencies and failures per request kind (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.timeouts: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.active = False
        self.counts: dict[str, int] = defaultdict(int)  # events worth a note (not timed)

    def add(self, kind: str, seconds: float, outcome: str = "ok", detail: str = "") -> None:
        if not self.active:
            return
        with self.lock:
            self.times[kind].append(seconds)
            if outcome == "timeout":
                self.timeouts[kind] += 1
            elif outcome != "ok":
                self.errors[kind] += 1
            if outcome != "ok" and len(self.samples) < 12:
                self.samples.append(f"{kind}: {outcome} {detail}"[:300])

    def note(self, what: str) -> None:
        if self.active:
            with self.lock:
                self.counts[what] += 1


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


class Outcome(Exception):
    """A request that failed: ``kind`` is ``timeout`` or ``error``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail


# --- a page as the browser keeps it -------------------------------------------------------------

NO_UPDATE = object()


@dataclass
class Callback:
    output: str
    outputs: list[tuple[str, str]]
    multi: bool
    inputs: list[tuple[str, str]]
    state: list[tuple[str, str]]
    clientside: str | None
    prevent_initial: bool

    @property
    def name(self) -> str:
        first = f"{self.outputs[0][0]}.{self.outputs[0][1]}"
        return self.clientside or NAMES.get(first, first)


def parse_callbacks(deps: list[dict]) -> list[Callback]:
    found = []
    for d in deps:
        out = d["output"]
        if out.startswith(".."):
            parts, multi = out[2:-2].split("..."), True
        else:
            parts, multi = [out], False
        outputs = [tuple(p.rsplit(".", 1)) for p in parts]
        cs = d.get("clientside_function")
        found.append(Callback(
            out, outputs, multi, [(i["id"], i["property"]) for i in d.get("inputs", [])],
            [(s["id"], s["property"]) for s in d.get("state", [])],
            f"{cs['namespace']}.{cs['function_name']}" if cs else None,
            bool(d.get("prevent_initial_call"))))
    return found


def callback_answer(response: requests.Response) -> dict:
    """A callback's 200 answer: JSON with the outputs' new values under ``response``."""
    updates = response.json()["response"]
    if not isinstance(updates, dict):
        raise TypeError("no outputs")
    return updates


def live_answer(response: requests.Response) -> dict:
    h = response.json()
    if not isinstance(h.get("data_version"), str):
        raise KeyError("data_version")
    return h


class Page:
    """One browser tab: its session, its page's state, its callbacks."""

    def __init__(self, base: str, recorder: Recorder, label: str) -> None:
        self.base, self.rec, self.label = base, recorder, label
        self.http = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=BROWSER_CONNECTIONS,
                              pool_block=True, max_retries=0)
        self.http.mount("http://", adapter)
        self.http.headers.update({"User-Agent": UA, "Accept-Language": "zh-CN,zh;q=0.9",
                                  "Accept-Encoding": "gzip, deflate, br"})
        self.lock = threading.RLock()
        self.props: dict[tuple[str, str], object] = {}
        self.present: set[str] = set()
        self.callbacks: list[Callback] = []
        self.by_input: dict[tuple[str, str], list[Callback]] = defaultdict(list)
        self.end_id: str | None = None
        self.path = "/"
        self.pool: ThreadPoolExecutor | None = None
        self.timeout = SETUP_TIMEOUT
        self.mounted: list[tuple[str, str]] = []  # what a new dcc.Location sets on mount
        self.rng = random.Random(label)

    # -- HTTP ------------------------------------------------------------------------------------
    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        """One request, timed and recorded under ``kind``; raises ``Outcome`` when it fails
        (a timeout, a connection error, a status other than ``ok`` statuses)."""
        ok_status = kwargs.pop("ok_status", (200,))
        answer = kwargs.pop("answer", None)  # a check of a 200's body: raises when it is wrong
        start = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=self.timeout,
                                         **kwargs)
        except requests.Timeout as exc:
            self.rec.add(kind, time.perf_counter() - start, "timeout", str(exc)[:120])
            raise Outcome("timeout", f"{path}: timed out") from None
        except requests.RequestException as exc:
            self.rec.add(kind, time.perf_counter() - start, "error",
                         f"{type(exc).__name__}: {str(exc)[:160]}")
            raise Outcome("error", f"{path}: {type(exc).__name__}") from None
        elapsed = time.perf_counter() - start
        if response.status_code not in ok_status:
            self.rec.add(kind, elapsed, "error",
                         f"HTTP {response.status_code} {response.text[:120]!r}")
            raise Outcome("error", f"{path}: HTTP {response.status_code}")
        if answer is not None and response.status_code == 200:
            try:
                response.answer = answer(response)
            except (ValueError, KeyError, TypeError, AttributeError):
                self.rec.add(kind, elapsed, "error", f"not the JSON expected: "
                             f"{response.headers.get('Content-Type')} {response.text[:120]!r}")
                raise Outcome("error", f"{path}: not the JSON expected") from None
        self.rec.add(kind, elapsed)
        return response

    def post_headers(self) -> dict:
        return {"Origin": self.base, "Referer": self.base + self.path}

    # -- the page's state ------------------------------------------------------------------------
    def register(self, node, query: str = "") -> None:
        """Every component with an id in ``node``: its properties into the page's state (a
        ``dcc.Location`` gets the address as the browser sets it on mount)."""
        if isinstance(node, list):
            for item in node:
                self.register(item, query)
            return
        if not isinstance(node, dict) or "props" not in node or "type" not in node:
            return
        props = node["props"] or {}
        cid = props.get("id")
        if isinstance(cid, str):
            self.present.add(cid)
            for key, value in props.items():
                self.props[(cid, key)] = value
            if node["type"] == "Location":
                self.props[(cid, "pathname")] = self.path
                self.props[(cid, "search")] = query
                self.props[(cid, "href")] = self.base + self.path + query
                self.props[(cid, "hash")] = ""
                self.mounted += [(cid, "pathname"), (cid, "search"), (cid, "href"), (cid, "hash")]
        for value in props.values():
            if isinstance(value, (dict, list)):
                self.register(value, query)

    def can_fire(self, cb: Callback) -> bool:
        return all(i in self.present for i, _ in cb.outputs + cb.inputs + cb.state)

    def payload(self, cb: Callback, changed: list[str]) -> dict:
        def dep(cid, prop):
            item = {"id": cid, "property": prop}
            if (cid, prop) in self.props:
                item["value"] = self.props[(cid, prop)]
            return item

        outputs = [{"id": i, "property": p} for i, p in cb.outputs]
        with self.lock:
            return {"output": cb.output, "outputs": outputs if cb.multi else outputs[0],
                    "inputs": [dep(i, p) for i, p in cb.inputs], "changedPropIds": changed,
                    "parsedChangedPropsIds": changed,
                    "state": [dep(i, p) for i, p in cb.state]}

    def apply(self, updates: dict[str, dict]) -> list[tuple[str, str]]:
        """A callback's answer into the page's state; the properties it changed."""
        changed = []
        with self.lock:
            for cid, props in updates.items():
                for prop, value in props.items():
                    self.props[(cid, prop)] = value
                    changed.append((cid, prop))
                    if prop == "children":
                        self.register(value)
        return changed

    # -- callbacks -------------------------------------------------------------------------------
    def fire(self, cb: Callback, changed: list[str], kind: str) -> list[tuple[str, str]]:
        """Run one callback (on the server, or here for a clientside one); the properties it
        changed. ``kind`` records the server call (its name when None)."""
        if cb.clientside:
            return self.clientside(cb)
        body = json.dumps(self.payload(cb, changed), separators=(",", ":"), ensure_ascii=False)
        path = "/_dash-update-component" + (f"?endId={quote(self.end_id, safe='~')}"
                                            if self.end_id else "")
        response = self.request(kind or cb.name, "POST", path, data=body.encode(),
                                ok_status=(200, 204), answer=callback_answer,
                                headers={**self.post_headers(), "Accept": "application/json",
                                         "Content-Type": "application/json"})
        if response.status_code == 204:  # Dash's answer when every output is no_update
            return []
        return self.apply(response.answer)

    def triggered(self, changes: list[tuple[tuple[str, str], Callback | None]]) -> dict:
        """The callbacks that ``changes`` (property, the callback that made it) fire, each with
        its changed inputs (a callback is not fired by its own outputs)."""
        fired: dict[int, tuple[Callback, list[str]]] = {}
        for prop, producer in changes:
            for cb in self.by_input.get(prop, []):
                if cb is producer or not self.can_fire(cb):
                    continue
                entry = fired.setdefault(id(cb), (cb, []))
                name = f"{prop[0]}.{prop[1]}"
                if name not in entry[1]:
                    entry[1].append(name)
        return fired

    def run_level(self, level: list[tuple[Callback, list[str]]], kind_of) -> list:
        """Fire one round of callbacks concurrently (at most a browser's connections)."""
        def one(item):
            cb, changed = item
            return [(p, cb) for p in self.fire(cb, changed, kind_of(cb))]

        if len(level) == 1:
            return one(level[0])
        if self.pool is None:
            self.pool = ThreadPoolExecutor(BROWSER_CONNECTIONS - 1,
                                           thread_name_prefix=f"{self.label}-cb")
        futures = [self.pool.submit(one, item) for item in level[1:]]
        results, failure = [], None
        try:
            results += one(level[0])
        except Outcome as exc:
            failure = exc
        for f in futures:
            try:
                results += f.result()
            except Outcome as exc:
                failure = failure or exc
        if failure:
            raise failure
        return results

    def propagate(self, changes: list[tuple[tuple[str, str], Callback | None]], kind_of) -> int:
        """Fire everything ``changes`` sets off, round after round, as the renderer does; the
        number of server calls. Raises ``Outcome`` when one fails (the chain stops there)."""
        calls = 0
        while changes:
            fired = self.triggered(changes)
            if not fired:
                break
            level = list(fired.values())
            calls += sum(1 for cb, _ in level if not cb.clientside)
            changes = self.run_level(level, kind_of)
        return calls

    def set_and_propagate(self, updates: dict[tuple[str, str], object], kind_of) -> int:
        with self.lock:
            self.props.update(updates)
        return self.propagate([(p, None) for p in updates], kind_of)

    # -- clientside callbacks (assets/wall.js), done here ---------------------------------------
    def clientside(self, cb: Callback) -> list[tuple[str, str]]:
        values = [self.props.get(p) for p in cb.inputs + cb.state]
        fn = cb.clientside
        if fn == "gridwatchWall.health":
            out = self.health(values[1])
        elif fn == "gridwatchWall.live":
            h = values[0]
            out = NO_UPDATE if not h or not h.get("ok") else \
                {"ok": True, "version": h["version"], "slot": h["slot"]}
        elif fn == "gridwatchWall.pageVersion":
            out = self.page_version(values[1])
            if out is NO_UPDATE:
                return []
            return self.apply({cb.outputs[0][0]: {cb.outputs[0][1]: out},
                               cb.outputs[1][0]: {cb.outputs[1][1]: f"v{out}"}})
        elif fn == "gridwatchAnalyst.detailContext":  # only while a grid is open
            chosen = values[2]
            out = {"filters": values[0], "version": values[1]} \
                if isinstance(chosen, dict) and isinstance(chosen.get("code"), str) else NO_UPDATE
        elif fn == "gridwatchWall.step":
            h = values[1]
            out = NO_UPDATE if h and not h.get("ok") else {"n": values[0] or 0, "h": 1080}
        else:  # the banner, the clock, regionWatch: nothing the server hears of
            out = NO_UPDATE
        if out is NO_UPDATE:
            return []
        return self.apply({cb.outputs[0][0]: {cb.outputs[0][1]: out}})

    def health(self, previous):
        now = int(time.time() * 1000)
        try:
            response = self.request("live", "GET", "/live", answer=live_answer,
                                    headers={"Accept": "*/*", "Cache-Control": "no-cache",
                                             "Referer": self.base + self.path})
            h = response.answer
            nxt = {"ok": True, "version": h["data_version"], "stale": h.get("stale"),
                   "updated_at": h.get("updated_at"), "slot": now // 30000}
        except Outcome:
            nxt = {"ok": False, "since": (previous or {}).get("since") if previous and
                   not previous.get("ok") else now}
        if previous is not None and json.dumps(previous, sort_keys=True) == json.dumps(
                nxt, sort_keys=True):
            return NO_UPDATE
        return nxt

    def page_version(self, known):
        """The analyst page's poll (``pageVersion``): ``/live``, and the version if it is new."""
        try:
            response = self.request("poll_version", "GET", "/live", answer=live_answer,
                                    headers={"Accept": "*/*", "Cache-Control": "no-cache",
                                             "Referer": self.base + self.path})
        except Outcome:
            return NO_UPDATE
        version = response.answer.get("data_version")
        return NO_UPDATE if not version or version == known else version

    # -- opening the page ------------------------------------------------------------------------
    def open(self, path: str) -> None:
        """Load ``path`` as the browser does, then its initial callbacks (not measured)."""
        self.path = path
        page = self.request("page", "GET", path, headers={"Accept": "text/html"})
        if "/login" in page.url or "_dash-config" not in page.text:
            raise LoadAborted(f"{self.label}: {path} did not open the dashboard "
                              f"(ended at {page.url}, HTTP {page.status_code})")
        found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                          page.text, re.S)
        config = json.loads(found.group(1)) if found else {}
        self.end_id = config.get("end_id")
        layout = self.request("page", "GET", "/_dash-layout",
                              headers={"Accept": "application/json"}).json()
        deps = self.request("page", "GET", "/_dash-dependencies",
                            headers={"Accept": "application/json"}).json()
        self.callbacks = parse_callbacks(deps)
        for cb in self.callbacks:
            for prop in cb.inputs:
                self.by_input[prop].append(cb)
        self.register(layout)
        route = next(cb for cb in self.callbacks if cb.name == "route")
        self.mounted = []
        self.fire(route, ["url.pathname"], "page")
        self.initial_callbacks()
        # The map reports its bounds once drawn (the leaflet component sets ``bounds``).
        if "map" in self.present and ("map", "bounds") in self.props:
            self.set_and_propagate({("map", "bounds"): self.props[("map", "bounds")]},
                                   lambda cb: "page")
        # Its connections are given back: 60 pages each holding a browser's 6 would meet a
        # server's connection limit before the measurement starts (during it they may).
        self.http.close()
        self.timeout = TIMEOUT

    def initial_callbacks(self) -> None:
        """The page's callbacks that run when it appears, in the renderer's order: one waits
        for another whose outputs are its inputs."""
        pending = [cb for cb in self.callbacks
                   if cb.name != "route" and not cb.prevent_initial and self.can_fire(cb)]
        changed = set(self.mounted)  # what the renderer names in changedPropIds
        while pending:
            outputs = {id(cb): set(cb.outputs) for cb in pending}
            ready = [cb for cb in pending
                     if not any(set(cb.inputs) & outputs[id(o)] for o in pending if o is not cb)]
            ready = ready or pending  # a cycle: all at once
            pending = [cb for cb in pending if cb not in ready]
            level = [(cb, [f"{i}.{p}" for i, p in cb.inputs if (i, p) in changed])
                     for cb in ready]
            changes = self.run_level(level, lambda cb: "page")
            changed |= {p for p, _c in changes}
            # what they changed fires the ones not waiting anyway
            waiting = {id(cb) for cb in pending}
            changes = [(p, c) for p, c in changes
                       if not all(id(x) in waiting for x in self.by_input.get(p, []))]
            if changes:
                more = self.triggered(changes)
                level = [v for k, v in more.items() if k not in waiting]
                if level:
                    self.propagate(self.run_level(level, lambda cb: "page"), lambda cb: "page")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()


# --- the clients --------------------------------------------------------------------------------

def log_in(page: Page, name: str) -> None:
    response = page.http.post(page.base + "/login", timeout=TIMEOUT, allow_redirects=False,
                              data={"username": name, "password": PASSWORD, "next": "/",
                                    "lang": "zh"},
                              headers={"Origin": page.base, "Referer": page.base + "/login",
                                       "Accept": "text/html"})
    if response.status_code != 303 or "gw_session" not in page.http.cookies:
        raise LoadAborted(f"the login of {name!r} failed: HTTP {response.status_code}, "
                          f"{response.text[:200]!r}")


def open_kiosk(page: Page, secret: str) -> None:
    response = page.http.get(f"{page.base}/kiosk/{secret}", timeout=TIMEOUT,
                             allow_redirects=False, headers={"Accept": "text/html"})
    if response.status_code != 303 or "gw_session" not in page.http.cookies:
        raise LoadAborted(f"a kiosk link did not sign the wall in: HTTP "
                          f"{response.status_code}, {response.text[:200]!r}")


FAULTS: list[str] = []


def generator_fault(exc: Exception) -> None:
    import traceback

    if len(FAULTS) < 5:
        FAULTS.append("".join(traceback.format_exception(exc))[-1500:])


def every(period: float, stop: threading.Event, action, first_delay: float) -> None:
    """Call ``action`` every ``period`` seconds (a late call is not made up twice)."""
    due = time.perf_counter() + first_delay
    while not stop.is_set():
        wait = due - time.perf_counter()
        if wait > 0 and stop.wait(wait):
            return
        due = max(due + period, time.perf_counter())
        try:
            action()
        except Outcome:
            pass
        except Exception as exc:  # a fault of this generator: said, not hidden
            generator_fault(exc)


def tick(page: Page, interval_id: str, kind_of) -> None:
    with page.lock:
        n = (page.props.get((interval_id, "n_intervals")) or 0) + 1
    page.set_and_propagate({(interval_id, "n_intervals"): n}, kind_of)


def wall_kind(cb: Callback) -> str:
    return cb.name


def wall_threads(page: Page, stop: threading.Event, poll: float) -> list[threading.Thread]:
    config = page.props.get(("wall-config", "data")) or {}
    rotate = float(config.get("rotate") or 20)
    rng = page.rng
    return [
        threading.Thread(target=every, daemon=True, name=f"{page.label}-live", args=(
            poll, stop, lambda: tick(page, "wall-tick", wall_kind), rng.uniform(0, poll))),
        threading.Thread(target=every, daemon=True, name=f"{page.label}-rotate", args=(
            rotate, stop, lambda: tick(page, "wall-rotate", wall_kind),
            rng.uniform(0, rotate))),
    ]


def option_values(options) -> list:
    values = []
    for o in options or []:
        values.append(o.get("value") if isinstance(o, dict) else o)
    return [v for v in values if v is not None]


def filter_change(page: Page) -> dict[tuple[str, str], object]:
    """One change an analyst makes in the filter panel: the property the browser sets."""
    rng = page.rng
    with page.lock:
        props = dict(page.props)
    what = rng.choice(("township", "colour", "level", "date"))
    if what == "date":
        if rng.random() < 0.5:
            button = rng.choice(("filter-prev-day", "filter-next-day", "filter-prev-day"))
            return {(button, "n_clicks"): (props.get((button, "n_clicks")) or 0) + 1}
        first = props.get(("filter-date", "min_date_allowed"))
        last = props.get(("filter-date", "max_date_allowed"))
        if first and last:
            a, b = datetime.fromisoformat(first[:10]), datetime.fromisoformat(last[:10])
            day = a + timedelta(days=rng.randint(0, max((b - a).days, 0)))
            return {("filter-date", "date"): day.date().isoformat()}
        return {("filter-prev-day", "n_clicks"): (props.get(("filter-prev-day", "n_clicks"))
                                                  or 0) + 1}
    cid = {"township": "filter-township", "colour": "filter-colour", "level": "filter-level"}[what]
    current = list(props.get((cid, "value")) or [])
    choices = option_values(props.get((cid, "options")))
    if not choices:
        return {(cid, "value"): []}
    pick = rng.choice(choices)
    if what == "township":  # one township, another one, or all of them again
        value = [] if current and rng.random() < 0.4 else [pick]
    else:
        value = [v for v in current if v != pick] if pick in current else [*current, pick]
    return {(cid, "value"): value}


SCREENS = (("kpis", "charts"), ("charts", "tasks", "rings"),
           ("tasks", "rings", "alerts", "proxy", "command"), ("command", "leads", "inspection"),
           ("inspection", "table"))
"""The panels ``assets/analyst.js`` reports in view on the analyst page at 1920×1080, at the
top and scrolled down by 1000, 2000, 3000 and 4000 px (measured in headless Chromium)."""


def analyst_screen(i: int) -> tuple[str, ...]:
    """Where analyst ``i`` has scrolled to while changing filters: half of them look at the top
    of the page (KPIs, map, charts), the others at one of the lower screens in turn."""
    return SCREENS[0] if i % 2 == 0 else SCREENS[1 + (i // 2) % (len(SCREENS) - 1)]


def analyst_kind(chain: str):
    def kind_of(cb: Callback) -> str:
        return f"cb:{cb.name}" if chain == "filter" else f"v:{cb.name}"
    return kind_of


def analyst_loop(page: Page, stop: threading.Event, first_delay: float) -> None:
    rng = page.rng
    if stop.wait(first_delay):
        return
    while not stop.is_set():
        due = time.perf_counter() + rng.uniform(FILTER_EVERY - FILTER_JITTER,
                                                FILTER_EVERY + FILTER_JITTER)
        change = filter_change(page)
        start = time.perf_counter()
        try:
            page.set_and_propagate(change, analyst_kind("filter"))
            page.rec.add("filter_chain", time.perf_counter() - start)
        except Outcome as exc:
            page.rec.add("filter_chain", time.perf_counter() - start, exc.kind, exc.detail)
        except Exception as exc:
            generator_fault(exc)
        wait = due - time.perf_counter()
        if wait > 0 and stop.wait(wait):
            return


def version_poll(page: Page) -> None:
    """The analyst page's ``dcc.Interval``: the version poll, and what a new version fires."""
    with page.lock:
        n = (page.props.get(("version-poll", "n_intervals")) or 0) + 1
        page.props[("version-poll", "n_intervals")] = n
    poll = [cb for cb in page.by_input[("version-poll", "n_intervals")]
            if cb.clientside == "gridwatchWall.pageVersion"]
    if not poll:
        return
    changes = page.fire(poll[0], ["version-poll.n_intervals"], "poll_version")
    if not changes:
        return
    page.rec.note("analyst saw a new version")
    start = time.perf_counter()
    try:
        page.propagate([(p, poll[0]) for p in changes], analyst_kind("version"))
        page.rec.add("version_chain", time.perf_counter() - start)
    except Outcome as exc:
        page.rec.add("version_chain", time.perf_counter() - start, exc.kind, exc.detail)


def writer_loop(base: str, token: str, codes: list[str], rec: Recorder,
                stop: threading.Event) -> None:
    http = requests.Session()
    http.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "bench-load-writer",
                         "Content-Type": "application/json", "Accept": "application/json"})
    counter = iter(range(10 ** 6))

    def write() -> None:
        i = next(counter)
        code = codes[i % len(codes)]
        colour = "red" if (i // len(codes)) % 2 == 0 else "green"
        observed = (datetime(2020, 2, 29, 22, 0) + timedelta(seconds=20 * i)).isoformat()
        body = {"items": [{"grid_code": code, "colour": colour,
                           "observed_at": observed + "+08:00", "source": "bench-load"}]}
        start = time.perf_counter()
        try:
            r = http.post(base + "/api/v1/risk-assessments", data=json.dumps(body),
                          timeout=TIMEOUT)
        except requests.Timeout:
            rec.add("write", time.perf_counter() - start, "timeout", code)
            return
        except requests.RequestException as exc:
            rec.add("write", time.perf_counter() - start, "error", type(exc).__name__)
            return
        elapsed = time.perf_counter() - start
        try:
            ok = r.status_code == 200 and isinstance(r.json(), dict)
        except ValueError:
            ok = False
        rec.add("write", elapsed, "ok" if ok else "error",
                f"HTTP {r.status_code} {r.text[:160]!r}")

    try:
        every(WRITE_EVERY, stop, write, 1.0)
    finally:
        http.close()


# --- servers and their processes ----------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds utime+stime) of ``pid``, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat:
                parents[stat[0]].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores, ``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """CPU seconds and RSS of a server and its children, every second."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True, name="sampler")
        self.root = root
        self.stop_event = threading.Event()
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.peak: dict[int, float] = defaultdict(float)
        self.peak_total = 0.0
        self.measuring = False

    def sample(self) -> None:
        total = 0.0
        for pid in process_tree(self.root):
            stat = proc_stat(pid)
            if stat is None:
                continue
            if self.measuring:
                self.base.setdefault(pid, stat[1] if pid in self.last else 0.0)
                self.last[pid] = stat[1]
                rss = rss_mb(pid)
                self.peak[pid] = max(self.peak[pid], rss)
                total += rss
            else:
                self.last[pid] = stat[1]
        self.peak_total = max(self.peak_total, total)

    def begin(self) -> None:
        self.machine = machine_busy()
        self.sample()
        self.measuring = True
        self.base = dict(self.last)
        self.sample()

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            self.sample()

    def end_window(self) -> None:
        """The end of the load window: CPU is counted up to here (RSS to the very end)."""
        self.sample()
        self.window = dict(self.last)
        self.machine = machine_busy() - self.machine

    def cpu(self, pid: int) -> float:
        """CPU seconds of ``pid`` within the window."""
        last = getattr(self, "window", self.last)
        return last.get(pid, self.last.get(pid, 0.0)) - self.base.get(pid, 0.0)


class Server:
    def __init__(self, kind: str, url: str, folder: Path) -> None:
        self.kind, self.url_db, self.folder = kind, url, folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{kind}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "GRIDWATCH_DATABASE_URL": self.url_db, "PYTHONUNBUFFERED": "1",
               "GRIDWATCH_GEO_PATH": str(GEO_PATH), "HOST": "127.0.0.1",
               "PORT": str(self.port)}
        for name in ("GRIDWATCH_TILE_URL", "WORKERS", "GRIDWATCH_HOST", "GRIDWATCH_PORT",
                     "ACCESS_LOG"):
            env.pop(name, None)
        if self.kind == "waitress":
            cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1",
                   "--port", str(self.port)]
        else:
            cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                   "wsgi:server"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise LoadAborted(f"the {self.kind} server exited:\n"
                                  f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            raise LoadAborted(f"the {self.kind} server did not answer /healthz in 120 s")
        self.settle()

    def settle(self, limit: float = 90.0) -> None:
        """Wait until the server's processes are idle (every gunicorn worker has built its
        app): less than 0.1 CPU seconds in a second, twice."""
        deadline, quiet = time.time() + limit, 0
        before = sum((proc_stat(p) or (0, 0.0))[1] for p in process_tree(self.process.pid))
        while time.time() < deadline and quiet < 2:
            time.sleep(1.0)
            now = sum((proc_stat(p) or (0, 0.0))[1] for p in process_tree(self.process.pid))
            quiet = quiet + 1 if now - before < 0.1 else 0
            before = now

    def stop(self) -> None:
        if self.process is None:
            return
        pids = process_tree(self.process.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(35)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        for pid in pids[1:]:  # workers left behind: by their pid only
            if proc_stat(pid) is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.process = None


# --- stores -------------------------------------------------------------------------------------

@dataclass
class Store:
    """A prepared demo store with the run's accounts: copied for each configuration."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    users: list[str] = field(default_factory=list)
    kiosks: list[str] = field(default_factory=list)  # secrets (valid in every copy)
    token: str = ""
    green: list[str] = field(default_factory=list)


def init_store(url: str) -> None:
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": url, "GRIDWATCH_GEO_PATH": str(GEO_PATH)}
    done = subprocess.run([sys.executable, "-m", "gridwatch", "init-store", "--seed-demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # its output names the first admin's password: only on failure
        raise LoadAborted(f"init-store failed on {mask(url)}:\n{done.stderr[-2000:]}")


def mask(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


def prepare_store(kind: str, url: str) -> Store:
    from gridwatch.auth.accounts import create_user
    from gridwatch.auth.policy import COUNTY
    from gridwatch.auth.sessions import create_kiosk
    from gridwatch.auth.tokens import create_token
    from gridwatch.metrics import grid_status
    from gridwatch.service import DataSource
    from gridwatch.settings import Settings
    from gridwatch.store.db import make_write_engine

    start = time.perf_counter()
    init_store(url)
    store = Store(kind, url)
    engine = make_write_engine(url)
    try:
        for i in range(ANALYSTS):
            name = f"load-analyst-{i:02d}"
            create_user(engine, name, "analyst", None, actor="bench-load", password=PASSWORD)
            store.users.append(name)
        for i in range(WALLS):
            _info, secret = create_kiosk(engine, f"load-wall-{i:02d}", actor="bench-load")
            store.kiosks.append(secret)
        _id, store.token = create_token(engine, "bench-load-writer", "operator", COUNTY)
    finally:
        engine.dispose()
    source = DataSource(Settings.from_env(database_url=url, geo_path=GEO_PATH))
    source.open()
    snap = source.snapshot()
    status = grid_status(snap, snap.last_day)
    store.green = sorted(status.index[status["colour"] == "green"])[:200]
    grids = len(status)
    source.engine.dispose()
    source.writer.dispose()
    print(f"  {kind} store prepared (init-store --seed-demo, {grids} grids, {ANALYSTS} users, "
          f"{WALLS} kiosks, a token) in {time.perf_counter() - start:.1f} s", flush=True)
    if grids != 747:
        print(f"  note: the demo store has {grids} grids, not 747", flush=True)
    return store


def copy_store(store: Store, folder: Path, name: str) -> str:
    """A fresh copy of ``store`` for one configuration; its URL."""
    if store.kind == "sqlite":
        src = store.url.removeprefix("sqlite:///")
        dst = folder / f"{name}.sqlite"
        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)
        return f"sqlite:///{dst}"
    from sqlalchemy import create_engine, make_url, text

    base = make_url(store.url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def postgres_store(folder: Path) -> Store:
    from sqlalchemy import create_engine, make_url, text

    maintenance = os.environ["GRIDWATCH_TEST_DATABASE_URL"]
    name = f"gw_load_{os.getpid()}"
    admin = create_engine(maintenance, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(maintenance).set(database=name).render_as_string(hide_password=False)
    return prepare_store("postgresql", url)


# --- one configuration --------------------------------------------------------------------------

def postgres_sampler() -> Sampler | None:
    """The private cluster's processes (``scripts/with-postgres.sh``), sampled like the
    server's, when its postmaster can be found."""
    folder = os.environ.get("GRIDWATCH_PG_HOST")
    try:
        pid = int((Path(folder) / "data" / "postmaster.pid").read_text().split()[0])
    except (TypeError, OSError, ValueError, IndexError):
        return None
    sampler = Sampler(pid)
    sampler.begin()
    sampler.start()
    return sampler


def run_config(label: str, server_kind: str, store: Store, folder: Path,
               seconds: float) -> dict:
    from gridwatch.settings import Settings

    poll = Settings.from_env().wall_poll_seconds
    db_name = re.sub(r"\W", "_", f"gw_{label}_{os.getpid()}").lower()
    url = copy_store(store, folder, db_name)
    server = Server(server_kind, url, folder)
    rec = Recorder()
    stop = threading.Event()
    pages: list[Page] = []
    threads: list[threading.Thread] = []
    sampler = database = None
    print(f"  {label}: starting {server_kind} on {store.kind} …", flush=True)
    try:
        t0 = time.perf_counter()
        server.start()
        root = server.process.pid
        workers = len(process_tree(root)) - 1
        print(f"  {label}: server up in {time.perf_counter() - t0:.1f} s "
              f"(pid {root}{f', {workers} workers' if workers else ''}); opening "
              f"{WALLS} walls and {ANALYSTS} analyst pages …", flush=True)
        t0 = time.perf_counter()

        def open_wall(i: int) -> Page:
            page = Page(server.base, rec, f"wall{i:02d}")
            pages.append(page)
            open_kiosk(page, store.kiosks[i])
            try:
                page.open("/wall")
            except Outcome as exc:
                raise LoadAborted(f"wall {i}: opening /wall failed: {exc.detail}") from None
            if ("wall-seen", "data") not in page.props:
                raise LoadAborted("the wall page has no wall-seen store: not the wall?")
            return page

        def open_analyst(i: int) -> Page:
            page = Page(server.base, rec, f"analyst{i:02d}")
            pages.append(page)
            log_in(page, store.users[i])
            try:
                page.open("/")
            except Outcome as exc:
                raise LoadAborted(f"{store.users[i]}: opening / failed: {exc.detail}") from None
            if ("filters-store", "data") not in page.props:
                raise LoadAborted(f"{store.users[i]}: the analyst view did not render")
            if ("panels-in-view", "data") not in page.props:
                raise LoadAborted(f"{store.users[i]}: the analyst view has no panels-in-view")
            screen = list(analyst_screen(i))
            if screen != page.props[("panels-in-view", "data")]:  # as assets/analyst.js says
                try:
                    page.set_and_propagate({("panels-in-view", "data"): screen},
                                           analyst_kind("filter"))
                except Outcome as exc:
                    raise LoadAborted(f"{store.users[i]}: scrolling failed: {exc.detail}") from None
            return page

        with ThreadPoolExecutor(SETUP_PARALLEL) as pool:
            walls = list(pool.map(open_wall, range(WALLS)))
            analysts = list(pool.map(open_analyst, range(ANALYSTS)))
        print(f"  {label}: pages open in {time.perf_counter() - t0:.1f} s; measuring for "
              f"{seconds:g} s …", flush=True)

        sampler = Sampler(root)
        sampler.begin()
        sampler.start()
        database = postgres_sampler() if store.kind == "postgresql" else None
        rec.active = True
        generator_cpu = time.process_time()
        started = time.perf_counter()
        for page in walls:
            threads += wall_threads(page, stop, poll)
        for page in analysts:
            threads.append(threading.Thread(
                target=analyst_loop, args=(page, stop, page.rng.uniform(0, FILTER_EVERY)),
                daemon=True, name=f"{page.label}-filters"))
            threads.append(threading.Thread(
                target=every, args=(2.0, stop, lambda p=page: version_poll(p),
                                    page.rng.uniform(0, 2.0)),
                daemon=True, name=f"{page.label}-poll"))
        threads.append(threading.Thread(target=writer_loop, daemon=True, name="writer", args=(
            server.base, store.token, store.green, rec, stop)))
        for t in threads:
            t.start()
        stop.wait(seconds)
        stop.set()
        sampler.end_window()
        if database is not None:
            database.end_window()
        generator_cpu = time.process_time() - generator_cpu
        window = time.perf_counter() - started
        for t in threads:
            t.join(TIMEOUT + 10)
        drain = time.perf_counter() - started - window
        rec.active = False
        sampler.sample()
        alive = server.process.poll() is None
        procs = []
        tree_pids = sorted(sampler.last, key=lambda p: (p != root, p))
        for pid in tree_pids:
            if not sampler.peak.get(pid) and pid not in sampler.base:
                continue
            role = "server" if server_kind == "waitress" else (
                "master" if pid == root else "worker")
            procs.append({"pid": pid, "role": role, "cpu": sampler.cpu(pid),
                          "rss": sampler.peak.get(pid, 0.0)})
        result = summarise(label, server_kind, store.kind, rec, window, procs,
                           sampler.peak_total, generator_cpu, alive)
        result["drain"] = drain
        result["machine"] = sampler.machine
        if database is not None:
            database.stop_event.set()
            result["database"] = {"cpu": sum(database.cpu(p) for p in database.last),
                                  "rss": database.peak_total, "processes": len(database.last)}
        result["faults"], FAULTS[:] = list(FAULTS), []
        return result
    finally:
        stop.set()
        for each in (sampler, database):
            if each is not None:
                each.stop_event.set()
        for page in pages:
            page.close()
        server.stop()


def summarise(label, server_kind, store_kind, rec: Recorder, elapsed, procs, peak_total,
              generator_cpu, alive) -> dict:
    rows = []
    for key, name in KINDS:
        times = rec.times.get(key, [])
        rows.append({"key": key, "label": name, "n": len(times),
                     "p50": percentile(times, 50) if times else None,
                     "p95": percentile(times, 95) if times else None,
                     "p99": percentile(times, 99) if times else None,
                     "max": max(times) if times else None,
                     "errors": rec.errors.get(key, 0), "timeouts": rec.timeouts.get(key, 0)})
    # the callbacks of the refreshes after a new version count in that chain's row; their
    # own failures are listed as well
    v_errors = sum(n for k, n in rec.errors.items() if k.startswith("v:"))
    v_timeouts = sum(n for k, n in rec.timeouts.items() if k.startswith("v:"))
    v_calls = sum(len(v) for k, v in rec.times.items() if k.startswith("v:"))
    return {"label": label, "server": server_kind, "store": store_kind, "seconds": elapsed,
            "rows": rows, "procs": procs, "peak_total": peak_total,
            "generator_cpu": generator_cpu, "alive": alive, "samples": rec.samples,
            "version_calls": v_calls, "version_errors": v_errors,
            "version_timeouts": v_timeouts, "counts": dict(rec.counts)}


# --- the report ---------------------------------------------------------------------------------

def fmt(v) -> str:
    return "—" if v is None else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def verdict(row: dict) -> str:
    if not row["n"]:
        return ""
    bad = row["errors"] or row["timeouts"] or (row["p95"] or 0) >= AIM_P95
    return "OVER AIM" if bad else "ok"


def report(results: list[dict], seconds: float) -> None:
    head = ["configuration", "request kind", "count", "p50 s", "p95 s", "p99 s", "max s",
            "errors", "timeouts", "CPU s", "peak RSS MB", "vs aim"]
    lines: list[list[str]] = []
    for res in results:
        config = res["label"]
        if res.get("skipped"):
            lines.append([config, f"skipped: {res['skipped']}"] + [""] * (len(head) - 2))
            continue
        for row in res["rows"]:
            if row["key"].startswith("cb:") and not row["n"]:
                continue
            lines.append([config, row["label"], str(row["n"]), fmt(row["p50"]),
                          fmt(row["p95"]), fmt(row["p99"]), fmt(row["max"]),
                          str(row["errors"]), str(row["timeouts"]), "", "", verdict(row)])
            config = ""
        total_cpu = sum(p["cpu"] for p in res["procs"])
        for p in res["procs"]:
            lines.append(["", f"server process: {p['role']} pid {p['pid']}", "", "", "", "",
                          "", "", "", f"{p['cpu']:.1f}", f"{p['rss']:.0f}", ""])
        lines.append(["", f"server total ({len(res['procs'])} process"
                          f"{'es' if len(res['procs']) != 1 else ''}, "
                          f"{100 * total_cpu / res['seconds'] / (os.cpu_count() or 1):.0f}% "
                          f"of {os.cpu_count()} cores)", "", "", "", "", "", "", "",
                      f"{total_cpu:.1f}", f"{res['peak_total']:.0f}", ""])
        lines.append(["", "load generator (this process)", "", "", "", "", "", "", "",
                      f"{res['generator_cpu']:.1f}", "", ""])
        database = res.get("database")
        if database:
            lines.append(["", f"PostgreSQL cluster ({database['processes']} processes)", "", "",
                          "", "", "", "", "", f"{database['cpu']:.1f}",
                          f"{database['rss']:.0f}", ""])
        if "machine" in res:
            others = max(res["machine"] - total_cpu - res["generator_cpu"]
                         - (database or {}).get("cpu", 0.0), 0.0)
            lines.append(["", "other processes on the machine (not this run)", "", "", "", "",
                          "", "", "", f"{others:.1f}", "", ""])
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(head)]
    left = {0, 1, 11}

    def show(cells):
        return "| " + " | ".join(c.ljust(w) if i in left else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths,
                                                                strict=True))) + " |"

    print()
    print(f"load run: {WALLS} walls (/live every 1 s, refresh on a new version, rotation), "
          f"{ANALYSTS} analysts (a filter change every {FILTER_EVERY:g} ± {FILTER_JITTER:g} s, "
          f"version poll every 2 s), 1 writer (every {WRITE_EVERY:g} s); "
          f"{seconds:g} s per configuration, client timeout {TIMEOUT:g} s")
    print(AIM)
    print(BASELINE)
    print(show(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in lines:
        print(show(cells))
    print()
    for res in results:
        if res.get("skipped"):
            continue
        rows = [r for r in res["rows"] if r["n"]]
        bad = [r for r in rows if verdict(r) == "OVER AIM"]
        failed = sum(r["errors"] + r["timeouts"] for r in rows if not r["key"].startswith("cb:")
                     and r["key"] not in ("filter_chain", "version_chain"))
        state = "meets aim" if not bad else \
            f"OVER AIM in {len(bad)} of {len(rows)} rows"
        extra = ""
        if res["version_errors"] or res["version_timeouts"]:
            extra = (f"; refresh-after-version callbacks: {res['version_errors']} errors, "
                     f"{res['version_timeouts']} timeouts of {res['version_calls']}")
        seen = res["counts"].get("analyst saw a new version", 0)
        print(f"{res['label']}: {state}; {failed} failed requests besides the analysts' "
              f"callbacks; {res['version_calls']} callbacks after {seen} new versions seen by "
              f"analysts{extra}; in-flight requests finished {res.get('drain', 0):.0f} s after "
              f"the window"
              + ("" if res["alive"] else "; THE SERVER HAD EXITED by the end"))
        for sample in res["samples"][:6]:
            print(f"    e.g. {sample}")
        for fault in res.get("faults", []):
            print(f"    LOAD GENERATOR FAULT (not the server's):\n{fault}")
    print("Latencies over every request, failed ones included, from the moment the page "
          "sends (a wait for one of its 6 connections included); a timeout is no connection "
          "or no byte of the answer for 30 s. CPU seconds within the load window, peak RSS "
          "to the end. "
          f"The load generator runs on the same {os.cpu_count()} cores as the server "
          "(its CPU above); HTTP clients replaying browser requests, not browsers.")


# --- the run ------------------------------------------------------------------------------------

CONFIGS = [("1 waitress/SQLite", "waitress", "sqlite"),
           ("2 gunicorn/SQLite", "gunicorn", "sqlite"),
           ("3 waitress/PostgreSQL", "waitress", "postgresql"),
           ("4 gunicorn/PostgreSQL", "gunicorn", "postgresql")]


def load_seconds() -> float:
    raw = os.environ.get("GRIDWATCH_LOAD_SECONDS", "").strip()
    try:
        return max(float(raw), 5.0) if raw else 120.0
    except ValueError:
        raise SystemExit(f"GRIDWATCH_LOAD_SECONDS={raw!r} is not a number") from None


def run_part(store_kind: str, seconds: float, server: str | None = None) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix=f"gw-bench-load-{store_kind}-"))
    try:
        if store_kind == "sqlite":
            store = prepare_store("sqlite", f"sqlite:///{folder / 'seed.sqlite'}")
        else:
            store = postgres_store(folder)
        results = []
        for label, server_kind, kind in CONFIGS:
            if kind == store_kind and server in (None, server_kind):
                results.append(run_config(label, server_kind, store, folder, seconds))
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def postgres_results(seconds: float) -> list[dict]:
    if os.environ.get("GRIDWATCH_TEST_DATABASE_URL"):
        return run_part("postgresql", seconds)
    print("  PostgreSQL: a private cluster under scripts/with-postgres.sh (a child run) …",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="gw-bench-load-") as folder:
        out = Path(folder) / "postgres.json"
        done = subprocess.run([str(ROOT / "scripts" / "with-postgres.sh"), sys.executable,
                               "-m", "bench.load", "--part", "postgresql", "--results",
                               str(out)], cwd=ROOT, check=False)
        if done.returncode != 0 or not out.exists():
            if done.returncode == 3:
                raise LoadAborted("the PostgreSQL part was aborted (see above)")
            why = f"the PostgreSQL run failed (exit {done.returncode})"
            return [{"label": label, "skipped": why} for label, _s, kind in CONFIGS
                    if kind == "postgresql"]
        return json.loads(out.read_text())


def run() -> None:
    seconds = load_seconds()
    start = time.perf_counter()
    print(f"load: {len(CONFIGS)} configurations × {seconds:g} s "
          f"(GRIDWATCH_LOAD_SECONDS), {WALLS} walls, {ANALYSTS} analysts, 1 writer", flush=True)
    try:
        results = run_part("sqlite", seconds)
        results += postgres_results(seconds)
    except LoadAborted as exc:
        print(f"bench.load ABORTED: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    report(results, seconds)
    print(f"load section: {time.perf_counter() - start:.0f} s in all")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The load run (bench.load).")
    parser.add_argument("--part", choices=("sqlite", "postgresql"),
                        help="run one store's configurations only")
    parser.add_argument("--server", choices=("waitress", "gunicorn"),
                        help="with --part: run that server's configuration only")
    parser.add_argument("--results", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    if not args.part:
        run()
        return 0
    if args.part == "postgresql" and not os.environ.get("GRIDWATCH_TEST_DATABASE_URL"):
        # the same command again, on a private throw-away cluster
        again = sys.argv[1:] if argv is None else list(argv)
        return subprocess.run([str(ROOT / "scripts" / "with-postgres.sh"), sys.executable,
                               "-m", "bench.load", *again], cwd=ROOT, check=False).returncode
    try:
        results = run_part(args.part, load_seconds(), args.server)
    except LoadAborted as exc:
        print(f"bench.load ABORTED: {exc}", file=sys.stderr, flush=True)
        return 3
    if args.results:
        args.results.write_text(json.dumps(results))
    else:
        report(results, load_seconds())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
