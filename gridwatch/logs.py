"""Secrets never reach a log line: database passwords in URLs and bearer/kiosk tokens are masked.

``install_masking()`` (called by ``python app.py`` and ``wsgi.py``) puts ``SecretMaskingFilter``
on the root logger and on each of its handlers (a filter on a logger alone does not see records
that propagate up from child loggers such as ``gridwatch.*`` or ``werkzeug``), and on the
handlers of gunicorn's own loggers, which do not propagate.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# scheme://user:PASSWORD@host  (postgresql://, postgresql+psycopg://, mysql://, redis://, ...)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@\s]+(?=@)")
# The app's own tokens: API tokens gw_..., kiosk secrets gwk_... (token_urlsafe alphabet).
_TOKEN = re.compile(r"\b(?P<prefix>gwk?_)[A-Za-z0-9_\-]{8,}")
# Any ``Authorization: Bearer <credential>``, whatever the credential looks like.
_BEARER = re.compile(r"(?P<head>\bBearer\s+)[^\s,;\"']+", re.IGNORECASE)

LOGGERS_WITH_OWN_HANDLERS = ("gunicorn.error", "gunicorn.access")


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords, ``gw_``/``gwk_`` tokens and bearer credentials masked."""
    text = _URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
    text = _TOKEN.sub(rf"\g<prefix>{MASK}", text)
    return _BEARER.sub(rf"\g<head>{MASK}", text)


class SecretMaskingFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) and traceback text, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        masked = mask_secrets(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


def _add(filterer: logging.Filterer, mask: SecretMaskingFilter) -> None:
    if not any(isinstance(f, SecretMaskingFilter) for f in filterer.filters):
        filterer.addFilter(mask)


def install_masking() -> SecretMaskingFilter:
    """Install the filter on the root logger and its handlers (and gunicorn's); idempotent.

    Call it after the handlers are configured (``logging.basicConfig``): a handler added
    later has no filter unless this runs again.
    """
    mask = SecretMaskingFilter()
    root = logging.getLogger()
    _add(root, mask)
    for handler in root.handlers:
        _add(handler, mask)
    for name in LOGGERS_WITH_OWN_HANDLERS:
        logger = logging.getLogger(name)
        _add(logger, mask)
        for handler in logger.handlers:
            _add(handler, mask)
    return mask
