"""The six rings of control (六个圈层, issue 12) on a day: arrivals from high-risk areas,
centralised quarantine, checkpoint intercepts, screened households, home isolation and closed
compounds. Five are counted per grid (``ring_counts``, one row per grid and day); checkpoint
intercepts are the people the township's checkpoints flagged that day, so a grid has none of
its own ("not applicable"). Pure functions on the snapshot, no Dash; household-level counts
reach callers through ``gridwatch.visibility``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from gridwatch.metrics import checkpoint_throughput_on, checkpoints_in
from gridwatch.snapshot import Snapshot

RINGS = ("arrivals_high_risk", "central_quarantine", "checkpoint_intercepts",
         "screened_households", "home_isolation", "closed_compounds")
"""The six rings, in the article's order."""

GRID_RINGS = tuple(r for r in RINGS if r != "checkpoint_intercepts")
"""The rings counted per grid."""

PERSONAL = ("arrivals_high_risk", "central_quarantine", "screened_households",
            "home_isolation")
"""The rings that count people or households (suppressed below the threshold for callers
without the right); closed compounds and checkpoint intercepts do not."""


def _grid_day(snap: Snapshot, day: date) -> pd.DataFrame:
    """The five grid rings per grid on ``day`` (once per snapshot and day)."""
    def compute():
        rows = snap.rings[snap.rings["day"] == day]
        return rows.groupby("grid_code")[list(GRID_RINGS)].sum()

    return snap.memo(("ring_grid_day", day), compute, as_of=day)


def by_township(snap: Snapshot, grid_codes, townships, day: date) -> pd.DataFrame:
    """Per township of ``townships``: ``code``, the five grid rings summed over its grids
    among ``grid_codes``, and its checkpoints' intercepts; in the townships' code order."""
    grids = snap.region.grid_table[["code", "township_code"]]
    grids = grids[grids["code"].isin(set(grid_codes))]
    day_rows = _grid_day(snap, day).reindex(grids["code"]).fillna(0)
    sums = day_rows.groupby(grids["township_code"].to_numpy()).sum()
    towns = sorted(set(townships))
    out = sums.reindex(towns).fillna(0).astype(int)
    intercepts = _intercepts(snap, day)
    out["checkpoint_intercepts"] = [intercepts.get(c, 0) for c in towns]
    return out[list(RINGS)].rename_axis("code").reset_index()


def _intercepts(snap: Snapshot, day: date) -> dict[str, int]:
    """Township code → the people its checkpoints flagged on ``day`` (once per snapshot and
    day)."""
    def compute():
        flagged = checkpoint_throughput_on(snap, day)["flagged"]
        return {c: int(flagged.reindex(checkpoints_in(snap.region, [c])).sum())
                for c in snap.region.townships["code"]}

    return snap.memo(("ring_intercepts", day), compute, as_of=day)


def totals(table: pd.DataFrame) -> dict[str, int]:
    """Each ring summed over ``by_township`` rows."""
    return {r: int(table[r].sum()) for r in RINGS}


def for_grid(snap: Snapshot, code: str, day: date) -> dict[str, int | None]:
    """One grid's rings on ``day``; checkpoint intercepts are None (not applicable)."""
    row = _grid_day(snap, day).reindex([code]).fillna(0).iloc[0]
    return {r: (None if r == "checkpoint_intercepts" else int(row[r])) for r in RINGS}


SHADES = 5
"""A ring on the map is shaded in five steps: none, and four ranges from ``bin_edges``."""


def bin_edges(threshold: int) -> tuple[int, int, int, int]:
    """The lower ends of the four non-zero shades: 1, then the suppression threshold and its
    double and quadruple, so that the lightest shade ("1 to threshold - 1") says no more than
    a suppressed count does."""
    threshold = max(2, int(threshold))
    return (1, threshold, 2 * threshold, 4 * threshold)


def grid_shades(snap: Snapshot, ring: str, day: date, codes, threshold: int) -> str:
    """One character per grid of ``codes`` (in that order): '0' when ``ring`` (one of
    ``GRID_RINGS``) counts none there on ``day``, '1'-'4' for the ranges of ``bin_edges``."""
    if ring not in GRID_RINGS:
        raise ValueError(f"not a grid ring: {ring!r}")
    counts = _grid_day(snap, day)[ring].reindex(list(codes)).fillna(0).to_numpy()
    shade = np.searchsorted(np.array(bin_edges(threshold)), counts, side="right")
    return (shade + ord("0")).astype(np.uint8).tobytes().decode("ascii")
