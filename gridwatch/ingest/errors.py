"""The one shape every rejected write answers with: a status and per-row errors.

Every reason is a message of the catalogue (``gridwatch.i18n``, keys ``ingest.*``) with its
values, so the same refusal reads in Chinese on the upload page and in English (or, on request,
Chinese) in the API. ``reason`` is always the English text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridwatch.i18n import t

PREFIX = "ingest."


def _render(key: str, params: dict, lang: str) -> str:
    # ``key`` and ``lang`` are ``t``'s own arguments: no message value may take those names.
    values = {k: v.message(lang) if isinstance(v, Phrase) else v for k, v in params.items()}
    return t(PREFIX + key, lang, **values)


@dataclass(frozen=True)
class Phrase:
    """A catalogue message (``key`` without the ``ingest.`` prefix) and its values; a value
    that is itself a ``Phrase`` is rendered in the same language."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The text in ``lang``."""
        return _render(self.key, self.params, lang)


def say(key: str, /, **params) -> Phrase:
    """``Phrase(key, params)``, written as a call."""
    return Phrase(key, params)


class KeyedError(ValueError):
    """A refusal whose text comes from the catalogue; ``str(exc)`` is the English text.

    Parameters
    ----------
    key : str
        The message key, without the ``ingest.`` prefix.
    **params
        Values the message is filled with (a ``Phrase`` is rendered in the same language).
    """

    def __init__(self, key: str, /, **params):
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The reason in ``lang``."""
        return _render(self.key, self.params, lang)


@dataclass(frozen=True)
class RowError:
    """What is wrong with one field of one row (``row`` is None for the request itself).

    ``key`` names the reason in the catalogue (without the ``ingest.`` prefix) and ``params``
    fills it in; ``reason`` is the English text.
    """

    row: int | None
    field: str | None
    key: str
    params: dict = field(default_factory=dict)

    @classmethod
    def of(cls, row: int | None, name: str | None, reason: Phrase | KeyedError) -> RowError:
        """A row error whose reason is a ``Phrase`` or a ``KeyedError``."""
        return cls(row, name, reason.key, dict(reason.params))

    def message(self, lang: str) -> str:
        """The reason in ``lang``."""
        return _render(self.key, self.params, lang)

    @property
    def reason(self) -> str:
        return self.message("en")

    def to_dict(self, lang: str = "en") -> dict:
        return {"row": self.row, "field": self.field, "reason": self.message(lang)}


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

    def to_dict(self, lang: str = "en") -> dict:
        """The answer body, with the reasons in ``lang``."""
        return {"errors": [e.to_dict(lang) for e in self.errors]}


def refuse(status: int, key: str, field: str | None = None, /, **params) -> IngestError:
    """A request-level refusal with a single reason (``key`` as in ``RowError``)."""
    return IngestError(status, [RowError(None, field, key, params)])
