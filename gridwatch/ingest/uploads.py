"""Files sent from the ``/data`` page: ``dcc.Upload`` data URLs to bytes, and the token that
writes them.

Nothing is kept on the server between a preview and its commit: the browser sends the file
again, and it is decoded and checked again before anything is written.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import Engine

from gridwatch.ingest.auth import Principal, authenticate, authorize
from gridwatch.ingest.errors import LocalisedError

MiB = 1024 * 1024


class UploadError(LocalisedError):
    """An upload that cannot be decoded or is over its size cap (keys ``upload.*``)."""


def decode_upload(name: str | None, contents: str | None, max_bytes: int) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (``data:<type>;base64,<payload>``).

    The size is checked on the encoded payload, before anything is decoded.

    Raises
    ------
    UploadError
        When the file is over ``max_bytes`` or the payload is not base64.
    """
    payload = (contents or "").partition(",")[2]
    if len(payload) > (max_bytes * 4) // 3 + 4:
        raise UploadError("upload.too_large", name=name or "?", mb=max_bytes // MiB)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("upload.damaged", name=name or "?") from None


def decode_uploads(names, contents, max_bytes: int) -> list[tuple[str, bytes]]:
    """The files of a ``multiple=True`` upload as (name, bytes), each under ``max_bytes``."""
    names = names if isinstance(names, list) else [names]
    contents = contents if isinstance(contents, list) else [contents]
    return [(name or "", decode_upload(name, content, max_bytes))
            for name, content in zip(names, contents, strict=True)]


def token_writer(engine: Engine, token: str | None) -> Principal | None:
    """The principal a token typed into the page names, if it may write; else None."""
    if not token or not token.strip():
        return None
    principal = authenticate(engine, f"Bearer {token.strip()}")
    if principal is None or not authorize(principal, "write"):
        return None
    return principal
