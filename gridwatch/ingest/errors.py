"""The one shape every rejected write answers with: a status and per-row errors."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RowError:
    """What is wrong with one field of one row (``row`` is None for the request itself)."""

    row: int | None
    field: str | None
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


class IngestError(Exception):
    """A write that is refused as a whole; nothing of it was stored.

    Parameters
    ----------
    status : int
        The HTTP status that describes the refusal (400, 401, 403, 404, 409, 413, 415, 422).
    errors : list of RowError
        Every problem found, not only the first.
    """

    def __init__(self, status: int, errors: list[RowError]):
        super().__init__("; ".join(e.reason for e in errors[:3]))
        self.status = status
        self.errors = errors

    def to_dict(self) -> dict:
        return {"errors": [e.to_dict() for e in self.errors]}


def refuse(status: int, reason: str, field: str | None = None) -> IngestError:
    """A request-level refusal with a single reason."""
    return IngestError(status, [RowError(None, field, reason)])
