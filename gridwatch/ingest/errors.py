"""The one localised error type, and the shape every rejected write answers with.

Every reason is a message of the catalogue (``gridwatch.i18n``) with its values, so the same
refusal reads in Chinese on the upload page and in English (or, on request, Chinese) in the API.
``LocalisedError`` is the type every refusal of data in raises (files, fields, JSON, archives,
boundaries); its subclasses only say which stage refused, and which part of the catalogue holds
their messages (``ingest.*``, or ``boundary.*`` for the boundary import). ``str(exc)`` is always
the English text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridwatch.i18n import t

PREFIX = "ingest."


def localise(params: dict, lang: str) -> dict:
    """Message values in ``lang``.

    A value with a ``message(lang)`` method (a ``Phrase``, a ``LocalisedError``) is rendered in
    the same language; layer and file-kind names are translated; ``<name>_<lang>`` values are
    filled in as ``<name>``; an empty ``crs`` reads as "not declared".
    """
    out = {k: v.message(lang) if hasattr(v, "message") else v for k, v in params.items()}
    for key, prefix in (("layer", "layer"), ("parent_layer", "layer"), ("layer_name", "layer"),
                        ("actual", "kind")):
        if key in out:
            out[key] = t(f"boundary.{prefix}.{out[key]}", lang)
    for key in list(out):
        if key.endswith(f"_{lang}"):
            out[key[: -len(lang) - 1]] = out[key]
    if out.get("crs") == "":
        out["crs"] = t("boundary.crs_none", lang)
    return out


def render(key: str, params: dict, lang: str) -> str:
    """The catalogue message ``key`` (full key) in ``lang``, filled with ``params``."""
    # ``key`` and ``lang`` are ``t``'s own arguments: no message value may take those names.
    return t(key, lang, **localise(params, lang))


@dataclass(frozen=True)
class Phrase:
    """A catalogue message (``key`` without the ``ingest.`` prefix) and its values; a value
    that is itself a ``Phrase`` is rendered in the same language."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str) -> str:
        """The text in ``lang``."""
        return render(PREFIX + self.key, self.params, lang)


def say(key: str, /, **params) -> Phrase:
    """``Phrase(key, params)``, written as a call."""
    return Phrase(key, params)


class LocalisedError(ValueError):
    """A refusal whose text comes from the catalogue; ``str(exc)`` is the English text.

    Parameters
    ----------
    key : str
        The message key, without the class's ``namespace`` prefix (``ingest.`` by default).
    **params
        Values the message is filled with (see ``localise``).
    """

    namespace = PREFIX

    def __init__(self, key: str, /, **params):
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    @property
    def catalogue_key(self) -> str:
        """The full key of the message in ``gridwatch.i18n``."""
        return self.namespace + self.key

    def message(self, lang: str) -> str:
        """The reason in ``lang``."""
        return render(self.catalogue_key, self.params, lang)

    def to_dict(self, lang: str = "en") -> dict:
        """The refusal as an answer body: ``{"errors": [{"row", "field", "reason"}]}``."""
        return {"errors": [{"row": None, "field": None, "reason": self.message(lang)}]}


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
    def of(cls, row: int | None, name: str | None, reason: Phrase | LocalisedError) -> RowError:
        """A row error whose reason is a ``Phrase`` or an ``ingest.*`` ``LocalisedError``."""
        return cls(row, name, reason.key, dict(reason.params))

    def message(self, lang: str) -> str:
        """The reason in ``lang``."""
        return render(PREFIX + self.key, self.params, lang)

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

    @classmethod
    def of(cls, status: int, error: LocalisedError, field: str | None = None) -> IngestError:
        """A request-level refusal whose one reason is ``error``."""
        return cls(status, [RowError.of(None, field, error)])

    def to_dict(self, lang: str = "en") -> dict:
        """The answer body, with the reasons in ``lang``."""
        return {"errors": [e.to_dict(lang) for e in self.errors]}


def refuse(status: int, key: str, field: str | None = None, /, **params) -> IngestError:
    """A request-level refusal with a single reason (``key`` as in ``RowError``)."""
    return IngestError(status, [RowError(None, field, key, params)])
