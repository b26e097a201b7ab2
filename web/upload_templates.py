"""``GET /data/template/<kind>?format=csv|xlsx&lang=zh|en``: the upload template of a table
kind (``gridwatch.ingest.templates``), for those who may upload (``write``: operators and
admins); anyone else signed in gets 403 (anonymous callers never get here: ``web.auth.guard``
answers 401 or sends a page to the login).

The example rows carry the region's codes, those within the caller's scope first, so the
template passes the preview as it is downloaded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request

from gridwatch.auth.policy import allows
from gridwatch.i18n import normalise_language, t
from gridwatch.ingest.scope import Places
from gridwatch.ingest.templates import FORMATS, UPLOAD_KINDS, Examples, template_file
from web.auth import current_principal
from web.context import data_source

blueprint = Blueprint("upload_templates", __name__)


def template_href(kind: str, fmt: str, lang: str) -> str:
    """The URL of ``kind``'s template as ``fmt`` in ``lang``."""
    return f"/data/template/{kind}?" + urlencode({"format": fmt, "lang": lang})


def _refusal(key: str, lang: str, status: int) -> Response:
    return Response(t(key, lang), status=status, mimetype="text/plain")


@blueprint.get("/data/template/<kind>")
def template(kind: str):
    source = data_source()
    lang = normalise_language(request.args.get("lang") or source.settings.default_language)
    who = current_principal()
    if not allows(who, "write"):
        return _refusal("upload.template.forbidden", lang, 403)
    fmt = request.args.get("format", "csv")
    if kind not in UPLOAD_KINDS or fmt not in FORMATS:
        return _refusal("upload.template.unknown", lang, 404)
    tz = source.settings.timezone
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    examples = Examples.for_writer(Places.of(source.region()), who, today, tz)
    made = template_file(kind, fmt, lang, examples)
    response = Response(made.content, content_type=made.mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{kind}-template-{lang}.{fmt}\"; "
        f"filename*=UTF-8''{quote(made.filename)}")
    response.headers["Cache-Control"] = "no-store"
    return response
