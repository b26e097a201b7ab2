"""Batch writes for ingest: idempotency keys and replays, on the one write path.

Every batch is one ``gridwatch.store.writes.write`` transaction (write lock, audit rows and the
data version bumped together); this module adds what only the API and uploads need: an
``Idempotency-Key`` answered once per principal, the token's last use, a busy store turned
into a 503 the client may retry, and the races of concurrent batches retried here.

Two batches that overlap, or one replayed under the same key, may race past each other's
duplicate check (PostgreSQL's ``READ COMMITTED``: the check does not see a row that another
transaction has inserted but not yet committed); the loser's insert then fails on a unique
constraint. The whole write is run again (``ATTEMPTS`` times at most): the retry sees the
committed rows, counts them as duplicates or answers the stored reply, as SQLite (whose
writers queue on ``BEGIN IMMEDIATE``) answers at once. Serialisation failures and deadlocks
(SQLSTATE 40001, 40P01) are retried the same way.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from gridwatch.auth.policy import Principal
from gridwatch.ingest.errors import refuse
from gridwatch.store.models import ApiToken, IdempotencyKey
from gridwatch.store.writes import Write, dumps, write

ATTEMPTS = 3
"""How many times one batch is tried when it loses a race (then the error stands)."""

RETRY_SQLSTATES = frozenset({"40001", "40P01"})
"""Serialisation failure and deadlock detected (PostgreSQL): try the whole write again."""


@dataclass
class Outcome:
    """What a batch did: the answer body and its status. Whether the store changed is the
    write's business (``Write.changed``: its audit entries say so)."""

    body: dict
    status: int = 200


def request_digest(endpoint: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


def run_write(engine: Engine, principal: Principal, endpoint: str, body,
              apply: Callable[[Write], Outcome],
              idempotency_key: str | None = None) -> tuple[Outcome, bool]:
    """Run ``apply`` in one write; return its outcome and whether it was a replay.

    When the store changed, the answer carries the new ``data_version``. A request carrying an
    ``idempotency_key`` already answered for this principal gets the stored answer again and
    changes nothing; the same key with a different body is refused (422).

    Raises
    ------
    IngestError
        When ``apply`` refuses the batch (nothing is stored) or the store stays busy.
    """
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise refuse(400, "request.idempotency_key_length", "Idempotency-Key")
    digest = request_digest(endpoint, body)
    request_id = idempotency_key or uuid.uuid4().hex
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _attempt(engine, principal, endpoint, body, apply, idempotency_key, digest,
                            request_id)
        except IntegrityError:
            # A concurrent batch committed the same natural key (or the same idempotency key)
            # first: the next attempt counts it as a duplicate (or replays its answer).
            if attempt == ATTEMPTS:
                raise
        except OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise refuse(503, "request.busy") from None
            if not retryable(exc) or attempt == ATTEMPTS:
                raise
        time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def retryable(exc: DBAPIError) -> bool:
    """Whether ``exc`` is a serialisation failure or a deadlock, worth trying again."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRY_SQLSTATES


def _attempt(engine: Engine, principal: Principal, endpoint: str, body,
             apply: Callable[[Write], Outcome], idempotency_key: str | None, digest: str,
             request_id: str) -> tuple[Outcome, bool]:
    with write(engine, principal.actor, request_id=request_id) as w:
        if idempotency_key is not None:
            seen = w.session.scalars(select(IdempotencyKey).where(
                IdempotencyKey.actor == principal.actor,
                IdempotencyKey.key == idempotency_key)).first()
            if seen is not None:
                if seen.request_digest != digest:
                    raise refuse(422, "request.idempotency_key_reused", "Idempotency-Key")
                return Outcome(json.loads(seen.response), seen.status), True
        outcome = apply(w)
        if w.changed:
            outcome.body["data_version"] = w.version()
        if idempotency_key is not None:
            w.session.add(IdempotencyKey(
                actor=principal.actor, key=idempotency_key, endpoint=endpoint,
                request_digest=digest, status=outcome.status,
                response=dumps(outcome.body), created_at=w.ctx.now))
        if principal.kind == "token":
            w.session.execute(update(ApiToken).where(ApiToken.id == principal.id)
                              .values(last_used_at=w.ctx.now))
    return outcome, False
