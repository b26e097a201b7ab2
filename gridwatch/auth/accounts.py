"""User accounts: create, change role, disable, passwords (argon2), logging in with a lockout.

Everything here is counted and kept in the store, so every server process shares it: a
lockout set by one worker holds in all; a role change or a disabled account takes effect at
the next request of every open session (``gridwatch.auth.sessions`` reads the account on
each request). Changes are audited through the one write path (``gridwatch.store.writes``);
they are not data, so walls do not reload for them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from gridwatch.auth.policy import COUNTY, ROLES, Principal, Scope, ScopeError
from gridwatch.store.models import LoginFailure, LoginSession, User
from gridwatch.store.writes import now_utc, write

LOCKOUT_FAILURES = 5
"""Failed logins for one name within ``LOCKOUT_WINDOW`` that lock it."""
LOCKOUT_WINDOW = timedelta(minutes=5)
LOCKOUT_FOR = timedelta(minutes=5)
MIN_PASSWORD = 10
MAX_PASSWORD = 256
NAME_LENGTH = (1, 64)

_hasher = PasswordHasher()
# A hash to verify against when the name is unknown, so that an unknown name takes as long.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says why (in English; the
    login page shows its own bilingual texts)."""


def generate_password() -> str:
    """A random password to be shown once (about 120 bits)."""
    return secrets.token_urlsafe(15)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    return role


def _check_scope(role: str, scope: Scope | None) -> Scope:
    if role == "operator" and scope is None:
        raise AccountError("an operator needs a scope: --county, --township CODE ... "
                           "or --village CODE ...")
    return scope or COUNTY


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1] or any(c.isspace() for c in name):
        raise AccountError("a user name is 1 to 64 characters without spaces")
    return name


def _check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise AccountError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


@dataclass(frozen=True)
class Account:
    """What the store holds about a user (never the password hash)."""

    id: int
    name: str
    role: str
    scope: Scope
    created_at: datetime
    disabled: bool
    locked_until: datetime | None

    def principal(self, session: str | None = None) -> Principal:
        return Principal("user", self.role, self.scope, self.id, self.name, session)


def _account(row: User) -> Account:
    return Account(row.id, row.name, row.role, Scope.parse(row.scope), row.created_at,
                   row.disabled_at is not None, row.locked_until)


def _get(session: Session, name: str) -> User:
    row = session.scalars(select(User).where(User.name == name)).first()
    if row is None:
        raise AccountError(f"no user named {name!r}")
    return row


def create_user(engine: Engine, name: str, role: str, scope: Scope | None = None, *,
                actor: str = "cli", password: str | None = None,
                address: str = "") -> tuple[Account, str]:
    """Create a user; return the account and its password (generated unless given)."""
    name, role = _check_name(name), _check_role(role)
    scope = _check_scope(role, scope)
    password = _check_password(password) if password is not None else generate_password()
    with write(engine, actor, address=address) as w:
        if w.session.scalars(select(User.id).where(User.name == name)).first() is not None:
            raise AccountError(f"a user named {name!r} exists already")
        now = w.ctx.now
        row = User(name=name, role=role, scope=str(scope), password_hash=_hasher.hash(password),
                   created_at=now, password_changed_at=now)
        w.session.add(row)
        w.session.flush()
        w.audit([{"action": "user.create", "entity": "user", "entity_key": name,
                  "after": {"role": role, "scope": str(scope)}}], visible=False)
        account = _account(row)
    return account, password


def ensure_first_admin(engine: Engine) -> str | None:
    """On a store without users, create ``admin`` and return its password (else None).

    Safe when several processes start at once: the check and the insert are one write.
    """
    with write(engine, "first-run") as w:
        if w.session.scalar(select(func.count()).select_from(User)):
            return None
        password = generate_password()
        now = w.ctx.now
        w.session.add(User(name="admin", role="admin", scope="county", created_at=now,
                           password_hash=_hasher.hash(password), password_changed_at=now))
        w.audit([{"action": "user.create", "entity": "user", "entity_key": "admin",
                  "after": {"role": "admin", "scope": "county", "first_run": True}}],
                visible=False)
    return password


def list_users(engine: Engine) -> list[Account]:
    with Session(engine) as s:
        return [_account(r) for r in s.scalars(select(User).order_by(User.name))]


def get_user(engine: Engine, user_id: int) -> Account | None:
    with Session(engine) as s:
        row = s.get(User, user_id)
        return _account(row) if row is not None else None


def _end_sessions(session: Session, user_id: int, now: datetime) -> None:
    for row in session.scalars(select(LoginSession).where(LoginSession.user_id == user_id,
                                                          LoginSession.ended_at.is_(None))):
        row.ended_at = now


def _keeps_an_admin(session: Session, row: User) -> None:
    """Refuse a change that would leave no enabled admin (checked in the change's own write
    transaction, so two admins demoting each other at once cannot both succeed)."""
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.disabled_at.is_(None), User.id != row.id))
    if not others:
        raise AccountError("this is the last enabled admin: make another admin first")


def set_role(engine: Engine, name: str, role: str, scope: Scope | None = None, *,
             actor: str = "cli", address: str = "") -> Account:
    """Give ``name`` a new role (and scope); its open sessions see it at their next request."""
    role = _check_role(role)
    with write(engine, actor, address=address) as w:
        row = _get(w.session, name)
        if row.role == "admin" and role != "admin":
            _keeps_an_admin(w.session, row)
        before = {"role": row.role, "scope": row.scope}
        if scope is None and role == "operator" and row.role == "operator":
            scope = Scope.parse(row.scope)
        scope = _check_scope(role, scope)
        row.role, row.scope = role, str(scope)
        w.audit([{"action": "user.role", "entity": "user", "entity_key": name,
                  "before": before, "after": {"role": role, "scope": str(scope)}}],
                visible=False)
        return _account(row)


def set_disabled(engine: Engine, name: str, disabled: bool = True, *,
                 actor: str = "cli", address: str = "") -> Account:
    """Disable (or enable again) ``name``; a disabled user's sessions end at once."""
    with write(engine, actor, address=address) as w:
        row = _get(w.session, name)
        if disabled and row.role == "admin" and row.disabled_at is None:
            _keeps_an_admin(w.session, row)
        row.disabled_at = w.ctx.now if disabled else None
        if disabled:
            _end_sessions(w.session, row.id, w.ctx.now)
        w.audit([{"action": "user.disable" if disabled else "user.enable", "entity": "user",
                  "entity_key": name}], visible=False)
        return _account(row)


def set_password(engine: Engine, name: str, password: str | None = None, *,
                 actor: str = "cli", address: str = "") -> str:
    """Set (or generate) ``name``'s password, clear its lockout, end its sessions; return it."""
    password = _check_password(password) if password is not None else generate_password()
    with write(engine, actor, address=address) as w:
        row = _get(w.session, name)
        row.password_hash = _hasher.hash(password)
        row.password_changed_at = w.ctx.now
        row.locked_until = None
        w.session.execute(delete(LoginFailure).where(LoginFailure.name == name))
        _end_sessions(w.session, row.id, w.ctx.now)
        w.audit([{"action": "user.password", "entity": "user", "entity_key": name}],
                visible=False)
    return password


def change_own_password(engine: Engine, user_id: int, current: str, new: str, *,
                        address: str = "", keep_session: str | None = None) -> None:
    """A user changes their own password; ``AccountError`` when ``current`` is wrong. Every
    other session of the user ends (``keep_session``, the digest of the one asking, stays)."""
    _check_password(new)
    with Session(engine) as s:
        row = s.get(User, user_id)
        if row is None or not _verify(row.password_hash, current):
            raise AccountError("the current password is not right")
        name = row.name
    with write(engine, f"user:{user_id}:{name}", address=address) as w:
        row = w.session.get(User, user_id)
        row.password_hash = _hasher.hash(new)
        row.password_changed_at = w.ctx.now
        for other in w.session.scalars(select(LoginSession).where(
                LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
                LoginSession.digest != (keep_session or ""))):
            other.ended_at = w.ctx.now
        w.audit([{"action": "user.password", "entity": "user", "entity_key": name,
                  "after": {"by": "self"}}], visible=False)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    """``account`` when the name and password were right; else why not (``locked`` until)."""

    account: Account | None = None
    locked_until: datetime | None = None


def log_in(engine: Engine, name: str, password: str, address: str = "") -> LoginResult:
    """Check a name and password, counting failures in the store and locking after five.

    Every failure and lockout is audited; a locked account refuses even the right password
    until the lock ends. Unknown names are counted the same way (and answer the same), so the
    answers do not tell which names exist.
    """
    name = (name or "").strip()[:64]
    password = (password or "")[:MAX_PASSWORD + 1]
    now = now_utc()
    with Session(engine) as s:
        row = s.scalars(select(User).where(User.name == name)).first() if name else None
        locked = row.locked_until if row is not None and row.locked_until else None
        if row is None and _recent_failures(s, name, now) >= LOCKOUT_FAILURES:
            locked = now + LOCKOUT_FOR  # an unknown name locks alike: answers tell nothing
        good = _verify(row.password_hash if row is not None else _DUMMY, password)
        usable = row is not None and row.disabled_at is None
        account = _account(row) if row is not None else None
    if locked is not None and locked > now:
        _audit_login(engine, name, "login.refused_locked", address, {"until": locked})
        return LoginResult(locked_until=locked)
    if good and usable:
        _audit_login(engine, name, "login.ok", address, None)
        return LoginResult(account=account)
    return _count_failure(engine, name, address, disabled=row is not None and not usable)


def _audit_login(engine: Engine, name: str, action: str, address: str, after) -> None:
    with write(engine, f"login:{name}"[:96], address=address) as w:
        w.audit([{"action": action, "entity": "user", "entity_key": name or "-",
                  "after": after}], visible=False)


def _recent_failures(session: Session, name: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.name == name, LoginFailure.at > now - LOCKOUT_WINDOW)) or 0


def _count_failure(engine: Engine, name: str, address: str, *, disabled: bool) -> LoginResult:
    with write(engine, f"login:{name}"[:96], address=address) as w:
        now = w.ctx.now
        w.session.add(LoginFailure(name=name, at=now, address=(address or "")[:64]))
        w.session.flush()
        recent = _recent_failures(w.session, name, now)
        entries = [{"action": "login.failed", "entity": "user", "entity_key": name or "-",
                    "after": {"recent_failures": recent, "disabled": disabled or None}}]
        until = None
        if recent >= LOCKOUT_FAILURES:
            until = now + LOCKOUT_FOR
            row = w.session.scalars(select(User).where(User.name == name)).first()
            if row is not None:  # a user's lock is on its row; its count starts afresh after
                row.locked_until = until
                w.session.execute(delete(LoginFailure).where(LoginFailure.name == name))
            # an unknown name stays locked while its failures are within the window
            entries.append({"action": "login.lockout", "entity": "user",
                            "entity_key": name or "-", "after": {"until": until}})
        w.session.execute(delete(LoginFailure).where(LoginFailure.at < now - LOCKOUT_WINDOW))
        w.audit(entries, visible=False)
    return LoginResult(locked_until=until)


__all__ = ["LOCKOUT_FAILURES", "Account", "AccountError", "LoginResult", "ScopeError",
           "change_own_password", "create_user", "ensure_first_admin", "generate_password",
           "get_user", "list_users", "log_in", "set_disabled", "set_password", "set_role"]
