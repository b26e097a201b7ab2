"""``POST /upload/boundaries``: boundary files in, checked, kept as a version, activated.

The ``/data`` page's boundary section posts here (``assets/boundaries.js``, ``fetch`` with
``FormData``), and so may a script with an admin's bearer token. Only ``allows(who, "admin")``
may; anyone else gets 403 (anonymous callers never get here: ``web.auth.guard`` answers 401).

The request is ``multipart/form-data``:

- ``file``: one or more boundary files (GeoPackage, zipped Shapefile, GeoJSON; at most
  ``MAX_UPLOAD_FILES``);
- ``layer_files`` (optional, repeatable): ``LAYER=FILE``, the layer a single-layer file holds
  when its name does not say (as the CLI's ``--layer-files``), e.g. ``grids=wangge.geojson``;
- ``dry_run=1``: check and report, store nothing (the page's first step, on choosing files);
  ``activate=1``: check, keep as a version and activate it (the page's Activate button);
  neither: check and keep as a staged version (as ``python -m gridwatch import-boundaries``);
- ``new_region=1`` (optional): the files are a region of their own, anywhere (the CLI's
  ``--new-region``): checked with ``import_boundaries(..., new_region=True)`` and, unless a dry
  run, made the region in force at once by ``create_region``; ``name_zh`` / ``name_en``
  (optional, as ``--name-zh`` / ``--name-en``) name it when the county layer does not;
  ``replace_history=1`` (only with ``new_region``, as ``--replace-history``) archives the
  store's history first (beside the store, ``default_archive``: never a path the client
  chose) and empties it; without it a store with history refuses the new region and nothing
  changes;
- ``map`` (optional, repeatable): ``FIELD=COLUMN`` or ``LAYER.FIELD=COLUMN``, which column
  holds a field (the CLI's ``--map``; the page's mapping step sends the choices that differ
  from what the aliases find, ``layouts.boundaries.column_mapping``);
- ``datum`` (optional): ``wgs84`` (the default) or ``gcj02``, the datum of the files'
  coordinates (the CLI's ``--datum``): GCJ-02 is converted to WGS84;
- ``lang`` (``zh``/``en``, also accepted in the query string): the language of the answer.

The query string may carry ``view=1`` (the page does): the answer then also holds ``view``,
the report, result line and preview layers as Dash components and GeoJSON, rendered here with
the same functions (``layouts.boundaries``) the page has always used, so the page only hands
them to its components. ``lang`` and ``view`` are read from the query string before the body
is, so even a body refused unread (413) is answered in the page's language and shape.

The body cap is ``settings.max_upload_bytes``: the path is in ``web.security.LARGE_BODY_PATHS``,
so ``request.max_content_length`` is that cap and a ``Content-Length`` over it is answered 413
before anything reads the body. The body is parsed here, with every file part streamed into a
private temporary folder (never a name the client chose), which is removed whatever happens.
The files are then checked with ``import_boundaries`` against the active region and the
store's codes, and kept with ``stage`` (the one write path), the signed-in caller's
``who.actor`` in the audit log.

The answer is always JSON, never a traceback::

    {"report": {...} | null, "version_id": int | null, "status": str | null,
     "staged": bool, "activated": bool, "errors": [{"key": str, "message": str}],
     "view": {...}}                                   # view only when asked for

200 for a check (valid or not) and for a version kept; 400 for a refusal of the files or the
form (the ``LocalisedError``'s message in the request's language); 403, 413; 500 with an
error id (logged with the traceback) for anything unexpected.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
from pathlib import Path, PurePosixPath

import plotly.utils
from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from gridwatch.auth.policy import Principal, allows
from gridwatch.geo.datum import DATUMS
from gridwatch.i18n import normalise_language, t
from gridwatch.ingest.boundaries import (
    COLUMNS,
    BoundaryImport,
    ColumnMap,
    import_boundaries,
    parse_mapping,
)
from gridwatch.ingest.boundary_files import LAYER_ALIASES, BoundaryError
from gridwatch.ingest.boundary_versions import (
    create_region,
    history_rows,
    region_names,
    stage,
    stale_scopes,
    store_codes,
)
from gridwatch.ingest.errors import LocalisedError, say
from gridwatch.ingest.uploads import MAX_UPLOAD_FILES, UploadError, format_size
from web.auth import current_principal
from web.context import data_source

log = logging.getLogger(__name__)

blueprint = Blueprint("boundary_upload", __name__)

PATH = "/upload/boundaries"
"""The route (in ``web.security.LARGE_BODY_PATHS``: its cap is ``settings.max_upload_bytes``)."""

TEMP_PARENT: Path | None = None
"""Where each request's private temporary folder is made (None: the system's temp folder)."""

MAX_FORM_MEMORY_BYTES = 1024 * 1024
"""werkzeug's ``max_form_memory_size``: the largest non-file field (``lang``, a ``layer_files``
entry, a flag), and also the most its multipart decoder may hold while it looks for the next
boundary (file data passes through that buffer in 64 KiB reads, so a much smaller value
refuses ordinary binary files)."""

MAX_MAP_ENTRIES = sum(len(columns) for columns in COLUMNS.values())
"""The most ``map`` entries a form may have: one per field of every layer."""

MAX_FORM_PARTS = MAX_UPLOAD_FILES + 2 * len(LAYER_ALIASES) + MAX_MAP_ENTRIES + 16
"""Parts one form may have: the files, their ``layer_files``, the column mapping and the flags,
with room to spare; werkzeug answers 413 beyond it."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


# --- the answer -----------------------------------------------------------------------------

def _query_lang() -> str:
    """The language the query string asks for (read without touching the body)."""
    return normalise_language(request.args.get("lang")
                              or data_source().settings.default_language)


def _wants_view() -> bool:
    return request.args.get("view", "").strip().lower() in _TRUE


def _answer(status: int, *, lang: str, imported: BoundaryImport | None = None,
            row: dict | None = None, activated: bool = False,
            errors: tuple[LocalisedError, ...] = (), view: dict | None = None) -> Response:
    body = {"report": report_data(imported, lang) if imported is not None else None,
            "version_id": row["id"] if row else None,
            "status": row["status"] if row else None,
            "staged": row is not None, "activated": activated,
            "errors": [{"key": e.catalogue_key, "message": e.message(lang)} for e in errors]}
    if view is not None and _wants_view():
        body["view"] = view
    response = Response(json.dumps(body, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False),
                        status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def report_data(imported: BoundaryImport, lang: str) -> dict:
    """The validation report as data: verdict, counts, files, and every finding with its
    message in ``lang``."""
    found = imported.report
    return {"ok": found.ok, "counts": found.counts, "sources": list(imported.sources),
            "errors": len(found.errors), "warnings": len(found.warnings),
            "issues": [{**issue.to_dict(), "message": issue.message(lang)}
                       for issue in found.issues]}


def _refusal_view(message: str, lang: str, activating: bool) -> dict:
    """The page's view of a refusal: the reason as the report (as for an unreadable file), and
    the result line when it was the Activate button that was pressed."""
    from layouts import boundaries as panel
    from layouts import upload as page

    result = page.result(t("boundary.refused", lang, reason=message), ok=False) \
        if activating else None
    return {"report": panel.unreadable(message, lang), "result": result,
            "activate_disabled": True, "townships": None, "grids": None}


def too_large(_exc=None) -> Response:
    """413, in the route's shape: the body is refused unread, so only the query string
    (``lang``, ``view``) is read."""
    lang = _query_lang()
    cap = request.max_content_length or data_source().settings.max_upload_bytes
    error = BoundaryError("over_limit", size=format_size(cap))
    return _answer(413, lang=lang, errors=(error,),
                   view=_refusal_view(error.message(lang), lang, activating=False))


blueprint.register_error_handler(RequestEntityTooLarge, too_large)


# --- the form -------------------------------------------------------------------------------

class _Spool:
    """Each file part of the body, written to a numbered file in a private folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.handles: list = []

    def __call__(self, total_content_length=None, content_type=None, filename=None,
                 content_length=None):
        handle = open(self.folder / f"part-{len(self.handles):03d}", "w+b")
        self.handles.append(handle)
        return handle

    def close(self) -> None:
        for handle in self.handles:
            try:
                handle.close()
            except OSError:
                pass


def _parse(spool: _Spool) -> tuple[MultiDict, MultiDict]:
    """The form fields and file parts of the body (files spooled to ``spool``'s folder).

    Raises
    ------
    BoundaryError
        When the body is not multipart/form-data or cannot be parsed.
    RequestEntityTooLarge
        When the body, a field or the number of parts is over its cap.
    """
    if request.mimetype != "multipart/form-data":
        raise BoundaryError("not_multipart")
    parser = FormDataParser(spool, max_form_memory_size=MAX_FORM_MEMORY_BYTES,
                            max_content_length=request.max_content_length,
                            cls=MultiDict, silent=False, max_form_parts=MAX_FORM_PARTS)
    try:
        _stream, form, files = parser.parse(request.stream, request.mimetype,
                                            request.content_length, request.mimetype_params)
    except RequestEntityTooLarge:
        raise
    except (ValueError, HTTPException):  # a broken boundary, a truncated body, bad headers
        raise BoundaryError("bad_form") from None
    return form, files


def _flag(form: MultiDict, name: str) -> bool:
    value = str(form.get(name, "")).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BoundaryError("bad_flag", field=name, value=value[:40])


def _shown_name(filename: str | None) -> str:
    """A file's name as sent, without any folder part: a label and an extension only, never
    a path on this server."""
    return PurePosixPath((filename or "").replace("\\", "/")).name.strip()[:200]


def _files(files: MultiDict) -> list[tuple[str, bytes]]:
    """The uploaded boundary files as (name, bytes), read back from the spool.

    Raises
    ------
    LocalisedError
        When there is none (an empty file input sends one part with no name and no bytes),
        or more than ``MAX_UPLOAD_FILES``.
    """
    out = []
    for storage in files.getlist("file"):
        name = _shown_name(storage.filename)
        storage.stream.seek(0)
        data = storage.stream.read()
        if not name and not data:
            continue
        out.append((name, data))
    if not out:
        raise BoundaryError("no_files")
    if len(out) > MAX_UPLOAD_FILES:
        raise UploadError("upload.too_many_files", n=len(out), max=MAX_UPLOAD_FILES)
    return out


def _layer_names(form: MultiDict, files: list[tuple[str, bytes]]) -> dict[str, str]:
    """``layer_files`` entries (``LAYER=FILE``) as file name → layer, as the CLI reads them.

    Raises
    ------
    BoundaryError
        When an entry is not ``LAYER=FILE`` with a known layer, or names a file not uploaded.
    """
    names = {name for name, _data in files}
    out: dict[str, str] = {}
    for spec in form.getlist("layer_files"):
        layer, sep, name = str(spec).partition("=")
        layer, name = layer.strip(), _shown_name(name)
        if not sep or layer not in LAYER_ALIASES or not name:
            raise BoundaryError("bad_layer_files", value=str(spec)[:80],
                                layers=", ".join(LAYER_ALIASES))
        if name not in names:
            raise BoundaryError("layer_file_unknown", name=name)
        out[name] = layer
    return out


# --- the route ------------------------------------------------------------------------------

@blueprint.post(PATH)
def upload_boundaries() -> Response:
    lang = _query_lang()
    who = current_principal()
    if not allows(who, "admin"):
        error = LocalisedError("request.not_permitted", action=say("action.admin"))
        return _answer(403, lang=lang, errors=(error,),
                       view=_refusal_view(error.message(lang), lang, activating=False))
    activating = False
    folder = Path(tempfile.mkdtemp(prefix="gw-boundary-upload-", dir=TEMP_PARENT))
    spool = _Spool(folder)
    try:
        form, parts = _parse(spool)
        if not request.args.get("lang") and form.get("lang"):
            lang = normalise_language(form.get("lang"))
        activating = _flag(form, "activate")
        return _check_and_keep(who, form, parts, lang, activating)
    except LocalisedError as exc:
        return _answer(400, lang=lang, errors=(exc,),
                       view=_refusal_view(exc.message(lang), lang, activating))
    except RequestEntityTooLarge:
        return too_large()
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("unexpected failure %s importing boundaries for %s", error_id, who.actor)
        error = BoundaryError("failed", id=error_id)
        response = _answer(500, lang=lang, errors=(error,),
                           view=_refusal_view(error.message(lang), lang, activating))
        response.headers["X-Error-Id"] = error_id
        return response
    finally:
        spool.close()
        shutil.rmtree(folder, ignore_errors=True)


def _check_and_keep(who: Principal, form: MultiDict, parts: MultiDict, lang: str,
                    activating: bool) -> Response:
    """Check the files; on a dry run report only, else keep them (and activate if asked)."""
    from layouts import boundaries as panel
    from layouts import upload as page

    dry_run = _flag(form, "dry_run")
    if dry_run and activating:
        raise BoundaryError("both_modes")
    new_region = _flag(form, "new_region")
    replace_history = _flag(form, "replace_history")
    if replace_history and not new_region:
        raise BoundaryError("replace_needs_new_region")
    county = {"name_zh": _region_name(form, "name_zh"), "name_en": _region_name(form, "name_en")}
    if not new_region and any(county.values()):
        raise BoundaryError("names_need_new_region")
    mapping = _mapping(form)
    datum = _datum(form)
    files = _files(parts)
    layer_names = _layer_names(form, files)
    source = data_source()
    active = source.region()
    imported = import_boundaries(files, active, store_codes(source.engine), layer_names,
                                 mapping, new_region=new_region, names=county, datum=datum)
    view = {"report": panel.report(imported, lang), "result": None,
            "activate_disabled": not imported.report.ok}
    if dry_run:
        view |= {"townships": imported.preview("townships"), "grids": imported.preview("grids")}
        if new_region and not replace_history and imported.report.ok:
            with source.engine.connect() as conn:
                rows = history_rows(conn)
            if rows:  # said before Activate is pressed: create_region would refuse it
                held = ", ".join(f"{k} {n:,}" for k, n in sorted(rows.items()))
                view["result"] = page.result(t("boundary.history_needs_box", lang, rows=held),
                                             ok=False)
        return _answer(200, lang=lang, imported=imported, view=view)
    if not imported.report.ok:
        error = BoundaryError("not_valid", n=len(imported.report.errors))
        view["result"] = page.result(t("boundary.refused", lang, reason=error.message(lang)),
                                     ok=False) if activating else None
        return _answer(400, lang=lang, imported=imported, errors=(error,), view=view)
    if new_region:
        return _new_region(who, source, imported, active, replace_history, lang, view)
    row = stage(source.writer, source.settings, imported, who.actor, activate=activating)
    if activating:
        line = page.result(t("boundary.activated", lang, id=row["id"]), ok=True)
    else:
        line = page.result(t("boundary.staged", lang, id=row["id"]), ok=True)
    view |= {"result": line, "activate_disabled": activating}
    return _answer(200, lang=lang, imported=imported, row=row, activated=activating, view=view)


def _mapping(form: MultiDict) -> ColumnMap:
    """The ``map`` entries as a column mapping (``parse_mapping``, as the CLI's ``--map``).

    Raises
    ------
    BoundaryError
        For more entries than ``MAX_MAP_ENTRIES`` or one ``parse_mapping`` refuses.
    """
    specs = [str(v).strip() for v in form.getlist("map") if str(v).strip()]
    if len(specs) > MAX_MAP_ENTRIES:
        raise BoundaryError("map_too_many", n=len(specs), max=MAX_MAP_ENTRIES)
    return parse_mapping([spec[:200] for spec in specs])


def _datum(form: MultiDict) -> str:
    """The ``datum`` field: one of ``DATUMS`` (``wgs84`` when not given).

    Raises
    ------
    BoundaryError
        For any other value.
    """
    value = str(form.get("datum", "") or "").strip().lower() or DATUMS[0]
    if value not in DATUMS:
        raise BoundaryError("bad_datum", value=value[:40], datums=", ".join(DATUMS))
    return value


MAX_NAME_CHARS = 60
"""The longest region name the form takes (``name_zh``, ``name_en``)."""


def _region_name(form: MultiDict, field: str) -> str:
    """A region name from the form, trimmed; empty when not given.

    Raises
    ------
    BoundaryError
        When it is longer than ``MAX_NAME_CHARS`` or holds control characters.
    """
    value = str(form.get(field, "") or "").strip()
    if len(value) > MAX_NAME_CHARS or any(not c.isprintable() for c in value):
        raise BoundaryError("bad_region_name", field=field, max=MAX_NAME_CHARS)
    return value


def _new_region(who: Principal, source, imported: BoundaryImport, active,
                replace_history: bool, lang: str, view: dict) -> Response:
    """Make the checked files the region in force (``create_region``, as the CLI's
    ``--new-region``); a refusal (history without ``replace_history``, an archive that cannot
    be written, a store written to meanwhile) is a 400 that changed nothing."""
    from layouts import upload as page

    try:
        row = create_region(source.writer, source.settings, imported, who.actor,
                            replace_history=replace_history, current=region_names(active))
    except LocalisedError as exc:
        if exc.catalogue_key == "boundary.history_in_store":  # the page's words for the flag
            exc = BoundaryError("history_in_store_page", **exc.params)
        view["result"] = page.result(t("boundary.refused", lang, reason=exc.message(lang)),
                                     ok=False)
        view["activate_disabled"] = False
        return _answer(400, lang=lang, imported=imported, errors=(exc,), view=view)
    named = region_names(imported.layers)
    lines = [t("boundary.region_created", lang, name_zh=named["name_zh"],
               name_en=named["name_en"], code=named["code"], id=row["id"])]
    if row["archive"] is not None:
        lines.append(t("boundary.history_archived", lang, name=Path(row["archive"]).name,
                       rows=", ".join(f"{k} {n:,}" for k, n in sorted(row["cleared"].items()))))
    for held in stale_scopes(source.engine, imported.layers):
        lines.append(t("boundary.scope_lost", lang, kind=held["kind"], name=held["name"],
                       scope=held["scope"]))
    view |= {"result": page.result(" ".join(lines), ok=True), "activate_disabled": True}
    return _answer(200, lang=lang, imported=imported, row=row, activated=True, view=view)
