"""``GET /metrics``: this process's counters in Prometheus' text format, for an IT team's
existing monitoring.

- ``gridwatch_http_requests_total{endpoint, status}``: requests answered, by Flask endpoint
  (Dash's callbacks are one endpoint, ``_dash-update-component``) and status;
- ``gridwatch_http_request_duration_seconds{endpoint}``: how long they took (a histogram);
- ``gridwatch_data_version``: the store's data version (read from its version row, never a
  snapshot) and ``gridwatch_data_updated_timestamp_seconds``, when it last changed;
- ``gridwatch_snapshot_reloads_total`` and ``gridwatch_snapshot_reload_seconds_total``: how
  often this process read the whole store again (after a write or a region change), and how
  long that took;
- ``process_resident_memory_bytes``, ``process_start_time_seconds``.

The counters are per process (each worker of ``make serve`` keeps its own; a scrape through
the proxy sees one worker: scrape each worker, or sum them where the monitoring does).

Access: the guard refuses anonymous callers (401); only an admin, a signed-in one or a
token with the admin role, may read it (403 otherwise).

The format is written here by hand (``# HELP``, ``# TYPE``, ``name{labels} value``): no
client library is needed for a handful of counters.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from bisect import bisect_left
from collections import defaultdict
from datetime import UTC

from flask import Blueprint, Response, g, request

from gridwatch.auth.policy import allows

blueprint = Blueprint("metrics", __name__)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (seconds) of the latency histogram's buckets (``+Inf`` is added)."""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Registry:
    """The process's request counters, latency histograms and snapshot reloads (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.reloads = 0
        self.reload_seconds = 0.0
        self.started = time.time()

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(endpoint, str(status))] += 1
            counts = self.buckets.setdefault(endpoint, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1  # the first bucket with bound >= it
            self.sums[endpoint] += seconds
            self.counts[endpoint] += 1

    def reloaded(self, seconds: float) -> None:
        with self._lock:
            self.reloads += 1
            self.reload_seconds += seconds

    def copy(self) -> dict:
        with self._lock:
            return {"requests": dict(self.requests),
                    "buckets": {k: list(v) for k, v in self.buckets.items()},
                    "sums": dict(self.sums), "counts": dict(self.counts),
                    "reloads": self.reloads, "reload_seconds": self.reload_seconds}


REGISTRY = Registry()


# --- observing ----------------------------------------------------------------------------------

def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


@blueprint.record_once
def _clock_first(state) -> None:
    # Before the guard: a request it refuses (401, 403) is timed and counted too.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)


@blueprint.after_app_request
def _count(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        REGISTRY.observe(request.endpoint or "unmatched", response.status_code,
                         time.perf_counter() - started)
    return response


@blueprint.record_once
def _observe_snapshot_reloads(_state) -> None:
    """Count the data source's reloads of the store.

    ``DataSource.snapshot`` reads the store again through ``gridwatch.service.read_snapshot``
    (the rows added since, or every table whole) when the version or the region changed;
    that name is wrapped (once per process) so that each reload is counted and timed. (A hook
    in ``gridwatch.service`` would say it better.)
    """
    from gridwatch import service

    if getattr(service.read_snapshot, "_gridwatch_counted", False):
        return
    original = service.read_snapshot

    @functools.wraps(original)
    def counted(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            REGISTRY.reloaded(time.perf_counter() - started)

    counted._gridwatch_counted = True  # type: ignore[attr-defined]
    service.read_snapshot = counted


# --- the exposition -----------------------------------------------------------------------------

def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def resident_bytes() -> int | None:
    """This process's resident set size (Linux ``/proc``; else the peak, from ``resource``)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):  # pragma: no cover - not Linux, not Unix
        return None


def exposition(registry: Registry, state) -> str:
    """The text format: every family with its ``# HELP`` and ``# TYPE`` lines.

    ``state`` is ``web.health.read_state``'s answer (the data version) or None.
    """
    data = registry.copy()
    out: list[str] = []

    def family(name: str, kind: str, text: str) -> None:
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")

    family("gridwatch_http_requests_total", "counter", "HTTP requests answered.")
    for (endpoint, status), n in sorted(data["requests"].items()):
        out.append(f'gridwatch_http_requests_total{{endpoint="{_label(endpoint)}",'
                   f'status="{status}"}} {n}')
    family("gridwatch_http_request_duration_seconds", "histogram",
           "Time to answer an HTTP request.")
    for endpoint in sorted(data["buckets"]):
        label = _label(endpoint)
        running = 0
        for bound, n in zip((*BUCKETS, None), data["buckets"][endpoint], strict=True):
            running += n
            le = "+Inf" if bound is None else repr(bound)
            out.append(f'gridwatch_http_request_duration_seconds_bucket{{endpoint="{label}",'
                       f'le="{le}"}} {running}')
        out.append(f'gridwatch_http_request_duration_seconds_sum{{endpoint="{label}"}} '
                   f'{_number(data["sums"][endpoint])}')
        out.append(f'gridwatch_http_request_duration_seconds_count{{endpoint="{label}"}} '
                   f'{data["counts"][endpoint]}')
    family("gridwatch_snapshot_reloads_total", "counter",
           "Full reads of the store by this process (after a write or a region change).")
    out.append(f"gridwatch_snapshot_reloads_total {data['reloads']}")
    family("gridwatch_snapshot_reload_seconds_total", "counter",
           "Time spent reading the whole store again.")
    out.append(f"gridwatch_snapshot_reload_seconds_total {_number(data['reload_seconds'])}")
    if state is not None:
        family("gridwatch_data_version", "gauge",
               "The store's data version: it moves once per committed write.")
        out.append(f"gridwatch_data_version {state.store_version}")
        if state.updated_at is not None:
            family("gridwatch_data_updated_timestamp_seconds", "gauge",
                   "When the store last changed (Unix time).")
            stamp = state.updated_at.replace(tzinfo=UTC).timestamp()
            out.append(f"gridwatch_data_updated_timestamp_seconds {_number(stamp)}")
    rss = resident_bytes()
    if rss is not None:
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
        out.append(f"process_resident_memory_bytes {rss}")
    family("process_start_time_seconds", "gauge",
           "When the process started counting (Unix time).")
    out.append(f"process_start_time_seconds {_number(registry.started)}")
    return "\n".join(out) + "\n"


@blueprint.get("/metrics")
def metrics():
    from web.auth import current_principal, refuse_anonymous
    from web.context import data_source
    from web.health import read_state

    if not allows(current_principal(), "admin"):
        return refuse_anonymous(403, "admin")
    response = Response(exposition(REGISTRY, read_state(data_source())), mimetype=None,
                        content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
