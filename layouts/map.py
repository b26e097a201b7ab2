"""The county map: every layer is fetched once by URL and styled in the browser."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape as escape_html
from itertools import pairwise
from typing import NotRequired, TypedDict

import dash_leaflet as dl
import numpy as np
from dash import html

from gridwatch import checkpoints as health
from gridwatch import style
from gridwatch.basemap import BasemapError, open_basemap
from gridwatch.geo.layers import Region, encode_layer
from gridwatch.i18n import t
from gridwatch.mapview import MapView
from gridwatch.settings import Settings
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts.ids import ID


def fn(name: str) -> dict:
    """A reference to a JavaScript function in ``assets/map.js``."""
    return {"variable": f"gridwatch.{name}"}


def layer_url(region: Region, name: str) -> str:
    """The layer's URL carries its content hash, so the browser may cache it for good."""
    return f"/geo/{name}.{encode_layer(region, name).digest}.geojson"


def basemap_layers(settings: Settings) -> list[dl.TileLayer]:
    """The basemap: the local tile file served by the app itself (``web.tiles``), else the
    external ``tile_url``, else none (the map draws on its plain background)."""
    if settings.basemap_file is not None:
        try:
            info = open_basemap(settings.basemap_file).info
        except BasemapError:
            info = None  # the file went away after start-up: the map draws without it
        if info is not None:
            # Past the file's zooms Leaflet scales its nearest tiles instead of asking for
            # tiles the file does not have.
            return [dl.TileLayer(url=info.url_template,
                                 attribution=escape_html(info.attribution),
                                 minNativeZoom=info.minzoom, maxNativeZoom=info.maxzoom,
                                 className="gw-basemap")]
    if settings.tile_url:
        return [dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution,
                             className="gw-basemap")]
    return []


@dataclass(frozen=True)
class MapIds:
    """The component IDs of one map's layers (the analyst view and the wall each have one)."""

    map: str = ID.MAP
    neighbours: str = ID.NEIGHBOURS
    grids: str = ID.GRIDS
    townships: str = ID.TOWNSHIPS
    county: str = ID.COUNTY
    checkpoints: str = ID.CHECKPOINTS
    quarantine: str = ID.QUARANTINE
    labels: str = ID.TOWNSHIP_LABELS
    hotspots: str = ID.HOTSPOTS
    villages: str = ID.VILLAGES
    village_labels: str = ID.VILLAGE_LABELS


def county_map(region: Region, settings: Settings, lang: str, styles: Hideouts,
               ids: MapIds = MapIds(), interactive: bool = True,
               villages: VillageHideout | None = None,
               bounds: list[list[float]] | None = None) -> dl.MapContainer:
    """The map with its layers, born with the ``styles`` of the view it opens on.

    ``styles`` come from ``hideouts``. The first styles must come with the layout:
    dash-leaflet drops a ``hideout`` that changes while a layer's GeoJSON is still being
    fetched. An interactive map has the village layers too (``villages``: their first
    hideout, ``village_hideout``); ``bounds``: where it opens (else on the whole county).
    """
    attribution = t("app.demo_note", lang)
    village_layers = [] if not interactive else [
        dl.Overlay(dl.GeoJSON(id=ids.villages, url=layer_url(region, "villages"),
                              style=fn("villageStyle"), onEachFeature=fn("villageZoom"),
                              hideout=villages or village_hideout(lang),
                              interactive=False, pane="villages"),
                   name=t("map.layer.villages", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.village_labels, url=layer_url(region, "village_labels"),
                              pointToLayer=fn("villageLabel"),
                              hideout=villages or village_hideout(lang),
                              pane="villageLabels"),
                   name=t("map.layer.village_labels", lang), checked=True),
    ]
    overlays = [
        dl.Overlay(dl.GeoJSON(id=ids.neighbours, url=layer_url(region, "neighbours"),
                              style=fn("neighbourStyle"), onEachFeature=fn("neighbourLabel"),
                              hideout=NeighbourHideout(lang=lang, dark=not interactive),
                              interactive=False,
                              pane="neighbours"),
                   name=t("map.layer.neighbours", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.grids, url=layer_url(region, "grids"),
                              style=fn("gridStyle"), onEachFeature=fn("gridTooltip"),
                              hideout=styles["grids"],
                              pane="grids", attribution=attribution),
                   name=t("map.layer.grids", lang), checked=True),
        *village_layers,
        dl.Overlay(dl.GeoJSON(id=ids.townships, url=layer_url(region, "townships"),
                              style=fn("townshipStyle"), hideout=styles["townships"],
                              interactive=False,
                              pane="townships"),
                   name=t("map.layer.townships", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.county, url=layer_url(region, "county"),
                              style=fn("countyStyle"),
                              hideout=CountyHideout(dark=not interactive,
                                                    vscale=None if interactive else 1),
                              interactive=False, pane="county",
                              # The county's style never changes, so fitting the view to it
                              # happens once, when the page opens (unless it opens on a
                              # selection: then on that, ``bounds``).
                              zoomToBounds=bounds is None),
                   name=t("map.layer.county", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.checkpoints, url=layer_url(region, "checkpoints"),
                              pointToLayer=fn("checkpointMarker"),
                              hideout=styles["checkpoints"], pane="points"),
                   name=t("map.layer.checkpoints", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.quarantine, url=layer_url(region, "quarantine_sites"),
                              pointToLayer=fn("quarantineMarker"),
                              hideout=QuarantineHideout(
                                  lang=lang, mark=t("export.quarantine_mark", lang)),
                              pane="points"),
                   name=t("map.layer.quarantine", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.labels, url=layer_url(region, "township_labels"),
                              pointToLayer=fn("townshipLabel"), hideout=styles["labels"],
                              pane="labels"),
                   name=t("map.layer.labels", lang), checked=True),
        # Above everything else: a red or orange grid is never hidden by a symbol or label.
        dl.Overlay(dl.GeoJSON(id=ids.hotspots, url=layer_url(region, "grid_points"),
                              pointToLayer=fn("hotspotMarker"), hideout=styles["hotspots"],
                              interactive=False, pane="hotspots"),
                   name=t("map.layer.hotspots", lang), checked=True),
    ]
    basemap = [dl.BaseLayer(layer, name=t("map.layer.basemap", lang), checked=True)
               for layer in basemap_layers(settings)]
    panes = [dl.Pane(name=name, style={"zIndex": z}) for name, z in
             (("neighbours", 380), ("grids", 400), ("villages", 405), ("townships", 410),
              ("county", 420), ("points", 600), ("villageLabels", 640), ("labels", 650),
              ("hotspots", 690))]
    opens = bounds or region.bounds
    return dl.MapContainer(
        id=ids.map,
        bounds=opens,
        boundsOptions={"padding": [24, 24]} if bounds else None,
        # dash-leaflet compares the view with `center`/`zoom` on every move: give both.
        center=[(opens[0][0] + opens[1][0]) / 2, (opens[0][1] + opens[1][1]) / 2],
        zoom=10,
        preferCanvas=True,
        zoomSnap=0.25,
        minZoom=8,
        maxZoom=16,
        attributionControl=True,
        zoomControl=interactive,
        scrollWheelZoom=interactive,
        dragging=interactive,
        doubleClickZoom=interactive,
        keyboard=interactive,
        children=[
            *panes,
            dl.LayersControl([*basemap, *overlays], collapsed=True) if interactive
            else dl.LayerGroup([layer.children for layer in [*basemap, *overlays]]),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ],
        # With a basemap the filled layers let its roads and names show through (style.css).
        className="gw-map gw-with-basemap" if basemap else "gw-map",
        style={"background": "#f5f7f8"},
    )


# --- the hideouts: what each layer's style function reads (assets/map.js) ---------------------
# Map style constants are not sent: map.js reads them from assets/gridwatch-style.js.

class GridHighlight(TypedDict):
    """A grid the wall pulses (``assets/wall.js``): until when (ms), riskier (1) or safer."""

    until: int
    dir: int


class GridHideout(TypedDict):
    """The grids layer. ``c`` holds one character per grid in code order (feature property
    ``k``): '0'-'4' the colour index (red..green) of a grid the filter keeps, 'a'-'e' the same
    for a grid outside it, '-' never assessed and kept, '.' never assessed and outside.
    ``p`` patches ``c``: ``{k: character}`` entries
    win over ``c``, so a later update may send only the grids that changed."""

    lang: str
    c: str
    p: NotRequired[dict[str, str]]
    s: list[str]
    palette: dict[str, str]
    labels: dict[str, str]
    sel: str | None
    hl: NotRequired[dict[str, GridHighlight]]
    r: NotRequired[str]
    """Shading by one of the six rings instead of the risk colour: one character per grid
    ('0'-'4', ``gridwatch.rings.grid_shades``), drawn in ``rp``'s five fills."""
    rp: NotRequired[list[str]]


RING_SHADES = ["#f1f7f6", "#b2e2dc", "#66c2b5", "#2a9d8f", "#0b5d55"]
"""The fills of a ring's five shades (none, then ``gridwatch.rings.bin_edges``' ranges): one
sequential teal, apart from the level lines' purples and the hotspots' red and orange."""


@dataclass(frozen=True)
class Shading:
    """The map shaded by a ring: which, the grids it keeps per shade, the shades' edges."""

    ring: str
    shades: str
    edges: tuple[int, ...]

    def counts(self, kept) -> list[int]:
        chars = np.frombuffer(self.shades.encode("ascii"), dtype=np.uint8) - ord("0")
        return np.bincount(chars[np.asarray(kept)], minlength=len(RING_SHADES)).tolist()


class TownshipHideout(TypedDict):
    lang: str
    levels: dict[str, int]
    selected: list[str]
    vscale: NotRequired[float]
    dark: NotRequired[bool]
    focus: NotRequired[str | None]
    """The wall's focus view: the township it is about, drawn bright and thick."""


class LabelHideout(TypedDict):
    lang: str
    selected: list[str]


VILLAGE_MIN_ZOOM = 11.5
"""The village outlines and names show from this zoom on (a township fills the map there);
at county zoom 266 outlines would only blur the grids' colours."""


class VillageHideout(TypedDict):
    """The village layers: ``sel`` the village the view stands at (a bold outline), ``t`` the
    townships whose village names are shown (clicking one drills down to it), from zoom
    ``z`` on."""

    lang: str
    sel: str | None
    t: list[str]
    z: float


def village_hideout(lang: str, townships=(), village: str | None = None,
                    village_township: str | None = None) -> VillageHideout:
    """The village layers' hideout: names for the villages of the chosen townships (at most
    three, else none: that is the county, not a township), and of the chosen village's."""
    towns = list(townships) if len(townships) <= 3 else []
    if village_township and village_township not in towns:
        towns.append(village_township)
    return VillageHideout(lang=lang, sel=village, t=towns, z=VILLAGE_MIN_ZOOM)


class CheckpointHideout(TypedDict):
    """Per checkpoint code: ``v`` its vehicles and people on the day, ``a`` the kind of its most
    urgent open alert (``gridwatch.checkpoints``; checkpoints without one are left out)."""

    lang: str
    v: dict[str, list[int]]
    max: int
    a: dict[str, str]
    text: dict
    vscale: NotRequired[float]


class NeighbourHideout(TypedDict):
    """Neighbouring counties (fixed for a page): labels in ``lang``, dark on the wall."""

    lang: str
    dark: bool


class CountyHideout(TypedDict):
    """The county outline (fixed for a page)."""

    dark: bool
    vscale: float | None


class QuarantineHideout(TypedDict):
    lang: str
    mark: str  # the marker's one character: 隔 in Chinese, Q in English (as in print)


class HotspotHideout(TypedDict):
    """The hotspot marks: a halo and a dot at every red and orange grid the filter keeps, the
    same ``c`` string as the grids' (``GridHideout``), never its per-grid times; and a badge at
    every grid with open leads past a limit (``b``: grid code → how many; empty for a role
    that may not see which grid a lead is in, and on the wall); and one at every grid with
    task assignments past due (``o``: grid code → how many; not on the wall, whose marks are
    the red and orange grids')."""

    c: str
    p: NotRequired[dict[str, str]]
    palette: dict[str, str]
    b: dict[str, int]
    o: dict[str, int]
    vscale: NotRequired[float]


class Hideouts(TypedDict):
    grids: GridHideout
    townships: TownshipHideout
    labels: LabelHideout
    checkpoints: CheckpointHideout
    hotspots: HotspotHideout


WALL_SCALE = {"townships": 1.6, "checkpoints": 1.0, "hotspots": 1.5}
"""The wall grows township lines, checkpoint markers and hotspot marks with its screen
height."""


def grid_code_string(view: MapView) -> str:
    """The grids' ``c`` string (see ``GridHideout``) for ``view``."""
    ranks, kept = view.ranks, view.kept.to_numpy()
    chars = np.where(kept, ord("0") + ranks, ord("a") + ranks)
    chars = np.where(ranks < 0, np.where(kept, ord("-"), ord(".")), chars)
    return chars.astype(np.uint8).tobytes().decode("ascii")


def hideouts(view: MapView, lang: str, palette: dict[str, str], selected_grid: str | None = None,
             wall: bool = False,
             highlights: dict[str, GridHighlight] | None = None,
             records: bool = False) -> Hideouts:
    """Every layer's hideout for ``view``: styles and numbers, never geometry.

    ``wall`` scales lines and markers with the screen; ``highlights`` (grid ``k`` → ``until``
    and ``dir``) makes the wall pulse changed grids; ``records``: the caller may see which grid
    a lead is in (the overdue-lead marks are empty otherwise).
    """
    labels = {c: t(f"colour.{c}", lang) for c in COLOURS}
    labels["none"] = t("colour.none", lang)
    labels["since"] = t("map.tooltip.since", lang, since="{since}")
    grids = GridHideout(lang=lang, c=grid_code_string(view), s=view.since, palette=palette,
                        labels=labels, sel=selected_grid)
    townships = TownshipHideout(lang=lang, levels=view.levels,
                                selected=view.chosen_townships)
    checkpoints = CheckpointHideout(
        lang=lang, v={code: list(v) for code, v in view.checkpoint_volumes.items()},
        max=view.biggest_volume, a=dict(view.checkpoint_alerts),
        text={"vehicles": t("kpi.vehicles", lang), "people": t("kpi.people", lang),
              "capacity": t("checkpoint.capacity", lang, n="{n}"),
              "alerts": {k: t(f"checkpoint.alert.{k}", lang) for k in health.KINDS}})
    if highlights is not None:
        grids["hl"] = highlights
    hotspots = HotspotHideout(c=grids["c"], palette=palette,
                              b=dict(view.lead_breaches) if records else {},
                              o={} if wall else dict(view.task_overdue))
    if wall:
        townships["vscale"] = WALL_SCALE["townships"]
        townships["dark"] = True
        checkpoints["vscale"] = WALL_SCALE["checkpoints"]
        hotspots["vscale"] = WALL_SCALE["hotspots"]
    return Hideouts(grids=grids, townships=townships,
                    labels=LabelHideout(lang=lang, selected=view.chosen_townships),
                    checkpoints=checkpoints, hotspots=hotspots)


def legend(view: MapView, palette: dict[str, str], lang: str, legend_id: str = ID.LEGEND,
           class_name: str = "gw-legend", dark: bool = False, records: bool = False) -> html.Div:
    """The map legend with the count per colour (updated by the callbacks)."""
    return html.Div(legend_children(view, palette, lang, dark, records), id=legend_id,
                    className=class_name)


def shade_labels(edges: tuple[int, ...]) -> list[str]:
    """0, then each range of ``edges``: "1–4", "5–9", "10–19", "≥20"."""
    ranges = [f"{lo}–{hi - 1}" if hi - 1 > lo else str(lo) for lo, hi in pairwise(edges)]
    return ["0", *ranges, f"≥{edges[-1]}"]


def legend_children(view: MapView, palette: dict[str, str], lang: str,
                    dark: bool = False, records: bool = False,
                    shading: Shading | None = None) -> list:
    """The legend's rows: grids per colour (or per shade of the ring ``shading`` shows),
    grids outside the filter, the line and marker keys (``dark``: the wall's line colours;
    ``records``: with the overdue-lead marks)."""
    strokes = style.LEVEL_STROKE_DARK if dark else style.LEVEL_STROKE
    counts, outside = view.counts, view.outside
    if shading is None:
        rows = [html.Div(t("map.legend.title", lang), className="gw-legend-title")]
        for colour in COLOURS:
            rows.append(html.Div(className="gw-legend-row", **{"data-colour": colour},
                                 children=[
                html.Span(className="gw-swatch", style={"background": palette[colour]}),
                html.Span(t(f"colour.{colour}", lang)),
                html.B(str(counts[colour]), className="gw-legend-count"),
            ]))
    else:
        rows = [html.Div(t("map.legend.shade", lang, ring=t(f"rings.{shading.ring}", lang)),
                         className="gw-legend-title", **{"data-shade": shading.ring})]
        for fill, label, n in zip(RING_SHADES, shade_labels(shading.edges),
                                  shading.counts(view.kept.to_numpy()), strict=True):
            rows.append(html.Div(className="gw-legend-row", children=[
                html.Span(className="gw-swatch", style={"background": fill}),
                html.Span(label), html.B(str(n), className="gw-legend-count")]))
    if outside:
        rows.append(html.Div(className="gw-legend-row gw-legend-muted", children=[
            html.Span(className="gw-swatch gw-swatch-muted",
                      style={"background": style.MUTED_FILL,
                             "borderColor": style.MUTED_EDGE}),
            html.Span(t("map.legend.filtered_out", lang)), html.B(str(outside)),
        ]))
    rows.append(html.Div(t("map.legend.levels", lang), className="gw-legend-title"))
    for level in CONTROL_LEVELS:
        rows.append(html.Div(className="gw-legend-row", children=[
            html.Span(className=f"gw-line gw-line-{level}",
                      style={"borderTopColor": strokes[level],
                             "borderTopStyle": "dashed" if level in style.LEVEL_DASH
                             else "solid"}),
            html.Span(t(f"level.{level}", lang)),
        ]))
    rows.append(html.Div(className="gw-legend-row", children=[
        html.Span(className="gw-dot"), html.Span(t("map.legend.checkpoint", lang))]))
    alerted = list(view.checkpoint_alerts.values())
    for kind in health.KINDS:  # only the alert kinds open now, with how many checkpoints
        if kind in alerted:
            look = style.CHECKPOINT_ALERT[kind]
            rows.append(html.Div(className="gw-legend-row gw-legend-alert",
                                 **{"data-alert": kind}, children=[
                html.Span(className="gw-dot gw-dot-alert",
                          style={"background": look["fillColor"],
                                 "borderColor": look["color"],
                                 "borderStyle": "dashed" if look["dashArray"] else "solid"}),
                html.Span(t(f"checkpoint.alert.{kind}", lang)),
                html.B(str(alerted.count(kind)))]))
    if records and view.lead_breaches:
        rows.append(html.Div(className="gw-legend-row", **{"data-legend": "leads"}, children=[
            html.Span("!", className="gw-lead-key"), html.Span(t("map.legend.leads", lang)),
            html.B(str(sum(view.lead_breaches.values())))]))
    if view.task_overdue and not dark:
        rows.append(html.Div(className="gw-legend-row", **{"data-legend": "tasks"}, children=[
            html.Span("1", className="gw-task-key"), html.Span(t("map.legend.tasks", lang)),
            html.B(str(len(view.task_overdue)))]))
    rows.append(html.Div(className="gw-legend-row", children=[
        html.Span(t("export.quarantine_mark", lang), className="gw-quarantine-key"),
        html.Span(t("map.legend.quarantine", lang))]))
    return rows

