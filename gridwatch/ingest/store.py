"""Batch writes for ingest: idempotency keys and replays, on the one write path.

Every batch is one ``gridwatch.store.writes.write`` transaction (write lock, audit rows and the
data version bumped together); this module adds what only the API and uploads need: an
``Idempotency-Key`` answered once per principal, the token's last use, and a busy store turned
into a 503 the client may retry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError

from gridwatch.auth.policy import Principal
from gridwatch.ingest.errors import refuse
from gridwatch.store.models import ApiToken, IdempotencyKey
from gridwatch.store.writes import Write, dumps, write


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
    try:
        with write(engine, principal.actor,
                   request_id=idempotency_key or uuid.uuid4().hex) as w:
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
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise refuse(503, "request.busy") from None
        raise
    return outcome, False


