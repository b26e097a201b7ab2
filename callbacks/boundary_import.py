"""Boundary import on ``/data``: the version list, and switching back to an earlier version,
as the signed-in admin.

Checking, keeping and activating uploaded files is not a callback: the page posts the files to
``POST /upload/boundaries`` (``web.boundary_upload``, driven by ``assets/boundaries.js``), which
streams them to disk instead of carrying them base64-encoded inside a callback request, and
hands the report it renders to the page's components. A result line it sets (activated) is an
input of ``show_versions``, so the version list follows.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks import bind
from gridwatch.auth.policy import Principal, allows
from gridwatch.i18n import normalise_language, t
from gridwatch.ingest.boundary_files import BoundaryError
from gridwatch.ingest.boundary_versions import activate_version, list_versions
from gridwatch.ingest.errors import LocalisedError, say
from gridwatch.service import DataSource
from layouts import boundaries as panel
from layouts import upload as page
from layouts.ids import ID
from layouts.map import layer_url


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


def reactivate_version(source: DataSource, clicks: int | None, version_id, lang: str | None,
                       who: Principal) -> dict:
    """Switch back is clicked → the chosen earlier version becomes the active one, with the
    signed-in caller (``who``, from the session: never from the page) in the audit log."""
    lang = normalise_language(lang)
    try:
        if not allows(who, "admin"):  # bind refuses such a caller first; this is a backstop
            raise LocalisedError("request.not_permitted", action=say("action.admin"))
        row = activate_version(source.writer, source.settings, chosen_version(version_id),
                               who.actor)
    except LocalisedError as exc:
        return {"result": page.result(t("boundary.refused", lang, reason=exc.message(lang)),
                                      ok=False)}
    return {"result": page.result(t("boundary.activated", lang, id=row["id"]), ok=True)}


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
    bind(app, source, reactivate_version,
         output={"result": Output(ID.BOUNDARY_RESULT, "children", allow_duplicate=True)},
         inputs={"clicks": Input(ID.BOUNDARY_REACTIVATE, "n_clicks"),
                 "version_id": State(ID.BOUNDARY_VERSIONS, "value"),
                 "lang": State(ID.LANG, "data")},
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
