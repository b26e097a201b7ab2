"""How the map draws what it shows: one set of constants for the screen, the wall and print.

The browser's style functions (``assets/map.js``) read these through
``assets/gridwatch-style.js``, which is generated from this module
(``python -m gridwatch.style > assets/gridwatch-style.js``; a unit test fails when the two
differ). Print (``gridwatch.export.render``) uses them directly: line widths and marker sizes
given here in screen pixels become points on paper through ``PRINT_SCALE``.
"""

from __future__ import annotations

import json

from gridwatch.store.models import COLOURS

MUTED_FILL = "#cfd8dc"
"""Grids outside the filter."""
MUTED_FILL_OPACITY = 0.35
MUTED_EDGE = "#90a4ae"
MUTED_EDGE_WIDTH = 0.4
MUTED_EDGE_OPACITY = 0.6
UNMARKED = "#9e9e9e"
"""A grid in the filter that was never assessed."""
GRID_FILL_OPACITY = 0.78
GRID_EDGE = "#ffffff"
GRID_EDGE_WIDTH = 0.5
GRID_EDGE_OPACITY = 0.8
SELECTED_EDGE = "#000000"
SELECTED_EDGE_WIDTH = 3

LEVEL_STROKE = {1: "#4a148c", 2: "#283593", 3: "#455a64"}
"""Township boundaries by control level (1 strictest)."""
LEVEL_STROKE_DARK = {1: "#f3e5f5", 2: "#9fa8da", 3: "#cfd8dc"}
"""The same on the wall's dark map, where the light theme's dark strokes vanish."""
LEVEL_WIDTH = {1: 3.2, 2: 2.2, 3: 1.4}
LEVEL_DASH = {3: (6, 4)}
"""Dash pattern (on, off) in pixels; levels not listed are solid."""
SELECTED_TOWNSHIP_EXTRA_WIDTH = 1.5

COUNTY_STROKE = "#111111"
COUNTY_WIDTH = 3.5
NEIGHBOUR_FILL = "#eceff1"
NEIGHBOUR_EDGE = "#90a4ae"

CHECKPOINT_FILL = "#263238"
CHECKPOINT_MIN_RADIUS = 4
CHECKPOINT_RADIUS_SPAN = 12
"""A checkpoint's radius: min + span × √(its volume / the biggest volume shown)."""
CHECKPOINT_ALERT = {
    "quiet": {"fillColor": "#ffffff", "color": "#263238", "weight": 2.5, "dashArray": "3 2"},
    "missed": {"fillColor": "#263238", "color": "#ffab00", "weight": 3.0, "dashArray": None},
    "over_capacity": {"fillColor": "#d81b60", "color": "#ffffff", "weight": 2.0,
                      "dashArray": None},
}
"""A checkpoint with an open alert (``gridwatch.checkpoints``), by its most urgent kind: gone
quiet is hollow with a dashed ring (nothing comes from it), missed reports keep the fill with
an amber ring, over capacity is filled magenta (no risk colour is magenta). Its radius is at
least ``CHECKPOINT_ALERT_MIN_RADIUS`` however little it inspected."""
CHECKPOINT_ALERT_MIN_RADIUS = 7
QUARANTINE_FILL = "#6a1b9a"

HOTSPOT = {"red": {"radius": 6.5, "halo": 13.0, "haloWidth": 3.5},
           "orange": {"radius": 5.0, "halo": 10.0, "haloWidth": 2.5}}
"""The mark at every red and orange grid (screen pixels at 1080 lines; the wall scales them):
a dot in the grid's colour with a white rim, inside a halo ring of the same colour. However
small the grid, the dot is at least 2 × radius across, and it is drawn above every other
symbol and label."""
HOTSPOT_RIM = "#ffffff"
HOTSPOT_HALO_OPACITY = 0.55

TASK_COLOURS = {"on_time": "#43a047", "late": "#9ccc65", "open": "#90a4ae", "overdue": "#e53935"}
"""Task assignment states (see ``gridwatch.metrics.TASK_STATES``) in charts."""

PRINT_SCALE = 0.4
"""Screen pixels to printed points for line widths and marker radii."""


def checkpoint_radius(share: float) -> float:
    """A checkpoint's radius in screen pixels for ``share`` (0..1) of the biggest volume."""
    return CHECKPOINT_MIN_RADIUS + CHECKPOINT_RADIUS_SPAN * max(share, 0.0) ** 0.5


def browser_constants() -> dict:
    """What ``assets/map.js`` reads, as one JSON-able dict."""
    return {
        "colours": list(COLOURS),
        "muted": {"fillColor": MUTED_FILL, "fillOpacity": MUTED_FILL_OPACITY,
                  "color": MUTED_EDGE, "weight": MUTED_EDGE_WIDTH,
                  "opacity": MUTED_EDGE_OPACITY},
        "unmarked": UNMARKED,
        "grid": {"fillOpacity": GRID_FILL_OPACITY, "color": GRID_EDGE,
                 "weight": GRID_EDGE_WIDTH, "opacity": GRID_EDGE_OPACITY},
        "selected": {"color": SELECTED_EDGE, "weight": SELECTED_EDGE_WIDTH},
        "levelStroke": {str(k): v for k, v in LEVEL_STROKE.items()},
        "levelStrokeDark": {str(k): v for k, v in LEVEL_STROKE_DARK.items()},
        "levelWidth": {str(k): v for k, v in LEVEL_WIDTH.items()},
        "levelDash": {str(k): " ".join(str(x) for x in v) for k, v in LEVEL_DASH.items()},
        "selectedTownshipExtra": SELECTED_TOWNSHIP_EXTRA_WIDTH,
        "county": {"color": COUNTY_STROKE, "weight": COUNTY_WIDTH},
        "neighbour": {"fillColor": NEIGHBOUR_FILL, "color": NEIGHBOUR_EDGE},
        "checkpoint": {"fillColor": CHECKPOINT_FILL, "minRadius": CHECKPOINT_MIN_RADIUS,
                       "span": CHECKPOINT_RADIUS_SPAN, "alert": CHECKPOINT_ALERT,
                       "alertMinRadius": CHECKPOINT_ALERT_MIN_RADIUS},
        "quarantine": QUARANTINE_FILL,
        "hotspot": {**HOTSPOT, "rim": HOTSPOT_RIM, "haloOpacity": HOTSPOT_HALO_OPACITY},
    }


def browser_asset() -> str:
    """The text of ``assets/gridwatch-style.js``."""
    body = json.dumps(browser_constants(), indent=2, sort_keys=True)
    return ("// Generated by `python -m gridwatch.style` from gridwatch/style.py: do not edit.\n"
            f"window.gridwatchStyle = {body};\n")


if __name__ == "__main__":
    print(browser_asset(), end="")
