"""Filters: the URL, the controls and the filter store always agree.

One callback owns all three so that a copied link reopens the same view, the browser's back
button works, and a click on a township (map label, chart bar, grid detail) filters everything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks import bind
from gridwatch import navigation
from gridwatch.auth.policy import Principal
from gridwatch.filters import FilterProblem, Filters, ordered, parse_query
from gridwatch.i18n import t
from gridwatch.metrics import grid_status, kept_grids, township_levels
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts import analyst
from layouts.ids import ID
from layouts.map import village_hideout


@dataclass(frozen=True)
class FilterContext:
    """What the filter logic needs to know of the data: townships, names and the day range."""

    townships: tuple[str, ...]
    township_names: dict[str, str]
    first_day: date
    last_day: date
    lang: str


def context_for(snap: Snapshot, lang: str) -> FilterContext:
    """What the filters may choose from in ``snap``, worded in ``lang``."""
    towns = snap.region.townships.sort_values("code")
    return FilterContext(tuple(towns["code"]), snap.region.names("townships", lang),
                         snap.first_day, snap.last_day, lang)


def home_townships(who: Principal | None, region) -> tuple[str, ...]:
    """Where ``who`` works, when that is narrower than the county: an operator scoped to
    townships lands on them, one scoped to villages on those villages' townships; everyone
    else on the whole county (no townships)."""
    if who is None or who.role != "operator" or who.scope.kind == "county":
        return ()
    if who.scope.kind == "township":
        return tuple(sorted(who.scope.codes))
    grids = region.grid_table
    return tuple(sorted(set(grids.loc[grids["village_code"].isin(who.scope.codes),
                                      "township_code"].astype(str))))


def landed(filters: Filters, search: str | None, home: tuple[str, ...]) -> Filters:
    """``filters`` as a page opened with ``search`` shows them: a URL that names no township
    opens on ``home`` (``home_townships``); one that names any is taken as it is."""
    if not home or filters.townships or "township" in parse_qs((search or "").lstrip("?")):
        return filters
    return replace(filters, townships=home)


def township_from_click(click: dict | None) -> str | None:
    """The township code in a map label's or a chart bar's click data."""
    if not click:
        return None
    if "properties" in click:
        return click["properties"].get("code")
    points = click.get("points") or []
    return points[0].get("customdata") if points else None


def toggle_township(filters: Filters, code: str | None, context: FilterContext) -> Filters:
    """Filter to ``code``; clicking the township that is already the only one clears it."""
    if code not in context.townships:
        return filters
    towns = () if filters.townships == (code,) else (code,)
    return Filters(filters.levels, towns, filters.colours, filters.as_of)


def from_controls(levels, townships, colours, day, context: FilterContext) -> Filters:
    as_of = date.fromisoformat(day[:10]) if day else context.last_day
    as_of = min(max(as_of, context.first_day), context.last_day)
    return Filters(levels=ordered((int(v) for v in levels or ()), CONTROL_LEVELS),
                   townships=ordered(townships or (), context.townships),
                   colours=ordered(colours or (), COLOURS), as_of=as_of)


def shift_day(filters: Filters, days: int | None, context: FilterContext) -> Filters:
    """Move the as-of day (``None`` jumps to the latest), staying within the data."""
    day = context.last_day if days is None else filters.as_of + timedelta(days=days)
    day = min(max(day, context.first_day), context.last_day)
    return filters.with_day(day)


def url_search(filters: Filters, context: FilterContext, lang: str | None = None,
               place: Where | None = None) -> str:
    """The query for ``filters``: the latest day is left out so the link follows the data.

    The page's own language is kept when it is not Chinese (the default); ``lang`` forces one.
    ``place``: the village the view stands at and the grid open (``village=``, ``grid=``).
    """
    kept = filters if filters.as_of != context.last_day else Filters(
        filters.levels, filters.townships, filters.colours, None)
    extra = {k: v for k, v in (place or Where()).to_dict().items() if v}
    return kept.to_query(lang=lang or (None if context.lang == "zh" else context.lang),
                         extra=extra)


@dataclass(frozen=True)
class Where:
    """Where in the tree the view stands below the township filter: a village, an open
    grid (either may be None). The URL carries both (``village=``, ``grid=``)."""

    village: str | None = None
    grid: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"village": self.village, "grid": self.grid}


def place_from_query(search: str | None, region) -> tuple[Where, list[FilterProblem]]:
    """The village and grid a URL names (unknown codes dropped and reported)."""
    query = parse_qs((search or "").lstrip("?"))
    found, problems = {}, []
    for kind in ("village", "grid"):
        for value in [v.strip() for v in query.get(kind, [])[:1] if v.strip()]:
            if navigation.find(region, kind, value):
                found[kind] = value
            else:
                problems.append(FilterProblem(kind, value[:64], f"problem.{kind}"))
    return Where(found.get("village"), found.get("grid")), problems


def village_township(region, village: str | None) -> str | None:
    """The township a village lies in (None for no village)."""
    if not navigation.find(region, "village", village):
        return None
    return navigation.parents(region, "village", village, "zh")[0].code


def consistent(place: Where, filters: Filters, region) -> Where:
    """``place`` without a village outside the township filter (or with no township chosen:
    the view stands at the county then)."""
    town = village_township(region, place.village)
    if town is None or not filters.townships or town not in filters.townships:
        return Where(None, place.grid)
    return place


NAV_TRIGGERS = (ID.CRUMB_COUNTY, ID.CRUMB_TOWNSHIP, ID.CRUMB_VILLAGE, ID.CRUMB_GRID,
                ID.VILLAGE_LABELS, ID.MAP_ZOOM)
"""What moves the view in the tree (and the map to it), besides the filters themselves."""
SELECTION_TRIGGERS = (ID.LEVEL, ID.TOWNSHIP, ID.COLOUR, ID.TOWNSHIP_LABELS, ID.TASK_CHART,
                      ID.DETAIL_FILTER, ID.RESET)
"""Filter changes that change which grids are kept: the map zooms to them (a change of day
or of data recolours the map and leaves the view where it is)."""


def navigate(trigger: str, filters: Filters, place: Where, value, region,
             lang: str) -> tuple[Filters, Where]:
    """A breadcrumb click or a village name clicked → the filters and the place the view
    goes to. A crumb goes back up to it (the county clears the township filter); a village
    clicked again goes back up to its township. (A search result is a link: the URL.)"""
    if trigger in (ID.CRUMB_COUNTY, ID.CRUMB_TOWNSHIP, ID.CRUMB_VILLAGE):
        crumbs = navigation.breadcrumb(region, lang, filters.townships, place.village,
                                       place.grid)
        kind = {ID.CRUMB_COUNTY: "county", ID.CRUMB_TOWNSHIP: "township",
                ID.CRUMB_VILLAGE: "village"}[trigger]
        crumb = next((c for c in crumbs if c.kind == kind), None)
        if crumb is None:
            return filters, place
        if kind == "county":
            return replace(filters, townships=()), Where()
        if kind == "township":
            return replace(filters, townships=(crumb.code,)), Where()
        return replace(filters, townships=(village_township(region, crumb.code),)), \
            Where(crumb.code)
    if trigger == ID.VILLAGE_LABELS:
        code = ((value or {}).get("properties") or {}).get("code")
        if not navigation.find(region, "village", code):
            return filters, place
        if code == place.village:  # clicked again: back up to its township
            return filters, Where(None, place.grid)
        return replace(filters, townships=(village_township(region, code),)), Where(code)
    return filters, place


def selection_bounds(snap: Snapshot, filters: Filters, place: Where):
    """Where the map zooms to: the open grid, else the village, else the grids the filters
    keep (None when they keep none: the view stays), else the county."""
    region = snap.region
    if place.grid:
        return navigation.place_bounds(region, "grid", place.grid)
    if place.village:
        return navigation.place_bounds(region, "village", place.village)
    if filters.levels or filters.townships or filters.colours:
        kept = kept_grids(snap, filters)
        return navigation.grids_bounds(region, kept.index[kept.to_numpy()])
    return region.bounds


def viewport(bounds) -> dict:
    """The map's ``viewport`` flying to ``bounds`` (never past the zoom a grid fills)."""
    return {"bounds": bounds, "transition": "flyToBounds",
            "options": {"padding": [24, 24], "maxZoom": 16, "duration": 0.6}}


def problem_texts(problems: list[FilterProblem], context: FilterContext) -> list[str]:
    """What could not be used of the URL, one sentence per problem."""
    return [t(p.reason, context.lang, value=p.value, first=context.first_day,
              last=context.last_day) for p in problems]


def summary(filters: Filters, context: FilterContext) -> str:
    lang = context.lang
    parts = [" ".join(t(f"level.{lv}", lang) for lv in filters.levels)] if filters.levels else []
    if filters.townships:
        parts.append("、".join(context.township_names[c] for c in filters.townships))
    if filters.colours:
        parts.append("".join(t(f"colour.{c}", lang) for c in filters.colours) if lang == "zh"
                     else ", ".join(t(f"colour.{c}", lang) for c in filters.colours))
    if not parts:
        parts.append(t("filter.summary_all", lang))
    parts.append(filters.as_of.isoformat())
    return " · ".join(parts)


def sync(trigger: str | None, search: str | None, controls: tuple, clicks: dict,
         context: FilterContext, home: tuple[str, ...] = ()):
    """Work out the new filters from whatever changed (``home``: the townships a page opened
    without any lands on, ``landed``).

    Returns ``(filters, problems, from_url)``: when the URL changed (or the page just opened)
    the URL is the truth and is not rewritten (unless the page landed on ``home``, which the
    URL then says); otherwise the URL follows the new filters.
    """
    if trigger in (None, ID.PAGE_URL):
        filters, problems, _lang = parse_query(search, context.townships, context.first_day,
                                               context.last_day)
        shown = landed(filters, search, home)
        return shown.with_day(shown.as_of or context.last_day), problems, shown == filters
    current_filters = from_controls(*controls, context)
    if trigger == ID.RESET:
        return Filters(as_of=context.last_day), [], False
    if trigger in (ID.PREV_DAY, ID.NEXT_DAY, ID.LATEST_DAY):
        step = {ID.PREV_DAY: -1, ID.NEXT_DAY: 1, ID.LATEST_DAY: None}[trigger]
        return shift_day(current_filters, step, context), [], False
    if trigger in (ID.TOWNSHIP_LABELS, ID.TASK_CHART, ID.DETAIL_FILTER):
        code = clicks.get(trigger)
        if trigger != ID.DETAIL_FILTER:
            code = township_from_click(code)
        return toggle_township(current_filters, code, context), [], False
    return current_filters, [], False


def grid_code(detail: dict | None, region) -> str | None:
    code = detail.get("code") if isinstance(detail, dict) else None
    return code if navigation.find(region, "grid", code) else None


def sync_filters(source: DataSource, search: str | None, levels: list | None,
                 townships: list | None, colours: list | None, day: str | None,
                 prev_day: int | None, next_day: int | None, latest_day: int | None,
                 reset: int | None, label_click: dict | None, bar_click: dict | None,
                 detail_filter: int | None, lang: str | None, detail_grid: dict | None,
                 who: Principal | None = None, crumb_county: int | None = None,
                 crumb_township: int | None = None, crumb_village: int | None = None,
                 crumb_grid: int | None = None, village_click: dict | None = None,
                 zoom: int | None = None, nav: dict | None = None,
                 label_clicks: int | None = None, village_clicks: int | None = None) -> dict:
    """The URL (a search result is a link), a control, a day button, a township click, a
    breadcrumb or a village name → filters, the place in the tree (village, open grid), URL
    and controls, the breadcrumb, why nothing is kept, and the map's view when the selection
    changed (a new day only recolours: the view stays); a page opened without a township
    lands on the caller's own (``home_townships``)."""
    snap = source.snapshot()
    region = snap.region
    context = context_for(snap, lang or source.settings.default_language)
    trigger = ctx.triggered_id if ctx.triggered else None
    clicks = {ID.TOWNSHIP_LABELS: label_click, ID.TASK_CHART: bar_click,
              ID.DETAIL_FILTER: (detail_grid or {}).get("township_code")}
    open_grid = grid_code(detail_grid, region)
    village = (nav or {}).get("village")
    place = Where(village if navigation.find(region, "village", village) else None, open_grid)
    move = False
    if trigger in NAV_TRIGGERS:
        current = from_controls(levels, townships, colours, day, context)
        filters, place = navigate(trigger, current, place, village_click, region,
                                  context.lang)
        problems, from_url, move = [], False, True
        if trigger in (ID.CRUMB_COUNTY, ID.CRUMB_TOWNSHIP, ID.CRUMB_VILLAGE):
            place = Where(place.village, None)  # going up closes the grid
    else:
        filters, problems, from_url = sync(trigger, search, (levels, townships, colours, day),
                                           clicks, context, home_townships(who, region))
        if trigger in (None, ID.PAGE_URL):
            place, more = place_from_query(search, region)
            problems = [*problems, *more]
            move = trigger == ID.PAGE_URL or bool(place.village or place.grid)
        elif trigger == ID.RESET:
            place, move = Where(), True
        elif trigger in SELECTION_TRIGGERS:
            move = True
    place = consistent(place, filters, region)
    grid_out = no_update
    if place.grid != open_grid:
        grid_out = None if place.grid is None else {
            "code": place.grid, "township_code": navigation.parents(
                region, "grid", place.grid, "zh")[0].code}
    bounds = selection_bounds(snap, filters, place) if move else None
    crumbs = analyst.crumb_props(navigation.breadcrumb(
        region, context.lang, filters.townships, place.village, place.grid), context.lang)
    reason = navigation.why_empty(grid_status(snap, filters.as_of), filters,
                                  context.township_names, context.lang)
    villages = village_hideout(context.lang, filters.townships, place.village,
                               village_township(region, place.village))
    first = trigger is None and place.village is None  # the layout was born with these
    other = "en" if context.lang == "zh" else "zh"
    levels_on_day = township_levels(snap, filters.as_of).to_dict()
    return {"township_options": analyst.township_options(
                region, context.lang, levels_on_day, filters.levels, filters.townships),
            "levels": list(filters.levels), "townships": list(filters.townships),
            "colours": list(filters.colours), "day": filters.as_of.isoformat(),
            "search": no_update if from_url else url_search(filters, context, place=place),
            "filters": filters.to_dict(),
            "problems": analyst.url_problems(problem_texts(problems, context), context.lang),
            "lang_href": "/" + url_search(filters, context, lang=other, place=place),
            "summary": summary(filters, context),
            "nav": {"village": place.village}, "grid": grid_out,
            "viewport": viewport(bounds) if bounds else no_update,
            "search_text": "" if trigger == ID.PAGE_URL else no_update,
            "villages": no_update if first else villages,
            "village_labels": no_update if first else villages,
            "empty": reason or "", "empty_hidden": reason is None,
            **{f"crumb_{kind}": props["children"] for kind, props in crumbs.items()},
            **{f"crumb_{kind}_hidden": props["hidden"] for kind, props in crumbs.items()},
            **{f"crumb_{kind}_title": props["title"] for kind, props in crumbs.items()},
            **{f"crumb_{kind}_current": props["className"] for kind, props in crumbs.items()}}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, sync_filters,
         output={"levels": Output(ID.LEVEL, "value"), "townships": Output(ID.TOWNSHIP, "value"),
                 "township_options": Output(ID.TOWNSHIP, "options"),
                 "colours": Output(ID.COLOUR, "value"), "day": Output(ID.DATE, "date"),
                 "search": Output(ID.PAGE_URL, "search"), "filters": Output(ID.FILTERS, "data"),
                 "problems": Output(ID.PROBLEMS, "children"),
                 "lang_href": Output(ID.LANG_LINK, "href"),
                 "summary": Output(ID.FILTER_SUMMARY, "children"),
                 "nav": Output(ID.NAV, "data"),
                 "grid": Output(ID.DETAIL_GRID, "data", allow_duplicate=True),
                 "viewport": Output(ID.MAP, "viewport"),
                 "search_text": Output(ID.MAP_SEARCH, "value"),
                 "villages": Output(ID.VILLAGES, "hideout"),
                 "village_labels": Output(ID.VILLAGE_LABELS, "hideout"),
                 "empty": Output(ID.MAP_EMPTY, "children"),
                 "empty_hidden": Output(ID.MAP_EMPTY, "hidden"),
                 "crumb_county": Output(ID.CRUMB_COUNTY, "children"),
                 "crumb_county_hidden": Output(ID.CRUMB_COUNTY, "hidden"),
                 "crumb_county_title": Output(ID.CRUMB_COUNTY, "title"),
                 "crumb_county_current": Output(ID.CRUMB_COUNTY, "className"),
                 "crumb_township": Output(ID.CRUMB_TOWNSHIP, "children"),
                 "crumb_township_hidden": Output(ID.CRUMB_TOWNSHIP, "hidden"),
                 "crumb_township_title": Output(ID.CRUMB_TOWNSHIP, "title"),
                 "crumb_township_current": Output(ID.CRUMB_TOWNSHIP, "className"),
                 "crumb_village": Output(ID.CRUMB_VILLAGE, "children"),
                 "crumb_village_hidden": Output(ID.CRUMB_VILLAGE, "hidden"),
                 "crumb_village_title": Output(ID.CRUMB_VILLAGE, "title"),
                 "crumb_village_current": Output(ID.CRUMB_VILLAGE, "className"),
                 "crumb_grid": Output(ID.CRUMB_GRID, "children"),
                 "crumb_grid_hidden": Output(ID.CRUMB_GRID, "hidden"),
                 "crumb_grid_title": Output(ID.CRUMB_GRID, "title"),
                 "crumb_grid_current": Output(ID.CRUMB_GRID, "className")},
         inputs={"search": Input(ID.PAGE_URL, "search"), "levels": Input(ID.LEVEL, "value"),
                 "townships": Input(ID.TOWNSHIP, "value"), "colours": Input(ID.COLOUR, "value"),
                 "day": Input(ID.DATE, "date"), "prev_day": Input(ID.PREV_DAY, "n_clicks"),
                 "next_day": Input(ID.NEXT_DAY, "n_clicks"),
                 "latest_day": Input(ID.LATEST_DAY, "n_clicks"),
                 "reset": Input(ID.RESET, "n_clicks"),
                 "label_click": Input(ID.TOWNSHIP_LABELS, "clickData"),
                 "bar_click": Input(ID.TASK_CHART, "clickData"),
                 "detail_filter": Input(ID.DETAIL_FILTER, "n_clicks"),
                 "crumb_county": Input(ID.CRUMB_COUNTY, "n_clicks"),
                 "crumb_township": Input(ID.CRUMB_TOWNSHIP, "n_clicks"),
                 "crumb_village": Input(ID.CRUMB_VILLAGE, "n_clicks"),
                 "crumb_grid": Input(ID.CRUMB_GRID, "n_clicks"),
                 "village_click": Input(ID.VILLAGE_LABELS, "clickData"),
                 # a second click on the same label sends the same clickData, which Dash
                 # does not pass on: the click count tells it (a second click clears)
                 "label_clicks": Input(ID.TOWNSHIP_LABELS, "n_clicks"),
                 "village_clicks": Input(ID.VILLAGE_LABELS, "n_clicks"),
                 "zoom": Input(ID.MAP_ZOOM, "n_clicks"),
                 "detail_grid": Input(ID.DETAIL_GRID, "data"),
                 "lang": State(ID.LANG, "data"), "nav": State(ID.NAV, "data")},
         prevent_initial_call="initial_duplicate")
