"""The upload page: read a CSV/XLSX file, show its preview and validation report, commit it.

Nothing is kept on the server between the two steps: the browser sends the file again with the
commit, and it is validated again before it is written (all of it or none of it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from dash import Dash, Input, Output, State, html

from gridwatch.i18n import t
from gridwatch.ingest.auth import authenticate, authorize
from gridwatch.ingest.batches import KINDS, submit, validate_rows
from gridwatch.ingest.errors import IngestError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.store import make_write_engine
from gridwatch.ingest.tables import MAX_FILE_BYTES, Table, TableError, items_from, read_table
from gridwatch.service import DataSource
from layouts.ids import ID
from layouts.upload import UPLOAD_KINDS, columns_hint, empty_report

PREVIEW_ROWS = 10
MAX_LISTED_ERRORS = 50


def decode(contents: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL, refusing anything over the file cap."""
    _header, _, payload = (contents or "").partition(",")
    if len(payload) > (MAX_FILE_BYTES * 4) // 3 + 4:
        raise TableError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise TableError("the upload is damaged; choose the file again") from None


def check_file(source: DataSource, kind: str, filename: str, contents: str
               ) -> tuple[Table, list[dict], IngestError | None]:
    """Read and validate an uploaded file; return its table, batch items and any errors."""
    if kind not in UPLOAD_KINDS:
        raise TableError("choose what the file holds")
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
                         html.Td(e.field or "—"), html.Td(e.reason)])
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
    except TableError as exc:
        return [html.P(t("upload.unreadable", lang, reason=str(exc)), className="gw-upload-invalid",
                       role="alert"), html.P(columns_hint(kind, lang), className="gw-muted")], True
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
    except TableError as exc:
        return html.Div(t("upload.refused", lang, reason=str(exc)), className="gw-upload-invalid")
    if error is not None:
        return html.Div(t("upload.invalid", lang, n=len(error.errors)),
                        className="gw-upload-invalid")
    key = "upload-" + hashlib.sha256(f"{kind}\n{contents}".encode()).hexdigest()[:40]
    try:
        outcome, replayed = submit(engine, Reference.from_region(source.region()), kind,
                                   {"items": items}, principal, key)
    except IngestError as exc:
        return html.Div(t("upload.refused", lang, reason=exc.errors[0].reason),
                        className="gw-upload-invalid")
    if replayed:
        return html.Div(t("upload.replayed", lang), className="gw-upload-valid")
    body = outcome.body
    return html.Div(t("upload.committed", lang, applied=body["applied"],
                      duplicates=body["duplicates"], version=body.get("data_version", "—")),
                    className="gw-upload-valid")


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
