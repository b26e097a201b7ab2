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
from gridwatch.auth.policy import Principal
from gridwatch.filters import FilterProblem, Filters, ordered, parse_query
from gridwatch.i18n import t
from gridwatch.metrics import township_levels
from gridwatch.service import DataSource
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts import analyst
from layouts.ids import ID


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


def url_search(filters: Filters, context: FilterContext, lang: str | None = None) -> str:
    """The query for ``filters``: the latest day is left out so the link follows the data.

    The page's own language is kept when it is not Chinese (the default); ``lang`` forces one.
    """
    kept = filters if filters.as_of != context.last_day else Filters(
        filters.levels, filters.townships, filters.colours, None)
    return kept.to_query(lang=lang or (None if context.lang == "zh" else context.lang))


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


def sync_filters(source: DataSource, search: str | None, levels: list | None,
                 townships: list | None, colours: list | None, day: str | None,
                 prev_day: int | None, next_day: int | None, latest_day: int | None,
                 reset: int | None, label_click: dict | None, bar_click: dict | None,
                 detail_filter: int | None, lang: str | None, detail_grid: dict | None,
                 who: Principal | None = None) -> dict:
    """The URL, a control, a day button or a township click → filters, URL and controls; a
    page opened without a township lands on the caller's own (``home_townships``)."""
    snap = source.snapshot()
    context = context_for(snap, lang or source.settings.default_language)
    trigger = ctx.triggered_id if ctx.triggered else None
    clicks = {ID.TOWNSHIP_LABELS: label_click, ID.TASK_CHART: bar_click,
              ID.DETAIL_FILTER: (detail_grid or {}).get("township_code")}
    filters, problems, from_url = sync(trigger, search, (levels, townships, colours, day),
                                       clicks, context, home_townships(who, snap.region))
    other = "en" if context.lang == "zh" else "zh"
    levels_on_day = township_levels(snap, filters.as_of).to_dict()
    return {"township_options": analyst.township_options(
                snap.region, context.lang, levels_on_day, filters.levels, filters.townships),
            "levels": list(filters.levels), "townships": list(filters.townships),
            "colours": list(filters.colours), "day": filters.as_of.isoformat(),
            "search": no_update if from_url else url_search(filters, context),
            "filters": filters.to_dict(),
            "problems": analyst.url_problems(problem_texts(problems, context), context.lang),
            "lang_href": "/" + url_search(filters, context, lang=other),
            "summary": summary(filters, context)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, sync_filters,
         output={"levels": Output(ID.LEVEL, "value"), "townships": Output(ID.TOWNSHIP, "value"),
                 "township_options": Output(ID.TOWNSHIP, "options"),
                 "colours": Output(ID.COLOUR, "value"), "day": Output(ID.DATE, "date"),
                 "search": Output(ID.PAGE_URL, "search"), "filters": Output(ID.FILTERS, "data"),
                 "problems": Output(ID.PROBLEMS, "children"),
                 "lang_href": Output(ID.LANG_LINK, "href"),
                 "summary": Output(ID.FILTER_SUMMARY, "children")},
         inputs={"search": Input(ID.PAGE_URL, "search"), "levels": Input(ID.LEVEL, "value"),
                 "townships": Input(ID.TOWNSHIP, "value"), "colours": Input(ID.COLOUR, "value"),
                 "day": Input(ID.DATE, "date"), "prev_day": Input(ID.PREV_DAY, "n_clicks"),
                 "next_day": Input(ID.NEXT_DAY, "n_clicks"),
                 "latest_day": Input(ID.LATEST_DAY, "n_clicks"),
                 "reset": Input(ID.RESET, "n_clicks"),
                 "label_click": Input(ID.TOWNSHIP_LABELS, "clickData"),
                 "bar_click": Input(ID.TASK_CHART, "clickData"),
                 "detail_filter": Input(ID.DETAIL_FILTER, "n_clicks"),
                 "lang": State(ID.LANG, "data"), "detail_grid": State(ID.DETAIL_GRID, "data")})
