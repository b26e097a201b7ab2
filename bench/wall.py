"""Wall latency: from a risk write committing to the wall showing the grid's new colour.

A real server (``app.py``) runs on a freshly seeded demo store; headless Chromium shows
``/wall`` at 1920x1080; this process turns a green grid red, starts the clock when the write has
committed, and stops it when the grid's fill on the wall's map is the palette's red. Repeated
for ``WRITES`` different grids, one at a time; the median and the 90th percentile are printed
next to the aim. The wall asks ``/healthz`` every ``GRIDWATCH_WALL_POLL_SECONDS`` (1 s), so
about half a poll of every figure is waiting for the next poll.

The browser test (``tests/browser/test_wall.py``) only checks that a write arrives: a timing
threshold in a test fails on a loaded machine, a benchmark reports it.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from gridwatch.metrics import grid_status
from gridwatch.service import DataSource
from gridwatch.settings import Settings
from gridwatch.store import models as m
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc

WRITES = 10
AIM = 5.0  # seconds: "live within seconds of a write"
TIMEOUT = 60.0
POLL = 0.02  # how often this process looks at the page


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def browser_available() -> bool:
    return bool((shutil.which("chromium") or Path("/usr/bin/chromium").exists())
                and (shutil.which("chromedriver") or Path("/usr/bin/chromedriver").exists()))


def measure(source: DataSource, driver, red: str, codes: list[str]) -> list[float]:
    from tests.browser.test_wall import grid_colour_on_wall

    base = datetime(2020, 2, 29, 22, 0)
    latencies = []
    for i, code in enumerate(codes):
        observed = local_to_utc(base + timedelta(minutes=i), source.settings.timezone)
        with write_session(source.engine) as s:
            s.add(m.RiskAssessment(grid_code=code, colour="red", observed_at=observed,
                                   recorded_at=observed, source="bench-wall"))
        written = time.perf_counter()
        while grid_colour_on_wall(driver, code) != red:
            if time.perf_counter() - written > TIMEOUT:
                raise RuntimeError(f"the wall did not show {code} red within {TIMEOUT:g} s")
            time.sleep(POLL)
        latencies.append(time.perf_counter() - written)
        time.sleep(1.0)  # let the wall settle before the next write
    return latencies


def run() -> None:
    if not browser_available():
        print("wall latency: skipped (no Chromium/chromedriver; `make system-deps`)")
        return
    from tests.browser.conftest import LiveServer, free_port
    from tests.browser.driver import make_driver
    from tests.browser.test_wall import open_wall

    folder = Path(tempfile.mkdtemp(prefix="gw-bench-wall-"))
    db = folder / "store.sqlite"
    source = DataSource(Settings.from_env(database_url=f"sqlite:///{db}"))
    source.prepare()
    snap = source.snapshot()
    status = grid_status(snap, snap.last_day)
    codes = sorted(status.index[status["colour"] == "green"])[:WRITES]
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": f"sqlite:///{db}", "PYTHONUNBUFFERED": "1"}
    env.pop("GRIDWATCH_TILE_URL", None)
    server = LiveServer(free_port(), db, folder / "server.log", env)
    driver = None
    try:
        server.start()
        driver = make_driver(1920, 1080)
        open_wall(driver, server, "?rotate=20")
        time.sleep(2)  # the first refresh fills the panels
        latencies = measure(source, driver, source.settings.palette["red"], codes)
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    median, p90 = statistics.median(latencies), percentile(latencies, 90)
    verdict = "meets aim" if p90 < AIM else "OVER AIM"
    print(f"wall latency (write committed → the wall shows it), {len(latencies)} writes, "
          f"wall polls every {source.settings.wall_poll_seconds:g} s")
    print(f"{'':18}{'median s':>9}{'p90 s':>8}{'min s':>8}{'max s':>8}{'aim':>9}  verdict")
    print(f"{'risk write → wall':<18}{median:>9.2f}{p90:>8.2f}{min(latencies):>8.2f}"
          f"{max(latencies):>8.2f}{f'< {AIM:g} s':>9}  {verdict}")
