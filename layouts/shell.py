"""The page shell: the URL, the language and the page container the router fills."""

from dash import dcc, html

from layouts.ids import ID


def layout() -> html.Div:
    return html.Div([
        dcc.Location(id=ID.URL, refresh=False),
        dcc.Store(id=ID.LANG),
        dcc.Store(id=ID.PAGE_TITLE),  # the region's own name in it (callbacks/router.py)
        dcc.Store(id=ID.PAGE_TITLE_SHOWN),
        html.Div(id=ID.PAGE),
    ])


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
