"""The analyst's filters and their round trip through the URL query string."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import parse_qs, urlencode

from gridwatch.store.models import COLOURS
from gridwatch.store.models import CONTROL_LEVELS as LEVELS


@dataclass(frozen=True)
class Filters:
    """What the analyst asked to see. An empty selection means "all"."""

    levels: tuple[int, ...] = ()
    townships: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    as_of: date | None = None

    def with_day(self, day: date) -> Filters:
        return replace(self, as_of=day)

    def to_query(self, lang: str | None = None, extra: dict[str, str] | None = None) -> str:
        """The query string (with a leading ``?``, or empty) that reopens this view."""
        params: dict[str, str] = {}
        if self.levels:
            params["level"] = ",".join(str(v) for v in self.levels)
        if self.townships:
            params["township"] = ",".join(self.townships)
        if self.colours:
            params["colour"] = ",".join(self.colours)
        if self.as_of:
            params["date"] = self.as_of.isoformat()
        if lang:
            params["lang"] = lang
        params.update(extra or {})
        return f"?{urlencode(params, safe=',')}" if params else ""

    def to_dict(self) -> dict:
        return {"levels": list(self.levels), "townships": list(self.townships),
                "colours": list(self.colours),
                "as_of": self.as_of.isoformat() if self.as_of else None}

    @classmethod
    def from_dict(cls, data: dict | None) -> Filters:
        data = data or {}
        as_of = data.get("as_of")
        return cls(levels=tuple(int(v) for v in data.get("levels") or ()),
                   townships=tuple(data.get("townships") or ()),
                   colours=tuple(data.get("colours") or ()),
                   as_of=date.fromisoformat(as_of) if as_of else None)


@dataclass(frozen=True)
class FilterProblem:
    """One value in the URL that could not be used: which parameter, what value, why."""

    param: str
    value: str
    reason: str  # a message-catalogue key


def ordered(values: Iterable, order: Iterable) -> tuple:
    chosen = set(values)
    return tuple(v for v in order if v in chosen)


def parse_query(search: str | None, townships: Iterable[str], first_day: date,
                last_day: date) -> tuple[Filters, list[FilterProblem], str | None]:
    """Read filters (and the language) from a URL query string.

    Unknown or malformed values are dropped and reported, never raised: the view opens with
    what could be understood, and says what could not.

    Returns
    -------
    (Filters, problems, lang)
    """
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    problems: list[FilterProblem] = []

    def values(name: str) -> list[str]:
        return [v.strip() for raw in query.get(name, []) for v in raw.split(",") if v.strip()]

    levels = []
    for v in values("level"):
        if v.isdigit() and int(v) in LEVELS:
            levels.append(int(v))
        else:
            problems.append(FilterProblem("level", v, "problem.level"))
    known = list(townships)
    towns = []
    for v in values("township"):
        if v in known:
            towns.append(v)
        else:
            problems.append(FilterProblem("township", v, "problem.township"))
    colours = []
    for v in values("colour"):
        if v.lower() in COLOURS:
            colours.append(v.lower())
        else:
            problems.append(FilterProblem("colour", v, "problem.colour"))
    as_of = None
    for v in values("date")[:1]:
        try:
            day = date.fromisoformat(v)
        except ValueError:
            problems.append(FilterProblem("date", v, "problem.date_format"))
            continue
        if first_day <= day <= last_day:
            as_of = day
        else:
            problems.append(FilterProblem("date", v, "problem.date_range"))
    lang = None
    for v in values("lang")[:1]:
        if v in ("zh", "en"):
            lang = v
        else:
            problems.append(FilterProblem("lang", v, "problem.lang"))
    filters = Filters(levels=ordered(levels, LEVELS), townships=ordered(towns, known),
                      colours=ordered(colours, COLOURS), as_of=as_of)
    return filters, problems, lang
