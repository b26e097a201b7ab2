"""Backup commands: ``python -m gridwatch backup --output FILE`` and ``restore FILE``.

The work is in ``gridwatch.store.backup``; these commands read the store's URL (``--database-url``
or the settings), print what was written or restored, and end any failure with one line on
standard error (``error: ...``, secrets masked) and exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gridwatch.logs import mask_secrets
from gridwatch.settings import Settings
from gridwatch.store.backup import INIT_COMMAND, BackupError, Outcome
from gridwatch.store.db import safe_url


def _database_url(args) -> str:
    return Settings.from_env_or_exit(database_url=args.database_url).database_url


def _fail(message: str) -> int:
    print(f"error: {mask_secrets(' '.join(message.split()))}", file=sys.stderr, flush=True)
    return 2


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _schema_note(outcome: Outcome) -> str:
    if not outcome.revisions:
        return "no schema"
    if outcome.behind:
        return (f"schema revision {outcome.revision_text()}, behind this code's "
                f"{', '.join(outcome.heads)}")
    return f"schema revision {outcome.revision_text()}"


def _guarded(work) -> int:
    """Run ``work()``; any failure is one masked line and exit code 2, never a traceback."""
    try:
        return work()
    except BackupError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # the unforeseen: still one line
        first = (str(exc).strip().splitlines() or [""])[0]
        return _fail(f"{type(exc).__name__}: {first}")


def backup_command(args) -> int:
    def work() -> int:
        from gridwatch.store.backup import backup

        url = _database_url(args)
        done = backup(url, Path(args.output), force=args.force)
        print(f"backup of {safe_url(url)} written to {done.path}: {_size(done.size)}, "
              f"data version {done.version or 0}, {_schema_note(done)}", flush=True)
        return 0

    return _guarded(work)


def restore_command(args) -> int:
    def work() -> int:
        from gridwatch.store.backup import restore

        url = _database_url(args)
        done = restore(url, Path(args.file), replace=args.replace)
        print(f"restored {args.file} into {safe_url(url)}: data version {done.version or 0}, "
              f"{_schema_note(done)}", flush=True)
        if done.dropped:
            print(f"dropped tables the backup does not have: {', '.join(done.dropped)}",
                  flush=True)
        if done.behind:
            print(f"the schema is behind this code: run `{INIT_COMMAND}` next (with the "
                  f"same GRIDWATCH_DATABASE_URL) to migrate it", flush=True)
        return 0

    return _guarded(work)


def add_commands(sub) -> None:
    p = sub.add_parser("backup", help="write a consistent backup of the store (SQLite: online "
                       "copy; PostgreSQL: pg_dump --format=custom)")
    p.add_argument("--output", "-o", required=True, help="the backup file to write")
    p.add_argument("--database-url")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(func=backup_command)
    p = sub.add_parser("restore", help="restore a backup into the store (refused if the store "
                       "holds data, unless --replace)")
    p.add_argument("file", help="a file written by `python -m gridwatch backup`")
    p.add_argument("--database-url")
    p.add_argument("--replace", action="store_true",
                   help="replace the data the store holds (take a backup of it first)")
    p.set_defaults(func=restore_command)
