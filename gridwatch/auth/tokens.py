"""API tokens: each has a role and a scope like a user (``gridwatch.auth.policy``).

A token is 32 random bytes shown once at creation; the store keeps only its SHA-256 digest (a
random token has no need for a slow hash) and an 8-character prefix to tell tokens apart.
Tokens made before roles existed are operators of the whole county.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridwatch.auth.policy import ANONYMOUS, COUNTY, ROLES, Principal, Scope
from gridwatch.ingest.errors import LocalisedError
from gridwatch.store.models import ApiToken

TOKEN_PREFIX = "gw_"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, role: str = "operator",
                 scope: Scope = COUNTY) -> tuple[int, str]:
    """Create a token named ``name``; return its id and the token (shown only this once).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store.
    name : str
        Who or what will use the token (1–64 characters); recorded in the audit log.
    role, scope
        What it may do and where (default: an operator of the whole county).

    Raises
    ------
    LocalisedError
        A ``ValueError`` whose message says the name is too short or too long.
    """
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise LocalisedError("token.name_length")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        row = ApiToken(name=name, digest=digest(token), prefix=token[:8], created_at=_now(),
                       role=role, scope=str(scope))
        s.add(row)
        s.flush()
        token_id = row.id
    return token_id, token


def revoke_token(engine: Engine, ref: str) -> int:
    """Revoke the live tokens whose id or name is ``ref``; return how many were revoked."""
    with Session(engine) as s, s.begin():
        match = (ApiToken.id == int(ref)) if ref.isdigit() else (ApiToken.name == ref)
        result = s.execute(update(ApiToken).where(match, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=_now()))
        return result.rowcount


def list_tokens(engine: Engine) -> list[dict]:
    """Every token's id, name, prefix and dates (never the token itself)."""
    with Session(engine) as s:
        rows = s.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        return [{"id": r.id, "name": r.name, "prefix": r.prefix, "role": r.role,
                 "scope": r.scope, "created_at": r.created_at,
                 "revoked_at": r.revoked_at, "last_used_at": r.last_used_at} for r in rows]


def authenticate(engine: Engine, authorization: str | None) -> Principal | None:
    """The principal an ``Authorization`` header names.

    Returns ``ANONYMOUS`` when there is no header and ``None`` when a token is given but is
    malformed, unknown or revoked.
    """
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    with Session(engine) as s:
        row = s.scalars(select(ApiToken).where(ApiToken.digest == digest(token))).first()
        if row is None or row.revoked_at is not None:
            return None
        return Principal("token", row.role, Scope.parse(row.scope), row.id, row.name)
