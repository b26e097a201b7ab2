"""The county map: every layer is fetched once by URL and styled in the browser."""

from __future__ import annotations

from dataclasses import dataclass

import dash_leaflet as dl
import pandas as pd
from dash import html

from gridwatch.filters import Filters
from gridwatch.geo.layers import Region, encode_layer
from gridwatch.i18n import t
from gridwatch.metrics import (
    Frames,
    checkpoint_throughput_on,
    grid_status,
    select_grids,
    selected_townships,
    township_levels,
)
from gridwatch.settings import Settings
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts.ids import ID


def fn(name: str) -> dict:
    """A reference to a JavaScript function in ``assets/map.js``."""
    return {"variable": f"gridwatch.{name}"}


def layer_url(region: Region, name: str) -> str:
    """The layer's URL carries its content hash, so the browser may cache it for good."""
    return f"/geo/{name}.{encode_layer(region, name).digest}.geojson"


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


def county_map(region: Region, settings: Settings, lang: str, styles: dict,
               ids: MapIds = MapIds(), interactive: bool = True) -> dl.MapContainer:
    """The map with its layers, born with the ``styles`` of the view it opens on.

    The first styles must come with the layout: dash-leaflet drops a ``hideout`` that changes
    while a layer's GeoJSON is still being fetched.
    """
    attribution = t("app.demo_note", lang)
    base = {"lang": lang}
    overlays = [
        dl.Overlay(dl.GeoJSON(id=ids.neighbours, url=layer_url(region, "neighbours"),
                              style=fn("neighbourStyle"), onEachFeature=fn("neighbourLabel"),
                              hideout={**base, "dark": not interactive}, interactive=False,
                              pane="neighbours"),
                   name=t("map.layer.neighbours", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.grids, url=layer_url(region, "grids"),
                              style=fn("gridStyle"), onEachFeature=fn("gridTooltip"),
                              hideout=styles["grids"],
                              pane="grids", attribution=attribution),
                   name=t("map.layer.grids", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.townships, url=layer_url(region, "townships"),
                              style=fn("townshipStyle"), hideout=styles["townships"],
                              interactive=False,
                              pane="townships"),
                   name=t("map.layer.townships", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.county, url=layer_url(region, "county"),
                              style=fn("countyStyle"),
                              hideout={"dark": not interactive,
                                       "vscale": None if interactive else 1},
                              interactive=False, pane="county",
                              # The county's style never changes, so fitting the view to it
                              # happens once, when the page opens.
                              zoomToBounds=True),
                   name=t("map.layer.county", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.checkpoints, url=layer_url(region, "checkpoints"),
                              pointToLayer=fn("checkpointMarker"),
                              hideout=styles["checkpoints"], pane="points"),
                   name=t("map.layer.checkpoints", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.quarantine, url=layer_url(region, "quarantine_sites"),
                              pointToLayer=fn("quarantineMarker"), hideout=base, pane="points"),
                   name=t("map.layer.quarantine", lang), checked=True),
        dl.Overlay(dl.GeoJSON(id=ids.labels, url=layer_url(region, "township_labels"),
                              pointToLayer=fn("townshipLabel"), hideout=styles["labels"],
                              pane="labels"),
                   name=t("map.layer.labels", lang), checked=True),
    ]
    basemap = []
    if settings.tile_url:
        basemap = [dl.BaseLayer(dl.TileLayer(url=settings.tile_url,
                                             attribution=settings.tile_attribution),
                                name=t("map.layer.basemap", lang), checked=True)]
    panes = [dl.Pane(name=name, style={"zIndex": z}) for name, z in
             (("neighbours", 380), ("grids", 400), ("townships", 410), ("county", 420),
              ("points", 600), ("labels", 650))]
    return dl.MapContainer(
        id=ids.map,
        bounds=region.bounds,
        # dash-leaflet compares the view with `center`/`zoom` on every move: give both.
        center=[(region.bounds[0][0] + region.bounds[1][0]) / 2,
                (region.bounds[0][1] + region.bounds[1][1]) / 2],
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
        className="gw-map",
        style={"background": "#f5f7f8"},
    )


def legend(styles: dict, palette: dict[str, str], lang: str, legend_id: str = ID.LEGEND,
           class_name: str = "gw-legend") -> html.Div:
    """The map legend with the count per colour (updated by the callbacks)."""
    return html.Div(legend_children(styles["legend"], styles["outside"], palette, lang),
                    id=legend_id, className=class_name)


COLOUR_INDEX = {c: i for i, c in enumerate(COLOURS)}


def grid_code_string(status, keep) -> str:
    """One character per grid in code order: '0'-'4' in the filter, 'a'-'e' outside, '-' none."""
    chars = []
    for colour, inside in zip(status["colour"], keep, strict=True):
        if colour not in COLOUR_INDEX:
            chars.append("-")
        else:
            chars.append(chr((48 if inside else 97) + COLOUR_INDEX[colour]))
    return "".join(chars)


def map_styles(frames: Frames, region: Region, filters: Filters, lang: str,
               palette: dict[str, str], selected_grid: str | None = None) -> dict:
    """Everything the map's layers need for one view: hideouts and the legend's counts."""
    status = grid_status(frames, region, filters.as_of).sort_index()
    keep = select_grids(status, filters)
    levels = township_levels(frames, region, filters.as_of)
    towns = selected_townships(region, levels, filters)
    chosen_towns = list(filters.townships) if filters.townships else (
        towns if filters.levels else [])
    labels = {c: t(f"colour.{c}", lang) for c in COLOURS}
    labels["none"] = t("colour.none", lang)
    labels["since"] = t("map.tooltip.since", lang, since="{since}")
    since = ["" if pd.isna(s) else s.strftime("%m-%d %H:%M") for s in status["since"]]
    throughput = checkpoint_throughput_on(frames, region, filters.as_of)
    in_towns = region.checkpoints.set_index("code")["township_code"].isin(towns)
    v = {code: [int(row.vehicles), int(row.people)] for code, row in throughput.iterrows()
         if in_towns.get(code, False)}
    biggest = max((a + b for a, b in v.values()), default=1)
    counts = status[keep]["colour"].value_counts()
    return {
        "grids": {"lang": lang, "c": grid_code_string(status, keep), "s": since,
                  "palette": palette, "labels": labels, "sel": selected_grid},
        "townships": {"lang": lang, "levels": {k: int(lv) for k, lv in levels.items()},
                      "selected": chosen_towns},
        "labels": {"lang": lang, "selected": chosen_towns},
        "checkpoints": {"lang": lang, "v": v, "max": biggest,
                        "text": {"vehicles": t("kpi.vehicles", lang),
                                 "people": t("kpi.people", lang)}},
        "legend": {c: int(counts.get(c, 0)) for c in COLOURS},
        "outside": int((~keep).sum()),
    }


def legend_children(counts: dict[str, int], outside: int, palette: dict[str, str],
                    lang: str) -> list:
    rows = [html.Div(t("map.legend.title", lang), className="gw-legend-title")]
    for colour in COLOURS:
        rows.append(html.Div(className="gw-legend-row", **{"data-colour": colour}, children=[
            html.Span(className="gw-swatch", style={"background": palette[colour]}),
            html.Span(t(f"colour.{colour}", lang)),
            html.B(str(counts[colour]), className="gw-legend-count"),
        ]))
    if outside:
        rows.append(html.Div(className="gw-legend-row gw-legend-muted", children=[
            html.Span(className="gw-swatch gw-swatch-muted"),
            html.Span(t("map.legend.filtered_out", lang)), html.B(str(outside)),
        ]))
    rows.append(html.Div(t("map.legend.levels", lang), className="gw-legend-title"))
    for level in CONTROL_LEVELS:
        rows.append(html.Div(className="gw-legend-row", children=[
            html.Span(className=f"gw-line gw-line-{level}"),
            html.Span(t(f"level.{level}", lang)),
        ]))
    rows.append(html.Div(className="gw-legend-row", children=[
        html.Span(className="gw-dot"), html.Span(t("map.legend.checkpoint", lang))]))
    rows.append(html.Div(className="gw-legend-row", children=[
        html.Span("隔", className="gw-quarantine-key"),
        html.Span(t("map.legend.quarantine", lang))]))
    return rows

