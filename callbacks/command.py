"""The register of orders and notices and the article's figures, answered with the other
panels (``callbacks/panels.py``) up to the filters' day; one directive opened beside the
register (``gridwatch.directives``). Orders, notices and county totals are public: every role
that may view sees them."""

from __future__ import annotations

from datetime import datetime

from dash import Dash, Input, Output, State, html

from callbacks import bind, pick_and_search
from gridwatch import directives, timeutil
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import headline_figures
from gridwatch.service import DataSource
from layouts import command as panel
from layouts.ids import ID
from layouts.leads import moment_text


def command_panels(source: DataSource, filters: dict, lang: str,
                   now: datetime | None = None) -> dict:
    """The register's rows and count and the figures, at the filters' day's instant."""
    day = Filters.from_dict(filters).as_of
    snap = source.snapshot()
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    table = directives.register(snap, instant)
    kinds = table["kind"].value_counts()
    return {"directive_rows": panel.rows(table, day, lang),
            "directive_count": t("directives.count", lang, orders=int(kinds.get("order", 0)),
                                 notices=int(kinds.get("notice", 0)),
                                 at=moment_text(instant)),
            "figures": panel.figures(headline_figures(snap, instant), instant, lang)}


def show_directive(source: DataSource, chosen: dict | None, filters: dict,
                   version: str | None, lang: str, now: datetime | None = None) -> dict:
    """The opened directive (or, while one is open, the filters' day or the data change) →
    it with the special tasks and level changes of its day."""
    code = chosen.get("code") if isinstance(chosen, dict) else None
    if not isinstance(code, str) or len(code) > 32:
        return {"detail": [html.P(t("directives.pick", lang), className="gw-muted")]}
    day = Filters.from_dict(filters).as_of
    snap = source.snapshot()
    instant = timeutil.instant_in(day, source.settings.timezone, now)
    found = directives.context(snap, code, instant)
    return {"detail": panel.detail(found, instant, snap.region.names("townships", lang), lang)}


def register(app: Dash, source: DataSource) -> None:
    pick_and_search(app, ID.DIRECTIVE_TABLE, ID.DIRECTIVE_CHOSEN, ID.DIRECTIVE_SEARCH)
    bind(app, source, show_directive, output={"detail": Output(ID.DIRECTIVE_DETAIL, "children")},
         inputs={"chosen": Input(ID.DIRECTIVE_CHOSEN, "data"),
                 "filters": Input(ID.FILTERS, "data"), "version": Input(ID.VERSION, "data"),
                 "lang": State(ID.LANG, "data")}, prevent_initial_call=True)
