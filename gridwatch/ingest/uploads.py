"""Files sent from the ``/data`` page: ``dcc.Upload`` data URLs to bytes. (Who writes them is
the signed-in user the callbacks get as ``who``; no token is typed into the page.)

Nothing is kept on the server between a preview and its commit: the browser sends the file
again, and it is decoded and checked again before anything is written. What a callback receives
is whatever the browser sent, so every value is checked for its type before it is used: a
tampered request gets a refusal, never a traceback.
"""

from __future__ import annotations

import base64
import binascii

from gridwatch.ingest.errors import LocalisedError
from gridwatch.ingest.tables import MAX_FILE_BYTES
from gridwatch.settings import Settings

KiB = 1024
MiB = 1024 * 1024

REQUEST_OVERHEAD_BYTES = 16 * KiB
"""What a Dash callback request carries besides the file's base64 text: the JSON envelope
(output and input names), the data URL's ``data:<type>;base64,`` prefix, the file name, the
kind and the language. A few hundred bytes in practice; 16 KiB leaves room for long
file names."""

MAX_UPLOAD_FILES = 20
"""The most files one boundary upload may hold: a GeoPackage, or a zipped Shapefile or GeoJSON
file per layer (seven layers), with room to spare."""


class UploadError(LocalisedError):
    """An upload that cannot be decoded or is over its size cap (keys ``upload.*``)."""


def upload_limit_bytes(settings: Settings) -> int:
    """The largest table file the ``/data`` page takes, in bytes: what fits in one request.

    ``dcc.Upload`` sends the file base64-encoded inside a callback request, and every request is
    capped at ``settings.max_request_bytes``; base64 turns 3 bytes into 4, and the request
    carries ``REQUEST_OVERHEAD_BYTES`` besides. Never more than the table reader's own cap
    (``MAX_FILE_BYTES``). The page states this number, ``dcc.Upload`` refuses larger files, and
    the callbacks refuse (with a message) any larger file that reaches them.
    """
    fits = (settings.max_request_bytes - REQUEST_OVERHEAD_BYTES) * 3 // 4
    return max(0, min(MAX_FILE_BYTES, fits))


def format_size(n: int) -> str:
    """``n`` bytes for people, rounded down so a limit is never overstated: "756 KiB",
    "1.5 MiB", "100 MiB"."""
    if n >= MiB:
        tenths = n * 10 // MiB
        return f"{tenths // 10} MiB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MiB"
    if n >= KiB:
        return f"{n // KiB} KiB"
    return f"{n} B"


def decode_upload(name: str | None, contents: str | None, max_bytes: int) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (``data:<type>;base64,<payload>``).

    The size is checked on the encoded payload, before anything is decoded.

    Raises
    ------
    UploadError
        When the name or content is not text, the file is over ``max_bytes`` or the payload is
        not base64.
    """
    if name is not None and not isinstance(name, str):
        raise UploadError("upload.malformed")
    shown = (name or "?")[:120]
    if contents is not None and not isinstance(contents, str):
        raise UploadError("upload.damaged", name=shown)
    payload = (contents or "").partition(",")[2]
    too_big = UploadError("upload.over_limit", name=shown, size=format_size(max_bytes))
    if len(payload) > 4 * -(-max_bytes // 3):  # longer than any base64 of max_bytes bytes
        raise too_big
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("upload.damaged", name=shown) from None
    if len(data) > max_bytes:
        raise too_big
    return data


def decode_uploads(names, contents, max_bytes: int,
                   max_files: int = MAX_UPLOAD_FILES) -> list[tuple[str, bytes]]:
    """The files of a ``multiple=True`` upload as (name, bytes), each under ``max_bytes``.

    A single name and content (not in lists) is one file. Names may be missing (None); the
    contents must be data URLs, one per name.

    Raises
    ------
    UploadError
        When names and contents are not lists of the same length, a content is missing or not
        text, there are more than ``max_files`` files, or a file cannot be decoded.
    """
    if isinstance(names, (str, type(None))) and isinstance(contents, str):
        names, contents = [names], [contents]
    if not isinstance(names, list) or not isinstance(contents, list) \
            or len(names) != len(contents):
        raise UploadError("upload.malformed")
    if len(contents) > max_files:
        raise UploadError("upload.too_many_files", n=len(contents), max=max_files)
    if any(not isinstance(c, str) or not c for c in contents) \
            or any(n is not None and not isinstance(n, str) for n in names):
        raise UploadError("upload.malformed")
    return [(name or "", decode_upload(name, content, max_bytes))
            for name, content in zip(names, contents, strict=True)]

