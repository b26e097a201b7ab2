"""The router: renders the page for the URL's path, in the URL's language, for the caller.

Each page asks its own right of the caller (``PAGE_REQUIRES``): a kiosk gets the wall
whatever it asks for; a role without the right gets a page saying so, not the page.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from callbacks import bind, wall
from callbacks.filters import home_townships, landed
from gridwatch.auth.policy import Principal, allows
from gridwatch.export import is_synthetic
from gridwatch.filters import parse_query
from gridwatch.i18n import county_name, county_of, normalise_language, t
from gridwatch.mapview import screen_view
from gridwatch.service import DataSource
from layouts import analyst, shell, upload, work
from layouts.ids import ID

PAGES = ("/", "/wall", "/data", "/work")
"""Every page the router renders."""
PAGE_REQUIRES = {"/": "view", "/wall": "wall", "/data": "write", "/work": "write"}


def render_page(source: DataSource, pathname: str | None, search: str | None,
                who: Principal):
    """The page for ``pathname`` as ``who`` may see it, and the language it speaks; every
    title on it names the region in force, and the synthetic-data note is on it only for the
    demo region (``county_of``)."""
    snap = source.snapshot()
    with county_of(snap.region, synthetic=is_synthetic(snap.region)):
        return _render(source, snap, pathname, search, who)


def _render(source: DataSource, snap, pathname: str | None, search: str | None,
            who: Principal):
    region = snap.region
    filters, _problems, lang = parse_query(search, region.townships["code"], snap.first_day,
                                           snap.last_day)
    lang = normalise_language(lang or source.settings.default_language)
    other = "en" if lang == "zh" else "zh"
    path = (pathname or "/").rstrip("/") or "/"
    if who.kind == "kiosk":
        path = "/wall"
    if path in PAGE_REQUIRES and not allows(who, PAGE_REQUIRES[path]):
        return shell.not_allowed(t("auth.not_allowed", lang), t("app.back_home", lang)), lang
    if path == "/":
        filters = landed(filters, search, home_townships(who, region))
        filters = filters.with_day(filters.as_of or snap.last_day)
        return analyst.layout(region, source.settings, lang, filters, snap.first_day,
                              snap.last_day, "/" + filters.to_query(lang=other), snap.version,
                              screen_view(snap, filters, source.settings), who), lang
    if path == "/wall":
        return wall.render(source, snap, search, lang), lang
    if path == "/data":
        return upload.layout(lang, f"/data?lang={other}"), lang
    if path == "/work":
        return work.layout(lang, f"/work?lang={other}"), lang
    return shell.not_found(path, t("app.not_found", lang), t("app.back_home", lang)), lang


def page_title(source: DataSource, pathname: str | None, lang: str, who: Principal) -> str:
    """The document title of a page: the wall's or the application's, with the region's own
    name in it."""
    region = source.snapshot().region
    wall_page = who.kind == "kiosk" or ((pathname or "/").rstrip("/") == "/wall")
    return t("wall.title" if wall_page else "app.title", lang,
             county=county_name(region, lang))


def route(source: DataSource, pathname: str | None, search: str | None,
          who: Principal) -> dict:
    """The URL's path changes → the page, its language and its document title."""
    page, lang = render_page(source, pathname, search, who)
    return {"page": page, "lang": lang, "title": page_title(source, pathname, lang, who)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, route,
         output={"page": Output(ID.PAGE, "children"), "lang": Output(ID.LANG, "data"),
                 "title": Output(ID.PAGE_TITLE, "data")},
         inputs={"pathname": Input(ID.URL, "pathname"), "search": State(ID.URL, "search")})
    app.clientside_callback(ClientsideFunction("gridwatchTitle", "set"),  # assets/title.js
                            Output(ID.PAGE_TITLE_SHOWN, "data"),
                            Input(ID.PAGE_TITLE, "data"))
    app.clientside_callback(ClientsideFunction("gridwatchTitle", "lang"),  # assets/title.js
                            Output(ID.PAGE_LANG_SHOWN, "data"),
                            Input(ID.LANG, "data"))
