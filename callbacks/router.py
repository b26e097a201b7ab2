"""The router: renders the page for the URL's path, in the URL's language."""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import wall
from gridwatch.filters import parse_query
from gridwatch.i18n import normalise_language, t
from gridwatch.service import DataSource
from layouts import analyst, shell
from layouts.ids import ID
from layouts.map import map_styles


def render_page(source: DataSource, pathname: str | None, search: str | None):
    """The page for ``pathname`` and the language it speaks."""
    region = source.region()
    frames = source.frames()
    filters, _problems, lang = parse_query(search, region.townships["code"], frames.first_day,
                                           frames.last_day)
    lang = normalise_language(lang or source.settings.default_language)
    path = (pathname or "/").rstrip("/") or "/"
    if path == "/":
        other = "en" if lang == "zh" else "zh"
        filters = filters.with_day(filters.as_of or frames.last_day)
        styles = map_styles(frames, region, filters, lang, source.settings.palette)
        return analyst.layout(region, source.settings, lang, filters, frames.first_day,
                              frames.last_day, "/" + filters.to_query(lang=other),
                              source.version(), styles), lang
    if path == "/wall":
        return wall.render(source, search, lang), lang
    if path == "/data":
        from layouts import upload

        other = "en" if lang == "zh" else "zh"
        return upload.layout(lang, f"/data?lang={other}"), lang
    return shell.not_found(path, t("app.not_found", lang), t("app.back_home", lang)), lang


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output(ID.PAGE, "children"), Output(ID.LANG, "data"),
                  Input(ID.URL, "pathname"), State(ID.URL, "search"))
    def _render(pathname, search):
        page, lang = render_page(source, pathname, search)
        return page, lang
