"""Log lines: secrets masked, as text or as one JSON object per line, with the request's ID.

``configure_logging(fmt)`` (called by ``python app.py`` and ``wsgi.py``) sends records to
standard error as text (``make run``) or JSON lines (``GRIDWATCH_LOG_FORMAT=json``, for a
deployment's log collector), and ``install_masking()`` puts ``SecretMaskingFilter`` on the root
logger and on each of its handlers (a filter on a logger alone does not see records that
propagate up from child loggers such as ``gridwatch.*`` or ``werkzeug``), and on the handlers of
gunicorn's own loggers, which do not propagate. Database passwords in URLs and bearer/kiosk
tokens are masked in every line.

While a request is answered, ``REQUEST_ID`` holds its ID (``web.security`` sets it from a
proxy's ``X-Request-Id`` or makes one, and answers it in the same header): a JSON line carries it
as ``request_id``, a text line as ``[id]``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

MASK = "***"

# scheme://user:PASSWORD@host  (postgresql://, postgresql+psycopg://, mysql://, redis://, ...)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@\s]+(?=@)")
# The app's own tokens: API tokens gw_..., kiosk secrets gwk_... (token_urlsafe alphabet).
_TOKEN = re.compile(r"\b(?P<prefix>gwk?_)[A-Za-z0-9_\-]{8,}")
# Any ``Authorization: Bearer <credential>``, whatever the credential looks like.
_BEARER = re.compile(r"(?P<head>\bBearer\s+)[^\s,;\"']+", re.IGNORECASE)

LOGGERS_WITH_OWN_HANDLERS = ("gunicorn.error", "gunicorn.access")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s%(request_tag)s %(message)s"

REQUEST_ID: ContextVar[str | None] = ContextVar("gridwatch_request_id", default=None)


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


class _RequestTag(logging.Filter):
    """Gives every record ``request_id`` (None outside a request) and ``request_tag``."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request_id = request_id
        record.request_tag = f" [{request_id}]" if request_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, pid, message, and the
    request's ID and the traceback when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process or os.getpid(),
            # masked here as well: gunicorn's master formats its lines without our filter
            "message": mask_secrets(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = mask_secrets(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_secrets(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """Log to standard error as ``fmt`` ("text" or "json"), secrets masked; idempotent.

    The root logger gets one stream handler if it has none (under gunicorn it has none and
    gunicorn's own loggers keep their handlers: both get the formatter and the filters).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (known: {', '.join(FORMATS)})")
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    tag = _RequestTag()
    handlers = list(root.handlers)
    for name in LOGGERS_WITH_OWN_HANDLERS:
        handlers += logging.getLogger(name).handlers
    for handler in handlers:
        if not any(isinstance(f, _RequestTag) for f in handler.filters):
            handler.addFilter(tag)
        if fmt == "json" or handler in root.handlers:
            handler.setFormatter(formatter)
    install_masking()


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
