"""The router: renders the page for the URL's path, in the URL's language."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind, wall
from gridwatch.filters import parse_query
from gridwatch.i18n import normalise_language, t
from gridwatch.mapview import map_view
from gridwatch.service import DataSource
from layouts import analyst, shell, upload
from layouts.ids import ID

PAGES = ("/", "/wall", "/data")
"""Every page the router renders."""


def render_page(source: DataSource, pathname: str | None, search: str | None):
    """The page for ``pathname`` and the language it speaks."""
    snap = source.snapshot()
    region = snap.region
    filters, _problems, lang = parse_query(search, region.townships["code"], snap.first_day,
                                           snap.last_day)
    lang = normalise_language(lang or source.settings.default_language)
    other = "en" if lang == "zh" else "zh"
    path = (pathname or "/").rstrip("/") or "/"
    if path == "/":
        filters = filters.with_day(filters.as_of or snap.last_day)
        return analyst.layout(region, source.settings, lang, filters, snap.first_day,
                              snap.last_day, "/" + filters.to_query(lang=other), snap.version,
                              map_view(snap, filters)), lang
    if path == "/wall":
        return wall.render(source, snap, search, lang), lang
    if path == "/data":
        return upload.layout(lang, f"/data?lang={other}"), lang
    return shell.not_found(path, t("app.not_found", lang), t("app.back_home", lang)), lang


def route(source: DataSource, pathname: str | None, search: str | None) -> dict:
    """The URL's path changes → the page and its language."""
    page, lang = render_page(source, pathname, search)
    return {"page": page, "lang": lang}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, route,
         output={"page": Output(ID.PAGE, "children"), "lang": Output(ID.LANG, "data")},
         inputs={"pathname": Input(ID.URL, "pathname"), "search": State(ID.URL, "search")})
