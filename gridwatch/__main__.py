"""Command line: ``python -m gridwatch <command> ...``.

Each feature module that offers commands has ``add_commands(subparsers)``; the parser it adds
sets ``func`` (called with the parsed arguments, returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "gridwatch.cli",
    "gridwatch.auth.cli",
    "gridwatch.export.cli",
    "gridwatch.ingest.cli",
    "gridwatch.privacy_cli",
    "gridwatch.store.backup_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gridwatch",
                                     description="Grid command dashboard: data and exports.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
