"""Strict JSON reading for request bodies.

Python's ``json`` accepts ``NaN`` and ``Infinity``, silently keeps the last of duplicate keys
and recurses on nesting; a write API must refuse all three with a clear message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gridwatch.ingest.errors import IngestError, KeyedError, refuse

MAX_DEPTH = 6
"""The deepest nesting a write body needs is 3 (body → items → item → list of codes)."""


class _Refused(KeyedError):
    pass


def _constant(name: str):
    raise _Refused("json.constant", name=name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("json.number_range", number=text[:20])
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _Refused("json.duplicate_key", name=repr(key[:40]))
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


def loads_strict(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body or raise ``IngestError`` (400) saying what is wrong with it.

    Parameters
    ----------
    raw : bytes
        The body, UTF-8 encoded.
    max_depth : int
        The deepest nesting accepted.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(400, "json.not_utf8", byte=exc.start) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float,
                           object_pairs_hook=_pairs)
    except _Refused as exc:
        raise refuse(400, exc.key, **exc.params) from None
    except RecursionError:
        raise refuse(400, "json.too_deep", max=max_depth) from None
    except ValueError as exc:  # JSONDecodeError, and integers with too many digits
        raise refuse(400, "json.invalid", detail=str(exc)[:120]) from None
    if depth(value) > max_depth:
        raise refuse(400, "json.too_deep", max=max_depth)
    return value


def dumps(value: Any) -> str:
    """Compact JSON with non-ASCII text kept readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


__all__ = ["IngestError", "depth", "dumps", "loads_strict"]
