"""Print maps: a GIS-style page layout drawn with GeoPandas and matplotlib, off-screen.

A page has a header (title, the filters, the data day and the generation time), the map in a
frame with lon/lat ticks, a metric scale bar and a north arrow, a side panel with a locator
inset, the legend with the count per colour and the source notes, and a footer with the
export ID. Everything is laid out in millimetres on the paper, so A4 and A3, landscape and
portrait come from one description.

The map shows exactly what the analyst view shows for the same filters: both draw the
``MapView`` of ``gridwatch.mapview`` with the constants of ``gridwatch.style`` (the same grids
in the same colours from the settings' palette, grids outside the filter muted, township
boundaries by control level). Fills are drawn opaque (the screen blends them over the map),
so a printed colour equals its palette value.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch, Polygon, Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.transforms import Affine2D
from pyproj import Transformer
from shapely.geometry import box

from gridwatch import style
from gridwatch.checkpoints import Health
from gridwatch.empty import no_history
from gridwatch.export.fonts import print_family, print_style, truetype_text
from gridwatch.export.options import PAPERS_MM, ExportRequest
from gridwatch.filters import Filters
from gridwatch.geo.crs import region_crs, region_epsg, zone_of
from gridwatch.geo.layers import METRIC_CRS, Region
from gridwatch.i18n import county_name, t
from gridwatch.mapview import MapView, map_view
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from gridwatch.timeutil import instant_for

INK = "#263238"
GREY = "#607d8b"
PROVINCE_FILL = {"浙江省": "#e3eaf5", "安徽省": "#eef3e2", "江西省": "#f7efdc"}
DPI = 300
MM = 1 / 25.4

PRINT_PATTERNS: dict[str, tuple[str, str]] = {
    "red": ("xxx", "#212121"),
    "orange": ("////", "#3e2723"),
    "yellow": ("---", "#5d4037"),
    "blue": ("...", "#ffffff"),
    "green": ("", ""),
}
"""Colour → (matplotlib hatch, hatch colour) over a grid's fill in print: red, blue and green
are nearly the same grey in a black-and-white photocopy, so the five risk colours differ by
pattern too (red cross-hatched, orange diagonal, yellow ruled, blue dotted, green plain),
on the map and in the legend."""
HATCH_WIDTH = 0.45
"""Points: the hatch lines' width."""


@dataclass(frozen=True)
class Stamp:
    """What makes an export reproducible: its ID, data version and generation time."""

    export_id: str
    data_version: str
    generated: datetime
    synthetic: bool


# --- the page --------------------------------------------------------------------------------

class Page:
    """A figure the size of the paper, with drawing helpers in millimetres."""

    def __init__(self, paper: str, orientation: str) -> None:
        short, long_ = PAPERS_MM[paper]
        self.width, self.height = (long_, short) if orientation == "landscape" else (short, long_)
        self.landscape = orientation == "landscape"
        self.k = short / 210.0  # positions scale with the paper
        self.fs = math.sqrt(self.k)  # type grows more slowly than the paper
        self.fig = Figure(figsize=(self.width * MM, self.height * MM), dpi=DPI)
        self.mm = Affine2D().scale(1 / self.width, 1 / self.height) + self.fig.transFigure
        self.margin = 10 * self.k

    def text(self, x: float, y: float, s: str, size: float, **kw):
        kw.setdefault("color", INK)
        return self.fig.text(x, y, s, fontsize=size * self.fs, transform=self.mm, **kw)

    def line(self, x0: float, x1: float, y0: float, y1: float, **kw) -> None:
        self.fig.add_artist(Line2D([x0, x1], [y0, y1], transform=self.mm, **kw))

    def rect(self, x: float, y: float, w: float, h: float, **kw) -> None:
        self.fig.add_artist(Rectangle((x, y), w, h, transform=self.mm, **kw))

    def axes(self, x: float, y: float, w: float, h: float):
        return self.fig.add_axes((x / self.width, y / self.height, w / self.width,
                                  h / self.height))

    @property
    def body(self) -> tuple[float, float, float, float]:
        """The area between header and footer: (x, y, width, height) in mm."""
        m = self.margin
        bottom = m + 7 * self.k
        top = self.height - m - 17 * self.k
        return m, bottom, self.width - 2 * m, top - bottom

    def measure(self, text: str, size: float, bold: bool = False) -> float:
        """The width in mm of ``text`` drawn by ``text`` at ``size`` (before the paper's
        type scale)."""
        return text_width(text, size * self.fs, bold)

    def fit(self, text: str, width: float, size: float, min_size: float,
            bold: bool = False) -> tuple[str, float]:
        """``text`` and the size (before the type scale) at which it fits ``width`` mm."""
        out, pt = fitted(text, width, size * self.fs, min_size * self.fs, bold)
        return out, pt / self.fs

    def frame(self, title: str | tuple[str, ...], subtitle: str, right_top: str,
              right_bottom: str, footer_left: str, footer_right: str, issue: str = "") -> None:
        """Header and footer: title, subtitle, dates, rules, export ID and page number.

        The title and subtitle are measured against what the right-hand side takes, and set
        smaller rather than run into "data as of"; ``title`` may offer shorter forms (a pack
        page's heading without the pack's name), used when the longer does not fit, and only
        the last is ever cut. ``issue`` (the issuing unit and issue number) is printed above
        the header, right-aligned, when given."""
        m, k, w, h = self.margin, self.k, self.width, self.height
        gap = 6 * k
        right_top_size = 10.0
        if issue:
            issue, issue_size = self.fit(issue, w - 2 * m, 7.5, 5.5, bold=True)
            self.text(w - m, h - m + 2.5 * k, issue, issue_size, fontweight="bold",
                      color="#b71c1c", ha="right", va="baseline")
        right = max(self.measure(right_top, right_top_size, True),
                    self.measure(right_bottom, 7.5))
        room = w - 2 * m - right - gap
        forms = (title,) if isinstance(title, str) else title
        title = next((f for f in forms if self.measure(f, 10.5, True) <= room), forms[-1])
        title, title_size = self.fit(title, room, 17, 10.5, bold=True)
        subtitle, sub_size = self.fit(subtitle, w - 2 * m - right - gap, 8.5, 6.5)
        self.text(m, h - m - 7 * k, title, title_size, fontweight="bold", va="baseline")
        self.text(m, h - m - 13.5 * k, subtitle, sub_size, color=GREY, va="baseline")
        self.text(w - m, h - m - 6.5 * k, right_top, right_top_size, fontweight="bold",
                  ha="right", va="baseline")
        self.text(w - m, h - m - 12.5 * k, right_bottom, 7.5, color=GREY, ha="right",
                  va="baseline")
        rule_y = h - m - 16 * k
        self.line(m, w - m, rule_y, rule_y, color=INK, linewidth=1.1)
        foot_y = m + 4.5 * k
        self.line(m, w - m, foot_y, foot_y, color="#b0bec5", linewidth=0.5)
        right_foot = self.measure(footer_right, 6.5)
        footer_left, foot_size = self.fit(footer_left, w - 2 * m - right_foot - gap, 6.5, 5)
        self.text(m, m + 1 * k, footer_left, foot_size, color=GREY, va="baseline")
        self.text(w - m, m + 1 * k, footer_right, 6.5, color=GREY, ha="right", va="baseline")

    def save(self, kind: str, stamp: Stamp, title: str, subject: str) -> bytes:
        """The page as PNG, PDF or SVG bytes, with fixed metadata (same export, same bytes)."""
        return save_figure(self.fig, kind, stamp, title, subject)


def metadata(kind: str, stamp: Stamp, title: str, subject: str) -> dict:
    """File metadata for each format: the export ID, data version and generation time."""
    keywords = f"export-id={stamp.export_id}; data-version={stamp.data_version}"
    if kind == "png":
        return {"Title": title, "Description": subject, "Comment": keywords,
                "Creation Time": stamp.generated.isoformat(), "Software": "gridwatch"}
    if kind == "svg":
        return {"Title": title, "Description": f"{subject} ({keywords})",
                "Date": stamp.generated.isoformat(), "Identifier": stamp.export_id,
                "Creator": "gridwatch"}
    # In UTC: matplotlib writes the offset of an aware local time with the wrong sign.
    when = stamp.generated.astimezone(UTC)
    return {"Title": title, "Subject": subject, "Keywords": keywords, "Creator": "gridwatch",
            "Producer": "gridwatch", "CreationDate": when, "ModDate": when}


def save_figure(fig: Figure, kind: str, stamp: Stamp, title: str, subject: str) -> bytes:
    buffer = io.BytesIO()
    with print_style(stamp.export_id):
        meta = metadata(kind, stamp, title, subject)
        if kind == "pdf":
            with truetype_text([fig], int(stamp.generated.timestamp())):
                fig.savefig(buffer, format=kind, dpi=DPI, metadata=meta)
        else:
            fig.savefig(buffer, format=kind, dpi=DPI, metadata=meta)
    return buffer.getvalue()


PT = 0.3528
"""Millimetres per typographic point."""
_MEASURE = TextToPath()


@lru_cache(maxsize=8192)
def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """The width in mm of ``text`` set in the print font at ``size_pt`` (the widest line of
    a multi-line text), from the font's own advances: what the page will really take."""
    if not text:
        return 0.0
    prop = FontProperties(family=[print_family(), "DejaVu Sans"], size=size_pt,
                          weight="bold" if bold else "normal")
    return max(_MEASURE.get_text_width_height_descent(line, prop, ismath=False)[0]
               for line in text.split("\n")) * PT


def _is_cjk(ch: str) -> bool:
    return ord(ch) > 0x2e80


def _tokens(text: str) -> list[str]:
    """Where a line may break: after a space (kept with its word) or around a CJK glyph."""
    out, word = [], ""
    for ch in text:
        if _is_cjk(ch):
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
            if ch == " ":
                out.append(word)
                word = ""
    if word:
        out.append(word)
    return out


def wrap(text: str, width_mm: float, size_pt: float, bold: bool = False) -> str:
    """Wrap ``text`` into lines no wider than ``width_mm`` at ``size_pt`` (measured in the
    print font); a word wider than a line is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            trial = line + token
            if not line or text_width(trial.rstrip(), size_pt, bold) <= width_mm:
                line = trial
                continue
            lines.append(line.rstrip())
            line = token.lstrip()
        while text_width(line.rstrip(), size_pt, bold) > width_mm and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and text_width(line[:cut], size_pt, bold) > width_mm:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line.rstrip())
    return "\n".join(lines)


def ellipsize(text: str, width_mm: float, size_pt: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis so it fits ``width_mm``; when it ends in a number (a
    grid's "Grid 13", a page's "(continued)" does not) the end is kept and the middle cut,
    so the part that tells rows apart survives."""
    if text_width(text, size_pt, bold) <= width_mm:
        return text
    tail = ""
    stripped = text.rstrip()
    end = len(stripped)
    while end and stripped[end - 1].isdigit():
        end -= 1
    if end < len(stripped):
        start = stripped.rfind(" ", 0, end) + 1 if " " in stripped[:end] else end
        tail = stripped[start:]
    head = text[: len(text) - len(tail)] if tail else text
    for cut in range(len(head) - 1, 0, -1):
        trial = head[:cut].rstrip() + "…" + (" " + tail.lstrip() if tail else "")
        if text_width(trial, size_pt, bold) <= width_mm:
            return trial
    return "…" + tail if tail and text_width("…" + tail, size_pt, bold) <= width_mm else "…"


def fitted(text: str, width_mm: float, size_pt: float, min_pt: float,
           bold: bool = False) -> tuple[str, float]:
    """``text`` and a size at most ``size_pt`` at which it fits ``width_mm`` on one line:
    smaller type down to ``min_pt``, then an ellipsis (``ellipsize``)."""
    width = text_width(text, size_pt, bold)
    if width <= width_mm:
        return text, size_pt
    size = max(min_pt, size_pt * width_mm / width * 0.995)
    return ellipsize(text, width_mm, size, bold), size


# --- what the map shows: gridwatch.mapview decides, this only turns it into fills ----------

def grid_fills(view: MapView, palette: dict[str, str]) -> tuple[list[str], list[str]]:
    """Per grid in code order: fill and edge colours, as the screen draws them (opaque)."""
    fills, edges = [], []
    for colour, inside in zip(view.colours, view.kept, strict=True):
        if not inside:
            fills.append(style.MUTED_FILL)
            edges.append(style.MUTED_EDGE)
        else:
            fills.append(palette[colour] if colour in palette else style.UNMARKED)
            edges.append(style.GRID_EDGE)
    return fills, edges


def level_dash(level: int):
    """A control level's line style for matplotlib: the screen's dash pattern, or solid."""
    dash = style.LEVEL_DASH.get(level)
    return (0, tuple(v * style.PRINT_SCALE for v in dash)) if dash else "-"


@lru_cache(maxsize=4)
def projected(region: Region) -> dict[str, gpd.GeoDataFrame]:
    """The region's layers in its metric CRS (``region_crs``: the UTM zone of its centre;
    grids in code order), computed once."""
    crs = region_crs(region)
    out = {name: region.layer(name).to_crs(crs)
           for name in ("county", "neighbours", "townships", "checkpoints", "quarantine_sites")}
    out["grids"] = region.grids.sort_values("code").reset_index(drop=True).to_crs(crs)
    out["grid_points"] = out["grids"].representative_point()
    towns = out["townships"].sort_values("code").reset_index(drop=True)
    out["township_labels"] = gpd.GeoDataFrame(
        towns[["code", "name_zh", "name_en"]], geometry=towns.representative_point(),
        crs=crs)
    return out


def _to_metric(crs: str = METRIC_CRS) -> Transformer:
    return Transformer.from_crs(4326, crs, always_xy=True)


def map_extent(region: Region, bbox: tuple[float, float, float, float] | None,
               aspect: float) -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) in the metric CRS: the bbox (or the county with a margin),
    widened to the map frame's ``aspect`` (width / height) around its centre."""
    if bbox is None:
        xmin, ymin, xmax, ymax = projected(region)["county"].total_bounds
        pad = 0.03 * max(xmax - xmin, ymax - ymin)
        xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    else:
        west, south, east, north = bbox
        xs, ys = _to_metric(region_crs(region)).transform([west, east, west, east],
                                                          [south, south, north, north])
        xmin, xmax, ymin, ymax = min(xs), max(xs), min(ys), max(ys)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    w, h = xmax - xmin, ymax - ymin
    w, h = (h * aspect, h) if w / h < aspect else (w, w / aspect)
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


# --- drawing the map -------------------------------------------------------------------------

def draw_map(ax, region: Region, view: MapView, palette: dict[str, str], extent, lang: str,
             fs: float) -> None:
    """The map's layers, in the analyst view's drawing order, clipped to ``extent``."""
    layers = projected(region)
    xmin, xmax, ymin, ymax = extent
    ax.set_facecolor("#f7f9fa")
    window = box(xmin, ymin, xmax, ymax)
    neighbours = layers["neighbours"]
    if len(neighbours):  # a new region may have none
        neighbours.plot(ax=ax, facecolor=style.NEIGHBOUR_FILL, edgecolor=style.NEIGHBOUR_EDGE,
                        linewidth=0.6, zorder=1)
    for _, row in neighbours.iterrows():
        part = row.geometry.intersection(window)
        if part.is_empty or part.area < 0.03 * window.area:
            continue
        p = part.representative_point()
        ax.text(p.x, p.y, f"{row[f'name_{lang}']}\n{row[f'province_{lang}']}", ha="center",
                va="center", fontsize=7 * fs, color="#78909c", zorder=2, linespacing=1.3)
    fills, edges = grid_fills(view, palette)
    layers["grids"].plot(ax=ax, color=fills, edgecolor=edges, linewidth=0.2,
                         zorder=3)
    patterns(ax, layers["grids"], view)
    towns = layers["townships"]
    for level in CONTROL_LEVELS:
        sub = towns[towns["code"].map(view.levels).astype(int) == level]
        if len(sub):
            sub.boundary.plot(ax=ax, color=style.LEVEL_STROKE[level],
                              linewidth=style.LEVEL_WIDTH[level] * style.PRINT_SCALE,
                              linestyle=level_dash(level), zorder=4)
    # A chosen township keeps its level's colour, drawn wider (as on screen).
    for _, row in towns[towns["code"].isin(view.chosen_townships)].iterrows():
        level = view.levels[row["code"]]
        width = style.LEVEL_WIDTH[level] + style.SELECTED_TOWNSHIP_EXTRA_WIDTH
        gpd.GeoSeries([row.geometry.boundary], crs=towns.crs).plot(
            ax=ax, color=style.LEVEL_STROKE[level], linewidth=width * style.PRINT_SCALE,
            zorder=4.5)
    layers["county"].boundary.plot(ax=ax, color=style.COUNTY_STROKE,
                                   linewidth=style.COUNTY_WIDTH * style.PRINT_SCALE, zorder=5)
    cps = layers["checkpoints"]
    radius = np.array([style.checkpoint_radius(view.checkpoint_share(code))
                       for code in cps["code"]]) * style.PRINT_SCALE
    alerted = cps["code"].map(view.checkpoint_alerts)
    calm = alerted.isna().to_numpy()
    ax.scatter(cps.geometry.x[calm], cps.geometry.y[calm], s=(2 * radius[calm]) ** 2,
               c=style.CHECKPOINT_FILL, alpha=0.9, edgecolors="white", linewidths=0.7, zorder=6)
    for kind, look in style.CHECKPOINT_ALERT.items():  # an open alert restyles the marker
        mine = (alerted == kind).to_numpy()
        if mine.any():
            r = np.maximum(radius[mine], style.CHECKPOINT_ALERT_MIN_RADIUS * style.PRINT_SCALE)
            ax.scatter(cps.geometry.x[mine], cps.geometry.y[mine], s=(2 * r) ** 2,
                       c=look["fillColor"], edgecolors=look["color"],
                       linewidths=look["weight"] * style.PRINT_SCALE,
                       linestyle="--" if look["dashArray"] else "-", zorder=6.2)
    sites = layers["quarantine_sites"]
    ax.scatter(sites.geometry.x, sites.geometry.y, s=(7 * fs) ** 2, marker="s",
               c=style.QUARANTINE_FILL,
               edgecolors="white", linewidths=0.6, zorder=6)
    for pt in sites.geometry:
        ax.text(pt.x, pt.y, t("export.quarantine_mark", lang), fontsize=4.6 * fs,
                color="white", ha="center", va="center", zorder=6.5, clip_on=True)
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    marks = hotspot_marks(layers["grid_points"], view)
    fig_w_mm = ax.figure.get_figwidth() * 25.4
    per_mm = (xmax - xmin) / (ax.get_position().width * fig_w_mm)  # metres per mm on paper
    for _, row in layers["township_labels"].iterrows():
        p = row.geometry
        if not (xmin < p.x < xmax and ymin < p.y < ymax):
            continue
        selected = row["code"] in view.chosen_townships
        size = (8.2 if selected else 7.2) * fs
        name = row[f"name_{lang}"]
        x, y = label_spot(p.x, p.y, text_width(name, size, True) * per_mm,
                          size * PT * 1.25 * per_mm, marks, per_mm)
        ax.text(x, y, name, fontsize=size, fontweight="bold", color="#102027", ha="center",
                va="center", zorder=7, path_effects=halo, clip_on=True)
    hotspots(ax, layers["grid_points"], view, palette)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)
        spine.set_color(INK)
        spine.set_zorder(10)


def patterns(ax, grids: gpd.GeoDataFrame, view: MapView) -> None:
    """Each kept grid's ``PRINT_PATTERNS`` hatch over its fill (muted grids stay plain)."""
    colours = view.colours.to_numpy()
    kept = view.kept.to_numpy()
    for colour, (hatch, ink) in PRINT_PATTERNS.items():
        mine = kept & (colours == colour)
        if not hatch or not mine.any():
            continue
        grids[mine].plot(ax=ax, facecolor="none", edgecolor="none", linewidth=0,
                         hatch=hatch, hatchcolor=ink, zorder=3.2)
        ax.collections[-1].set_hatch_linewidth(HATCH_WIDTH)


def swatch(page: Page, x: float, y: float, w: float, h: float, fill: str,
           colour: str | None = None) -> None:
    """A legend or table swatch (mm): the fill, with its colour's print pattern."""
    page.rect(x, y, w, h, facecolor=fill, edgecolor="#78909c", linewidth=0.3)
    hatch, ink = PRINT_PATTERNS.get(colour or "", ("", ""))
    if hatch:
        patch = Rectangle((x, y), w, h, transform=page.mm, facecolor="none",
                          edgecolor="none", linewidth=0, hatch=hatch, hatchcolor=ink)
        patch.set_hatch_linewidth(HATCH_WIDTH)
        page.fig.add_artist(patch)


def hotspot_marks(points: gpd.GeoSeries, view: MapView) -> list[tuple[float, float, float]]:
    """(x, y, radius in mm on paper) of every hotspot mark ``hotspots`` draws."""
    out = []
    for colour in ("orange", "red"):
        reach = style.HOTSPOT[colour]["halo"] * style.PRINT_SCALE * PT
        out += [(pt.x, pt.y, reach) for pt, c, kept in zip(points, view.colours, view.kept,
                                                          strict=True)
                if kept and c == colour]
    return out


def label_spot(x: float, y: float, w: float, h: float,
               marks: list[tuple[float, float, float]], per_mm: float) -> tuple[float, float]:
    """Where a label ``w`` by ``h`` (map units) centred near (x, y) covers no hotspot mark:
    the point itself, else the nearest of a few places above, below and beside it. Labels
    give way to red and orange grids; when nowhere is clear the label stays put (the marks
    are drawn above it)."""
    def clear(cx: float, cy: float) -> bool:
        return all(abs(mx - cx) > w / 2 + r * per_mm or abs(my - cy) > h / 2 + r * per_mm
                   for mx, my, r in marks)
    for dx, dy in ((0, 0), (0, 1.1), (0, -1.1), (0, 2.2), (0, -2.2), (0.75, 0), (-0.75, 0),
                   (0, 3.3), (0, -3.3)):
        cx, cy = x + dx * w, y + dy * h
        if clear(cx, cy):
            return cx, cy
    return x, y


def hotspots(ax, points: gpd.GeoSeries, view: MapView, palette: dict[str, str]) -> None:
    """The marks at red and orange grids the filter keeps, as on screen (``style.HOTSPOT``):
    a halo ring and a dot with a white rim, above every other symbol and label, red on top."""
    for colour in ("orange", "red"):
        at = [k for k, (c, kept) in enumerate(zip(view.colours, view.kept, strict=True))
              if kept and c == colour]
        if not at:
            continue
        size, pts = style.HOTSPOT[colour], points.iloc[at]
        halo = size["halo"] * style.PRINT_SCALE
        ax.scatter(pts.x, pts.y, s=(2 * halo) ** 2, facecolors="none",
                   edgecolors=palette[colour], alpha=style.HOTSPOT_HALO_OPACITY,
                   linewidths=size["haloWidth"] * style.PRINT_SCALE, zorder=7.6)
        dot = size["radius"] * style.PRINT_SCALE
        ax.scatter(pts.x, pts.y, s=(2 * dot) ** 2, c=palette[colour],
                   edgecolors=style.HOTSPOT_RIM, linewidths=0.8, zorder=7.7)


def _dms(value: float, positive: str, negative: str) -> str:
    hemi = positive if value >= 0 else negative
    value = abs(value)
    deg = int(value + 1e-9)
    minutes = round((value - deg) * 60)
    if minutes == 60:
        deg, minutes = deg + 1, 0
    return f"{deg}°{minutes:02d}′{hemi}"


def graticule_ticks(ax, extent, fs: float, crs: str = METRIC_CRS) -> None:
    """Longitude ticks on the bottom edge and latitude ticks on the left, where the
    meridians and parallels cross the frame (``extent`` in ``crs``)."""
    xmin, xmax, ymin, ymax = extent
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    fwd = _to_metric(crs)
    lon_w, lat_s = back.transform(xmin, ymin)
    lon_e, lat_n = back.transform(xmax, ymax)
    span = max(lon_e - lon_w, lat_n - lat_s)
    step = next(s for s in (1 / 60, 2 / 60, 5 / 60, 10 / 60, 0.25, 0.5, 1.0) if span / s <= 7)
    _, lat_bottom = back.transform((xmin + xmax) / 2, ymin)
    lon_left, _ = back.transform(xmin, (ymin + ymax) / 2)
    lons = np.arange(math.ceil(lon_w / step) * step, lon_e, step)
    lats = np.arange(math.ceil(lat_s / step) * step, lat_n, step)
    xs = [fwd.transform(lon, lat_bottom)[0] for lon in lons]
    ys = [fwd.transform(lon_left, lat)[1] for lat in lats]
    keep_x = [(x, lon) for x, lon in zip(xs, lons, strict=True) if xmin < x < xmax]
    keep_y = [(y, lat) for y, lat in zip(ys, lats, strict=True) if ymin < y < ymax]
    ax.set_xticks([x for x, _ in keep_x], [_dms(v, "E", "W") for _, v in keep_x])
    ax.set_yticks([y for y, _ in keep_y], [_dms(v, "N", "S") for _, v in keep_y])
    ax.tick_params(direction="in", length=3, width=0.6, labelsize=5.8 * fs, colors=GREY,
                   top=True, right=True, pad=1.5)
    for label in ax.get_yticklabels():
        label.set_rotation(90)
        label.set_va("center")


def scale_bar(ax, extent, lang: str, fs: float) -> None:
    """A metric scale bar with alternating segments in the map's lower-left corner."""
    xmin, xmax, ymin, ymax = extent
    width = xmax - xmin
    target = width * 0.22
    nice = [v * 1000 for v in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100)]
    length = max([v for v in nice if v <= target] or [nice[0]])
    segments = 4 if length / 1000 in (2, 10, 20, 100) else 5 if length / 1000 in (5, 25, 50) \
        else 2
    x0 = xmin + width * 0.035
    y0 = ymin + (ymax - ymin) * 0.045
    bar_h = (ymax - ymin) * 0.009
    pad_x, pad_y = width * 0.012, (ymax - ymin) * 0.012
    ax.add_patch(FancyBboxPatch((x0 - pad_x, y0 - pad_y * 2.3), length + pad_x * 4.2,
                                bar_h + pad_y * 5.2, boxstyle="round,pad=0,rounding_size=150",
                                facecolor="white", edgecolor="#b0bec5", linewidth=0.5,
                                alpha=0.92, zorder=8))
    seg = length / segments
    for i in range(segments):
        ax.add_patch(Rectangle((x0 + i * seg, y0), seg, bar_h, zorder=9, linewidth=0.5,
                               edgecolor=INK, facecolor=INK if i % 2 == 0 else "white"))
    km = length / 1000
    for i in (0, segments // 2 if segments % 2 == 0 else None, segments):
        if i is None:
            continue
        value = km * i / segments
        label = f"{value:g}"
        ax.text(x0 + i * seg, y0 + bar_h + pad_y * 0.6, label, ha="center", va="bottom",
                fontsize=6 * fs, color=INK, zorder=9)
    ax.text(x0 + length + pad_x * 0.8, y0 + bar_h / 2, t("export.km", lang), ha="left",
            va="center", fontsize=6.2 * fs, color=INK, zorder=9)


def north_arrow(page: Page, map_box, extent, lang: str, crs: str = METRIC_CRS) -> None:
    """A north arrow in the map's upper-right corner, turned to true north (the metric
    grid's north differs from true north by the meridian convergence)."""
    xmin, xmax, ymin, ymax = extent
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = back.transform((xmin + xmax) / 2, (ymin + ymax) / 2)
    x0, y0 = _to_metric(crs).transform(lon, lat)
    x1, y1 = _to_metric(crs).transform(lon, lat + 0.05)
    angle = math.degrees(math.atan2(x1 - x0, y1 - y0))  # clockwise from the frame's up
    bx, by, bw, bh = map_box
    size = 13 * page.k
    ax = page.axes(bx + bw - size - 3 * page.k, by + bh - size - 3 * page.k, size, size)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    rot = Affine2D().rotate_deg(-angle) + ax.transData
    ax.add_patch(Polygon([(0, 0.55), (-0.32, -0.65), (0, -0.38)], closed=True,
                         facecolor=INK, edgecolor=INK, linewidth=0.6, transform=rot))
    ax.add_patch(Polygon([(0, 0.55), (0.32, -0.65), (0, -0.38)], closed=True,
                         facecolor="white", edgecolor=INK, linewidth=0.6, transform=rot))
    ax.text(0, 0.62, t("export.north", lang), ha="center", va="bottom",
            fontsize=8.5 * page.fs, fontweight="bold", color=INK, transform=rot,
            path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


PROVINCES = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"), "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"), "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"), "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"), "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"), "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"), "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
}
"""Provinces by the first two digits of a division code (GB/T 2260)."""


def province_of(region: Region) -> tuple[str, str]:
    """The county's province (Chinese, English): the county layer's ``province_zh`` and
    ``province_en`` when it has them, else from its division code; empty when unknown."""
    row = region.county.iloc[0]
    given = str(row.get("province_zh", "") or ""), str(row.get("province_en", "") or "")
    if given[0]:
        return given[0], given[1] or given[0]
    return PROVINCES.get(str(row.get("code", ""))[:2], ("", ""))


def locator(page: Page, region: Region, extent, is_view: bool, lang: str, rect) -> None:
    """The county among its neighbours, with the map's extent.

    Counties are named as counties (each neighbour by its own name, the county itself in
    white on its red fill) and provinces as provinces: the fill tells the province, and a key
    under the inset names each fill ("Provinces: ■ Zhejiang ■ Anhui …"), so no province name
    sits on a county as if it were that county's name.
    """
    layers = projected(region)
    x, y, w, h = rect
    k = page.k
    page.text(x, y + h + 1.2 * k, t("export.locator", lang), 7.5, fontweight="bold",
              va="bottom")
    key_h = 4.6 * k
    ax_h = h - key_h
    ax = page.axes(x, y + key_h, w, ax_h)
    neighbours = layers["neighbours"]
    home_zh, home_en = province_of(region)
    county = layers["county"].assign(province_zh=home_zh, province_en=home_en)
    everything = pd.concat([neighbours, county[neighbours.columns.intersection(county.columns)]])
    crs = region_crs(region)
    provinces = gpd.GeoDataFrame(everything, crs=crs).dissolve("province_zh")
    fills = {name: PROVINCE_FILL.get(name, style.NEIGHBOUR_FILL) for name in provinces.index}
    for name, row in provinces.iterrows():
        gpd.GeoSeries([row.geometry], crs=crs).plot(ax=ax, facecolor=fills[name],
                                                    edgecolor="none")
    if len(neighbours):
        neighbours.boundary.plot(ax=ax, color="#b0bec5", linewidth=0.35)
    provinces.boundary.plot(ax=ax, color="#78909c", linewidth=0.9, linestyle=(0, (5, 2, 1, 2)))
    layers["county"].plot(ax=ax, facecolor="#c62828", edgecolor="#7f0000", linewidth=0.6,
                          alpha=0.85)
    if is_view:
        xmin, xmax, ymin, ymax = extent
        ax.add_patch(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, fill=False,
                               edgecolor="#d50000", linewidth=0.9))
    bx0, by0, bx1, by1 = provinces.total_bounds
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    half = max(bx1 - bx0, (by1 - by0) * w / ax_h) / 2 * 1.02
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half * ax_h / w, cy + half * ax_h / w)
    mm_per_m = w / (2 * half)
    halo = [patheffects.withStroke(linewidth=1.4, foreground="white")]
    for _, row in neighbours.iterrows():  # each neighbour by its own (county) name
        x0, _, x1, _ = row.geometry.bounds
        text, size = _place_name(page, str(row[f"name_{lang}"]), (x1 - x0) * mm_per_m * 0.9)
        p = row.geometry.representative_point()
        ax.text(p.x, p.y, text, fontsize=size * page.fs, color="#37474f", ha="center",
                va="center", linespacing=1.1, path_effects=halo, clip_on=True)
    home = layers["county"].union_all()
    x0, _, x1, _ = home.bounds
    text, size = _place_name(page, county_name(region, lang), (x1 - x0) * mm_per_m * 0.9,
                             bold=True)
    p = home.representative_point()
    ax.text(p.x, p.y, text, fontsize=size * page.fs, color="white", fontweight="bold",
            ha="center", va="center", linespacing=1.1, clip_on=True)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color(GREY)
    province_key(page, provinces, fills, lang, (x, y, w, key_h))


def _place_name(page: Page, name: str, width: float, bold: bool = False,
                size: float = 5.2) -> tuple[str, float]:
    """A place name set to fit ``width`` mm: on one line, else broken at its last space
    ("Chun'an / County"), else smaller (not below 4 pt)."""
    if page.measure(name, size, bold) <= width:
        return name, size
    if " " in name.strip():
        head, _, tail = name.strip().rpartition(" ")
        name = f"{head}\n{tail}"
    wide = page.measure(name, size, bold)
    return name, size if wide <= width else max(4.0, size * width / wide)


def province_key(page: Page, provinces: gpd.GeoDataFrame, fills: dict[str, str], lang: str,
                 rect) -> None:
    """Under the locator: "Provinces:" and a swatch of each province's fill with its name."""
    x, y, w, h = rect
    k = page.k
    names = [(str(row["province_en"]) if lang == "en" else str(name), fills[name])
             for name, row in provinces.iterrows()
             if (row["province_en"] if lang == "en" else name)]
    if not names:
        return
    head = t("export.locator.provinces", lang)
    size = 6.0
    box = 2.2 * k

    def width_at(pt: float) -> float:
        return (page.measure(head, pt, True) + sum(page.measure(n, pt) + box + 3 * k
                                                   for n, _ in names) + 1.5 * k)
    if width_at(size) > w:
        size = max(4.2, size * w / width_at(size))
    cy = y + h / 2 - 0.3 * k
    page.text(x, cy, head, size, fontweight="bold", color=GREY, va="center")
    cx = x + page.measure(head, size, True) + 1.5 * k
    for name, fill in names:
        page.rect(cx, cy - box / 2, box, box, facecolor=fill, edgecolor="#78909c",
                  linewidth=0.6, linestyle=(0, (2, 1)))
        page.text(cx + box + 0.8 * k, cy, name, size, color="#37474f", va="center")
        cx += box + 3 * k + page.measure(name, size)


def legend(page: Page, view: MapView, palette: dict[str, str], lang: str,
           rect) -> dict[str, tuple[float, float, float, float]]:
    """The legend box: grid colours (with their print patterns) and their counts, then the
    other symbols. Returns where each risk colour's swatch is (mm: x, y, w, h)."""
    x, y, w, h = rect
    k = page.k
    page.fig.add_artist(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={k}",
                                       transform=page.mm, facecolor="white",
                                       edgecolor="#90a4ae", linewidth=0.6))
    counts = view.counts
    rows: list[tuple] = [("title", t("export.legend", lang)),
                         ("section", t("map.legend.title", lang))]
    for colour in COLOURS:
        rows.append(("fill", palette[colour], t(f"colour.{colour}", lang),
                     counts[colour], colour))
    if view.unmarked:
        rows.append(("fill", style.UNMARKED, t("colour.none", lang), view.unmarked, None))
    if view.outside:
        rows.append(("fill", style.MUTED_FILL, t("map.legend.filtered_out", lang),
                     view.outside, None))
    rows.append(("section", t("map.legend.levels", lang)))
    for level in CONTROL_LEVELS:
        rows.append(("line", level, t(f"level.{level}", lang)))
    rows.append(("county", t("map.layer.county", lang)))
    rows.append(("checkpoint", t("map.legend.checkpoint", lang)))
    kinds = list(view.checkpoint_alerts.values())
    rows += [("cp_alert", kind, t(f"checkpoint.alert.{kind}", lang), kinds.count(kind))
             for kind in style.CHECKPOINT_ALERT if kind in kinds]
    rows.append(("quarantine", t("map.legend.quarantine", lang)))
    step = min(4.6 * k, (h - 4 * k) / len(rows))
    cy = y + h - 2.2 * k - step / 2
    sx = x + 3.5 * k
    sw, sh = 6 * k, step * 0.62
    tx = sx + sw + 2.5 * k
    label_w = x + w - 3.5 * k - tx
    swatches: dict[str, tuple[float, float, float, float]] = {}

    def label(text: str, reserve: float = 0.0) -> None:  # measured: never past the box
        fitted_text, size = page.fit(text, label_w - reserve, 7, 5.5)
        page.text(tx, cy, fitted_text, size, va="center")

    for row in rows:
        kind = row[0]
        if kind == "title":
            page.text(sx, cy, row[1], 8.2, fontweight="bold", va="center")
        elif kind == "section":
            page.text(sx, cy - step * 0.05, row[1], 6.8, color=GREY, fontweight="bold",
                      va="center")
        elif kind == "fill":
            swatch(page, sx, cy - sh / 2, sw, sh, row[1], row[4])
            if row[4]:
                swatches[row[4]] = (sx, cy - sh / 2, sw, sh)
            count = f"{row[3]:,}"
            label(row[2], page.measure(count, 7, True) + 2 * k)
            page.text(x + w - 3.5 * k, cy, count, 7, va="center", ha="right",
                      fontweight="bold")
        elif kind == "line":
            level = row[1]
            page.line(sx, sx + sw, cy, cy, color=style.LEVEL_STROKE[level],
                      linewidth=style.LEVEL_WIDTH[level] * style.PRINT_SCALE * 1.2,
                      linestyle=(0, (4, 2.5)) if level == 3 else "-")
            label(row[2])
        elif kind == "county":
            page.line(sx, sx + sw, cy, cy, color="#111111", linewidth=1.8)
            label(row[1])
        elif kind == "checkpoint":
            for i, r in enumerate((0.7, 1.2)):
                page.fig.add_artist(Circle((sx + (1.2 + i * 3.2) * k, cy), r * k,
                                               transform=page.mm, facecolor=style.CHECKPOINT_FILL,
                                               edgecolor="white", linewidth=0.4))
            label(row[1])
        elif kind == "cp_alert":
            look = style.CHECKPOINT_ALERT[row[1]]
            page.fig.add_artist(Circle((sx + sw / 2, cy), 1.3 * k, transform=page.mm,
                                       facecolor=look["fillColor"], edgecolor=look["color"],
                                       linewidth=0.8,
                                       linestyle="--" if look["dashArray"] else "-"))
            label(row[2], page.measure(f"{row[3]:,}", 7, True) + 2 * k)
            page.text(x + w - 3.5 * k, cy, f"{row[3]:,}", 7, va="center", ha="right",
                      fontweight="bold")
        elif kind == "quarantine":
            side = sh * 1.05
            page.rect(sx + sw / 2 - side / 2, cy - side / 2, side, side,
                      facecolor=style.QUARANTINE_FILL,
                      edgecolor="white", linewidth=0.4)
            page.text(sx + sw / 2, cy, t("export.quarantine_mark", lang), 4.8, color="white",
                      ha="center", va="center")
            label(row[1])
        cy -= step
    return swatches


def describe_filters(filters: Filters, region: Region, lang: str, is_view: bool = False) -> str:
    """The subtitle: the active filters in words (townships listed up to five)."""
    sep = "、" if lang == "zh" else ", "
    parts = []
    if filters.levels:
        parts.append(t("export.filters.levels", lang,
                       values=sep.join(t(f"level.{v}", lang) for v in filters.levels)))
    if filters.townships:
        names = region.names("townships", lang)
        shown = [names.get(c, c) for c in filters.townships[:5]]
        more = len(filters.townships) - len(shown)
        text = sep.join(shown) + (f" {t('export.filters.more', lang, n=len(filters.townships))}"
                                  if more else "")
        parts.append(t("export.filters.townships", lang, values=text))
    if filters.colours:
        parts.append(t("export.filters.colours", lang,
                       values=sep.join(t(f"colour.{c}", lang) for c in filters.colours)))
    if not parts:
        parts.append(t("export.filters.all", lang))
    if is_view:
        parts.append(t("export.filters.view", lang))
    return " · ".join(parts)


# --- the whole page --------------------------------------------------------------------------

@dataclass
class MapPage:
    """A drawn map page: the figure, its map axes and the map's extent (metric CRS)."""

    page: Page
    ax: object
    extent: tuple[float, float, float, float]
    view: MapView
    swatches: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """Risk colour → its legend swatch on the page (mm: x, y, w, h from the lower left)."""
    map_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """Where the map frame is on the page (mm: x, y, w, h)."""


def default_title(lang: str, region: Region) -> str:
    """A map's title when the request gives none: the region's own name in it."""
    return t("export.default_title", lang, county=county_name(region, lang))


def app_title(lang: str, region: Region) -> str:
    """The application's title for ``region`` (footers, source notes)."""
    return t("app.title", lang, county=county_name(region, lang))


def footer_left(stamp: Stamp, lang: str) -> str:
    return (f"{t('export.export_id', lang, id=stamp.export_id)}  ·  "
            f"{t('app.version', lang, version=stamp.data_version)}")


def generated_text(stamp: Stamp, lang: str) -> str:
    return t("export.generated_at", lang, time=stamp.generated.strftime("%Y-%m-%d %H:%M"))


def map_page(snap: Snapshot, request: ExportRequest, palette: dict[str, str],
             stamp: Stamp, page_label: str = "", checks: Health | None = None) -> MapPage:
    """Lay out one map page for ``request`` (the figure is not saved); checkpoint alerts
    under the thresholds ``checks`` at the instant the export was made."""
    with print_style(stamp.export_id):
        return _map_page(snap, request, palette, stamp, page_label, checks or Health())


def print_instant(stamp: Stamp, day) -> datetime:
    """The instant an export shows ``day`` at: its generation time (the county's local time)
    while the day ran, the day's end once over; the same for every replay of the export."""
    return instant_for(day, stamp.generated.replace(tzinfo=None))


def _map_page(snap: Snapshot, request: ExportRequest, palette: dict[str, str],
              stamp: Stamp, page_label: str, checks: Health) -> MapPage:
    # Text takes its font when created: everything is drawn inside ``print_style``.
    lang = request.lang
    page = Page(request.paper, request.orientation)
    k = page.k
    bx, by, bw, bh = page.body
    gap = 5 * k
    if page.landscape:
        panel_w = 66 * k
        map_box = (bx, by, bw - panel_w - gap, bh)
        px = bx + bw - panel_w
        loc_h = 50 * k
        loc_rect = (px, by + bh - loc_h - 4 * k, panel_w, loc_h)
        notes_h = 34 * k
        legend_rect = (px, by + notes_h + gap * 0.6, panel_w,
                       loc_rect[1] - by - notes_h - gap * 1.8)
        notes_rect = (px, by, panel_w, notes_h)
    else:
        panel_h = 72 * k
        map_box = (bx, by + panel_h + gap, bw, bh - panel_h - gap)
        col = (bw - 2 * gap) / 3
        loc_rect = (bx, by, col, panel_h - 5 * k)
        legend_rect = (bx + col + gap, by, col, panel_h)
        notes_rect = (bx + 2 * (col + gap), by, col, panel_h)
    aspect = map_box[2] / map_box[3]
    region = snap.region
    extent = map_extent(region, request.bbox, aspect)
    view = map_view(snap, request.filters, print_instant(stamp, request.as_of), checks)
    title = request.title or default_title(lang, region)
    pages = page_label or t("export.page", lang, page=1, pages=1)
    empty = no_history(snap)
    page.frame(title, describe_filters(request.filters, region, lang, request.bbox is not None),
               as_of_text(snap, request.as_of, lang), generated_text(stamp, lang),
               footer_left(stamp, lang), f"{app_title(lang, region)}  ·  {pages}",
               issue_text(request, lang))
    ax = page.axes(*map_box)
    draw_map(ax, region, view, palette, extent, lang, page.fs)
    if empty:
        no_data_stamp(page, map_box, region, lang)
    elif not view.kept.any():
        no_match_stamp(page, map_box, lang)
    graticule_ticks(ax, extent, page.fs, region_crs(region))
    scale_bar(ax, extent, lang, page.fs)
    north_arrow(page, map_box, extent, lang, region_crs(region))
    locator(page, region, extent, request.bbox is not None, lang, loc_rect)
    swatches = legend(page, view, palette, lang, legend_rect)
    notes(page, stamp, lang, notes_rect, view.outside > 0, region)
    return MapPage(page=page, ax=ax, extent=extent, view=view, swatches=swatches,
                   map_box=map_box)


def issue_text(request: ExportRequest, lang: str) -> str:
    """The issuing unit and the issue number ("第 12 期" / "Issue No. 12") of a briefing,
    as its header prints them; empty when neither was given."""
    parts = []
    if request.unit:
        parts.append(request.unit)
    if request.issue is not None:
        parts.append(t("export.issue_no", lang, n=request.issue))
    return "  ·  ".join(parts)


def no_match_stamp(page: Page, box, lang: str) -> None:
    """A selection that keeps no grid: "No grids match" written across ``box`` (mm), so the
    page never looks like a finished map of nothing."""
    x, y, w, h = box
    k = page.k
    page.text(x + w / 2, y + h / 2 + 6 * k, t("export.no_match", lang), 24, fontweight="bold",
              color="#b71c1c", ha="center", va="center", zorder=10,
              bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "alpha": 0.92,
                    "edgecolor": "#b71c1c"})
    page.text(x + w / 2, y + h / 2 - 10 * k,
              wrap(t("export.no_match_note", lang), w * 0.7, 9 * page.fs), 9, color=INK,
              ha="center", va="center", zorder=10,
              bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "alpha": 0.9,
                    "edgecolor": "none"})


def as_of_text(snap: Snapshot, day, lang: str) -> str:
    """The header's "data as of <day>", or "no data yet" for an empty region (no day)."""
    if no_history(snap):
        return t("nodata.as_of", lang)
    return t("app.as_of", lang, day=day.isoformat())


def no_data_stamp(page: Page, box, region: Region, lang: str) -> None:
    """An empty region's page: "no data yet" written large across ``box`` (mm: x, y, w, h),
    so that the file never looks like a finished picture of the day."""
    x, y, w, h = box
    k = page.k
    note = t("nodata.export_note", lang, county=county_name(region, lang))
    page.text(x + w / 2, y + h / 2 + 6 * k, t("nodata.title", lang), 26, fontweight="bold",
              color="#b71c1c", ha="center", va="center", zorder=10,
              bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "alpha": 0.9,
                    "edgecolor": "#b71c1c"})
    page.text(x + w / 2, y + h / 2 - 10 * k, wrap(note, w * 0.8, 9 * page.fs), 9,
              color=INK, ha="center", va="center", zorder=10,
              bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "alpha": 0.9,
                    "edgecolor": "none"})


def crs_note(region: Region, lang: str) -> str:
    """The projection the map is drawn in: the UTM zone of the region's centre."""
    epsg = region_epsg(region)
    zone, hemi = zone_of(epsg)
    return t("export.crs", lang, zone=zone, hemi=t(f"export.hemi.{hemi}", lang), epsg=epsg)


def notes(page: Page, stamp: Stamp, lang: str, rect, muted: bool, region: Region) -> None:
    """Source, projection and (for the demo region) the synthetic-boundaries warning."""
    x, y, w, h = rect
    k = page.k
    lines = [t("export.source", lang, app=app_title(lang, region)), crs_note(region, lang)]
    if muted:
        lines.append(t("export.muted_note", lang))
    if stamp.synthetic:
        lines.append(t("app.demo_note", lang))
    size = 6.2
    text = "\n".join(wrap(line, w - 2 * k, size * page.fs) for line in lines)
    page.text(x, y + h, text, size, color=GREY, va="top", linespacing=1.45)


def render_map(snap: Snapshot, request: ExportRequest, palette: dict[str, str],
               stamp: Stamp, checks: Health | None = None) -> bytes:
    """The map for ``request`` as PNG (300 dpi), PDF or SVG bytes.

    Parameters
    ----------
    snap : Snapshot
        The data and the geography, read together.
    request : ExportRequest
        ``request.kind`` is ``"png"``, ``"pdf"`` or ``"svg"``.
    palette : dict
        Colour name to hex, as on screen.
    stamp : Stamp
        The export's ID, data version and generation time, printed in the footer and written
        into the file's metadata.
    checks : Health, optional
        The checkpoint-alert thresholds (the settings'); default: the defaults.
    """
    drawn = map_page(snap, request, palette, stamp, checks=checks)
    title = request.title or default_title(request.lang, snap.region)
    subject = describe_filters(request.filters, snap.region, request.lang,
                               request.bbox is not None)
    return drawn.page.save(request.kind, stamp, title, subject)
