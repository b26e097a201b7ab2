"""Filters: the URL, the controls and the filter store always agree.

One callback owns all three so that a copied link reopens the same view, the browser's back
button works, and a click on a township (map label, chart bar, grid detail) filters everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dash import Dash, Input, Output, State, ctx, html, no_update

from gridwatch.filters import FilterProblem, Filters, ordered, parse_query
from gridwatch.i18n import t
from gridwatch.service import DataSource
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts.ids import ID


@dataclass(frozen=True)
class FilterContext:
    """What the filter logic needs to know of the data: townships, names and the day range."""

    townships: tuple[str, ...]
    township_names: dict[str, str]
    first_day: date
    last_day: date
    lang: str


def context_for(source: DataSource, lang: str) -> FilterContext:
    region = source.region()
    frames = source.frames()
    towns = region.townships.sort_values("code")
    return FilterContext(tuple(towns["code"]), dict(zip(towns["code"], towns[f"name_{lang}"],
                                                        strict=True)),
                         frames.first_day, frames.last_day, lang)


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


def problem_messages(problems: list[FilterProblem], context: FilterContext) -> list:
    if not problems:
        return []
    lang = context.lang
    items = [html.Li(t(p.reason, lang, value=p.value, first=context.first_day,
                       last=context.last_day)) for p in problems]
    return [html.Strong(t("problem.intro", lang)), html.Ul(items)]


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
         context: FilterContext):
    """Work out the new filters from whatever changed.

    Returns ``(filters, problems, from_url)``: when the URL changed (or the page just opened)
    the URL is the truth and is not rewritten; otherwise the URL follows the new filters.
    """
    if trigger in (None, ID.PAGE_URL):
        filters, problems, _lang = parse_query(search, context.townships, context.first_day,
                                               context.last_day)
        return filters.with_day(filters.as_of or context.last_day), problems, True
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


def register(app: Dash, source: DataSource) -> None:
    @app.callback(
        Output(ID.LEVEL, "value"), Output(ID.TOWNSHIP, "value"), Output(ID.COLOUR, "value"),
        Output(ID.DATE, "date"), Output(ID.PAGE_URL, "search"), Output(ID.FILTERS, "data"),
        Output(ID.PROBLEMS, "children"), Output(ID.LANG_LINK, "href"),
        Output(ID.FILTER_SUMMARY, "children"),
        Input(ID.PAGE_URL, "search"), Input(ID.LEVEL, "value"), Input(ID.TOWNSHIP, "value"),
        Input(ID.COLOUR, "value"), Input(ID.DATE, "date"), Input(ID.PREV_DAY, "n_clicks"),
        Input(ID.NEXT_DAY, "n_clicks"), Input(ID.LATEST_DAY, "n_clicks"),
        Input(ID.RESET, "n_clicks"), Input(ID.TOWNSHIP_LABELS, "clickData"),
        Input(ID.TASK_CHART, "clickData"), Input(ID.DETAIL_FILTER, "n_clicks"),
        State(ID.LANG, "data"), State(ID.DETAIL_GRID, "data"),
    )
    def _sync(search, levels, townships, colours, day, _prev, _next, _latest, _reset,
              label_click, bar_click, _detail_filter, lang, detail_grid):
        context = context_for(source, lang or source.settings.default_language)
        trigger = ctx.triggered_id if ctx.triggered else None
        detail_township = (detail_grid or {}).get("township_code")
        clicks = {ID.TOWNSHIP_LABELS: label_click, ID.TASK_CHART: bar_click,
                  ID.DETAIL_FILTER: detail_township}
        filters, problems, from_url = sync(trigger, search, (levels, townships, colours, day),
                                           clicks, context)
        other = "en" if context.lang == "zh" else "zh"
        kept = url_search(filters, context)
        lang_href = "/" + url_search(filters, context, lang=other)
        return (list(filters.levels), list(filters.townships), list(filters.colours),
                filters.as_of.isoformat(), no_update if from_url else kept,
                filters.to_dict(), problem_messages(problems, context), lang_href,
                summary(filters, context))
