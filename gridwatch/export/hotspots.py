"""Where the day's red and orange grids cluster: the briefing pack's hotspot pages.

A cluster is a set of red or orange grids each within ``REACH`` metres of another one of the
set (their outlines, not their centres: a row of small urban cells is one cluster). Clusters
are ranked by their red grids, then their orange ones, then the lowest grid code, so the
same day gives the same pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
from shapely.ops import unary_union

REACH = 600.0
"""Metres between two red or orange grids' outlines that still makes them one cluster."""
MIN_SPAN = 2500.0
"""Metres: the least width or height a hotspot map shows (a single grid is seen with its
surroundings)."""
MAX_CLUSTERS = 3
"""Hotspot pages at most; the red and orange grids table lists every grid anyway."""


@dataclass(frozen=True)
class Cluster:
    """Red and orange grids close together: their codes (red first, then by code) and the
    extent (xmin, ymin, xmax, ymax) of their outlines, in the grids' metric CRS."""

    codes: tuple[str, ...]
    red: int
    orange: int
    bounds: tuple[float, float, float, float]


def clusters(grids: gpd.GeoDataFrame, colours: dict[str, str],
             limit: int = MAX_CLUSTERS) -> list[Cluster]:
    """The clusters of the grids in ``colours`` (code → "red" or "orange"), most urgent
    first, at most ``limit``.

    ``grids`` has a ``code`` column and outlines in a metric CRS.
    """
    if not colours:
        return []
    mine = grids[grids["code"].isin(colours)].reset_index(drop=True)
    merged = unary_union(list(mine.geometry.buffer(REACH / 2)))
    parts = list(getattr(merged, "geoms", [merged]))
    found = []
    for part in parts:
        inside = mine[mine.geometry.intersects(part)]
        codes = sorted(inside["code"], key=lambda c: (colours[c] != "red", c))
        red = sum(colours[c] == "red" for c in codes)
        found.append(Cluster(codes=tuple(codes), red=red, orange=len(codes) - red,
                             bounds=tuple(float(v) for v in inside.total_bounds)))
    found.sort(key=lambda c: (-c.red, -c.orange, c.codes[0]))
    return found[:limit]


def framed(bounds: Sequence[float], aspect: float,
           margin: float = 0.18) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) around ``bounds`` with a ``margin`` share on each side, at
    least ``MIN_SPAN`` across, widened to ``aspect`` (width / height) about its centre."""
    xmin, ymin, xmax, ymax = bounds
    w = max(xmax - xmin, MIN_SPAN) * (1 + 2 * margin)
    h = max(ymax - ymin, MIN_SPAN) * (1 + 2 * margin)
    w, h = (h * aspect, h) if w / h < aspect else (w, w / aspect)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
