"""The boundary import on the ``/data`` page: files in, validation report and preview map,
activation, and the list of versions to switch back to.

The files go to ``POST /upload/boundaries`` (``web.boundary_upload``) in a plain
``multipart/form-data`` form, sent by ``assets/boundaries.js`` with ``fetch`` and ``FormData``
(the page does not reload): choosing files checks them (``dry_run``), the Activate button sends
them again to be kept and activated (``activate``). The route renders the report with
``report`` / ``unreadable`` below, in the page's language, and the script hands it to the
report, result, button and preview components (``dash_clientside.set_props``). There is no
token field: the signed-in admin is the actor.

Dash 4 has no ``html.Input``, so the form's file input is a plain ``<input type=file>`` the
script puts into the drop zone's slot (``FILE_SLOT``); the form carries what the script needs
to say before the server answers (``data-*``: the size cap, the language, the messages).
"""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from gridwatch.geo.datum import DATUMS
from gridwatch.i18n import t
from gridwatch.ingest.boundaries import BoundaryImport
from gridwatch.ingest.uploads import format_size
from gridwatch.settings import Settings
from layouts.ids import ID

MAX_REPORT_ROWS = 300
"""Findings listed on the page (the CLI prints them all)."""

UPLOAD_PATH = "/upload/boundaries"
"""Where the form posts (``web.boundary_upload.PATH``)."""

ACCEPT = ".gpkg,.zip,.geojson,.json"
"""The file types the file input offers (the route checks every file's content anyway)."""

FILE_SLOT = "gw-boundary-file-slot"
"""The class of the element ``assets/boundaries.js`` puts the form's file input into."""


def boundary_style(layer: str) -> dict:
    """The preview layers' style function (``assets/boundaries.js``) and its ``hideout``."""
    return {"style": {"variable": "gridwatchBoundaries.previewStyle"}, "hideout": {"layer": layer}}


def upload_form(lang: str, settings: Settings) -> html.Form:
    """The form that posts boundary files to ``UPLOAD_PATH``; its cap is
    ``settings.max_upload_bytes`` (all files together, as the route counts them)."""
    limit = settings.max_upload_bytes
    size = format_size(limit)
    messages = {
        "data-max-bytes": str(limit),
        "data-lang": lang,
        "data-too-large": t("upload.unreadable", lang,
                            reason=t("boundary.over_limit", lang, size=size)),
        "data-checking": t("boundary.checking", lang),
        "data-activating": t("boundary.activating", lang),
        "data-failed": t("boundary.upload_failed", lang, status="{status}"),
    }
    return html.Form(id=ID.BOUNDARY_FILE, action=UPLOAD_PATH, method="post",
                     encType="multipart/form-data", className="gw-boundary-form", **messages,
                     children=[
        html.Label(className="gw-dropzone gw-boundary-drop", children=[
            html.Span(t("boundary.drop_limit", lang, size=size)),
            html.Span(className=FILE_SLOT, **{"data-accept": ACCEPT, "data-name": "file"}),
        ]),
        datum_field(lang),
        new_region_fields(lang),
        html.Button(t("boundary.activate", lang), id=ID.BOUNDARY_ACTIVATE, disabled=True,
                    type="submit", name="activate", value="1",
                    className="gw-btn gw-btn-wide"),
    ])


def datum_field(lang: str) -> html.Label:
    """The datum of the files' coordinates (the CLI's ``--datum``): ``assets/boundaries.js``
    sends it as ``datum``. A plain ``<select>``: its first option (``DATUMS[0]``, WGS84) is
    the default."""
    return html.Label(className="gw-boundary-datum", children=[
        t("boundary.datum_label", lang),
        html.Select(id=ID.BOUNDARY_DATUM, name="datum", className="gw-input",
                    children=[html.Option(t(f"boundary.datum.{d}", lang), value=d)
                              for d in DATUMS]),
        html.Small(t("boundary.datum_hint", lang), className="gw-hint"),
    ])


def new_region_fields(lang: str) -> html.Fieldset:
    """The new-region choice (the CLI's ``--new-region``, ``--name-zh``, ``--name-en``,
    ``--replace-history``): ``assets/boundaries.js`` sends them with the files as
    ``new_region``, ``name_zh``, ``name_en`` and ``replace_history``; the route refuses
    whatever does not go together."""
    return html.Fieldset(className="gw-boundary-region", children=[
        dcc.Checklist(id=ID.BOUNDARY_NEW_REGION, value=[], className="gw-check",
                      options=[{"label": t("boundary.new_region", lang), "value": "1"}]),
        html.Small(t("boundary.new_region_hint", lang), className="gw-hint"),
        html.Label([t("boundary.name_zh_label", lang),
                    dcc.Input(id=ID.BOUNDARY_NAME_ZH, type="text", value="", maxLength=60,
                              debounce=True, className="gw-input")]),
        html.Label([t("boundary.name_en_label", lang),
                    dcc.Input(id=ID.BOUNDARY_NAME_EN, type="text", value="", maxLength=60,
                              debounce=True, className="gw-input")]),
        dcc.Checklist(id=ID.BOUNDARY_REPLACE_HISTORY, value=[], className="gw-check",
                      options=[{"label": t("boundary.replace_history", lang), "value": "1"}]),
    ])


def section(lang: str, settings: Settings | None = None) -> html.Section:
    """Boundary import: files in, validation report and preview map, activation, versions;
    the size it states is ``settings.max_upload_bytes`` (the boundary upload's own cap)."""
    settings = settings or Settings()
    return html.Section(className="gw-upload gw-boundaries", children=[
        html.Div(className="gw-card gw-upload-form", children=[
            html.H2(t("boundary.title", lang)),
            html.Small(t("boundary.hint", lang), className="gw-hint"),
            upload_form(lang, settings),
            html.Div(id=ID.BOUNDARY_RESULT, className="gw-upload-result", role="status"),
            html.H3(t("boundary.versions", lang)),
            html.Div(dcc.RadioItems(id=ID.BOUNDARY_VERSIONS, className="gw-versions",
                                    options=[]),
                     **{"data-group-label": t("boundary.versions", lang)}),  # assets/a11y.js
            html.Button(t("boundary.reactivate", lang), id=ID.BOUNDARY_REACTIVATE,
                        disabled=True, className="gw-btn"),
        ]),
        html.Div(className="gw-card gw-upload-report", children=[
            html.Div(id=ID.BOUNDARY_REPORT, children=empty(lang),
                     **{"aria-live": "polite"}),
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


def report(imported: BoundaryImport, lang: str) -> list:
    """The validation report: a verdict, the counts and every finding by level and layer."""
    found = imported.report
    warnings = len(found.warnings)
    verdict = (html.P(t("boundary.report_ok", lang, warnings=warnings), className="gw-upload-valid")
               if found.ok else
               html.P(t("boundary.report_errors", lang, errors=len(found.errors),
                        warnings=warnings), className="gw-upload-invalid", role="alert"))
    out = [html.P(t("boundary.files", lang, names=", ".join(imported.sources)),
                  className="gw-muted"), verdict]
    if found.counts:
        out.append(html.P(t("boundary.counts", lang, **{k: found.counts.get(k, 0) for k in (
            "townships", "villages", "grids", "checkpoints", "population")})))
    mapping = column_mapping(imported.columns, lang)
    if mapping is not None:
        out.append(mapping)
    order = {"error": 0, "warning": 1, "info": 2}
    issues = sorted(found.issues, key=lambda i: order[i.level])[:MAX_REPORT_ROWS]
    out.append(html.Table(className="gw-boundary-issues", children=[
        html.Thead(html.Tr([html.Th(t("boundary.th.level", lang)),
                            html.Th(t("boundary.th.layer", lang)),
                            html.Th(t("boundary.th.message", lang))])),
        html.Tbody([html.Tr([html.Td(t(f"boundary.level.{i.level}", lang),
                                     className=f"gw-level-{i.level}"),
                             html.Td(t(f"boundary.layer.{i.layer}", lang) if i.layer else "—"),
                             html.Td(i.message(lang))]) for i in issues])]))
    return out


MAPPING_SELECT = "gw-map-select"
"""The class of the mapping step's ``<select>`` elements, which ``assets/boundaries.js`` reads
(``data-layer``, ``data-field``; ``data-chosen`` is the column in use, ``data-auto`` the one
the aliases alone find): a choice that differs from ``data-auto`` is sent as
``map=LAYER.FIELD=COLUMN``, the CLI's ``--map``."""


def column_mapping(plan: list[dict], lang: str) -> html.Details | None:
    """The mapping step: for every layer read, which of its file's columns holds each field,
    each a choice among the file's columns (with an example value). Open when a required
    field has no column; None when no layer could be read."""
    if not plan:
        return None
    lacking = sum(1 for layer in plan for f in layer["fields"]
                  if f["required"] and f["column"] is None and not f["derived"])
    summary = (t("boundary.mapping_lacking", lang, n=lacking) if lacking
               else t("boundary.mapping_found", lang))
    tables = [_layer_mapping(layer, lang) for layer in plan]
    return html.Details(open=bool(lacking), className="gw-boundary-mapping", children=[
        html.Summary([html.Strong(t("boundary.mapping_title", lang)), " ", summary]),
        html.Small(t("boundary.mapping_hint", lang), className="gw-hint"),
        *tables,
    ])


def _layer_mapping(layer: dict, lang: str) -> html.Table:
    name = layer["layer"]
    rows = []
    for f in layer["fields"]:
        missing = f["column"] is None
        label = t(f"boundary.field.{f['field']}", lang) + (" *" if f["required"] else "")
        if missing and f["required"] and not f["derived"]:
            empty, state = t("boundary.mapping_choose", lang), "gw-map-lacking"
        elif missing:
            empty = t("boundary.mapping_derived" if f["derived"] else "boundary.mapping_none",
                      lang)
            state = "gw-map-none"
        else:
            empty, state = None, "gw-map-found"
        options = [html.Option(empty, value="")] if empty is not None else []
        options += [html.Option(t("boundary.mapping_option", lang, column=c["name"],
                                  sample=c["sample"]) if c["sample"] else c["name"],
                                value=c["name"]) for c in layer["columns"]]
        rows.append(html.Tr(className=state, children=[
            html.Th(html.Span(label, title=f["field"]), scope="row"),
            html.Td(html.Select(className=MAPPING_SELECT, children=options, **{
                "aria-label": f"{t(f'boundary.layer.{name}', lang)}: {label}",
                "data-layer": name, "data-field": f["field"],
                "data-chosen": f["column"] or "", "data-auto": f["auto"] or ""})),
        ]))
    return html.Table(className="gw-mapping-table", children=[
        html.Caption(t("boundary.mapping_layer", lang, layer=t(f"boundary.layer.{name}", lang),
                       file=layer["file"])),
        html.Tbody(rows),
    ])


def unreadable(reason: str, lang: str) -> list:
    """The report for files that cannot be read at all."""
    return [html.P(t("upload.unreadable", lang, reason=reason), className="gw-upload-invalid",
                   role="alert")]


def empty(lang: str) -> list:
    """The report before any file is chosen."""
    return [html.P(t("boundary.empty", lang), className="gw-muted")]


def version_options(rows: list[dict], lang: str) -> list[dict]:
    """The versions as radio options, newest first; the active one is not selectable."""
    options = [{"label": t("boundary.version_label", lang, id=r["id"],
                           status=t(f"boundary.status.{r['status']}", lang),
                           at=f"{r['created_at']:%Y-%m-%d %H:%M}", by=r["created_by"],
                           source=r["source"][:60], grids=r["counts"].get("grids", 0)),
                "value": r["id"], "disabled": r["status"] == "active"} for r in rows]
    return options or [{"label": t("boundary.versions_none", lang), "value": 0,
                        "disabled": True}]
