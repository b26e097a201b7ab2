"""Boundary import on ``/data``: check uploaded boundary files (report and preview map),
activate them as a new version, or switch back to an earlier version, as the token's owner.

As with table uploads, nothing is kept between steps: activation checks the files again.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.auth.policy import Principal
from gridwatch.i18n import normalise_language, t
from gridwatch.ingest.boundaries import BoundaryImport, import_boundaries
from gridwatch.ingest.boundary_files import MAX_BOUNDARY_BYTES, BoundaryError
from gridwatch.ingest.boundary_versions import activate_version, list_versions, stage, store_codes
from gridwatch.ingest.errors import LocalisedError
from gridwatch.ingest.uploads import decode_uploads, token_writer
from gridwatch.service import DataSource
from layouts import boundaries as panel
from layouts import upload as page
from layouts.ids import ID
from layouts.map import layer_url


def check_boundaries(source: DataSource, filenames, contents) -> BoundaryImport:
    """Import uploaded boundary files against the active region (nothing is stored).

    Raises
    ------
    LocalisedError
        When the upload is malformed (names and contents that are not lists of the same
        length, a missing content: a tampered request), or a file cannot be decoded, is unsafe
        or unreadable.
    """
    return import_boundaries(decode_uploads(filenames, contents, MAX_BOUNDARY_BYTES),
                             source.region(), store_codes(source.engine))


def preview_boundaries(source: DataSource, contents, filenames, lang: str | None) -> dict:
    """Boundary files are chosen → report and preview map; activate enabled if no errors."""
    lang = normalise_language(lang)
    nothing = {"townships": None, "grids": None, "activate_disabled": True, "result": None}
    if not contents:
        return {**nothing, "report": panel.empty(lang)}
    try:
        imported = check_boundaries(source, filenames, contents)
    except LocalisedError as exc:
        return {**nothing, "report": panel.unreadable(exc.message(lang), lang)}
    return {"report": panel.report(imported, lang), "activate_disabled": not imported.report.ok,
            "townships": imported.preview("townships"), "grids": imported.preview("grids"),
            "result": None}


def _activate(source: DataSource, token: str | None, lang: str,
              activate: Callable[[Principal], dict]) -> dict:
    """``activate`` as the writer ``token`` names → the result line: which version is active
    now, or why nothing changed (no token, a token that may not write, or a refusal)."""
    if not token:
        return {"result": page.result(t("upload.need_token", lang), ok=False)}
    principal = token_writer(source.engine, token)
    if principal is None:
        reason = "API token ✗"
    else:
        try:
            row = activate(principal)
        except LocalisedError as exc:
            reason = exc.message(lang)
        else:
            return {"result": page.result(t("boundary.activated", lang, id=row["id"]), ok=True)}
    return {"result": page.result(t("boundary.refused", lang, reason=reason), ok=False)}


def activate_boundaries(source: DataSource, clicks: int | None, filenames, contents,
                        token: str | None, lang: str | None) -> dict:
    """Activate is clicked → the files are checked again, kept as a version and activated."""
    return _activate(source, token, normalise_language(lang), lambda principal: stage(
        source.writer, source.settings, check_boundaries(source, filenames, contents),
        principal.actor, activate=True))


def chosen_version(version_id) -> int:
    """The version number the radio items sent; anything else (nothing chosen, or a tampered
    value: text, a list, a fraction, a huge number) is refused with a message.

    Raises
    ------
    BoundaryError
    """
    if version_id is None or version_id == "":
        raise BoundaryError("choose_version")
    if isinstance(version_id, str) and version_id.isascii() and version_id.isdigit() \
            and len(version_id) <= 18:
        version_id = int(version_id)
    if isinstance(version_id, int) and not isinstance(version_id, bool) \
            and 0 < version_id < 2 ** 63:
        return version_id
    raise BoundaryError("no_version", id=(version_id if isinstance(version_id, str)
                                          else repr(version_id))[:40])


def reactivate_version(source: DataSource, clicks: int | None, version_id,
                       token: str | None, lang: str | None) -> dict:
    """Switch back is clicked → the chosen earlier version becomes the active one."""
    return _activate(source, token, normalise_language(lang), lambda principal: activate_version(
        source.writer, source.settings, chosen_version(version_id), principal.actor))


def show_versions(source: DataSource, result, lang: str | None) -> dict:
    """The page opens or a version is activated → the version list and the townships in use."""
    rows = list_versions(source.engine)
    active = next((r["id"] for r in rows if r["status"] == "active"), None)
    return {"options": panel.version_options(rows, normalise_language(lang)), "value": active,
            "current": layer_url(source.region(), "townships")}


def reactivate_enabled(source: DataSource, value, options: list[dict] | None) -> dict:
    """A version is chosen → switch back is enabled unless it is the active one."""
    # The active version's option is disabled: there is nothing to switch back to.
    listed = options if isinstance(options, list) else []
    return {"disabled": not any(isinstance(o, dict) and o.get("value") == value
                                and not o.get("disabled") for o in listed)}


def register(app: Dash, source: DataSource) -> None:
    bind(app, source, preview_boundaries,
         output={"report": Output(ID.BOUNDARY_REPORT, "children"),
                 "activate_disabled": Output(ID.BOUNDARY_ACTIVATE, "disabled"),
                 "townships": Output(ID.BOUNDARY_TOWNSHIPS, "data"),
                 "grids": Output(ID.BOUNDARY_GRIDS, "data"),
                 "result": Output(ID.BOUNDARY_RESULT, "children")},
         inputs={"contents": Input(ID.BOUNDARY_FILE, "contents"),
                 "filenames": State(ID.BOUNDARY_FILE, "filename"),
                 "lang": State(ID.LANG, "data")})
    bind(app, source, activate_boundaries,
         output={"result": Output(ID.BOUNDARY_RESULT, "children", allow_duplicate=True)},
         inputs={"clicks": Input(ID.BOUNDARY_ACTIVATE, "n_clicks"),
                 "filenames": State(ID.BOUNDARY_FILE, "filename"),
                 "contents": State(ID.BOUNDARY_FILE, "contents"),
                 "token": State(ID.UPLOAD_TOKEN, "value"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
    bind(app, source, reactivate_version,
         output={"result": Output(ID.BOUNDARY_RESULT, "children", allow_duplicate=True)},
         inputs={"clicks": Input(ID.BOUNDARY_REACTIVATE, "n_clicks"),
                 "version_id": State(ID.BOUNDARY_VERSIONS, "value"),
                 "token": State(ID.UPLOAD_TOKEN, "value"), "lang": State(ID.LANG, "data")},
         prevent_initial_call=True)
    bind(app, source, show_versions,
         output={"options": Output(ID.BOUNDARY_VERSIONS, "options"),
                 "value": Output(ID.BOUNDARY_VERSIONS, "value"),
                 "current": Output(ID.BOUNDARY_CURRENT, "url")},
         inputs={"result": Input(ID.BOUNDARY_RESULT, "children"),
                 "lang": State(ID.LANG, "data")})
    bind(app, source, reactivate_enabled,
         output={"disabled": Output(ID.BOUNDARY_REACTIVATE, "disabled")},
         inputs={"value": Input(ID.BOUNDARY_VERSIONS, "value"),
                 "options": State(ID.BOUNDARY_VERSIONS, "options")})
