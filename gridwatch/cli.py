"""Store commands: create/migrate and seed the store, and print the article's figures."""

from __future__ import annotations

import json

from gridwatch.metrics import headline_figures
from gridwatch.service import DataSource
from gridwatch.settings import Settings


def _source(args) -> DataSource:
    return DataSource(Settings.from_env_or_exit(database_url=getattr(args, "database_url", None)))


def init_store(args) -> int:
    """Migrate the store; seed the demo history when it is empty (never overwrites)."""
    source = _source(args)
    source.prepare()
    version = source.snapshot().version
    print(f"store ready at {source.settings.database_url} (data version {version})")
    return 0


def figures(args) -> int:
    source = _source(args)
    print(json.dumps(headline_figures(source.snapshot()), ensure_ascii=False, indent=2))
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("init-store", help="create/migrate the store and seed it if empty")
    p.add_argument("--database-url")
    p.set_defaults(func=init_store)
    p = sub.add_parser("figures", help="print the headline figures computed from the store")
    p.add_argument("--database-url")
    p.set_defaults(func=figures)
