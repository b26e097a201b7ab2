"""Export timings and sizes for the demo region, next to the issue's aims.

Renders, on a private copy of the demo store: the A4 landscape map as PNG at 300 dpi, as
vector PDF, and the briefing pack, for the whole county on the latest day. Each is timed once
cold (the first export in a process: fonts and projected layers are prepared) and as the
median of three warm runs (a running server's steady state).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from gridwatch.export import ExportRequest, run_export
from gridwatch.export.ids import ExportLog
from gridwatch.filters import Filters
from gridwatch.service import DataSource
from gridwatch.settings import Settings

AIMS = {"png": 3.0, "pdf": None, "pack": 10.0}  # seconds; the issue sets no PDF aim
LABELS = {"png": "A4 PNG 300 dpi", "pdf": "A4 vector PDF", "pack": "briefing pack"}
WARM_RUNS = 3


def measure(source: DataSource, log: ExportLog, kind: str) -> dict:
    day = source.snapshot().last_day
    timings, size = [], 0
    for i in range(WARM_RUNS + 1):
        # A different title each run: a new export, not a replay of a recorded one.
        request = ExportRequest(kind=kind, filters=Filters(as_of=day), title=f"bench {i}")
        start = time.perf_counter()
        result = run_export(source, request, log)
        timings.append(time.perf_counter() - start)
        size = len(result.content)
    return {"cold": timings[0], "warm": statistics.median(timings[1:]), "size": size}


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as folder:
        db = Path(folder) / "bench.sqlite"
        source = DataSource(Settings.from_env(database_url=f"sqlite:///{db}"))
        start = time.perf_counter()
        source.prepare()
        source.snapshot()
        print(f"demo store seeded in {time.perf_counter() - start:.1f} s")
        log = ExportLog(source.engine)
        print(f"{'export':<18}{'cold s':>8}{'warm s':>8}{'size':>11}{'aim':>8}  verdict")
        for kind in ("png", "pdf", "pack"):
            m = measure(source, log, kind)
            aim = AIMS[kind]
            verdict = "—" if aim is None else ("meets aim" if m["warm"] < aim else "OVER AIM")
            print(f"{LABELS[kind]:<18}{m['cold']:>8.2f}{m['warm']:>8.2f}"
                  f"{m['size'] / 1e6:>9.2f} MB{(f'< {aim:g} s' if aim else '—'):>8}  {verdict}")
