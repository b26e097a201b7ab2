"""Dash callbacks, one module per feature; each has ``register(app, source)``.

A callback is a module-level function that takes the data source first and its inputs as
keywords, and returns a dict keyed like its outputs (Dash's dict forms of ``inputs=`` and
``output=``), so a test calls it with names and reads the result by name. ``bind`` attaches
one to the app. Plain HTTP routes are not here: they are Flask blueprints in ``web/``.

Every callback is an HTTP endpoint anyone can post to, so ``bind`` checks on the server, on
every call, that the caller (``web.auth``, from the session or token, never from the
browser's state) may do what ``REQUIRES`` names for that callback; a callback missing from
``REQUIRES`` cannot be bound. A function with a ``who`` parameter gets the caller too, to shape
what it answers (suppressed figures, personal fields). Inputs named ``lang`` are normalised
before the function sees them.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

from dash import Dash, ctx, no_update
from flask import abort, request

from gridwatch import timeutil
from gridwatch.auth.policy import allows
from gridwatch.filters import Filters
from gridwatch.i18n import normalise_language
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot

log = logging.getLogger(__name__)

REQUIRES: dict[str, str] = {
    # pages and the live signal: the router decides per page (a kiosk gets the wall only)
    "route": "wall",
    "refresh_wall": "wall",
    "rotate_wall": "wall",
    # the analyst view
    "sync_filters": "view",
    "update_map": "view",
    "search_places": "view",
    "update_panels": "view",
    "choose_grid": "view",
    "show_detail": "view",
    "show_lead": "view",
    "show_directive": "view",
    "show_task": "view",
    # exports and downloads
    "export_links": "export",
    "export_table": "export",
    "download_chart_csv": "export",
    # writing data
    "preview_upload": "write",
    "commit_upload": "write",
    "act_on_task": "write",
    "act_on_lead": "write",
    "issue_directive": "write",
    "publish_task": "write",
    "work_list": "write",
    "work_act": "write",
    # boundaries
    "reactivate_version": "admin",
    "show_versions": "admin",
    "reactivate_enabled": "admin",
}
"""The action (``gridwatch.auth.policy.ACTIONS``) each callback requires of its caller."""


_COUNTS = ("n_clicks", "n_intervals", "max_intervals")
_TEXTS = ("pathname", "search", "href", "date", "filename")
_RECORDS = ("clickData", "cellClicked", "bounds")
MAX_TEXT = 4096


def _shaped(prop: str, value):
    """A browser-sent property value in the shape its component gives, else None (as if the
    component had not set it): counts are whole numbers, texts are short strings, click data
    and bounds are objects or lists."""
    if prop in _COUNTS:
        return value if isinstance(value, int) and not isinstance(value, bool) \
            and 0 <= value < 2 ** 31 else None
    if prop in _TEXTS:
        return value if isinstance(value, str) and len(value) <= MAX_TEXT else None
    if prop in _RECORDS:
        return value if isinstance(value, (dict, list)) else None
    return value


def _properties(spec: dict) -> dict[str, str]:
    """Each input's (and state's) keyword → the component property it carries."""
    found = {}
    for group in ("inputs", "state"):
        for name, dep in (spec.get(group) or {}).items():
            found[name] = dep.component_property
    return found


@dataclass(frozen=True)
class DayView:
    """What a panel reads the filters' day with: the filters, one snapshot, the day, its
    instant and whether it runs (``gridwatch.timeutil.day_instant``)."""

    filters: Filters
    snap: Snapshot
    day: date
    instant: datetime
    running: bool

    @property
    def grid_codes(self):
        """The codes of the grids the filters keep on the day (``metrics.kept_grids``)."""
        from gridwatch.metrics import kept_grids

        kept = kept_grids(self.snap, self.filters)
        return kept.index[kept.to_numpy()]


def day_view(source: DataSource, filters: dict, now: datetime | None = None) -> DayView:
    """The filters' day as a panel reads it, ``now`` read in the county's time zone unless
    given."""
    chosen = Filters.from_dict(filters)
    instant, running = timeutil.day_instant(chosen.as_of, source.settings.timezone, now)
    return DayView(chosen, source.snapshot(), chosen.as_of, instant, running)


def view_moved_to(moment: datetime, tz: str, filters: dict | None) -> dict:
    """After a write stamped ``moment`` (naive UTC, now): the date picker's outputs that move
    the view to the write's local day, where it shows (``day``: unless that day is shown
    already; ``max_day``: the last day the picker offers)."""
    day = timeutil.utc_to_local(moment, tz).date()
    shown = Filters.from_dict(filters if isinstance(filters, dict) else None).as_of
    return {"day": no_update if shown == day else day.isoformat(), "max_day": day.isoformat()}


def shown_key(*parts) -> str:
    """What a page's output shows, as a short text, from what it depends on (its filters,
    ``Snapshot.stamp`` of their day, the language...): the page keeps it, and a callback
    whose key has not moved sends nothing."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def fired_props(triggered: Collection[str] | None = None) -> set[str]:
    """The properties that fired this answer, ``"<id>.<property>"`` (``triggered`` when
    called outside a Dash request; none there otherwise). The renderer merges a pick or a
    tick with a filter or version change that came while the request waited."""
    if triggered is None:
        triggered = ctx.triggered_prop_ids if request and ctx.triggered else ()
    return set(triggered)


def pick_and_search(app: Dash, table: str, chosen: str, search: str) -> None:
    """A register's two browser-only callbacks: a click on a row of AG Grid ``table`` puts
    the row's id in store ``chosen`` (assets/analyst.js, no server), and the box ``search``
    filters the rows in the browser."""
    from dash import ClientsideFunction, Input, Output

    from layouts.ids import ID

    if not all(isinstance(i, ID) for i in (table, chosen, search)):
        raise TypeError("pick_and_search takes IDs (layouts.ids.ID)")
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "chosenRow"),
                            Output(chosen, "data"), Input(table, "cellClicked"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("gridwatchAnalyst", "quickFilter"),
                            Output(table, "dashGridOptions"), Input(search, "value"),
                            prevent_initial_call=True)


def bind(app: Dash, source: DataSource, function: Callable, **spec) -> None:
    """Register ``function(source, **inputs)`` as a callback with ``spec``'s dict forms,
    guarded by ``REQUIRES[function.__name__]``.

    Inputs are validated at the boundary: ``lang`` normalised, counts, texts and click data
    given their component's shape (anything else arrives as None). Whatever a hostile value
    still breaks in the function answers 400 with nothing of the failure (logged here)."""
    from web.auth import current_principal

    action = REQUIRES[function.__name__]
    wants_who = "who" in inspect.signature(function).parameters
    properties = _properties(spec)

    @functools.wraps(function)
    def call(**inputs):
        who = current_principal()
        if not allows(who, action):
            abort(403)
        inputs = {name: _shaped(properties.get(name, ""), value)
                  for name, value in inputs.items()}
        if "lang" in inputs:
            inputs["lang"] = normalise_language(inputs["lang"])
        if wants_who:
            inputs["who"] = who
        try:
            with source.one_snapshot():  # one data version for the whole answer
                return function(source, **inputs)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError,
                OverflowError) as exc:
            log.warning("callback %s refused input it could not use: %r", function.__name__,
                        exc, exc_info=True)
            abort(400)

    app.callback(**spec)(call)


def _same(given, expected: list[dict]) -> bool:
    if not isinstance(given, list) or len(given) != len(expected):
        return False
    return all(isinstance(g, dict) and str(g.get("id")) == str(e["id"])
               and g.get("property") == e["property"] for g, e in zip(given, expected,
                                                                       strict=True))


def guard_payloads(app: Dash) -> None:
    """Refuse (400) a callback request whose body does not name a server callback of ``app``
    with exactly that callback's inputs and state: Dash itself would fail on it with a 500."""

    def check():
        if request.path != "/_dash-update-component" or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("output"), str):
            abort(400)
        spec = app.callback_map.get(body["output"])
        if spec is None or "callback" not in spec:
            abort(400)
        if not (_same(body.get("inputs", []), spec["inputs"])
                and _same(body.get("state", []), spec["state"])
                and isinstance(body.get("outputs"), (list, dict))
                and isinstance(body.get("changedPropIds", []), list)):
            abort(400)
        return None

    app.server.before_request(check)


def register(app: Dash, source: DataSource) -> None:
    from callbacks import (
        boundary_import,
        charts,
        command,
        detail,
        export,
        filters,
        leads,
        live,
        map,
        panels,
        router,
        table,
        table_upload,
        tasks,
        wall,
        work,
    )

    for module in (router, filters, map, panels, charts, table, detail, leads, command, tasks,
                   live, wall,
                   table_upload, boundary_import, export, work):
        module.register(app, source)
    guard_payloads(app)
