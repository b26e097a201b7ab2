"""The export panel's links follow the view; the files come from ``web.exports``.

The pack's options (issuing unit, issue number, comparison day) are checked here with the
same rules as the server's (``gridwatch.export.options``): a value the server would refuse is
left out of the link and the panel says why. When the filters keep no grid the panel says so
before anything is downloaded. The kept daily briefings are listed under the links.
"""

from __future__ import annotations

from datetime import timedelta

from dash import Dash, Input, Output, State, html

from callbacks import bind
from gridwatch.empty import no_history
from gridwatch.export import kept
from gridwatch.export.options import (
    MAX_ISSUE,
    MAX_UNIT,
    ExportOptionError,
    parse_issue,
    parse_since,
    parse_unit,
)
from gridwatch.filters import Filters
from gridwatch.i18n import t
from gridwatch.metrics import kept_grids
from gridwatch.service import DataSource
from layouts.ids import ID
from web.exports import export_href


def _text(value) -> str | None:
    """An input's value as the text a URL would carry (a number input gives numbers)."""
    if value is None:
        return None
    if isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)[:200]


def export_links(source: DataSource, filters: dict | None, title: str | None, kind: str | None,
                 paper: str | None, orientation: str | None, extent: str | None,
                 bounds: list | None, unit=None, issue=None, since=None,
                 lang: str | None = None) -> dict:
    """Filters, export options or the map's view change → the two download links, the
    comparison days on offer, the panel's notes and the kept briefings."""
    lang = lang or source.settings.default_language
    snap = source.snapshot()
    chosen = Filters.from_dict(filters)
    day = chosen.as_of or snap.last_day
    notes: list[str] = []
    pack: dict[str, str] = {}
    try:
        unit_text = parse_unit(_text(unit))
        if unit_text:
            pack["unit"] = unit_text
    except ExportOptionError:
        notes.append(t("export.panel.bad_unit", lang, n=MAX_UNIT))
    try:
        number = parse_issue(_text(issue))
        if number is not None:
            pack["issue"] = str(number)
    except ExportOptionError:
        notes.append(t("export.panel.bad_issue", lang, n=MAX_ISSUE))
    options, placeholder = [], ""
    if day is not None and snap.first_day is not None:
        options = [{"label": d.isoformat(), "value": d.isoformat()}
                   for d in (day - timedelta(days=n)
                             for n in range(1, (day - snap.first_day).days + 1))]
        placeholder = t("export.since.default", lang, day=(day - timedelta(days=1)).isoformat())
        since_text = since if isinstance(since, str) else None
        try:
            chosen_since = parse_since(since_text, snap.first_day, day)
            if chosen_since is not None:
                pack["since"] = chosen_since.isoformat()
        except ExportOptionError:
            notes.append(t("export.panel.bad_since", lang))
        if not no_history(snap) and not kept_grids(snap, chosen.with_day(day)).any():
            notes.insert(0, t("export.panel.no_match", lang))
    options_ = (lang, title, paper, orientation, extent, bounds)
    return {"download": export_href(kind or "png", filters, *options_),
            "pack": export_href("pack", filters, *options_, pack=pack),
            "since_options": options, "since_placeholder": placeholder,
            "note": [html.Div(note) for note in notes],
            "kept": kept_list(source, lang)}


def kept_list(source: DataSource, lang: str) -> list:
    """The kept daily briefings, newest first, each a download link; and the schedule."""
    at = source.settings.daily_pack_at
    schedule = (t("export.kept.schedule", lang, at=at) if at else t("export.kept.off", lang))
    items = kept.listed(source.engine)
    links = [html.Li(html.A(t("export.kept.item", lang, day=k.day.isoformat(),
                              size=kept.size_text(k.size)),
                            href=f"/export/kept/{k.day.isoformat()}?lang={lang}", download="",
                            rel="nofollow")) for k in items]
    return [html.Strong(t("export.kept.title", lang)), " ",
            html.Small(schedule, className="gw-muted"),
            html.Ul(links, style={"margin": "4px 0 0", "paddingLeft": "18px",
                                  "maxHeight": "120px", "overflowY": "auto"}) if links
            else html.Div(html.Small(t("export.kept.none", lang), className="gw-muted"))]


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, export_links,
         output={"download": Output(ID.EXPORT_DOWNLOAD, "href"),
                 "pack": Output(ID.EXPORT_PACK, "href"),
                 "since_options": Output(ID.EXPORT_SINCE, "options"),
                 "since_placeholder": Output(ID.EXPORT_SINCE, "placeholder"),
                 "note": Output(ID.EXPORT_NOTE, "children"),
                 "kept": Output(ID.EXPORT_KEPT, "children")},
         inputs={"filters": Input(ID.FILTERS, "data"), "title": Input(ID.EXPORT_TITLE, "value"),
                 "kind": Input(ID.EXPORT_FORMAT, "value"),
                 "paper": Input(ID.EXPORT_PAPER, "value"),
                 "orientation": Input(ID.EXPORT_ORIENTATION, "value"),
                 "extent": Input(ID.EXPORT_EXTENT, "value"), "bounds": Input(ID.MAP, "bounds"),
                 "unit": Input(ID.EXPORT_UNIT, "value"),
                 "issue": Input(ID.EXPORT_ISSUE, "value"),
                 "since": Input(ID.EXPORT_SINCE, "value"),
                 "lang": State(ID.LANG, "data")})
