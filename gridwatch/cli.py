"""Store commands: create/migrate and seed the store, and print the article's figures."""

from __future__ import annotations

import json

from gridwatch.metrics import headline_figures
from gridwatch.service import DataSource
from gridwatch.settings import Settings


def open_source(args) -> DataSource:
    """The store of ``--database-url`` (or the settings), ready: migrated, seeded when empty
    and seeding is on, and with a first ``admin`` (its password printed once) when it has no
    users yet. Every command starts here, so any of them initialises a fresh store."""
    source = DataSource(Settings.from_env_or_exit(
        database_url=getattr(args, "database_url", None)))
    source.prepare()
    return source


def cli_actor() -> str:
    """Who runs a command, for the audit log: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (e.g. a container without /etc/passwd entry)
        return "cli"


def init_store(args) -> int:
    """Migrate the store; seed the demo history when it is empty (never overwrites)."""
    source = open_source(args)
    version = source.snapshot().version
    print(f"store ready at {source.settings.database_url} (data version {version})")
    return 0


def figures(args) -> int:
    source = open_source(args)
    print(json.dumps(headline_figures(source.snapshot()), ensure_ascii=False, indent=2))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("init-store", help="create/migrate the store and seed it if empty")
    p.add_argument("--database-url")
    p.set_defaults(func=init_store)
    p = sub.add_parser("figures", help="print the headline figures computed from the store")
    p.add_argument("--database-url")
    p.set_defaults(func=figures)
