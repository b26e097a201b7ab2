"""Wall soak: run ``/wall`` with fast rotation and live updates, and watch memory.

    python -m bench.soak [--minutes 30] [--rotate 3] [--write-every 10] [--sample-every 60]

A real server (``app.py``) runs on a private copy of the demo store; headless Chromium shows the
wall at 1920x1080; this process writes a risk change every few seconds so the wall keeps
recolouring, highlighting and listing changes. Every sample forces a garbage collection in the
page and records the JS heap, the page's DOM node count, and the server's resident memory.
Not part of ``make test`` (it runs for half an hour); ``make soak`` runs it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gridwatch.service import DataSource  # noqa: E402
from gridwatch.settings import Settings  # noqa: E402
from gridwatch.store import models as m  # noqa: E402
from gridwatch.store.writes import write_session  # noqa: E402
from gridwatch.timeutil import local_to_utc  # noqa: E402
from tests.browser.conftest import LiveServer, free_port, goto  # noqa: E402
from tests.browser.driver import make_driver  # noqa: E402

COLOURS = ("red", "orange", "yellow", "blue", "green")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def page_memory(driver) -> tuple[float, int]:
    """JS heap in use (MB) after a forced garbage collection, and the DOM node count."""
    driver.execute_cdp_cmd("HeapProfiler.enable", {})
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    values = {m["name"]: m["value"] for m in metrics}
    return values["JSHeapUsedSize"] / 2**20, int(values["Nodes"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--rotate", type=int, default=3)
    p.add_argument("--write-every", type=float, default=10)
    p.add_argument("--sample-every", type=float, default=60)
    args = p.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="gw-soak-"))
    db = folder / "store.sqlite"
    source = DataSource(Settings(database_url=f"sqlite:///{db}"))
    source.prepare()
    env = {**os.environ, "GRIDWATCH_DATABASE_URL": f"sqlite:///{db}",
           "GRIDWATCH_WALL_HIGHLIGHT_SECONDS": "30"}
    server = LiveServer(free_port(), db, folder / "server.log", env)
    server.start()
    driver = make_driver(1920, 1080)
    driver.execute_cdp_cmd("Performance.enable", {})
    rng = random.Random(2020)
    codes = source.region().grids["code"].tolist()
    base = local_to_utc(datetime(2020, 2, 29, 12, 0), "Asia/Shanghai")
    samples, writes = [], 0
    try:
        goto(driver, server, f"/wall?rotate={args.rotate}")  # signs in when asked
        time.sleep(10)
        start = time.time()
        end = start + args.minutes * 60
        next_write = next_sample = start
        print(f"soak: {args.minutes:g} min, rotate {args.rotate} s, a write every "
              f"{args.write_every:g} s; server pid {server.process.pid}")
        print(f"{'min':>6} {'JS heap MB':>11} {'DOM nodes':>10} {'server RSS MB':>14} "
              f"{'writes':>7}")
        while time.time() < end:
            now = time.time()
            if now >= next_write:
                with write_session(source.engine) as s:
                    observed = base + timedelta(seconds=writes)
                    s.add(m.RiskAssessment(grid_code=rng.choice(codes),
                                           colour=rng.choice(COLOURS), observed_at=observed,
                                           recorded_at=observed, source="soak"))
                writes += 1
                next_write += args.write_every
            if now >= next_sample:
                heap, nodes = page_memory(driver)
                sample = ((now - start) / 60, heap, nodes, rss_mb(server.process.pid), writes)
                samples.append(sample)
                print(f"{sample[0]:6.1f} {heap:11.1f} {nodes:10d} {sample[3]:14.1f} "
                      f"{writes:7d}", flush=True)
                next_sample += args.sample_every
            time.sleep(0.5)
        heap, nodes = page_memory(driver)
        samples.append(((time.time() - start) / 60, heap, nodes, rss_mb(server.process.pid),
                        writes))
    finally:
        driver.quit()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    first, last = samples[0], samples[-1]
    # Memory settles after the first minutes (caches fill); judge growth from there.
    settled = samples[min(3, len(samples) - 1)]
    print()
    print(f"{'':24} {'start':>9} {'after warm-up':>14} {'end':>9}")
    print(f"{'browser JS heap (MB)':24} {first[1]:9.1f} {settled[1]:14.1f} {last[1]:9.1f}")
    print(f"{'browser DOM nodes':24} {first[2]:9d} {settled[2]:14d} {last[2]:9d}")
    print(f"{'server RSS (MB)':24} {first[3]:9.1f} {settled[3]:14.1f} {last[3]:9.1f}")
    print(f"duration {last[0]:.1f} min, {writes} live writes, rotation every {args.rotate} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
