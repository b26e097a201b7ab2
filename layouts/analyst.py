"""The analyst view (``/``): filters, map, KPI tiles, charts, lead register, grid table and
grid detail."""

from __future__ import annotations

import json
from datetime import date

import dash_ag_grid as dag
from dash import dcc, html

from gridwatch.auth.policy import Principal, allows
from gridwatch.checkpoints import Health
from gridwatch.filters import Filters
from gridwatch.geo.layers import Region
from gridwatch.i18n import t
from gridwatch.ingest.scope import unlimited
from gridwatch.leads import Sla
from gridwatch.mapview import MapView
from gridwatch.navigation import Place, breadcrumb, grids_bounds
from gridwatch.rings import GRID_RINGS
from gridwatch.settings import Settings
from gridwatch.store.models import COLOURS, CONTROL_LEVELS
from layouts import alerts, command, inspection, leads, proxy, rings, tasks
from layouts.export import export_panel
from layouts.ids import ID
from layouts.map import county_map, hideouts, legend, village_hideout

TABLE_COLUMNS = ["code", "name", "village", "township", "level", "colour", "since",
                 "population", "households", "home_isolation", "arrivals_total", "open_tasks",
                 "overdue_tasks", "leads_total", "open_leads"]
PANEL_WATCH = {"kpis": ID.KPIS, "charts": ID.TASK_CHART, "tasks": ID.TASK_FUNNEL,
               "rings": ID.RINGS, "alerts": ID.CHECKPOINT_ALERTS, "proxy": ID.PROXY,
               "command": ID.DIRECTIVE_TABLE, "leads": ID.LEAD_TABLE,
               "inspection": ID.INSPECTION, "table": ID.GRID_TABLE}
"""The analyst page's panels, each filled only while it is on or near the screen, as Grafana
loads its panels: the browser watches the card of the element named here
(``assets/analyst.js``) and says which are in view; a filter change or a new version fills
those and leaves the others until they scroll into view (``callbacks/panels.py``)."""
PANELS_AT_FIRST = ("kpis", "charts")
"""The panels in view when the page opens at the top, until the browser says otherwise."""
NUMERIC_COLUMNS = {"level", "population", "households", "home_isolation", "arrivals_total",
                   "open_tasks", "overdue_tasks", "leads_total", "open_leads"}


def user_nav(lang: str, who: Principal) -> list:
    """Who is signed in, and the links their role opens: data, administration, account."""
    suffix = "?lang=en" if lang == "en" else ""
    links = []
    if allows(who, "write"):
        links.append(html.A(t("work.link", lang), href="/work" + suffix, className="gw-lang"))
        links.append(html.A(t("upload.link", lang), href="/data" + suffix, className="gw-lang"))
    if allows(who, "admin"):
        links.append(html.A(t("admin.link", lang), href="/admin" + suffix, className="gw-lang"))
    if who.kind == "user":
        links += [
            html.A(t("auth.who", lang, name=who.name, role=t(f"role.{who.role}", lang)),
                   href="/account" + suffix, className="gw-lang gw-user",
                   title=t("auth.account_title", lang)),
            html.A(t("auth.log_out", lang), href="/logout", className="gw-lang")]
    return links


def header(lang: str, lang_href: str, who: Principal) -> html.Header:
    return html.Header(className="gw-header", children=[
        html.Div(className="gw-brand", children=[
            html.H1(t("app.title", lang)),
            html.Span(t("app.analyst", lang), className="gw-subtitle"),
        ]),
        html.Div(id=ID.AS_OF_LABEL, className="gw-asof"),
        *user_nav(lang, who),
        html.A(t("app.switch_language", lang), id=ID.LANG_LINK, href=lang_href,
               className="gw-lang", lang="en" if lang == "zh" else "zh"),
    ])


def url_problems(texts: list[str], lang: str) -> list:
    """The banner listing what could not be used of the URL (empty when all was fine)."""
    if not texts:
        return []
    return [html.Strong(t("problem.intro", lang)), html.Ul([html.Li(x) for x in texts])]


def chip_options(values, label) -> list[dict]:
    return [{"label": label(v), "value": v} for v in values]


def township_options(region: Region, lang: str, levels: dict[str, int] | None = None,
                     chosen_levels=(), selected=()) -> list[dict]:
    """The township list: each township with its control level on the chosen day (``levels``),
    only those at a chosen level when the level filter is set (a selected township stays, so
    the choice is never lost silently)."""
    options = []
    for _, row in region.townships.sort_values("code").iterrows():
        code, level = row["code"], (levels or {}).get(row["code"])
        if chosen_levels and level not in chosen_levels and code not in selected:
            continue
        label = row[f"name_{lang}"]
        if level is not None:
            label = f"{label} · {t(f'level.{level}', lang)}"
        options.append({"label": label, "value": code})
    return options


def filter_panel(region: Region, lang: str, filters: Filters, first: date,
                 last: date, palette: dict[str, str]) -> html.Aside:
    colour_options = [
        {"label": html.Span([html.Span(className="gw-swatch", style={"background": palette[c]}),
                             t(f"colour.{c}", lang)]), "value": c}
        for c in COLOURS
    ]
    return html.Aside(className="gw-filters", children=[
        html.H2(t("filter.title", lang)),
        html.Label(t("filter.level", lang), htmlFor=ID.LEVEL),
        dcc.Checklist(id=ID.LEVEL, className="gw-chips", inline=True,
                      options=chip_options(CONTROL_LEVELS, lambda v: t(f"level.{v}", lang)),
                      value=list(filters.levels)),
        html.Label(t("filter.township", lang), htmlFor=ID.TOWNSHIP),
        dcc.Dropdown(id=ID.TOWNSHIP, multi=True, placeholder=t("filter.township_all", lang),
                     options=township_options(region, lang),
                     value=list(filters.townships)),
        html.Label(t("filter.colour", lang), htmlFor=ID.COLOUR),
        dcc.Checklist(id=ID.COLOUR, className="gw-chips", inline=True,
                      options=colour_options, value=list(filters.colours)),
        html.Small(t("filter.none_means_all", lang), className="gw-hint"),
        html.Label(t("filter.shade", lang), htmlFor=ID.MAP_SHADE),
        dcc.RadioItems(id=ID.MAP_SHADE, className="gw-chips gw-shade", inline=True,
                       value="risk", options=[{"label": t("filter.shade_risk", lang),
                                               "value": "risk"}] + [
                           {"label": t(f"rings.{r}", lang), "value": r} for r in GRID_RINGS]),
        html.Label(t("filter.date", lang), htmlFor=ID.DATE),
        html.Div(className="gw-date", children=[
            html.Button("◀", id=ID.PREV_DAY, title=t("filter.prev_day", lang),
                        className="gw-btn gw-btn-icon"),
            dcc.DatePickerSingle(id=ID.DATE, date=(filters.as_of or last).isoformat(),
                                 min_date_allowed=first.isoformat(),
                                 max_date_allowed=last.isoformat(),
                                 display_format="YYYY-MM-DD", first_day_of_week=1,
                                 placeholder=t("filter.date", lang),  # its aria-label too
                                 clearable=False),
            html.Button("▶", id=ID.NEXT_DAY, title=t("filter.next_day", lang),
                        className="gw-btn gw-btn-icon"),
            html.Button(t("filter.latest", lang), id=ID.LATEST_DAY, className="gw-btn"),
        ]),
        html.Button(t("filter.reset", lang), id=ID.RESET, className="gw-btn gw-btn-wide"),
        html.Div(id=ID.FILTER_SUMMARY, className="gw-filter-summary"),
    ])


CRUMBS = {"county": ID.CRUMB_COUNTY, "township": ID.CRUMB_TOWNSHIP,
          "village": ID.CRUMB_VILLAGE, "grid": ID.CRUMB_GRID}
"""The breadcrumb's buttons, top down (``gridwatch.navigation.breadcrumb``)."""


def crumb_props(crumbs: list[Place], lang: str) -> dict[str, dict]:
    """Each breadcrumb button's text, title, class and whether it shows, for the path
    ``crumbs``: every crumb but the last goes back up to its place; the last is where the
    view stands (said to a screen reader, ``is-current`` to the eye)."""
    found = {c.kind: c for c in crumbs}
    last = crumbs[-1].kind if crumbs else "county"
    out = {}
    for kind in CRUMBS:
        crumb = found.get(kind)
        label = crumb.label if crumb else ""
        current = kind == last
        out[kind] = {"children": [label, html.Span(t("nav.here", lang), className="gw-sr-only")]
                     if current else label, "hidden": crumb is None,
                     "title": t("nav.current", lang, place=label) if current
                     else t("nav.up_to", lang, place=label),
                     "className": "gw-crumb is-current" if current else "gw-crumb"}
    return out


def opening_bounds(region: Region, filters: Filters, view: MapView):
    """Where the map opens: on the grids the URL's filters keep (a shared link reopens the
    same view), or on the whole county (None) when it names no filter or they keep none."""
    if not (filters.levels or filters.townships or filters.colours):
        return None
    return grids_bounds(region, view.status.index[view.kept.to_numpy()])


def navigation_bar(region: Region, lang: str, filters: Filters) -> html.Div:
    """Above the map: the breadcrumb county › township › village › grid (a click goes back
    up), the search for a grid, village or township, and zoom to the selection."""
    props = crumb_props(breadcrumb(region, lang, filters.townships), lang)
    items = [html.Li(html.Button(id=CRUMBS[kind], type="button", n_clicks=0, **props[kind]),
                     className="gw-crumb-item")
             for kind in CRUMBS]
    return html.Div(className="gw-nav", children=[
        html.Nav(html.Ol(items, className="gw-crumbs"), className="gw-breadcrumb",
                 **{"aria-label": t("nav.breadcrumb", lang)}),
        html.Div(className="gw-search", role="search", children=[
            html.Label(t("nav.search", lang), htmlFor=ID.MAP_SEARCH, className="gw-sr-only"),
            dcc.Input(id=ID.MAP_SEARCH, type="search", value="", debounce=0.25,
                      autoComplete="off", placeholder=t("nav.search_placeholder", lang),
                      className="gw-search-box", maxLength=64),
            # each result is a link to the view standing at it: a shareable URL, reached by
            # Tab or the arrow keys (assets/analyst.js), opened by Enter
            html.Div(id=ID.MAP_SEARCH_RESULTS, className="gw-search-results",
                     **{"aria-live": "polite"}),
        ]),
        html.Button(t("nav.zoom", lang), id=ID.MAP_ZOOM, className="gw-btn gw-btn-small",
                    type="button", title=t("nav.zoom", lang)),
    ])


def chart_card(title_key: str, graph_id: str, csv_id: str, lang: str, extra=None,
               downloads: bool = True) -> html.Div:
    button = html.Button(t("chart.download", lang), id=csv_id, className="gw-btn gw-btn-small")
    return html.Div(className="gw-card gw-chart", children=[
        html.Div(className="gw-card-head", children=[
            html.H3(t(title_key, lang)),
            *([extra] if extra is not None else []),
            *([button] if downloads else []),
        ]),
        dcc.Graph(id=graph_id, config={"displaylogo": False, "displayModeBar": "hover"},
                  className="gw-graph", style={"height": "340px"}),
    ])


def grid_table(lang: str, downloads: bool = True) -> html.Div:
    column_defs = []
    for col in TABLE_COLUMNS:
        spec = {"field": col, "headerName": t(f"table.{col}", lang), "sortable": True,
                "filter": True, "resizable": True, "wrapHeaderText": True,
                "autoHeaderHeight": True}
        if col in {"name", "village", "code", "since", "township"}:
            spec["minWidth"] = 150
        if col in NUMERIC_COLUMNS:
            spec["type"] = "numericColumn"
            spec["filter"] = "agNumberColumnFilter"
            # Counts may hold a suppression label ("<5"): AG Grid would type the column from
            # its first row and show "Invalid Number" for the label.
            spec["cellDataType"] = False
            spec["comparator"] = {"function": "countOrder"}  # "<5" between 0 and 5
        if col == "colour":
            spec["cellStyle"] = {
                "function": "({borderLeft: '8px solid ' + params.data.colour_hex})"}
        column_defs.append(spec)
    return html.Div(className="gw-card gw-table", children=[
        html.Div(className="gw-card-head", children=[
            html.H3(t("table.title", lang)),
            html.Span(id=ID.GRID_TABLE_COUNT, className="gw-muted"),
            dcc.Store(id=ID.GRID_TABLE_DIGEST),
            *([html.Button(t("table.download", lang), id=ID.GRID_CSV,
                           className="gw-btn gw-btn-small")] if downloads else []),
        ]),
        dag.AgGrid(id=ID.GRID_TABLE, columnDefs=column_defs, rowData=[],
                   defaultColDef={"minWidth": 80, "flex": 1},
                   dashGridOptions={"animateRows": False, "rowHeight": 30},
                   getRowId="params.data.code",
                   csvExportParams={"fileName": "grids.csv"},
                   style={"height": "420px"}, className="ag-theme-alpine"),
    ])


def layout(region: Region, settings: Settings, lang: str, filters: Filters, first: date,
           last: date, lang_href: str, version: str, view: MapView,
           who: Principal) -> html.Div:
    """The whole analyst page, born with the filters it was opened with; downloads and
    exports only for roles that may export (the server checks again on every request)."""
    downloads = allows(who, "export")
    return html.Div(className="gw-analyst", lang=lang, children=[
        dcc.Location(id=ID.PAGE_URL, refresh=False),
        header(lang, lang_href, who),
        html.Div(id=ID.PROBLEMS, className="gw-problems", role="alert"),
        dcc.Store(id=ID.FILTERS, data=filters.with_day(filters.as_of or last).to_dict()),
        dcc.Store(id=ID.DETAIL_GRID),
        dcc.Store(id=ID.DETAIL_CONTEXT),
        dcc.Store(id=ID.VERSION, data=version),
        dcc.Store(id=ID.PANELS_IN_VIEW, data=list(PANELS_AT_FIRST)),
        dcc.Store(id=ID.PANELS_DONE, data={}),
        dcc.Store(id=ID.MAP_DONE),
        dcc.Store(id=ID.NAV, data={"village": None}),
        html.Div(id=ID.PANELS_WATCH, hidden=True, **{"data-panels": json.dumps(PANEL_WATCH)}),
        dcc.Interval(id=ID.VERSION_POLL, interval=2000),
        dcc.Download(id=ID.CHART_DOWNLOAD),
        html.Div(className="gw-body", children=[
            filter_panel(region, lang, filters, first, last, settings.palette),
            html.Main(className="gw-main", children=[
                html.Section(id=ID.KPIS, className="gw-kpis"),
                html.Div(className="gw-map-row", children=[
                    html.Div(className="gw-card gw-map-card", children=[
                        navigation_bar(region, lang, filters),
                        html.Div(className="gw-map-frame", children=[
                            county_map(region, settings, lang,
                                       hideouts(view, lang, settings.palette,
                                                records=allows(who, "records")),
                                       villages=village_hideout(lang, filters.townships),
                                       bounds=opening_bounds(region, filters, view)),
                            html.Div(id=ID.MAP_EMPTY, className="gw-map-empty", role="status",
                                     hidden=True),
                            legend(view, settings.palette, lang,
                                   records=allows(who, "records")),
                            html.Small(t("map.hint", lang), className="gw-map-hint"),
                        ]),
                    ]),
                    html.Aside(className="gw-card gw-detail", children=[
                        html.Div(className="gw-card-head", children=[
                            html.H3(t("detail.title", lang)),
                            html.Button(t("detail.filter_township", lang), id=ID.DETAIL_FILTER,
                                        className="gw-btn gw-btn-small", hidden=True),
                            html.Button("×", id=ID.DETAIL_CLOSE, title=t("detail.close", lang),
                                        className="gw-btn gw-btn-icon", hidden=True),
                        ]),
                        html.Div(id=ID.DETAIL, className="gw-detail-body",
                                 children=html.P(t("detail.empty", lang), className="gw-muted")),
                    ]),
                ]),
                html.Div(className="gw-charts", children=[
                    chart_card("chart.tasks.title", ID.TASK_CHART, ID.TASK_CSV, lang,
                               downloads=downloads),
                    chart_card("chart.checkpoints.title", ID.CHECKPOINT_CHART, ID.CHECKPOINT_CSV,
                               lang, extra=dcc.Dropdown(
                                   id=ID.CHECKPOINT_PICK, clearable=True,
                                   placeholder=t("chart.checkpoints.all", lang),
                                   options=[{"label": row[f"name_{lang}"], "value": row["code"]}
                                            for _, row in region.checkpoints.sort_values("code")
                                            .iterrows()],
                                   className="gw-inline-dropdown"), downloads=downloads),
                    chart_card("chart.colours.title", ID.COLOUR_CHART, ID.COLOUR_CSV, lang,
                               downloads=downloads),
                ]),
                tasks.card(lang, region, allows(who, "write"),  # layouts/tasks.py
                           allows(who, "write") and unlimited(who)),
                rings.card(lang),  # layouts/rings.py
                html.Div(className="gw-pair", children=[
                    alerts.card(lang, Health.of(settings)),  # layouts/alerts.py
                    proxy.card(lang),  # layouts/proxy.py
                ]),
                # layouts/command.py: orders and notices (issued here by a writer), the figures
                command.card(lang, allows(who, "write")),
                leads.card(lang, Sla.of(settings), allows(who, "records"),
                           allows(who, "write")),  # layouts/leads.py
                inspection.card(lang),  # layouts/inspection.py
                *([export_panel(lang)] if downloads else []),  # layouts/export.py
                grid_table(lang, downloads),
                html.Footer(className="gw-footer", children=[
                    html.Span(t("app.demo_note", lang)),
                    html.Span(f"v{version}", id=ID.FOOTER_VERSION),
                ]),
            ]),
        ]),
    ])
