"""Map styles: each filter or data change sends styles and numbers, never geometry."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from dash import Dash, Input, Output, State, dcc, html, no_update

from callbacks import bind, fired_props, shown_key
from callbacks.filters import Where, context_for, url_search
from gridwatch import navigation, rings
from gridwatch.auth.policy import Principal, allows
from gridwatch.empty import no_history
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.mapview import screen_view
from gridwatch.service import DataSource
from gridwatch.timeutil import instant_in
from layouts.ids import ID
from layouts.map import RING_SHADES, Shading, hideouts, legend_children


def update_map(source: DataSource, filters: dict, version: str | None, detail: dict | None,
               lang: str, who: Principal, tick: int | None = None,
               triggered: Collection[str] | None = None, shade: str | None = None,
               done: str | None = None) -> dict:
    """Filters, data or the chosen grid change → the layers' hideouts, legend and as-of label;
    the clock alone ticks (while the day runs) → the checkpoints' alert states, the hotspot
    layer's overdue-lead marks and the legend only (alerts open and close, leads run past
    their limits, with time). Overdue-lead marks only for a role that may see records.
    ``shade``: one of the grid rings (``gridwatch.rings.GRID_RINGS``) shades the grids by its
    count on the day instead of the risk colour (anything else: the risk colour).
    ``done``: what the map shows (``callbacks.shown_key`` of all that, with the records up to
    the day, ``Snapshot.stamp``): a new version whose change reached only later days sends
    nothing. ``triggered``: as ``callbacks.fired_props``."""
    chosen = Filters.from_dict(filters)
    snap = source.snapshot()
    records = allows(who, "records")  # which grid a lead is in: a record
    chosen_grid = (detail or {}).get("code")
    chosen_grid = chosen_grid if isinstance(chosen_grid, str) else None
    shade = shade if shade in rings.GRID_RINGS else None

    def answer() -> dict:
        view = screen_view(snap, chosen, source.settings)
        palette = source.settings.palette
        styles = hideouts(view, lang, palette, chosen_grid, records=records)
        shading = None
        if shade is not None:
            threshold = source.settings.suppress_below
            shading = Shading(shade, rings.grid_shades(snap, shade, chosen.as_of,
                                                       view.status.index, threshold),
                              rings.bin_edges(threshold))
            styles["grids"]["r"], styles["grids"]["rp"] = shading.shades, list(RING_SHADES)
        return {"grids": styles["grids"], "townships": styles["townships"],
                "labels": styles["labels"], "checkpoints": styles["checkpoints"],
                "hotspots": styles["hotspots"],
                "legend": legend_children(view, palette, lang, False, records, shading),
                "as_of": t("nodata.as_of", lang) if no_history(snap)
                else t("app.as_of", lang, day=chosen.as_of.isoformat())}

    key = shown_key(chosen.to_dict(), chosen_grid, lang, records, shade,
                    snap.stamp(chosen.as_of))
    ticked = TICKED in fired_props(triggered)
    if key == done and not ticked:
        return dict.fromkeys((*OUTPUTS, "done"), no_update)
    # a day that is over looks the same to every caller: built once per snapshot
    instant = instant_in(chosen.as_of, source.settings.timezone)
    found = snap.memo_at(("map_answer", chosen, chosen_grid, lang, records, shade), instant,
                         answer)
    if ticked and key == done:  # the clock alone moved
        return {**dict.fromkeys((*OUTPUTS, "done"), no_update),
                **{k: found[k] for k in ("checkpoints", "hotspots", "legend")}}
    return {**found, "done": key}


def search_places(source: DataSource, text: str | None, filters: dict | None,
                  lang: str) -> dict:
    """Text typed into the map's search → the townships, villages and grids it finds
    (``gridwatch.navigation.search``), each a link to the view standing at it under the
    current filters (its township chosen; its village, and the grid open): a picked result
    is a shareable URL like any other view."""
    text = text if isinstance(text, str) else ""
    snap = source.snapshot()
    found = navigation.search(snap.region, text, lang)
    if not text.strip():
        return {"results": []}
    if not found:
        return {"results": html.P(t("nav.search_none", lang, text=text[:64]),
                                  className="gw-muted gw-search-none")}
    chosen = Filters.from_dict(filters)
    chosen = chosen.with_day(chosen.as_of or snap.last_day)
    context = context_for(snap, lang)
    links = []
    for place in found:
        up = {p.kind: p.code for p in navigation.parents(snap.region, place.kind, place.code,
                                                         "zh")}
        town = place.code if place.kind == "township" else up["township"]
        where = Where(place.code if place.kind == "village" else up.get("village"),
                      place.code if place.kind == "grid" else None)
        href = "/" + url_search(replace(chosen, townships=(town,)), context, place=where)
        links.append(html.Li(dcc.Link(
            [html.Span(t(f"nav.kind.{place.kind}", lang), className="gw-search-kind"),
             place.label], href=href, className="gw-search-result")))
    return {"results": html.Ul(links, className="gw-search-list",
                               **{"aria-label": t("nav.search_results", lang)})}


TICKED = f"{ID.LEAD_CLOCK}.n_intervals"
OUTPUTS = ("grids", "townships", "labels", "checkpoints", "hotspots", "legend", "as_of")


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, update_map,
         output={"grids": Output(ID.GRIDS, "hideout"),
                 "townships": Output(ID.TOWNSHIPS, "hideout"),
                 "labels": Output(ID.TOWNSHIP_LABELS, "hideout"),
                 "checkpoints": Output(ID.CHECKPOINTS, "hideout"),
                 "hotspots": Output(ID.HOTSPOTS, "hideout"),
                 "legend": Output(ID.LEGEND, "children"),
                 "as_of": Output(ID.AS_OF_LABEL, "children"),
                 "done": Output(ID.MAP_DONE, "data")},
         inputs={"filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "detail": Input(ID.DETAIL_GRID, "data"),
                 "tick": Input(ID.LEAD_CLOCK, "n_intervals"),
                 "shade": Input(ID.MAP_SHADE, "value"), "lang": State(ID.LANG, "data"),
                 "done": State(ID.MAP_DONE, "data")})
    bind(app, source, search_places,
         output={"results": Output(ID.MAP_SEARCH_RESULTS, "children")},
         inputs={"text": Input(ID.MAP_SEARCH, "value"), "filters": State(ID.FILTERS, "data"),
                 "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
