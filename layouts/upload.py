"""The data upload page (``/data``): choose a file, read its validation report, then commit."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from gridwatch.i18n import t
from gridwatch.ingest.batches import KINDS
from gridwatch.ingest.boundary_files import MAX_BOUNDARY_BYTES
from gridwatch.ingest.tables import MAX_FILE_BYTES
from layouts.ids import ID

UPLOAD_KINDS = ("risk-assessments", "checkpoint-counts")
"""The batch kinds a file can hold."""


def columns_hint(kind: str, lang: str) -> str:
    fields = KINDS[kind].fields
    return t("upload.columns", lang,
             columns=", ".join(n for n, f in fields.items() if f.required),
             optional=", ".join(n for n, f in fields.items() if not f.required) or "—")


def empty_report(kind: str, lang: str) -> list:
    return [html.P(t("upload.empty", lang), className="gw-muted"),
            html.P(columns_hint(kind, lang), className="gw-muted")]


def boundary_style(layer: str) -> dict:
    """The preview layers' style function (``assets/boundaries.js``) and its ``hideout``."""
    return {"style": {"variable": "gridwatchBoundaries.previewStyle"}, "hideout": {"layer": layer}}


def boundaries_section(lang: str) -> html.Section:
    """Boundary import: files in, validation report and preview map, activation, versions."""
    return html.Section(className="gw-upload gw-boundaries", children=[
        html.Div(className="gw-card gw-upload-form", children=[
            html.H2(t("boundary.title", lang)),
            html.Small(t("boundary.hint", lang), className="gw-hint"),
            dcc.Upload(id=ID.BOUNDARY_FILE, accept=".gpkg,.zip,.geojson,.json", multiple=True,
                       max_size=MAX_BOUNDARY_BYTES, className="gw-dropzone",
                       children=html.Div(t("boundary.drop", lang))),
            html.Button(t("boundary.activate", lang), id=ID.BOUNDARY_ACTIVATE, disabled=True,
                        className="gw-btn gw-btn-wide"),
            html.Div(id=ID.BOUNDARY_RESULT, className="gw-upload-result", role="status"),
            html.H3(t("boundary.versions", lang)),
            dcc.RadioItems(id=ID.BOUNDARY_VERSIONS, className="gw-versions", options=[]),
            html.Button(t("boundary.reactivate", lang), id=ID.BOUNDARY_REACTIVATE,
                        disabled=True, className="gw-btn"),
        ]),
        html.Div(className="gw-card gw-upload-report", children=[
            html.Div(id=ID.BOUNDARY_REPORT, children=[
                html.P(t("boundary.empty", lang), className="gw-muted")]),
            dl.MapContainer(id=ID.BOUNDARY_MAP, className="gw-boundary-map", center=[30, 115],
                            zoom=5, zoomSnap=0.25, children=[
                dl.GeoJSON(id=ID.BOUNDARY_CURRENT, zoomToBounds=True, interactive=False,
                           **boundary_style("current")),
                dl.GeoJSON(id=ID.BOUNDARY_GRIDS, zoomToBounds=True, **boundary_style("grids")),
                dl.GeoJSON(id=ID.BOUNDARY_TOWNSHIPS, interactive=False,
                           **boundary_style("townships")),
            ]),
        ]),
    ])


def layout(lang: str, lang_href: str) -> html.Div:
    """The whole upload page."""
    return html.Div(className="gw-analyst gw-upload-page", lang=lang, children=[
        html.Header(className="gw-header", children=[
            html.Div(className="gw-brand", children=[
                html.H1(t("app.title", lang)),
                html.Span(t("upload.link", lang), className="gw-subtitle"),
            ]),
            html.A(t("upload.back", lang), href="/" + ("?lang=en" if lang == "en" else ""),
                   className="gw-lang"),
            html.A(t("app.switch_language", lang), href=lang_href, className="gw-lang",
                   lang="en" if lang == "zh" else "zh"),
        ]),
        html.Main(className="gw-upload", children=[
            html.Section(className="gw-card gw-upload-form", children=[
                html.H2(t("upload.title", lang)),
                html.Label(t("upload.kind", lang), htmlFor=ID.UPLOAD_KIND),
                dcc.RadioItems(id=ID.UPLOAD_KIND, className="gw-chips", inline=True,
                               value=UPLOAD_KINDS[0],
                               options=[{"label": t(f"upload.kind.{k}", lang), "value": k}
                                        for k in UPLOAD_KINDS]),
                html.Small(t("upload.time_hint", lang), className="gw-hint"),
                html.Label(t("upload.token", lang), htmlFor=ID.UPLOAD_TOKEN),
                dcc.Input(id=ID.UPLOAD_TOKEN, type="password", autoComplete="off",
                          className="gw-input", debounce=False),
                html.Small(t("upload.token_hint", lang), className="gw-hint"),
                dcc.Upload(id=ID.UPLOAD_FILE, accept=".csv,.xlsx", multiple=False,
                           max_size=MAX_FILE_BYTES, className="gw-dropzone",
                           children=html.Div(t("upload.drop", lang))),
                html.Button(t("upload.commit", lang), id=ID.UPLOAD_COMMIT, disabled=True,
                            className="gw-btn gw-btn-wide"),
                html.Div(id=ID.UPLOAD_RESULT, className="gw-upload-result", role="status"),
            ]),
            html.Section(id=ID.UPLOAD_REPORT, className="gw-card gw-upload-report",
                         children=empty_report(UPLOAD_KINDS[0], lang)),
        ]),
        boundaries_section(lang),
    ])
