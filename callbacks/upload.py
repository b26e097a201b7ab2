"""The upload page: read a CSV/XLSX file, show its preview and validation report, commit it;
and import boundary files: report, preview map, activate, switch back to an earlier version.

Nothing is kept on the server between the two steps: the browser sends the file again with the
commit (or the activation), and it is validated again before it is written (all or nothing).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

import numpy as np
import shapely
from dash import Dash, Input, Output, State, html

from gridwatch.i18n import t
from gridwatch.ingest.auth import authenticate, authorize
from gridwatch.ingest.batches import KINDS, submit, validate_rows
from gridwatch.ingest.boundaries import BoundaryImport, import_boundaries
from gridwatch.ingest.boundary_files import MAX_BOUNDARY_BYTES, BoundaryError
from gridwatch.ingest.boundary_versions import (
    activate_version,
    list_versions,
    stage,
    store_codes,
)
from gridwatch.ingest.errors import IngestError, LocalisedError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.store import make_write_engine
from gridwatch.ingest.tables import MAX_FILE_BYTES, Table, TableError, items_from, read_table
from gridwatch.service import DataSource
from layouts.ids import ID
from layouts.map import layer_url
from layouts.upload import UPLOAD_KINDS, columns_hint, empty_report

PREVIEW_ROWS = 10
MAX_LISTED_ERRORS = 50


def decode(contents: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refusing anything over the file cap."""
    _header, _, payload = (contents or "").partition(",")
    if len(payload) > (MAX_FILE_BYTES * 4) // 3 + 4:
        raise TableError("table.too_large", mb=MAX_FILE_BYTES // (1024 * 1024))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise TableError("table.damaged_upload") from None


def check_file(source: DataSource, kind: str, filename: str, contents: str
               ) -> tuple[Table, list[dict], IngestError | None]:
    """Read and validate an uploaded file; return its table, batch items and any errors."""
    if kind not in UPLOAD_KINDS:
        raise TableError("table.no_kind")
    table = read_table(filename, decode(contents))
    items = items_from(table)
    try:
        validate_rows(KINDS[kind], items, Reference.from_region(source.region()))
    except IngestError as exc:
        return table, items, exc
    return table, items, None


def report(table: Table, filename: str, error: IngestError | None, lang: str) -> list:
    """The validation report: problems by file line and column, or a preview of the rows."""
    head = html.P(t("upload.file", lang, name=filename, n=len(table.rows)), className="gw-muted")
    if error is not None:
        first = table.first_line()
        rows = [html.Tr([html.Td(first + e.row if e.row is not None else "—"),
                         html.Td(e.field or "—"), html.Td(e.message(lang))])
                for e in error.errors[:MAX_LISTED_ERRORS]]
        return [head, html.P(t("upload.invalid", lang, n=len(error.errors)),
                             className="gw-upload-invalid", role="alert"),
                html.Table(className="gw-upload-errors", children=[
                    html.Thead(html.Tr([html.Th(t("upload.line", lang)),
                                        html.Th(t("upload.field", lang)),
                                        html.Th(t("upload.reason", lang))])),
                    html.Tbody(rows)])]
    shown = table.rows[:PREVIEW_ROWS]
    return [head, html.P(t("upload.valid", lang, n=len(table.rows)), className="gw-upload-valid"),
            html.H3(t("upload.preview", lang, n=len(shown))),
            html.Table(className="gw-upload-preview", children=[
                html.Thead(html.Tr([html.Th(c) for c in table.columns])),
                html.Tbody([html.Tr([html.Td("" if row.get(c) is None else str(row[c]))
                                     for c in table.columns]) for row in shown])])]


def preview(source: DataSource, kind: str, filename: str | None, contents: str | None,
            lang: str) -> tuple[list, bool]:
    """The report children and whether the commit button stays disabled."""
    if not contents:
        return empty_report(kind if kind in UPLOAD_KINDS else UPLOAD_KINDS[0], lang), True
    try:
        table, _items, error = check_file(source, kind, filename or "", contents)
    except LocalisedError as exc:
        return [html.P(t("upload.unreadable", lang, reason=exc.message(lang)),
                       className="gw-upload-invalid", role="alert"),
                html.P(columns_hint(kind, lang), className="gw-muted")], True
    return report(table, filename or "", error, lang), error is not None


def commit(source: DataSource, engine, kind: str, filename: str | None, contents: str | None,
           token: str | None, lang: str) -> html.Div:
    """Write the file's rows as the token's owner; the file's hash is the idempotency key."""
    if not token:
        return html.Div(t("upload.need_token", lang), className="gw-upload-invalid")
    principal = authenticate(engine, f"Bearer {token.strip()}")
    if principal is None or not authorize(principal, "write"):
        return html.Div(t("upload.refused", lang, reason="API token ✗"),
                        className="gw-upload-invalid")
    try:
        _table, items, error = check_file(source, kind, filename or "", contents or "")
    except LocalisedError as exc:
        return html.Div(t("upload.refused", lang, reason=exc.message(lang)),
                        className="gw-upload-invalid")
    if error is not None:
        return html.Div(t("upload.invalid", lang, n=len(error.errors)),
                        className="gw-upload-invalid")
    key = "upload-" + hashlib.sha256(f"{kind}\n{contents}".encode()).hexdigest()[:40]
    try:
        outcome, replayed = submit(engine, Reference.from_region(source.region()), kind,
                                   {"items": items}, principal, key)
    except IngestError as exc:
        return html.Div(t("upload.refused", lang, reason=exc.errors[0].message(lang)),
                        className="gw-upload-invalid")
    if replayed:
        return html.Div(t("upload.replayed", lang), className="gw-upload-valid")
    body = outcome.body
    return html.Div(t("upload.committed", lang, applied=body["applied"],
                      duplicates=body["duplicates"], version=body.get("data_version", "—")),
                    className="gw-upload-valid")


# --- boundaries ---------------------------------------------------------------------------------

MAX_REPORT_ROWS = 300
"""Findings listed on the page (the CLI prints them all)."""


def decode_files(filenames, contents) -> list[tuple[str, bytes]]:
    """The uploaded boundary files as (name, bytes), refusing oversized or damaged uploads."""
    names = filenames if isinstance(filenames, list) else [filenames]
    datas = contents if isinstance(contents, list) else [contents]
    files = []
    for name, content in zip(names, datas, strict=True):
        payload = (content or "").partition(",")[2]
        if len(payload) > (MAX_BOUNDARY_BYTES * 4) // 3 + 4:
            raise BoundaryError("too_large", name=name, mb=MAX_BOUNDARY_BYTES // (1024 * 1024))
        try:
            files.append((name or "", base64.b64decode(payload, validate=True)))
        except (binascii.Error, ValueError):
            raise BoundaryError("unreadable_upload") from None
    return files


def check_boundaries(source: DataSource, filenames, contents) -> BoundaryImport:
    """Import uploaded boundary files against the active region (nothing is stored)."""
    return import_boundaries(decode_files(filenames, contents), source.region(),
                             store_codes(source.engine))


def boundary_report(imported: BoundaryImport, lang: str) -> list:
    """The validation report: a verdict, the counts and every finding by level and layer."""
    report = imported.report
    warnings = len(report.warnings)
    verdict = (html.P(t("boundary.report_ok", lang, warnings=warnings), className="gw-upload-valid")
               if report.ok else
               html.P(t("boundary.report_errors", lang, errors=len(report.errors),
                        warnings=warnings), className="gw-upload-invalid", role="alert"))
    out = [html.P(t("boundary.files", lang, names=", ".join(imported.sources)),
                  className="gw-muted"), verdict]
    if report.counts:
        out.append(html.P(t("boundary.counts", lang, **{k: report.counts.get(k, 0) for k in (
            "townships", "villages", "grids", "checkpoints", "population")})))
    order = {"error": 0, "warning": 1, "info": 2}
    issues = sorted(report.issues, key=lambda i: order[i.level])[:MAX_REPORT_ROWS]
    out.append(html.Table(className="gw-boundary-issues", children=[
        html.Thead(html.Tr([html.Th(t("boundary.th.level", lang)),
                            html.Th(t("boundary.th.layer", lang)),
                            html.Th(t("boundary.th.message", lang))])),
        html.Tbody([html.Tr([html.Td(t(f"boundary.level.{i.level}", lang),
                                     className=f"gw-level-{i.level}"),
                             html.Td(t(f"boundary.layer.{i.layer}", lang) if i.layer else "—"),
                             html.Td(i.message(lang))]) for i in issues])]))
    return out


def preview_geojson(imported: BoundaryImport, layer: str) -> dict | None:
    """One staged layer as GeoJSON for the preview map (5 decimals ≈ 1 m), flagged features
    marked; sent once, when the files are checked."""
    if imported.layers is None:
        return None
    frame = imported.layers[layer][["code", "name_zh", "name_en", "geometry"]].copy()
    frame["flagged"] = frame["code"].isin(imported.report.flagged_codes())
    frame["geometry"] = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, 5))
    return json.loads(frame.to_json(drop_id=True, to_wgs84=False))


def boundary_preview(source: DataSource, filenames, contents, lang: str
                     ) -> tuple[list, bool, dict | None, dict | None]:
    """The report, whether activation stays disabled, and the townships and grids to preview."""
    if not contents:
        return [html.P(t("boundary.empty", lang), className="gw-muted")], True, None, None
    try:
        imported = check_boundaries(source, filenames, contents)
    except LocalisedError as exc:
        return [html.P(t("upload.unreadable", lang, reason=exc.message(lang)),
                       className="gw-upload-invalid", role="alert")], True, None, None
    return (boundary_report(imported, lang), not imported.report.ok,
            preview_geojson(imported, "townships"), preview_geojson(imported, "grids"))


def _writer(engine, token: str | None, lang: str):
    """The principal a token names if it may write, else the message that says why not."""
    if not token:
        return None, html.Div(t("upload.need_token", lang), className="gw-upload-invalid")
    principal = authenticate(engine, f"Bearer {token.strip()}")
    if principal is None or not authorize(principal, "write"):
        return None, html.Div(t("boundary.refused", lang, reason="API token ✗"),
                              className="gw-upload-invalid")
    return principal, None


def boundary_activate(source: DataSource, engine, filenames, contents, token: str | None,
                      lang: str) -> html.Div:
    """Check the files again, keep them as a version and activate it, as the token's owner."""
    principal, refusal = _writer(engine, token, lang)
    if refusal is not None:
        return refusal
    try:
        imported = check_boundaries(source, filenames, contents)
        row = stage(engine, source.settings, imported, principal.actor, activate=True)
    except LocalisedError as exc:
        return html.Div(t("boundary.refused", lang, reason=exc.message(lang)),
                        className="gw-upload-invalid")
    return html.Div(t("boundary.activated", lang, id=row["id"]), className="gw-upload-valid")


def boundary_reactivate(source: DataSource, engine, version_id, token: str | None,
                        lang: str) -> html.Div:
    """Switch back to an earlier version, as the token's owner."""
    principal, refusal = _writer(engine, token, lang)
    if refusal is not None:
        return refusal
    try:
        row = activate_version(engine, source.settings, int(version_id), principal.actor)
    except (LocalisedError, TypeError, ValueError) as exc:
        reason = exc.message(lang) if isinstance(exc, LocalisedError) else str(exc)
        return html.Div(t("boundary.refused", lang, reason=reason), className="gw-upload-invalid")
    return html.Div(t("boundary.activated", lang, id=row["id"]), className="gw-upload-valid")


def boundary_versions(source: DataSource, lang: str) -> tuple[list[dict], int | None, str]:
    """The versions as options (newest first; the active one marked and not selectable), the
    active one's id, and the URL of the townships in use (drawn under the preview)."""
    rows = list_versions(source.engine)
    options = [{"label": t("boundary.version_label", lang, id=r["id"],
                           status=t(f"boundary.status.{r['status']}", lang),
                           at=f"{r['created_at']:%Y-%m-%d %H:%M}", by=r["created_by"],
                           source=r["source"][:60], grids=r["counts"].get("grids", 0)),
                "value": r["id"], "disabled": r["status"] == "active"} for r in rows]
    if not options:
        options = [{"label": t("boundary.versions_none", lang), "value": 0, "disabled": True}]
    active = next((r["id"] for r in rows if r["status"] == "active"), None)
    return options, active, layer_url(source.region(), "townships")


def register(app: Dash, source: DataSource) -> None:
    engine = make_write_engine(source.settings.database_url)

    @app.callback(Output(ID.UPLOAD_REPORT, "children"), Output(ID.UPLOAD_COMMIT, "disabled"),
                  Output(ID.UPLOAD_RESULT, "children"),
                  Input(ID.UPLOAD_FILE, "contents"), Input(ID.UPLOAD_KIND, "value"),
                  State(ID.UPLOAD_FILE, "filename"), State(ID.LANG, "data"))
    def _preview(contents, kind, filename, lang):
        children, disabled = preview(source, kind, filename, contents, lang or "zh")
        return children, disabled, None

    @app.callback(Output(ID.UPLOAD_RESULT, "children", allow_duplicate=True),
                  Input(ID.UPLOAD_COMMIT, "n_clicks"),
                  State(ID.UPLOAD_KIND, "value"), State(ID.UPLOAD_FILE, "filename"),
                  State(ID.UPLOAD_FILE, "contents"), State(ID.UPLOAD_TOKEN, "value"),
                  State(ID.LANG, "data"), prevent_initial_call=True)
    def _commit(_n, kind, filename, contents, token, lang):
        return commit(source, engine, kind, filename, contents, token, lang or "zh")

    @app.callback(Output(ID.BOUNDARY_REPORT, "children"), Output(ID.BOUNDARY_ACTIVATE, "disabled"),
                  Output(ID.BOUNDARY_TOWNSHIPS, "data"), Output(ID.BOUNDARY_GRIDS, "data"),
                  Output(ID.BOUNDARY_RESULT, "children"),
                  Input(ID.BOUNDARY_FILE, "contents"), State(ID.BOUNDARY_FILE, "filename"),
                  State(ID.LANG, "data"))
    def _boundary_preview(contents, filenames, lang):
        children, disabled, towns, grids = boundary_preview(source, filenames, contents,
                                                            lang or "zh")
        return children, disabled, towns, grids, None

    @app.callback(Output(ID.BOUNDARY_RESULT, "children", allow_duplicate=True),
                  Input(ID.BOUNDARY_ACTIVATE, "n_clicks"),
                  State(ID.BOUNDARY_FILE, "filename"), State(ID.BOUNDARY_FILE, "contents"),
                  State(ID.UPLOAD_TOKEN, "value"), State(ID.LANG, "data"),
                  prevent_initial_call=True)
    def _boundary_activate(_n, filenames, contents, token, lang):
        return boundary_activate(source, engine, filenames, contents, token, lang or "zh")

    @app.callback(Output(ID.BOUNDARY_RESULT, "children", allow_duplicate=True),
                  Input(ID.BOUNDARY_REACTIVATE, "n_clicks"),
                  State(ID.BOUNDARY_VERSIONS, "value"), State(ID.UPLOAD_TOKEN, "value"),
                  State(ID.LANG, "data"), prevent_initial_call=True)
    def _boundary_reactivate(_n, version_id, token, lang):
        return boundary_reactivate(source, engine, version_id, token, lang or "zh")

    @app.callback(Output(ID.BOUNDARY_VERSIONS, "options"), Output(ID.BOUNDARY_VERSIONS, "value"),
                  Output(ID.BOUNDARY_CURRENT, "url"),
                  Input(ID.BOUNDARY_RESULT, "children"), State(ID.LANG, "data"))
    def _boundary_versions(_result, lang):
        return boundary_versions(source, lang or "zh")

    @app.callback(Output(ID.BOUNDARY_REACTIVATE, "disabled"),
                  Input(ID.BOUNDARY_VERSIONS, "value"), State(ID.BOUNDARY_VERSIONS, "options"))
    def _reactivate_enabled(value, options):
        # The active version's option is disabled: there is nothing to switch back to.
        return not any(o["value"] == value and not o.get("disabled") for o in options or [])
