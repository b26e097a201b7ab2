"""Table upload on ``/data``: a CSV/XLSX file of risk marks or checkpoint counts is read and
validated for a preview, then committed as one batch as the signed-in user (``who``, passed by
``bind``; ``REQUIRES`` asks ``write`` of both steps). Both steps check every row against the
user's scope too (``gridwatch.ingest.scope``, the write API's rule): a row outside it is
reported with its file line, and the file is not committed.

Nothing is kept on the server between the two steps: the browser sends the file again with the
commit, and it is read and validated again before it is written (all or nothing).
"""

from __future__ import annotations

import hashlib

from dash import Dash, Input, Output, State
from sqlalchemy.orm import Session

from callbacks import bind
from gridwatch.auth.policy import Principal
from gridwatch.i18n import normalise_language, t
from gridwatch.ingest.batches import KINDS, submit, validate_rows
from gridwatch.ingest.errors import IngestError, LocalisedError
from gridwatch.ingest.fields import Reference
from gridwatch.ingest.scope import Places, check_scope
from gridwatch.ingest.tables import Table, TableError, items_from, read_table
from gridwatch.ingest.uploads import UploadError, decode_upload, upload_limit_bytes
from gridwatch.service import DataSource
from layouts import upload as page
from layouts.ids import ID


def check_kind(kind) -> str:
    """``kind`` if it is one of the page's kinds; whatever else the browser sent (a tampered
    value: another batch kind, a number, a list) is refused with a message.

    Raises
    ------
    TableError
    """
    if kind is None or kind == "":
        raise TableError("table.no_kind")
    if not isinstance(kind, str) or kind not in page.UPLOAD_KINDS:
        shown = kind if isinstance(kind, str) else repr(kind)
        raise TableError("table.unknown_kind", value=shown[:40],
                         options=", ".join(page.UPLOAD_KINDS))
    return kind


def check_file(source: DataSource, kind, filename, contents, who: Principal
               ) -> tuple[Table, list[dict], IngestError | None]:
    """Read and validate an uploaded file, and check its rows against ``who``'s scope; return
    its table, batch items and any errors (422 for wrong rows, else 403 for rows outside the
    scope; either way with each row's index in the file's rows).

    Raises
    ------
    LocalisedError
        When the kind is not one of the page's, the upload is not a file under the page's limit
        (``upload_limit_bytes``) or the file cannot be read as a table at all.
    """
    kind = check_kind(kind)
    if filename is not None and not isinstance(filename, str):
        raise UploadError("upload.malformed")
    data = decode_upload(filename, contents, upload_limit_bytes(source.settings))
    table = read_table(filename or "", data)
    items = items_from(table)
    region = source.region()
    ref = Reference.from_region(region)
    try:
        rows = validate_rows(KINDS[kind], items, ref)
        with Session(source.engine) as session:
            check_scope(KINDS[kind].where, rows, who, Places.of(region), session, ref)
    except IngestError as exc:
        return table, items, exc
    return table, items, None


def preview_upload(source: DataSource, contents: str | None, kind: str | None,
                   filename: str | None, lang: str | None, who: Principal) -> dict:
    """A file is chosen or its kind changes → its validation report; commit enabled if valid."""
    lang = normalise_language(lang)
    # The columns hint is for a kind the page offers, whatever the browser sent.
    shown = kind if isinstance(kind, str) and kind in page.UPLOAD_KINDS else page.UPLOAD_KINDS[0]
    if not contents:
        return {"report": page.empty_report(shown, lang), "commit_disabled": True,
                "result": None}
    try:
        table, _items, error = check_file(source, kind, filename, contents, who)
    except LocalisedError as exc:
        return {"report": page.unreadable_report(shown, exc.message(lang), lang),
                "commit_disabled": True, "result": None}
    return {"report": page.upload_report(table, filename or "", error, lang),
            "commit_disabled": error is not None, "result": None}


def commit_upload(source: DataSource, clicks: int | None, kind: str | None,
                  filename: str | None, contents: str | None, lang: str | None,
                  who: Principal) -> dict:
    """Commit is clicked → the file's rows are written, once, as the signed-in user ``who``
    (within its scope)."""
    lang = normalise_language(lang)
    try:
        _table, items, error = check_file(source, kind, filename, contents or "", who)
    except LocalisedError as exc:
        return {"result": page.result(t("upload.refused", lang, reason=exc.message(lang)),
                                      ok=False)}
    if error is not None:
        return {"result": page.result(t("upload.invalid", lang, n=len(error.errors)), ok=False)}
    # The file's hash is the idempotency key: committing the same file twice writes it once
    # (keys are per writer: ``who.actor``).
    key = "upload-" + hashlib.sha256(f"{kind}\n{contents}".encode()).hexdigest()[:40]
    region = source.region()
    try:
        outcome, replayed = submit(source.writer, Reference.from_region(region), kind,
                                   {"items": items}, who, key, Places.of(region))
    except IngestError as exc:
        return {"result": page.result(t("upload.refused", lang,
                                        reason=exc.errors[0].message(lang)), ok=False)}
    if replayed:
        return {"result": page.result(t("upload.replayed", lang), ok=True)}
    body = outcome.body
    return {"result": page.result(t("upload.committed", lang, applied=body["applied"],
                                    duplicates=body["duplicates"],
                                    version=body.get("data_version", "—")), ok=True)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, preview_upload,
         output={"report": Output(ID.UPLOAD_REPORT, "children"),
                 "commit_disabled": Output(ID.UPLOAD_COMMIT, "disabled"),
                 "result": Output(ID.UPLOAD_RESULT, "children")},
         inputs={"contents": Input(ID.UPLOAD_FILE, "contents"),
                 "kind": Input(ID.UPLOAD_KIND, "value"),
                 "filename": State(ID.UPLOAD_FILE, "filename"), "lang": State(ID.LANG, "data")})
    bind(app, source, commit_upload,
         output={"result": Output(ID.UPLOAD_RESULT, "children", allow_duplicate=True)},
         inputs={"clicks": Input(ID.UPLOAD_COMMIT, "n_clicks"),
                 "kind": State(ID.UPLOAD_KIND, "value"),
                 "filename": State(ID.UPLOAD_FILE, "filename"),
                 "contents": State(ID.UPLOAD_FILE, "contents"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
