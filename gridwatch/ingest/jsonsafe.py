"""The one strict JSON reader, for API request bodies and uploaded GeoJSON alike.

Python's ``json`` accepts ``NaN`` and ``Infinity``, silently keeps the last of duplicate keys
and recurses on nesting; data coming in must refuse all three with a clear message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gridwatch.ingest.errors import LocalisedError

MAX_DEPTH = 6
"""The deepest nesting a write body needs is 3 (body → items → item → list of codes)."""


class JSONError(LocalisedError):
    """Text that is not strict JSON; ``message(lang)`` says what is wrong (keys ``json.*``)."""


def _constant(name: str):
    raise JSONError("json.constant", name=name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONError("json.number_range", number=text[:20])
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise JSONError("json.duplicate_key", name=repr(key[:40]))
        out[key] = value
    return out


def depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value (a scalar is 0), computed without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def loads_strict(raw: bytes, max_depth: int = MAX_DEPTH, encoding: str = "utf-8") -> Any:
    """Parse JSON strictly: no NaN or Infinity, no duplicate keys, bounded nesting.

    Parameters
    ----------
    raw : bytes
        The text, encoded.
    max_depth : int
        The deepest nesting accepted (a scalar is 0 deep; see ``depth``).
    encoding : str, default "utf-8"
        "utf-8-sig" also accepts a leading byte-order mark (files saved by desktop tools).

    Raises
    ------
    JSONError
        Saying what is wrong with the text.
    """
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise JSONError("json.not_utf8", byte=exc.start) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float,
                           object_pairs_hook=_pairs)
    except RecursionError:
        raise JSONError("json.too_deep", max=max_depth) from None
    except JSONError:
        raise
    except ValueError as exc:  # JSONDecodeError, and integers with too many digits
        raise JSONError("json.invalid", detail=str(exc)[:120]) from None
    if depth(value) > max_depth:
        raise JSONError("json.too_deep", max=max_depth)
    return value


__all__ = ["JSONError", "depth", "loads_strict"]
