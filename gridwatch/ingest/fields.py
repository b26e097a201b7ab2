"""Field parsers shared by the write API and file uploads.

Each parser takes the raw value (from JSON, CSV or XLSX) and returns the stored value or raises
``FieldError`` with a reason a person can act on (a catalogue message, ``ingest.field.*``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from gridwatch.geo.layers import Region
from gridwatch.ingest.errors import LocalisedError
from gridwatch.store import models as m

EARLIEST = datetime(2000, 1, 1)
"""Observations before this are taken for a typing or time zone mistake."""

FUTURE_SLACK = timedelta(days=1)
CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class FieldError(LocalisedError):
    """A field's value cannot be used; ``message(lang)`` is the reason (``str`` in English)."""


@dataclass(frozen=True)
class Reference:
    """The region's codes a batch is checked against."""

    grids: dict[str, str]
    villages: dict[str, str]
    townships: frozenset[str]
    checkpoints: frozenset[str]

    @classmethod
    def from_region(cls, region: Region) -> Reference:
        """The codes of ``region`` (cached per loaded region)."""
        return _reference(region)


@lru_cache(maxsize=4)
def _reference(region: Region) -> Reference:
    return Reference(
        grids=dict(zip(region.grids["code"], region.grids["township_code"], strict=True)),
        villages=dict(zip(region.villages["code"], region.villages["township_code"],
                          strict=True)),
        townships=frozenset(region.townships["code"]),
        checkpoints=frozenset(region.checkpoints["code"]),
    )


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def is_blank(value) -> bool:
    """True for a missing value: None, an empty string or an empty spreadsheet cell (NaN)."""
    return _blank(value)


def timestamp(value, now: datetime | None = None) -> datetime:
    """An ISO 8601 timestamp with a UTC offset, returned as naive UTC (how the store keeps it)."""
    if isinstance(value, datetime):
        raise FieldError("field.datetime_cell")
    if not isinstance(value, str) or len(value) > 40:
        raise FieldError("field.not_timestamp_text")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError("field.bad_timestamp", value=value[:40]) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError("field.no_offset", value=value)
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    latest = (now or datetime.now(UTC).replace(tzinfo=None)) + FUTURE_SLACK
    if utc < EARLIEST or utc > latest:
        raise FieldError("field.time_range", value=value)
    return utc


def choice(options: Iterable) -> Callable:
    """A parser accepting only ``options`` (compared as text, case-sensitive)."""
    options = tuple(options)
    by_text = {str(o): o for o in options}

    def parse(value):
        key = _integral_text(value) if isinstance(value, float) else str(value).strip() \
            if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if key not in by_text:
            raise FieldError("field.not_option", value=str(value)[:40],
                             options=", ".join(map(str, options)))
        return by_text[key]

    parse.schema = {"enum": list(options)}
    return parse


COLOUR_NAMES: dict[str, tuple[str, str]] = dict(zip(m.COLOURS, (
    ("红", "红色"), ("橙", "橙色"), ("黄", "黄色"), ("蓝", "蓝色"), ("绿", "绿色")), strict=True))
"""The five-colour code: each stored key (English) and the Chinese names a person may write for
it. English names are read in any case; every spelling may have spaces around it."""

_COLOUR_BY_NAME = {name: key for key, names in COLOUR_NAMES.items()
                   for name in (key, *names)}


def colour_options() -> dict[str, str]:
    """What ``colour`` accepts, as message values: the English keys, the one-character Chinese
    names and the Chinese names with 色."""
    return {"english": ", ".join(COLOUR_NAMES),
            "chinese": "/".join(names[0] for names in COLOUR_NAMES.values()),
            "chinese_full": "/".join(names[1] for names in COLOUR_NAMES.values())}


def colour(value) -> str:
    """A risk colour: red, orange, yellow, blue or green in any case, or its Chinese name (红 or
    红色, ...); returned as the English key the store keeps."""
    key = _COLOUR_BY_NAME.get(value.strip().lower()) if isinstance(value, str) else None
    if key is None:
        raise FieldError("field.not_colour", value=str(value)[:40], **colour_options())
    return key


colour.schema = {"type": "string", "enum": list(COLOUR_NAMES),
                 "description": "red, orange, yellow, blue or green (any case), or in Chinese "
                                "红/橙/黄/蓝/绿 or 红色/橙色/黄色/蓝色/绿色; stored as the English "
                                "name"}


def _integral_text(value: float) -> str | None:
    return str(int(value)) if math.isfinite(value) and value == int(value) else None


def integer(low: int, high: int) -> Callable:
    """A parser for a whole number in ``[low, high]`` (a numeric string is accepted)."""

    def parse(value):
        if isinstance(value, bool):
            raise FieldError("field.not_integer")
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                raise FieldError("field.not_whole", value=value)
            value = int(value)
        elif isinstance(value, str):
            if not re.fullmatch(r"\s*-?\d{1,12}\s*", value):
                raise FieldError("field.not_whole_text", value=value[:40])
            value = int(value)
        elif not isinstance(value, int):
            raise FieldError("field.not_integer")
        if not low <= value <= high:
            raise FieldError("field.out_of_range", value=value, low=low, high=high)
        return value

    parse.schema = {"type": "integer", "minimum": low, "maximum": high}
    return parse


def text(max_length: int) -> Callable:
    """A parser for a text of at most ``max_length`` characters, without control characters."""

    def parse(value):
        if not isinstance(value, str):
            raise FieldError("field.not_text")
        value = value.strip()
        if not value:
            raise FieldError("field.empty")
        if len(value) > max_length:
            raise FieldError("field.too_long", max=max_length)
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise FieldError("field.control_chars")
        return value

    parse.schema = {"type": "string", "minLength": 1, "maxLength": max_length}
    return parse


def code(value) -> str:
    """An identifier: letters, digits, ``_ . -``, at most 32 characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not CODE.match(value.strip()):
        raise FieldError("field.bad_code", value=str(value)[:40])
    return value.strip()


timestamp.schema = {"type": "string", "format": "date-time",
                    "description": "ISO 8601 with a UTC offset, e.g. 2020-02-01T08:30:00+08:00"}
code.schema = {"type": "string", "pattern": CODE.pattern}

