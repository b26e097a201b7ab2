"""The page shell: the URL, the language and the page container the router fills."""

from dash import dcc, html
from dash.dash import _default_index

from layouts.ids import ID


def layout() -> html.Div:
    return html.Div([
        dcc.Location(id=ID.URL, refresh=False),
        dcc.Store(id=ID.LANG),
        dcc.Store(id=ID.PAGE_TITLE),  # the region's own name in it (callbacks/router.py)
        dcc.Store(id=ID.PAGE_TITLE_SHOWN),
        dcc.Store(id=ID.PAGE_LANG_SHOWN),
        html.Div(id=ID.PAGE),
    ])


def html_lang(lang: str) -> str:
    """The ``<html lang>`` of a page in ``lang`` (a BCP 47 tag: screen readers pick their voice
    by it)."""
    return "en" if lang == "en" else "zh-CN"


def index_string(lang: str) -> str:
    """Dash's page template with ``<html lang>`` set to the default language; each page sets it
    to its own once rendered (``assets/title.js``)."""
    return _default_index.replace("<html>", f'<html lang="{html_lang(lang)}">', 1)


def validation_layout(pages: list) -> html.Div:
    """The shell with every page in it: what Dash checks callbacks against."""
    return html.Div([layout(), *pages])


def not_found(path: str, message: str, back: str) -> html.Div:
    return html.Div(className="gw-not-found", children=[
        html.H1(message.format(path=path)),
        html.A(back, href="/"),
    ])


def not_allowed(message: str, back: str) -> html.Div:
    """A page the caller's role does not open (the server refuses its data as well)."""
    return html.Div(className="gw-not-found", role="alert", children=[
        html.H1(message),
        html.A(back, href="/"),
    ])
