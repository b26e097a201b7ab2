"""Ingest commands: ``token create|revoke|list``."""

from __future__ import annotations

import sys

from gridwatch.ingest.auth import create_token, list_tokens, revoke_token
from gridwatch.settings import Settings
from gridwatch.store.db import make_engine, migrate


def _engine(args):
    settings = Settings.from_env(database_url=getattr(args, "database_url", None))
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def token_create(args) -> int:
    """Create a token and print it once; only its digest is stored."""
    try:
        token_id, token = create_token(_engine(args), args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"token {token_id} ({args.name}) created; it is shown only this once. Send it as "
          "'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def token_revoke(args) -> int:
    count = revoke_token(_engine(args), args.token)
    if not count:
        print(f"error: no live token with id or name {args.token!r}", file=sys.stderr)
        return 1
    print(f"revoked {count} token(s)")
    return 0


def token_list(args) -> int:
    for row in list_tokens(_engine(args)):
        state = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "live"
        used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "never"
        print(f"{row['id']:>4}  {row['prefix']}…  {row['name']:<24} {state:<24} last used {used}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("token", help="create, revoke and list API tokens")
    tokens = p.add_subparsers(dest="token_command", required=True)
    create = tokens.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True, help="who or what will use the token")
    create.set_defaults(func=token_create)
    revoke = tokens.add_parser("revoke", help="revoke a token by id or name")
    revoke.add_argument("token", help="the token's id or name")
    revoke.set_defaults(func=token_revoke)
    listing = tokens.add_parser("list", help="list tokens (never their secret)")
    listing.set_defaults(func=token_list)
    for parser in (create, revoke, listing):
        parser.add_argument("--database-url")
