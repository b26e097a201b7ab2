"""The export panel of the analyst view: title, format, paper, extent, the briefing pack's
issuing unit, issue number and comparison day, the download links, a note when the filters
keep no grid, and the kept daily briefings.

The links are plain ``<a download>`` elements whose ``href`` follows the filters and the map
view (``callbacks.export``); the server renders the file, so a click is a normal download.
"""

from __future__ import annotations

from dash import dcc, html

from gridwatch.export.options import KINDS, MAX_ISSUE, MAX_UNIT, PAPERS_MM
from gridwatch.i18n import t
from layouts.ids import ID

_ROW = {"display": "flex", "flexWrap": "wrap", "alignItems": "center", "gap": "6px 14px"}


def export_panel(lang: str) -> html.Div:
    """The card with the export options and the two download links."""
    def field(label: str, control) -> html.Div:
        """A control with its label (``<label for>``: the control's accessible name)."""
        return html.Div(style={"display": "flex", "alignItems": "center", "gap": "6px"},
                        children=[html.Label(label, htmlFor=control.id,
                                             className="gw-muted gw-field-label"), control])

    return html.Div(className="gw-card gw-export", children=[
        html.Div(className="gw-card-head", children=[
            html.H3(t("export.panel.title", lang)),
            html.Small(t("export.panel.hint", lang), className="gw-muted"),
        ]),
        html.Div(style={**_ROW, "padding": "4px 0 8px"}, children=[
            field(t("export.title_label", lang),
                  dcc.Input(id=ID.EXPORT_TITLE, type="text", debounce=True, maxLength=80,
                            placeholder=t("export.default_title", lang),
                            style={"width": "260px"})),
            field(t("export.format", lang),
                  dcc.Dropdown(id=ID.EXPORT_FORMAT, value="png", clearable=False,
                               searchable=False, style={"width": "230px"},
                               options=[{"label": t(f"export.format.{k}", lang), "value": k}
                                        for k in KINDS])),
            field(t("export.paper", lang),
                  dcc.RadioItems(id=ID.EXPORT_PAPER, value="A4", inline=True,
                                 options=[{"label": p, "value": p} for p in PAPERS_MM])),
            field(t("export.orientation", lang),
                  dcc.RadioItems(id=ID.EXPORT_ORIENTATION, value="landscape", inline=True,
                                 options=[{"label": t(f"export.{o}", lang), "value": o}
                                          for o in ("landscape", "portrait")])),
            field(t("export.extent", lang),
                  dcc.RadioItems(id=ID.EXPORT_EXTENT, value="county", inline=True,
                                 options=[{"label": t("export.extent.view", lang),
                                           "value": "view"},
                                          {"label": t("export.extent.county", lang),
                                           "value": "county"}])),
        ]),
        html.Div(style={**_ROW, "padding": "0 0 8px"}, children=[
            field(t("export.unit_label", lang),
                  dcc.Input(id=ID.EXPORT_UNIT, type="text", debounce=True,
                            maxLength=MAX_UNIT, style={"width": "260px"})),
            field(t("export.issue_label", lang),
                  # text, not a number field: a browser would drop a bad number silently,
                  # and the card names what is wrong (callbacks.export)
                  dcc.Input(id=ID.EXPORT_ISSUE, type="text", inputMode="numeric",
                            maxLength=len(str(MAX_ISSUE)) + 2, debounce=True,
                            placeholder=f"1–{MAX_ISSUE}", style={"width": "90px"})),
            field(t("export.since_label", lang),
                  dcc.Dropdown(id=ID.EXPORT_SINCE, options=[], value=None, clearable=True,
                               searchable=False, style={"width": "280px"})),
        ]),
        html.Div(style=_ROW, children=[
            html.A(t("export.download", lang), id=ID.EXPORT_DOWNLOAD, className="gw-btn",
                   href="/export/png", download="", rel="nofollow"),
            html.A(t("export.pack", lang), id=ID.EXPORT_PACK, className="gw-btn",
                   href="/export/pack", download="", rel="nofollow"),
        ]),
        html.Div(id=ID.EXPORT_NOTE, role="status", className="gw-export-note",
                 style={"paddingTop": "6px", "color": "#b71c1c"}),
        html.Div(id=ID.EXPORT_KEPT, className="gw-export-kept", style={"paddingTop": "8px"}),
    ])
