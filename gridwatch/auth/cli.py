"""``python -m gridwatch user ...`` and ``python -m gridwatch kiosk ...``.

Passwords and kiosk links are printed once, to standard output; only their hashes are kept.
"""

from __future__ import annotations

import sys

from gridwatch.auth.accounts import (
    AccountError,
    create_user,
    list_users,
    set_disabled,
    set_password,
    set_role,
)
from gridwatch.auth.policy import ROLES, Scope, ScopeError
from gridwatch.auth.sessions import create_kiosk, list_kiosks, revoke_kiosk
from gridwatch.cli import cli_actor, open_source


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _scope(args, source, required: bool) -> Scope | None:
    given = bool(args.county or args.township or args.village)
    if not given:
        if required:
            raise ScopeError("an operator needs a scope: --county, --township CODE ... or "
                             "--village CODE ...")
        return None
    scope = Scope.of(args.township or (), args.village or (), args.county)
    region = source.region()
    scope.check(region.townships["code"].astype(str), region.grid_table["village_code"]
                .astype(str))
    return scope


def user_create(args) -> int:
    source = open_source(args)
    try:
        scope = _scope(args, source, args.role == "operator")
        account, password = create_user(source.writer, args.name, args.role, scope,
                                        actor=cli_actor())
    except (AccountError, ScopeError) as exc:
        return _fail(str(exc))
    print(password)
    print(f"user {account.name} ({account.role}, {account.scope}) created; the password above "
          "is shown only this once.", file=sys.stderr)
    return 0


def user_set_role(args) -> int:
    source = open_source(args)
    try:
        scope = _scope(args, source, False)
        account = set_role(source.writer, args.name, args.role, scope, actor=cli_actor())
    except (AccountError, ScopeError) as exc:
        return _fail(str(exc))
    print(f"user {account.name} is now {account.role} ({account.scope}); open sessions follow "
          "at their next request")
    return 0


def user_disable(args) -> int:
    try:
        account = set_disabled(open_source(args).writer, args.name, not args.enable,
                               actor=cli_actor())
    except AccountError as exc:
        return _fail(str(exc))
    what = "disabled; its sessions ended" if account.disabled else "enabled"
    print(f"user {account.name} {what}")
    return 0


def user_reset_password(args) -> int:
    try:
        password = set_password(open_source(args).writer, args.name, actor=cli_actor())
    except AccountError as exc:
        return _fail(str(exc))
    print(password)
    print(f"new password for {args.name} (shown only this once); its sessions ended and any "
          "lockout cleared", file=sys.stderr)
    return 0


def user_list(args) -> int:
    for a in list_users(open_source(args).engine):
        state = "disabled" if a.disabled else "active"
        print(f"{a.name:<24} {a.role:<9} {a.scope!s:<32} {state:<9} "
              f"created {a.created_at:%Y-%m-%d %H:%M}")
    return 0


def kiosk_create(args) -> int:
    source = open_source(args)
    try:
        info, secret = create_kiosk(source.writer, args.name, actor=cli_actor())
    except AccountError as exc:
        return _fail(str(exc))
    base = (args.base_url or f"http://{source.settings.host}:{source.settings.port}").rstrip("/")
    print(f"{base}/kiosk/{secret}")
    print(f"kiosk {info.name} created: open the link above on the wall's browser (shown only "
          f"this once); `python -m gridwatch kiosk revoke {info.name}` stops it.",
          file=sys.stderr)
    return 0


def kiosk_revoke(args) -> int:
    count = revoke_kiosk(open_source(args).writer, args.name, actor=cli_actor())
    if not count:
        return _fail(f"no live kiosk named {args.name!r}")
    print(f"kiosk {args.name} revoked: its wall shows 'access revoked' at its next poll")
    return 0


def kiosk_list(args) -> int:
    for k in list_kiosks(open_source(args).engine):
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
        seen = f"{k.last_seen_at:%Y-%m-%d %H:%M}" if k.last_seen_at else "never"
        print(f"{k.name:<24} {state:<24} last opened {seen}")
    return 0


def _scope_arguments(parser) -> None:
    parser.add_argument("--county", action="store_true", help="scope: the whole county")
    parser.add_argument("--township", nargs="+", metavar="CODE", help="scope: these townships")
    parser.add_argument("--village", nargs="+", metavar="CODE", help="scope: these villages")


def add_commands(sub) -> None:
    p = sub.add_parser("user", help="create, list, disable users; set roles and passwords")
    users = p.add_subparsers(dest="user_command", required=True)
    create = users.add_parser("create", help="create a user and print its password once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    _scope_arguments(create)
    create.set_defaults(func=user_create)
    role = users.add_parser("set-role", help="change a user's role (and scope)")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    _scope_arguments(role)
    role.set_defaults(func=user_set_role)
    disable = users.add_parser("disable", help="disable a user (its sessions end at once)")
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="enable the user again")
    disable.set_defaults(func=user_disable)
    reset = users.add_parser("reset-password", help="print a new password for a user")
    reset.add_argument("name")
    reset.set_defaults(func=user_reset_password)
    listing = users.add_parser("list", help="list users")
    listing.set_defaults(func=user_list)

    p = sub.add_parser("kiosk", help="wall displays' standing read-only access")
    kiosks = p.add_subparsers(dest="kiosk_command", required=True)
    kcreate = kiosks.add_parser("create", help="create a kiosk and print its link once")
    kcreate.add_argument("--name", required=True)
    kcreate.add_argument("--base-url", help="the address walls reach the app at "
                         "(default: http://HOST:PORT from the settings)")
    kcreate.set_defaults(func=kiosk_create)
    krevoke = kiosks.add_parser("revoke", help="revoke a kiosk: its wall stops at its next poll")
    krevoke.add_argument("name")
    krevoke.set_defaults(func=kiosk_revoke)
    klist = kiosks.add_parser("list", help="list kiosks")
    klist.set_defaults(func=kiosk_list)
    for parser in (create, role, disable, reset, listing, kcreate, krevoke, klist):
        parser.add_argument("--database-url")
