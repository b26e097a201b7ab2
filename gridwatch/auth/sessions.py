"""Login sessions and kiosks, kept in the store (shared by every server process).

A session cookie holds 32 random bytes; the store keeps their SHA-256 digest. Each request
resolves its cookie here, reading the session *and* its account or kiosk, so that logout, a
disabled user, a role change or a revoked kiosk take effect at the next request everywhere.
A user's session ends after ``session_idle_minutes`` without a request and after
``session_absolute_hours`` in any case; a kiosk's never expires until the kiosk is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, select, update
from sqlalchemy.orm import Session

from gridwatch.auth.accounts import AccountError
from gridwatch.auth.policy import COUNTY, Principal, Scope
from gridwatch.store.models import Kiosk, LoginSession, User
from gridwatch.store.writes import now_utc, write

TOUCH_EVERY = timedelta(minutes=1)
"""How often a session's last-seen time is written (not on every request)."""
KIOSK_PREFIX = "gwk_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings) -> Lifetimes:
        return cls(timedelta(minutes=settings.session_idle_minutes),
                   timedelta(hours=settings.session_absolute_hours))


def start_session(engine: Engine, *, user_id: int | None = None, kiosk_id: int | None = None,
                  address: str = "") -> str:
    """Open a session for a user or a kiosk; return the cookie value (shown only now)."""
    secret = secrets.token_urlsafe(32)
    now = now_utc()
    with Session(engine) as s, s.begin():
        s.add(LoginSession(digest=digest(secret), user_id=user_id, kiosk_id=kiosk_id,
                           created_at=now, last_seen_at=now, address=(address or "")[:64]))
    return secret


def end_session(engine: Engine, cookie: str | None) -> None:
    """Log out: the session's cookie stops working at once, in every process."""
    if not cookie or len(cookie) > 200:
        return
    with Session(engine) as s, s.begin():
        s.execute(update(LoginSession).where(LoginSession.digest == digest(cookie),
                                             LoginSession.ended_at.is_(None))
                  .values(ended_at=now_utc()))


def resolve(engine: Engine, cookie: str | None, lifetimes: Lifetimes) -> Principal | None:
    """The principal a session cookie stands for, or None (unknown, ended, expired, disabled,
    revoked)."""
    if not cookie or len(cookie) > 200:
        return None
    key = digest(cookie)
    now = now_utc()
    with engine.connect() as conn:  # one indexed read per request: sessions, kiosks, users
        row = conn.execute(_RESOLVE, {"key": key}).first()
    if row is None or row.ended_at is not None:
        return None
    if row.kiosk_id is not None:
        if row.kiosk_name is None or row.revoked_at is not None:
            return None
        principal = Principal("kiosk", "viewer", COUNTY, row.kiosk_id, row.kiosk_name, key)
    else:
        if now - row.created_at > lifetimes.absolute or now - row.last_seen_at > lifetimes.idle:
            return None
        if row.user_name is None or row.disabled_at is not None:
            return None
        principal = Principal("user", row.role, Scope.parse(row.scope), row.user_id,
                              row.user_name, key)
    if now - row.last_seen_at > TOUCH_EVERY:
        _touch(engine, key, now)
    return principal


_RESOLVE = (
    select(LoginSession.ended_at, LoginSession.created_at, LoginSession.last_seen_at,
           LoginSession.kiosk_id, LoginSession.user_id, Kiosk.name.label("kiosk_name"),
           Kiosk.revoked_at, User.name.label("user_name"), User.role, User.scope,
           User.disabled_at)
    .select_from(LoginSession)
    .outerjoin(Kiosk, Kiosk.id == LoginSession.kiosk_id)
    .outerjoin(User, User.id == LoginSession.user_id)
    .where(LoginSession.digest == bindparam("key"))
)
"""A session with its kiosk or user, in one statement (compiled once, cached)."""


def _touch(engine: Engine, key: str, now: datetime) -> None:
    with Session(engine) as s, s.begin():
        s.execute(update(LoginSession).where(LoginSession.digest == key)
                  .values(last_seen_at=now))


# --- kiosks ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class KioskInfo:
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None


def create_kiosk(engine: Engine, name: str, *, actor: str = "cli") -> tuple[KioskInfo, str]:
    """Create a kiosk; return it and its secret (shown once, part of the kiosk URL)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise AccountError("a kiosk name is 1 to 64 characters")
    secret = KIOSK_PREFIX + secrets.token_urlsafe(32)
    with write(engine, actor) as w:
        if w.session.scalars(select(Kiosk.id).where(Kiosk.name == name)).first() is not None:
            raise AccountError(f"a kiosk named {name!r} exists already")
        row = Kiosk(name=name, digest=digest(secret), created_at=w.ctx.now)
        w.session.add(row)
        w.session.flush()
        w.audit([{"action": "kiosk.create", "entity": "kiosk", "entity_key": name}],
                visible=False)
        info = _kiosk(row)
    return info, secret


def revoke_kiosk(engine: Engine, name: str, *, actor: str = "cli") -> int:
    """Revoke the kiosk ``name``: its wall stops at its next poll. Returns how many revoked."""
    with write(engine, actor) as w:
        rows = w.session.scalars(select(Kiosk).where(Kiosk.name == name,
                                                     Kiosk.revoked_at.is_(None))).all()
        for row in rows:
            row.revoked_at = w.ctx.now
            for s in w.session.scalars(select(LoginSession).where(
                    LoginSession.kiosk_id == row.id, LoginSession.ended_at.is_(None))):
                s.ended_at = w.ctx.now
        if rows:
            w.audit([{"action": "kiosk.revoke", "entity": "kiosk", "entity_key": name}],
                    visible=False)
        return len(rows)


def list_kiosks(engine: Engine) -> list[KioskInfo]:
    with Session(engine) as s:
        return [_kiosk(r) for r in s.scalars(select(Kiosk).order_by(Kiosk.name))]


def exchange_kiosk_secret(engine: Engine, secret: str, address: str = "") -> str | None:
    """A kiosk URL's secret → a new session cookie value, or None when unknown or revoked."""
    if not secret or len(secret) > 200:
        return None
    with Session(engine) as s:
        row = s.scalars(select(Kiosk).where(Kiosk.digest == digest(secret))).first()
        if row is None or row.revoked_at is not None:
            return None
        kiosk_id = row.id
    with Session(engine) as s, s.begin():
        s.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen_at=now_utc()))
    return start_session(engine, kiosk_id=kiosk_id, address=address)


def _kiosk(row: Kiosk) -> KioskInfo:
    return KioskInfo(row.id, row.name, row.created_at, row.revoked_at, row.last_seen_at)
