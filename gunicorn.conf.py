"""gunicorn settings for ``make serve`` (``gunicorn -c gunicorn.conf.py wsgi:server``).

Read from the environment: ``HOST``/``PORT`` (else ``GRIDWATCH_HOST``/``GRIDWATCH_PORT``, else
127.0.0.1:8050), ``WORKERS`` (default 2 x cores + 1), ``GUNICORN_THREADS`` (threads per worker,
default 4), ``GUNICORN_KEEPALIVE`` (seconds, default 75) and ``GUNICORN_TIMEOUT`` (default 120).

- Each worker is a process with its own app, snapshot cache and connection pools (sized by
  ``GRIDWATCH_DB_POOL_SIZE``). Connections are opened only after the fork: the app is not
  preloaded (the master imports nothing of it), and ``post_fork`` disposes of any engine a
  worker might have inherited anyway.
- Keep-alive outlives the browsers' polling (the wall polls every ``wall_poll_seconds``, 1 s;
  analysts' pages every 2 s), so a browser keeps its connection instead of reconnecting on each
  poll; the gthread worker holds idle keep-alive connections without tying up a thread.
- gunicorn caps the request line and header sizes (below) but not the body: the app's own cap
  (Flask's MAX_CONTENT_LENGTH from ``GRIDWATCH_MAX_REQUEST_BYTES``/``MAX_UPLOAD_BYTES``,
  installed by ``web.security``) answers 413 before a body is read.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={value!r} is not a whole number") from None
    if number < 1:
        raise SystemExit(f"gunicorn.conf.py: {name}={value!r} must be 1 or more")
    return number


_host = os.environ.get("HOST") or os.environ.get("GRIDWATCH_HOST") or "127.0.0.1"
_port = os.environ.get("PORT") or os.environ.get("GRIDWATCH_PORT") or "8050"
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]

workers = _env_int("WORKERS", 2 * (os.cpu_count() or 1) + 1)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)
# A PNG/PDF export or a large upload may take a while; a stuck worker is restarted after this.
timeout = _env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
preload_app = False  # connections only after the fork: each worker builds its own app
# gunicorn 27's runtime control socket (~/.gunicorn/gunicorn.ctl) is one path per user: a second
# server on the host would take it over. Not used here; signals (HUP, TTIN/TTOU, TERM) still are.
control_socket_disable = True

# The request line and each header: gunicorn's own caps (the body: the app's, see above).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Logs to standard error; the access log only when asked (ACCESS_LOG=-), without query strings
# or headers, so no credential reaches it.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
accesslog = os.environ.get("ACCESS_LOG") or None
# Each line names the request's ID (the app's X-Request-Id answer header, also in its own log).
access_log_format = ('%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms pid=%(p)s '
                     'id=%({x-request-id}o)s')
# GRIDWATCH_LOG_FORMAT=json: gunicorn's own lines (the master's too) as JSON lines as well.
# (gunicorn turns its access log on whenever logconfig_dict is given: it is configured here
# only when asked, to the same place ACCESS_LOG names: "-" standard output, else a file.)
if os.environ.get("GRIDWATCH_LOG_FORMAT", "") == "json":
    # ("console" is the name gunicorn's default root logger uses: keep it defined.)
    _handlers = {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                   "stream": "ext://sys.stderr"},
                 "console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stdout"}}
    _loggers = {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"],
                                   "propagate": False, "qualname": "gunicorn.error"}}
    if accesslog and accesslog != "-":
        _handlers["access"] = {"class": "logging.FileHandler", "formatter": "json",
                               "filename": accesslog}
    _loggers["gunicorn.access"] = {"level": "INFO", "propagate": False,
                                   "handlers": (["console"] if accesslog == "-" else
                                                ["access"] if accesslog else []),
                                   "qualname": "gunicorn.access"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "gridwatch.logs.JsonFormatter"}},
        "handlers": _handlers,
        "loggers": _loggers,
    }
# Behind a proxy on the same host: trust its X-Forwarded-* headers (FORWARDED_ALLOW_IPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_fork(server, worker):
    """In the new worker: drop any pooled connection inherited from the master (none when the
    app is not preloaded; this makes ``--preload`` safe as well)."""
    import gc
    import sys

    if "sqlalchemy" not in sys.modules:
        return
    from sqlalchemy import Engine

    for obj in gc.get_objects():
        if isinstance(obj, Engine):
            obj.dispose(close=False)
